// Solana PubSub decoder tests: every example of protocols/solana.md §1, the generated block
// fixtures of tests/data/solana (every encoding x transactionDetails level, see make_fixtures.py),
// and hostile input.

#include "schema/solana.hpp"

#include "schema/codec.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ledgertap::schema::solana {
namespace {

std::string read_fixture(std::string_view name) {
    const std::string path = std::string(LEDGERTAP_TEST_DATA_DIR) + "/solana/" + std::string(name);
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template<typename T>
T decode_as(std::string_view text) {
    auto result = decode_pubsub_message(text);
    if (!result) {
        FAIL_CHECK("decode failed: " << to_string(result.error().code) << ": "
                                     << result.error().detail);
    }
    REQUIRE(result.ok());
    const auto* value = std::get_if<T>(&result.value());
    REQUIRE(value != nullptr);
    return *value;
}

decode_error decode_fails(std::string_view text) {
    auto result = decode_pubsub_message(text);
    REQUIRE_FALSE(result.ok());
    return result.error();
}

void check_fails(std::string_view text, decode_errc code, std::string_view detail_part = {}) {
    INFO("input: " << text.substr(0, 300));
    const auto error = decode_fails(text);
    CHECK(error.code == code);
    if (!detail_part.empty()) {
        CHECK_THAT(error.detail, Catch::Contains(std::string(detail_part)));
    }
}

constexpr std::uint64_t u64_max = 18446744073709551615ULL;
const std::string zero_key(32, '1');       // 32 zero bytes: the system program
const std::string zero_signature(64, '1'); // 64 zero bytes: Signature::default()

std::string account_frame(std::string_view value) {
    return R"({"jsonrpc":"2.0","method":"accountNotification","params":{"result":{"context":{"slot":5},"value":)"
        + std::string(value) + R"(},"subscription":3}})";
}

std::string account_value(std::string_view data) {
    return R"({"lamports":100,"data":)" + std::string(data)
        + R"(,"owner":"Vote111111111111111111111111111111111111111","executable":false,"rentEpoch":18446744073709551615,"space":3})";
}

// ---- envelopes ----------------------------------------------------------------------------------

TEST_CASE("subscribe and unsubscribe answers keep their ids exactly", "[schema][solana]") {
    const auto sub = decode_as<subscribe_ok>(R"({"jsonrpc":"2.0","result":23784,"id":1})");
    CHECK(sub.request_id == 1);
    CHECK(sub.subscription == 23784);

    const auto helius = decode_as<subscribe_ok>(R"({"jsonrpc":"2.0","result":4743323479349712,"id":9})");
    CHECK(helius.subscription == 4743323479349712ULL);

    // Above 2^53 (not exact as a double) and at 2^64-1.
    const auto big = decode_as<subscribe_ok>(
        R"({"jsonrpc":"2.0","result":9007199254740993,"id":18446744073709551615})");
    CHECK(big.subscription == 9007199254740993ULL);
    CHECK(big.request_id == u64_max);

    const auto unsub = decode_as<unsubscribe_ok>(R"({"jsonrpc":"2.0","result":true,"id":2})");
    CHECK(unsub.request_id == 2);
    CHECK(unsub.result);
    CHECK_FALSE(decode_as<unsubscribe_ok>(R"({"jsonrpc":"2.0","result":false,"id":3})").result);
}

TEST_CASE("getVersion on the PubSub socket decodes as version_ok", "[schema][solana]") {
    const auto version = decode_as<version_ok>(
        R"({"jsonrpc":"2.0","result":{"feature-set":3294202862,"solana-core":"2.1.14"},"id":77})");
    CHECK(version.request_id == 77);
    CHECK(version.version.solana_core == "2.1.14");
    CHECK(version.version.feature_set == 3294202862U);
    const auto no_features = decode_as<version_ok>(
        R"({"jsonrpc":"2.0","result":{"solana-core":"1.18.0","feature-set":null},"id":1})");
    CHECK_FALSE(no_features.version.feature_set.has_value());
    check_fails(
        R"({"jsonrpc":"2.0","result":{"solana-core":"1.18.0","feature-set":4294967296},"id":1})",
        decode_errc::bad_field, "result.feature-set");
}

struct error_case {
    std::string_view json;
    std::optional<std::uint64_t> id;
    std::int64_t code;
    std::string_view message;
    std::optional<std::string_view> data;
};

TEST_CASE("every JSON-RPC error of solana.md 1.3 and 2.2 decodes", "[schema][solana]") {
    const error_case cases[] = {
        {R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})",
         std::nullopt, -32700, "Parse error", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request"},"id":null})",
         std::nullopt, -32600, "Invalid request", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Unsupported JSON-RPC protocol version"},"id":4})",
         4, -32600, "Unsupported JSON-RPC protocol version", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":5})", 5,
         -32601, "Method not found", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params: invalid type: boolean `true`, expected a string."},"id":6})",
         6, -32602, "Invalid params: invalid type: boolean `true`, expected a string.", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":7})", 7, -32603,
         "Internal error", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal Error: Subscription refused. Node subscription limit reached"},"id":8})",
         8, -32603, "Internal Error: Subscription refused. Node subscription limit reached",
         std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid subscription id."},"id":1})", 1,
         -32602, "Invalid subscription id.", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid Request: Invalid pubkey provided"},"id":9})",
         9, -32602, "Invalid Request: Invalid pubkey provided", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid Request: Invalid signature provided"},"id":10})",
         10, -32602, "Invalid Request: Invalid signature provided", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid Request: Only 1 address supported"},"id":11})",
         11, -32602, "Invalid Request: Only 1 address supported", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid Request: Invalid mentions provided"},"id":12})",
         12, -32602, "Invalid Request: Invalid mentions provided", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid Request: Invalid mentions_account_or_program provided"},"id":13})",
         13, -32602, "Invalid Request: Invalid mentions_account_or_program provided", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Method does not support commitment below `confirmed`"},"id":14})",
         14, -32602, "Method does not support commitment below `confirmed`", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params: Too many filters provided; max 4"},"id":15})",
         15, -32602, "Invalid params: Too many filters provided; max 4", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params: Invalid param: DataTooLarge"},"id":16})",
         16, -32602, "Invalid params: Invalid param: DataTooLarge", std::nullopt},
        {R"j({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params: Invalid param: Base58DecodeError(InvalidCharacter { character: '0', index: 3 })"},"id":17})j",
         17, -32602, "Invalid params: Invalid param: Base58DecodeError(InvalidCharacter { character: '0', index: 3 })",
         std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":7429,"message":"Server error: subcription method exceeded limit: accountSubscribe"},"id":18})",
         18, 7429, "Server error: subcription method exceeded limit: accountSubscribe", std::nullopt},
        // §2.2 custom codes.
        {R"({"jsonrpc":"2.0","error":{"code":-32001,"message":"Block 5 cleaned up, does not exist on node. First available block: 100"},"id":20})",
         20, -32001, "Block 5 cleaned up, does not exist on node. First available block: 100",
         std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32002,"message":"Transaction simulation failed: Blockhash not found","data":{"accounts":null,"err":"BlockhashNotFound","logs":[],"unitsConsumed":0}},"id":21})",
         21, -32002, "Transaction simulation failed: Blockhash not found",
         R"({"accounts":null,"err":"BlockhashNotFound","logs":[],"unitsConsumed":0})"},
        {R"({"jsonrpc":"2.0","error":{"code":-32004,"message":"Block not available for slot 150"},"id":22})",
         22, -32004, "Block not available for slot 150", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32005,"message":"Node is behind by 42 slots","data":{"numSlotsBehind":42}},"id":23})",
         23, -32005, "Node is behind by 42 slots", R"({"numSlotsBehind":42})"},
        {R"({"jsonrpc":"2.0","error":{"code":-32005,"message":"Node is unhealthy","data":{"numSlotsBehind":null}},"id":24})",
         24, -32005, "Node is unhealthy", R"({"numSlotsBehind":null})"},
        {R"({"jsonrpc":"2.0","error":{"code":-32007,"message":"Slot 7 was skipped, or missing due to ledger jump to recent snapshot"},"id":25})",
         25, -32007, "Slot 7 was skipped, or missing due to ledger jump to recent snapshot",
         std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32009,"message":"Slot 7 was skipped, or missing in long-term storage"},"id":26})",
         26, -32009, "Slot 7 was skipped, or missing in long-term storage", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32011,"message":"Transaction history is not available from this node"},"id":27})",
         27, -32011, "Transaction history is not available from this node", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32014,"message":"Block status not yet available for slot 9"},"id":28})",
         28, -32014, "Block status not yet available for slot 9", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32015,"message":"Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: \"maxSupportedTransactionVersion\": 0"},"id":29})",
         29, -32015,
         "Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: \"maxSupportedTransactionVersion\": 0",
         std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32016,"message":"Minimum context slot has not been reached","data":{"contextSlot":1234}},"id":30})",
         30, -32016, "Minimum context slot has not been reached", R"({"contextSlot":1234})"},
        {R"({"jsonrpc":"2.0","error":{"code":-32017,"message":"Epoch rewards period still active at slot 432000"},"id":31})",
         31, -32017, "Epoch rewards period still active at slot 432000", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32019,"message":"Failed to query long-term storage; please try again"},"id":32})",
         32, -32019, "Failed to query long-term storage; please try again", std::nullopt},
        {R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Slot range too large; max 500000"},"id":33})",
         33, -32602, "Slot range too large; max 500000", std::nullopt},
    };
    for (const auto& c : cases) {
        INFO(c.json);
        const auto error = decode_as<rpc_error>(c.json);
        CHECK(error.request_id == c.id);
        CHECK(error.code == c.code);
        CHECK(error.message == c.message);
        if (c.data) {
            REQUIRE(error.data.has_value());
            CHECK(*error.data == *c.data);
        } else {
            CHECK_FALSE(error.data.has_value());
        }
    }
}

