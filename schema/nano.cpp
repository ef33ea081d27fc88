// Nano WebSocket decoder. Facts: protocols/nano.md §0.1 (every scalar is a string, "" is an empty
// array), §1.4–1.10 (messages), §2.1–2.4 (blocks, hashes, addresses).

#include "schema/nano.hpp"

#include "schema/json.hpp"

#include <algorithm>
#include <limits>

namespace ledgertap::schema::nano {

const char* to_string(block_type type) noexcept {
    switch (type) {
    case block_type::state:
        return "state";
    case block_type::send:
        return "send";
    case block_type::receive:
        return "receive";
    case block_type::open:
        return "open";
    case block_type::change:
        return "change";
    }
    return "unknown";
}

const char* to_string(block_subtype subtype) noexcept {
    switch (subtype) {
    case block_subtype::none:
        return "none";
    case block_subtype::send:
        return "send";
    case block_subtype::receive:
        return "receive";
    case block_subtype::change:
        return "change";
    case block_subtype::epoch:
        return "epoch";
    }
    return "unknown";
}

const char* to_string(confirmation_type type) noexcept {
    switch (type) {
    case confirmation_type::active_quorum:
        return "active_quorum";
    case confirmation_type::active_confirmation_height:
        return "active_confirmation_height";
    case confirmation_type::inactive:
        return "inactive";
    case confirmation_type::unknown:
        return "unknown";
    }
    return "unknown";
}

const char* to_string(vote_type type) noexcept {
    switch (type) {
    case vote_type::vote:
        return "vote";
    case vote_type::replay:
        return "replay";
    case vote_type::indeterminate:
        return "indeterminate";
    case vote_type::ignored:
        return "ignored";
    }
    return "unknown";
}

bool block::is_open() const noexcept {
    return type == block_type::open
           || (type == block_type::state
               && std::all_of(previous.begin(), previous.end(), [](char c) { return c == '0'; }));
}

namespace {

constexpr std::string_view hash_what = "a 64-digit hex hash";
constexpr std::string_view account_what = "a valid nano_ account address";
constexpr std::string_view u64_what = "a decimal u64";
constexpr std::string_view u128_what = "a decimal u128";
constexpr std::string_view work_what = "a 1..16-digit hex work/difficulty value";
constexpr std::string_view signature_what = "a 128-digit hex signature";

const std::string zero_hash(64, '0');

/// Error text for an unexpected enumeration value; long or odd input is cut short.
std::string unknown_value(std::string_view what, std::string_view text) {
    constexpr std::size_t max_shown = 64;
    std::string shown;
    for (const char c : text.substr(0, max_shown)) {
        shown.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (text.size() > max_shown) {
        shown.append("...");
    }
    return std::string("unknown ").append(what).append(" '").append(shown).append("'");
}

std::optional<bytes32> account_key(std::string_view text) {
    return decode_account(text);
}

std::optional<bytes32> hash_bytes(const json::object& in, std::string_view key) {
    return in.parsed(key, parse_hex32, hash_what);
}

std::optional<bytes32> account_bytes(const json::object& in, std::string_view key) {
    return in.parsed(key, account_key, account_what);
}

std::optional<std::uint64_t> read_u64(const json::object& in, std::string_view key) {
    return in.parsed(key, parse_u64, u64_what);
}

std::optional<std::uint64_t> read_optional_u64(const json::object& in, std::string_view key) {
    return in.optional_parsed(key, parse_u64, u64_what);
}

std::optional<u128> read_u128(const json::object& in, std::string_view key) {
    return in.parsed(key, parse_u128, u128_what);
}

std::optional<std::string> work_text(std::optional<std::uint64_t> value) {
    if (!value) {
        return std::nullopt;
    }
    return format_hex_u64(*value);
}

std::optional<std::string> read_work(const json::object& in, std::string_view key) {
    return work_text(in.parsed(key, parse_hex_u64, work_what));
}

std::optional<std::string> read_optional_work(const json::object& in, std::string_view key) {
    return work_text(in.optional_parsed(key, parse_hex_u64, work_what));
}

std::optional<std::string> read_signature(const json::object& in, std::string_view key) {
    const auto bytes = in.parsed(key, parse_hex64, signature_what);
    if (!bytes) {
        return std::nullopt;
    }
    return hex_upper(*bytes);
}

/// An unsigned decimal that must fit in T (u8, u16, u32).
template<typename T>
std::optional<T> read_narrow(const json::object& in, std::string_view key) {
    const auto wide = read_u64(in, key);
    if (!wide) {
        return std::nullopt;
    }
    if (*wide > std::numeric_limits<T>::max()) {
        in.fail(key, "out of range (max " + std::to_string(std::numeric_limits<T>::max()) + ")");
        return std::nullopt;
    }
    return static_cast<T>(*wide);
}

/// The decimal text the node writes for a double: digits, optional fraction and exponent.
bool is_decimal_text(std::string_view text) {
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            ++i;
        }
        return i > start;
    };
    if (!digits()) {
        return false;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        if (!digits()) {
            return false;
        }
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
            ++i;
        }
        if (!digits()) {
            return false;
        }
    }
    return i == text.size();
}

