#include "sim/nano_rpc.hpp"

#include "schema/version.hpp"
#include "sim/nano_messages.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

namespace ledgertap::sim::nano {

namespace {

constexpr std::size_t max_json_depth = 20;
constexpr std::size_t confirmation_history_size = 2048;
const std::string zero_hash(64, '0');

/// An application error: answered as {"error": message}.
struct rpc_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Property-tree semantics over a parsed request: every scalar read as text, bools from
/// "true"/"false"/"1"/"0", containers read as "" when a string is asked for.
class request {
public:
    explicit request(const rapidjson::Value& root)
      : root_(root) {}

    [[nodiscard]] const rapidjson::Value* child(std::string_view key) const {
        if (!root_.IsObject()) {
            return nullptr;
        }
        const auto it = root_.FindMember(rapidjson::StringRef(key.data(), key.size()));
        return it == root_.MemberEnd() ? nullptr : &it->value;
    }

    [[nodiscard]] static std::string text(const rapidjson::Value& v) {
        if (v.IsString()) {
            return {v.GetString(), v.GetStringLength()};
        }
        if (v.IsBool()) {
            return v.GetBool() ? "true" : "false";
        }
        if (v.IsNull()) {
            return "null";
        }
        return {};
    }

    [[nodiscard]] std::optional<std::string> get(std::string_view key) const {
        const rapidjson::Value* v = child(key);
        if (v == nullptr) {
            return std::nullopt;
        }
        return text(*v);
    }

    /// A required parameter: missing -> "Unable to parse JSON" (ptree_bad_path in the node).
    [[nodiscard]] std::string required(std::string_view key) const {
        auto v = get(key);
        if (!v) {
            throw rpc_error("Unable to parse JSON");
        }
        return *v;
    }

