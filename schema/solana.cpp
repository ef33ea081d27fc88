// Solana PubSub decoder (protocols/solana.md §1). Reading model: schema/json.hpp — every reader
// records the first failure with its field path, and the decoder checks once at the end.

#include "schema/solana.hpp"

#include "schema/codec.hpp"
#include "schema/json.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ledgertap::schema::solana {

namespace {

constexpr std::size_t key_size = 32;
constexpr std::size_t signature_size = 64;
/// Longest base58 payload decoded (transactions, legacy account data). Base58 decoding is
/// quadratic; the node never base58-encodes more than a transaction (1,232 bytes) or 128 bytes of
/// account data, so this only stops hostile input.
constexpr std::size_t max_base58_payload = 8192;
constexpr std::string_view too_large_for_bs58 = "error: data too large for bs58 encoding";
constexpr std::uint64_t max_transaction_version = 127; // the version byte keeps 7 bits

/// Vote111111111111111111111111111111111111111 as bytes.
constexpr std::array<std::uint8_t, key_size> vote_program_bytes = {
    0x07, 0x61, 0x48, 0x1d, 0x35, 0x74, 0x74, 0xbb, 0x7c, 0x4d, 0x76, 0x24, 0xeb, 0xd3, 0xbd, 0xb3,
    0xd8, 0x35, 0x5e, 0x73, 0xd1, 0x10, 0x43, 0xfc, 0x0d, 0xa3, 0x53, 0x80, 0x00, 0x00, 0x00, 0x00};

// ---- small readers on top of schema/json.hpp ----------------------------------------------------

std::string_view string_of(const rapidjson::Value& value) {
    return {value.GetString(), value.GetStringLength()};
}

/// A required string member kept byte for byte (NUL and control characters allowed).
std::optional<std::string> text(const json::object& obj, std::string_view key) {
    const rapidjson::Value* member = obj.find(key);
    if (member == nullptr) {
        obj.fail(key, "missing");
        return std::nullopt;
    }
    if (!member->IsString()) {
        obj.fail(key, std::string("expected a string, got ") + json::type_name(*member));
        return std::nullopt;
    }
    return std::string(string_of(*member));
}

std::string base58_problem(std::size_t size) {
    return "not base58 of " + std::to_string(size) + " bytes";
}

/// A required base58 string decoding to exactly `size` bytes.
std::optional<std::string> base58_member(
    const json::object& obj, std::string_view key, std::size_t size) {
    const auto value = obj.string(key);
    if (!value) {
        return std::nullopt;
    }
    if (!is_base58_of_size(*value, size)) {
        obj.fail(key, base58_problem(size));
        return std::nullopt;
    }
    return std::string(*value);
}

std::optional<std::string> base58_at(const json::array& arr, std::size_t index, std::size_t size) {
    const auto value = arr.string_at(index);
    if (!value) {
        return std::nullopt;
    }
    if (!is_base58_of_size(*value, size)) {
        arr.fail(index, base58_problem(size));
        return std::nullopt;
    }
    return std::string(*value);
}

/// Absent or null -> nullopt without an error.
std::optional<std::uint64_t> nullable_u64(const json::object& obj, std::string_view key) {
    if (!obj.has(key) || obj.is_null(key)) {
        return std::nullopt;
    }
    return obj.number_u64(key);
}

std::optional<std::int64_t> nullable_i64(const json::object& obj, std::string_view key) {
    if (!obj.has(key) || obj.is_null(key)) {
        return std::nullopt;
    }
    return obj.number_i64(key);
}

std::optional<std::vector<std::uint64_t>> u64_array(const json::object& obj, std::string_view key) {
    const auto arr = obj.child_array(key);
    if (!arr) {
        return std::nullopt;
    }
    std::vector<std::uint64_t> out;
    out.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const rapidjson::Value& element = arr->at(i);
        if (!element.IsUint64()) {
            arr->fail(
                i, element.IsNumber() ? std::string("not an integer in 0..2^64-1")
                                      : std::string("expected an unsigned integer, got ")
                                            + json::type_name(element));
            return std::nullopt;
        }
        out.push_back(element.GetUint64());
    }
    return out;
}

/// `[<string>, <string>]`: binary payload and its encoding tag.
struct tagged_payload {
    std::string_view data;
    std::string_view tag;
};

std::optional<tagged_payload> tagged(
    const json::object& parent, std::string_view key, const rapidjson::Value& value) {
    if (!value.IsArray() || value.Size() != 2 || !value[0].IsString() || !value[1].IsString()) {
        parent.fail(key, "expected [\"<data>\", \"<encoding>\"]");
        return std::nullopt;
    }
    return tagged_payload{string_of(value[0]), string_of(value[1])};
}

