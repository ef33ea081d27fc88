#include "sim/solana_frames.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

namespace ledgertap::sim {

namespace {

constexpr std::size_t max_base58_bytes = 128; // Agave: larger data gets the error string
constexpr std::string_view bs58_too_large = "error: data too large for bs58 encoding";
constexpr std::size_t max_names = 1 << 14;

void append_err(std::string& out, std::string_view err_json) {
    if (err_json.empty()) {
        out += "null";
    } else {
        out += err_json;
    }
}

void append_status(std::string& out, std::string_view err_json) {
    if (err_json.empty()) {
        out += "{\"Ok\":null}";
    } else {
        out += "{\"Err\":";
        out += err_json;
        out += '}';
    }
}

template<class T>
void append_number_array(std::string& out, const std::vector<T>& values) {
    out += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        solana_json::append_u64(out, static_cast<std::uint64_t>(values[i]));
    }
    out += ']';
}

void append_b58(std::string& out, std::span<const std::uint8_t> bytes) {
    out += '"';
    out += schema::base58_encode(bytes);
    out += '"';
}

void put_compact_u16(std::vector<std::uint8_t>& out, std::size_t value) {
    auto v = static_cast<std::uint32_t>(value);
    while (true) {
        auto byte = static_cast<std::uint8_t>(v & 0x7FU);
        v >>= 7U;
        if (v == 0) {
            out.push_back(byte);
            return;
        }
        out.push_back(static_cast<std::uint8_t>(byte | 0x80U));
    }
}

std::uint64_t read_u64_le(const std::vector<std::uint8_t>& data, std::size_t offset) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < 8 && offset + i < data.size(); ++i) {
        v |= static_cast<std::uint64_t>(data[offset + i]) << (8U * i);
    }
    return v;
}

std::optional<double> ui_amount(std::uint64_t amount, std::uint8_t decimals) {
    if (amount == 0) {
        return std::nullopt;
    }
    return static_cast<double>(amount) / std::pow(10.0, decimals);
}

void append_ui_token_amount(std::string& out, std::uint64_t amount, std::uint8_t decimals) {
    out += "{\"uiAmount\":";
    const auto ui = ui_amount(amount, decimals);
    if (ui) {
        solana_json::append_f64(out, *ui);
    } else {
        out += "null";
    }
    out += ",\"decimals\":";
    solana_json::append_u64(out, decimals);
    out += ",\"amount\":\"";
    solana_json::append_u64(out, amount);
    out += "\",\"uiAmountString\":\"";
    out += token_ui_amount_string(amount, decimals);
    out += "\"}";
}

constexpr std::size_t token_owner_offset = 32;
constexpr std::size_t token_amount_offset = 64;
constexpr std::size_t token_account_len = 165;
constexpr std::uint8_t token_decimals = 6;
constexpr std::uint8_t set_compute_unit_price = 3;
constexpr std::uint8_t token_transfer = 3;

} // namespace

// ---- enums -------------------------------------------------------------------------------------

std::string_view to_string(solana_commitment c) noexcept {
    switch (c) {
    case solana_commitment::processed:
        return "processed";
    case solana_commitment::confirmed:
        return "confirmed";
    case solana_commitment::finalized:
        return "finalized";
    }
    return "finalized";
}

std::optional<solana_commitment> parse_commitment(std::string_view text) noexcept {
    if (text == "processed") {
        return solana_commitment::processed;
    }
    if (text == "confirmed") {
        return solana_commitment::confirmed;
    }
    if (text == "finalized") {
        return solana_commitment::finalized;
    }
    return std::nullopt;
}

std::optional<solana_tx_encoding> parse_tx_encoding(std::string_view text) noexcept {
    if (text == "binary") {
        return solana_tx_encoding::binary;
    }
    if (text == "base58") {
        return solana_tx_encoding::base58;
    }
    if (text == "base64") {
        return solana_tx_encoding::base64;
    }
    if (text == "json") {
        return solana_tx_encoding::json;
    }
    if (text == "jsonParsed") {
        return solana_tx_encoding::json_parsed;
    }
    return std::nullopt;
}

std::optional<solana_account_encoding> parse_account_encoding(std::string_view text) noexcept {
    if (text == "binary") {
        return solana_account_encoding::binary;
    }
    if (text == "base58") {
        return solana_account_encoding::base58;
    }
    if (text == "base64") {
        return solana_account_encoding::base64;
    }
    if (text == "base64+zstd") {
        return solana_account_encoding::base64_zstd;
    }
    if (text == "jsonParsed") {
        return solana_account_encoding::json_parsed;
    }
    return std::nullopt;
}

