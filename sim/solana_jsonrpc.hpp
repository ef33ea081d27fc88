#pragma once

// JSON-RPC 2.0 plumbing shared by the simulated Solana node's PubSub socket and HTTP server,
// answering as jsonrpc-core (the library Agave uses) does: parse error -32700 with id null,
// -32600 for requests that are not valid objects or carry no "jsonrpc":"2.0", no reply for
// notifications (no id), batches answered as arrays. Parameter errors read like serde's
// ("Invalid params: invalid type: integer `5`, expected a string."). Pure: text in, text out.

#include "schema/codec.hpp"
#include "sim/solana_frames.hpp"

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace ledgertap::sim {

/// Standard JSON-RPC and Agave custom error codes.
namespace solana_errc {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
inline constexpr int block_cleaned_up = -32001;
inline constexpr int block_not_available = -32004;
inline constexpr int node_unhealthy = -32005;
inline constexpr int slot_skipped = -32007;
inline constexpr int unsupported_transaction_version = -32015;
inline constexpr int min_context_slot_not_reached = -32016;
} // namespace solana_errc

/// An error to answer with.
struct solana_rpc_error {
    int code = solana_errc::invalid_params;
    std::string message;
    std::string data_json; ///< optional "data" member, as JSON text
};

/// One validated call.
struct solana_call {
    std::string id_json = "null"; ///< the request id as JSON text
    std::string method;
    const rapidjson::Value* params = nullptr; ///< array or object; nullptr when absent
};

/// What a method handler returns: a result as JSON text, or an error.
using solana_outcome = std::variant<std::string, solana_rpc_error>;
using solana_method_handler = std::function<solana_outcome(const solana_call&)>;

/// Answers one request text (an object or a batch array). Returns the reply text, or nullopt
/// when nothing is to be sent (only notifications). Never throws for bad input.
[[nodiscard]] std::optional<std::string> solana_handle_jsonrpc(
    std::string_view text, const solana_method_handler& handler);

/// Renders an outcome as the reply for `call`.
[[nodiscard]] std::string solana_reply(const solana_call& call, const solana_outcome& outcome);

/// True when `text` is valid UTF-8 (Agave closes the socket on anything else).
[[nodiscard]] bool valid_utf8(std::string_view text) noexcept;

// ---- serde-like parameter reading ---------------------------------------------------------------

/// How serde names a JSON value in "invalid type" errors: "integer `5`", "string \"x\"",
/// "boolean `true`", "null", "map", "sequence", "floating point `1.5`".
[[nodiscard]] std::string serde_describe(const rapidjson::Value& value);
/// "Invalid params: invalid type: <describe>, expected <expected>."
[[nodiscard]] solana_rpc_error invalid_type(
    const rapidjson::Value& value, std::string_view expected);
[[nodiscard]] solana_rpc_error invalid_params(std::string message);

/// Positional parameters of a call, with jsonrpc-derive's arity errors.
class solana_positional {
public:
    /// `required` leading parameters, up to `max` in all. Errors: "`params` should be an array",
    /// "`params` should have at least N argument(s)", "Expected from N to M parameters.".
    [[nodiscard]] static std::variant<solana_positional, solana_rpc_error> from(
        const solana_call& call, std::size_t required, std::size_t max);
    /// For methods without parameters: absent or [] only ("No parameters were expected").
    [[nodiscard]] static std::optional<solana_rpc_error> expect_none(const solana_call& call);

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    /// Parameter `i`, or nullptr when absent (or JSON null, which serde reads as None).
    [[nodiscard]] const rapidjson::Value* at(std::size_t i) const noexcept;

private:
    const rapidjson::Value* array_ = nullptr;
    std::size_t size_ = 0;
};

/// Reads optional members of a config object with serde's messages. Every getter records the
/// first error; check error() once at the end.
class solana_config_reader {
public:
    /// `value` may be nullptr (no config). A non-object yields "invalid type: …, expected struct
    /// <struct_name>".
    solana_config_reader(const rapidjson::Value* value, std::string_view struct_name);

    [[nodiscard]] const std::optional<solana_rpc_error>& error() const noexcept { return error_; }
    [[nodiscard]] bool has(std::string_view key) const noexcept;
    [[nodiscard]] const rapidjson::Value* raw(std::string_view key) const noexcept;

    [[nodiscard]] std::optional<solana_commitment> commitment();
    [[nodiscard]] std::optional<bool> boolean(std::string_view key);
    [[nodiscard]] std::optional<std::uint64_t> u64(
        std::string_view key, std::string_view type = "u64");
    [[nodiscard]] std::optional<std::string> string(std::string_view key);
    [[nodiscard]] std::optional<solana_tx_encoding> tx_encoding();
    [[nodiscard]] std::optional<solana_account_encoding> account_encoding();
    [[nodiscard]] std::optional<solana_tx_details> tx_details();
    [[nodiscard]] std::optional<solana_data_slice> data_slice();
    void fail(solana_rpc_error error);

private:
    const rapidjson::Value* object_ = nullptr;
    std::optional<solana_rpc_error> error_;
};

/// Reads a u64 parameter ("expected u64").
[[nodiscard]] std::variant<std::uint64_t, solana_rpc_error> read_u64_param(
    const rapidjson::Value* value, std::string_view type = "u64");
/// Reads a string parameter ("expected a string").
[[nodiscard]] std::variant<std::string, solana_rpc_error> read_string_param(
    const rapidjson::Value* value);

/// A base58 key of exactly 32 bytes.
[[nodiscard]] std::optional<schema::bytes32> parse_pubkey(std::string_view text);
/// A base58 signature of exactly 64 bytes.
[[nodiscard]] std::optional<schema::bytes64> parse_signature(std::string_view text);

/// serde's "unknown variant" message body for an enum.
[[nodiscard]] std::string unknown_variant(std::string_view got, std::string_view expected_list);

} // namespace ledgertap::sim
