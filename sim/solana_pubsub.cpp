#include "sim/solana_pubsub.hpp"

#include "sim/solana_random.hpp"

#include <algorithm>
#include <span>
#include <utility>

namespace ledgertap::sim {

namespace {

constexpr std::size_t max_filters = 4;         // MAX_GET_PROGRAM_ACCOUNT_FILTERS
constexpr std::size_t max_memcmp_bytes = 128;  // MAX_DATA_SIZE
constexpr std::size_t max_memcmp_base58 = 175; // MAX_DATA_BASE58_SIZE
constexpr std::size_t max_memcmp_base64 = 172; // MAX_DATA_BASE64_SIZE
constexpr std::size_t token_account_len = 165;
constexpr std::size_t token_state_offset = 108;

solana_rpc_error invalid_request(std::string_view what) {
    return solana_rpc_error{
        solana_errc::invalid_params, "Invalid Request: " + std::string(what), {}};
}

solana_rpc_error method_not_found() {
    return solana_rpc_error{solana_errc::method_not_found, "Method not found", {}};
}

std::size_t kind_index(solana_sub_kind k) {
    return static_cast<std::size_t>(k);
}

std::string slice_key(const std::optional<solana_data_slice>& slice) {
    if (!slice) {
        return "-";
    }
    return std::to_string(slice->offset) + "+" + std::to_string(slice->length);
}

/// The position of the first character outside the base58 alphabet, if any.
std::optional<std::pair<char, std::size_t>> bad_base58_char(std::string_view text) {
    static constexpr std::string_view alphabet
        = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (alphabet.find(text[i]) == std::string_view::npos) {
            return std::pair{text[i], i};
        }
    }
    return std::nullopt;
}

std::string hex_of(std::span<const std::uint8_t> bytes) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    for (const auto b : bytes) {
        out += digits[b >> 4U];
        out += digits[b & 0xFU];
    }
    return out;
}

template<class T>
bool take(std::variant<T, solana_rpc_error>&& r, T& out, solana_rpc_error& err) {
    if (auto* e = std::get_if<solana_rpc_error>(&r)) {
        err = std::move(*e);
        return false;
    }
    out = std::move(std::get<T>(r));
    return true;
}

std::string notification_head(std::string_view method, std::size_t capacity) {
    std::string buffer = ws_frame::start_buffer(capacity + 96);
    buffer += R"({"jsonrpc":"2.0","method":")";
    buffer += method;
    buffer += R"(","params":{"result":)";
    return buffer;
}

} // namespace

solana_pubsub::solana_pubsub(
    solana_pubsub_config config,
    solana_chain& chain,
    solana_encoder& encoder,
    const solana_levels& levels,
    solana_pubsub_output& output)
  : config_(std::move(config))
  , chain_(chain)
  , encoder_(encoder)
  , levels_(levels)
  , output_(output)
  , next_id_(config_.first_subscription_id) {}

void solana_pubsub::open(std::uint64_t session) {
    sessions_[session];
}

void solana_pubsub::close(std::uint64_t session) {
    const auto it = sessions_.find(session);
    if (it == sessions_.end()) {
        return;
    }
    const std::set<std::uint64_t> ids = std::move(it->second);
    sessions_.erase(it);
    for (const std::uint64_t id : ids) {
        const auto sub = subs_.find(id);
        if (sub == subs_.end()) {
            continue;
        }
        sub->second.sessions.erase(session);
        if (sub->second.sessions.empty()) {
            remove(id);
        }
    }
}

void solana_pubsub::remove(std::uint64_t id) {
    const auto it = subs_.find(id);
    if (it == subs_.end()) {
        return;
    }
    for (const std::uint64_t session : it->second.sessions) {
        const auto s = sessions_.find(session);
        if (s != sessions_.end()) {
            s->second.erase(id);
        }
    }
    by_key_.erase(it->second.key);
    --kind_counts_[kind_index(it->second.kind)];
    subs_.erase(it);
}

bool solana_pubsub::any(solana_sub_kind kind) const noexcept {
    return kind_counts_[kind_index(kind)] != 0;
}