std::optional<std::vector<std::uint8_t>> decode_payload(
    const json::object& parent, std::string_view key, std::string_view data, bool base58) {
    if (base58) {
        if (data.size() > max_base58_payload) {
            parent.errs().fail(
                decode_errc::too_large,
                parent.path_of(key) + ": base58 payload longer than "
                    + std::to_string(max_base58_payload) + " characters");
            return std::nullopt;
        }
        auto bytes = base58_decode(data);
        if (!bytes) {
            parent.fail(key, "not base58");
        }
        return bytes;
    }
    auto bytes = base64_decode(data);
    if (!bytes) {
        parent.fail(key, "not base64");
    }
    return bytes;
}

// ---- binary transactions ------------------------------------------------------------------------

/// Solana's compact-u16 (1–3 bytes, 7 bits each, little-endian); canonical encodings only.
std::optional<std::uint16_t> read_compact_u16(std::span<const std::uint8_t> bytes, std::size_t& pos) {
    std::uint32_t value = 0;
    for (unsigned i = 0; i < 3; ++i) {
        if (pos >= bytes.size()) {
            return std::nullopt;
        }
        const std::uint8_t byte = bytes[pos++];
        value |= static_cast<std::uint32_t>(byte & 0x7FU) << (7U * i);
        if ((byte & 0x80U) == 0) {
            if (i > 0 && byte == 0) {
                return std::nullopt; // a redundant zero byte
            }
            if (value > 0xFFFFU) {
                return std::nullopt;
            }
            return static_cast<std::uint16_t>(value);
        }
    }
    return std::nullopt; // a third byte with its continuation bit set
}

struct wire_summary {
    std::string first_signature;
    bool is_vote = false;
};

/// The first signature and the static account keys of a serialised transaction:
/// compact-u16 signature count, 64-byte signatures, then the message — an optional version
/// prefix byte (high bit set), a 3-byte header, compact-u16 key count and 32-byte keys.
std::optional<wire_summary> summarize_wire(std::span<const std::uint8_t> bytes, std::string& problem) {
    std::size_t pos = 0;
    const auto signatures = read_compact_u16(bytes, pos);
    if (!signatures) {
        problem = "bad signature count";
        return std::nullopt;
    }
    if (*signatures == 0) {
        problem = "no signatures";
        return std::nullopt;
    }
    if (bytes.size() - pos < std::size_t{*signatures} * signature_size) {
        problem = "truncated signatures";
        return std::nullopt;
    }
    wire_summary out;
    out.first_signature = base58_encode(bytes.subspan(pos, signature_size));
    pos += std::size_t{*signatures} * signature_size;

    constexpr std::uint8_t version_prefix = 0x80;
    constexpr std::size_t header_size = 3;
    if (pos < bytes.size() && (bytes[pos] & version_prefix) != 0) {
        ++pos;
    }
    if (bytes.size() - pos < header_size) {
        problem = "truncated message header";
        return std::nullopt;
    }
    pos += header_size;
    const auto keys = read_compact_u16(bytes, pos);
    if (!keys) {
        problem = "bad account key count";
        return std::nullopt;
    }
    if (bytes.size() - pos < std::size_t{*keys} * key_size) {
        problem = "truncated account keys";
        return std::nullopt;
    }
    for (std::size_t k = 0; k < *keys; ++k) {
        const auto key = bytes.subspan(pos + k * key_size, key_size);
        if (std::equal(key.begin(), key.end(), vote_program_bytes.begin())) {
            out.is_vote = true;
        }
    }
    return out;
}

// ---- transactions and blocks --------------------------------------------------------------------

std::optional<transaction_meta> read_meta(const json::object& meta) {
    transaction_meta out;
    out.err = detail::error_text(meta, "err", true);
    const auto fee = meta.number_u64("fee");
    auto pre = u64_array(meta, "preBalances");
    auto post = u64_array(meta, "postBalances");
    out.compute_units_consumed = nullable_u64(meta, "computeUnitsConsumed");
    if (meta.has("logMessages") && !meta.is_null("logMessages")) {
        const auto logs = meta.child_array("logMessages");
        if (logs) {
            std::vector<std::string> lines;
            lines.reserve(logs->size());
            for (std::size_t i = 0; i < logs->size(); ++i) {
                const rapidjson::Value& line = logs->at(i);
                if (!line.IsString()) {
                    logs->fail(i, std::string("expected a string, got ") + json::type_name(line));
                    return std::nullopt;
                }
                lines.emplace_back(string_of(line));
            }
            out.log_messages = std::move(lines);
        }
    }
    if (!fee || !pre || !post || meta.errs().failed()) {
        return std::nullopt;
    }
    out.fee = *fee;
    out.pre_balances = std::move(*pre);
    out.post_balances = std::move(*post);
    return out;
}