TEST_CASE("malformed error responses are rejected", "[schema][solana]") {
    check_fails(R"({"jsonrpc":"2.0","error":{"message":"x"},"id":1})", decode_errc::bad_field,
                "error.code: missing");
    check_fails(R"({"jsonrpc":"2.0","error":{"code":-32602.5,"message":"x"},"id":1})",
                decode_errc::bad_field, "error.code");
    check_fails(R"({"jsonrpc":"2.0","error":{"code":-32602},"id":1})", decode_errc::bad_field,
                "error.message");
    check_fails(R"({"jsonrpc":"2.0","error":"boom","id":1})", decode_errc::bad_field, "error");
    check_fails(R"({"jsonrpc":"2.0","error":{"code":1,"message":"x"},"id":"abc"})",
                decode_errc::bad_field, "id");
}

// ---- node progress ------------------------------------------------------------------------------

TEST_CASE("slotNotification decodes the solana.md examples", "[schema][solana]") {
    const auto zero = decode_as<slot_notification>(
        R"({"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":0,"parent":0,"root":0},"subscription":0}})");
    CHECK(zero.subscription == 0);
    CHECK(zero.slot == 0);
    const auto slot = decode_as<slot_notification>(
        R"({"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":76,"parent":75,"root":44},"subscription":0}})");
    CHECK(slot.slot == 76);
    CHECK(slot.parent == 75);
    CHECK(slot.root == 44);
    const auto big = decode_as<slot_notification>(
        R"({"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":1,"parent":0,"root":0},"subscription":9007199254740993}})");
    CHECK(big.subscription == 9007199254740993ULL);
}

std::string slots_update_frame(std::string_view result) {
    return R"({"jsonrpc":"2.0","method":"slotsUpdatesNotification","params":{"result":)"
        + std::string(result) + R"(,"subscription":4}})";
}

