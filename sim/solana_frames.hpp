#pragma once

// JSON text of everything the simulated Solana node sends, byte-compatible with Agave: compact
// JSON, keys in the order serde serializes Agave's structs, u64 values as exact JSON numbers,
// strings escaped as serde_json escapes them. PubSub envelopes (protocols/solana.md §1.2-1.4) and
// HTTP results (§2.1). Pure: no I/O, no clock.

#include "schema/codec.hpp"
#include "sim/solana_chain.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ledgertap::sim {

enum class solana_commitment : std::uint8_t { processed, confirmed, finalized };
/// Transaction encodings of getBlock/blockSubscribe. `binary` is the legacy bare base58 string.
enum class solana_tx_encoding : std::uint8_t { binary, base58, base64, json, json_parsed };
/// Account data encodings. `binary` is the legacy bare base58 string (the PubSub default).
enum class solana_account_encoding : std::uint8_t {
    binary,
    base58,
    base64,
    base64_zstd,
    json_parsed
};
enum class solana_tx_details : std::uint8_t { full, accounts, signatures, none };

[[nodiscard]] std::string_view to_string(solana_commitment c) noexcept;
[[nodiscard]] std::optional<solana_commitment> parse_commitment(std::string_view text) noexcept;
[[nodiscard]] std::optional<solana_tx_encoding> parse_tx_encoding(std::string_view text) noexcept;
[[nodiscard]] std::optional<solana_account_encoding> parse_account_encoding(
    std::string_view text) noexcept;
[[nodiscard]] std::optional<solana_tx_details> parse_tx_details(std::string_view text) noexcept;

/// How a block is rendered (getBlock config, or blockSubscribe config and filter).
struct solana_block_config {
    solana_tx_encoding encoding = solana_tx_encoding::json;
    solana_tx_details details = solana_tx_details::full;
    bool rewards = true;
    std::optional<std::uint8_t> max_supported_version;
    /// blockSubscribe mentionsAccountOrProgram: only transactions mentioning this key.
    std::optional<schema::bytes32> mentions;
};

struct solana_data_slice {
    std::size_t offset = 0;
    std::size_t length = 0;
};

// ---- JSON primitives ---------------------------------------------------------------------------

namespace solana_json {

/// Appends `text` as a JSON string, escaped like serde_json (", \\, control characters; nothing
/// else, so UTF-8 passes through and '/' is not escaped).
void append_string(std::string& out, std::string_view text);
void append_u64(std::string& out, std::uint64_t value);
void append_i64(std::string& out, std::int64_t value);
/// Appends a double as serde_json (ryu) prints it: shortest round-trip, always with a '.' or 'e'.
void append_f64(std::string& out, double value);

} // namespace solana_json

// ---- envelopes ---------------------------------------------------------------------------------

/// `{"jsonrpc":"2.0","method":M,"params":{"result":R,"subscription":S}}`
[[nodiscard]] std::string solana_notification(
    std::string_view method, std::string_view result, std::uint64_t subscription);
/// The same, appended to `out` (for frames built in place with headroom).
void append_solana_notification(
    std::string& out, std::string_view method, std::string_view result, std::uint64_t subscription);
/// `{"jsonrpc":"2.0","result":R,"id":ID}`; `id_json` is the request id as JSON text.
[[nodiscard]] std::string solana_result(std::string_view id_json, std::string_view result);
/// `{"jsonrpc":"2.0","error":{"code":C,"message":M[,"data":D]},"id":ID}`
[[nodiscard]] std::string solana_error(
    std::string_view id_json, int code, std::string_view message, std::string_view data_json = {});
/// `{"context":{"slot":S[,"apiVersion":V]},"value":VALUE}`. PubSub contexts have no apiVersion.
[[nodiscard]] std::string solana_context(
    std::uint64_t slot, std::string_view value, std::string_view api_version = {});

// ---- PubSub results ----------------------------------------------------------------------------

[[nodiscard]] std::string solana_slot_result(
    std::uint64_t slot, std::uint64_t parent, std::uint64_t root);

enum class solana_slot_update : std::uint8_t {
    first_shred_received,
    completed,
    created_bank,
    frozen,
    dead,
    optimistic_confirmation,
    root,
};

[[nodiscard]] std::string_view to_string(solana_slot_update kind) noexcept;