std::optional<solana_tx_details> parse_tx_details(std::string_view text) noexcept {
    if (text == "full") {
        return solana_tx_details::full;
    }
    if (text == "accounts") {
        return solana_tx_details::accounts;
    }
    if (text == "signatures") {
        return solana_tx_details::signatures;
    }
    if (text == "none") {
        return solana_tx_details::none;
    }
    return std::nullopt;
}

std::string_view to_string(solana_slot_update kind) noexcept {
    switch (kind) {
    case solana_slot_update::first_shred_received:
        return "firstShredReceived";
    case solana_slot_update::completed:
        return "completed";
    case solana_slot_update::created_bank:
        return "createdBank";
    case solana_slot_update::frozen:
        return "frozen";
    case solana_slot_update::dead:
        return "dead";
    case solana_slot_update::optimistic_confirmation:
        return "optimisticConfirmation";
    case solana_slot_update::root:
        return "root";
    }
    return "root";
}

// ---- JSON primitives ---------------------------------------------------------------------------

namespace solana_json {

void append_string(std::string& out, std::string_view text) {
    static constexpr std::string_view hex = "0123456789abcdef";
    out += '"';
    std::size_t run = 0; // start of the pending run of characters that need no escape
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        out.append(text.substr(run, i - run));
        run = i + 1;
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            out += "\\u00";
            out += hex[c >> 4U];
            out += hex[c & 0xFU];
            break;
        }
    }
    out.append(text.substr(run));
    out += '"';
}

void append_u64(std::string& out, std::uint64_t value) {
    std::array<char, 24> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    out.append(buf.data(), r.ptr);
}

void append_i64(std::string& out, std::int64_t value) {
    std::array<char, 24> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    out.append(buf.data(), r.ptr);
}

void append_f64(std::string& out, double value) {
    std::array<char, 40> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    std::string_view text(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
    const auto e = text.find('e');
    if (e == std::string_view::npos) {
        out += text;
        if (text.find('.') == std::string_view::npos) {
            out += ".0";
        }
        return;
    }
    // ryu writes 1e21 and 1e-7 where to_chars writes 1e+21 and 1e-07.
    out += text.substr(0, e + 1);
    std::string_view exponent = text.substr(e + 1);
    if (!exponent.empty() && exponent.front() == '+') {
        exponent.remove_prefix(1);
    }
    if (!exponent.empty() && exponent.front() == '-') {
        out += '-';
        exponent.remove_prefix(1);
    }
    while (exponent.size() > 1 && exponent.front() == '0') {
        exponent.remove_prefix(1);
    }
    out += exponent;
}

} // namespace solana_json

// ---- envelopes ---------------------------------------------------------------------------------

void append_solana_notification(
    std::string& out,
    std::string_view method,
    std::string_view result,
    std::uint64_t subscription) {
    out += R"({"jsonrpc":"2.0","method":")";
    out += method;
    out += R"(","params":{"result":)";
    out += result;
    out += R"(,"subscription":)";
    solana_json::append_u64(out, subscription);
    out += "}}";
}

std::string solana_notification(
    std::string_view method, std::string_view result, std::uint64_t subscription) {
    std::string out;
    out.reserve(result.size() + 96);
    append_solana_notification(out, method, result, subscription);
    return out;
}

std::string solana_result(std::string_view id_json, std::string_view result) {
    std::string out;
    out.reserve(result.size() + 48);
    out += R"({"jsonrpc":"2.0","result":)";
    out += result;
    out += R"(,"id":)";
    out += id_json;
    out += '}';
    return out;
}

std::string solana_error(
    std::string_view id_json, int code, std::string_view message, std::string_view data_json) {
    std::string out = R"({"jsonrpc":"2.0","error":{"code":)";
    solana_json::append_i64(out, code);
    out += R"(,"message":)";
    solana_json::append_string(out, message);
    if (!data_json.empty()) {
        out += R"(,"data":)";
        out += data_json;
    }
    out += R"(},"id":)";
    out += id_json;
    out += '}';
    return out;
}

std::string solana_context(
    std::uint64_t slot, std::string_view value, std::string_view api_version) {
    std::string out = R"({"context":{"slot":)";
    solana_json::append_u64(out, slot);
    if (!api_version.empty()) {
        out += R"(,"apiVersion":)";
        solana_json::append_string(out, api_version);
    }
    out += R"(},"value":)";
    out += value;
    out += '}';
    return out;
}

// ---- PubSub results ----------------------------------------------------------------------------