    [[nodiscard]] bool flag(std::string_view key, bool fallback = false) const {
        const auto v = get(key);
        if (!v) {
            return fallback;
        }
        if (*v == "true" || *v == "1") {
            return true;
        }
        if (*v == "false" || *v == "0") {
            return false;
        }
        return fallback;
    }

private:
    const rapidjson::Value& root_;
};

/// The node's uint256 decode_hex: 1..64 hex digits, either case, left-padded.
std::optional<bytes32> decode_hash(std::string_view text) {
    if (text.empty() || text.size() > 64) {
        return std::nullopt;
    }
    std::string padded(64 - text.size(), '0');
    padded.append(text);
    return schema::parse_hex32(padded);
}

/// The node's decode_unsigned for counts: decimal; "-1" wraps to 2^64-1 (std::stoull).
std::optional<std::uint64_t> decode_count(std::string_view text) {
    if (text == "-1") {
        return std::numeric_limits<std::uint64_t>::max();
    }
    return schema::parse_u64(text);
}

std::uint64_t count_param(const request& req) {
    const std::string text = req.required("count");
    const auto count = decode_count(text);
    if (!count || *count == 0) {
        throw rpc_error("Invalid count");
    }
    return *count;
}

std::uint64_t offset_param(const request& req) {
    const auto text = req.get("offset");
    if (!text) {
        return 0;
    }
    const auto offset = decode_count(*text);
    if (!offset) {
        throw rpc_error("Invalid offset");
    }
    return *offset;
}

std::uint32_t account_param(const ledger& chain, const request& req, bool must_be_open = true) {
    const std::string text = req.required("account");
    const auto key = schema::nano::decode_account(text);
    if (!key) {
        throw rpc_error("Bad account number");
    }
    const auto index = chain.find_account(*key);
    if (!index || (must_be_open && !chain.accounts()[*index].opened())) {
        throw rpc_error("Account not found");
    }
    return *index;
}

bool is_send(const block& b) {
    return b.type == block_type::send
           || (b.type == block_type::state && b.subtype == block_subtype::send);
}

void block_fields(
    pretty_writer& w, const ledger& chain, const block& b, bool json_block, bool linked_account) {
    w.plain("block_account", chain.accounts()[b.account].address);
    if (linked_account) {
        const auto linked = chain.linked_account(b);
        w.plain("linked_account", linked ? address_of(*linked) : std::string("0"));
    }
    w.plain("amount", decimal(b.amount));
    w.plain("balance", decimal(b.balance));
    w.value("height", b.height);
    w.value("local_timestamp", b.local_timestamp);
    w.plain(
        "successor",
        b.successor_index >= 0 ? hex(chain.at(static_cast<std::uint32_t>(b.successor_index)).hash)
                               : zero_hash);
    w.plain("confirmed", b.confirmed ? "true" : "false");
    if (json_block) {
        write_block(w, "contents", chain, b, block_json_mode::plain, false);
    } else {
        w.value("contents", block_document(chain, b));
    }
    if (b.type == block_type::state) {
        w.plain("subtype", to_string(b.subtype));
    }
}

std::string block_info(const ledger& chain, const request& req) {
    const auto hash = decode_hash(req.required("hash"));
    if (!hash) {
        throw rpc_error("Invalid block hash");
    }
    const auto index = chain.find(*hash);
    if (!index) {
        throw rpc_error("Block not found");
    }
    std::string out;
    pretty_writer w(out);
    w.begin_object();
    block_fields(
        w, chain, chain.at(*index), req.flag("json_block"), req.flag("include_linked_account"));
    w.end();
    w.finish();
    return out;
}

std::string blocks_info(const ledger& chain, const request& req) {
    const rapidjson::Value* hashes = req.child("hashes");
    if (hashes == nullptr) {
        throw rpc_error("Unable to parse JSON");
    }
    const bool json_block = req.flag("json_block");
    const bool include_not_found = req.flag("include_not_found");
    const bool receivable = req.flag("pending") || req.flag("receivable");
    const bool source = req.flag("source");
    const bool receive_hash = req.flag("receive_hash");
    const bool linked = req.flag("include_linked_account");

    std::vector<std::pair<std::string, std::optional<std::uint32_t>>> items;
    if (hashes->IsArray()) {
        for (const auto& element : hashes->GetArray()) {
            const std::string text = request::text(element);
            const auto hash = decode_hash(text);
            if (!hash) {
                throw rpc_error("Bad hash number");
            }
            const auto index = chain.find(*hash);
            if (!index && !include_not_found) {
                throw rpc_error("Block not found");
            }
            items.emplace_back(text, index);
        }
    }
    std::string out;
    pretty_writer w(out);
    w.begin_object();
    w.begin_object("blocks");
    for (const auto& [text, index] : items) {
        if (!index) {
            continue;
        }
        const block& b = chain.at(*index);
        w.begin_object(text);
        block_fields(w, chain, b, json_block, linked);
        if (receivable) {
            const bool open = is_send(b) && b.receive_index < 0;
            w.plain("pending", open ? "1" : "0");
            w.plain("receivable", open ? "1" : "0");
        }
        if (receive_hash) {
            w.plain(
                "receive_hash",
                is_send(b) && b.receive_index >= 0
                    ? hex(chain.at(static_cast<std::uint32_t>(b.receive_index)).hash)
                    : zero_hash);
        }
        if (source) {
            w.plain(
                "source_account",
                b.source_index >= 0
                    ? chain.accounts()[chain.at(static_cast<std::uint32_t>(b.source_index)).account]
                          .address
                    : std::string("0"));
        }
        w.end();
    }
    w.end();
    if (include_not_found) {
        w.begin_array("blocks_not_found");
        for (const auto& [text, index] : items) {
            if (!index) {
                w.element(text);
            }
        }
        w.end();
    }
    w.end();
    w.finish();
    return out;
}

/// chain (towards older blocks) / successors (towards newer blocks).
std::string walk(const ledger& chain, const request& req, bool towards_newer) {
    const auto start = decode_hash(req.required("block"));
    if (!start) {
        throw rpc_error("Invalid block hash");
    }
    std::uint64_t count = count_param(req);
    std::uint64_t offset = offset_param(req);
    if (req.flag("reverse")) {
        towards_newer = !towards_newer;
    }
    std::string out;
    pretty_writer w(out);
    w.begin_object();
    w.begin_array("blocks");
    std::optional<std::uint32_t> index = chain.find(*start);
    while (index && count > 0) {
        const block& b = chain.at(*index);
        if (offset > 0) {
            --offset;
        } else {
            w.element(hex(b.hash));
            --count;
        }
        if (towards_newer) {
            index
                = b.successor_index >= 0
                      ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(b.successor_index))
                      : std::nullopt;
        } else {
            index = b.height > 1 ? std::optional<std::uint32_t>(
                        chain.accounts()[b.account].chain[b.height - 2])
                                 : std::nullopt;
        }
    }
    w.end();
    w.end();
    w.finish();
    return out;
}

std::string account_info(const ledger& chain, const request& req) {
    const std::uint32_t index = account_param(chain, req);
    const account_state& acct = chain.accounts()[index];
    const bool representative = req.flag("representative");
    const bool weight = req.flag("weight");
    const bool receivable = req.flag("pending") || req.flag("receivable");
    const bool include_confirmed = req.flag("include_confirmed");
    const block& head = chain.at(acct.chain.back());
    const block* confirmed_head = acct.confirmation_height > 0
                                      ? &chain.at(acct.chain[acct.confirmation_height - 1])
                                      : nullptr;

    std::string out;
    pretty_writer w(out);
    w.begin_object();
    w.plain("frontier", hex(head.hash));
    w.plain("open_block", hex(chain.at(acct.chain.front()).hash));
    w.plain("representative_block", hex(chain.at(acct.representative_block).hash));
    w.plain("balance", decimal(acct.balance));
    if (include_confirmed) {
        w.plain(
            "confirmed_balance", decimal(confirmed_head != nullptr ? confirmed_head->balance : 0));
    }
    w.value("modified_timestamp", head.local_timestamp);
    w.value("block_count", std::uint64_t{acct.chain.size()});
    w.value("account_version", std::uint64_t{acct.version});
    const std::string confirmed_frontier
        = confirmed_head != nullptr ? hex(confirmed_head->hash) : zero_hash;
    if (include_confirmed) {
        w.value("confirmed_height", acct.confirmation_height);
        w.plain("confirmed_frontier", confirmed_frontier);
    } else {
        w.value("confirmation_height", acct.confirmation_height);
        w.plain("confirmation_height_frontier", confirmed_frontier);
    }
    if (representative) {
        w.plain("representative", address_of(acct.representative));
        if (include_confirmed) {
            w.plain(
                "confirmed_representative",
                confirmed_head != nullptr ? address_of(confirmed_head->representative)
                                          : std::string("0"));
        }
    }
    if (weight) {
        w.plain("weight", "0");
    }
    if (receivable) {
        const std::string total = decimal(chain.receivable_total(index, false));
        w.plain("pending", total);
        w.plain("receivable", total);
        if (include_confirmed) {
            const std::string confirmed = decimal(chain.receivable_total(index, true));
            w.plain("confirmed_pending", confirmed);
            w.plain("confirmed_receivable", confirmed);
        }
    }
    w.end();
    w.finish();
    return out;
}

/// One account_history entry (the node's history_visitor); false when the block is skipped.
bool history_entry(
    pretty_writer& w, const ledger& chain, const block& b, bool raw, bool linked_account) {
    const auto source_account = [&]() -> std::string {
        if (b.source_index < 0) {
            return chain.accounts()[0].address; // the genesis open has no source block
        }
        return chain.accounts()[chain.at(static_cast<std::uint32_t>(b.source_index)).account]
            .address;
    };
    const auto begin = [&w]() { w.begin_object(); };
    switch (b.type) {
    case block_type::send:
        begin();
        w.plain("type", "send");
        w.plain("account", address_of(b.link));
        w.plain("amount", decimal(b.amount));
        if (raw) {
            w.plain("destination", address_of(b.link));
            w.plain("balance", decimal(b.balance));
            w.plain("previous", hex(b.previous));
        }
        break;
    case block_type::receive:
        begin();
        w.plain("type", "receive");
        w.plain("account", source_account());
        w.plain("amount", decimal(b.amount));
        if (raw) {
            w.plain("source", hex(b.link));
            w.plain("previous", hex(b.previous));
        }
        break;
    case block_type::open:
        begin();
        if (raw) {
            w.plain("type", "open");
            w.plain("representative", address_of(b.representative));
            w.plain("source", hex(b.link));
            w.plain("opened", chain.accounts()[b.account].address);
        } else {
            w.plain("type", "receive");
        }
        w.plain("account", source_account());
        w.plain("amount", decimal(b.amount));
        break;
    case block_type::change:
        if (!raw) {
            return false;
        }
        begin();
        w.plain("type", "change");
        w.plain("representative", address_of(b.representative));
        w.plain("previous", hex(b.previous));
        break;
    case block_type::state: {
        if (!raw && (b.subtype == block_subtype::change || b.subtype == block_subtype::epoch)) {
            return false;
        }
        begin();
        if (raw) {
            w.plain("type", "state");
            w.plain("representative", address_of(b.representative));
            w.plain("link", hex(b.link));
            w.plain("balance", decimal(b.balance));
            w.plain("previous", hex(b.previous));
        }
        switch (b.subtype) {
        case block_subtype::send:
            w.plain(raw ? "subtype" : "type", "send");
            w.plain("account", address_of(b.link));
            w.plain("amount", decimal(b.amount));
            break;
        case block_subtype::receive:
            w.plain(raw ? "subtype" : "type", "receive");
            w.plain("account", source_account());
            w.plain("amount", decimal(b.amount));
            break;
        case block_subtype::change:
            w.plain("subtype", "change");
            break;
        case block_subtype::epoch:
            w.plain("subtype", "epoch");
            w.plain("account", address_of(chain.epoch_signer()));
            break;
        case block_subtype::none:
            break;
        }
        break;
    }
    }
    if (linked_account) {
        const auto linked = chain.linked_account(b);
        w.plain("linked_account", linked ? address_of(*linked) : std::string("0"));
    }
    w.value("local_timestamp", b.local_timestamp);
    w.value("height", b.height);
    w.plain("hash", hex(b.hash));
    w.plain("confirmed", b.confirmed ? "true" : "false");
    if (raw) {
        w.plain("work", schema::format_hex_u64(b.work));
        w.plain("signature", schema::hex_upper(chain.signature(b)));
    }
    w.end();
    return true;
}

std::string account_history(const ledger& chain, const request& req) {
    const bool raw = req.flag("raw");
    const bool reverse = req.flag("reverse");
    const bool linked = req.flag("include_linked_account");
    std::optional<std::uint32_t> index;
    std::uint32_t account = 0;
    if (const auto head = req.get("head")) {
        const auto hash = decode_hash(*head);
        if (!hash) {
            throw rpc_error("Bad hash number");
        }
        index = chain.find(*hash);
        if (!index) {
            throw rpc_error("Block not found");
        }
        account = chain.at(*index).account;
    } else {
        const auto key = schema::nano::decode_account(req.required("account"));
        if (!key) {
            throw rpc_error("Bad account number");
        }
        const auto known = chain.find_account(*key);
        if (!known || !chain.accounts()[*known].opened()) {
            if (reverse) {
                throw rpc_error("Account not found");
            }
            // An unopened account has an empty history, not an error.
            (void)count_param(req);
            std::string out;
            pretty_writer w(out);
            w.begin_object();
            w.plain("account", schema::nano::encode_account(*key));
            w.empty("history");
            w.end();
            w.finish();
            return out;
        }
        account = *known;
        const account_state& acct = chain.accounts()[account];
        index = reverse ? acct.chain.front() : acct.chain.back();
    }
    std::uint64_t count = count_param(req);
    std::uint64_t offset = offset_param(req);
    const account_state& acct = chain.accounts()[account];

    std::string out;
    pretty_writer w(out);
    w.begin_object();
    w.plain("account", acct.address);
    w.begin_array("history");
    while (index && count > 0) {
        const block& b = chain.at(*index);
        if (offset > 0) {
            --offset;
        } else if (history_entry(w, chain, b, raw, linked)) {
            --count;
        }
        if (reverse) {
            index
                = b.successor_index >= 0
                      ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(b.successor_index))
                      : std::nullopt;
        } else {
            index = b.height > 1 ? std::optional<std::uint32_t>(acct.chain[b.height - 2])
                                 : std::nullopt;
        }
    }
    w.end();
    if (index) {
        w.plain(reverse ? "next" : "previous", hex(chain.at(*index).hash));
    }
    w.end();
    w.finish();
    return out;
}

