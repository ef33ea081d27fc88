#include "schema/codec.hpp"
#include "sim/solana_chain.hpp"
#include "sim/solana_frames.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ledgertap::sim {
namespace {

std::vector<std::string> keys_of(const rapidjson::Value& object) {
    std::vector<std::string> keys;
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
        keys.emplace_back(it->name.GetString(), it->name.GetStringLength());
    }
    return keys;
}

rapidjson::Document parse(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    REQUIRE_FALSE(doc.HasParseError());
    return doc;
}

using strings = std::vector<std::string>;

/// A chain with enough produced blocks, and helpers to find interesting transactions.
struct fixture {
    solana_chain chain{[] {
        solana_chain_params p;
        p.seed = 21;
        p.min_transactions = 20;
        p.max_transactions = 40;
        return p;
    }()};
    solana_encoder enc{chain};

    fixture() {
        for (int i = 0; i < 40; ++i) {
            (void)chain.advance();
        }
    }

    std::shared_ptr<const solana_block> block_with(bool want_v0) {
        for (const auto s : chain.blocks_in(chain.first_slot(), *chain.tip())) {
            auto b = chain.block(s);
            if (b->has_v0() == want_v0) {
                return b;
            }
        }
        return nullptr;
    }
};

TEST_CASE("envelopes are byte-identical to Agave's", "[sim][solana_frames]") {
    CHECK(
        solana_notification("slotNotification", solana_slot_result(76, 75, 44), 0)
        == R"({"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":76,"parent":75,"root":44},"subscription":0}})");
    CHECK(solana_result("1", "23784") == R"({"jsonrpc":"2.0","result":23784,"id":1})");
    CHECK(solana_result("\"a\"", "true") == R"({"jsonrpc":"2.0","result":true,"id":"a"})");
    CHECK(
        solana_error("null", -32700, "Parse error")
        == R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})");
    CHECK(
        solana_error("1", -32602, "Invalid subscription id.")
        == R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid subscription id."},"id":1})");
    CHECK(
        solana_error(
            "7", -32016, "Minimum context slot has not been reached", R"({"contextSlot":5})")
        == R"({"jsonrpc":"2.0","error":{"code":-32016,"message":"Minimum context slot has not been reached","data":{"contextSlot":5}},"id":7})");
    CHECK(solana_context(5, "42") == R"({"context":{"slot":5},"value":42})");
    CHECK(
        solana_context(5, "[]", "2.2.16")
        == R"({"context":{"slot":5,"apiVersion":"2.2.16"},"value":[]})");
    // Subscription ids above 2^53 stay exact.
    CHECK(
        solana_notification("rootNotification", "42", 9007199254740993ULL)
        == R"({"jsonrpc":"2.0","method":"rootNotification","params":{"result":42,"subscription":9007199254740993}})");
}

TEST_CASE("slots updates have Agave's tagged shapes", "[sim][solana_frames]") {
    solana_frozen_stats stats{64, 900, 40, 100};
    CHECK(
        solana_slots_update(solana_slot_update::frozen, 76, 1625081266243, 0, stats)
        == R"({"type":"frozen","slot":76,"timestamp":1625081266243,"stats":{"numTransactionEntries":64,"numSuccessfulTransactions":900,"numFailedTransactions":40,"maxTransactionsPerEntry":100}})");
    CHECK(
        solana_slots_update(solana_slot_update::created_bank, 76, 5, 75)
        == R"({"type":"createdBank","slot":76,"parent":75,"timestamp":5})");
    CHECK(
        solana_slots_update(
            solana_slot_update::dead, 76, 5, 0, {}, "error: InvalidBlock(TooFewTicks)")
        == R"j({"type":"dead","slot":76,"timestamp":5,"err":"error: InvalidBlock(TooFewTicks)"})j");
    CHECK(
        solana_slots_update(solana_slot_update::first_shred_received, 1, 2)
        == R"({"type":"firstShredReceived","slot":1,"timestamp":2})");
    CHECK(
        solana_slots_update(solana_slot_update::completed, 1, 2)
        == R"({"type":"completed","slot":1,"timestamp":2})");
    CHECK(
        solana_slots_update(solana_slot_update::optimistic_confirmation, 1, 2)
        == R"({"type":"optimisticConfirmation","slot":1,"timestamp":2})");
    CHECK(
        solana_slots_update(solana_slot_update::root, 1, 2)
        == R"({"type":"root","slot":1,"timestamp":2})");
}