std::string solana_slot_result(std::uint64_t slot, std::uint64_t parent, std::uint64_t root) {
    std::string out = R"({"slot":)";
    solana_json::append_u64(out, slot);
    out += R"(,"parent":)";
    solana_json::append_u64(out, parent);
    out += R"(,"root":)";
    solana_json::append_u64(out, root);
    out += '}';
    return out;
}

std::string solana_slots_update(
    solana_slot_update kind,
    std::uint64_t slot,
    std::uint64_t timestamp_ms,
    std::uint64_t parent,
    const solana_frozen_stats& stats,
    std::string_view err) {
    std::string out = R"({"type":")";
    out += to_string(kind);
    out += R"(","slot":)";
    solana_json::append_u64(out, slot);
    if (kind == solana_slot_update::created_bank) {
        out += R"(,"parent":)";
        solana_json::append_u64(out, parent);
    }
    out += R"(,"timestamp":)";
    solana_json::append_u64(out, timestamp_ms);
    if (kind == solana_slot_update::frozen) {
        out += R"(,"stats":{"numTransactionEntries":)";
        solana_json::append_u64(out, stats.num_transaction_entries);
        out += R"(,"numSuccessfulTransactions":)";
        solana_json::append_u64(out, stats.num_successful_transactions);
        out += R"(,"numFailedTransactions":)";
        solana_json::append_u64(out, stats.num_failed_transactions);
        out += R"(,"maxTransactionsPerEntry":)";
        solana_json::append_u64(out, stats.max_transactions_per_entry);
        out += '}';
    }
    if (kind == solana_slot_update::dead) {
        out += R"(,"err":)";
        solana_json::append_string(out, err);
    }
    out += '}';
    return out;
}

std::string solana_logs_value(const solana_transaction& tx) {
    std::string out;
    out.reserve(64 + tx.log_messages.size() * 64);
    out += R"({"signature":")";
    out += tx.signature_b58;
    out += R"(","err":)";
    append_err(out, tx.err_json);
    out += R"(,"logs":[)";
    for (std::size_t i = 0; i < tx.log_messages.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        solana_json::append_string(out, tx.log_messages[i]);
    }
    out += "]}";
    return out;
}

std::string solana_signature_value(std::string_view err_json) {
    std::string out = R"({"err":)";
    append_err(out, err_json);
    out += '}';
    return out;
}

std::string solana_received_signature_value() {
    return R"("receivedSignature")";
}

std::string solana_block_update(
    std::uint64_t slot, std::string_view block_json, std::string_view err_json) {
    std::string out;
    out.reserve(block_json.size() + 64);
    out += R"({"slot":)";
    solana_json::append_u64(out, slot);
    out += R"(,"block":)";
    out += block_json.empty() ? std::string_view("null") : block_json;
    out += R"(,"err":)";
    append_err(out, err_json);
    out += '}';
    return out;
}

// ---- binary forms ------------------------------------------------------------------------------

std::vector<std::uint8_t> solana_wire_transaction(const solana_transaction& tx) {
    std::vector<std::uint8_t> out;
    out.reserve(1 + tx.signatures.size() * 64 + 4 + tx.account_keys.size() * 32 + 64 + 64);
    put_compact_u16(out, tx.signatures.size());
    for (const auto& sig : tx.signatures) {
        out.insert(out.end(), sig.begin(), sig.end());
    }
    if (tx.v0) {
        out.push_back(0x80); // versioned message, version 0
    }
    out.push_back(tx.num_required_signatures);
    out.push_back(tx.num_readonly_signed);
    out.push_back(tx.num_readonly_unsigned);
    put_compact_u16(out, tx.account_keys.size());
    for (const auto& key : tx.account_keys) {
        out.insert(out.end(), key.begin(), key.end());
    }
    out.insert(out.end(), tx.recent_blockhash.begin(), tx.recent_blockhash.end());
    put_compact_u16(out, tx.instructions.size());
    for (const auto& ix : tx.instructions) {
        out.push_back(ix.program_id_index);
        put_compact_u16(out, ix.accounts.size());
        out.insert(out.end(), ix.accounts.begin(), ix.accounts.end());
        put_compact_u16(out, ix.data.size());
        out.insert(out.end(), ix.data.begin(), ix.data.end());
    }
    if (tx.v0) {
        put_compact_u16(out, tx.lookups.size());
        for (const auto& lookup : tx.lookups) {
            out.insert(out.end(), lookup.account_key.begin(), lookup.account_key.end());
            put_compact_u16(out, lookup.writable_indexes.size());
            out.insert(out.end(), lookup.writable_indexes.begin(), lookup.writable_indexes.end());
            put_compact_u16(out, lookup.readonly_indexes.size());
            out.insert(out.end(), lookup.readonly_indexes.begin(), lookup.readonly_indexes.end());
        }
    }
    return out;
}