std::string accounts_frontiers(const ledger& chain, const request& req) {
    const rapidjson::Value* accounts = req.child("accounts");
    if (accounts == nullptr) {
        throw rpc_error("Unable to parse JSON");
    }
    std::string out;
    pretty_writer w(out);
    w.begin_object();
    w.begin_object("frontiers");
    std::vector<std::string> errors;
    if (accounts->IsArray()) {
        for (const auto& element : accounts->GetArray()) {
            const std::string text = request::text(element);
            const auto key = schema::nano::decode_account(text);
            if (!key) {
                errors.push_back(text);
                continue;
            }
            const auto index = chain.find_account(*key);
            if (!index || !chain.accounts()[*index].opened()) {
                errors.push_back(text);
                continue;
            }
            const account_state& acct = chain.accounts()[*index];
            w.plain(acct.address, hex(chain.at(acct.chain.back()).hash));
        }
    }
    w.end();
    if (!errors.empty()) {
        w.begin_object("errors");
        for (const std::string& e : errors) {
            w.value(e, "Account not found");
        }
        w.end();
    }
    w.end();
    w.finish();
    return out;
}

std::string block_account(const ledger& chain, const request& req) {
    const auto hash = decode_hash(req.required("hash"));
    if (!hash) {
        throw rpc_error("Invalid block hash");
    }
    const auto index = chain.find(*hash);
    if (!index) {
        throw rpc_error("Block not found");
    }
    std::string out;
    pretty_writer w(out);
    w.begin_object();
    w.plain("account", chain.accounts()[chain.at(*index).account].address);
    w.end();
    w.finish();
    return out;
}