TEST_CASE("slotsUpdatesNotification decodes every type", "[schema][solana]") {
    SECTION("frozen with stats (solana.md example)") {
        const auto update = decode_as<slots_update>(
            R"({"jsonrpc":"2.0","method":"slotsUpdatesNotification","params":{"result":{"type":"frozen","slot":76,"timestamp":1625081266243,"stats":{"numTransactionEntries":64,"numSuccessfulTransactions":900,"numFailedTransactions":40,"maxTransactionsPerEntry":100}},"subscription":0}})");
        CHECK(update.kind == slots_update_kind::frozen);
        CHECK(update.raw_type == "frozen");
        CHECK(update.slot == 76);
        CHECK(update.timestamp_ms == 1625081266243ULL);
        REQUIRE(update.stats.has_value());
        CHECK(update.stats->num_transaction_entries == 64);
        CHECK(update.stats->num_successful_transactions == 900);
        CHECK(update.stats->num_failed_transactions == 40);
        CHECK(update.stats->max_transactions_per_entry == 100);
        CHECK_FALSE(update.parent.has_value());
    }
    SECTION("createdBank carries the parent") {
        const auto update = decode_as<slots_update>(slots_update_frame(
            R"({"type":"createdBank","slot":77,"parent":76,"timestamp":1625081266300})"));
        CHECK(update.kind == slots_update_kind::created_bank);
        CHECK(update.subscription == 4);
        CHECK(update.parent == 76U);
        check_fails(
            slots_update_frame(R"({"type":"createdBank","slot":77,"timestamp":1})"),
            decode_errc::bad_field, "params.result.parent: missing");
    }
    SECTION("dead carries the error string") {
        const auto update = decode_as<slots_update>(slots_update_frame(
            R"({"type":"dead","slot":78,"timestamp":5,"err":"error: InvalidTickCount"})"));
        CHECK(update.kind == slots_update_kind::dead);
        CHECK(update.err == std::optional<std::string>("error: InvalidTickCount"));
    }
    SECTION("the plain kinds") {
        const std::pair<std::string_view, slots_update_kind> kinds[] = {
            {"firstShredReceived", slots_update_kind::first_shred_received},
            {"completed", slots_update_kind::completed},
            {"optimisticConfirmation", slots_update_kind::optimistic_confirmation},
            {"root", slots_update_kind::root},
        };
        for (const auto& [name, kind] : kinds) {
            INFO(name);
            const auto update = decode_as<slots_update>(slots_update_frame(
                R"({"type":")" + std::string(name) + R"(","slot":90,"timestamp":1625081266999})"));
            CHECK(update.kind == kind);
            CHECK(std::string_view(to_string(update.kind)) == name);
            CHECK(update.slot == 90);
            CHECK(update.timestamp_ms == 1625081266999ULL);
        }
    }
    SECTION("the docs' parent on optimisticConfirmation is ignored") {
        const auto update = decode_as<slots_update>(slots_update_frame(
            R"({"type":"optimisticConfirmation","slot":10,"parent":9,"timestamp":1})"));
        CHECK(update.kind == slots_update_kind::optimistic_confirmation);
        CHECK_FALSE(update.parent.has_value());
    }
    SECTION("an unknown future type is kept, not rejected") {
        const auto update = decode_as<slots_update>(slots_update_frame(
            R"({"type":"notarized","slot":91,"timestamp":7,"extra":{"x":1}})"));
        CHECK(update.kind == slots_update_kind::unknown);
        CHECK(update.raw_type == "notarized");
        CHECK(update.slot == 91);
        CHECK(update.timestamp_ms == 7);
        const auto bare = decode_as<slots_update>(slots_update_frame(R"({"type":"skipped"})"));
        CHECK(bare.kind == slots_update_kind::unknown);
        CHECK(bare.slot == 0);
    }
    SECTION("bad fields") {
        check_fails(slots_update_frame(R"({"slot":1,"timestamp":1})"), decode_errc::bad_field,
                    "params.result.type: missing");
        check_fails(slots_update_frame(R"({"type":"root","slot":-1,"timestamp":1})"),
                    decode_errc::bad_field, "params.result.slot");
        check_fails(slots_update_frame(R"({"type":"root","slot":1})"), decode_errc::bad_field,
                    "params.result.timestamp: missing");
        check_fails(slots_update_frame(R"({"type":"frozen","slot":1,"timestamp":1,"stats":{"numTransactionEntries":1}})"),
                    decode_errc::bad_field, "params.result.stats.numSuccessfulTransactions");
        check_fails(slots_update_frame(R"({"type":"dead","slot":1,"timestamp":1})"),
                    decode_errc::bad_field, "params.result.err: missing");
    }
}

TEST_CASE("rootNotification is a bare slot", "[schema][solana]") {
    const auto root = decode_as<root_notification>(
        R"({"jsonrpc":"2.0","method":"rootNotification","params":{"result":42,"subscription":0}})");
    CHECK(root.slot == 42);
    CHECK(root.subscription == 0);
    check_fails(
        R"({"jsonrpc":"2.0","method":"rootNotification","params":{"result":"42","subscription":0}})",
        decode_errc::bad_field, "params.result");
}

TEST_CASE("voteNotification decodes the Agave test string and a real-looking vote", "[schema][solana]") {
    const auto vote = decode_as<vote_notification>(
        R"({"jsonrpc":"2.0","method":"voteNotification","params":{"result":{"votePubkey":"11111111111111111111111111111111","slots":[1,2],"hash":"11111111111111111111111111111111","timestamp":null,"signature":"1111111111111111111111111111111111111111111111111111111111111111"},"subscription":0}})");
    CHECK(vote.vote_pubkey == zero_key);
    CHECK(vote.slots == std::vector<std::uint64_t>{1, 2});
    CHECK(vote.hash == zero_key);
    CHECK_FALSE(vote.timestamp.has_value());
    CHECK(vote.signature == zero_signature);

    const auto stamped = decode_as<vote_notification>(
        R"({"jsonrpc":"2.0","method":"voteNotification","params":{"result":{"votePubkey":"Vote111111111111111111111111111111111111111","slots":[250000120,250000121],"hash":"4kS9qwACWe7j63AHycgjf7KhZbhEGQb4ghvQvL8Voprq","timestamp":1718000000,"signature":"1111111111111111111111111111111111111111111111111111111111111111"},"subscription":8}})");
    CHECK(stamped.timestamp == 1718000000);
    CHECK(stamped.slots.back() == 250000121U);

    // The hash must be 32 bytes, the signature 64.
    check_fails(
        R"({"jsonrpc":"2.0","method":"voteNotification","params":{"result":{"votePubkey":"11111111111111111111111111111111","slots":[1],"hash":"1111111111111111111111111111111111111111111111111111111111111111","timestamp":null,"signature":"1111111111111111111111111111111111111111111111111111111111111111"},"subscription":0}})",
        decode_errc::bad_field, "params.result.hash: not base58 of 32 bytes");
    check_fails(
        R"({"jsonrpc":"2.0","method":"voteNotification","params":{"result":{"votePubkey":"11111111111111111111111111111111","slots":[1.5],"hash":"11111111111111111111111111111111","timestamp":null,"signature":"1111111111111111111111111111111111111111111111111111111111111111"},"subscription":0}})",
        decode_errc::bad_field, "params.result.slots[0]");
}

// ---- blocks -------------------------------------------------------------------------------------

struct expected_tx {
    std::string signature;
    bool is_vote = false;
    std::string version;
    std::optional<std::string> err;
    std::uint64_t fee = 0;
    std::vector<std::uint64_t> pre;
    std::vector<std::uint64_t> post;
    std::vector<std::string> logs;
    std::optional<std::uint64_t> cu;
};

struct expected_block {
    std::uint64_t slot = 0;
    std::uint64_t context_slot = 0;
    std::uint64_t subscription = 0;
    std::uint64_t parent_slot = 0;
    std::string blockhash;
    std::string previous_blockhash;
    std::int64_t block_time = 0;
    std::uint64_t block_height = 0;
    std::vector<reward> rewards;
    std::vector<expected_tx> transactions;
};

std::string str(const rapidjson::Value& value) {
    return {value.GetString(), value.GetStringLength()};
}

std::vector<std::uint64_t> u64s(const rapidjson::Value& value) {
    std::vector<std::uint64_t> out;
    for (const auto& element : value.GetArray()) {
        out.push_back(element.GetUint64());
    }
    return out;
}