std::vector<std::uint8_t> zstd_raw_frame(std::span<const std::uint8_t> bytes) {
    constexpr std::size_t max_block = std::size_t{128} * 1024;
    std::vector<std::uint8_t> out = {0x28, 0xB5, 0x2F, 0xFD}; // magic, little-endian
    const std::size_t n = bytes.size();
    // Frame header: Single_Segment_Flag, and a Frame_Content_Size field of 1, 2 or 4 bytes.
    if (n < 256) {
        out.push_back(0x20);
        out.push_back(static_cast<std::uint8_t>(n));
    } else if (n < 65536 + 256) {
        out.push_back(0x60);
        const std::size_t v = n - 256;
        out.push_back(static_cast<std::uint8_t>(v));
        out.push_back(static_cast<std::uint8_t>(v >> 8U));
    } else {
        out.push_back(0xA0);
        for (unsigned i = 0; i < 4; ++i) {
            out.push_back(static_cast<std::uint8_t>(n >> (8U * i)));
        }
    }
    std::size_t pos = 0;
    do {
        const std::size_t len = std::min(max_block, n - pos);
        const bool last = pos + len == n;
        // Block header: Last_Block bit, Block_Type 0 (raw), Block_Size.
        const std::uint32_t header = (last ? 1U : 0U) | (static_cast<std::uint32_t>(len) << 3U);
        out.push_back(static_cast<std::uint8_t>(header));
        out.push_back(static_cast<std::uint8_t>(header >> 8U));
        out.push_back(static_cast<std::uint8_t>(header >> 16U));
        out.insert(
            out.end(),
            bytes.begin() + static_cast<std::ptrdiff_t>(pos),
            bytes.begin() + static_cast<std::ptrdiff_t>(pos + len));
        pos += len;
    } while (pos < n);
    return out;
}

std::string token_ui_amount_string(std::uint64_t amount, std::uint8_t decimals) {
    std::string digits = std::to_string(amount);
    if (decimals == 0) {
        return digits;
    }
    if (digits.size() <= decimals) {
        digits.insert(0, decimals - digits.size() + 1, '0');
    }
    std::string out = digits.substr(0, digits.size() - decimals);
    std::string frac = digits.substr(digits.size() - decimals);
    while (!frac.empty() && frac.back() == '0') {
        frac.pop_back();
    }
    if (!frac.empty()) {
        out += '.';
        out += frac;
    }
    return out;
}

// ---- solana_encoder ----------------------------------------------------------------------------

std::size_t solana_encoder::key_hash::operator()(const schema::bytes32& key) const noexcept {
    std::uint64_t v = 0;
    std::memcpy(&v, key.data(), sizeof v);
    return static_cast<std::size_t>(v);
}

solana_encoder::solana_encoder(const solana_chain& chain)
  : known_(chain.well_known()) {
    for (const auto& acct : chain.pool()) {
        (void)name(acct.pubkey);
        (void)name(acct.owner);
    }
    for (const auto& key : chain.vote_accounts()) {
        (void)name(key);
    }
    (void)name(known_.vote_program);
    (void)name(known_.compute_budget_program);
    (void)name(known_.token_program);
    (void)name(known_.lookup_table);
    (void)name(known_.token_mint);
}

const std::string& solana_encoder::name(const schema::bytes32& key) {
    const auto it = names_.find(key);
    if (it != names_.end()) {
        return it->second;
    }
    if (names_.size() >= max_names) {
        names_.clear();
    }
    return names_.emplace(key, schema::base58_encode(key)).first->second;
}

void solana_encoder::append_name(std::string& out, const schema::bytes32& key) {
    out += '"';
    out += name(key);
    out += '"';
}