std::string block_count(const ledger& chain) {
    std::string out;
    pretty_writer w(out);
    w.begin_object();
    w.value("count", std::uint64_t{chain.size()});
    w.plain("unchecked", "0");
    w.value("cemented", chain.cemented());
    w.end();
    w.finish();
    return out;
}

std::string confirmation_history(const ledger& chain, const request& req) {
    std::optional<bytes32> filter;
    if (const auto text = req.get("hash")) {
        filter = decode_hash(*text);
        if (!filter) {
            throw rpc_error("Invalid block hash");
        }
    }
    const auto& order = chain.confirmation_order();
    const std::size_t first
        = order.size() > confirmation_history_size ? order.size() - confirmation_history_size : 0;
    std::string out;
    pretty_writer w(out);
    w.begin_object();
    std::uint64_t count = 0;
    std::uint64_t total_duration = 0;
    // Two passes so confirmation_stats comes first, as in the node.
    for (std::size_t i = first; i < order.size(); ++i) {
        const block& b = chain.at(order[i]);
        if (filter && b.hash != *filter) {
            continue;
        }
        ++count;
        total_duration += b.election.duration_ms;
    }
    w.begin_object("confirmation_stats");
    w.value("count", count);
    if (count > 0) {
        w.value("average", total_duration / count);
    }
    w.end();
    w.begin_array("confirmations");
    for (std::size_t i = first; i < order.size(); ++i) {
        const block& b = chain.at(order[i]);
        if (filter && b.hash != *filter) {
            continue;
        }
        const bool real = b.how == confirmation_kind::active_quorum;
        w.begin_object();
        w.plain("hash", hex(b.hash));
        w.value("duration", real ? b.election.duration_ms : 0);
        w.value("time", real ? b.election.time_ms : b.confirmed_ms);
        w.plain("tally", decimal(real ? b.election.tally : 0));
        w.plain("final", decimal(real ? b.election.final_tally : 0));
        w.plain("blocks", "1");
        w.value("voters", real ? std::uint64_t{b.election.voters} : 0);
        w.value("request_count", real ? std::uint64_t{b.election.request_count} : 0);
        w.end();
    }
    w.end();
    w.end();
    w.finish();
    return out;
}

