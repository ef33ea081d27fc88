#pragma once

// Solana PubSub (WebSocket) messages as typed events (protocols/solana.md §1).
//
// Normal forms: public keys, block hashes and signatures are base58 text exactly as the node sent
// it, checked to decode to 32 (keys, hashes) or 64 (signatures) bytes. Every integer is read
// exactly (u64 or i64, never through double): a number RapidJSON could only hold as a double — a
// fraction, an exponent, anything beyond 2^64-1 — is a bad_field, never a rounded value.
// Transaction and block errors are kept as compact JSON text (`"AccountNotFound"`,
// `{"InstructionError":[0,{"Custom":6001}]}`); strings (log lines) are kept byte for byte,
// including escaped NUL and control characters.
//
// decode_pubsub_message() is pure and total: no I/O, no exceptions, and every error names the
// field ("params.result.value.lamports: not an integer in 0..2^64-1").

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

namespace ledgertap::schema::solana {

/// Base58 of the Vote program id; a transaction that lists it among its account keys is a vote.
inline constexpr std::string_view vote_program_id = "Vote111111111111111111111111111111111111111";

// ---- JSON-RPC envelopes ---------------------------------------------------------------------------

/// `{"result":<u64>,"id":N}`: the answer to any *Subscribe request.
struct subscribe_ok {
    std::uint64_t request_id = 0;
    std::uint64_t subscription = 0; ///< Provider ids can exceed 2^53.
};

/// `{"result":true|false,"id":N}`: the answer to any *Unsubscribe request.
struct unsubscribe_ok {
    std::uint64_t request_id = 0;
    bool result = false;
};

/// getVersion result (served on the PubSub socket too; a cheap liveness probe).
struct version_info {
    std::string solana_core;                ///< "solana-core", e.g. "2.1.14".
    std::optional<std::uint32_t> feature_set; ///< "feature-set"; absent or null -> nullopt.
};

/// `{"result":{"solana-core":…},"id":N}`.
struct version_ok {
    std::uint64_t request_id = 0;
    version_info version;
};

/// A JSON-RPC error response (§1.3, §2.2). Any integer code decodes, including provider-specific
/// positive ones (Syndica 7429).
struct rpc_error {
    std::optional<std::uint64_t> request_id; ///< nullopt for `"id":null` (parse errors).
    std::int64_t code = 0;
    std::string message;
    std::optional<std::string> data; ///< Compact JSON text of `error.data`, when present.
};

// ---- node progress ----------------------------------------------------------------------------

/// slotNotification: a bank was created for `slot` (§1.4).
struct slot_notification {
    std::uint64_t subscription = 0;
    std::uint64_t slot = 0;
    std::uint64_t parent = 0;
    std::uint64_t root = 0;
};

enum class slots_update_kind {
    first_shred_received,
    completed,
    created_bank,
    frozen,
    dead,
    optimistic_confirmation,
    root,
    unknown, ///< A type this decoder does not know; slots_update::raw_type keeps it.
};

/// The wire name ("firstShredReceived", …); "unknown" for unknown.
[[nodiscard]] const char* to_string(slots_update_kind kind) noexcept;

/// frozen: replay statistics of the bank.
struct slot_stats {
    std::uint64_t num_transaction_entries = 0;
    std::uint64_t num_successful_transactions = 0;
    std::uint64_t num_failed_transactions = 0;
    std::uint64_t max_transactions_per_entry = 0;
};

/// slotsUpdatesNotification. `slot` and `timestamp_ms` are required for the known kinds; for an
/// unknown kind they read as 0 when absent (a mistyped value is still an error).
struct slots_update {
    std::uint64_t subscription = 0;
    slots_update_kind kind = slots_update_kind::unknown;
    std::string raw_type; ///< The `type` string as sent (for every kind).
    std::uint64_t slot = 0;
    std::uint64_t timestamp_ms = 0;     ///< Milliseconds since the Unix epoch.
    std::optional<std::uint64_t> parent; ///< created_bank only.
    std::optional<slot_stats> stats;     ///< frozen only.
    std::optional<std::string> err;      ///< dead only: the error string as sent ("error: …").
};

/// rootNotification: the node rooted `slot`.
struct root_notification {
    std::uint64_t subscription = 0;
    std::uint64_t slot = 0;
};

/// voteNotification (gossip votes, pre-consensus).
struct vote_notification {
    std::uint64_t subscription = 0;
    std::string vote_pubkey;
    std::vector<std::uint64_t> slots;
    std::string hash;
    std::optional<std::int64_t> timestamp; ///< Unix seconds; null -> nullopt.
    std::string signature;
};

// ---- blocks -------------------------------------------------------------------------------------

/// How one transaction was delivered, inferred from its shape.
enum class transaction_encoding {
    json,        ///< `transaction.message.accountKeys` are strings.
    json_parsed, ///< `transaction.message.accountKeys` are objects.
    accounts,    ///< transactionDetails "accounts": `transaction.accountKeys`, no message.
    base64,      ///< `["<data>","base64"]`.
    base58,      ///< `["<data>","base58"]`.
    binary,      ///< Deprecated "binary" encoding: a bare base58 string.
};

[[nodiscard]] const char* to_string(transaction_encoding encoding) noexcept;

enum class transaction_details { full, accounts, signatures, none };

[[nodiscard]] const char* to_string(transaction_details details) noexcept;

struct transaction_meta {
    std::optional<std::string> err; ///< Compact JSON of `meta.err`; nullopt when null.
    std::uint64_t fee = 0;
    std::vector<std::uint64_t> pre_balances;
    std::vector<std::uint64_t> post_balances;
    std::optional<std::uint64_t> compute_units_consumed;
    /// Absent or null -> nullopt (transactionDetails "accounts" never has them).
    std::optional<std::vector<std::string>> log_messages;
};

struct transaction {
    /// The first signature (the transaction id); for binary encodings taken from the wire format
    /// (compact-u16 count, then 64-byte signatures) and base58-encoded.
    std::string signature;
    std::uint32_t index = 0; ///< Position in the block's `transactions`.
    transaction_encoding encoding = transaction_encoding::json;
    /// "legacy" or the decimal version ("0"); nullopt when the node sent no `version` (requests
    /// without maxSupportedTransactionVersion).
    std::optional<std::string> version;
    /// Whether the Vote program is among the account keys (static keys for binary encodings);
    /// always set by this decoder.
    std::optional<bool> is_vote;
    std::optional<transaction_meta> meta; ///< `"meta":null` -> nullopt.
};

struct reward {
    std::string pubkey;
    std::int64_t lamports = 0; ///< Signed: can be negative.
    std::uint64_t post_balance = 0;
    std::optional<std::string> reward_type; ///< "Fee", "Rent", "Staking", "Voting"; null -> nullopt.
    std::optional<std::uint8_t> commission;
};

/// UiConfirmedBlock: a blockSubscribe value.block or a getBlock result (§2.1).
struct block {
    std::string blockhash;
    std::string previous_blockhash;
    std::uint64_t parent_slot = 0;
    std::optional<std::int64_t> block_time;
    std::optional<std::uint64_t> block_height;
    /// Inferred: `transactions` present -> full (accounts when every transaction has the accounts
    /// shape and there is at least one); `signatures` present -> signatures; neither -> none.
    transaction_details details = transaction_details::none;
    std::vector<transaction> transactions; ///< full and accounts.
    std::vector<std::string> signatures;   ///< signatures.
    std::optional<std::vector<reward>> rewards; ///< Absent (rewards off) or null -> nullopt.
    std::optional<std::uint64_t> num_reward_partitions;
};

/// blockNotification. On an encode failure the node sends `block: null` with `err`, and then
/// `slot` (value.slot) is the trigger slot while `context_slot` is the failing slot (§1.4).
struct block_notification {
    std::uint64_t subscription = 0;
    std::uint64_t context_slot = 0;
    std::uint64_t slot = 0;
    std::optional<block> value; ///< `block: null` -> nullopt.
    std::optional<std::string> err; ///< Compact JSON ("\"BlockStoreError\"", {"UnsupportedTransactionVersion":0}).
};

// ---- transactions, accounts ---------------------------------------------------------------------

/// logsNotification.
struct logs_notification {
    std::uint64_t subscription = 0;
    std::uint64_t context_slot = 0;
    std::string signature;
    std::optional<std::string> err; ///< Compact JSON; nullopt when null.
    std::vector<std::string> logs;  ///< `null` reads as empty. Bytes kept exactly.
};

enum class account_encoding {
    binary,      ///< Legacy default: a bare base58 string.
    base58,      ///< `["…","base58"]`.
    base64,      ///< `["…","base64"]` (also jsonParsed's fallback).
    base64_zstd, ///< `["…","base64+zstd"]`: bytes kept zstd-compressed.
    json_parsed, ///< `{"program":…,"parsed":…,"space":…}` kept as compact JSON.
};

[[nodiscard]] const char* to_string(account_encoding encoding) noexcept;

struct account_data {
    account_encoding encoding = account_encoding::base64;
    /// Decoded bytes (still compressed for base64_zstd); empty for json_parsed and too_large.
    std::vector<std::uint8_t> bytes;
    std::string parsed_json; ///< json_parsed only.
    /// binary/base58: the node sent "error: data too large for bs58 encoding" instead of data.
    bool too_large = false;
};

/// UiAccount.
struct account {
    std::uint64_t lamports = 0;
    std::string owner;
    bool executable = false;
    std::uint64_t rent_epoch = 0; ///< u64: 18446744073709551615 for rent-exempt accounts.
    std::optional<std::uint64_t> space;
    account_data data;
};

/// accountNotification.
struct account_notification {
    std::uint64_t subscription = 0;
    std::uint64_t context_slot = 0;
    solana::account account;
};

/// programNotification.
struct program_notification {
    std::uint64_t subscription = 0;
    std::uint64_t context_slot = 0;
    std::string pubkey;
    solana::account account;
};

enum class signature_state {
    received,  ///< value "receivedSignature" (enableReceivedNotification).
    processed, ///< value {"err":…}; the subscription ends with it.
};

/// signatureNotification.
struct signature_notification {
    std::uint64_t subscription = 0;
    std::uint64_t context_slot = 0;
    signature_state state = signature_state::processed;
    std::optional<std::string> err; ///< processed only: compact JSON; nullopt when null.
};

using pubsub_message = std::variant<
    subscribe_ok, unsubscribe_ok, version_ok, rpc_error, slot_notification, slots_update,
    root_notification, vote_notification, block_notification, logs_notification,
    account_notification, program_notification, signature_notification>;

/// Decodes one PubSub text frame. Errors: malformed_json (not JSON, truncated, invalid UTF-8),
/// too_large (nesting deeper than 64), unexpected_shape (not a JSON-RPC response or notification;
/// an unknown notification method, named in the detail), bad_field (a known message with a
/// missing, mistyped or out-of-range field).
[[nodiscard]] decode_result<pubsub_message> decode_pubsub_message(std::string_view text) noexcept;

// ---- shared with the HTTP RPC decoders (schema/solana_rpc.cpp); not for use outside schema/ ----

namespace detail {

/// Reads a UiConfirmedBlock object; failures are recorded in the object's errors.
[[nodiscard]] std::optional<block> read_block(const json::object& value);
/// Reads a getVersion result object.
[[nodiscard]] std::optional<version_info> read_version(const json::object& value);
/// Reads the response `id`: absent or null -> nullopt (*ok stays true); a u64 -> the id; anything
/// else records a bad_field and sets *ok to false.
[[nodiscard]] std::optional<std::uint64_t> read_request_id(const json::object& envelope, bool* ok);
/// Reads a response's `error` member (the caller checked it is present) into an rpc_error.
[[nodiscard]] std::optional<rpc_error> read_rpc_error(const json::object& envelope);
/// Compact JSON of an error member (`err`); nullopt when it is JSON null, or absent and not
/// `required` (absent and required records "missing").
[[nodiscard]] std::optional<std::string> error_text(
    const json::object& parent, std::string_view key, bool required);

} // namespace detail

} // namespace ledgertap::schema::solana