/// block_expect.json, written by make_fixtures.py independently of the decoder.
expected_block load_expectations() {
    const std::string text = read_fixture("block_expect.json");
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    REQUIRE_FALSE(doc.HasParseError());
    expected_block out;
    out.slot = doc["slot"].GetUint64();
    out.context_slot = doc["context_slot"].GetUint64();
    out.subscription = doc["subscription"].GetUint64();
    out.parent_slot = doc["parent_slot"].GetUint64();
    out.blockhash = str(doc["blockhash"]);
    out.previous_blockhash = str(doc["previous_blockhash"]);
    out.block_time = doc["block_time"].GetInt64();
    out.block_height = doc["block_height"].GetUint64();
    for (const auto& r : doc["rewards"].GetArray()) {
        reward item;
        item.pubkey = str(r["pubkey"]);
        item.lamports = r["lamports"].GetInt64();
        item.post_balance = r["postBalance"].GetUint64();
        item.reward_type = str(r["rewardType"]);
        if (!r["commission"].IsNull()) {
            item.commission = static_cast<std::uint8_t>(r["commission"].GetUint());
        }
        out.rewards.push_back(item);
    }
    for (const auto& t : doc["transactions"].GetArray()) {
        expected_tx tx;
        tx.signature = str(t["signature"]);
        tx.is_vote = t["is_vote"].GetBool();
        tx.version = str(t["version"]);
        if (!t["err"].IsNull()) {
            tx.err = str(t["err"]);
        }
        tx.fee = t["fee"].GetUint64();
        tx.pre = u64s(t["pre"]);
        tx.post = u64s(t["post"]);
        for (const auto& line : t["logs"].GetArray()) {
            tx.logs.push_back(str(line));
        }
        if (!t["cu"].IsNull()) {
            tx.cu = t["cu"].GetUint64();
        }
        out.transactions.push_back(tx);
    }
    return out;
}

void check_block(const block& b, const expected_block& want, std::string_view encoding,
                 std::string_view details) {
    CHECK(b.blockhash == want.blockhash);
    CHECK(b.previous_blockhash == want.previous_blockhash);
    CHECK(b.parent_slot == want.parent_slot);
    CHECK(b.block_time == want.block_time);
    CHECK(b.block_height == want.block_height);
    CHECK(std::string_view(to_string(b.details)) == details);
    REQUIRE(b.rewards.has_value());
    REQUIRE(b.rewards->size() == want.rewards.size());
    for (std::size_t i = 0; i < want.rewards.size(); ++i) {
        CHECK((*b.rewards)[i].pubkey == want.rewards[i].pubkey);
        CHECK((*b.rewards)[i].lamports == want.rewards[i].lamports);
        CHECK((*b.rewards)[i].post_balance == want.rewards[i].post_balance);
        CHECK((*b.rewards)[i].reward_type == want.rewards[i].reward_type);
        CHECK((*b.rewards)[i].commission == want.rewards[i].commission);
    }

    if (details == "signatures") {
        CHECK(b.transactions.empty());
        REQUIRE(b.signatures.size() == want.transactions.size());
        for (std::size_t i = 0; i < want.transactions.size(); ++i) {
            CHECK(b.signatures[i] == want.transactions[i].signature);
        }
        return;
    }
    CHECK(b.signatures.empty());
    if (details == "none") {
        CHECK(b.transactions.empty());
        return;
    }
    REQUIRE(b.transactions.size() == want.transactions.size());
    for (std::size_t i = 0; i < want.transactions.size(); ++i) {
        INFO("transaction " << i);
        const auto& tx = b.transactions[i];
        const auto& w = want.transactions[i];
        CHECK(tx.index == i);
        CHECK(tx.signature == w.signature);
        CHECK(tx.is_vote == w.is_vote);
        CHECK(tx.version == w.version);
        CHECK(std::string_view(to_string(tx.encoding))
              == (details == "accounts" ? std::string_view("accounts") : encoding));
        REQUIRE(tx.meta.has_value());
        CHECK(tx.meta->err == w.err);
        CHECK(tx.meta->fee == w.fee);
        CHECK(tx.meta->pre_balances == w.pre);
        CHECK(tx.meta->post_balances == w.post);
        if (details == "accounts") {
            // The accounts level carries neither logs nor compute units.
            CHECK_FALSE(tx.meta->log_messages.has_value());
            CHECK_FALSE(tx.meta->compute_units_consumed.has_value());
        } else {
            REQUIRE(tx.meta->log_messages.has_value());
            CHECK(*tx.meta->log_messages == w.logs);
            CHECK(tx.meta->compute_units_consumed == w.cu);
        }
    }
}

TEST_CASE("blockNotification decodes every encoding and transactionDetails level", "[schema][solana]") {
    const auto want = load_expectations();
    // Sanity of the fixture itself: the values that must not pass through double are there.
    REQUIRE(want.subscription > (1ULL << 53U));
    REQUIRE(want.transactions.size() == 4);
    REQUIRE(want.transactions[1].pre[0] == (1ULL << 53U) + 1);

    for (const std::string_view encoding : {"json", "jsonParsed", "base64", "base58"}) {
        for (const std::string_view details : {"full", "accounts", "signatures", "none"}) {
            const std::string name = "block_notification_" + std::string(encoding) + "_"
                + std::string(details) + ".json";
            INFO(name);
            const auto note = decode_as<block_notification>(read_fixture(name));
            CHECK(note.subscription == want.subscription);
            CHECK(note.context_slot == want.context_slot);
            CHECK(note.slot == want.slot);
            CHECK_FALSE(note.err.has_value());
            REQUIRE(note.value.has_value());
            check_block(*note.value, want, encoding, details);
        }
    }
}

TEST_CASE("block transactions keep versions, vote flags and NUL bytes in logs", "[schema][solana]") {
    const auto note = decode_as<block_notification>(read_fixture("block_notification_json_full.json"));
    REQUIRE(note.value.has_value());
    const auto& txs = note.value->transactions;
    REQUIRE(txs.size() == 4);
    CHECK(txs[0].version == std::optional<std::string>("legacy"));
    CHECK(txs[1].version == std::optional<std::string>("0"));
    CHECK(txs[0].is_vote == true);
    CHECK(txs[1].is_vote == false);
    CHECK(txs[2].meta->err == std::optional<std::string>(R"({"InstructionError":[0,{"Custom":6001}]})"));
    CHECK(txs[3].meta->err == std::optional<std::string>(R"({"InsufficientFundsForRent":{"account_index":2}})"));
    constexpr char nul_text[] = "Program log: nul\0inside, bell\a, unit\x1f, quote \" backslash \\ tab\t";
    const std::string nul_line(nul_text, sizeof(nul_text) - 1);
    REQUIRE(nul_line.size() == 63);
    REQUIRE(txs[1].meta->log_messages.has_value());
    CHECK((*txs[1].meta->log_messages)[1] == nul_line);
    CHECK((*txs[1].meta->log_messages)[2] == "Program log: caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x98\x80");
    CHECK(note.value->rewards->at(0).post_balance == 9007199254740993000ULL);
}

std::string block_frame(std::string_view block_json) {
    return R"({"jsonrpc":"2.0","method":"blockNotification","params":{"result":{"context":{"slot":10},"value":{"slot":10,"block":)"
        + std::string(block_json) + R"(,"err":null}},"subscription":1}})";
}

std::string minimal_block(std::string_view extra) {
    return R"({"previousBlockhash":"11111111111111111111111111111111","blockhash":"4kS9qwACWe7j63AHycgjf7KhZbhEGQb4ghvQvL8Voprq","parentSlot":9,"blockTime":null,"blockHeight":null)"
        + std::string(extra) + "}";
}

