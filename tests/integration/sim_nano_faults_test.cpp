// ledgertap-sim's Nano fault flags, each observed by a plain client: drop, duplicate, reorder,
// disconnect-every, outage, malformed frames, slow and failing RPC.

#include "schema/codec.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

rapidjson::Document parse(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    return doc;
}

std::string text_at(const rapidjson::Value& root, std::initializer_list<const char*> path) {
    const rapidjson::Value* v = &root;
    for (const char* key : path) {
        if (!v->IsObject()) {
            return {};
        }
        const auto it = v->FindMember(key);
        if (it == v->MemberEnd()) {
            return {};
        }
        v = &it->value;
    }
    return v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

/// The truth file's nano_connection records.
std::vector<rapidjson::Document> connection_records(const std::string& truth_path) {
    std::vector<rapidjson::Document> out;
    for (const auto& line : lines_of(read_file(truth_path))) {
        auto doc = parse(line);
        if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("kind")
            && std::string(doc["kind"].GetString()) == "nano_connection") {
            out.push_back(std::move(doc));
        }
    }
    return out;
}

std::vector<std::string> nano_flags(std::vector<std::string> extra) {
    std::vector<std::string> flags{"--chain", "nano", "--seed", "11", "--rate", "50"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    return flags;
}

std::vector<rapidjson::Document> confirmations(ws_client& c, std::chrono::milliseconds window) {
    std::vector<rapidjson::Document> out;
    for (auto& m : c.collect(window)) {
        auto d = parse(m.data);
        if (!d.HasParseError() && text_at(d, {"topic"}) == "confirmation") {
            out.push_back(std::move(d));
        }
    }
    return out;
}

TEST_CASE(
    "nano sim --drop loses notifications and counts them per connection", "[sim][nano][faults]") {
    sim_runner sim(nano_flags({"--drop", "0.5"}));
    REQUIRE(sim.ready());
    ws_client c("127.0.0.1", sim.ports().nano_ws);
    c.send_text(R"({"action": "subscribe", "topic": "confirmation"})");
    const auto first = confirmations(c, 2500ms);
    REQUIRE(sim.stop() == 0);
    const auto rest = confirmations(c, 500ms);
    const auto records = connection_records(sim.truth_path());
    REQUIRE(records.size() == 1);
    const auto& r = records[0];
    const std::uint64_t received = first.size() + rest.size();
    CHECK(r["sent"]["confirmation"].GetUint64() == received);
    CHECK(r["dropped"].GetUint64() > 10);
    // Roughly half: far from none and from all.
    CHECK(r["dropped"].GetUint64() > received / 3);
    CHECK(received > r["dropped"].GetUint64() / 3);
}

TEST_CASE("nano sim --duplicate re-notifies as active_confirmation_height", "[sim][nano][faults]") {
    sim_runner sim(nano_flags({"--duplicate", "0.5"}));
    REQUIRE(sim.ready());
    ws_client c("127.0.0.1", sim.ports().nano_ws);
    c.send_text(
        R"({"action": "subscribe", "topic": "confirmation", "options": {"include_election_info": "true"}})");
    std::map<std::string, std::vector<std::string>> kinds;
    for (const auto& d : confirmations(c, 2500ms)) {
        kinds[text_at(d, {"message", "hash"})].push_back(
            text_at(d, {"message", "confirmation_type"}));
    }
    int duplicated = 0;
    for (const auto& [hash, seen] : kinds) {
        if (seen.size() == 2) {
            ++duplicated;
            CHECK(seen[1] == "active_confirmation_height");
        }
        CHECK(seen.size() <= 2);
    }
    CHECK(duplicated > 10);
}

TEST_CASE("nano sim --reorder shuffles notifications within the window", "[sim][nano][faults]") {
    sim_runner sim(nano_flags({"--reorder", "16", "--nano-accounts", "4"}));
    REQUIRE(sim.ready());
    ws_client c("127.0.0.1", sim.ports().nano_ws);
    c.send_text(
        R"({"action": "subscribe", "topic": "confirmation", "options": {"include_sideband_info": "true"}})");
    std::map<std::string, std::uint64_t> last_height;
    int inversions = 0;
    std::size_t total = 0;
    for (const auto& d : confirmations(c, 3000ms)) {
        ++total;
        const std::string account = text_at(d, {"message", "account"});
        const auto height = schema::parse_u64(text_at(d, {"message", "sideband", "height"}));
        REQUIRE(height);
        if (last_height.contains(account) && *height < last_height[account]) {
            ++inversions;
        }
        last_height[account] = *height;
    }
    CHECK(total > 50);
    CHECK(inversions > 0);
}

TEST_CASE(
    "nano sim --disconnect-every drops the TCP connection after N messages without a close frame",
    "[sim][nano][faults]") {
    sim_runner sim(nano_flags({"--disconnect-every", "25"}));
    REQUIRE(sim.ready());
    ws_client c("127.0.0.1", sim.ports().nano_ws);
    c.send_text(R"({"action": "subscribe", "topic": "confirmation"})");
    c.send_text(R"({"action": "subscribe", "topic": "vote"})");
    REQUIRE(c.wait_closed(10s));
    const auto info = c.close_info();
    CHECK_FALSE(info.close_frame);
    CHECK_FALSE(info.connect_failed);
    CHECK(c.messages_received() == 25);
    // The node itself is fine: a new connection works.
    ws_client again("127.0.0.1", sim.ports().nano_ws);
    CHECK(again.connected());
}

TEST_CASE(
    "nano sim --outage closes and refuses connections while the chain moves on",
    "[sim][nano][faults]") {
    sim_runner sim(nano_flags({"--outage", "1.0:2.5"}));
    REQUIRE(sim.ready());
    const auto cemented = [&sim]() -> std::uint64_t {
        const auto r = http_post(sim.nano_rpc_url(), R"({"action": "block_count"})");
        return schema::parse_u64(text_at(parse(r.body), {"cemented"})).value_or(0);
    };
    ws_client c("127.0.0.1", sim.ports().nano_ws);
    REQUIRE(c.connected());
    c.send_text(R"({"action": "subscribe", "topic": "confirmation"})");
    REQUIRE(c.wait_closed(5s));
    CHECK_FALSE(c.close_info().close_frame);
    const std::uint64_t at_outage = cemented();

    ws_client refused("127.0.0.1", sim.ports().nano_ws, 1s);
    CHECK_FALSE(refused.connected());

    std::unique_ptr<ws_client> back;
    const auto deadline = std::chrono::steady_clock::now() + 8s;
    while (std::chrono::steady_clock::now() < deadline) {
        back = std::make_unique<ws_client>("127.0.0.1", sim.ports().nano_ws, 1s);
        if (back->connected()) {
            break;
        }
        std::this_thread::sleep_for(100ms);
    }
    REQUIRE(back);
    CHECK(back->connected());
    CHECK(cemented() > at_outage + 50); // about 2.5 s at 50 blocks/s happened while it was down
}

TEST_CASE(
    "nano sim --malformed-every sends invalid JSON, binary and oversized frames in rotation",
    "[sim][nano][faults]") {
    sim_runner sim(nano_flags({"--malformed-every", "5", "--oversized-bytes", "100000"}));
    REQUIRE(sim.ready());
    ws_client c("127.0.0.1", sim.ports().nano_ws);
    c.send_text(R"({"action": "subscribe", "topic": "confirmation"})");
    int invalid = 0;
    int binary = 0;
    int oversized = 0;
    int valid = 0;
    for (auto& m : c.collect(2000ms)) {
        if (m.binary) {
            ++binary;
            continue;
        }
        if (m.data.size() == 100000) {
            ++oversized;
            continue;
        }
        if (parse(m.data).HasParseError()) {
            ++invalid;
        } else {
            ++valid;
        }
    }
    CHECK(invalid > 0);
    CHECK(binary > 0);
    CHECK(oversized > 0);
    // Every 5th frame is malformed; the notifications themselves all arrive.
    CHECK(valid >= 3 * (invalid + binary + oversized));
}

TEST_CASE(
    "nano sim --rpc-delay-ms answers late and --rpc-error-rate answers with errors",
    "[sim][nano][faults]") {
    SECTION("delay") {
        sim_runner sim(nano_flags({"--rpc-delay-ms", "300"}));
        REQUIRE(sim.ready());
        const auto r = http_post(sim.nano_rpc_url(), R"({"action": "block_count"})");
        REQUIRE(r.ok);
        CHECK(r.elapsed >= 290ms);
        CHECK_FALSE(text_at(parse(r.body), {"count"}).empty());
    }
    SECTION("every call fails") {
        sim_runner sim(nano_flags({"--rpc-error-rate", "1"}));
        REQUIRE(sim.ready());
        for (int i = 0; i < 5; ++i) {
            const auto r = http_post(sim.nano_rpc_url(), R"({"action": "block_count"})");
            REQUIRE(r.ok);
            CHECK(r.status == 200);
            CHECK(text_at(parse(r.body), {"error"}) == "Internal server error in RPC");
        }
    }
    SECTION("some calls fail") {
        sim_runner sim(nano_flags({"--rpc-error-rate", "0.5"}));
        REQUIRE(sim.ready());
        int errors = 0;
        for (int i = 0; i < 30; ++i) {
            const auto r = http_post(sim.nano_rpc_url(), R"({"action": "block_count"})");
            REQUIRE(r.ok);
            errors += text_at(parse(r.body), {"error"}).empty() ? 0 : 1;
        }
        CHECK(errors > 3);
        CHECK(errors < 27);
    }
}

} // namespace
} // namespace ledgertap::test
