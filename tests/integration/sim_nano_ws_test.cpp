// ledgertap-sim's Nano WebSocket, driven by a plain libwebsockets client: acks, quirks, every
// confirmation option, the vote-options quirk, and the node's reaction to malformed input.

#include "schema/codec.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

rapidjson::Document parse(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    return doc;
}

/// A dotted path into a parsed document; nullptr when absent.
const rapidjson::Value* at(const rapidjson::Value& root, const std::string& path) {
    const rapidjson::Value* v = &root;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t dot = path.find('.', start);
        const std::string key
            = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!v->IsObject()) {
            return nullptr;
        }
        const auto it = v->FindMember(key.c_str());
        if (it == v->MemberEnd()) {
            return nullptr;
        }
        v = &it->value;
        if (dot == std::string::npos) {
            break;
        }
        start = dot + 1;
    }
    return v;
}

std::string text_at(const rapidjson::Value& root, const std::string& path) {
    const rapidjson::Value* v = at(root, path);
    return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength())
                                         : std::string();
}

/// True when every scalar in the tree is a string (the property-tree rule) and no array is empty.
bool all_scalars_are_strings(const rapidjson::Value& v) {
    if (v.IsString()) {
        return true;
    }
    if (v.IsObject()) {
        for (const auto& m : v.GetObject()) {
            if (!all_scalars_are_strings(m.value)) {
                return false;
            }
        }
        return true;
    }
    if (v.IsArray()) {
        if (v.Empty()) {
            return false;
        }
        for (const auto& e : v.GetArray()) {
            if (!all_scalars_are_strings(e)) {
                return false;
            }
        }
        return true;
    }
    return false;
}

/// Messages of one topic seen within `window` (acks have no topic and are skipped).
std::vector<rapidjson::Document> messages_of(
    ws_client& client, const std::string& topic, std::chrono::milliseconds window) {
    std::vector<rapidjson::Document> out;
    for (auto& m : client.collect(window)) {
        auto doc = parse(m.data);
        if (!doc.HasParseError() && text_at(doc, "topic") == topic) {
            out.push_back(std::move(doc));
        }
    }
    return out;
}

/// Feeds each parsed message to `fn` until it returns true (done) or `limit` passes.
bool until(
    ws_client& client,
    std::chrono::milliseconds limit,
    const std::function<bool(const rapidjson::Document&)>& fn) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto m = client.next(200ms);
        if (!m) {
            if (client.close_info().closed) {
                return false;
            }
            continue;
        }
        const auto doc = parse(m->data);
        if (!doc.HasParseError() && fn(doc)) {
            return true;
        }
    }
    return false;
}

struct nano_sim {
    sim_runner sim;
    explicit nano_sim(std::vector<std::string> flags = {})
      : sim(with_defaults(std::move(flags))) {}
    static std::vector<std::string> with_defaults(std::vector<std::string> flags) {
        flags.insert(flags.begin(), {"--chain", "nano", "--seed", "7", "--rate", "40"});
        return flags;
    }
    [[nodiscard]] std::unique_ptr<ws_client> connect() const {
        return std::make_unique<ws_client>("127.0.0.1", sim.ports().nano_ws);
    }
};

TEST_CASE(
    "nano sim acks subscribe with the id and no topic, and pongs without ack", "[sim][nano][ws]") {
    nano_sim s;
    REQUIRE(s.sim.ready());
    auto c = s.connect();
    REQUIRE(c->connected());

    c->send_text(R"({"action": "subscribe", "topic": "telemetry", "ack": true, "id": "sub-1"})");
    const auto ack = c->next_containing("\"ack\"", 5s);
    REQUIRE(ack);
    const auto doc = parse(ack->data);
    REQUIRE_FALSE(doc.HasParseError());
    CHECK(text_at(doc, "ack") == "subscribe");
    CHECK(text_at(doc, "id") == "sub-1");
    CHECK(at(doc, "topic") == nullptr);
    CHECK(schema::parse_u64(text_at(doc, "time")).has_value());

    c->send_text(R"({"action": "ping"})");
    const auto pong = c->next_containing("\"ack\"", 5s);
    REQUIRE(pong);
    const auto pong_doc = parse(pong->data);
    CHECK(text_at(pong_doc, "ack") == "pong");
    CHECK(at(pong_doc, "id") == nullptr);

    // "ack": "true" as a string counts; "ack" missing gets no ack.
    c->send_text(R"({"action": "subscribe", "topic": "work", "ack": "true", "id": "7"})");
    const auto ack2 = c->next_containing("\"ack\"", 5s);
    REQUIRE(ack2);
    CHECK(text_at(parse(ack2->data), "id") == "7");
}

