#pragma once

// Nano node WebSocket messages as typed, normalised events (protocols/nano.md §1–2).
//
// Normal forms: hashes, block links and signatures are UPPERCASE hex (64 / 128 digits); accounts
// are `nano_` addresses (an `xrb_` input is re-encoded); node ids are `node_` addresses; work and
// difficulty values are 16 lowercase hex digits; amounts are exact `u128`; counters, heights and
// timestamps are exact u64. `time_ms` is the envelope `time` (node wall clock, ms since epoch).
//
// decode_ws_message() is pure and total: it never throws, never reads past a missing member, and
// every error names the field ("message.block.balance: not a u128"). It checks what can be
// checked without the ledger: address checksums, hex lengths, exact ranges, and that a block's
// hash (always recomputed from its contents) matches the hash the node sent with it.

#include "schema/codec.hpp"
#include "schema/decode.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ledgertap::schema::json {
class object;
} // namespace ledgertap::schema::json

namespace ledgertap::schema::nano {

enum class block_type { state, send, receive, open, change };
/// `none`: no subtype was sent (legacy blocks in confirmations and RPC answers).
enum class block_subtype { none, send, receive, change, epoch };

[[nodiscard]] const char* to_string(block_type type) noexcept;
[[nodiscard]] const char* to_string(block_subtype subtype) noexcept;

/// One block of any of the five types (§2.1), normalised.
struct block {
    block_type type = block_type::state;
    /// Recomputed by the decoder from the contents (64 uppercase hex).
    std::string hash;
    /// The chain the block belongs to. Legacy send/receive/change blocks carry no account: it is
    /// taken from the enclosing message (confirmation `account`, RPC `block_account`/`account`).
    /// Empty only where the node gives none: legacy send/receive/change in new_unconfirmed_block.
    std::string account;
    /// 64 zeros for opens (legacy open and state open).
    std::string previous;
    /// State, legacy open and legacy change blocks.
    std::optional<std::string> representative;
    /// State blocks (decimal) and legacy send (hex in the JSON). Absent for legacy
    /// receive/open/change.
    std::optional<u128> balance;
    /// 64 uppercase hex: state link; legacy send destination public key; legacy receive/open
    /// source hash; legacy change: 64 zeros.
    std::string link;
    /// State blocks: the node's link_as_account (checked against link). Legacy send: the
    /// destination address. Absent otherwise.
    std::optional<std::string> link_as_account;
    std::string signature; ///< 128 uppercase hex.
    std::string work;      ///< 16 lowercase hex.
    block_subtype subtype = block_subtype::none;