/// `accountKeys` as strings (json) or objects with `pubkey` (jsonParsed, accounts); sets is_vote.
/// Returns false on a failure (recorded).
bool scan_account_keys(const json::array& keys, bool objects, bool& is_vote) {
    is_vote = false;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        std::optional<std::string_view> key;
        if (objects) {
            const auto entry = keys.object_at(i);
            if (!entry) {
                return false;
            }
            key = entry->string("pubkey");
        } else {
            key = keys.string_at(i);
        }
        if (!key) {
            return false;
        }
        if (*key == vote_program_id) {
            is_vote = true;
        }
    }
    return true;
}

bool read_json_transaction(const json::object& tx, transaction& out) {
    const auto signatures = tx.child_array("signatures");
    if (!signatures) {
        return false;
    }
    if (signatures->empty()) {
        tx.fail("signatures", "empty");
        return false;
    }
    auto first = base58_at(*signatures, 0, signature_size);
    if (!first) {
        return false;
    }
    out.signature = std::move(*first);

    std::optional<json::array> keys;
    if (tx.has("message")) {
        const auto message = tx.child("message");
        if (!message) {
            return false;
        }
        keys = message->child_array("accountKeys");
        if (!keys) {
            return false;
        }
        const bool parsed = !keys->empty() && keys->at(0).IsObject();
        out.encoding = parsed ? transaction_encoding::json_parsed : transaction_encoding::json;
    } else {
        keys = tx.child_array("accountKeys");
        if (!keys) {
            return false;
        }
        out.encoding = transaction_encoding::accounts;
    }
    bool is_vote = false;
    if (!scan_account_keys(*keys, out.encoding != transaction_encoding::json, is_vote)) {
        return false;
    }
    out.is_vote = is_vote;
    return true;
}

/// `["<data>","base64"|"base58"]`, or a bare base58 string (deprecated "binary" encoding).
bool read_binary_transaction(
    const json::object& entry, const rapidjson::Value& value, transaction& out) {
    std::string_view data;
    bool base58 = true;
    if (value.IsString()) {
        data = string_of(value);
        out.encoding = transaction_encoding::binary;
    } else {
        const auto payload = tagged(entry, "transaction", value);
        if (!payload) {
            return false;
        }
        data = payload->data;
        if (payload->tag == "base58") {
            out.encoding = transaction_encoding::base58;
        } else if (payload->tag == "base64") {
            base58 = false;
            out.encoding = transaction_encoding::base64;
        } else {
            entry.fail("transaction", "unknown encoding \"" + std::string(payload->tag) + "\"");
            return false;
        }
    }
    const auto bytes = decode_payload(entry, "transaction", data, base58);
    if (!bytes) {
        return false;
    }
    std::string problem;
    auto summary = summarize_wire(*bytes, problem);
    if (!summary) {
        entry.fail("transaction", "not a serialised transaction: " + problem);
        return false;
    }
    out.signature = std::move(summary->first_signature);
    out.is_vote = summary->is_vote;
    return true;
}

std::optional<transaction> read_transaction(const json::object& entry, std::uint32_t index) {
    transaction out;
    out.index = index;
    const rapidjson::Value* body = entry.find("transaction");
    if (body == nullptr) {
        entry.fail("transaction", "missing");
        return std::nullopt;
    }
    if (body->IsArray() || body->IsString()) {
        if (!read_binary_transaction(entry, *body, out)) {
            return std::nullopt;
        }
    } else if (body->IsObject()) {
        const auto tx = entry.child("transaction");
        if (!tx || !read_json_transaction(*tx, out)) {
            return std::nullopt;
        }
    } else {
        entry.fail(
            "transaction", std::string("expected an object, an array or a string, got ")
                               + json::type_name(*body));
        return std::nullopt;
    }

    if (const rapidjson::Value* version = entry.find("version"); version != nullptr) {
        if (version->IsString() && string_of(*version) == "legacy") {
            out.version = "legacy";
        } else if (version->IsUint64() && version->GetUint64() <= max_transaction_version) {
            out.version = std::to_string(version->GetUint64());
        } else {
            entry.fail("version", "expected \"legacy\" or a version number 0..127");
            return std::nullopt;
        }
    }

    if (entry.has("meta") && !entry.is_null("meta")) {
        const auto meta = entry.child("meta");
        if (!meta) {
            return std::nullopt;
        }
        out.meta = read_meta(*meta);
        if (!out.meta) {
            return std::nullopt;
        }
    }
    return out;
}

