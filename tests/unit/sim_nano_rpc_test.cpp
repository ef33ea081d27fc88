// The simulated Nano RPC answered in process (no sockets): every call, its options, and the
// node's error messages.

#include "schema/codec.hpp"
#include "sim/nano_ledger.hpp"
#include "sim/nano_messages.hpp"
#include "sim/nano_rpc.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <string>

namespace ledgertap::sim::nano {
namespace {

struct fixture {
    ledger chain{21, 10};
    std::vector<std::uint32_t> confirmed_by_rpc;
    rpc handler{
        chain,
        [] { return std::uint64_t{1700000000000}; },
        [this](std::uint32_t i) { confirmed_by_rpc.push_back(i); }};

    fixture() {
        for (int i = 0; i < 300; ++i) {
            const std::uint32_t index = chain.generate(1700000000);
            if (i < 250) {
                chain.confirm(index, confirmation_kind::active_quorum, 1700000000000, {});
            }
        }
    }

    rapidjson::Document call(const std::string& body) const {
        const http_reply reply = handler.handle(body);
        REQUIRE(reply.status == 200);
        rapidjson::Document doc;
        doc.Parse(reply.body.c_str());
        REQUIRE_FALSE(doc.HasParseError());
        return doc;
    }

    static std::string error_of(const rapidjson::Document& doc) {
        return doc.IsObject() && doc.HasMember("error") ? doc["error"].GetString() : "";
    }

    [[nodiscard]] std::string hash(std::uint32_t index) const {
        return schema::hex_upper(chain.at(index).hash);
    }

    /// An opened account with at least `blocks` blocks.
    [[nodiscard]] std::uint32_t busy_account(std::size_t blocks) const {
        for (std::uint32_t a = 0; a < chain.accounts().size(); ++a) {
            if (chain.accounts()[a].chain.size() >= blocks) {
                return a;
            }
        }
        FAIL("no account with enough blocks");
        return 0;
    }
};

std::string str(const rapidjson::Value& v, const char* key) {
    const auto it = v.FindMember(key);
    return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "<absent>";
}

TEST_CASE("nano rpc errors use the node's messages with HTTP 200", "[sim][nano][rpc]") {
    const fixture f;
    CHECK(fixture::error_of(f.call("{")) == "Unable to parse JSON");
    CHECK(fixture::error_of(f.call(R"({"action": "no_such_thing"})")) == "Unknown command");
    CHECK(fixture::error_of(f.call(R"({"hash": "00"})")) == "Unknown command");
    CHECK(fixture::error_of(f.call(R"({"action": "block_info"})")) == "Unable to parse JSON");
    CHECK(
        fixture::error_of(f.call(R"({"action": "block_info", "hash": "XYZ"})"))
        == "Invalid block hash");
    CHECK(
        fixture::error_of(f.call(R"({"action": "block_info", "hash": "1"})")) == "Block not found");
    CHECK(
        fixture::error_of(f.call(R"({"action": "blocks_info", "hashes": ["XYZ"]})"))
        == "Bad hash number");
    CHECK(
        fixture::error_of(f.call(R"({"action": "blocks_info", "hashes": ["01"]})"))
        == "Block not found");
    CHECK(
        fixture::error_of(f.call(R"({"action": "account_info", "account": "nano_1"})"))
        == "Bad account number");
    CHECK(
        fixture::error_of(f.call(R"({"action": "chain", "block": "01", "count": "0"})"))
        == "Invalid count");
    CHECK(
        fixture::error_of(f.call(R"({"action": "chain", "block": "01"})"))
        == "Unable to parse JSON");
    CHECK(
        fixture::error_of(
            f.call(R"({"action": "chain", "block": "01", "count": "1", "offset": "x"})"))
        == "Invalid offset");
    const std::string deep
        = R"({"action": "version", "x": [[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]})";
    CHECK(fixture::error_of(f.call(deep)) == "Max JSON depth exceeded");
    CHECK(rpc::error_body("Block not found") == "{\n    \"error\": \"Block not found\"\n}\n");
}

TEST_CASE("nano rpc block_info and blocks_info describe every block", "[sim][nano][rpc]") {
    fixture f;
    // The genesis send (legacy, hex balance in contents) and a recent unconfirmed state block.
    const auto legacy = f.call(
        R"({"action": "block_info", "json_block": "true", "hash": ")" + f.hash(1) + R"("})");
    CHECK(str(legacy, "height") == "2");
    CHECK(str(legacy, "confirmed") == "true");
    CHECK(str(legacy["contents"], "type") == "send");
    CHECK(str(legacy["contents"], "balance").size() == 32);
    CHECK(str(legacy, "subtype") == "<absent>");
    CHECK(schema::parse_u128(str(legacy, "balance")).has_value());

    const std::uint32_t last = static_cast<std::uint32_t>(f.chain.size() - 1);
    const auto fresh = f.call(R"({"action": "block_info", "hash": ")" + f.hash(last) + R"("})");
    CHECK(str(fresh, "confirmed") == "false");
    REQUIRE(fresh["contents"].IsString()); // a JSON document as a string without json_block
    rapidjson::Document contents;
    contents.Parse(fresh["contents"].GetString());
    REQUIRE_FALSE(contents.HasParseError());
    CHECK(str(contents, "type") == "state");
    CHECK(str(fresh, "successor") == std::string(64, '0'));

    const std::string missing = std::string(63, '0') + "1";
    const auto batch = f.call(
        R"({"action": "blocks_info", "json_block": "true", "include_not_found": "true",
        "source": "true", "receive_hash": "true", "receivable": "true", "include_linked_account": "true",
        "hashes": [")"
        + f.hash(1) + R"(", ")" + f.hash(2) + R"(", ")" + missing + R"("]})");
    REQUIRE(batch["blocks"].IsObject());
    const auto& send = batch["blocks"][f.hash(1).c_str()];
    const auto& open = batch["blocks"][f.hash(2).c_str()];
    CHECK(str(send, "receive_hash") == f.hash(2));
    CHECK(str(send, "receivable") == "0");
    CHECK(str(send, "pending") == "0");
    CHECK(str(send, "source_account") == "0");
    CHECK(str(open, "source_account") == str(send, "block_account"));
    CHECK(str(open, "linked_account") == str(send, "block_account"));
    CHECK(str(send, "linked_account") == str(open, "block_account"));
    REQUIRE(batch["blocks_not_found"].IsArray());
    CHECK(batch["blocks_not_found"][0].GetString() == missing);