std::string version(const ledger& chain) {
    std::string out;
    pretty_writer w(out);
    w.begin_object();
    w.plain("rpc_version", "1");
    w.plain("store_version", "24");
    w.plain("protocol_version", "21");
    w.plain("node_vendor", "Nano V28.2");
    w.plain("store_vendor", "LMDB 0.9.70");
    w.plain("network", "live");
    w.plain("network_identifier", hex(chain.genesis_hash()));
    w.value("build_info", std::string("ledgertap-sim ") + ledgertap::version);
    w.end();
    w.finish();
    return out;
}

/// The node's rough depth guard: every '[' or '{' counts, none is subtracted.
bool too_deep(std::string_view body) {
    std::size_t brackets = 0;
    for (const char c : body) {
        if (c == '[' || c == '{') {
            if (brackets >= max_json_depth) {
                return true;
            }
            ++brackets;
        }
    }
    return false;
}

} // namespace

rpc::rpc(
    const ledger& chain,
    std::function<std::uint64_t()> now_ms,
    std::function<void(std::uint32_t index)> on_block_confirm)
  : chain_(chain)
  , now_ms_(std::move(now_ms))
  , on_block_confirm_(std::move(on_block_confirm)) {}

std::string rpc::error_body(std::string_view message) {
    std::string out;
    pretty_writer w(out);
    w.begin_object();
    w.value("error", message);
    w.end();
    w.finish();
    return out;
}

