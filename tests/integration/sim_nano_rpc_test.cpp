// ledgertap-sim's Nano RPC over HTTP: transport quirks, and the ground truth: every confirmed
// block in the truth file can be fetched over RPC with the same fields and a recomputable hash;
// the same seed gives the same chain.

#include "schema/codec.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <set>
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

std::string str(const rapidjson::Value& v, const char* key) {
    if (!v.IsObject()) {
        return "<not an object>";
    }
    const auto it = v.FindMember(key);
    if (it == v.MemberEnd()) {
        return "<absent>";
    }
    return it->value.IsString() ? it->value.GetString()
                                : (it->value.IsNull() ? "<null>" : "<other>");
}

std::vector<rapidjson::Document> truth_records(const std::string& path, const std::string& kind) {
    std::vector<rapidjson::Document> out;
    std::istringstream in(read_file(path));
    for (std::string line; std::getline(in, line);) {
        auto doc = parse(line);
        REQUIRE_FALSE(doc.HasParseError());
        if (str(doc, "kind") == kind) {
            out.push_back(std::move(doc));
        }
    }
    return out;
}

TEST_CASE(
    "nano sim RPC answers POST with Connection: close and refuses other methods",
    "[sim][nano][rpc]") {
    sim_runner sim({"--chain", "nano", "--seed", "3"});
    REQUIRE(sim.ready());
    const auto count = http_post(sim.nano_rpc_url(), R"({"action": "block_count"})");
    REQUIRE(count.ok);
    CHECK(count.status == 200);
    CHECK(count.headers.find("connection: close") != std::string::npos);
    CHECK(count.body.rfind("{\n    \"count\": \"", 0) == 0);

    const auto get = http_get(sim.nano_rpc_url());
    REQUIRE(get.ok);
    CHECK(get.status == 200);
    CHECK(str(parse(get.body), "error") == "Can only POST requests");

    const auto bad = http_post(sim.nano_rpc_url(), "not json");
    CHECK(bad.status == 200);
    CHECK(str(parse(bad.body), "error") == "Unable to parse JSON");
}

/// The complete records of one kind written so far (a torn last line is ignored).
std::vector<rapidjson::Document> records_so_far(const std::string& path, const std::string& kind) {
    std::vector<rapidjson::Document> out;
    std::istringstream in(read_file(path));
    for (std::string line; std::getline(in, line);) {
        auto doc = parse(line);
        if (!doc.HasParseError() && str(doc, "kind") == kind) {
            out.push_back(std::move(doc));
        }
    }
    return out;
}

std::string hex_of_account(const std::string& address) {
    const auto key = schema::nano::decode_account(address);
    return key ? schema::hex_upper(*key) : "<bad address>";
}

/// Recomputes a block hash from a truth record's fields.
std::string truth_hash(const rapidjson::Value& r) {
    const std::string type = str(r, "type");
    const auto account = schema::nano::decode_account(str(r, "account"));
    const auto previous = schema::parse_hex32(str(r, "previous"));
    const auto balance = schema::parse_u128(str(r, "balance"));
    if (!account || !previous || !balance) {
        return "<bad fields>";
    }
    if (type == "state") {
        const auto rep = schema::nano::decode_account(str(r, "representative"));
        const auto link = schema::parse_hex32(str(r, "link"));
        return rep && link ? schema::hex_upper(
                   schema::nano::state_block_hash(*account, *previous, *rep, *balance, *link))
                           : "<bad>";
    }
    if (type == "send") {
        const auto link = schema::parse_hex32(str(r, "link"));
        return link ? schema::hex_upper(schema::nano::send_block_hash(*previous, *link, *balance))
                    : "<bad>";
    }
    if (type == "receive") {
        const auto link = schema::parse_hex32(str(r, "link"));
        return link ? schema::hex_upper(schema::nano::receive_block_hash(*previous, *link))
                    : "<bad>";
    }
    if (type == "open") {
        const auto rep = schema::nano::decode_account(str(r, "representative"));
        const auto link = schema::parse_hex32(str(r, "link"));
        return rep && link ? schema::hex_upper(schema::nano::open_block_hash(*link, *rep, *account))
                           : "<bad>";
    }
    if (type == "change") {
        const auto rep = schema::nano::decode_account(str(r, "representative"));
        return rep ? schema::hex_upper(schema::nano::change_block_hash(*previous, *rep)) : "<bad>";
    }
    return "<unknown type>";
}