TEST_CASE("blockNotification with block null carries err and both slots", "[schema][solana]") {
    const auto unsupported = decode_as<block_notification>(
        R"({"jsonrpc":"2.0","method":"blockNotification","params":{"result":{"context":{"slot":205},"value":{"slot":210,"block":null,"err":{"UnsupportedTransactionVersion":0}}},"subscription":3}})");
    CHECK_FALSE(unsupported.value.has_value());
    CHECK(unsupported.context_slot == 205);
    CHECK(unsupported.slot == 210);
    CHECK(unsupported.err == std::optional<std::string>(R"({"UnsupportedTransactionVersion":0})"));

    const auto store = decode_as<block_notification>(
        R"({"jsonrpc":"2.0","method":"blockNotification","params":{"result":{"context":{"slot":7},"value":{"slot":8,"block":null,"err":"BlockStoreError"}},"subscription":3}})");
    CHECK(store.err == std::optional<std::string>(R"("BlockStoreError")"));

    check_fails(
        R"({"jsonrpc":"2.0","method":"blockNotification","params":{"result":{"context":{"slot":7},"value":{"slot":8,"err":null}},"subscription":3}})",
        decode_errc::bad_field, "params.result.value.block: missing");
}

TEST_CASE("block edge shapes: null time and height, no rewards, empty and absent lists", "[schema][solana]") {
    const auto bare = decode_as<block_notification>(block_frame(minimal_block("")));
    REQUIRE(bare.value.has_value());
    CHECK_FALSE(bare.value->block_time.has_value());
    CHECK_FALSE(bare.value->block_height.has_value());
    CHECK_FALSE(bare.value->rewards.has_value());
    CHECK(bare.value->details == transaction_details::none);
    CHECK(bare.value->previous_blockhash == zero_key);

    const auto empty = decode_as<block_notification>(
        block_frame(minimal_block(R"(,"transactions":[],"rewards":[],"numRewardPartitions":4)")));
    CHECK(empty.value->details == transaction_details::full);
    CHECK(empty.value->rewards->empty());
    CHECK(empty.value->num_reward_partitions == 4U);

    // meta null (status unavailable) and no version member.
    const auto no_meta = decode_as<block_notification>(block_frame(minimal_block(
        R"(,"transactions":[{"transaction":{"signatures":["1111111111111111111111111111111111111111111111111111111111111111"],"message":{"accountKeys":["11111111111111111111111111111111"],"instructions":[]}},"meta":null}])")));
    REQUIRE(no_meta.value->transactions.size() == 1);
    CHECK_FALSE(no_meta.value->transactions[0].meta.has_value());
    CHECK_FALSE(no_meta.value->transactions[0].version.has_value());
    CHECK(no_meta.value->transactions[0].is_vote == false);
}

TEST_CASE("block fields are validated", "[schema][solana]") {
    const std::string sig64(64, '1');
    const std::string tx_prefix = R"(,"transactions":[{"transaction":{"signatures":[")" + sig64
        + R"("],"message":{"accountKeys":["11111111111111111111111111111111"]}},"meta":)";
    const std::string good_meta =
        R"({"err":null,"fee":5000,"preBalances":[1],"postBalances":[1]})";

    check_fails(block_frame(R"({"blockhash":"abc","previousBlockhash":"11111111111111111111111111111111","parentSlot":1})"),
                decode_errc::bad_field, "params.result.value.block.blockhash: not base58 of 32 bytes");
    check_fails(block_frame(R"({"blockhash":"4kS9qwACWe7j63AHycgjf7KhZbhEGQb4ghvQvL8Voprq","previousBlockhash":"11111111111111111111111111111111"})"),
                decode_errc::bad_field, "block.parentSlot: missing");
    check_fails(block_frame(minimal_block(tx_prefix + good_meta + R"(,"version":1.0}])")),
                decode_errc::bad_field, "transactions[0].version");
    check_fails(block_frame(minimal_block(tx_prefix + good_meta + R"(,"version":"v0"}])")),
                decode_errc::bad_field, "transactions[0].version");
    check_fails(block_frame(minimal_block(tx_prefix + good_meta + R"(,"version":128}])")),
                decode_errc::bad_field, "transactions[0].version");
    check_fails(block_frame(minimal_block(
                    tx_prefix + R"({"err":null,"fee":-1,"preBalances":[1],"postBalances":[1]}}])")),
                decode_errc::bad_field, "transactions[0].meta.fee");
    check_fails(block_frame(minimal_block(
                    tx_prefix + R"({"err":null,"fee":1,"preBalances":[18446744073709551616],"postBalances":[1]}}])")),
                decode_errc::bad_field, "transactions[0].meta.preBalances[0]");
    check_fails(block_frame(minimal_block(
                    tx_prefix + R"({"fee":1,"preBalances":[1],"postBalances":[1]}}])")),
                decode_errc::bad_field, "transactions[0].meta.err: missing");
    check_fails(block_frame(minimal_block(
                    tx_prefix + R"({"err":null,"fee":1,"preBalances":[1],"postBalances":[1],"logMessages":["ok",7]}}])")),
                decode_errc::bad_field, "meta.logMessages[1]");
    check_fails(block_frame(minimal_block(
                    R"(,"transactions":[{"transaction":{"signatures":[],"message":{"accountKeys":[]}},"meta":null}])")),
                decode_errc::bad_field, "transaction.signatures: empty");
    check_fails(block_frame(minimal_block(
                    R"(,"transactions":[{"transaction":{"signatures":["11111111111111111111111111111111"],"message":{"accountKeys":[]}},"meta":null}])")),
                decode_errc::bad_field, "signatures[0]: not base58 of 64 bytes");
    check_fails(block_frame(minimal_block(R"(,"signatures":["3EFU7m"])")), decode_errc::bad_field,
                "block.signatures[0]: not base58 of 64 bytes");
    check_fails(block_frame(minimal_block(R"(,"rewards":[{"pubkey":"11111111111111111111111111111111","lamports":1,"postBalance":1,"rewardType":null,"commission":256}])")),
                decode_errc::bad_field, "rewards[0].commission");
}

