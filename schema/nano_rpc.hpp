#pragma once

// Nano node HTTP RPC responses used for backfill and reconciliation (protocols/nano.md §3).
//
// Every decoder returns, in order of precedence:
//   - decode_error: the body is not a response of the expected shape (malformed JSON, a missing
//     or mistyped field, a block whose recomputed hash differs from the hash it was returned
//     under) — a transport or node bug, not an answer;
//   - rpc_reply::is_error(): the node answered `{"error": "..."}` (HTTP 200), e.g. "Block not
//     found", "Account not found", "Bad hash number"; branch on error().message;
//   - rpc_reply::result(): the typed result.
// Same normal forms as schema/nano.hpp (uppercase hex hashes, `nano_` accounts, exact integers).
// Pure, total, never throws.

#include "schema/decode.hpp"
#include "schema/nano.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ledgertap::schema::nano {

/// An application error reported by the node: `{"error": "<message>"}`.
struct rpc_error {
    std::string message;
};

/// Frequent node error messages (§3.1), for comparisons with rpc_error::message.
namespace rpc_message {
inline constexpr std::string_view block_not_found = "Block not found";
inline constexpr std::string_view account_not_found = "Account not found";
inline constexpr std::string_view bad_hash_number = "Bad hash number";
inline constexpr std::string_view invalid_block_hash = "Invalid block hash";
inline constexpr std::string_view unable_to_parse_json = "Unable to parse JSON";
} // namespace rpc_message

/// A decoded RPC response: the result or the node's error.
template<typename T>
struct rpc_reply {
    std::variant<T, rpc_error> body;

    [[nodiscard]] bool is_error() const noexcept { return body.index() == 1; }
    [[nodiscard]] const rpc_error& error() const { return std::get<1>(body); }
    [[nodiscard]] const T& result() const { return std::get<0>(body); }
    [[nodiscard]] T& result() { return std::get<0>(body); }
};

template<typename T>
using rpc_result = decode_result<rpc_reply<T>>;

/// block_info, and one entry of blocks_info.
struct block_info {
    /// The hash the block was returned under (requested hash / blocks_info key), verified equal
    /// to `contents.hash`, which the decoder recomputed.
    std::string hash;
    std::string block_account;
    std::optional<u128> amount; ///< Omitted by the node when not computable (pruned previous).
    u128 balance = 0;           ///< Always decimal here, also for legacy sends.
    std::uint64_t height = 0;
    std::uint64_t local_timestamp = 0;    ///< Seconds; 0 for very old blocks.
    std::optional<std::string> successor; ///< V23+; 64 zeros at the frontier.
    bool confirmed = false;
    /// The block; `contents.subtype` comes from the response's `subtype` (state blocks only).
    nano::block contents;
    std::optional<std::string> linked_account; ///< include_linked_account; "0" -> nullopt.
    // blocks_info options:
    std::optional<bool> receivable;            ///< `receivable` (or its alias `pending`).
    std::optional<std::string> receive_hash;   ///< receive_hash=true; 64 zeros when none.
    std::optional<std::string> source_account; ///< source=true; "0" -> nullopt.
};

struct blocks_info {
    std::vector<block_info> blocks; ///< In response order.
    std::vector<std::string> blocks_not_found;
};

/// chain and successors: hashes in walk order, start block included. Unknown start -> empty.
struct block_hashes {
    std::vector<std::string> blocks;
};

struct account_info {
    std::string frontier;
    std::string open_block;
    std::string representative_block;
    u128 balance = 0; ///< Includes unconfirmed blocks.
    std::uint64_t modified_timestamp = 0;
    std::uint64_t block_count = 0; ///< Includes unconfirmed blocks.
    std::optional<std::uint64_t> account_version;
    /// `confirmation_height`, or `confirmed_height` with include_confirmed.
    std::uint64_t confirmed_height = 0;
    /// `confirmation_height_frontier` or `confirmed_frontier` (V21+); 64 zeros when height is 0.
    std::optional<std::string> confirmed_frontier;
    std::optional<std::string> representative;
    std::optional<u128> weight;
    std::optional<u128> receivable; ///< `receivable` or `pending`.
    std::optional<u128> confirmed_balance;
    std::optional<std::string> confirmed_representative;
    std::optional<u128> confirmed_receivable; ///< `confirmed_receivable` or `confirmed_pending`.
};