TEST_CASE("strings are escaped as serde_json escapes them", "[sim][solana_frames]") {
    std::string out;
    solana_json::append_string(out, "a\"b\\c\td\ne/\x01 caf\xC3\xA9");
    CHECK(out == R"("a\"b\\c\td\ne/\u0001 café")");
    out.clear();
    solana_json::append_f64(out, 1.5);
    out += ' ';
    solana_json::append_f64(out, 2.0);
    out += ' ';
    solana_json::append_f64(out, 1e21);
    out += ' ';
    solana_json::append_f64(out, 1e-7);
    CHECK(out == "1.5 2.0 1e21 1e-7");
    CHECK(token_ui_amount_string(1'500'000, 6) == "1.5");
    CHECK(token_ui_amount_string(1, 6) == "0.000001");
    CHECK(token_ui_amount_string(12'000'000, 6) == "12");
    CHECK(token_ui_amount_string(0, 6) == "0");
    CHECK(token_ui_amount_string(7, 0) == "7");
}

TEST_CASE("blocks render every details level with Agave's key order", "[sim][solana_frames]") {
    fixture f;
    const auto block = f.block_with(true);
    REQUIRE(block);
    solana_block_config config;
    config.max_supported_version = 0;

    SECTION("full json") {
        std::string out;
        REQUIRE(f.enc.append_block(out, *block, config));
        const auto doc = parse(out);
        CHECK(
            keys_of(doc)
            == strings{
                "previousBlockhash",
                "blockhash",
                "parentSlot",
                "transactions",
                "rewards",
                "blockTime",
                "blockHeight"});
        CHECK(doc["parentSlot"].GetUint64() == block->info.parent_slot);
        CHECK(doc["blockHeight"].GetUint64() == block->info.block_height);
        CHECK(doc["blockTime"].GetInt64() == block->info.block_time);
        CHECK(doc["blockhash"].GetString() == schema::base58_encode(block->info.blockhash));
        CHECK(
            doc["previousBlockhash"].GetString()
            == schema::base58_encode(block->info.previous_blockhash));
        const auto& txs = doc["transactions"];
        REQUIRE(txs.Size() == block->transactions.size());
        CHECK(
            keys_of(doc["rewards"][0])
            == strings{"pubkey", "lamports", "postBalance", "rewardType", "commission"});
        bool saw_v0 = false;
        bool saw_legacy = false;
        for (rapidjson::SizeType i = 0; i < txs.Size(); ++i) {
            const auto& tx = block->transactions[i];
            const auto& j = txs[i];
            CHECK(keys_of(j) == strings{"transaction", "meta", "version"});
            if (tx.v0) {
                saw_v0 = true;
                CHECK(j["version"].IsUint());
                CHECK(j["version"].GetUint() == 0);
                CHECK(
                    keys_of(j["transaction"]["message"])
                    == strings{
                        "header",
                        "accountKeys",
                        "recentBlockhash",
                        "instructions",
                        "addressTableLookups"});
            } else {
                saw_legacy = true;
                CHECK(std::string(j["version"].GetString()) == "legacy");
                CHECK(
                    keys_of(j["transaction"]["message"])
                    == strings{"header", "accountKeys", "recentBlockhash", "instructions"});
            }
            CHECK(
                keys_of(j["meta"])
                == strings{
                    "err",
                    "status",
                    "fee",
                    "preBalances",
                    "postBalances",
                    "innerInstructions",
                    "logMessages",
                    "preTokenBalances",
                    "postTokenBalances",
                    "rewards",
                    "loadedAddresses",
                    "computeUnitsConsumed"});
            CHECK(j["transaction"]["signatures"][0].GetString() == tx.signature_b58);
            const auto& pre = j["meta"]["preBalances"];
            REQUIRE(pre.Size() == tx.pre_balances.size());
            for (rapidjson::SizeType k = 0; k < pre.Size(); ++k) {
                REQUIRE(pre[k].IsUint64());
                CHECK(pre[k].GetUint64() == tx.pre_balances[k]); // exact above 2^53
            }
            CHECK(j["meta"]["err"].IsNull() == !tx.failed());
            if (tx.failed()) {
                CHECK(j["meta"]["status"].HasMember("Err"));
            }
            CHECK(j["meta"]["logMessages"].Size() == tx.log_messages.size());
            CHECK(
                keys_of(j["transaction"]["message"]["instructions"][0])
                == strings{"programIdIndex", "accounts", "data", "stackHeight"});
        }
        CHECK(saw_v0);
        CHECK(saw_legacy);
    }

    SECTION("accounts") {
        config.details = solana_tx_details::accounts;
        config.rewards = false;
        std::string out;
        REQUIRE(f.enc.append_block(out, *block, config));
        const auto doc = parse(out);
        CHECK(
            keys_of(doc)
            == strings{
                "previousBlockhash",
                "blockhash",
                "parentSlot",
                "transactions",
                "blockTime",
                "blockHeight"});
        const auto& j = doc["transactions"][0];
        CHECK(keys_of(j["transaction"]) == strings{"signatures", "accountKeys"});
        CHECK(
            keys_of(j["transaction"]["accountKeys"][0])
            == strings{"pubkey", "writable", "signer", "source"});
        CHECK(
            keys_of(j["meta"])
            == strings{
                "err",
                "status",
                "fee",
                "preBalances",
                "postBalances",
                "preTokenBalances",
                "postTokenBalances"});
        CHECK(j["transaction"]["accountKeys"].Size() == block->transactions[0].key_count());
    }

    SECTION("signatures") {
        config.details = solana_tx_details::signatures;
        std::string out;
        REQUIRE(f.enc.append_block(out, *block, config));
        const auto doc = parse(out);
        CHECK(
            keys_of(doc)
            == strings{
                "previousBlockhash",
                "blockhash",
                "parentSlot",
                "signatures",
                "rewards",
                "blockTime",
                "blockHeight"});
        REQUIRE(doc["signatures"].Size() == block->transactions.size());
        CHECK(doc["signatures"][3].GetString() == block->transactions[3].signature_b58);
    }

    SECTION("none") {
        config.details = solana_tx_details::none;
        config.rewards = false;
        std::string out;
        REQUIRE(f.enc.append_block(out, *block, config));
        const auto doc = parse(out);
        CHECK(
            keys_of(doc)
            == strings{"previousBlockhash", "blockhash", "parentSlot", "blockTime", "blockHeight"});
    }

    SECTION("binary encodings start with the real signatures") {
        for (const auto encoding :
             {solana_tx_encoding::base64, solana_tx_encoding::base58, solana_tx_encoding::binary}) {
            config.encoding = encoding;
            std::string out;
            REQUIRE(f.enc.append_block(out, *block, config));
            const auto doc = parse(out);
            const auto& txs = doc["transactions"];
            for (rapidjson::SizeType i = 0; i < txs.Size(); ++i) {
                const auto& tx = block->transactions[i];
                const auto& t = txs[i]["transaction"];
                std::optional<std::vector<std::uint8_t>> bytes;
                if (encoding == solana_tx_encoding::binary) {
                    REQUIRE(t.IsString());
                    bytes = schema::base58_decode(t.GetString());
                } else {
                    REQUIRE(t.IsArray());
                    REQUIRE(t.Size() == 2);
                    const std::string tag = t[1].GetString();
                    if (encoding == solana_tx_encoding::base64) {
                        CHECK(tag == "base64");
                        bytes = schema::base64_decode(t[0].GetString());
                    } else {
                        CHECK(tag == "base58");
                        bytes = schema::base58_decode(t[0].GetString());
                    }
                }
                REQUIRE(bytes);
                REQUIRE(bytes->size() > 1 + 64 * tx.signatures.size());
                CHECK((*bytes)[0] == tx.signatures.size()); // compact-u16, < 128
                const std::vector<std::uint8_t> first(bytes->begin() + 1, bytes->begin() + 65);
                CHECK(schema::base58_encode(first) == tx.signature_b58);
                // v0 messages are prefixed with 0x80 right after the signatures.
                const std::uint8_t after = (*bytes)[1 + 64 * tx.signatures.size()];
                CHECK((after == 0x80) == tx.v0);
                CHECK(*bytes == solana_wire_transaction(tx));
                CHECK(txs[i].HasMember("meta"));
            }
        }
    }

    SECTION("jsonParsed has parsed account keys and no loadedAddresses") {
        config.encoding = solana_tx_encoding::json_parsed;
        std::string out;
        REQUIRE(f.enc.append_block(out, *block, config));
        const auto doc = parse(out);
        const auto& j = doc["transactions"][0];
        CHECK(
            keys_of(j["transaction"]["message"]["accountKeys"][0])
            == strings{"pubkey", "writable", "signer", "source"});
        CHECK_FALSE(j["meta"].HasMember("loadedAddresses"));
    }
}

