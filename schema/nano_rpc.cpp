// Nano RPC response decoders (protocols/nano.md §3.1–3.2). Same reading model as nano.cpp:
// schema/json.hpp readers record the first error with its full path.

#include "schema/nano_rpc.hpp"

#include "schema/json.hpp"

#include <utility>

namespace ledgertap::schema::nano {

namespace {

constexpr std::string_view hash_what = "a 64-digit hex hash";
constexpr std::string_view u64_what = "a decimal u64";
constexpr std::string_view u128_what = "a decimal u128";

std::optional<std::uint64_t> read_u64(const json::object& in, std::string_view key) {
    return in.parsed(key, parse_u64, u64_what);
}

std::optional<std::uint64_t> read_optional_u64(const json::object& in, std::string_view key) {
    return in.optional_parsed(key, parse_u64, u64_what);
}

std::optional<u128> read_u128(const json::object& in, std::string_view key) {
    return in.parsed(key, parse_u128, u128_what);
}

std::optional<u128> read_optional_u128(const json::object& in, std::string_view key) {
    return in.optional_parsed(key, parse_u128, u128_what);
}

std::optional<std::string> read_optional_hash(const json::object& in, std::string_view key) {
    if (!in.has(key)) {
        return std::nullopt;
    }
    return detail::read_hash(in, key);
}

std::optional<std::string> read_optional_account(const json::object& in, std::string_view key) {
    if (!in.has(key)) {
        return std::nullopt;
    }
    return detail::read_account(in, key);
}

std::optional<std::string> read_optional_text(const json::object& in, std::string_view key) {
    const auto text = in.optional_string(key);
    if (!text) {
        return std::nullopt;
    }
    return std::string(*text);
}

/// The node's booleans in RPC answers: "true"/"false", and "1"/"0" for `pending`/`receivable`.
std::optional<bool> parse_flag(std::string_view text) {
    if (text == "true" || text == "1") {
        return true;
    }
    if (text == "false" || text == "0") {
        return false;
    }
    return std::nullopt;
}

std::optional<bytes32> hash_key(std::string_view text) {
    return parse_hex32(text);
}

/// Runs `read` on the root object of `text`, after separating node errors.
template<typename T, typename Read>
rpc_result<T> decode_reply(std::string_view text, Read&& read) noexcept {
    auto document = json::parse_document(text);
    if (!document) {
        return document.error();
    }
    json::errors errs;
    const auto root = json::object::root(document.value(), errs);
    if (!root) {
        return errs.error();
    }
    if (root->has("error")) {
        const auto message = root->string("error");
        if (!message) {
            return errs.error();
        }
        return rpc_reply<T>{rpc_error{std::string(*message)}};
    }
    std::optional<T> value = read(*root);
    if (errs.failed() || !value) {
        return errs.error();
    }
    return rpc_reply<T>{std::move(*value)};
}

// ---- block_info / blocks_info
// -----------------------------------------------------------------------

/// Reads one block_info object; `expected_hash` is uppercase hex.
std::optional<block_info> read_block_info(
    const json::object& in, const std::string& expected_hash) {
    block_info info;
    info.hash = expected_hash;
    const auto block_account = detail::read_account(in, "block_account");
    info.amount = read_optional_u128(in, "amount");
    const auto balance = read_u128(in, "balance");
    const auto height = read_u64(in, "height");
    const auto local_timestamp = read_u64(in, "local_timestamp");
    info.successor = read_optional_hash(in, "successor");
    const auto confirmed = in.parsed("confirmed", detail::parse_bool, "\"true\" or \"false\"");
    info.linked_account = detail::read_linked_account(in, "linked_account");
    std::optional<block_subtype> subtype;
    if (const auto text = in.optional_string("subtype")) {
        subtype = detail::parse_subtype(*text);
        if (!subtype) {
            in.fail("subtype", "not send, receive, change or epoch");
        }
    }
    if (in.has("receivable")) {
        info.receivable = in.parsed("receivable", parse_flag, "\"1\" or \"0\"");
    } else {
        info.receivable = in.optional_parsed("pending", parse_flag, "\"1\" or \"0\"");
    }
    info.receive_hash = read_optional_hash(in, "receive_hash");
    info.source_account = detail::read_linked_account(in, "source_account");
    if (in.errs().failed()) {
        return std::nullopt;
    }

    // contents: an object with json_block=true, else the same JSON as a string.
    const auto* contents_value = in.find("contents");
    if (contents_value == nullptr) {
        in.fail("contents", "missing");
        return std::nullopt;
    }
    std::optional<rapidjson::Document> nested;
    const rapidjson::Value* contents_object = contents_value;
    if (contents_value->IsString()) {
        auto parsed = json::parse_document(
            std::string_view(contents_value->GetString(), contents_value->GetStringLength()));
        if (!parsed) {
            in.fail(
                "contents", "a JSON-string contents that is not JSON: " + parsed.error().detail);
            return std::nullopt;
        }
        nested.emplace(std::move(parsed.value()));
        contents_object = &*nested;
    }
    if (!contents_object->IsObject()) {
        in.fail(
            "contents",
            std::string("expected an object, got ") + json::type_name(*contents_object));
        return std::nullopt;
    }
    const json::object contents(*contents_object, in.path_of("contents"), in.errs());
    auto b = detail::read_block(contents, detail::block_context{*block_account, false});
    if (!b) {
        return std::nullopt;
    }
    if (subtype) {
        b->subtype = *subtype;
    }
    if (b->hash != expected_hash) {
        in.fail("contents", "computed hash " + b->hash + " differs from " + expected_hash);
        return std::nullopt;
    }
    if (b->account != *block_account) {
        in.fail("block_account", "differs from contents.account " + b->account);
        return std::nullopt;
    }
    if (b->balance && *b->balance != *balance) {
        in.fail("balance", "differs from contents.balance");
        return std::nullopt;
    }
    info.block_account = *block_account;
    info.balance = *balance;
    info.height = *height;
    info.local_timestamp = *local_timestamp;
    info.confirmed = *confirmed;
    info.contents = std::move(*b);
    return info;
}

std::optional<blocks_info> read_blocks_info(const json::object& root) {
    blocks_info out;
    const auto* blocks = root.find("blocks");
    if (blocks == nullptr) {
        root.fail("blocks", "missing");
        return std::nullopt;
    }
    if (blocks->IsObject()) {
        const json::object map(*blocks, root.path_of("blocks"), root.errs());
        out.blocks.reserve(blocks->MemberCount());
        for (auto it = blocks->MemberBegin(); it != blocks->MemberEnd(); ++it) {
            const std::string_view key(it->name.GetString(), it->name.GetStringLength());
            const auto key_bytes = parse_hex32(key);
            if (!key_bytes) {
                map.fail(key, "the key is not a 64-digit hex hash");
                return std::nullopt;
            }
            if (!it->value.IsObject()) {
                map.fail(key, std::string("expected an object, got ") + json::type_name(it->value));
                return std::nullopt;
            }
            const json::object entry(it->value, map.path_of(key), root.errs());
            auto info = read_block_info(entry, hex_upper(*key_bytes));
            if (!info) {
                return std::nullopt;
            }
            out.blocks.push_back(std::move(*info));
        }
    } else if (!blocks->IsString() || blocks->GetStringLength() != 0) {
        root.fail(
            "blocks", std::string("expected an object or \"\", got ") + json::type_name(*blocks));
        return std::nullopt;
    }
    if (const auto missing = root.optional_array_or_empty("blocks_not_found")) {
        for (std::size_t i = 0; i < missing->size(); ++i) {
            const auto hash = missing->parsed_at(i, hash_key, hash_what);
            if (!hash) {
                return std::nullopt;
            }
            out.blocks_not_found.push_back(hex_upper(*hash));
        }
    }
    if (root.errs().failed()) {
        return std::nullopt;
    }
    return out;
}

std::optional<block_hashes> read_block_hashes(const json::object& root) {
    const auto blocks = root.array_or_empty("blocks");
    if (!blocks) {
        return std::nullopt;
    }
    block_hashes out;
    out.blocks.reserve(blocks->size());
    for (std::size_t i = 0; i < blocks->size(); ++i) {
        const auto hash = blocks->parsed_at(i, hash_key, hash_what);
        if (!hash) {
            return std::nullopt;
        }
        out.blocks.push_back(hex_upper(*hash));
    }
    return out;
}

// ---- account_info
// ---------------------------------------------------------------------------------

std::optional<account_info> read_account_info(const json::object& root) {
    account_info a;
    const auto frontier = detail::read_hash(root, "frontier");
    const auto open_block = detail::read_hash(root, "open_block");
    const auto representative_block = detail::read_hash(root, "representative_block");
    const auto balance = read_u128(root, "balance");
    const auto modified_timestamp = read_u64(root, "modified_timestamp");
    const auto block_count = read_u64(root, "block_count");
    a.account_version = read_optional_u64(root, "account_version");
    // include_confirmed=true replaces confirmation_height(_frontier) by confirmed_height/frontier.
    const bool confirmed_spelling = root.has("confirmed_height");
    const auto height
        = read_u64(root, confirmed_spelling ? "confirmed_height" : "confirmation_height");
    a.confirmed_frontier = read_optional_hash(
        root, confirmed_spelling ? "confirmed_frontier" : "confirmation_height_frontier");
    a.representative = read_optional_account(root, "representative");
    a.weight = read_optional_u128(root, "weight");
    a.receivable = read_optional_u128(root, root.has("receivable") ? "receivable" : "pending");
    a.confirmed_balance = read_optional_u128(root, "confirmed_balance");
    a.confirmed_representative = read_optional_account(root, "confirmed_representative");
    a.confirmed_receivable = read_optional_u128(
        root, root.has("confirmed_receivable") ? "confirmed_receivable" : "confirmed_pending");
    if (root.errs().failed()) {
        return std::nullopt;
    }
    if (*height > *block_count) {
        root.fail(
            confirmed_spelling ? "confirmed_height" : "confirmation_height",
            "greater than block_count");
        return std::nullopt;
    }
    a.frontier = *frontier;
    a.open_block = *open_block;
    a.representative_block = *representative_block;
    a.balance = *balance;
    a.modified_timestamp = *modified_timestamp;
    a.block_count = *block_count;
    a.confirmed_height = *height;
    return a;
}

// ---- account_history
// ------------------------------------------------------------------------------

std::optional<bytes32> account_key(std::string_view text) {
    return decode_account(text);
}

std::optional<block_type> parse_history_type(std::string_view text) {
    if (text == "state") {
        return block_type::state;
    }
    if (text == "send") {
        return block_type::send;
    }
    if (text == "receive") {
        return block_type::receive;
    }
    if (text == "open") {
        return block_type::open;
    }
    if (text == "change") {
        return block_type::change;
    }
    return std::nullopt;
}

/// Raw entries carry the block fields without the block's own account (`account` is the
/// counterparty), so the block is rebuilt here with the history's account.
std::optional<history_entry> read_history_entry(
    const json::object& e, const bytes32& account, const std::string& account_address) {
    const auto type_text = e.string("type");
    if (!type_text) {
        return std::nullopt;
    }
    const auto type = parse_history_type(*type_text);
    if (!type) {
        e.fail(
            "type",
            *type_text == "unknown" ? "unknown (a pruned block)"
                                    : "not a block type (was raw=true requested?)");
        return std::nullopt;
    }
    if (!e.has("signature")) {
        e.fail("signature", "missing (account_history must be called with raw=true)");
        return std::nullopt;
    }
    history_entry h;
    nano::block& b = h.block;
    b.type = *type;
    b.account = account_address;
    const auto hash = detail::read_hash(e, "hash");
    const auto height = read_u64(e, "height");
    const auto local_timestamp = read_u64(e, "local_timestamp");
    h.confirmed = e.optional_parsed("confirmed", detail::parse_bool, "\"true\" or \"false\"");
    h.amount = read_optional_u128(e, "amount");
    h.counterparty = read_optional_account(e, "account");
    h.linked_account = detail::read_linked_account(e, "linked_account");
    const auto signature = e.parsed("signature", parse_hex64, "a 128-digit hex signature");
    const auto work_value = e.parsed("work", parse_hex_u64, "a 1..16-digit hex work value");
    if (e.errs().failed()) {
        return std::nullopt;
    }
    b.signature = hex_upper(*signature);
    b.work = format_hex_u64(*work_value);

    const auto hash_field
        = [&e](std::string_view key) { return e.parsed(key, hash_key, hash_what); };
    const auto account_field = [&e](std::string_view key) {
        return e.parsed(key, account_key, "a valid nano_ account address");
    };
    bytes32 computed{};
    switch (b.type) {
    case block_type::state: {
        const auto previous = hash_field("previous");
        const auto representative = account_field("representative");
        const auto balance = read_u128(e, "balance");
        const auto link = hash_field("link");
        if (const auto subtype = e.optional_string("subtype")) {
            const auto parsed = detail::parse_subtype(*subtype);
            if (!parsed) {
                e.fail("subtype", "not send, receive, change or epoch");
                return std::nullopt;
            }
            b.subtype = *parsed;
        }
        if (e.errs().failed()) {
            return std::nullopt;
        }
        computed = state_block_hash(account, *previous, *representative, *balance, *link);
        b.previous = hex_upper(*previous);
        b.representative = encode_account(*representative);
        b.balance = *balance;
        b.link = hex_upper(*link);
        b.link_as_account = encode_account(*link);
        break;
    }
    case block_type::send: {
        const auto previous = hash_field("previous");
        const auto destination = account_field("destination");
        const auto balance = read_u128(e, "balance"); // decimal in account_history
        if (e.errs().failed()) {
            return std::nullopt;
        }
        computed = send_block_hash(*previous, *destination, *balance);
        b.previous = hex_upper(*previous);
        b.balance = *balance;
        b.link = hex_upper(*destination);
        b.link_as_account = encode_account(*destination);
        break;
    }
    case block_type::receive: {
        const auto previous = hash_field("previous");
        const auto source = hash_field("source");
        if (e.errs().failed()) {
            return std::nullopt;
        }
        computed = receive_block_hash(*previous, *source);
        b.previous = hex_upper(*previous);
        b.link = hex_upper(*source);
        break;
    }
    case block_type::open: {
        const auto source = hash_field("source");
        const auto representative = account_field("representative");
        if (e.errs().failed()) {
            return std::nullopt;
        }
        computed = open_block_hash(*source, *representative, account);
        b.previous = std::string(64, '0');
        b.representative = encode_account(*representative);
        b.link = hex_upper(*source);
        break;
    }
    case block_type::change: {
        const auto previous = hash_field("previous");
        const auto representative = account_field("representative");
        if (e.errs().failed()) {
            return std::nullopt;
        }
        computed = change_block_hash(*previous, *representative);
        b.previous = hex_upper(*previous);
        b.representative = encode_account(*representative);
        b.link = std::string(64, '0');
        break;
    }
    }
    b.hash = hex_upper(computed);
    if (b.hash != *hash) {
        e.fail("hash", "does not match the block's computed hash " + b.hash);
        return std::nullopt;
    }
    h.height = *height;
    h.local_timestamp = *local_timestamp;
    return h;
}

std::optional<account_history> read_account_history(const json::object& root) {
    account_history out;
    const auto key = root.parsed("account", account_key, "a valid nano_ account address");
    const auto history = root.array_or_empty("history");
    out.previous = read_optional_hash(root, "previous");
    out.next = read_optional_hash(root, "next");
    if (!key || !history || root.errs().failed()) {
        return std::nullopt;
    }
    out.account = encode_account(*key);
    out.history.reserve(history->size());
    for (std::size_t i = 0; i < history->size(); ++i) {
        const auto entry = history->object_at(i);
        if (!entry) {
            return std::nullopt;
        }
        auto h = read_history_entry(*entry, *key, out.account);
        if (!h) {
            return std::nullopt;
        }
        out.history.push_back(std::move(*h));
    }
    return out;
}

// ---- block_count, version, confirmation_history
// -------------------------------------------------------

std::optional<block_count> read_block_count(const json::object& root) {
    block_count out;
    const auto count = read_u64(root, "count");
    const auto unchecked = read_u64(root, "unchecked");
    const auto cemented = read_u64(root, "cemented");
    out.full = read_optional_u64(root, "full");
    out.pruned = read_optional_u64(root, "pruned");
    if (root.errs().failed()) {
        return std::nullopt;
    }
    out.count = *count;
    out.unchecked = *unchecked;
    out.cemented = *cemented;
    return out;
}

std::optional<node_version> read_version(const json::object& root) {
    node_version out;
    const auto vendor = root.string("node_vendor");
    out.rpc_version = read_optional_text(root, "rpc_version");
    out.store_version = read_optional_text(root, "store_version");
    out.protocol_version = read_optional_text(root, "protocol_version");
    out.store_vendor = read_optional_text(root, "store_vendor");
    out.network = read_optional_text(root, "network");
    out.network_identifier = read_optional_hash(root, "network_identifier");
    out.build_info = read_optional_text(root, "build_info");
    if (!vendor || root.errs().failed()) {
        return std::nullopt;
    }
    out.node_vendor = std::string(*vendor);
    return out;
}

std::optional<confirmation_history> read_confirmation_history(const json::object& root) {
    confirmation_history out;
    if (const auto stats = root.child("confirmation_stats")) {
        out.count = read_u64(*stats, "count").value_or(0);
        out.average_ms = read_optional_u64(*stats, "average");
    }
    const auto list = root.array_or_empty("confirmations");
    if (!list || root.errs().failed()) {
        return std::nullopt;
    }
    out.confirmations.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto e = list->object_at(i);
        if (!e) {
            return std::nullopt;
        }
        confirmation_history_entry entry;
        const auto hash = detail::read_hash(*e, "hash");
        const auto duration = read_u64(*e, "duration");
        const auto time = read_u64(*e, "time");
        const auto tally = read_u128(*e, "tally");
        entry.final_tally = read_optional_u128(*e, "final");
        entry.blocks = read_optional_u64(*e, "blocks");
        entry.voters = read_optional_u64(*e, "voters");
        entry.request_count = read_optional_u64(*e, "request_count");
        if (root.errs().failed()) {
            return std::nullopt;
        }
        entry.hash = *hash;
        entry.duration_ms = *duration;
        entry.time = *time;
        entry.tally = *tally;
        out.confirmations.push_back(std::move(entry));
    }
    return out;
}

} // namespace