std::optional<reward> read_reward(const json::object& obj) {
    reward out;
    auto pubkey = base58_member(obj, "pubkey", key_size);
    const auto lamports = obj.number_i64("lamports");
    const auto post_balance = obj.number_u64("postBalance");
    if (obj.has("rewardType") && !obj.is_null("rewardType")) {
        if (auto type = obj.string("rewardType")) {
            out.reward_type = std::string(*type);
        }
    }
    if (const auto commission = nullable_u64(obj, "commission")) {
        constexpr std::uint64_t max_commission = 255;
        if (*commission > max_commission) {
            obj.fail("commission", "not in 0..255");
            return std::nullopt;
        }
        out.commission = static_cast<std::uint8_t>(*commission);
    }
    if (!pubkey || !lamports || !post_balance || obj.errs().failed()) {
        return std::nullopt;
    }
    out.pubkey = std::move(*pubkey);
    out.lamports = *lamports;
    out.post_balance = *post_balance;
    return out;
}

// ---- accounts -----------------------------------------------------------------------------------

std::optional<account_data> read_account_data(const json::object& obj) {
    constexpr std::string_view key = "data";
    const rapidjson::Value* data = obj.find(key);
    if (data == nullptr) {
        obj.fail(key, "missing");
        return std::nullopt;
    }
    account_data out;
    if (data->IsString()) { // legacy "binary": bare base58
        out.encoding = account_encoding::binary;
        if (string_of(*data) == too_large_for_bs58) {
            out.too_large = true;
            return out;
        }
        auto bytes = decode_payload(obj, key, string_of(*data), true);
        if (!bytes) {
            return std::nullopt;
        }
        out.bytes = std::move(*bytes);
        return out;
    }
    if (data->IsObject()) { // jsonParsed
        out.encoding = account_encoding::json_parsed;
        out.parsed_json = json::to_compact_string(*data);
        return out;
    }
    const auto payload = tagged(obj, key, *data);
    if (!payload) {
        return std::nullopt;
    }
    bool base58 = false;
    if (payload->tag == "base64") {
        out.encoding = account_encoding::base64;
    } else if (payload->tag == "base64+zstd") {
        out.encoding = account_encoding::base64_zstd;
    } else if (payload->tag == "base58") {
        out.encoding = account_encoding::base58;
        base58 = true;
        if (payload->data == too_large_for_bs58) {
            out.too_large = true;
            return out;
        }
    } else {
        obj.fail(key, "unknown encoding \"" + std::string(payload->tag) + "\"");
        return std::nullopt;
    }
    auto bytes = decode_payload(obj, key, payload->data, base58);
    if (!bytes) {
        return std::nullopt;
    }
    out.bytes = std::move(*bytes);
    return out;
}

std::optional<account> read_account(const json::object& obj) {
    account out;
    const auto lamports = obj.number_u64("lamports");
    auto owner = base58_member(obj, "owner", key_size);
    const auto executable = obj.boolean("executable");
    const auto rent_epoch = obj.number_u64("rentEpoch");
    out.space = nullable_u64(obj, "space");
    auto data = read_account_data(obj);
    if (!lamports || !owner || !executable || !rent_epoch || !data || obj.errs().failed()) {
        return std::nullopt;
    }
    out.lamports = *lamports;
    out.owner = std::move(*owner);
    out.executable = *executable;
    out.rent_epoch = *rent_epoch;
    out.data = std::move(*data);
    return out;
}

// ---- notifications ------------------------------------------------------------------------------

/// `params.result` of a context-bearing notification: its context slot and value member.
struct contextual {
    std::uint64_t context_slot = 0;
    json::object result;
};

std::optional<contextual> read_contextual(const json::object& params) {
    const auto result = params.child("result");
    if (!result) {
        return std::nullopt;
    }
    const auto context = result->child("context");
    if (!context) {
        return std::nullopt;
    }
    const auto slot = context->number_u64("slot");
    if (!slot) {
        return std::nullopt;
    }
    return contextual{*slot, *result};
}

std::optional<pubsub_message> read_slot(const json::object& params, std::uint64_t subscription) {
    const auto result = params.child("result");
    if (!result) {
        return std::nullopt;
    }
    const auto slot = result->number_u64("slot");
    const auto parent = result->number_u64("parent");
    const auto root = result->number_u64("root");
    if (!slot || !parent || !root) {
        return std::nullopt;
    }
    return slot_notification{subscription, *slot, *parent, *root};
}