TEST_CASE("a v0 block needs maxSupportedTransactionVersion", "[sim][solana_frames]") {
    fixture f;
    const auto with_v0 = f.block_with(true);
    REQUIRE(with_v0);
    solana_block_config config; // no max_supported_version
    std::string out;
    CHECK_FALSE(f.enc.append_block(out, *with_v0, config));
    CHECK(out.empty());
    // A legacy-only block renders without "version" fields.
    solana_chain_params p;
    p.seed = 4;
    p.v0_fraction = 0.0;
    solana_chain legacy{p};
    solana_encoder enc{legacy};
    (void)legacy.advance();
    const auto block = legacy.block(legacy.first_slot());
    REQUIRE(enc.append_block(out, *block, config));
    const auto doc = parse(out);
    CHECK(keys_of(doc["transactions"][0]) == strings{"transaction", "meta"});
}

TEST_CASE("the mentions filter keeps only mentioning transactions", "[sim][solana_frames]") {
    fixture f;
    const auto block = f.chain.block(f.chain.first_slot());
    solana_block_config config;
    config.max_supported_version = 0;
    config.details = solana_tx_details::signatures;
    config.mentions = f.chain.well_known().vote_program;
    std::string out;
    std::size_t matched = 0;
    REQUIRE(f.enc.append_block(out, *block, config, &matched));
    std::size_t votes = 0;
    for (const auto& tx : block->transactions) {
        votes += tx.is_vote ? 1 : 0;
    }
    CHECK(matched == votes);
    CHECK(parse(out)["signatures"].Size() == votes);
    config.mentions = schema::bytes32{{9, 9, 9}};
    out.clear();
    REQUIRE(f.enc.append_block(out, *block, config, &matched));
    CHECK(matched == 0);
}