TEST_CASE(
    "every confirmed block in the truth file can be fetched over RPC with matching fields",
    "[sim][nano][rpc][truth]") {
    // Half the confirmations are dropped from the WebSocket; RPC still serves every block.
    sim_runner sim(
        {"--chain", "nano", "--seed", "5", "--rate", "100", "--history", "150", "--drop", "0.5"});
    REQUIRE(sim.ready());
    const std::string url = sim.nano_rpc_url();
    std::vector<rapidjson::Document> blocks;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (blocks.size() < 300 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(100ms);
        blocks = records_so_far(sim.truth_path(), "nano_block");
    }
    REQUIRE(blocks.size() >= 300);

    std::set<std::string> types;
    for (std::size_t first = 0; first < blocks.size(); first += 500) {
        std::string body = R"({"action": "blocks_info", "json_block": "true", "hashes": [)";
        const std::size_t last = std::min(blocks.size(), first + 500);
        for (std::size_t i = first; i < last; ++i) {
            body += (i == first ? "\"" : ",\"") + str(blocks[i], "hash") + "\"";
        }
        body += "]}";
        const auto reply = http_post(url, body);
        REQUIRE(reply.ok);
        const auto doc = parse(reply.body);
        REQUIRE(doc.HasMember("blocks"));
        for (std::size_t i = first; i < last; ++i) {
            const auto& t = blocks[i];
            const std::string hash = str(t, "hash");
            INFO(hash);
            REQUIRE(doc["blocks"].HasMember(hash.c_str()));
            const auto& b = doc["blocks"][hash.c_str()];
            const auto& c = b["contents"];
            const std::string type = str(t, "type");
            types.insert(type);
            CHECK(truth_hash(t) == hash);
            CHECK(str(b, "block_account") == str(t, "account"));
            CHECK(str(b, "height") == std::to_string(t["height"].GetUint64()));
            CHECK(str(b, "confirmed") == "true");
            CHECK(str(b, "balance") == str(t, "balance"));
            CHECK(str(b, "amount") == str(t, "amount"));
            CHECK(str(c, "type") == type);
            CHECK(str(c, "signature") == str(t, "signature"));
            CHECK(str(c, "work") == str(t, "work"));
            CHECK(str(b, "subtype") == (type == "state" ? str(t, "subtype") : "<absent>"));
            if (type == "state") {
                CHECK(str(c, "previous") == str(t, "previous"));
                CHECK(str(c, "link") == str(t, "link"));
                CHECK(str(c, "representative") == str(t, "representative"));
            } else if (type == "send") {
                CHECK(str(c, "previous") == str(t, "previous"));
                CHECK(hex_of_account(str(c, "destination")) == str(t, "link"));
                CHECK(
                    schema::parse_hex_u128(str(c, "balance"))
                    == schema::parse_u128(str(t, "balance")));
            } else if (type == "receive") {
                CHECK(str(c, "source") == str(t, "link"));
            } else if (type == "open") {
                CHECK(str(c, "source") == str(t, "link"));
                CHECK(str(c, "account") == str(t, "account"));
            } else if (type == "change") {
                CHECK(str(c, "representative") == str(t, "representative"));
            }
        }
    }
    CHECK(types == std::set<std::string>{"change", "open", "receive", "send", "state"});

    REQUIRE(sim.stop() == 0);
    const auto all = truth_records(sim.truth_path(), "nano_block");
    CHECK(all.size() >= blocks.size());
    REQUIRE(truth_records(sim.truth_path(), "truth_end").size() == 1);
    CHECK(truth_records(sim.truth_path(), "nano_summary").size() == 1);
}

TEST_CASE(
    "the same seed gives the same Nano chain, another seed a different one",
    "[sim][nano][rpc][truth]") {
    const auto history_hashes = [](const std::string& seed) {
        sim_runner sim({"--chain", "nano", "--seed", seed, "--history", "120", "--rate", "1"});
        REQUIRE(sim.ready());
        std::vector<std::string> hashes;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (hashes.size() < 120 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(50ms);
            hashes.clear();
            for (const auto& r : records_so_far(sim.truth_path(), "nano_block")) {
                hashes.push_back(str(r, "hash"));
            }
        }
        REQUIRE(hashes.size() >= 120);
        hashes.resize(120);
        return hashes;
    };
    const auto a = history_hashes("42");
    const auto b = history_hashes("42");
    const auto c = history_hashes("43");
    CHECK(a == b);
    CHECK(a != c);
}

} // namespace
} // namespace ledgertap::test