bool solana_encoder::append_block(
    std::string& out,
    const solana_block& block,
    const solana_block_config& config,
    std::size_t* matched) {
    if (!config.max_supported_version && block.has_v0()) {
        return false;
    }
    const solana_slot& info = block.info;
    out += R"({"previousBlockhash":)";
    append_b58(out, info.previous_blockhash);
    out += R"(,"blockhash":)";
    append_b58(out, info.blockhash);
    out += R"(,"parentSlot":)";
    solana_json::append_u64(out, info.parent_slot);
    std::size_t count = 0;
    const auto selected = [&config](const solana_transaction& tx) {
        return !config.mentions || tx.mentions(*config.mentions);
    };
    if (config.details == solana_tx_details::full
        || config.details == solana_tx_details::accounts) {
        out += R"(,"transactions":[)";
        for (const auto& tx : block.transactions) {
            if (!selected(tx)) {
                continue;
            }
            if (count++ != 0) {
                out += ',';
            }
            append_transaction(out, tx, config);
        }
        out += ']';
    } else if (config.details == solana_tx_details::signatures) {
        out += R"(,"signatures":[)";
        for (const auto& tx : block.transactions) {
            if (!selected(tx)) {
                continue;
            }
            if (count++ != 0) {
                out += ',';
            }
            out += '"';
            out += tx.signature_b58;
            out += '"';
        }
        out += ']';
    } else {
        count = static_cast<std::size_t>(
            std::count_if(block.transactions.begin(), block.transactions.end(), selected));
    }
    if (config.rewards) {
        out += R"(,"rewards":[{"pubkey":)";
        append_name(out, block.leader);
        out += R"(,"lamports":)";
        solana_json::append_i64(out, block.reward_lamports);
        out += R"(,"postBalance":)";
        solana_json::append_u64(out, block.reward_post_balance);
        out += R"(,"rewardType":"Fee","commission":null}])";
    }
    out += R"(,"blockTime":)";
    solana_json::append_i64(out, info.block_time);
    out += R"(,"blockHeight":)";
    solana_json::append_u64(out, info.block_height);
    out += '}';
    if (matched != nullptr) {
        *matched = count;
    }
    return true;
}

void solana_encoder::append_transaction(
    std::string& out, const solana_transaction& tx, const solana_block_config& config) {
    out += R"({"transaction":)";
    if (config.details == solana_tx_details::accounts) {
        out += R"({"signatures":[)";
        for (std::size_t i = 0; i < tx.signatures.size(); ++i) {
            if (i != 0) {
                out += ',';
            }
            if (i == 0) {
                out += '"';
                out += tx.signature_b58;
                out += '"';
            } else {
                append_b58(out, tx.signatures[i]);
            }
        }
        out += R"(],"accountKeys":)";
        append_parsed_keys(out, tx);
        out += "}";
        // build_simple_ui_transaction_status_meta
        out += R"(,"meta":{"err":)";
        append_err(out, tx.err_json);
        out += R"(,"status":)";
        append_status(out, tx.err_json);
        out += R"(,"fee":)";
        solana_json::append_u64(out, tx.fee);
        out += R"(,"preBalances":)";
        append_number_array(out, tx.pre_balances);
        out += R"(,"postBalances":)";
        append_number_array(out, tx.post_balances);
        out += R"(,"preTokenBalances":)";
        append_token_balances(out, tx.pre_token_balances);
        out += R"(,"postTokenBalances":)";
        append_token_balances(out, tx.post_token_balances);
        if (config.rewards) {
            out += R"(,"rewards":[])";
        }
        out += '}';
    } else {
        switch (config.encoding) {
        case solana_tx_encoding::json:
            out += R"({"signatures":[")";
            out += tx.signature_b58;
            out += '"';
            for (std::size_t i = 1; i < tx.signatures.size(); ++i) {
                out += ',';
                append_b58(out, tx.signatures[i]);
            }
            out += R"(],"message":)";
            append_raw_message(out, tx);
            out += '}';
            break;
        case solana_tx_encoding::json_parsed:
            out += R"({"signatures":[")";
            out += tx.signature_b58;
            out += '"';
            for (std::size_t i = 1; i < tx.signatures.size(); ++i) {
                out += ',';
                append_b58(out, tx.signatures[i]);
            }
            out += R"(],"message":)";
            append_parsed_message(out, tx);
            out += '}';
            break;
        case solana_tx_encoding::binary:
            append_b58(out, solana_wire_transaction(tx));
            break;
        case solana_tx_encoding::base58:
            out += '[';
            append_b58(out, solana_wire_transaction(tx));
            out += R"(,"base58"])";
            break;
        case solana_tx_encoding::base64:
            out += "[\"";
            out += schema::base64_encode(solana_wire_transaction(tx));
            out += R"(","base64"])";
            break;
        }
        out += R"(,"meta":)";
        append_meta(out, tx, config, config.encoding == solana_tx_encoding::json_parsed);
    }
    if (config.max_supported_version) {
        out += tx.v0 ? R"(,"version":0)" : R"(,"version":"legacy")";
    }
    out += '}';
}