std::optional<std::string> read_multiplier(const json::object& in, std::string_view key) {
    const auto text = in.string(key);
    if (!text) {
        return std::nullopt;
    }
    if (!is_decimal_text(*text)) {
        in.fail(key, "not a decimal number");
        return std::nullopt;
    }
    return std::string(*text);
}

/// A free-form string field.
std::optional<std::string> read_text(const json::object& in, std::string_view key) {
    const auto text = in.string(key);
    if (!text) {
        return std::nullopt;
    }
    return std::string(*text);
}

std::optional<std::string> read_optional_text(const json::object& in, std::string_view key) {
    const auto text = in.optional_string(key);
    if (!text) {
        return std::nullopt;
    }
    return std::string(*text);
}

// ---- blocks
// ---------------------------------------------------------------------------------------

std::optional<block> read_state_block(const json::object& in, block b) {
    const auto account = account_bytes(in, "account");
    const auto previous = hash_bytes(in, "previous");
    const auto representative = account_bytes(in, "representative");
    const auto balance = read_u128(in, "balance");
    const auto link = hash_bytes(in, "link");
    const auto link_as_account = in.optional_string("link_as_account");
    if (!account || !previous || !representative || !balance || !link) {
        return std::nullopt;
    }
    if (link_as_account) {
        const auto decoded = decode_account(*link_as_account);
        if (!decoded) {
            in.fail("link_as_account", std::string("not ").append(account_what));
            return std::nullopt;
        }
        if (*decoded != *link) {
            in.fail("link_as_account", "does not encode the block's link");
            return std::nullopt;
        }
    }
    b.hash = hex_upper(state_block_hash(*account, *previous, *representative, *balance, *link));
    b.account = encode_account(*account);
    b.previous = hex_upper(*previous);
    b.representative = encode_account(*representative);
    b.balance = *balance;
    b.link = hex_upper(*link);
    b.link_as_account = encode_account(*link);
    return b;
}

std::optional<block> read_legacy_block(
    const json::object& in, block b, std::string_view enclosing_account) {
    b.account = std::string(enclosing_account);
    switch (b.type) {
    case block_type::send: {
        const auto previous = hash_bytes(in, "previous");
        const auto destination = account_bytes(in, "destination");
        const auto balance = in.parsed("balance", parse_hex_u128, "a 32-digit hex balance");
        if (!previous || !destination || !balance) {
            return std::nullopt;
        }
        b.hash = hex_upper(send_block_hash(*previous, *destination, *balance));
        b.previous = hex_upper(*previous);
        b.balance = *balance;
        b.link = hex_upper(*destination);
        b.link_as_account = encode_account(*destination);
        return b;
    }
    case block_type::receive: {
        const auto previous = hash_bytes(in, "previous");
        const auto source = hash_bytes(in, "source");
        if (!previous || !source) {
            return std::nullopt;
        }
        b.hash = hex_upper(receive_block_hash(*previous, *source));
        b.previous = hex_upper(*previous);
        b.link = hex_upper(*source);
        return b;
    }
    case block_type::open: {
        const auto source = hash_bytes(in, "source");
        const auto representative = account_bytes(in, "representative");
        const auto account = account_bytes(in, "account");
        if (!source || !representative || !account) {
            return std::nullopt;
        }
        b.hash = hex_upper(open_block_hash(*source, *representative, *account));
        b.account = encode_account(*account);
        b.previous = zero_hash;
        b.representative = encode_account(*representative);
        b.link = hex_upper(*source);
        return b;
    }
    case block_type::change: {
        const auto previous = hash_bytes(in, "previous");
        const auto representative = account_bytes(in, "representative");
        if (!previous || !representative) {
            return std::nullopt;
        }
        b.hash = hex_upper(change_block_hash(*previous, *representative));
        b.previous = hex_upper(*previous);
        b.representative = encode_account(*representative);
        b.link = zero_hash;
        return b;
    }
    case block_type::state:
        break;
    }
    return std::nullopt;
}