    [[nodiscard]] bool is_state() const noexcept { return type == block_type::state; }
    [[nodiscard]] bool is_open() const noexcept;
};

enum class confirmation_type { active_quorum, active_confirmation_height, inactive, unknown };
[[nodiscard]] const char* to_string(confirmation_type type) noexcept;

/// One element of election_info.votes (include_election_info_with_votes, V22+).
struct election_vote {
    std::string representative;
    std::uint64_t timestamp = 0; ///< 2^64-1 for a final vote.
    std::string hash;
    u128 weight = 0;
};

struct election_info {
    std::uint64_t duration_ms = 0;
    std::uint64_t time_ms = 0; ///< Election end, ms since epoch.
    u128 tally = 0;
    std::optional<u128> final_tally;            ///< `final`, V22+.
    std::optional<std::uint64_t> blocks;        ///< V21+.
    std::optional<std::uint64_t> voters;        ///< V21+.
    std::optional<std::uint64_t> request_count; ///< V20+.
    /// Present only with include_election_info_with_votes; `""` from the node gives an empty list.
    std::optional<std::vector<election_vote>> votes;
};

struct sideband {
    std::uint64_t height = 0;
    std::uint64_t local_timestamp = 0; ///< Seconds since epoch (not ms).
};

/// Topic `confirmation`: a block the node cemented.
struct confirmation {
    std::uint64_t time_ms = 0;
    std::string account;
    u128 amount = 0;
    std::string hash;
    confirmation_type type = confirmation_type::unknown;
    /// Absent with include_block=false. When present its recomputed hash equals `hash`.
    std::optional<nano::block> block;
    std::optional<nano::election_info> election_info;
    std::optional<nano::sideband> sideband;
    /// include_linked_account (inside `block`, or at message level as rsnano sends it); the node's
    /// "0" (none / unknown) gives nullopt.
    std::optional<std::string> linked_account;
};

enum class vote_type { vote, replay, indeterminate, ignored };
[[nodiscard]] const char* to_string(vote_type type) noexcept;

/// Topic `vote`.
struct vote {
    std::uint64_t time_ms = 0;
    std::string account;   ///< The representative.
    std::string signature; ///< 128 uppercase hex (the node sends it as a decimal number).
    std::uint64_t timestamp = 0;
    bool is_final = false; ///< timestamp == 2^64-1.
    /// 4-bit duration code (V23+); the duration is 2^(code+4) ms.
    std::optional<std::uint8_t> duration;
    std::vector<std::string> blocks; ///< 1..255 hashes.
    vote_type type = vote_type::vote;
};

enum class election_event { started, stopped };

/// Topics `started_election` and `stopped_election`.
struct election {
    std::uint64_t time_ms = 0;
    std::string hash;
    election_event event = election_event::started;
};

/// Topic `telemetry` (one peer's self-reported data, §1.8). Unknown extra keys are ignored.
struct telemetry {
    std::uint64_t time_ms = 0;
    std::uint64_t block_count = 0;
    std::uint64_t cemented_count = 0;
    std::uint64_t unchecked_count = 0;
    std::uint64_t account_count = 0;
    std::uint64_t bandwidth_cap = 0;
    std::uint32_t peer_count = 0;
    std::uint8_t protocol_version = 0;
    std::uint64_t uptime = 0; ///< Seconds.
    std::string genesis_block;
    std::uint8_t major_version = 0;
    std::uint8_t minor_version = 0;
    std::uint8_t patch_version = 0;
    std::uint8_t pre_release_version = 0;
    std::uint8_t maker = 0;
    std::uint64_t timestamp = 0;                  ///< ms since epoch, peer clock.
    std::optional<std::string> active_difficulty; ///< 16 hex; absent on V21.0.
    std::string node_id;                          ///< `node_` address (V21.0's 64-hex accepted).
    std::string signature;                        ///< 128 uppercase hex.
    std::string address;                          ///< Peer endpoint, e.g. "::ffff:139.180.168.194".
    std::uint16_t port = 0;
    // Fields documented for newer nodes (format unverified): kept verbatim when they are strings.
    std::optional<std::string> database_backend;
    std::optional<std::string> confirmation_latency_ms_p50;
    std::optional<std::string> confirmation_latency_ms_p90;
    std::optional<std::string> confirmation_latency_ms_p99;
    std::optional<std::string> bootstrap_status;
};

/// Topic `new_unconfirmed_block`: a block inserted into the ledger, not confirmed.
struct unconfirmed_block {
    std::uint64_t time_ms = 0;
    /// The top-level `hash` (V28+) after checking it equals the recomputed one; else recomputed.
    std::string hash;
    /// `subtype` is always sent here, even for legacy blocks (for which the node says "change").
    nano::block block;
};

struct work_request {
    std::optional<std::string> version; ///< "work_1", V21+.
    std::string hash;
    std::string difficulty; ///< 16 lowercase hex.
    std::string multiplier; ///< Decimal text as sent ("10.000000000009095").
};

struct work_result {
    std::string source; ///< "local" or "ip:port".
    std::string work;   ///< 16 lowercase hex.
    std::string difficulty;
    std::string multiplier;
};

/// Topic `work` (V20+): a distributed work generation finished.
struct work {
    std::uint64_t time_ms = 0;
    bool success = false;
    std::string reason; ///< "", "cancelled" or "failure".
    std::uint64_t duration_ms = 0;
    work_request request;
    std::optional<work_result> result; ///< Only on success.
    std::vector<std::string> bad_peers;
};

enum class bootstrap_reason { started, exited };

/// Topic `bootstrap` (V21–V27 legacy bootstrapper).
struct bootstrap {
    std::uint64_t time_ms = 0;
    bootstrap_reason reason = bootstrap_reason::started;
    std::string id;
    std::string mode;
    std::optional<std::uint64_t> total_blocks; ///< On exit.
    std::optional<std::uint64_t> duration_s;   ///< On exit, seconds.
};

/// Topic `active_difficulty` (V20–V21 only).
struct active_difficulty {
    std::uint64_t time_ms = 0;
    std::string multiplier;
    std::string network_current; ///< 16 lowercase hex.
    std::string network_minimum;
    std::optional<std::string> network_receive_current; ///< V21.2+.
    std::optional<std::string> network_receive_minimum; ///< V21.2+.
};

enum class ack_action { subscribe, unsubscribe, update, pong };

/// A reply to one of our actions (acks carry no topic).
struct ack {
    ack_action action = ack_action::subscribe;
    std::optional<std::string> id;
    std::uint64_t time_ms = 0;
};

using ws_message = std::variant<
    ack,
    confirmation,
    vote,
    election,
    telemetry,
    unconfirmed_block,
    work,
    bootstrap,
    active_difficulty>;

/// Decodes one WebSocket text frame. Errors: malformed_json (not JSON), unexpected_shape (not an
/// object, unknown topic, no topic and no ack), bad_field (a known message with a missing,
/// mistyped or inconsistent field), too_large (nesting beyond json::default_max_depth).
[[nodiscard]] decode_result<ws_message> decode_ws_message(std::string_view text) noexcept;

namespace detail {

/// How a block JSON object is read; shared with the RPC decoder.
struct block_context {
    /// Account of the enclosing message, for legacy blocks that carry none (may be empty).
    std::string_view account;
    /// Whether `subtype` must be present (new_unconfirmed_block) or may be.
    bool subtype_required = false;
};

/// Reads one block object (§2.1), recomputing its hash. Records the first error in the object's
/// errors and returns nullopt on failure.
[[nodiscard]] std::optional<block> read_block(const json::object& in, const block_context& ctx);

/// Reads a field that must be a 64-hex hash, normalised to uppercase.
[[nodiscard]] std::optional<std::string> read_hash(const json::object& in, std::string_view key);
/// Reads a field that must be a valid account address, normalised to `nano_`.
[[nodiscard]] std::optional<std::string> read_account(const json::object& in, std::string_view key);
/// Strict boolean: "true" or "false".
[[nodiscard]] std::optional<bool> parse_bool(std::string_view text);
/// "send", "receive", "change" or "epoch".
[[nodiscard]] std::optional<block_subtype> parse_subtype(std::string_view text);
/// An optional linked_account-style field: absent or "0" -> nullopt; otherwise a valid address,
/// normalised to `nano_`.
[[nodiscard]] std::optional<std::string> read_linked_account(
    const json::object& in, std::string_view key);

} // namespace detail

} // namespace ledgertap::schema::nano