TEST_CASE(
    "nano sim gives no ack for active_difficulty but acks bootstrap and stays silent on it",
    "[sim][nano][ws]") {
    nano_sim s;
    REQUIRE(s.sim.ready());
    auto c = s.connect();
    REQUIRE(c->connected());
    c->send_text(
        R"({"action": "subscribe", "topic": "active_difficulty", "ack": true, "id": "ad"})");
    c->send_text(R"({"action": "subscribe", "topic": "bootstrap", "ack": true, "id": "bs"})");
    c->send_text(R"({"action": "unsubscribe", "topic": "vote", "ack": true, "id": "un"})");
    std::vector<std::string> ids;
    for (auto& m : c->collect(1500ms)) {
        const auto doc = parse(m.data);
        CHECK(text_at(doc, "topic") != "bootstrap");
        if (at(doc, "ack") != nullptr) {
            ids.push_back(text_at(doc, "id"));
        }
    }
    CHECK(ids == std::vector<std::string>{"bs", "un"});
}

TEST_CASE(
    "nano sim frames are pretty-printed property trees with string scalars", "[sim][nano][ws]") {
    nano_sim s;
    REQUIRE(s.sim.ready());
    auto c = s.connect();
    REQUIRE(c->connected());
    for (const char* topic :
         {"confirmation",
          "vote",
          "telemetry",
          "work",
          "new_unconfirmed_block",
          "started_election"}) {
        c->send_text(std::string(R"({"action": "subscribe", "topic": ")") + topic + R"("})");
    }
    std::set<std::string> seen;
    const auto deadline = std::chrono::steady_clock::now() + 12s;
    while (seen.size() < 6 && std::chrono::steady_clock::now() < deadline) {
        const auto m = c->next(1s);
        if (!m) {
            continue;
        }
        REQUIRE_FALSE(m->binary);
        INFO(m->data);
        CHECK(m->data.rfind("{\n    \"topic\": \"", 0) == 0);
        CHECK(m->data.size() >= 3);
        CHECK(m->data.substr(m->data.size() - 2) == "}\n");
        const auto doc = parse(m->data);
        REQUIRE_FALSE(doc.HasParseError());
        CHECK(all_scalars_are_strings(doc));
        seen.insert(text_at(doc, "topic"));
    }
    CHECK(seen.size() == 6);
}

TEST_CASE(
    "nano sim confirmations carry correct hashes and follow unconfirmed blocks and elections",
    "[sim][nano][ws]") {
    nano_sim s;
    REQUIRE(s.sim.ready());
    auto c = s.connect();
    REQUIRE(c->connected());
    c->send_text(R"({"action": "subscribe", "topic": "new_unconfirmed_block"})");
    c->send_text(R"({"action": "subscribe", "topic": "started_election"})");
    c->send_text(R"({"action": "subscribe", "topic": "confirmation"})");
    std::set<std::string> unconfirmed;
    std::set<std::string> started;
    int checked = 0;
    int active = 0;
    int announced = 0;
    int active_started = 0;
    for (auto& m : c->collect(3000ms)) {
        const auto doc = parse(m.data);
        const std::string topic = text_at(doc, "topic");
        if (topic == "new_unconfirmed_block") {
            const std::string hash = text_at(doc, "hash");
            REQUIRE(hash.size() == 64);
            unconfirmed.insert(hash);
            CHECK_FALSE(text_at(doc, "message.subtype").empty());
        } else if (topic == "started_election") {
            started.insert(text_at(doc, "message.hash"));
        } else if (topic == "confirmation") {
            const std::string hash = text_at(doc, "message.hash");
            const auto account
                = schema::nano::decode_account(text_at(doc, "message.block.account"));
            const auto previous = schema::parse_hex32(text_at(doc, "message.block.previous"));
            const auto rep
                = schema::nano::decode_account(text_at(doc, "message.block.representative"));
            const auto balance = schema::parse_u128(text_at(doc, "message.block.balance"));
            const auto link = schema::parse_hex32(text_at(doc, "message.block.link"));
            REQUIRE(text_at(doc, "message.block.type") == "state");
            REQUIRE((account && previous && rep && balance && link));
            CHECK(
                schema::hex_upper(
                    schema::nano::state_block_hash(*account, *previous, *rep, *balance, *link))
                == hash);
            CHECK(text_at(doc, "message.block.signature").size() == 128);
            CHECK(text_at(doc, "message.block.work").size() == 16);
            // Blocks announced before the subscription are the exception, not the rule.
            announced += unconfirmed.contains(hash) ? 1 : 0;
            if (text_at(doc, "message.confirmation_type") == "active_quorum") {
                active_started += started.contains(hash) ? 1 : 0;
                ++active;
            }
            ++checked;
        }
    }
    CHECK(checked > 20);
    CHECK(active > 10);
    CHECK(announced >= checked * 8 / 10);
    CHECK(active_started >= active * 8 / 10);
}

TEST_CASE("nano sim honours each confirmation option", "[sim][nano][ws]") {
    nano_sim s;
    REQUIRE(s.sim.ready());

    SECTION("include_block false drops the block") {
        auto c = s.connect();
        c->send_text(
            R"({"action": "subscribe", "topic": "confirmation", "options": {"include_block": "false"}})");
        const auto msgs = messages_of(*c, "confirmation", 1500ms);
        REQUIRE_FALSE(msgs.empty());
        for (const auto& d : msgs) {
            CHECK(at(d, "message.block") == nullptr);
            CHECK(at(d, "message.election_info") == nullptr);
            CHECK_FALSE(text_at(d, "message.amount").empty());
        }
    }
    SECTION("election info without and with votes") {
        auto c = s.connect();
        c->send_text(
            R"({"action": "subscribe", "topic": "confirmation", "options": {"include_election_info": true, "confirmation_type": "active_quorum"}})");
        auto v = s.connect();
        v->send_text(
            R"({"action": "subscribe", "topic": "confirmation", "options": {"include_election_info_with_votes": "true", "confirmation_type": "active_quorum"}})");
        const auto plain = messages_of(*c, "confirmation", 1500ms);
        const auto with_votes = messages_of(*v, "confirmation", 500ms);
        REQUIRE_FALSE(plain.empty());
        REQUIRE_FALSE(with_votes.empty());
        for (const auto& d : plain) {
            CHECK(at(d, "message.election_info.tally") != nullptr);
            CHECK(at(d, "message.election_info.votes") == nullptr);
            CHECK(text_at(d, "message.election_info.blocks") == "1");
        }
        for (const auto& d : with_votes) {
            const auto* votes = at(d, "message.election_info.votes");
            REQUIRE(votes != nullptr);
            REQUIRE(votes->IsArray());
            CHECK(text_at(d, "message.election_info.voters") == std::to_string(votes->Size()));
            for (const auto& vote : votes->GetArray()) {
                CHECK(text_at(vote, "hash") == text_at(d, "message.hash"));
                CHECK(schema::nano::decode_account(text_at(vote, "representative")).has_value());
            }
        }
    }
    SECTION("sideband and linked account") {
        auto c = s.connect();
        c->send_text(
            R"({"action": "subscribe", "topic": "confirmation", "options": {"include_sideband_info": "true", "include_linked_account": "true"}})");
        const auto msgs = messages_of(*c, "confirmation", 1500ms);
        REQUIRE_FALSE(msgs.empty());
        for (const auto& d : msgs) {
            CHECK(schema::parse_u64(text_at(d, "message.sideband.height")).has_value());
            CHECK(schema::parse_u64(text_at(d, "message.sideband.local_timestamp")).has_value());
            const std::string linked = text_at(d, "message.block.linked_account");
            const std::string subtype = text_at(d, "message.block.subtype");
            if (subtype == "send") {
                CHECK(linked == text_at(d, "message.block.link_as_account"));
            } else if (subtype == "change" || subtype == "epoch") {
                CHECK(linked == "0");
            } else {
                CHECK(schema::nano::decode_account(linked).has_value());
            }
        }
    }
    SECTION("confirmation_type filters") {
        auto q = s.connect();
        q->send_text(
            R"({"action": "subscribe", "topic": "confirmation", "options": {"confirmation_type": "active_quorum"}})");
        auto i = s.connect();
        i->send_text(
            R"({"action": "subscribe", "topic": "confirmation", "options": {"confirmation_type": "INACTIVE"}})");
        const auto quorum = messages_of(*q, "confirmation", 4000ms);
        const auto inactive = messages_of(*i, "confirmation", 10ms);
        REQUIRE_FALSE(quorum.empty());
        REQUIRE_FALSE(inactive.empty());
        for (const auto& d : quorum) {
            CHECK(text_at(d, "message.confirmation_type") == "active_quorum");
        }
        for (const auto& d : inactive) {
            CHECK(text_at(d, "message.confirmation_type") == "inactive");
        }
    }
}

TEST_CASE("nano sim account filters, update, and invalid accounts", "[sim][nano][ws]") {
    nano_sim s;
    REQUIRE(s.sim.ready());
    // Learn two active accounts from an unfiltered subscription.
    auto probe = s.connect();
    probe->send_text(R"({"action": "subscribe", "topic": "confirmation"})");
    std::string account;
    for (const auto& d : messages_of(*probe, "confirmation", 1000ms)) {
        if (text_at(d, "message.block.type") == "state") {
            account = text_at(d, "message.account");
            break;
        }
    }
    REQUIRE_FALSE(account.empty());

    SECTION("accounts filter passes account or link_as_account matches only") {
        auto c = s.connect();
        c->send_text(
            R"({"action": "subscribe", "topic": "confirmation", "options": {"accounts": [")"
            + account + R"("]}})");
        const auto msgs = messages_of(*c, "confirmation", 4000ms);
        REQUIRE_FALSE(msgs.empty());
        for (const auto& d : msgs) {
            const bool match = text_at(d, "message.account") == account
                               || text_at(d, "message.block.link_as_account") == account;
            CHECK(match);
        }
    }
    SECTION("only invalid accounts filter everything") {
        auto c = s.connect();
        c->send_text(
            R"({"action": "subscribe", "topic": "confirmation", "ack": true, "options": {"accounts": ["xrb_invalid"]}})");
        const auto msgs = c->collect(1500ms);
        REQUIRE(msgs.size() == 1);
        CHECK(text_at(parse(msgs[0].data), "ack") == "subscribe");
    }
    SECTION("update adds accounts to a filtered subscription") {
        auto c = s.connect();
        c->send_text(
            R"({"action": "subscribe", "topic": "confirmation", "options": {"accounts": []}})");
        CHECK(messages_of(*c, "confirmation", 800ms).empty());
        c->send_text(
            R"({"action": "update", "topic": "confirmation", "ack": true, "id": "u", "options": {"accounts_add": [")"
            + account + R"("]}})");
        const auto ack = c->next_containing("\"ack\"", 3s);
        REQUIRE(ack);
        CHECK(text_at(parse(ack->data), "ack") == "update");
        const auto msgs = messages_of(*c, "confirmation", 4000ms);
        REQUIRE_FALSE(msgs.empty());
    }
    SECTION("accounts_del turns an unfiltered subscription into one that passes nothing") {
        auto c = s.connect();
        c->send_text(
            R"({"action": "subscribe", "topic": "confirmation", "options": {"include_block": "true"}})");
        REQUIRE_FALSE(messages_of(*c, "confirmation", 800ms).empty());
        c->send_text(
            R"({"action": "update", "topic": "confirmation", "options": {"accounts_del": [")"
            + account + R"("]}})");
        (void)c->collect(200ms);
        CHECK(messages_of(*c, "confirmation", 1000ms).empty());
    }
    SECTION("update on a subscription made without options is not acked") {
        auto c = s.connect();
        c->send_text(R"({"action": "subscribe", "topic": "confirmation"})");
        c->send_text(
            R"({"action": "update", "topic": "confirmation", "ack": true, "id": "no", "options": {"accounts_add": [")"
            + account + R"("]}})");
        for (auto& m : c->collect(1000ms)) {
            CHECK(at(parse(m.data), "ack") == nullptr);
        }
    }
    SECTION("subscribe again replaces the options") {
        auto c = s.connect();
        c->send_text(
            R"({"action": "subscribe", "topic": "confirmation", "options": {"include_block": "false"}})");
        auto first = messages_of(*c, "confirmation", 800ms);
        REQUIRE_FALSE(first.empty());
        CHECK(at(first.back(), "message.block") == nullptr);
        c->send_text(
            R"({"action": "subscribe", "topic": "confirmation", "options": {"include_block": "true"}})");
        (void)c->collect(200ms);
        const auto second = messages_of(*c, "confirmation", 800ms);
        REQUIRE_FALSE(second.empty());
        for (const auto& d : second) {
            CHECK(at(d, "message.block") != nullptr);
        }
    }
}