TEST_CASE("binary transactions must be real wire format", "[schema][solana]") {
    const auto frame = [](std::string_view payload, std::string_view tag) {
        return block_frame(minimal_block(
            R"(,"transactions":[{"transaction":[")" + std::string(payload) + R"(",")"
            + std::string(tag) + R"("],"meta":null}])"));
    };
    // One signature (all 0x01 bytes), legacy header, one account key, the Vote program.
    std::vector<std::uint8_t> wire{1};
    wire.insert(wire.end(), 64, 0x01);
    wire.insert(wire.end(), {1, 0, 0, 1});
    const auto vote_key = base58_decode(vote_program_id);
    REQUIRE(vote_key.has_value());
    wire.insert(wire.end(), vote_key->begin(), vote_key->end());
    const std::string expected_signature =
        base58_encode(std::vector<std::uint8_t>(wire.begin() + 1, wire.begin() + 65));

    const auto good = decode_as<block_notification>(frame(base64_encode(wire), "base64"));
    CHECK(good.value->transactions[0].signature == expected_signature);
    CHECK(good.value->transactions[0].is_vote == true);
    CHECK(good.value->transactions[0].encoding == transaction_encoding::base64);
    const auto good58 = decode_as<block_notification>(frame(base58_encode(wire), "base58"));
    CHECK(good58.value->transactions[0].signature == expected_signature);
    CHECK(good58.value->transactions[0].encoding == transaction_encoding::base58);
    // The deprecated "binary" encoding: a bare base58 string.
    const auto legacy = decode_as<block_notification>(block_frame(minimal_block(
        R"(,"transactions":[{"transaction":")" + base58_encode(wire) + R"(","meta":null}])")));
    CHECK(legacy.value->transactions[0].signature == expected_signature);
    CHECK(legacy.value->transactions[0].encoding == transaction_encoding::binary);
    CHECK(legacy.value->transactions[0].is_vote == true);
    check_fails(block_frame(minimal_block(R"(,"transactions":[{"transaction":"0OIl","meta":null}])")),
                decode_errc::bad_field, "transactions[0].transaction: not base58");

    // A v0 prefix byte before the header is understood.
    auto v0 = wire;
    v0.insert(v0.begin() + 65, 0x80);
    CHECK(decode_as<block_notification>(frame(base64_encode(v0), "base64")).value->transactions[0].is_vote == true);

    auto truncated = wire;
    truncated.resize(40);
    check_fails(frame(base64_encode(truncated), "base64"), decode_errc::bad_field, "truncated signatures");
    auto keys_cut = wire;
    keys_cut.resize(wire.size() - 1);
    check_fails(frame(base64_encode(keys_cut), "base64"), decode_errc::bad_field, "truncated account keys");
    std::vector<std::uint8_t> no_signatures{0, 1, 0, 0, 0};
    check_fails(frame(base64_encode(no_signatures), "base64"), decode_errc::bad_field, "no signatures");
    std::vector<std::uint8_t> non_canonical{0x81, 0x00};
    check_fails(frame(base64_encode(non_canonical), "base64"), decode_errc::bad_field, "bad signature count");
    check_fails(frame("not base64!", "base64"), decode_errc::bad_field, "not base64");
    check_fails(frame("0OIl", "base58"), decode_errc::bad_field, "not base58");
    check_fails(frame(std::string(20000, '2'), "base58"), decode_errc::too_large, "base58 payload");
    check_fails(frame("AAAA", "base32"), decode_errc::bad_field, "unknown encoding");
    check_fails(block_frame(minimal_block(R"(,"transactions":[{"transaction":["AAAA"],"meta":null}])")),
                decode_errc::bad_field, "transactions[0].transaction");
}

// ---- logs, accounts, signatures -----------------------------------------------------------------

TEST_CASE("logsNotification keeps every byte of every line", "[schema][solana]") {
    const auto logs = decode_as<logs_notification>(
        R"({"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":5208469},"value":{"signature":"5h6xBEauJ3PK6SWCZ1PGjBvj8vDdWG3KpwATGy1ARAXFSDwt8GFXM7W5Ncn16wmqokgpiKRLuS83KUxyZyv2sUYv","err":{"InstructionError":[1,"InvalidAccountData"]},"logs":["Program 11111111111111111111111111111111 invoke [1]","nul\u0000byte","ctl\u0001\u001f\n\r\t","\"quoted\" \\ back","emoji \ud83d\ude00"]}},"subscription":24040}})");
    CHECK(logs.subscription == 24040);
    CHECK(logs.context_slot == 5208469);
    CHECK(logs.signature
          == "5h6xBEauJ3PK6SWCZ1PGjBvj8vDdWG3KpwATGy1ARAXFSDwt8GFXM7W5Ncn16wmqokgpiKRLuS83KUxyZyv2sUYv");
    CHECK(logs.err == std::optional<std::string>(R"({"InstructionError":[1,"InvalidAccountData"]})"));
    REQUIRE(logs.logs.size() == 5);
    CHECK(logs.logs[1] == std::string("nul\0byte", 8));
    CHECK(logs.logs[2] == std::string("ctl\x01\x1f\n\r\t"));
    CHECK(logs.logs[3] == "\"quoted\" \\ back");
    CHECK(logs.logs[4] == "emoji \xF0\x9F\x98\x80");

    const auto null_logs = decode_as<logs_notification>(
        R"({"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":1},"value":{"signature":"1111111111111111111111111111111111111111111111111111111111111111","err":null,"logs":null}},"subscription":1}})");
    CHECK(null_logs.logs.empty());
    CHECK_FALSE(null_logs.err.has_value());

    check_fails(
        R"({"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":1},"value":{"signature":"11111111111111111111111111111111","err":null,"logs":[]}},"subscription":1}})",
        decode_errc::bad_field, "params.result.value.signature: not base58 of 64 bytes");
    check_fails(
        R"({"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"value":{"signature":"1111111111111111111111111111111111111111111111111111111111111111","err":null,"logs":[]}},"subscription":1}})",
        decode_errc::bad_field, "params.result.context: missing");
}

TEST_CASE("accountNotification decodes the solana.md example exactly", "[schema][solana]") {
    const auto note = decode_as<account_notification>(
        R"({"jsonrpc":"2.0","method":"accountNotification","params":{"result":{"context":{"slot":1},
 "value":{"lamports":100,"data":["AQID","base64"],"owner":"Vote111111111111111111111111111111111111111",
 "executable":false,"rentEpoch":18446744073709551615,"space":3762}},"subscription":0}})");
    CHECK(note.context_slot == 1);
    CHECK(note.account.lamports == 100);
    CHECK(note.account.owner == vote_program_id);
    CHECK_FALSE(note.account.executable);
    CHECK(note.account.rent_epoch == u64_max);
    CHECK(note.account.space == 3762U);
    CHECK(note.account.data.encoding == account_encoding::base64);
    CHECK(note.account.data.bytes == std::vector<std::uint8_t>{1, 2, 3});
}