struct kind_name {
    std::string_view name;
    slots_update_kind kind;
};

constexpr std::array<kind_name, 7> slots_update_kinds = {{
    {"firstShredReceived", slots_update_kind::first_shred_received},
    {"completed", slots_update_kind::completed},
    {"createdBank", slots_update_kind::created_bank},
    {"frozen", slots_update_kind::frozen},
    {"dead", slots_update_kind::dead},
    {"optimisticConfirmation", slots_update_kind::optimistic_confirmation},
    {"root", slots_update_kind::root},
}};

std::optional<pubsub_message> read_slots_update(
    const json::object& params, std::uint64_t subscription) {
    const auto result = params.child("result");
    if (!result) {
        return std::nullopt;
    }
    auto type = text(*result, "type");
    if (!type) {
        return std::nullopt;
    }
    slots_update out;
    out.subscription = subscription;
    for (const auto& entry : slots_update_kinds) {
        if (entry.name == *type) {
            out.kind = entry.kind;
        }
    }
    out.raw_type = std::move(*type);

    if (out.kind == slots_update_kind::unknown) {
        out.slot = result->optional_number_u64("slot").value_or(0);
        out.timestamp_ms = result->optional_number_u64("timestamp").value_or(0);
        return out;
    }
    const auto slot = result->number_u64("slot");
    const auto timestamp = result->number_u64("timestamp");
    if (!slot || !timestamp) {
        return std::nullopt;
    }
    out.slot = *slot;
    out.timestamp_ms = *timestamp;
    switch (out.kind) {
    case slots_update_kind::created_bank:
        out.parent = result->number_u64("parent");
        if (!out.parent) {
            return std::nullopt;
        }
        break;
    case slots_update_kind::frozen: {
        const auto stats = result->child("stats");
        if (!stats) {
            return std::nullopt;
        }
        const auto entries = stats->number_u64("numTransactionEntries");
        const auto successful = stats->number_u64("numSuccessfulTransactions");
        const auto failed = stats->number_u64("numFailedTransactions");
        const auto max_per_entry = stats->number_u64("maxTransactionsPerEntry");
        if (!entries || !successful || !failed || !max_per_entry) {
            return std::nullopt;
        }
        out.stats = slot_stats{*entries, *successful, *failed, *max_per_entry};
        break;
    }
    case slots_update_kind::dead:
        out.err = text(*result, "err");
        if (!out.err) {
            return std::nullopt;
        }
        break;
    default:
        break;
    }
    return out;
}

std::optional<pubsub_message> read_root(const json::object& params, std::uint64_t subscription) {
    const auto slot = params.number_u64("result");
    if (!slot) {
        return std::nullopt;
    }
    return root_notification{subscription, *slot};
}

std::optional<pubsub_message> read_vote(const json::object& params, std::uint64_t subscription) {
    const auto result = params.child("result");
    if (!result) {
        return std::nullopt;
    }
    vote_notification out;
    out.subscription = subscription;
    auto vote_pubkey = base58_member(*result, "votePubkey", key_size);
    auto slots = u64_array(*result, "slots");
    auto hash = base58_member(*result, "hash", key_size);
    out.timestamp = nullable_i64(*result, "timestamp");
    auto signature = base58_member(*result, "signature", signature_size);
    if (!vote_pubkey || !slots || !hash || !signature) {
        return std::nullopt;
    }
    out.vote_pubkey = std::move(*vote_pubkey);
    out.slots = std::move(*slots);
    out.hash = std::move(*hash);
    out.signature = std::move(*signature);
    return out;
}

std::optional<pubsub_message> read_block_notification(
    const json::object& params, std::uint64_t subscription) {
    const auto ctx = read_contextual(params);
    if (!ctx) {
        return std::nullopt;
    }
    const auto value = ctx->result.child("value");
    if (!value) {
        return std::nullopt;
    }
    block_notification out;
    out.subscription = subscription;
    out.context_slot = ctx->context_slot;
    const auto slot = value->number_u64("slot");
    if (!slot) {
        return std::nullopt;
    }
    out.slot = *slot;
    out.err = detail::error_text(*value, "err", false);
    if (value->has("block") && !value->is_null("block")) {
        const auto block_object = value->child("block");
        if (!block_object) {
            return std::nullopt;
        }
        out.value = detail::read_block(*block_object);
        if (!out.value) {
            return std::nullopt;
        }
    } else if (!value->has("block")) {
        value->fail("block", "missing");
        return std::nullopt;
    }
    return out;
}