TEST_CASE("nano sim delivers legacy blocks only without account filters", "[sim][nano][ws]") {
    // With no history the legacy prologue is confirmed live, as a node re-processing old blocks.
    nano_sim s({"--history", "0", "--rate", "4"});
    REQUIRE(s.sim.ready());
    // The genesis account, from the RPC (its open block is the network identifier).
    std::string genesis;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (genesis.empty() && std::chrono::steady_clock::now() < deadline) {
        const auto version
            = parse(http_post(s.sim.nano_rpc_url(), R"({"action": "version"})").body);
        const std::string hash = text_at(version, "network_identifier");
        const auto info = parse(
            http_post(
                s.sim.nano_rpc_url(), R"({"action": "block_info", "hash": ")" + hash + R"("})")
                .body);
        genesis = text_at(info, "block_account");
    }
    REQUIRE_FALSE(genesis.empty());
    auto all = s.connect();
    all->send_text(R"({"action": "subscribe", "topic": "confirmation"})");
    auto filtered = s.connect();
    filtered->send_text(
        R"({"action": "subscribe", "topic": "confirmation", "options": {"accounts": [")" + genesis
        + R"("]}})");

    std::set<std::string> legacy_types;
    for (const auto& d : messages_of(*all, "confirmation", 5000ms)) {
        const std::string type = text_at(d, "message.block.type");
        if (type != "state") {
            legacy_types.insert(type);
            CHECK(at(d, "message.block.subtype") == nullptr);
            CHECK((at(d, "message.block.account") == nullptr || type == "open"));
        }
    }
    CHECK(legacy_types.contains("send"));
    CHECK(legacy_types.contains("open"));
    CHECK(legacy_types.contains("receive"));
    CHECK(legacy_types.contains("change"));
    const auto filtered_msgs = messages_of(*filtered, "confirmation", 10ms);
    REQUIRE_FALSE(filtered_msgs.empty()); // genesis's epoch and state blocks pass ...
    for (const auto& d : filtered_msgs) {
        CHECK(text_at(d, "message.block.type") == "state"); // ... its legacy sends never do
    }
}