void solana_encoder::append_raw_message(std::string& out, const solana_transaction& tx) {
    out += R"({"header":{"numRequiredSignatures":)";
    solana_json::append_u64(out, tx.num_required_signatures);
    out += R"(,"numReadonlySignedAccounts":)";
    solana_json::append_u64(out, tx.num_readonly_signed);
    out += R"(,"numReadonlyUnsignedAccounts":)";
    solana_json::append_u64(out, tx.num_readonly_unsigned);
    out += R"(},"accountKeys":[)";
    for (std::size_t i = 0; i < tx.account_keys.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        append_name(out, tx.account_keys[i]);
    }
    out += R"(],"recentBlockhash":)";
    append_name(out, tx.recent_blockhash); // the same for a whole block: memoized
    out += R"(,"instructions":[)";
    for (std::size_t i = 0; i < tx.instructions.size(); ++i) {
        const solana_instruction& ix = tx.instructions[i];
        if (i != 0) {
            out += ',';
        }
        out += R"({"programIdIndex":)";
        solana_json::append_u64(out, ix.program_id_index);
        out += R"(,"accounts":)";
        append_number_array(out, ix.accounts);
        out += R"(,"data":)";
        append_b58(out, ix.data);
        out += R"(,"stackHeight":null})";
    }
    out += ']';
    if (tx.v0) {
        out += R"(,"addressTableLookups":[)";
        for (std::size_t i = 0; i < tx.lookups.size(); ++i) {
            const solana_lookup& lookup = tx.lookups[i];
            if (i != 0) {
                out += ',';
            }
            out += R"({"accountKey":)";
            append_name(out, lookup.account_key);
            out += R"(,"writableIndexes":)";
            append_number_array(out, lookup.writable_indexes);
            out += R"(,"readonlyIndexes":)";
            append_number_array(out, lookup.readonly_indexes);
            out += '}';
        }
        out += ']';
    }
    out += '}';
}

void solana_encoder::append_parsed_keys(std::string& out, const solana_transaction& tx) {
    out += '[';
    for (std::size_t i = 0; i < tx.key_count(); ++i) {
        if (i != 0) {
            out += ',';
        }
        out += R"({"pubkey":)";
        append_name(out, tx.key(i));
        out += tx.is_writable(i) ? R"(,"writable":true)" : R"(,"writable":false)";
        out += tx.is_signer(i) ? R"(,"signer":true)" : R"(,"signer":false)";
        out += i < tx.account_keys.size() ? R"(,"source":"transaction"})"
                                          : R"(,"source":"lookupTable"})";
    }
    out += ']';
}

void solana_encoder::append_parsed_message(std::string& out, const solana_transaction& tx) {
    out += R"({"accountKeys":)";
    append_parsed_keys(out, tx);
    out += R"(,"recentBlockhash":)";
    append_name(out, tx.recent_blockhash);
    out += R"(,"instructions":[)";
    for (std::size_t i = 0; i < tx.instructions.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        append_instruction_parsed(out, tx, tx.instructions[i]);
    }
    out += ']';
    if (tx.v0) {
        out += R"(,"addressTableLookups":[)";
        for (std::size_t i = 0; i < tx.lookups.size(); ++i) {
            const solana_lookup& lookup = tx.lookups[i];
            if (i != 0) {
                out += ',';
            }
            out += R"({"accountKey":)";
            append_name(out, lookup.account_key);
            out += R"(,"writableIndexes":)";
            append_number_array(out, lookup.writable_indexes);
            out += R"(,"readonlyIndexes":)";
            append_number_array(out, lookup.readonly_indexes);
            out += '}';
        }
        out += ']';
    }
    out += '}';
}

void solana_encoder::append_instruction_parsed(
    std::string& out, const solana_transaction& tx, const solana_instruction& ix) {
    const schema::bytes32& program = tx.key(ix.program_id_index);
    const auto stack = [&out, &ix] {
        out += R"(,"stackHeight":)";
        if (ix.stack_height) {
            solana_json::append_u64(out, *ix.stack_height);
        } else {
            out += "null";
        }
        out += '}';
    };
    if (program == known_.compute_budget_program && ix.data.size() == 9
        && ix.data[0] == set_compute_unit_price) {
        out += R"({"program":"compute-budget","programId":)";
        append_name(out, program);
        out += R"(,"parsed":{"info":{"microLamports":)";
        solana_json::append_u64(out, read_u64_le(ix.data, 1));
        out += R"(},"type":"setComputeUnitPrice"})";
        stack();
        return;
    }
    if (program == known_.token_program && ix.data.size() == 9 && ix.data[0] == token_transfer
        && ix.accounts.size() == 3) {
        out += R"({"program":"spl-token","programId":)";
        append_name(out, program);
        out += R"(,"parsed":{"info":{"amount":")";
        solana_json::append_u64(out, read_u64_le(ix.data, 1));
        out += R"(","authority":)";
        append_name(out, tx.key(ix.accounts[2]));
        out += R"(,"destination":)";
        append_name(out, tx.key(ix.accounts[1]));
        out += R"(,"source":)";
        append_name(out, tx.key(ix.accounts[0]));
        out += R"(},"type":"transfer"})";
        stack();
        return;
    }
    out += R"({"programId":)";
    append_name(out, program);
    out += R"(,"accounts":[)";
    for (std::size_t a = 0; a < ix.accounts.size(); ++a) {
        if (a != 0) {
            out += ',';
        }
        append_name(out, tx.key(ix.accounts[a]));
    }
    out += R"(],"data":)";
    append_b58(out, ix.data);
    stack();
}

