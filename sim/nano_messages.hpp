#pragma once

// Builders for every WebSocket message and the block JSON a V28 Nano node emits, in the node's
// exact property-tree pretty format (see nano_json.hpp). They append to a caller's buffer so the
// node can build frames with libwebsockets headroom in place (ws_frame::start_buffer()).

#include "sim/nano_json.hpp"
#include "sim/nano_ledger.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::sim::nano {

inline constexpr std::uint64_t final_vote_timestamp = 18446744073709551615ULL;

/// `nano_…` address of a public key (memoized; the simulator sees few distinct keys).
[[nodiscard]] const std::string& address_of(const bytes32& key);
/// Uppercase hex (the node's format for hashes, keys and signatures).
[[nodiscard]] std::string hex(std::span<const std::uint8_t> bytes);

/// Which optional parts of a `confirmation` message a subscriber asked for.
struct confirmation_view {
    bool include_block = true;
    bool election_info = false;
    bool with_votes = false;
    bool sideband = false;
    bool linked_account = false;
    [[nodiscard]] std::uint8_t key() const {
        return static_cast<std::uint8_t>(
            (include_block ? 1U : 0U) | (election_info ? 2U : 0U) | (with_votes ? 4U : 0U)
            | (sideband ? 8U : 0U) | (linked_account ? 16U : 0U));
    }
};

/// One vote as listed in election_info.votes.
struct vote_entry {
    bytes32 representative{};
    std::uint64_t timestamp = 0;
    u128 weight = 0;
};

enum class block_json_mode : std::uint8_t {
    plain,        ///< block_info contents, account_history: no subtype
    confirmation, ///< + subtype for state blocks
    unconfirmed   ///< + subtype always (legacy blocks show "change")
};

/// Writes a block's JSON object as member `key` (or as the root when key is empty).
void write_block(
    pretty_writer& w,
    std::string_view key,
    const ledger& chain,
    const block& b,
    block_json_mode mode,
    bool include_linked_account);
/// The block as a JSON document (RPC `contents` when json_block is false).
[[nodiscard]] std::string block_document(const ledger& chain, const block& b);

void append_confirmation(
    std::string& out,
    const ledger& chain,
    const block& b,
    confirmation_kind kind,
    const election_summary& election,
    std::span<const vote_entry> votes,
    confirmation_view view,
    std::uint64_t now_ms);
void append_new_unconfirmed_block(
    std::string& out, const ledger& chain, const block& b, std::uint64_t now_ms);
/// started_election / stopped_election.
void append_election_event(
    std::string& out, std::string_view topic, const bytes32& hash, std::uint64_t now_ms);
void append_vote(
    std::string& out,
    const bytes32& representative,
    const bytes64& signature,
    std::uint64_t timestamp,
    std::uint8_t duration,
    std::span<const bytes32> hashes,
    std::string_view type,
    std::uint64_t now_ms);

struct telemetry_view {
    std::uint64_t block_count = 0;
    std::uint64_t cemented_count = 0;
    std::uint64_t account_count = 0;
    std::uint32_t peer_count = 0;
    std::uint64_t uptime_s = 0;
    bytes32 genesis{};
    bytes32 node_id{};
    bytes64 signature{};
    std::string address; ///< "::ffff:a.b.c.d"
    std::uint16_t port = 7075;
    std::uint8_t minor_version = 2;
};
void append_telemetry(std::string& out, const telemetry_view& t, std::uint64_t now_ms);

struct work_view {
    bool success = true;
    std::string reason; ///< "" on success, "cancelled"/"failure"
    std::uint64_t duration_ms = 0;
    bytes32 root{};
    std::uint64_t difficulty = 0;
    std::string multiplier;
    std::string source; ///< "local" or "ip:port"
    std::uint64_t work = 0;
    std::uint64_t result_difficulty = 0;
    std::string result_multiplier;
    std::vector<std::string> bad_peers;
};
void append_work(std::string& out, const work_view& work, std::uint64_t now_ms);

/// {"ack": action, "time": …, "id": …} (no id when empty; never a topic).
void append_ack(
    std::string& out, std::string_view action, std::string_view id, std::uint64_t now_ms);

} // namespace ledgertap::sim::nano