TEST_CASE("nano sim vote subscriptions show the options quirk", "[sim][nano][ws]") {
    nano_sim s({"--rate", "60"});
    REQUIRE(s.sim.ready());
    auto bare = s.connect();
    bare->send_text(R"({"action": "subscribe", "topic": "vote"})");
    auto with_options = s.connect();
    with_options->send_text(R"({"action": "subscribe", "topic": "vote", "options": {}})");
    std::set<std::string> bare_types;
    bool final_seen = false;
    CHECK(until(*bare, 15s, [&](const rapidjson::Document& d) {
        if (text_at(d, "topic") != "vote") {
            return false;
        }
        bare_types.insert(text_at(d, "message.type"));
        CHECK(text_at(d, "message.sequence") == text_at(d, "message.timestamp"));
        CHECK(schema::nano::parse_decimal_u512(text_at(d, "message.signature")).has_value());
        const auto* blocks = at(d, "message.blocks");
        REQUIRE(blocks != nullptr);
        REQUIRE(blocks->IsArray());
        CHECK(blocks->Size() >= 1);
        CHECK(blocks->Size() <= 255);
        if (text_at(d, "message.timestamp") == "18446744073709551615") {
            final_seen = true;
            CHECK(text_at(d, "message.duration") == "15");
        }
        return bare_types.size() == 3 && final_seen;
    }));
    CHECK(bare_types.contains("vote"));
    CHECK(bare_types.contains("replay"));
    CHECK(bare_types.contains("indeterminate"));
    CHECK(final_seen);
    const auto filtered = messages_of(*with_options, "vote", 10ms);
    REQUIRE_FALSE(filtered.empty());
    for (const auto& d : filtered) {
        CHECK(text_at(d, "message.type") == "vote");
    }
}