std::optional<pubsub_message> read_logs(const json::object& params, std::uint64_t subscription) {
    const auto ctx = read_contextual(params);
    if (!ctx) {
        return std::nullopt;
    }
    const auto value = ctx->result.child("value");
    if (!value) {
        return std::nullopt;
    }
    logs_notification out;
    out.subscription = subscription;
    out.context_slot = ctx->context_slot;
    auto signature = base58_member(*value, "signature", signature_size);
    out.err = detail::error_text(*value, "err", true);
    if (!signature) {
        return std::nullopt;
    }
    out.signature = std::move(*signature);
    if (!value->is_null("logs")) {
        const auto logs = value->child_array("logs");
        if (!logs) {
            return std::nullopt;
        }
        out.logs.reserve(logs->size());
        for (std::size_t i = 0; i < logs->size(); ++i) {
            const rapidjson::Value& line = logs->at(i);
            if (!line.IsString()) {
                logs->fail(i, std::string("expected a string, got ") + json::type_name(line));
                return std::nullopt;
            }
            out.logs.emplace_back(string_of(line));
        }
    }
    return out;
}

std::optional<pubsub_message> read_account_notification(
    const json::object& params, std::uint64_t subscription) {
    const auto ctx = read_contextual(params);
    if (!ctx) {
        return std::nullopt;
    }
    const auto value = ctx->result.child("value");
    if (!value) {
        return std::nullopt;
    }
    auto acct = read_account(*value);
    if (!acct) {
        return std::nullopt;
    }
    return account_notification{subscription, ctx->context_slot, std::move(*acct)};
}

std::optional<pubsub_message> read_program_notification(
    const json::object& params, std::uint64_t subscription) {
    const auto ctx = read_contextual(params);
    if (!ctx) {
        return std::nullopt;
    }
    const auto value = ctx->result.child("value");
    if (!value) {
        return std::nullopt;
    }
    auto pubkey = base58_member(*value, "pubkey", key_size);
    const auto account_object = value->child("account");
    if (!pubkey || !account_object) {
        return std::nullopt;
    }
    auto acct = read_account(*account_object);
    if (!acct) {
        return std::nullopt;
    }
    return program_notification{
        subscription, ctx->context_slot, std::move(*pubkey), std::move(*acct)};
}

std::optional<pubsub_message> read_signature_notification(
    const json::object& params, std::uint64_t subscription) {
    const auto ctx = read_contextual(params);
    if (!ctx) {
        return std::nullopt;
    }
    signature_notification out;
    out.subscription = subscription;
    out.context_slot = ctx->context_slot;
    const rapidjson::Value* value = ctx->result.find("value");
    if (value == nullptr) {
        ctx->result.fail("value", "missing");
        return std::nullopt;
    }
    if (value->IsString()) {
        if (string_of(*value) != "receivedSignature") {
            ctx->result.fail("value", "expected \"receivedSignature\" or an object");
            return std::nullopt;
        }
        out.state = signature_state::received;
        return out;
    }
    const auto processed = ctx->result.child("value");
    if (!processed) {
        return std::nullopt;
    }
    out.state = signature_state::processed;
    out.err = detail::error_text(*processed, "err", true);
    if (processed->errs().failed()) {
        return std::nullopt;
    }
    return out;
}

using notification_reader = std::optional<pubsub_message> (*)(const json::object&, std::uint64_t);

struct method_entry {
    std::string_view method;
    notification_reader read;
};

constexpr std::array<method_entry, 9> notification_methods = {{
    {"slotNotification", &read_slot},
    {"slotsUpdatesNotification", &read_slots_update},
    {"rootNotification", &read_root},
    {"voteNotification", &read_vote},
    {"blockNotification", &read_block_notification},
    {"logsNotification", &read_logs},
    {"accountNotification", &read_account_notification},
    {"programNotification", &read_program_notification},
    {"signatureNotification", &read_signature_notification},
}};

std::optional<pubsub_message> read_notification(const json::object& root) {
    const rapidjson::Value* method = root.find("method");
    if (method == nullptr || !method->IsString()) {
        root.errs().fail(decode_errc::unexpected_shape, "method: expected a string");
        return std::nullopt;
    }
    const std::string_view name = string_of(*method);
    notification_reader read = nullptr;
    for (const auto& entry : notification_methods) {
        if (entry.method == name) {
            read = entry.read;
        }
    }
    if (read == nullptr) {
        root.errs().fail(
            decode_errc::unexpected_shape,
            "method: unknown notification method \"" + std::string(name) + "\"");
        return std::nullopt;
    }
    const auto params = root.child("params");
    if (!params) {
        return std::nullopt;
    }
    const auto subscription = params->number_u64("subscription");
    if (!subscription) {
        return std::nullopt;
    }
    return read(*params, *subscription);
}