/// One raw account_history entry (raw=true).
struct history_entry {
    /// Rebuilt from the entry with the history's account; hash recomputed and verified against
    /// the entry's `hash`.
    nano::block block;
    /// The entry's `account`: the counterparty (send: destination; receive/open: source
    /// account; epoch: signer), not the block's own account.
    std::optional<std::string> counterparty;
    std::optional<u128> amount;
    std::optional<std::string> linked_account;
    std::uint64_t local_timestamp = 0;
    std::uint64_t height = 0;
    std::optional<bool> confirmed; ///< V23+.
};

struct account_history {
    std::string account;
    std::vector<history_entry> history;  ///< `""` -> empty.
    std::optional<std::string> previous; ///< Next page (older) when `count` stopped early.
    std::optional<std::string> next;     ///< Next page with reverse=true.
};

struct block_count {
    std::uint64_t count = 0;
    std::uint64_t unchecked = 0;
    std::uint64_t cemented = 0;
    std::optional<std::uint64_t> full;   ///< Pruned nodes only.
    std::optional<std::uint64_t> pruned; ///< Pruned nodes only.
};

struct node_version {
    std::string node_vendor; ///< e.g. "Nano V27.1".
    std::optional<std::string> rpc_version;
    std::optional<std::string> store_version;
    std::optional<std::string> protocol_version;
    std::optional<std::string> store_vendor;
    std::optional<std::string> network;            ///< "live", "beta", "dev", "test".
    std::optional<std::string> network_identifier; ///< Genesis hash.
    std::optional<std::string> build_info;
};

struct confirmation_history_entry {
    std::string hash;
    std::uint64_t duration_ms = 0;
    std::uint64_t time = 0; ///< ms since epoch on current nodes (old docs show seconds).
    u128 tally = 0;
    std::optional<u128> final_tally;
    std::optional<std::uint64_t> blocks;
    std::optional<std::uint64_t> voters;
    std::optional<std::uint64_t> request_count;
};

struct confirmation_history {
    std::uint64_t count = 0;
    std::optional<std::uint64_t> average_ms;
    std::vector<confirmation_history_entry> confirmations; ///< `""` -> empty.
};

/// block_info with json_block=true (a JSON-string `contents` is parsed too). `requested_hash` (64
/// hex, either case) is the hash that was asked for; the recomputed hash must equal it.
[[nodiscard]] rpc_result<block_info> decode_block_info(
    std::string_view text, std::string_view requested_hash) noexcept;
/// blocks_info (json_block, include_not_found, source, receive_hash, include_linked_account all
/// supported). Each block's recomputed hash must equal its key.
[[nodiscard]] rpc_result<blocks_info> decode_blocks_info(std::string_view text) noexcept;
[[nodiscard]] rpc_result<block_hashes> decode_chain(std::string_view text) noexcept;
[[nodiscard]] rpc_result<block_hashes> decode_successors(std::string_view text) noexcept;
[[nodiscard]] rpc_result<account_info> decode_account_info(std::string_view text) noexcept;
/// account_history with raw=true.
[[nodiscard]] rpc_result<account_history> decode_account_history(std::string_view text) noexcept;
[[nodiscard]] rpc_result<block_count> decode_block_count(std::string_view text) noexcept;
[[nodiscard]] rpc_result<node_version> decode_version(std::string_view text) noexcept;
[[nodiscard]] rpc_result<confirmation_history> decode_confirmation_history(
    std::string_view text) noexcept;

} // namespace ledgertap::schema::nano