TEST_CASE("nano sim cements dependencies with a default election status", "[sim][nano][ws]") {
    nano_sim s({"--rate", "60"});
    REQUIRE(s.sim.ready());
    auto c = s.connect();
    c->send_text(
        R"({"action": "subscribe", "topic": "confirmation", "options": {"include_election_info_with_votes": "true", "include_sideband_info": "true"}})");
    std::set<std::string> kinds;
    std::map<std::string, std::uint64_t> height;
    int order_violations = 0;
    int seen = 0;
    CHECK(until(*c, 15s, [&](const rapidjson::Document& d) {
        if (text_at(d, "topic") != "confirmation") {
            return false;
        }
        ++seen;
        const std::string kind = text_at(d, "message.confirmation_type");
        kinds.insert(kind);
        if (kind != "active_quorum") {
            CHECK(text_at(d, "message.election_info.tally") == "0");
            CHECK(text_at(d, "message.election_info.duration") == "0");
            CHECK(text_at(d, "message.election_info.voters") == "0");
            CHECK(text_at(d, "message.election_info.votes").empty()); // "" (empty array)
        }
        // Per account, confirmations arrive in ascending height.
        const std::string account = text_at(d, "message.account");
        const auto h = schema::parse_u64(text_at(d, "message.sideband.height")).value_or(0);
        if (height.contains(account) && h <= height[account]) {
            ++order_violations;
        }
        height[account] = h;
        return kinds.size() == 3 && seen >= 100;
    }));
    CHECK(kinds.contains("active_quorum"));
    CHECK(kinds.contains("inactive"));
    CHECK(kinds.contains("active_confirmation_height"));
    CHECK(order_violations == 0);
}