rpc_result<block_info> decode_block_info(
    std::string_view text, std::string_view requested_hash) noexcept {
    const auto requested = parse_hex32(requested_hash);
    if (!requested) {
        return decode_error{decode_errc::bad_field, "requested hash: not a 64-digit hex hash"};
    }
    const std::string expected = hex_upper(*requested);
    return decode_reply<block_info>(
        text, [&expected](const json::object& root) { return read_block_info(root, expected); });
}

rpc_result<blocks_info> decode_blocks_info(std::string_view text) noexcept {
    return decode_reply<blocks_info>(text, read_blocks_info);
}

rpc_result<block_hashes> decode_chain(std::string_view text) noexcept {
    return decode_reply<block_hashes>(text, read_block_hashes);
}

rpc_result<block_hashes> decode_successors(std::string_view text) noexcept {
    return decode_reply<block_hashes>(text, read_block_hashes);
}

rpc_result<account_info> decode_account_info(std::string_view text) noexcept {
    return decode_reply<account_info>(text, read_account_info);
}

rpc_result<account_history> decode_account_history(std::string_view text) noexcept {
    return decode_reply<account_history>(text, read_account_history);
}

rpc_result<block_count> decode_block_count(std::string_view text) noexcept {
    return decode_reply<block_count>(text, read_block_count);
}

rpc_result<node_version> decode_version(std::string_view text) noexcept {
    return decode_reply<node_version>(text, read_version);
}

rpc_result<confirmation_history> decode_confirmation_history(std::string_view text) noexcept {
    return decode_reply<confirmation_history>(text, read_confirmation_history);
}

} // namespace ledgertap::schema::nano