/// One slotsUpdatesNotification result. `parent` is used by created_bank, `stats` by frozen,
/// `err` by dead; other kinds ignore them.
[[nodiscard]] std::string solana_slots_update(
    solana_slot_update kind,
    std::uint64_t slot,
    std::uint64_t timestamp_ms,
    std::uint64_t parent = 0,
    const solana_frozen_stats& stats = {},
    std::string_view err = {});

/// logsNotification value: `{"signature":..,"err":..,"logs":[..]}`
[[nodiscard]] std::string solana_logs_value(const solana_transaction& tx);
/// signatureNotification values: `{"err":..}` and the string "receivedSignature".
[[nodiscard]] std::string solana_signature_value(std::string_view err_json);
[[nodiscard]] std::string solana_received_signature_value();
/// blockNotification value: `{"slot":S,"block":B|null,"err":E|null}`; `block_json` empty = null.
[[nodiscard]] std::string solana_block_update(
    std::uint64_t slot, std::string_view block_json, std::string_view err_json);

/// Bytes of a transaction in the wire format: compact-u16 signature count, the 64-byte
/// signatures, then the (legacy or v0) message.
[[nodiscard]] std::vector<std::uint8_t> solana_wire_transaction(const solana_transaction& tx);
/// A valid zstd frame holding `bytes` uncompressed (raw blocks), for base64+zstd.
[[nodiscard]] std::vector<std::uint8_t> zstd_raw_frame(std::span<const std::uint8_t> bytes);
/// The UI amount string of a token amount ("1.5", "0.000001", "12").
[[nodiscard]] std::string token_ui_amount_string(std::uint64_t amount, std::uint8_t decimals);

/// Renders chain objects. Keeps a memo of base58 key names (keys repeat constantly), so it is
/// stateful: one per node, used on one thread.
class solana_encoder {
public:
    explicit solana_encoder(const solana_chain& chain);

    /// base58 of a key, memoized.
    [[nodiscard]] const std::string& name(const schema::bytes32& key);

    /// Appends a UiConfirmedBlock. Returns false (appending nothing) when the block holds a v0
    /// transaction and no max_supported_version was given. With `mentions`, only mentioning
    /// transactions are rendered; `matched` (if given) receives how many.
    [[nodiscard]] bool append_block(
        std::string& out,
        const solana_block& block,
        const solana_block_config& config,
        std::size_t* matched = nullptr);

    /// An account (UiAccount) value.
    [[nodiscard]] std::string account_value(
        const solana_account_state& account,
        solana_account_encoding encoding,
        const std::optional<solana_data_slice>& slice);
    /// programNotification value `{"pubkey":..,"account":UiAccount}`.
    [[nodiscard]] std::string keyed_account_value(
        const solana_account_state& account,
        solana_account_encoding encoding,
        const std::optional<solana_data_slice>& slice);
    /// voteNotification result for a vote transaction.
    [[nodiscard]] std::string vote_value(const solana_transaction& tx);
    /// One getSignatureStatuses entry.
    [[nodiscard]] std::string signature_status(
        std::uint64_t slot,
        const solana_transaction& tx,
        std::optional<std::uint64_t> confirmations,
        solana_commitment status);

private:
    void append_name(std::string& out, const schema::bytes32& key);
    void append_transaction(
        std::string& out, const solana_transaction& tx, const solana_block_config& config);
    void append_raw_message(std::string& out, const solana_transaction& tx);
    void append_parsed_message(std::string& out, const solana_transaction& tx);
    void append_parsed_keys(std::string& out, const solana_transaction& tx);
    void append_instruction_parsed(
        std::string& out, const solana_transaction& tx, const solana_instruction& ix);
    void append_meta(
        std::string& out,
        const solana_transaction& tx,
        const solana_block_config& config,
        bool parsed);
    void append_token_balances(std::string& out, const std::vector<solana_token_balance>& balances);
    void append_account_data(
        std::string& out,
        const solana_account_state& account,
        solana_account_encoding encoding,
        const std::optional<solana_data_slice>& slice);

    struct key_hash {
        std::size_t operator()(const schema::bytes32& key) const noexcept;
    };
    std::unordered_map<schema::bytes32, std::string, key_hash> names_;
    solana_well_known known_;
};

} // namespace ledgertap::sim