TEST_CASE("account data decodes in every encoding", "[schema][solana]") {
    SECTION("base64 with lamports above 2^53") {
        const auto note = decode_as<account_notification>(account_frame(
            R"({"lamports":9007199254740993,"data":["","base64"],"owner":"11111111111111111111111111111111","executable":true,"rentEpoch":361})"));
        CHECK(note.account.lamports == 9007199254740993ULL);
        CHECK(note.account.executable);
        CHECK(note.account.rent_epoch == 361);
        CHECK_FALSE(note.account.space.has_value());
        CHECK(note.account.data.bytes.empty());
        CHECK(note.subscription == 3);
    }
    SECTION("legacy binary: a bare base58 string") {
        const auto note = decode_as<account_notification>(account_frame(account_value(R"("2g")")));
        CHECK(note.account.data.encoding == account_encoding::binary);
        CHECK(note.account.data.bytes == std::vector<std::uint8_t>{0x61});
        CHECK_FALSE(note.account.data.too_large);
    }
    SECTION("base58 array") {
        const auto note = decode_as<account_notification>(account_frame(account_value(R"(["a3gV","base58"])")));
        CHECK(note.account.data.encoding == account_encoding::base58);
        CHECK(note.account.data.bytes == std::vector<std::uint8_t>{0x62, 0x62, 0x62});
    }
    SECTION("base64+zstd stays compressed") {
        const auto note = decode_as<account_notification>(
            account_frame(account_value(R"(["KLUv/QBYAQAA","base64+zstd"])")));
        CHECK(note.account.data.encoding == account_encoding::base64_zstd);
        CHECK(note.account.data.bytes
              == std::vector<std::uint8_t>{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x01, 0x00, 0x00});
    }
    SECTION("jsonParsed is kept as compact JSON") {
        const auto note = decode_as<account_notification>(account_frame(account_value(
            R"({"program":"spl-token","parsed":{"info":{"isNative":false,"mint":"So11111111111111111111111111111111111111112","state":"initialized","tokenAmount":{"amount":"18446744073709551615","decimals":9,"uiAmount":1.8446744073709552E10,"uiAmountString":"18446744073.709551615"}},"type":"account"},
              "space": 165})")));
        CHECK(note.account.data.encoding == account_encoding::json_parsed);
        CHECK(note.account.data.bytes.empty());
        CHECK_THAT(note.account.data.parsed_json, Catch::StartsWith(R"({"program":"spl-token","parsed":{"info":{"isNative":false,)"));
        CHECK_THAT(note.account.data.parsed_json, Catch::EndsWith(R"("type":"account"},"space":165})"));
        CHECK_THAT(note.account.data.parsed_json, Catch::Contains(R"("amount":"18446744073709551615")"));
    }
    SECTION("data too large for bs58, in both forms") {
        const auto bare = decode_as<account_notification>(
            account_frame(account_value(R"("error: data too large for bs58 encoding")")));
        CHECK(bare.account.data.too_large);
        CHECK(bare.account.data.encoding == account_encoding::binary);
        CHECK(bare.account.data.bytes.empty());
        const auto tagged = decode_as<account_notification>(
            account_frame(account_value(R"(["error: data too large for bs58 encoding","base58"])")));
        CHECK(tagged.account.data.too_large);
        CHECK(tagged.account.data.encoding == account_encoding::base58);
    }
    SECTION("account deletion: the default account") {
        const auto note = decode_as<account_notification>(account_frame(
            R"({"lamports":0,"data":["","base64"],"owner":"11111111111111111111111111111111","executable":false,"rentEpoch":0,"space":0})"));
        CHECK(note.account.lamports == 0);
        CHECK(note.account.owner == zero_key);
        CHECK(note.account.space == 0U);
    }
    SECTION("bad account fields") {
        check_fails(account_frame(account_value(R"(["AQID","base32"])")), decode_errc::bad_field,
                    "params.result.value.data: unknown encoding");
        check_fails(account_frame(account_value(R"(["AQI","base64"])")), decode_errc::bad_field,
                    "params.result.value.data: not base64");
        check_fails(account_frame(account_value(R"("0OIl")")), decode_errc::bad_field,
                    "params.result.value.data: not base58");
        check_fails(account_frame(account_value(R"(["AQID"])")), decode_errc::bad_field,
                    "params.result.value.data");
        check_fails(account_frame(account_value("7")), decode_errc::bad_field, "params.result.value.data");
        check_fails(account_frame(
                        R"({"lamports":18446744073709551616,"data":["","base64"],"owner":"11111111111111111111111111111111","executable":false,"rentEpoch":0})"),
                    decode_errc::bad_field, "params.result.value.lamports");
        check_fails(account_frame(
                        R"({"lamports":1,"data":["","base64"],"owner":"11111111111111111111111111111111","executable":false,"rentEpoch":-1})"),
                    decode_errc::bad_field, "params.result.value.rentEpoch");
        check_fails(account_frame(
                        R"({"lamports":1,"data":["","base64"],"owner":"11111111111111111111111111111111","executable":false,"rentEpoch":1e3})"),
                    decode_errc::bad_field, "params.result.value.rentEpoch");
        check_fails(account_frame(
                        R"({"lamports":1,"data":["","base64"],"owner":"1111111111111111111111111111111","executable":false,"rentEpoch":0})"),
                    decode_errc::bad_field, "params.result.value.owner: not base58 of 32 bytes");
        check_fails(account_frame(
                        R"({"lamports":1,"data":["","base64"],"owner":"11111111111111111111111111111111","executable":"no","rentEpoch":0})"),
                    decode_errc::bad_field, "params.result.value.executable");
        check_fails(account_frame(
                        R"({"lamports":1,"data":["","base64"],"owner":"11111111111111111111111111111111","rentEpoch":0})"),
                    decode_errc::bad_field, "params.result.value.executable: missing");
    }
}

TEST_CASE("programNotification carries the pubkey and the account", "[schema][solana]") {
    const auto note = decode_as<program_notification>(
        R"({"jsonrpc":"2.0","method":"programNotification","params":{"result":{"context":{"slot":5208469},"value":{"pubkey":"H4vnBqifaSACnKa7acsxstsY1iV1bvJNxsCY7enrd1hq","account":{"data":["11116bv5nS2h3y12kD1yUKeMZvGcKLSjQgX6BeV7u1FrjeJcKfsHPXHRDEHrBesJhZyqnnq9qJeUuF7WHxiuLuL5twc38w2TXNLxnDbjmuR","base58"],"executable":false,"lamports":33594,"owner":"11111111111111111111111111111111","rentEpoch":636,"space":80}}},"subscription":24040}})");
    CHECK(note.subscription == 24040);
    CHECK(note.context_slot == 5208469);
    CHECK(note.pubkey == "H4vnBqifaSACnKa7acsxstsY1iV1bvJNxsCY7enrd1hq");
    CHECK(note.account.lamports == 33594);
    CHECK(note.account.rent_epoch == 636);
    CHECK(note.account.data.encoding == account_encoding::base58);
    CHECK(note.account.data.bytes.size() == 80);
    CHECK(note.account.data.bytes[0] == 0);

    check_fails(
        R"({"jsonrpc":"2.0","method":"programNotification","params":{"result":{"context":{"slot":1},"value":{"pubkey":"H4vnBqifaSACnKa7acsxstsY1iV1bvJNxsCY7enrd1hqq","account":{"data":["","base64"],"executable":false,"lamports":1,"owner":"11111111111111111111111111111111","rentEpoch":1}}},"subscription":1}})",
        decode_errc::bad_field, "params.result.value.pubkey: not base58 of 32 bytes");
}

TEST_CASE("signatureNotification: received, processed ok and processed with err", "[schema][solana]") {
    const auto ok = decode_as<signature_notification>(
        R"({"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":0},"value":{"err":null}},"subscription":5}})");
    CHECK(ok.state == signature_state::processed);
    CHECK_FALSE(ok.err.has_value());
    CHECK(ok.subscription == 5);

    const auto received = decode_as<signature_notification>(
        R"({"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":1},"value":"receivedSignature"},"subscription":5}})");
    CHECK(received.state == signature_state::received);
    CHECK(received.context_slot == 1);

    const auto failed = decode_as<signature_notification>(
        R"({"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":2},"value":{"err":"AccountNotFound"}},"subscription":5}})");
    CHECK(failed.err == std::optional<std::string>(R"("AccountNotFound")"));

    check_fails(
        R"({"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":2},"value":"finalizedSignature"},"subscription":5}})",
        decode_errc::bad_field, "params.result.value");
    check_fails(
        R"({"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":2},"value":{}},"subscription":5}})",
        decode_errc::bad_field, "params.result.value.err: missing");
}

// ---- shapes and hostile input -------------------------------------------------------------------

TEST_CASE("unknown methods and non-messages are unexpected_shape", "[schema][solana]") {
    check_fails(R"({"jsonrpc":"2.0","method":"transactionReceivedNotification","params":{"result":1,"subscription":1}})",
                decode_errc::unexpected_shape, "transactionReceivedNotification");
    check_fails(R"({"jsonrpc":"2.0","method":"ping"})", decode_errc::unexpected_shape, "\"ping\"");
    check_fails(R"({"jsonrpc":"2.0","id":3})", decode_errc::unexpected_shape);
    check_fails(R"([{"jsonrpc":"2.0","result":1,"id":1}])", decode_errc::unexpected_shape);
    check_fails(R"("text")", decode_errc::unexpected_shape);
    check_fails(R"({"jsonrpc":"1.0","result":1,"id":1})", decode_errc::unexpected_shape, "jsonrpc");
    check_fails(R"({"jsonrpc":"2.0","result":"abc","id":1})", decode_errc::unexpected_shape, "result");
    check_fails(R"({"jsonrpc":"2.0","result":[1],"id":1})", decode_errc::unexpected_shape, "result");
    check_fails(R"({"jsonrpc":"2.0","method":7,"params":{}})", decode_errc::unexpected_shape, "method");
}

TEST_CASE("envelope fields are exact", "[schema][solana]") {
    check_fails(R"({"jsonrpc":"2.0","result":18446744073709551616,"id":1})", decode_errc::bad_field, "result");
    check_fails(R"({"jsonrpc":"2.0","result":-5,"id":1})", decode_errc::bad_field, "result");
    check_fails(R"({"jsonrpc":"2.0","result":5.0,"id":1})", decode_errc::bad_field, "result");
    check_fails(R"({"jsonrpc":"2.0","result":5})", decode_errc::bad_field, "id");
    check_fails(R"({"jsonrpc":"2.0","result":5,"id":-1})", decode_errc::bad_field, "id");
    check_fails(R"({"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":1,"parent":0,"root":0}}})",
                decode_errc::bad_field, "params.subscription: missing");
    check_fails(R"({"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":1,"parent":0,"root":0},"subscription":1.5}})",
                decode_errc::bad_field, "params.subscription");
    check_fails(R"({"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":1,"parent":0,"root":0},"subscription":"1"}})",
                decode_errc::bad_field, "params.subscription");
    check_fails(R"({"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":1e2,"parent":0,"root":0},"subscription":1}})",
                decode_errc::bad_field, "params.result.slot");
    check_fails(R"({"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":1,"parent":0},"subscription":1}})",
                decode_errc::bad_field, "params.result.root: missing");
    check_fails(R"({"jsonrpc":"2.0","method":"slotNotification","params":[]})", decode_errc::bad_field, "params");
    check_fails(R"({"jsonrpc":"2.0","method":"slotNotification"})", decode_errc::bad_field, "params: missing");
}

TEST_CASE("malformed, truncated and hostile JSON never decodes", "[schema][solana]") {
    check_fails("", decode_errc::malformed_json);
    check_fails("{", decode_errc::malformed_json);
    check_fails("not json", decode_errc::malformed_json);
    check_fails(R"({"jsonrpc":"2.0","result":1,"id":1} trailing)", decode_errc::malformed_json);
    check_fails(R"({"jsonrpc":"2.0","result":1,"id":1}{})", decode_errc::malformed_json);
    check_fails("{\"jsonrpc\":\"2.0\",\"result\":1,\"id\":1,\"x\":\"\xff\xfe\"}", decode_errc::malformed_json);
    constexpr char raw_nul[] = "{\"jsonrpc\":\"2.0\",\0\"result\":1,\"id\":1}";
    check_fails(std::string_view(raw_nul, sizeof(raw_nul) - 1), decode_errc::malformed_json);
    check_fails(R"({"jsonrpc":"2.0","result":1,"id":1,"x":"\ud800"})", decode_errc::malformed_json);

    SECTION("deep nesting is refused without recursion") {
        const std::string deep = std::string(100000, '[') + std::string(100000, ']');
        const auto error = decode_fails(deep);
        CHECK((error.code == decode_errc::too_large || error.code == decode_errc::malformed_json));
        const std::string deep_err =
            R"({"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":1},"value":{"signature":"1111111111111111111111111111111111111111111111111111111111111111","err":)"
            + std::string(5000, '[') + std::string(5000, ']') + R"(,"logs":[]}},"subscription":1}})";
        CHECK_FALSE(decode_pubsub_message(deep_err).ok());
    }
    SECTION("every truncation of a real block frame is rejected") {
        const std::string frame = read_fixture("block_notification_base64_full.json");
        // Cut before the final newline and closing braces at many points.
        std::size_t end = frame.find_last_not_of("\n");
        for (std::size_t cut = 0; cut < end; cut += 37) {
            INFO("cut at " << cut);
            CHECK(decode_pubsub_message(std::string_view(frame).substr(0, cut)).error().code
                  == decode_errc::malformed_json);
        }
        CHECK(decode_pubsub_message(std::string_view(frame).substr(0, end)).error().code
              == decode_errc::malformed_json);
        CHECK(decode_pubsub_message(frame).ok());
    }
}

TEST_CASE("jsonParsed numbers past u64 keep their value, found by fuzzing", "[schema][solana]") {
    // RapidJSON's full-precision strtod turned these into garbage (0E61 -> -6.86e156) and read out
    // of bounds on a fraction of hundreds of zeros.
    const auto note = decode_as<account_notification>(account_frame(account_value(
        R"({"program":"spl-token","parsed":{"a":18446744073709551615616,"b":0E61,"c":0.)"
        + std::string(430, '0') + R"(1},"space":165})")));
    CHECK(note.account.data.encoding == account_encoding::json_parsed);
    CHECK(note.account.data.parsed_json
          == R"({"program":"spl-token","parsed":{"a":1.8446744073709552e22,"b":0.0,"c":0.0},"space":165})");
}

} // namespace
} // namespace ledgertap::schema::solana