TEST_CASE("accounts render every data encoding", "[sim][solana_frames]") {
    fixture f;
    solana_account_state small;
    small.pubkey = f.chain.pool()[1].pubkey;
    small.owner = f.chain.well_known().sim_programs[0];
    small.lamports = 9007199254740993ULL;
    small.data = {1, 2, 3, 4, 5};
    solana_account_state large = small;
    large.data.assign(200, 7);

    const auto value = [&f](const solana_account_state& a, solana_account_encoding e) {
        return f.enc.account_value(a, e, std::nullopt);
    };
    const std::string owner = schema::base58_encode(small.owner);
    CHECK(
        value(small, solana_account_encoding::binary)
        == R"({"lamports":9007199254740993,"data":")" + schema::base58_encode(small.data)
               + R"(","owner":")" + owner
               + R"(","executable":false,"rentEpoch":18446744073709551615,"space":5})");
    CHECK(
        value(large, solana_account_encoding::binary)
            .find(R"("data":"error: data too large for bs58 encoding")")
        != std::string::npos);
    CHECK(
        value(large, solana_account_encoding::base58)
            .find(R"("data":["error: data too large for bs58 encoding","base58"])")
        != std::string::npos);
    {
        const auto doc = parse(value(large, solana_account_encoding::base64));
        CHECK(
            keys_of(doc)
            == strings{"lamports", "data", "owner", "executable", "rentEpoch", "space"});
        CHECK(doc["rentEpoch"].GetUint64() == UINT64_MAX);
        CHECK(doc["lamports"].GetUint64() == 9007199254740993ULL);
        CHECK(std::string(doc["data"][1].GetString()) == "base64");
        CHECK(*schema::base64_decode(doc["data"][0].GetString()) == large.data);
        CHECK(doc["space"].GetUint64() == 200);
    }
    {
        const auto doc = parse(
            f.enc.account_value(large, solana_account_encoding::base64, solana_data_slice{10, 4}));
        CHECK(schema::base64_decode(doc["data"][0].GetString())->size() == 4);
        CHECK(doc["space"].GetUint64() == 200);
        // A slice small enough is base58-encodable even for big accounts.
        const auto b58 = parse(
            f.enc.account_value(large, solana_account_encoding::base58, solana_data_slice{0, 8}));
        CHECK(schema::base58_decode(b58["data"][0].GetString())->size() == 8);
    }
    {
        const auto doc = parse(value(large, solana_account_encoding::base64_zstd));
        CHECK(std::string(doc["data"][1].GetString()) == "base64+zstd");
        const auto frame = *schema::base64_decode(doc["data"][0].GetString());
        REQUIRE(frame.size() == 4 + 2 + 3 + 200);
        CHECK(frame[0] == 0x28);
        CHECK(frame[3] == 0xFD);
        CHECK(frame[4] == 0x20); // single segment, 1-byte content size
        CHECK(frame[5] == 200);
        const std::uint32_t header = frame[6] | (frame[7] << 8U) | (frame[8] << 16U);
        CHECK((header & 1U) == 1U);        // last block
        CHECK(((header >> 1U) & 3U) == 0); // raw
        CHECK((header >> 3U) == 200);
        CHECK(std::vector<std::uint8_t>(frame.begin() + 9, frame.end()) == large.data);
    }
    {
        const auto doc = parse(
            f.enc.keyed_account_value(small, solana_account_encoding::json_parsed, std::nullopt));
        CHECK(keys_of(doc) == strings{"pubkey", "account"});
        CHECK(std::string(doc["account"]["data"][1].GetString()) == "base64"); // no parser
    }
}