std::optional<pubsub_message> read_response(const json::object& root) {
    bool id_ok = true;
    const auto id = detail::read_request_id(root, &id_ok);
    if (!id_ok) {
        return std::nullopt;
    }
    if (!id) {
        root.fail("id", "missing or null in a successful response");
        return std::nullopt;
    }
    const rapidjson::Value& result = *root.find("result");
    if (result.IsUint64()) {
        return subscribe_ok{*id, result.GetUint64()};
    }
    if (result.IsBool()) {
        return unsubscribe_ok{*id, result.GetBool()};
    }
    if (result.IsObject() && result.HasMember("solana-core")) {
        const auto obj = root.child("result");
        if (!obj) {
            return std::nullopt;
        }
        auto version = detail::read_version(*obj);
        if (!version) {
            return std::nullopt;
        }
        return version_ok{*id, std::move(*version)};
    }
    if (result.IsNumber()) {
        root.fail("result", "not an integer in 0..2^64-1");
        return std::nullopt;
    }
    root.errs().fail(
        decode_errc::unexpected_shape,
        std::string("result: not a subscription id, an unsubscribe answer or a version (got ")
            + json::type_name(result) + ")");
    return std::nullopt;
}

std::optional<pubsub_message> read_message(const json::object& root) {
    if (const rapidjson::Value* version = root.find("jsonrpc"); version != nullptr) {
        if (!version->IsString() || string_of(*version) != "2.0") {
            root.errs().fail(decode_errc::unexpected_shape, "jsonrpc: not \"2.0\"");
            return std::nullopt;
        }
    }
    if (root.has("method")) {
        return read_notification(root);
    }
    if (root.has("error")) {
        auto error = detail::read_rpc_error(root);
        if (!error) {
            return std::nullopt;
        }
        return std::move(*error);
    }
    if (root.has("result")) {
        return read_response(root);
    }
    root.errs().fail(
        decode_errc::unexpected_shape, "neither a notification (method) nor a response (result, error)");
    return std::nullopt;
}

} // namespace

// ---- names --------------------------------------------------------------------------------------

const char* to_string(slots_update_kind kind) noexcept {
    for (const auto& entry : slots_update_kinds) {
        if (entry.kind == kind) {
            return entry.name.data();
        }
    }
    return "unknown";
}

const char* to_string(transaction_encoding encoding) noexcept {
    switch (encoding) {
    case transaction_encoding::json:
        return "json";
    case transaction_encoding::json_parsed:
        return "jsonParsed";
    case transaction_encoding::accounts:
        return "accounts";
    case transaction_encoding::base64:
        return "base64";
    case transaction_encoding::base58:
        return "base58";
    case transaction_encoding::binary:
        return "binary";
    }
    return "unknown";
}

const char* to_string(transaction_details details) noexcept {
    switch (details) {
    case transaction_details::full:
        return "full";
    case transaction_details::accounts:
        return "accounts";
    case transaction_details::signatures:
        return "signatures";
    case transaction_details::none:
        return "none";
    }
    return "unknown";
}

const char* to_string(account_encoding encoding) noexcept {
    switch (encoding) {
    case account_encoding::binary:
        return "binary";
    case account_encoding::base58:
        return "base58";
    case account_encoding::base64:
        return "base64";
    case account_encoding::base64_zstd:
        return "base64+zstd";
    case account_encoding::json_parsed:
        return "jsonParsed";
    }
    return "unknown";
}

// ---- shared readers -----------------------------------------------------------------------------