    const auto none_missing = f.call(
        R"({"action": "blocks_info", "include_not_found": "true", "hashes": [")" + f.hash(1)
        + R"("]})");
    CHECK(str(none_missing, "blocks_not_found").empty()); // "" (empty-array rule)
    const auto nothing = f.call(
        R"({"action": "blocks_info", "include_not_found": "true", "hashes": [")" + missing
        + R"("]})");
    CHECK(str(nothing, "blocks").empty());
}

TEST_CASE("nano rpc chain and successors walk an account chain", "[sim][nano][rpc]") {
    const fixture f;
    const std::uint32_t account = f.busy_account(6);
    const auto& chain = f.chain.accounts()[account].chain;
    const std::string head = f.hash(chain[5]);
    const auto back = f.call(R"({"action": "chain", "block": ")" + head + R"(", "count": "3"})");
    REQUIRE(back["blocks"].IsArray());
    REQUIRE(back["blocks"].Size() == 3);
    CHECK(back["blocks"][0].GetString() == head);
    CHECK(back["blocks"][2].GetString() == f.hash(chain[3]));

    const auto skip
        = f.call(R"({"action": "chain", "block": ")" + head + R"(", "count": "2", "offset": "1"})");
    CHECK(skip["blocks"][0].GetString() == f.hash(chain[4]));

    const auto forward = f.call(
        R"({"action": "successors", "block": ")" + f.hash(chain[0]) + R"(", "count": "-1"})");
    CHECK(forward["blocks"].Size() == chain.size());
    CHECK(forward["blocks"][1].GetString() == f.hash(chain[1]));

    const auto reversed = f.call(
        R"({"action": "successors", "block": ")" + head + R"(", "count": "2", "reverse": "true"})");
    CHECK(reversed["blocks"][1].GetString() == f.hash(chain[4]));

    const auto unknown = f.call(R"({"action": "chain", "block": "01", "count": "5"})");
    CHECK(str(unknown, "blocks").empty());
}

