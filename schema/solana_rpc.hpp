#pragma once

// Solana HTTP JSON-RPC responses used for gap detection and backfill (protocols/solana.md §2).
//
// Every decoder returns, in order of precedence:
//   - decode_error: the body is not a JSON-RPC response of the expected shape (malformed JSON,
//     a result of the wrong type, a bad key) — a transport or node bug, not an answer;
//   - rpc_reply::is_error(): the node answered with a JSON-RPC error (code + message); branch on
//     `error().code` against rpc_code below (-32004 retry, -32007/-32009 candidate skip, …);
//   - rpc_reply::result(): the typed result.
// Same rules as schema/solana.hpp: exact integers, validated base58, no exceptions, pure.

#include "schema/decode.hpp"
#include "schema/solana.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ledgertap::schema::solana {

/// JSON-RPC error codes a backfiller branches on (§1.3, §2.2). Any other code decodes too.
namespace rpc_code {
inline constexpr std::int64_t parse_error = -32700;
inline constexpr std::int64_t invalid_request = -32600;
inline constexpr std::int64_t method_not_found = -32601;
inline constexpr std::int64_t invalid_params = -32602; ///< Range/limit/commitment: a client bug.
inline constexpr std::int64_t internal_error = -32603;
/// "Block {slot} cleaned up, does not exist on node. First available block: {first}".
inline constexpr std::int64_t block_cleaned_up = -32001;
inline constexpr std::int64_t send_transaction_preflight_failure = -32002;
/// "Block not available for slot {slot}": retry later; never evidence of a skipped slot.
inline constexpr std::int64_t block_not_available = -32004;
inline constexpr std::int64_t node_unhealthy = -32005;
/// "Slot {slot} was skipped, or missing due to ledger jump to recent snapshot": candidate skip.
inline constexpr std::int64_t slot_skipped = -32007;
/// "Slot {slot} was skipped, or missing in long-term storage": candidate skip (BigTable).
inline constexpr std::int64_t long_term_storage_slot_skipped = -32009;
inline constexpr std::int64_t transaction_history_not_available = -32011;
/// "Block status not yet available for slot {slot}": retry shortly.
inline constexpr std::int64_t block_status_not_yet_available = -32014;
inline constexpr std::int64_t unsupported_transaction_version = -32015;
/// "Minimum context slot has not been reached": node behind; retry or use another node.
inline constexpr std::int64_t min_context_slot_not_reached = -32016;
inline constexpr std::int64_t epoch_rewards_period_active = -32017;
inline constexpr std::int64_t long_term_storage_unreachable = -32019;
} // namespace rpc_code

/// Short snake_case name of a known code ("block_not_available"), or "unknown".
[[nodiscard]] const char* rpc_code_name(std::int64_t code) noexcept;

/// A decoded JSON-RPC response: the result or the node's error, plus the response id.
template<typename T>
struct rpc_reply {
    std::optional<std::uint64_t> id; ///< nullopt for `"id":null`.
    std::variant<T, rpc_error> body;

    [[nodiscard]] bool is_error() const noexcept { return body.index() == 1; }
    [[nodiscard]] const rpc_error& error() const { return std::get<1>(body); }
    [[nodiscard]] const T& result() const { return std::get<0>(body); }
    [[nodiscard]] T& result() { return std::get<0>(body); }
};

enum class commitment { processed, confirmed, finalized };
[[nodiscard]] const char* to_string(commitment level) noexcept;

/// One getSignatureStatuses entry.
struct signature_status {
    std::uint64_t slot = 0;
    std::optional<std::uint64_t> confirmations; ///< null <=> rooted (finalized).
    std::optional<std::string> err;             ///< Compact JSON; nullopt when null.
    std::optional<commitment> confirmation_status; ///< Absent or null -> nullopt.
};

/// getSignatureStatuses result: one entry per requested signature, nullopt for unknown ones.
struct signature_statuses {
    std::uint64_t context_slot = 0;
    std::optional<std::string> api_version; ///< context.apiVersion.
    std::vector<std::optional<signature_status>> value;
};

/// getSlot: u64.
[[nodiscard]] decode_result<rpc_reply<std::uint64_t>> decode_get_slot(std::string_view body) noexcept;
/// getBlocks: slots with a block, strictly ascending (anything else is a decode_error).
[[nodiscard]] decode_result<rpc_reply<std::vector<std::uint64_t>>> decode_get_blocks(
    std::string_view body) noexcept;
/// getBlocksWithLimit: same shape and checks as getBlocks.
[[nodiscard]] decode_result<rpc_reply<std::vector<std::uint64_t>>> decode_get_blocks_with_limit(
    std::string_view body) noexcept;
/// getBlock: the block, or nullopt for a `null` result (retry / ask another node).
[[nodiscard]] decode_result<rpc_reply<std::optional<block>>> decode_get_block(
    std::string_view body) noexcept;
/// getBlockTime: Unix seconds, or nullopt for `null`.
[[nodiscard]] decode_result<rpc_reply<std::optional<std::int64_t>>> decode_get_block_time(
    std::string_view body) noexcept;
/// getFirstAvailableBlock: u64.
[[nodiscard]] decode_result<rpc_reply<std::uint64_t>> decode_get_first_available_block(
    std::string_view body) noexcept;
[[nodiscard]] decode_result<rpc_reply<signature_statuses>> decode_get_signature_statuses(
    std::string_view body) noexcept;
[[nodiscard]] decode_result<rpc_reply<version_info>> decode_get_version(
    std::string_view body) noexcept;

} // namespace ledgertap::schema::solana