TEST_CASE("logs, signatures, votes and statuses have Agave's shapes", "[sim][solana_frames]") {
    fixture f;
    const auto block = f.chain.block(f.chain.first_slot());
    const solana_transaction* vote = nullptr;
    const solana_transaction* user = nullptr;
    for (const auto& tx : block->transactions) {
        (tx.is_vote ? vote : user) = &tx;
    }
    REQUIRE(vote);
    REQUIRE(user);
    {
        const auto doc = parse(solana_logs_value(*user));
        CHECK(keys_of(doc) == strings{"signature", "err", "logs"});
        CHECK(doc["logs"].Size() == user->log_messages.size());
    }
    CHECK(solana_signature_value("") == R"({"err":null})");
    CHECK(
        solana_signature_value(R"({"InstructionError":[0,{"Custom":6001}]})")
        == R"({"err":{"InstructionError":[0,{"Custom":6001}]}})");
    CHECK(
        solana_notification(
            "signatureNotification", solana_context(1, solana_received_signature_value()), 3)
        == R"({"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":1},"value":"receivedSignature"},"subscription":3}})");
    {
        const auto doc = parse(f.enc.vote_value(*vote));
        CHECK(keys_of(doc) == strings{"votePubkey", "slots", "hash", "timestamp", "signature"});
        CHECK(doc["signature"].GetString() == vote->signature_b58);
    }
    {
        const auto doc
            = parse(f.enc.signature_status(5, *user, std::nullopt, solana_commitment::finalized));
        CHECK(
            keys_of(doc)
            == strings{"slot", "confirmations", "status", "err", "confirmationStatus"});
        CHECK(doc["confirmations"].IsNull());
    }
    CHECK(
        solana_block_update(7, "", R"({"UnsupportedTransactionVersion":0})")
        == R"({"slot":7,"block":null,"err":{"UnsupportedTransactionVersion":0}})");
}

} // namespace
} // namespace ledgertap::sim