TEST_CASE("nano sim stops elections that are dropped or lose a fork", "[sim][nano][ws]") {
    nano_sim s({"--rate", "60"});
    REQUIRE(s.sim.ready());
    auto c = s.connect();
    c->send_text(R"({"action": "subscribe", "topic": "stopped_election"})");
    c->send_text(
        R"({"action": "subscribe", "topic": "confirmation", "options": {"include_block": "false"}})");
    std::set<std::string> stopped;
    std::set<std::string> confirmed;
    std::set<std::string> checked;
    int restarted = 0;
    int forks = 0;
    CHECK(until(*c, 15s, [&](const rapidjson::Document& d) {
        if (text_at(d, "topic") == "stopped_election") {
            stopped.insert(text_at(d, "message.hash"));
        } else if (text_at(d, "topic") == "confirmation") {
            const std::string hash = text_at(d, "message.hash");
            confirmed.insert(hash);
            if (stopped.contains(hash)) {
                ++restarted; // a dropped election, confirmed later
            }
        }
        // A stopped hash that is not in the ledger is a losing fork.
        for (const auto& hash : stopped) {
            if (confirmed.contains(hash) || checked.contains(hash)) {
                continue;
            }
            const auto info = parse(
                http_post(
                    s.sim.nano_rpc_url(), R"({"action": "block_info", "hash": ")" + hash + R"("})")
                    .body);
            if (text_at(info, "error") == "Block not found") {
                ++forks;
            }
            checked.insert(hash);
        }
        return restarted > 0 && forks > 0;
    }));
    CHECK(restarted > 0);
    CHECK(forks > 0);
}