void solana_encoder::append_token_balances(
    std::string& out, const std::vector<solana_token_balance>& balances) {
    out += '[';
    for (std::size_t i = 0; i < balances.size(); ++i) {
        const solana_token_balance& b = balances[i];
        if (i != 0) {
            out += ',';
        }
        out += R"({"accountIndex":)";
        solana_json::append_u64(out, b.account_index);
        out += R"(,"mint":)";
        append_name(out, b.mint);
        out += R"(,"uiTokenAmount":)";
        append_ui_token_amount(out, b.amount, b.decimals);
        out += R"(,"owner":)";
        append_name(out, b.owner);
        out += R"(,"programId":)";
        append_name(out, known_.token_program);
        out += '}';
    }
    out += ']';
}

void solana_encoder::append_meta(
    std::string& out,
    const solana_transaction& tx,
    const solana_block_config& config,
    bool parsed) {
    (void)config;
    out += R"({"err":)";
    append_err(out, tx.err_json);
    out += R"(,"status":)";
    append_status(out, tx.err_json);
    out += R"(,"fee":)";
    solana_json::append_u64(out, tx.fee);
    out += R"(,"preBalances":)";
    append_number_array(out, tx.pre_balances);
    out += R"(,"postBalances":)";
    append_number_array(out, tx.post_balances);
    out += R"(,"innerInstructions":[)";
    for (std::size_t i = 0; i < tx.inner_instructions.size(); ++i) {
        const solana_inner_instructions& inner = tx.inner_instructions[i];
        if (i != 0) {
            out += ',';
        }
        out += R"({"index":)";
        solana_json::append_u64(out, inner.index);
        out += R"(,"instructions":[)";
        for (std::size_t k = 0; k < inner.instructions.size(); ++k) {
            const solana_instruction& ix = inner.instructions[k];
            if (k != 0) {
                out += ',';
            }
            if (parsed) {
                append_instruction_parsed(out, tx, ix);
                continue;
            }
            out += R"({"programIdIndex":)";
            solana_json::append_u64(out, ix.program_id_index);
            out += R"(,"accounts":)";
            append_number_array(out, ix.accounts);
            out += R"(,"data":)";
            append_b58(out, ix.data);
            out += R"(,"stackHeight":)";
            if (ix.stack_height) {
                solana_json::append_u64(out, *ix.stack_height);
            } else {
                out += "null";
            }
            out += '}';
        }
        out += "]}";
    }
    out += R"(],"logMessages":[)";
    for (std::size_t i = 0; i < tx.log_messages.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        solana_json::append_string(out, tx.log_messages[i]);
    }
    out += R"(],"preTokenBalances":)";
    append_token_balances(out, tx.pre_token_balances);
    out += R"(,"postTokenBalances":)";
    append_token_balances(out, tx.post_token_balances);
    out += R"(,"rewards":[])";
    if (!parsed) {
        out += R"(,"loadedAddresses":{"writable":[)";
        for (std::size_t i = 0; i < tx.loaded_writable.size(); ++i) {
            if (i != 0) {
                out += ',';
            }
            append_name(out, tx.loaded_writable[i]);
        }
        out += R"(],"readonly":[)";
        for (std::size_t i = 0; i < tx.loaded_readonly.size(); ++i) {
            if (i != 0) {
                out += ',';
            }
            append_name(out, tx.loaded_readonly[i]);
        }
        out += "]}";
    }
    out += R"(,"computeUnitsConsumed":)";
    solana_json::append_u64(out, tx.compute_units_consumed);
    out += '}';
}