bool solana_pubsub::streams_blocks_or_logs(std::uint64_t session) const {
    const auto it = sessions_.find(session);
    if (it == sessions_.end()) {
        return false;
    }
    return std::any_of(it->second.begin(), it->second.end(), [this](std::uint64_t id) {
        const auto sub = subs_.find(id);
        return sub != subs_.end()
               && (sub->second.kind == solana_sub_kind::block
                   || sub->second.kind == solana_sub_kind::logs);
    });
}

void solana_pubsub::handle(std::uint64_t session, std::string_view text) {
    auto reply = solana_handle_jsonrpc(
        text, [this, session](const solana_call& call) { return dispatch(session, call); });
    if (reply) {
        output_.reply(session, std::move(*reply));
    }
}

// ---- requests
// ------------------------------------------------------------------------------------

solana_outcome solana_pubsub::dispatch(std::uint64_t session, const solana_call& call) {
    const std::string& m = call.method;
    if (m == "getVersion") {
        if (auto e = solana_positional::expect_none(call)) {
            return *e;
        }
        return solana_version_json(config_.version);
    }
    const auto ends_with = [&m](std::string_view suffix) {
        return m.size() > suffix.size()
               && m.compare(m.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (ends_with("Unsubscribe")) {
        const std::string base = m.substr(0, m.size() - 11);
        static const std::set<std::string, std::less<>> known
            = {"slot",
               "slotsUpdates",
               "root",
               "vote",
               "block",
               "logs",
               "account",
               "program",
               "signature"};
        if (known.count(base) == 0 || (base == "block" && !config_.enable_block_subscription)
            || (base == "vote" && !config_.enable_vote_subscription)) {
            return method_not_found();
        }
        return unsubscribe(session, call);
    }
    subscription sub;
    solana_outcome parsed = std::string{};
    if (m == "slotSubscribe" || m == "slotsUpdatesSubscribe" || m == "rootSubscribe"
        || m == "voteSubscribe") {
        if (m == "voteSubscribe" && !config_.enable_vote_subscription) {
            return method_not_found();
        }
        if (auto e = solana_positional::expect_none(call)) {
            return *e;
        }
        sub.kind = m == "slotSubscribe"           ? solana_sub_kind::slot
                   : m == "slotsUpdatesSubscribe" ? solana_sub_kind::slots_updates
                   : m == "rootSubscribe"         ? solana_sub_kind::root
                                                  : solana_sub_kind::vote;
        sub.key = m;
    } else if (m == "accountSubscribe") {
        parsed = parse_account(call, sub);
    } else if (m == "programSubscribe") {
        parsed = parse_program(call, sub);
    } else if (m == "logsSubscribe") {
        parsed = parse_logs(call, sub);
    } else if (m == "signatureSubscribe") {
        parsed = parse_signature(call, sub);
    } else if (m == "blockSubscribe") {
        if (!config_.enable_block_subscription) {
            return method_not_found();
        }
        parsed = parse_block(call, sub);
    } else {
        return method_not_found();
    }
    if (std::holds_alternative<solana_rpc_error>(parsed)) {
        return parsed;
    }
    return subscribe(session, std::move(sub));
}

solana_outcome solana_pubsub::subscribe(std::uint64_t session, subscription sub) {
    std::uint64_t id = 0;
    const auto existing = by_key_.find(sub.key);
    if (existing != by_key_.end()) {
        id = existing->second;
    } else {
        if (subs_.size() >= config_.max_subscriptions) {
            return solana_rpc_error{
                solana_errc::internal_error,
                "Internal Error: Subscription refused. Node subscription limit reached",
                {}};
        }
        id = next_id_++;
        sub.id = id;
        by_key_.emplace(sub.key, id);
        ++kind_counts_[kind_index(sub.kind)];
        subs_.emplace(id, std::move(sub));
    }
    subs_.at(id).sessions.insert(session);
    sessions_[session].insert(id);
    std::string out;
    solana_json::append_u64(out, id);
    return out;
}

solana_outcome solana_pubsub::unsubscribe(std::uint64_t session, const solana_call& call) {
    auto p = solana_positional::from(call, 1, 1);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    solana_rpc_error err;
    std::uint64_t id = 0;
    if (!take(read_u64_param(std::get<solana_positional>(p).at(0)), id, err)) {
        return err;
    }
    // Only membership in this connection's map is checked, not the method's kind.
    auto& mine = sessions_[session];
    if (mine.count(id) == 0) {
        return solana_rpc_error{solana_errc::invalid_params, "Invalid subscription id.", {}};
    }
    mine.erase(id);
    const auto it = subs_.find(id);
    if (it != subs_.end()) {
        it->second.sessions.erase(session);
        if (it->second.sessions.empty()) {
            remove(id);
        }
    }
    return std::string("true");
}

solana_outcome solana_pubsub::parse_account(const solana_call& call, subscription& sub) {
    auto p = solana_positional::from(call, 1, 2);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    const auto& args = std::get<solana_positional>(p);
    solana_rpc_error err;
    std::string key;
    if (!take(read_string_param(args.at(0)), key, err)) {
        return err;
    }
    solana_config_reader config(args.at(1), "RpcAccountInfoConfig");
    sub.commitment = config.commitment().value_or(solana_commitment::finalized);
    sub.encoding = config.account_encoding().value_or(solana_account_encoding::binary);
    sub.slice = config.data_slice();
    (void)config.u64("minContextSlot"); // parsed, then ignored (as Agave)
    if (config.error()) {
        return *config.error();
    }
    const auto pubkey = parse_pubkey(key);
    if (!pubkey) {
        return invalid_request("Invalid pubkey provided");
    }
    sub.kind = solana_sub_kind::account;
    sub.pubkey = *pubkey;
    sub.key = "account:" + key + ":" + std::string(to_string(sub.commitment)) + ":"
              + std::to_string(static_cast<int>(sub.encoding)) + ":" + slice_key(sub.slice);
    return std::string{};
}

solana_outcome solana_pubsub::parse_program(const solana_call& call, subscription& sub) {
    auto p = solana_positional::from(call, 1, 2);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    const auto& args = std::get<solana_positional>(p);
    solana_rpc_error err;
    std::string key;
    if (!take(read_string_param(args.at(0)), key, err)) {
        return err;
    }
    solana_config_reader config(args.at(1), "RpcProgramAccountsConfig");
    sub.commitment = config.commitment().value_or(solana_commitment::finalized);
    sub.encoding = config.account_encoding().value_or(solana_account_encoding::binary);
    sub.slice = config.data_slice();
    (void)config.u64("minContextSlot");
    (void)config.boolean("withContext");
    if (config.error()) {
        return *config.error();
    }
    std::string filters_key;
    if (const rapidjson::Value* filters = config.raw("filters")) {
        if (!filters->IsArray()) {
            return invalid_type(*filters, "a sequence");
        }
        for (const auto& f : filters->GetArray()) {
            program_filter pf;
            if (f.IsString()
                && std::string_view(f.GetString(), f.GetStringLength()) == "tokenAccountState") {
                pf.kind = filter_kind::token_account_state;
                sub.filters.push_back(std::move(pf));
                filters_key += "T;";
                continue;
            }
            const std::string_view variants = "`memcmp`, `dataSize`, `tokenAccountState`";
            if (f.IsString()) {
                return invalid_params(unknown_variant(
                    std::string_view(f.GetString(), f.GetStringLength()), variants));
            }
            if (!f.IsObject() || f.MemberCount() != 1) {
                return invalid_type(f, "enum RpcFilterType");
            }
            const auto& member = *f.MemberBegin();
            const std::string_view name(member.name.GetString(), member.name.GetStringLength());
            if (name == "dataSize") {
                if (!take(read_u64_param(&member.value), pf.data_size, err)) {
                    return err;
                }
                pf.kind = filter_kind::data_size;
                filters_key += "D" + std::to_string(pf.data_size) + ";";
            } else if (name == "memcmp") {
                solana_config_reader m(&member.value, "Memcmp");
                if (m.error()) {
                    return *m.error();
                }
                if (!m.has("offset")) {
                    return invalid_params("missing field `offset`");
                }
                const auto offset = m.u64("offset", "usize");
                const auto encoding = m.string("encoding").value_or("base58");
                if (m.error()) {
                    return *m.error();
                }
                const rapidjson::Value* bytes = m.raw("bytes");
                if (bytes == nullptr) {
                    return invalid_params("missing field `bytes`");
                }
                pf.kind = filter_kind::memcmp;
                pf.offset = static_cast<std::size_t>(*offset);
                if (bytes->IsArray()) { // raw byte array
                    for (const auto& b : bytes->GetArray()) {
                        std::uint64_t v = 0;
                        if (!take(read_u64_param(&b, "u8"), v, err)) {
                            return err;
                        }
                        pf.bytes.push_back(static_cast<std::uint8_t>(v));
                    }
                } else if (bytes->IsString()) {
                    const std::string_view text(bytes->GetString(), bytes->GetStringLength());
                    if (encoding == "base58") {
                        if (text.size() > max_memcmp_base58) {
                            return invalid_params("Invalid param: DataTooLarge");
                        }
                        if (const auto bad = bad_base58_char(text)) {
                            return invalid_params(
                                "Invalid param: Base58DecodeError(InvalidCharacter { character: '"
                                + std::string(1, bad->first)
                                + "', index: " + std::to_string(bad->second) + " })");
                        }
                        pf.bytes = *schema::base58_decode(text);
                    } else if (encoding == "base64") {
                        if (text.size() > max_memcmp_base64) {
                            return invalid_params("Invalid param: DataTooLarge");
                        }
                        const auto decoded = schema::base64_decode(text);
                        if (!decoded) {
                            return invalid_params("Invalid param: Base64DecodeError(InvalidByte)");
                        }
                        pf.bytes = *decoded;
                    } else {
                        return invalid_params(
                            unknown_variant(encoding, "`base58`, `base64`, `bytes`"));
                    }
                } else {
                    return invalid_type(*bytes, "a string");
                }
                if (pf.bytes.size() > max_memcmp_bytes) {
                    return invalid_params("Invalid param: DataTooLarge");
                }
                filters_key += "M" + std::to_string(pf.offset) + "=" + hex_of(pf.bytes) + ";";
            } else {
                return invalid_params(unknown_variant(name, variants));
            }
            sub.filters.push_back(std::move(pf));
        }
        if (sub.filters.size() > max_filters) {
            return invalid_params("Too many filters provided; max " + std::to_string(max_filters));
        }
    }
    const auto pubkey = parse_pubkey(key);
    if (!pubkey) {
        return invalid_request("Invalid pubkey provided");
    }
    sub.kind = solana_sub_kind::program;
    sub.pubkey = *pubkey;
    sub.key = "program:" + key + ":" + std::string(to_string(sub.commitment)) + ":"
              + std::to_string(static_cast<int>(sub.encoding)) + ":" + slice_key(sub.slice) + ":"
              + filters_key;
    return std::string{};
}

solana_outcome solana_pubsub::parse_logs(const solana_call& call, subscription& sub) {
    auto p = solana_positional::from(call, 1, 2);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    const auto& args = std::get<solana_positional>(p);
    const rapidjson::Value* filter = args.at(0);
    const std::string_view variants = "`all`, `allWithVotes`, `mentions`";
    std::string mentioned;
    if (filter == nullptr) {
        return invalid_params("invalid type: null, expected enum RpcTransactionLogsFilter");
    }
    if (filter->IsString()) {
        const std::string_view text(filter->GetString(), filter->GetStringLength());
        if (text == "all") {
            sub.logs = logs_filter::all;
        } else if (text == "allWithVotes") {
            sub.logs = logs_filter::all_with_votes;
        } else {
            return invalid_params(unknown_variant(text, variants));
        }
    } else if (filter->IsObject() && filter->MemberCount() == 1) {
        const auto& member = *filter->MemberBegin();
        const std::string_view name(member.name.GetString(), member.name.GetStringLength());
        if (name != "mentions") {
            return invalid_params(unknown_variant(name, variants));
        }
        if (!member.value.IsArray()) {
            return invalid_type(member.value, "a sequence");
        }
        for (const auto& v : member.value.GetArray()) {
            if (!v.IsString()) {
                return invalid_type(v, "a string");
            }
        }
        sub.logs = logs_filter::mentions;
        if (member.value.Size() != 1) {
            return invalid_request("Only 1 address supported");
        }
        mentioned.assign(member.value[0].GetString(), member.value[0].GetStringLength());
    } else {
        return invalid_type(*filter, "enum RpcTransactionLogsFilter");
    }
    solana_config_reader config(args.at(1), "RpcTransactionLogsConfig");
    sub.commitment = config.commitment().value_or(solana_commitment::finalized);
    if (config.error()) {
        return *config.error();
    }
    if (sub.logs == logs_filter::mentions) {
        const auto key = parse_pubkey(mentioned);
        if (!key) {
            return invalid_request("Invalid mentions provided");
        }
        sub.pubkey = *key;
    }
    sub.kind = solana_sub_kind::logs;
    sub.key = "logs:" + std::to_string(static_cast<int>(sub.logs)) + ":" + mentioned + ":"
              + std::string(to_string(sub.commitment));
    return std::string{};
}

solana_outcome solana_pubsub::parse_signature(const solana_call& call, subscription& sub) {
    auto p = solana_positional::from(call, 1, 2);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    const auto& args = std::get<solana_positional>(p);
    solana_rpc_error err;
    std::string text;
    if (!take(read_string_param(args.at(0)), text, err)) {
        return err;
    }
    solana_config_reader config(args.at(1), "RpcSignatureSubscribeConfig");
    sub.commitment = config.commitment().value_or(solana_commitment::finalized);
    sub.enable_received = config.boolean("enableReceivedNotification").value_or(false);
    if (config.error()) {
        return *config.error();
    }
    const auto sig = ::ledgertap::sim::parse_signature(text);
    if (!sig) {
        return invalid_request("Invalid signature provided");
    }
    sub.kind = solana_sub_kind::signature;
    sub.signature = *sig;
    sub.location = chain_.locate_signature(*sig);
    sub.key = "signature:" + text + ":" + std::string(to_string(sub.commitment)) + ":"
              + (sub.enable_received ? "r" : "-");
    return std::string{};
}

solana_outcome solana_pubsub::parse_block(const solana_call& call, subscription& sub) {
    auto p = solana_positional::from(call, 1, 2);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    const auto& args = std::get<solana_positional>(p);
    const rapidjson::Value* filter = args.at(0);
    const std::string_view variants = "`all`, `mentionsAccountOrProgram`";
    std::optional<std::string> mentioned;
    if (filter == nullptr) {
        return invalid_params("invalid type: null, expected enum RpcBlockSubscribeFilter");
    }
    if (filter->IsString()) {
        const std::string_view text(filter->GetString(), filter->GetStringLength());
        if (text != "all") {
            return invalid_params(unknown_variant(text, variants));
        }
    } else if (filter->IsObject() && filter->MemberCount() == 1) {
        const auto& member = *filter->MemberBegin();
        const std::string_view name(member.name.GetString(), member.name.GetStringLength());
        if (name != "mentionsAccountOrProgram") {
            return invalid_params(unknown_variant(name, variants));
        }
        if (!member.value.IsString()) {
            return invalid_type(member.value, "a string");
        }
        mentioned.emplace(member.value.GetString(), member.value.GetStringLength());
    } else {
        return invalid_type(*filter, "enum RpcBlockSubscribeFilter");
    }
    solana_config_reader config(args.at(1), "RpcBlockSubscribeConfig");
    sub.commitment = config.commitment().value_or(solana_commitment::finalized);
    // Code defaults, not the docs': base64, full, no rewards.
    sub.block.encoding = config.tx_encoding().value_or(solana_tx_encoding::base64);
    sub.block.details = config.tx_details().value_or(solana_tx_details::full);
    sub.block.rewards = config.boolean("showRewards").value_or(false);
    if (const auto v = config.u64("maxSupportedTransactionVersion", "u8")) {
        sub.block.max_supported_version = static_cast<std::uint8_t>(*v);
    }
    if (config.error()) {
        return *config.error();
    }
    if (sub.commitment == solana_commitment::processed) {
        return solana_rpc_error{
            solana_errc::invalid_params,
            "Method does not support commitment below `confirmed`",
            {}};
    }
    if (mentioned) {
        const auto key = parse_pubkey(*mentioned);
        if (!key) {
            return invalid_request("Invalid mentions_account_or_program provided");
        }
        sub.block.mentions = *key;
    }
    sub.kind = solana_sub_kind::block;
    sub.key = "block:" + mentioned.value_or("*") + ":" + std::string(to_string(sub.commitment))
              + ":" + std::to_string(static_cast<int>(sub.block.encoding)) + ":"
              + std::to_string(static_cast<int>(sub.block.details)) + ":"
              + (sub.block.rewards ? "r" : "-") + ":"
              + (sub.block.max_supported_version ? std::to_string(*sub.block.max_supported_version)
                                                 : "-");
    return std::string{};
}

// ---- notifications
// -------------------------------------------------------------------------------

void solana_pubsub::emit_frame(subscription& sub, std::string_view method, std::string&& buffer) {
    buffer += R"(,"subscription":)";
    solana_json::append_u64(buffer, sub.id);
    buffer += "}}";
    const ws_frame frame = ws_frame::adopt(std::move(buffer));
    // Copy: a notify may end a session, which edits the set.
    const std::vector<std::uint64_t> targets(sub.sessions.begin(), sub.sessions.end());
    for (const std::uint64_t session : targets) {
        output_.notify(session, frame, method);
    }
}

void solana_pubsub::emit(subscription& sub, std::string_view method, std::string_view result) {
    std::string buffer = notification_head(method, result.size());
    buffer += result;
    emit_frame(sub, method, std::move(buffer));
}

void solana_pubsub::slot_produced(const solana_slot& slot, std::uint64_t now_ms) {
    if (slot.kind == solana_slot_kind::skipped) {
        return;
    }
    const std::uint64_t root = levels_.finalized.value_or(0);
    const bool updates = any(solana_sub_kind::slots_updates);
    // Collect first: emitting may close sessions and erase subscriptions.
    std::vector<std::uint64_t> update_subs;
    std::vector<std::uint64_t> slot_subs;
    std::vector<std::uint64_t> vote_subs;
    for (const auto& [id, sub] : subs_) {
        if (sub.kind == solana_sub_kind::slots_updates) {
            update_subs.push_back(id);
        } else if (sub.kind == solana_sub_kind::slot) {
            slot_subs.push_back(id);
        } else if (sub.kind == solana_sub_kind::vote) {
            vote_subs.push_back(id);
        }
    }
    const auto to_updates = [&](const std::string& result) {
        for (const std::uint64_t id : update_subs) {
            const auto it = subs_.find(id);
            if (it != subs_.end()) {
                emit(it->second, "slotsUpdatesNotification", result);
            }
        }
    };
    if (updates) {
        to_updates(solana_slots_update(
            solana_slot_update::first_shred_received,
            slot.slot,
            now_ms > 200 ? now_ms - 200 : now_ms));
        to_updates(solana_slots_update(
            solana_slot_update::created_bank, slot.slot, now_ms, slot.parent_slot));
    }
    if (!slot_subs.empty()) {
        const std::string result = solana_slot_result(slot.slot, slot.parent_slot, root);
        for (const std::uint64_t id : slot_subs) {
            const auto it = subs_.find(id);
            if (it != subs_.end()) {
                emit(it->second, "slotNotification", result);
            }
        }
    }
    if (slot.kind == solana_slot_kind::dead) {
        if (updates) {
            to_updates(solana_slots_update(
                solana_slot_update::dead, slot.slot, now_ms, 0, {}, chain_.dead_error(slot.slot)));
        }
        return;
    }
    std::shared_ptr<const solana_block> block;
    if (updates || !vote_subs.empty()) {
        block = chain_.block(slot.slot);
    }
    if (updates) {
        const std::string completed
            = solana_slots_update(solana_slot_update::completed, slot.slot, now_ms);
        const std::string frozen
            = solana_slots_update(solana_slot_update::frozen, slot.slot, now_ms, 0, block->stats);
        // "may freeze the bank before shreds are all inserted": completed sometimes comes last.
        if (mix(chain_.params().seed, slot.slot) % 5 == 0) {
            to_updates(frozen);
            to_updates(completed);
        } else {
            to_updates(completed);
            to_updates(frozen);
        }
    }
    // Received notifications, before the processed ones.
    std::vector<std::uint64_t> received;
    for (const auto& [id, sub] : subs_) {
        if (sub.kind == solana_sub_kind::signature && sub.enable_received && !sub.received_sent
            && sub.location && sub.location->slot == slot.slot) {
            received.push_back(id);
        }
    }
    for (const std::uint64_t id : received) {
        const auto it = subs_.find(id);
        if (it != subs_.end()) {
            it->second.received_sent = true;
            emit(
                it->second,
                "signatureNotification",
                solana_context(slot.slot, solana_received_signature_value()));
        }
    }
    if (!vote_subs.empty()) {
        for (const auto& tx : block->transactions) {
            if (!tx.is_vote) {
                continue;
            }
            const std::string result = encoder_.vote_value(tx);
            for (const std::uint64_t id : vote_subs) {
                const auto it = subs_.find(id);
                if (it != subs_.end()) {
                    emit(it->second, "voteNotification", result);
                }
            }
        }
    }
    notify_level(solana_commitment::processed, slot.slot);
}

void solana_pubsub::slot_confirmed(std::span<const std::uint64_t> blocks, std::uint64_t now_ms) {
    if (blocks.empty()) {
        return;
    }
    const std::uint64_t trigger = blocks.back();
    if (any(solana_sub_kind::slots_updates)) {
        const std::string result
            = solana_slots_update(solana_slot_update::optimistic_confirmation, trigger, now_ms);
        std::vector<std::uint64_t> ids;
        for (const auto& [id, sub] : subs_) {
            if (sub.kind == solana_sub_kind::slots_updates) {
                ids.push_back(id);
            }
        }
        for (const std::uint64_t id : ids) {
            const auto it = subs_.find(id);
            if (it != subs_.end()) {
                emit(it->second, "slotsUpdatesNotification", result);
            }
        }
    }
    for (const std::uint64_t slot : blocks) {
        notify_level(solana_commitment::confirmed, slot);
    }
    notify_blocks(solana_commitment::confirmed, trigger);
}

void solana_pubsub::slot_rooted(std::uint64_t slot, std::uint64_t now_ms) {
    std::vector<std::uint64_t> ids;
    for (const auto& [id, sub] : subs_) {
        if (sub.kind == solana_sub_kind::slots_updates || sub.kind == solana_sub_kind::root) {
            ids.push_back(id);
        }
    }
    if (!ids.empty()) {
        const std::string update = solana_slots_update(solana_slot_update::root, slot, now_ms);
        std::string root;
        solana_json::append_u64(root, slot);
        for (const std::uint64_t id : ids) {
            const auto it = subs_.find(id);
            if (it == subs_.end()) {
                continue;
            }
            if (it->second.kind == solana_sub_kind::root) {
                emit(it->second, "rootNotification", root);
            } else {
                emit(it->second, "slotsUpdatesNotification", update);
            }
        }
    }
    notify_level(solana_commitment::finalized, slot);
    notify_blocks(solana_commitment::finalized, slot);
}

bool solana_pubsub::matches(const subscription& sub, const solana_account_state& account) const {
    for (const auto& f : sub.filters) {
        switch (f.kind) {
        case filter_kind::data_size:
            if (account.data.size() != f.data_size) {
                return false;
            }
            break;
        case filter_kind::memcmp:
            if (f.offset > account.data.size() || f.bytes.size() > account.data.size() - f.offset
                || !std::equal(
                    f.bytes.begin(),
                    f.bytes.end(),
                    account.data.begin() + static_cast<std::ptrdiff_t>(f.offset))) {
                return false;
            }
            break;
        case filter_kind::token_account_state:
            if (account.owner != chain_.well_known().token_program
                || account.data.size() != token_account_len
                || account.data[token_state_offset] == 0) {
                return false;
            }
            break;
        }
    }
    return true;
}

void solana_pubsub::notify_level(solana_commitment level, std::uint64_t slot) {
    std::vector<std::uint64_t> logs;
    std::vector<std::uint64_t> accounts;
    std::vector<std::uint64_t> programs;
    std::vector<std::uint64_t> signatures;
    for (const auto& [id, sub] : subs_) {
        if (sub.commitment != level) {
            continue;
        }
        switch (sub.kind) {
        case solana_sub_kind::logs:
            logs.push_back(id);
            break;
        case solana_sub_kind::account:
            accounts.push_back(id);
            break;
        case solana_sub_kind::program:
            programs.push_back(id);
            break;
        case solana_sub_kind::signature:
            if (sub.location && sub.location->slot == slot) {
                signatures.push_back(id);
            }
            break;
        default:
            break;
        }
    }
    if (logs.empty() && accounts.empty() && programs.empty() && signatures.empty()) {
        return;
    }
    const auto block = chain_.block(slot);
    if (!block) {
        return;
    }
    const auto with_sub = [this](std::uint64_t id, auto&& fn) {
        const auto it = subs_.find(id);
        if (it != subs_.end()) {
            fn(it->second);
        }
    };
    if (!logs.empty()) {
        for (const auto& tx : block->transactions) {
            std::string value;
            for (const std::uint64_t id : logs) {
                with_sub(id, [&](subscription& sub) {
                    const bool wanted
                        = sub.logs == logs_filter::all_with_votes
                          || (sub.logs == logs_filter::all && !tx.is_vote)
                          || (sub.logs == logs_filter::mentions && tx.mentions(sub.pubkey));
                    if (!wanted) {
                        return;
                    }
                    if (value.empty()) {
                        value = solana_context(slot, solana_logs_value(tx));
                    }
                    emit(sub, "logsNotification", value);
                });
            }
        }
    }
    for (const auto& account : block->modified_accounts) {
        for (const std::uint64_t id : accounts) {
            with_sub(id, [&](subscription& sub) {
                if (sub.pubkey == account.pubkey) {
                    emit(
                        sub,
                        "accountNotification",
                        solana_context(
                            slot, encoder_.account_value(account, sub.encoding, sub.slice)));
                }
            });
        }
        for (const std::uint64_t id : programs) {
            with_sub(id, [&](subscription& sub) {
                if (sub.pubkey == account.owner && matches(sub, account)) {
                    emit(
                        sub,
                        "programNotification",
                        solana_context(
                            slot, encoder_.keyed_account_value(account, sub.encoding, sub.slice)));
                }
            });
        }
    }
    for (const std::uint64_t id : signatures) {
        with_sub(id, [&](subscription& sub) {
            const auto& tx = block->transactions.at(sub.location->index);
            emit(
                sub,
                "signatureNotification",
                solana_context(slot, solana_signature_value(tx.err_json)));
        });
        remove(id); // one-shot: the processed notification is final
    }
}

void solana_pubsub::notify_blocks(solana_commitment level, std::uint64_t trigger) {
    std::vector<std::uint64_t> ids;
    for (const auto& [id, sub] : subs_) {
        if (sub.kind == solana_sub_kind::block && sub.commitment == level) {
            ids.push_back(id);
        }
    }
    for (const std::uint64_t id : ids) {
        auto it = subs_.find(id);
        if (it == subs_.end()) {
            continue;
        }
        // Every ancestor since the last notified slot ("slots that were potentially missed");
        // the first trigger notifies the trigger slot alone.
        std::vector<std::uint64_t> slots;
        if (it->second.last_notified == 0) {
            slots.push_back(trigger);
        } else if (trigger > it->second.last_notified) {
            slots = chain_.blocks_in(it->second.last_notified + 1, trigger);
        }
        it->second.last_notified = trigger;
        for (const std::uint64_t s : slots) {
            it = subs_.find(id);
            if (it == subs_.end()) {
                break;
            }
            subscription& sub = it->second;
            const auto block = chain_.block(s);
            if (!block) {
                continue;
            }
            std::string buffer = notification_head(
                "blockNotification", std::size_t{1024} * block->transactions.size());
            buffer += R"({"context":{"slot":)";
            solana_json::append_u64(buffer, s);
            buffer += R"(},"value":{"slot":)";
            const std::size_t slot_at = buffer.size();
            solana_json::append_u64(buffer, s);
            buffer += R"(,"block":)";
            std::size_t matched = 0;
            if (encoder_.append_block(buffer, *block, sub.block, &matched)) {
                if (sub.block.mentions && matched == 0) {
                    continue; // nothing mentions the key: no notification at all
                }
                buffer += R"(,"err":null}})";
            } else {
                // Encoding failed: block null, and value.slot is the trigger slot (quirk).
                buffer.resize(slot_at);
                solana_json::append_u64(buffer, trigger);
                buffer += R"(,"block":null,"err":{"UnsupportedTransactionVersion":0}}})";
            }
            emit_frame(sub, "blockNotification", std::move(buffer));
        }
    }
}

} // namespace ledgertap::sim