TEST_CASE(
    "nano sim telemetry comes from many peers and work messages succeed and fail",
    "[sim][nano][ws]") {
    nano_sim s;
    REQUIRE(s.sim.ready());
    auto c = s.connect();
    c->send_text(R"({"action": "subscribe", "topic": "telemetry"})");
    c->send_text(R"({"action": "subscribe", "topic": "work"})");
    std::set<std::string> node_ids;
    std::set<std::string> work_success;
    CHECK(until(*c, 15s, [&](const rapidjson::Document& d) {
        if (text_at(d, "topic") == "telemetry") {
            node_ids.insert(text_at(d, "message.node_id"));
            CHECK(schema::nano::decode_account(text_at(d, "message.node_id"), true).has_value());
            CHECK(text_at(d, "message.address").rfind("::ffff:", 0) == 0);
        } else if (text_at(d, "topic") == "work") {
            work_success.insert(text_at(d, "message.success"));
            if (text_at(d, "message.success") == "false") {
                CHECK(at(d, "message.result") == nullptr);
            }
        }
        return node_ids.size() >= 8 && work_success.size() == 2;
    }));
    CHECK(node_ids.size() >= 8);
    CHECK(work_success == std::set<std::string>{"false", "true"});
}

TEST_CASE(
    "nano sim stops reading and drops the socket without a close frame on malformed JSON",
    "[sim][nano][ws]") {
    nano_sim s;
    REQUIRE(s.sim.ready());
    auto c = s.connect();
    REQUIRE(c->connected());
    c->send_text(R"({"action": "subscribe", "topic": "confirmation")"); // unterminated
    REQUIRE(c->wait_closed(5s));
    const auto info = c->close_info();
    CHECK_FALSE(info.close_frame);
    CHECK_FALSE(info.connect_failed);

    // Non-object JSON is ignored and the connection stays.
    auto d = s.connect();
    d->send_text("[]");
    d->send_text(R"({"action": "ping", "id": "still-here"})");
    const auto pong = d->next_containing("still-here", 5s);
    CHECK(pong.has_value());
    CHECK(d->connected());
}

TEST_CASE("nano sim sends close 1000 Shutting down on SIGTERM", "[sim][nano][ws]") {
    nano_sim s;
    REQUIRE(s.sim.ready());
    auto c = s.connect();
    REQUIRE(c->connected());
    CHECK(s.sim.stop() == 0);
    REQUIRE(c->wait_closed(5s));
    const auto info = c->close_info();
    CHECK(info.close_frame);
    CHECK(info.code == 1000);
    CHECK(info.reason == "Shutting down");
}

} // namespace
} // namespace ledgertap::test