std::optional<block_type> parse_block_type(std::string_view text) {
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

// ---- messages
// ---------------------------------------------------------------------------------------

std::optional<confirmation_type> parse_confirmation_type(std::string_view text) {
    if (text == "active_quorum") {
        return confirmation_type::active_quorum;
    }
    if (text == "active_confirmation_height") {
        return confirmation_type::active_confirmation_height;
    }
    if (text == "inactive") {
        return confirmation_type::inactive;
    }
    if (text == "unknown") {
        return confirmation_type::unknown;
    }
    return std::nullopt;
}

std::optional<election_info> read_election_info(const json::object& in) {
    election_info info;
    const auto duration = read_u64(in, "duration");
    const auto time = read_u64(in, "time");
    const auto tally = read_u128(in, "tally");
    info.final_tally = in.optional_parsed("final", parse_u128, u128_what);
    info.blocks = read_optional_u64(in, "blocks");
    info.voters = read_optional_u64(in, "voters");
    info.request_count = read_optional_u64(in, "request_count");
    if (const auto votes = in.optional_array_or_empty("votes")) {
        std::vector<election_vote> list;
        list.reserve(votes->size());
        for (std::size_t i = 0; i < votes->size(); ++i) {
            const auto element = votes->object_at(i);
            if (!element) {
                return std::nullopt;
            }
            const auto representative = detail::read_account(*element, "representative");
            const auto timestamp = read_u64(*element, "timestamp");
            const auto hash = detail::read_hash(*element, "hash");
            const auto weight = read_u128(*element, "weight");
            if (!representative || !timestamp || !hash || !weight) {
                return std::nullopt;
            }
            list.push_back(election_vote{*representative, *timestamp, *hash, *weight});
        }
        info.votes = std::move(list);
    }
    if (!duration || !time || !tally || in.errs().failed()) {
        return std::nullopt;
    }
    info.duration_ms = *duration;
    info.time_ms = *time;
    info.tally = *tally;
    return info;
}

std::optional<ws_message> read_confirmation(const json::object& message, std::uint64_t time_ms) {
    confirmation c;
    c.time_ms = time_ms;
    const auto account = detail::read_account(message, "account");
    const auto amount = read_u128(message, "amount");
    const auto hash = detail::read_hash(message, "hash");
    const auto type
        = message.parsed("confirmation_type", parse_confirmation_type, "a known confirmation_type");
    if (!account || !amount || !hash || !type) {
        return std::nullopt;
    }
    c.account = *account;
    c.amount = *amount;
    c.hash = *hash;
    c.type = *type;

    if (const auto info = message.optional_child("election_info")) {
        c.election_info = read_election_info(*info);
    }
    if (const auto side = message.optional_child("sideband")) {
        const auto height = read_u64(*side, "height");
        const auto local_timestamp = read_u64(*side, "local_timestamp");
        if (height && local_timestamp) {
            c.sideband = sideband{*height, *local_timestamp};
        }
    }
    c.linked_account = detail::read_linked_account(message, "linked_account");
    if (const auto block_in = message.optional_child("block")) {
        c.block = detail::read_block(*block_in, detail::block_context{c.account, false});
        if (c.block) {
            if (c.block->hash != c.hash) {
                message.fail("hash", "does not match the block's computed hash " + c.block->hash);
                return std::nullopt;
            }
            if (c.block->account != c.account) {
                block_in->fail("account", "differs from message.account");
                return std::nullopt;
            }
        }
        if (auto inner = detail::read_linked_account(*block_in, "linked_account")) {
            c.linked_account = std::move(inner);
        }
    }
    if (message.errs().failed()) {
        return std::nullopt;
    }
    return c;
}

std::optional<vote_type> parse_vote_type(std::string_view text) {
    if (text == "vote") {
        return vote_type::vote;
    }
    if (text == "replay") {
        return vote_type::replay;
    }
    if (text == "indeterminate") {
        return vote_type::indeterminate;
    }
    if (text == "ignored") {
        return vote_type::ignored;
    }
    return std::nullopt;
}

std::optional<ws_message> read_vote(const json::object& message, std::uint64_t time_ms) {
    constexpr std::size_t max_hashes = 255;
    constexpr std::uint64_t max_duration_code = 15;
    vote v;
    v.time_ms = time_ms;
    const auto account = detail::read_account(message, "account");
    const auto signature
        = message.parsed("signature", parse_decimal_u512, "a decimal 512-bit signature");
    // `timestamp` since V22; `sequence` is the older name of the same value.
    const auto timestamp = message.has("timestamp") || !message.has("sequence")
                               ? read_u64(message, "timestamp")
                               : read_u64(message, "sequence");
    const auto duration = read_optional_u64(message, "duration");
    const auto type = message.parsed("type", parse_vote_type, "a known vote type");
    const auto blocks = message.array_or_empty("blocks");
    if (!account || !signature || !timestamp || !type || !blocks) {
        return std::nullopt;
    }
    if (duration) {
        if (*duration > max_duration_code) {
            message.fail("duration", "out of range (a 4-bit code, max 15)");
            return std::nullopt;
        }
        v.duration = static_cast<std::uint8_t>(*duration);
    }
    if (blocks->empty() || blocks->size() > max_hashes) {
        message.fail("blocks", "expected 1..255 hashes, got " + std::to_string(blocks->size()));
        return std::nullopt;
    }
    v.blocks.reserve(blocks->size());
    for (std::size_t i = 0; i < blocks->size(); ++i) {
        const auto hash = blocks->parsed_at(i, parse_hex32, hash_what);
        if (!hash) {
            return std::nullopt;
        }
        v.blocks.push_back(hex_upper(*hash));
    }
    if (message.errs().failed()) {
        return std::nullopt;
    }
    v.account = *account;
    v.signature = hex_upper(*signature);
    v.timestamp = *timestamp;
    v.is_final = *timestamp == std::numeric_limits<std::uint64_t>::max();
    v.type = *type;
    return v;
}

std::optional<ws_message> read_election(
    const json::object& message, std::uint64_t time_ms, election_event event) {
    const auto hash = detail::read_hash(message, "hash");
    if (!hash) {
        return std::nullopt;
    }
    return election{time_ms, *hash, event};
}

/// node_ address, or 64 hex as V21.0 sent it; normalised to node_.
std::optional<bytes32> node_id_key(std::string_view text) {
    if (auto key = decode_account(text, true)) {
        return key;
    }
    return parse_hex32(text);
}

std::optional<ws_message> read_telemetry(const json::object& m, std::uint64_t time_ms) {
    telemetry t;
    t.time_ms = time_ms;
    const auto block_count = read_u64(m, "block_count");
    const auto cemented_count = read_u64(m, "cemented_count");
    const auto unchecked_count = read_u64(m, "unchecked_count");
    const auto account_count = read_u64(m, "account_count");
    const auto bandwidth_cap = read_u64(m, "bandwidth_cap");
    const auto peer_count = read_narrow<std::uint32_t>(m, "peer_count");
    const auto protocol_version = read_narrow<std::uint8_t>(m, "protocol_version");
    const auto uptime = read_u64(m, "uptime");
    const auto genesis_block = detail::read_hash(m, "genesis_block");
    const auto major_version = read_narrow<std::uint8_t>(m, "major_version");
    const auto minor_version = read_narrow<std::uint8_t>(m, "minor_version");
    const auto patch_version = read_narrow<std::uint8_t>(m, "patch_version");
    const auto pre_release_version = read_narrow<std::uint8_t>(m, "pre_release_version");
    const auto maker = read_narrow<std::uint8_t>(m, "maker");
    const auto timestamp = read_u64(m, "timestamp");
    t.active_difficulty = read_optional_work(m, "active_difficulty");
    const auto node_id = m.parsed("node_id", node_id_key, "a valid node_ id");
    const auto signature = read_signature(m, "signature");
    const auto address = read_text(m, "address");
    const auto port = read_narrow<std::uint16_t>(m, "port");
    // Newer, unverified fields: kept only when they are strings, never an error.
    const auto extra = [&m](std::string_view key) -> std::optional<std::string> {
        const auto* value = m.find(key);
        if (value == nullptr || !value->IsString()) {
            return std::nullopt;
        }
        std::string text(value->GetString(), value->GetStringLength());
        if (text.find('\0') != std::string::npos) {
            return std::nullopt;
        }
        return text;
    };
    t.database_backend = extra("database_backend");
    t.confirmation_latency_ms_p50 = extra("confirmation_latency_ms_p50");
    t.confirmation_latency_ms_p90 = extra("confirmation_latency_ms_p90");
    t.confirmation_latency_ms_p99 = extra("confirmation_latency_ms_p99");
    t.bootstrap_status = extra("bootstrap_status");
    if (m.errs().failed()) {
        return std::nullopt;
    }
    if (address->empty()) {
        m.fail("address", "empty");
        return std::nullopt;
    }
    t.block_count = *block_count;
    t.cemented_count = *cemented_count;
    t.unchecked_count = *unchecked_count;
    t.account_count = *account_count;
    t.bandwidth_cap = *bandwidth_cap;
    t.peer_count = *peer_count;
    t.protocol_version = *protocol_version;
    t.uptime = *uptime;
    t.genesis_block = *genesis_block;
    t.major_version = *major_version;
    t.minor_version = *minor_version;
    t.patch_version = *patch_version;
    t.pre_release_version = *pre_release_version;
    t.maker = *maker;
    t.timestamp = *timestamp;
    t.node_id = encode_account(*node_id, "node_");
    t.signature = *signature;
    t.address = *address;
    t.port = *port;
    return t;
}

std::optional<ws_message> read_unconfirmed_block(
    const json::object& root, const json::object& message, std::uint64_t time_ms) {
    auto b = detail::read_block(message, detail::block_context{{}, true});
    const auto sent_hash = root.has("hash") ? detail::read_hash(root, "hash") : std::nullopt;
    if (!b || root.errs().failed()) {
        return std::nullopt;
    }
    if (sent_hash && *sent_hash != b->hash) {
        root.fail("hash", "does not match the block's computed hash " + b->hash);
        return std::nullopt;
    }
    unconfirmed_block u;
    u.time_ms = time_ms;
    u.hash = b->hash;
    u.block = std::move(*b);
    return u;
}

std::optional<ws_message> read_work_message(const json::object& m, std::uint64_t time_ms) {
    work w;
    w.time_ms = time_ms;
    const auto success = m.parsed("success", detail::parse_bool, "\"true\" or \"false\"");
    const auto reason = read_text(m, "reason");
    const auto duration = read_u64(m, "duration");
    if (const auto request = m.child("request")) {
        w.request.version = read_optional_text(*request, "version");
        w.request.hash = detail::read_hash(*request, "hash").value_or(std::string());
        w.request.difficulty = read_work(*request, "difficulty").value_or(std::string());
        w.request.multiplier = read_multiplier(*request, "multiplier").value_or(std::string());
    }
    if (const auto result = m.optional_child("result")) {
        work_result r;
        r.source = read_text(*result, "source").value_or(std::string());
        r.work = read_work(*result, "work").value_or(std::string());
        r.difficulty = read_work(*result, "difficulty").value_or(std::string());
        r.multiplier = read_multiplier(*result, "multiplier").value_or(std::string());
        w.result = std::move(r);
    }
    if (const auto peers = m.array_or_empty("bad_peers")) {
        for (std::size_t i = 0; i < peers->size(); ++i) {
            if (const auto peer = peers->string_at(i)) {
                w.bad_peers.emplace_back(*peer);
            }
        }
    }
    if (m.errs().failed()) {
        return std::nullopt;
    }
    w.success = *success;
    w.reason = *reason;
    w.duration_ms = *duration;
    return w;
}

std::optional<bootstrap_reason> parse_bootstrap_reason(std::string_view text) {
    if (text == "started") {
        return bootstrap_reason::started;
    }
    if (text == "exited") {
        return bootstrap_reason::exited;
    }
    return std::nullopt;
}

std::optional<ws_message> read_bootstrap(const json::object& m, std::uint64_t time_ms) {
    bootstrap b;
    b.time_ms = time_ms;
    const auto reason = m.parsed("reason", parse_bootstrap_reason, "\"started\" or \"exited\"");
    const auto id = read_text(m, "id");
    const auto mode = read_text(m, "mode");
    b.total_blocks = read_optional_u64(m, "total_blocks");
    b.duration_s = read_optional_u64(m, "duration");
    if (m.errs().failed()) {
        return std::nullopt;
    }
    b.reason = *reason;
    b.id = *id;
    b.mode = *mode;
    return b;
}

std::optional<ws_message> read_active_difficulty(const json::object& m, std::uint64_t time_ms) {
    active_difficulty a;
    a.time_ms = time_ms;
    const auto multiplier = read_multiplier(m, "multiplier");
    const auto current = read_work(m, "network_current");
    const auto minimum = read_work(m, "network_minimum");
    a.network_receive_current = read_optional_work(m, "network_receive_current");
    a.network_receive_minimum = read_optional_work(m, "network_receive_minimum");
    if (m.errs().failed()) {
        return std::nullopt;
    }
    a.multiplier = *multiplier;
    a.network_current = *current;
    a.network_minimum = *minimum;
    return a;
}

std::optional<ack_action> parse_ack_action(std::string_view text) {
    if (text == "subscribe") {
        return ack_action::subscribe;
    }
    if (text == "unsubscribe") {
        return ack_action::unsubscribe;
    }
    if (text == "update") {
        return ack_action::update;
    }
    if (text == "pong") {
        return ack_action::pong;
    }
    return std::nullopt;
}

std::optional<ws_message> read_ack(const json::object& root) {
    const auto action = root.parsed("ack", parse_ack_action, "a known ack action");
    const auto time = read_u64(root, "time");
    auto id = read_optional_text(root, "id");
    if (!action || !time || root.errs().failed()) {
        return std::nullopt;
    }
    return ack{*action, std::move(id), *time};
}

std::optional<ws_message> read_message(const json::object& root) {
    if (root.has("ack")) {
        return read_ack(root);
    }
    if (!root.has("topic")) {
        root.errs().fail(decode_errc::unexpected_shape, "neither \"topic\" nor \"ack\"");
        return std::nullopt;
    }
    const auto topic = root.string("topic");
    if (!topic) {
        return std::nullopt;
    }
    enum class kind {
        confirmation,
        vote,
        started,
        stopped,
        telemetry,
        unconfirmed,
        work,
        bootstrap,
        difficulty,
    };
    std::optional<kind> k;
    if (*topic == "confirmation") {
        k = kind::confirmation;
    } else if (*topic == "vote") {
        k = kind::vote;
    } else if (*topic == "started_election") {
        k = kind::started;
    } else if (*topic == "stopped_election") {
        k = kind::stopped;
    } else if (*topic == "telemetry") {
        k = kind::telemetry;
    } else if (*topic == "new_unconfirmed_block") {
        k = kind::unconfirmed;
    } else if (*topic == "work") {
        k = kind::work;
    } else if (*topic == "bootstrap") {
        k = kind::bootstrap;
    } else if (*topic == "active_difficulty") {
        k = kind::difficulty;
    }
    if (!k) {
        root.errs().fail(decode_errc::unexpected_shape, unknown_value("topic", *topic));
        return std::nullopt;
    }
    const auto time = read_u64(root, "time");
    const auto message = root.child("message");
    if (!time || !message) {
        return std::nullopt;
    }
    switch (*k) {
    case kind::confirmation:
        return read_confirmation(*message, *time);
    case kind::vote:
        return read_vote(*message, *time);
    case kind::started:
        return read_election(*message, *time, election_event::started);
    case kind::stopped:
        return read_election(*message, *time, election_event::stopped);
    case kind::telemetry:
        return read_telemetry(*message, *time);
    case kind::unconfirmed:
        return read_unconfirmed_block(root, *message, *time);
    case kind::work:
        return read_work_message(*message, *time);
    case kind::bootstrap:
        return read_bootstrap(*message, *time);
    case kind::difficulty:
        return read_active_difficulty(*message, *time);
    }
    return std::nullopt;
}

} // namespace