TEST_CASE("nano rpc account_info switches key names with include_confirmed", "[sim][nano][rpc]") {
    const fixture f;
    const std::uint32_t account = f.busy_account(3);
    const auto& acct = f.chain.accounts()[account];
    const std::string body
        = R"({"action": "account_info", "representative": "true", "receivable": "true", "account": ")"
          + acct.address + "\"";
    const auto plain = f.call(body + "}");
    CHECK(str(plain, "frontier") == f.hash(acct.chain.back()));
    CHECK(str(plain, "open_block") == f.hash(acct.chain.front()));
    CHECK(str(plain, "block_count") == std::to_string(acct.chain.size()));
    CHECK(str(plain, "confirmation_height") == std::to_string(acct.confirmation_height));
    CHECK(str(plain, "confirmation_height_frontier").size() == 64);
    CHECK(str(plain, "confirmed_height") == "<absent>");
    CHECK(str(plain, "representative") == address_of(acct.representative));
    CHECK(str(plain, "receivable") == str(plain, "pending"));

    const auto confirmed = f.call(body + R"(, "include_confirmed": "true"})");
    CHECK(str(confirmed, "confirmation_height") == "<absent>");
    CHECK(str(confirmed, "confirmed_height") == std::to_string(acct.confirmation_height));
    CHECK(str(confirmed, "confirmed_frontier") == str(plain, "confirmation_height_frontier"));
    CHECK(str(confirmed, "confirmed_balance") != "<absent>");
    CHECK(str(confirmed, "confirmed_receivable") != "<absent>");

    // An account that never opened.
    const std::string unopened = schema::nano::encode_account(bytes32{1, 2, 3});
    CHECK(
        fixture::error_of(f.call(R"({"action": "account_info", "account": ")" + unopened + R"("})"))
        == "Account not found");
}

TEST_CASE("nano rpc account_history pages raw and plain entries", "[sim][nano][rpc]") {
    const fixture f;
    const std::uint32_t account = f.busy_account(8);
    const auto& acct = f.chain.accounts()[account];
    const std::string base = R"({"action": "account_history", "account": ")" + acct.address + "\"";

    const auto raw = f.call(base + R"(, "raw": "true", "count": "3"})");
    REQUIRE(raw["history"].IsArray());
    REQUIRE(raw["history"].Size() == 3);
    CHECK(str(raw["history"][0], "hash") == f.hash(acct.chain.back()));
    CHECK(str(raw["history"][0], "height") == std::to_string(acct.chain.size()));
    CHECK(str(raw["history"][0], "signature").size() == 128);
    CHECK(str(raw, "previous") == f.hash(acct.chain[acct.chain.size() - 4]));

    const auto all_raw = f.call(base + R"(, "raw": "true", "count": "-1"})");
    CHECK(all_raw["history"].Size() == acct.chain.size());
    CHECK(str(all_raw, "previous") == "<absent>");

    const auto plain = f.call(base + R"(, "count": "-1"})");
    for (const auto& entry : plain["history"].GetArray()) {
        const std::string type = str(entry, "type");
        CHECK((type == "send" || type == "receive"));
        CHECK(str(entry, "amount") != "<absent>");
    }

    const auto reverse = f.call(base + R"(, "reverse": "true", "count": "2", "raw": "1"})");
    CHECK(str(reverse["history"][0], "hash") == f.hash(acct.chain.front()));
    CHECK(str(reverse, "next") == f.hash(acct.chain[2]));

    const auto from_head = f.call(
        R"({"action": "account_history", "account": "ignored", "raw": "true", "count": "1", "head": ")"
        + f.hash(acct.chain[3]) + R"("})");
    CHECK(str(from_head, "account") == acct.address);
    CHECK(str(from_head["history"][0], "height") == "4");

    const std::string unopened = schema::nano::encode_account(bytes32{9});
    const auto empty = f.call(
        R"({"action": "account_history", "count": "5", "account": ")" + unopened + R"("})");
    CHECK(str(empty, "history").empty());
}

TEST_CASE(
    "nano rpc block_count, confirmation_history, version and block_confirm", "[sim][nano][rpc]") {
    fixture f;
    const auto count = f.call(R"({"action": "block_count"})");
    CHECK(str(count, "count") == "300");
    CHECK(str(count, "cemented") == "250");
    CHECK(str(count, "unchecked") == "0");

    const auto history = f.call(R"({"action": "confirmation_history"})");
    CHECK(str(history["confirmation_stats"], "count") == "250");
    REQUIRE(history["confirmations"].IsArray());
    CHECK(history["confirmations"].Size() == 250);
    const auto one
        = f.call(R"({"action": "confirmation_history", "hash": ")" + f.hash(5) + R"("})");
    CHECK(one["confirmations"].Size() == 1);

    const auto version = f.call(R"({"action": "version"})");
    CHECK(str(version, "node_vendor").rfind("Nano V28", 0) == 0);
    CHECK(str(version, "network_identifier") == f.hash(0));

    const auto started = f.call(R"({"action": "block_confirm", "hash": ")" + f.hash(7) + R"("})");
    CHECK(str(started, "started") == "1");
    CHECK(f.confirmed_by_rpc == std::vector<std::uint32_t>{7});
}

} // namespace
} // namespace ledgertap::sim::nano