namespace detail {

std::optional<std::string> error_text(
    const json::object& parent, std::string_view key, bool required) {
    const rapidjson::Value* value = parent.find(key);
    if (value == nullptr) {
        if (required) {
            parent.fail(key, "missing");
        }
        return std::nullopt;
    }
    if (value->IsNull()) {
        return std::nullopt;
    }
    return json::to_compact_string(*value);
}

std::optional<std::uint64_t> read_request_id(const json::object& envelope, bool* ok) {
    *ok = true;
    const rapidjson::Value* id = envelope.find("id");
    if (id == nullptr || id->IsNull()) {
        return std::nullopt;
    }
    if (!id->IsUint64()) {
        envelope.fail("id", std::string("expected an unsigned integer, got ") + json::type_name(*id));
        *ok = false;
        return std::nullopt;
    }
    return id->GetUint64();
}

std::optional<rpc_error> read_rpc_error(const json::object& envelope) {
    bool id_ok = true;
    rpc_error out;
    out.request_id = read_request_id(envelope, &id_ok);
    const auto error = envelope.child("error");
    if (!id_ok || !error) {
        return std::nullopt;
    }
    const auto code = error->number_i64("code");
    auto message = text(*error, "message");
    if (!code || !message) {
        return std::nullopt;
    }
    out.code = *code;
    out.message = std::move(*message);
    if (const rapidjson::Value* data = error->find("data"); data != nullptr) {
        out.data = json::to_compact_string(*data);
    }
    return out;
}

std::optional<version_info> read_version(const json::object& value) {
    version_info out;
    auto core = text(value, "solana-core");
    if (!core) {
        return std::nullopt;
    }
    out.solana_core = std::move(*core);
    if (const auto feature_set = nullable_u64(value, "feature-set")) {
        constexpr std::uint64_t max_u32 = 0xFFFFFFFFU;
        if (*feature_set > max_u32) {
            value.fail("feature-set", "not a u32");
            return std::nullopt;
        }
        out.feature_set = static_cast<std::uint32_t>(*feature_set);
    }
    if (value.errs().failed()) {
        return std::nullopt;
    }
    return out;
}

std::optional<block> read_block(const json::object& value) {
    block out;
    auto blockhash = base58_member(value, "blockhash", key_size);
    auto previous = base58_member(value, "previousBlockhash", key_size);
    const auto parent_slot = value.number_u64("parentSlot");
    out.block_time = nullable_i64(value, "blockTime");
    out.block_height = nullable_u64(value, "blockHeight");
    out.num_reward_partitions = nullable_u64(value, "numRewardPartitions");
    if (!blockhash || !previous || !parent_slot || value.errs().failed()) {
        return std::nullopt;
    }
    out.blockhash = std::move(*blockhash);
    out.previous_blockhash = std::move(*previous);
    out.parent_slot = *parent_slot;

    if (value.has("transactions") && value.has("signatures")) {
        value.fail("signatures", "present together with transactions");
        return std::nullopt;
    }
    if (value.has("transactions")) {
        const auto transactions = value.child_array("transactions");
        if (!transactions) {
            return std::nullopt;
        }
        out.transactions.reserve(transactions->size());
        bool all_accounts = !transactions->empty();
        for (std::size_t i = 0; i < transactions->size(); ++i) {
            const auto entry = transactions->object_at(i);
            if (!entry) {
                return std::nullopt;
            }
            auto tx = read_transaction(*entry, static_cast<std::uint32_t>(i));
            if (!tx) {
                return std::nullopt;
            }
            all_accounts = all_accounts && tx->encoding == transaction_encoding::accounts;
            out.transactions.push_back(std::move(*tx));
        }
        out.details = all_accounts ? transaction_details::accounts : transaction_details::full;
    } else if (value.has("signatures")) {
        const auto signatures = value.child_array("signatures");
        if (!signatures) {
            return std::nullopt;
        }
        out.signatures.reserve(signatures->size());
        for (std::size_t i = 0; i < signatures->size(); ++i) {
            auto signature = base58_at(*signatures, i, signature_size);
            if (!signature) {
                return std::nullopt;
            }
            out.signatures.push_back(std::move(*signature));
        }
        out.details = transaction_details::signatures;
    }

    if (value.has("rewards") && !value.is_null("rewards")) {
        const auto rewards = value.child_array("rewards");
        if (!rewards) {
            return std::nullopt;
        }
        std::vector<reward> list;
        list.reserve(rewards->size());
        for (std::size_t i = 0; i < rewards->size(); ++i) {
            const auto entry = rewards->object_at(i);
            if (!entry) {
                return std::nullopt;
            }
            auto item = read_reward(*entry);
            if (!item) {
                return std::nullopt;
            }
            list.push_back(std::move(*item));
        }
        out.rewards = std::move(list);
    }
    return out;
}

} // namespace detail

// ---- entry point --------------------------------------------------------------------------------

decode_result<pubsub_message> decode_pubsub_message(std::string_view text) noexcept {
    try {
        auto document = json::parse_document(text);
        if (!document) {
            return document.error();
        }
        json::errors errs;
        const auto root = json::object::root(document.value(), errs);
        if (!root) {
            return errs.error();
        }
        auto message = read_message(*root);
        if (!message || errs.failed()) {
            return errs.error();
        }
        return std::move(*message);
    } catch (const std::bad_alloc&) {
        return decode_error{decode_errc::too_large, "out of memory"};
    } catch (const std::exception& e) {
        return decode_error{decode_errc::bad_field, std::string("internal error: ") + e.what()};
    } catch (...) {
        return decode_error{decode_errc::bad_field, "internal error"};
    }
}

} // namespace ledgertap::schema::solana