http_reply rpc::handle(std::string_view body) const {
    http_reply reply;
    reply.status = 200;
    reply.content_type = "application/json";
    if (too_deep(body)) {
        reply.body = error_body("Max JSON depth exceeded");
        return reply;
    }
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseStopWhenDoneFlag>(
        body.data(), body.size());
    if (doc.HasParseError()) {
        reply.body = error_body("Unable to parse JSON");
        return reply;
    }
    const request req(doc);
    try {
        const std::string action = req.get("action").value_or("");
        if (action == "block_info") {
            reply.body = block_info(chain_, req);
        } else if (action == "blocks_info") {
            reply.body = blocks_info(chain_, req);
        } else if (action == "chain") {
            reply.body = walk(chain_, req, false);
        } else if (action == "successors") {
            reply.body = walk(chain_, req, true);
        } else if (action == "account_info") {
            reply.body = account_info(chain_, req);
        } else if (action == "account_history") {
            reply.body = account_history(chain_, req);
        } else if (action == "accounts_frontiers") {
            reply.body = accounts_frontiers(chain_, req);
        } else if (action == "block_account") {
            reply.body = block_account(chain_, req);
        } else if (action == "block_count") {
            reply.body = block_count(chain_);
        } else if (action == "confirmation_history") {
            reply.body = confirmation_history(chain_, req);
        } else if (action == "version") {
            reply.body = version(chain_);
        } else if (action == "block_confirm") {
            const auto hash = decode_hash(req.required("hash"));
            if (!hash) {
                throw rpc_error("Invalid block hash");
            }
            const auto index = chain_.find(*hash);
            if (!index) {
                throw rpc_error("Block not found");
            }
            if (on_block_confirm_) {
                on_block_confirm_(*index);
            }
            std::string out;
            pretty_writer w(out);
            w.begin_object();
            w.plain("started", "1");
            w.end();
            w.finish();
            reply.body = std::move(out);
        } else {
            reply.body = error_body("Unknown command");
        }
    } catch (const rpc_error& e) {
        reply.body = error_body(e.what());
    } catch (const std::exception&) {
        reply.body = error_body("Internal server error in RPC");
    }
    return reply;
}

} // namespace ledgertap::sim::nano