namespace detail {

std::optional<block_subtype> parse_subtype(std::string_view text) {
    if (text == "send") {
        return block_subtype::send;
    }
    if (text == "receive") {
        return block_subtype::receive;
    }
    if (text == "change") {
        return block_subtype::change;
    }
    if (text == "epoch") {
        return block_subtype::epoch;
    }
    return std::nullopt;
}

/// A linked_account field: "0" means none; otherwise a valid address.
std::optional<std::string> read_linked_account(const json::object& in, std::string_view key) {
    const auto text = in.optional_string(key);
    if (!text || *text == "0") {
        return std::nullopt;
    }
    const auto key_bytes = decode_account(*text);
    if (!key_bytes) {
        in.fail(key, std::string("not ").append(account_what).append(" or \"0\""));
        return std::nullopt;
    }
    return encode_account(*key_bytes);
}

std::optional<bool> parse_bool(std::string_view text) {
    if (text == "true") {
        return true;
    }
    if (text == "false") {
        return false;
    }
    return std::nullopt;
}

std::optional<std::string> read_hash(const json::object& in, std::string_view key) {
    const auto bytes = hash_bytes(in, key);
    if (!bytes) {
        return std::nullopt;
    }
    return hex_upper(*bytes);
}

std::optional<std::string> read_account(const json::object& in, std::string_view key) {
    const auto bytes = account_bytes(in, key);
    if (!bytes) {
        return std::nullopt;
    }
    return encode_account(*bytes);
}

std::optional<block> read_block(const json::object& in, const block_context& ctx) {
    const auto type = in.parsed("type", parse_block_type, "a known block type");
    if (!type) {
        return std::nullopt;
    }
    block b;
    b.type = *type;
    if (const auto subtype = in.optional_string("subtype")) {
        const auto parsed = detail::parse_subtype(*subtype);
        if (!parsed) {
            in.fail("subtype", unknown_value("subtype", *subtype));
            return std::nullopt;
        }
        b.subtype = *parsed;
    } else if (ctx.subtype_required && !in.errs().failed()) {
        in.fail("subtype", "missing");
        return std::nullopt;
    }
    const auto signature = read_signature(in, "signature");
    const auto work_value = read_work(in, "work");
    if (!signature || !work_value) {
        return std::nullopt;
    }
    b.signature = *signature;
    b.work = *work_value;
    auto result = b.is_state() ? read_state_block(in, std::move(b))
                               : read_legacy_block(in, std::move(b), ctx.account);
    if (in.errs().failed()) {
        return std::nullopt;
    }
    return result;
}

} // namespace detail

decode_result<ws_message> decode_ws_message(std::string_view text) noexcept {
    auto document = json::parse_document(text);
    if (!document) {
        return document.error();
    }
    json::errors errs;
    const auto root = json::object::root(document.value(), errs);
    std::optional<ws_message> message;
    if (root) {
        message = read_message(*root);
    }
    if (errs.failed() || !message) {
        return errs.error();
    }
    return std::move(*message);
}

} // namespace ledgertap::schema::nano