void solana_encoder::append_account_data(
    std::string& out,
    const solana_account_state& account,
    solana_account_encoding encoding,
    const std::optional<solana_data_slice>& slice) {
    std::span<const std::uint8_t> data(account.data);
    if (slice) {
        const std::size_t offset = std::min(slice->offset, data.size());
        const std::size_t length = std::min(slice->length, data.size() - offset);
        data = data.subspan(offset, length);
    }
    if (encoding == solana_account_encoding::json_parsed && !slice
        && account.owner == known_.token_program && account.data.size() == token_account_len) {
        schema::bytes32 mint{};
        schema::bytes32 owner{};
        std::copy_n(account.data.begin(), 32, mint.begin());
        std::copy_n(account.data.begin() + token_owner_offset, 32, owner.begin());
        const std::uint64_t amount = read_u64_le(account.data, token_amount_offset);
        out += R"({"program":"spl-token","parsed":{"info":{"mint":)";
        append_name(out, mint);
        out += R"(,"owner":)";
        append_name(out, owner);
        out += R"(,"tokenAmount":)";
        append_ui_token_amount(out, amount, token_decimals);
        out += R"(,"state":"initialized","isNative":false},"type":"account"},"space":)";
        solana_json::append_u64(out, account.data.size());
        out += '}';
        return;
    }
    switch (encoding) {
    case solana_account_encoding::binary:
        if (data.size() <= max_base58_bytes) {
            append_b58(out, data);
        } else {
            solana_json::append_string(out, bs58_too_large);
        }
        return;
    case solana_account_encoding::base58:
        out += '[';
        if (data.size() <= max_base58_bytes) {
            append_b58(out, data);
        } else {
            solana_json::append_string(out, bs58_too_large);
        }
        out += R"(,"base58"])";
        return;
    case solana_account_encoding::base64:
    case solana_account_encoding::json_parsed: // no parser: falls back to base64
        out += "[\"";
        out += schema::base64_encode(data);
        out += R"(","base64"])";
        return;
    case solana_account_encoding::base64_zstd:
        out += "[\"";
        out += schema::base64_encode(zstd_raw_frame(data));
        out += R"(","base64+zstd"])";
        return;
    }
}

std::string solana_encoder::account_value(
    const solana_account_state& account,
    solana_account_encoding encoding,
    const std::optional<solana_data_slice>& slice) {
    std::string out = R"({"lamports":)";
    solana_json::append_u64(out, account.lamports);
    out += R"(,"data":)";
    append_account_data(out, account, encoding, slice);
    out += R"(,"owner":)";
    append_name(out, account.owner);
    out += account.executable ? R"(,"executable":true)" : R"(,"executable":false)";
    out += R"(,"rentEpoch":)";
    solana_json::append_u64(out, account.rent_epoch);
    out += R"(,"space":)";
    solana_json::append_u64(out, account.data.size());
    out += '}';
    return out;
}

std::string solana_encoder::keyed_account_value(
    const solana_account_state& account,
    solana_account_encoding encoding,
    const std::optional<solana_data_slice>& slice) {
    std::string out = R"({"pubkey":)";
    append_name(out, account.pubkey);
    out += R"(,"account":)";
    out += account_value(account, encoding, slice);
    out += '}';
    return out;
}

std::string solana_encoder::vote_value(const solana_transaction& tx) {
    std::string out = R"({"votePubkey":)";
    append_name(out, tx.account_keys.size() > 1 ? tx.account_keys[1] : tx.account_keys[0]);
    out += R"(,"slots":)";
    append_number_array(out, tx.vote_slots);
    out += R"(,"hash":)";
    append_b58(out, tx.vote_hash);
    out += R"(,"timestamp":)";
    if (tx.vote_timestamp) {
        solana_json::append_i64(out, *tx.vote_timestamp);
    } else {
        out += "null";
    }
    out += R"(,"signature":")";
    out += tx.signature_b58;
    out += "\"}";
    return out;
}

std::string solana_encoder::signature_status(
    std::uint64_t slot,
    const solana_transaction& tx,
    std::optional<std::uint64_t> confirmations,
    solana_commitment status) {
    std::string out = R"({"slot":)";
    solana_json::append_u64(out, slot);
    out += R"(,"confirmations":)";
    if (confirmations) {
        solana_json::append_u64(out, *confirmations);
    } else {
        out += "null";
    }
    out += R"(,"status":)";
    append_status(out, tx.err_json);
    out += R"(,"err":)";
    append_err(out, tx.err_json);
    out += R"(,"confirmationStatus":")";
    out += to_string(status);
    out += "\"}";
    return out;
}

} // namespace ledgertap::sim
