#include "sim/solana_chain.hpp"
#include "sim/solana_frames.hpp"
#include "sim/solana_jsonrpc.hpp"
#include "sim/solana_rpc.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <cstdint>
#include <string>

namespace ledgertap::sim {
namespace {

/// A chain with 200 slots, processed at the tip, confirmed 2 and finalized 8 slots behind.
struct rpc_fixture {
    solana_chain chain{[] {
        solana_chain_params p;
        p.seed = 5;
        p.skip_rate = 0.2;
        return p;
    }()};
    solana_encoder encoder{chain};
    solana_levels levels;
    solana_rpc rpc{chain, encoder, levels, solana_version_info{}};

    rpc_fixture() {
        for (int i = 0; i < 200; ++i) {
            (void)chain.advance();
        }
        levels.processed = chain.committed_block(0);
        levels.confirmed = chain.committed_block(2);
        levels.finalized = chain.committed_block(8);
    }

    rapidjson::Document call(const std::string& method, const std::string& params = "[]") {
        const std::string body = rpc.handle(
            R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}");
        rapidjson::Document doc;
        doc.Parse(body.data(), body.size());
        REQUIRE_FALSE(doc.HasParseError());
        return doc;
    }
};

TEST_CASE("valid_utf8 accepts UTF-8 and rejects everything else", "[sim][solana_rpc]") {
    CHECK(valid_utf8(""));
    CHECK(valid_utf8("plain ascii"));
    CHECK(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
    CHECK_FALSE(valid_utf8("\xC3\x28"));         // bad continuation
    CHECK_FALSE(valid_utf8("\xC0\xAF"));         // overlong
    CHECK_FALSE(valid_utf8("\xED\xA0\x80"));     // surrogate
    CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80")); // above U+10FFFF
    CHECK_FALSE(valid_utf8("\xE2\x82"));         // truncated
    CHECK_FALSE(valid_utf8("\xFF"));
}

TEST_CASE("serde_describe names values as serde does", "[sim][solana_rpc]") {
    rapidjson::Document doc;
    doc.Parse(R"([null,true,5,-5,1.5,"x\"y",[],{}])");
    REQUIRE(doc.IsArray());
    CHECK(serde_describe(doc[0]) == "null");
    CHECK(serde_describe(doc[1]) == "boolean `true`");
    CHECK(serde_describe(doc[2]) == "integer `5`");
    CHECK(serde_describe(doc[3]) == "integer `-5`");
    CHECK(serde_describe(doc[4]) == "floating point `1.5`");
    CHECK(serde_describe(doc[5]) == R"(string "x\"y")");
    CHECK(serde_describe(doc[6]) == "sequence");
    CHECK(serde_describe(doc[7]) == "map");
}

TEST_CASE("jsonrpc envelopes: notifications get no reply, batches an array", "[sim][solana_rpc]") {
    const solana_method_handler echo
        = [](const solana_call& c) -> solana_outcome { return "\"" + c.method + "\""; };
    CHECK_FALSE(solana_handle_jsonrpc(R"({"jsonrpc":"2.0","method":"ping"})", echo));
    CHECK_FALSE(solana_handle_jsonrpc(
        R"([{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}])", echo));
    CHECK(
        *solana_handle_jsonrpc(R"({"jsonrpc":"2.0","id":"x","method":"m"})", echo)
        == R"({"jsonrpc":"2.0","result":"m","id":"x"})");
    CHECK(
        *solana_handle_jsonrpc(R"({"jsonrpc":"2.0","id":18446744073709551615,"method":"m"})", echo)
        == R"({"jsonrpc":"2.0","result":"m","id":18446744073709551615})");
    CHECK(
        *solana_handle_jsonrpc("[]", echo)
        == R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request"},"id":null})");
    CHECK(
        *solana_handle_jsonrpc(R"({"jsonrpc":"1.0","id":2,"method":"m"})", echo)
        == R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request"},"id":2})");
    CHECK(
        *solana_handle_jsonrpc(R"({"jsonrpc":"2.0","id":2,"method":"m","params":5})", echo)
        == R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request"},"id":2})");
    CHECK(
        *solana_handle_jsonrpc(R"({"jsonrpc":"2.0","id":1,"method":"m"} trailing)", echo)
        == R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})");
    CHECK(
        *solana_handle_jsonrpc(R"([1,{"jsonrpc":"2.0","id":3,"method":"m"}])", echo)
        == R"([{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request"},"id":null},{"jsonrpc":"2.0","result":"m","id":3}])");
}

TEST_CASE("getBlocks and getBlock follow the levels", "[sim][solana_rpc]") {
    rpc_fixture f;
    const std::uint64_t first = f.chain.first_slot();
    const std::uint64_t root = *f.levels.finalized;
    const auto blocks = f.call("getBlocks", "[" + std::to_string(first) + "]");
    REQUIRE(blocks["result"].IsArray());
    CHECK(blocks["result"][blocks["result"].Size() - 1].GetUint64() == root);
    CHECK(blocks["result"].Size() == f.chain.blocks_in(first, root).size());
    // Second positional as the config.
    const auto confirmed
        = f.call("getBlocks", "[" + std::to_string(first) + R"(,{"commitment":"confirmed"}])");
    CHECK(confirmed["result"][confirmed["result"].Size() - 1].GetUint64() == *f.levels.confirmed);
    // A skipped slot below the root, and a block above it.
    std::uint64_t skipped = 0;
    for (std::uint64_t s = first; s < root; ++s) {
        if (!f.chain.is_block(s)) {
            skipped = s;
            break;
        }
    }
    REQUIRE(skipped != 0);
    CHECK(
        f.call("getBlock", "[" + std::to_string(skipped) + "]")["error"]["code"].GetInt()
        == -32007);
    CHECK(
        f.call("getBlock", "[" + std::to_string(*f.levels.processed) + "]")["error"]["code"]
            .GetInt()
        == -32004);
    CHECK(f.call("getBlockTime", "[" + std::to_string(*f.levels.processed) + "]")["result"]
              .IsInt64());
    CHECK(
        f.call("getBlock", R"(["x"])")["error"]["message"].GetString()
        == std::string(R"(Invalid params: invalid type: string "x", expected u64.)"));
    CHECK(
        f.call(
             "getBlock",
             "[" + std::to_string(root)
                 + R"(,{"maxSupportedTransactionVersion":300}])")["error"]["message"]
            .GetString()
        == std::string("Invalid params: invalid value: integer `300`, expected u8."));
    const auto legacy = f.call("getBlock", "[" + std::to_string(first) + R"(,"base64"])");
    CHECK((legacy.HasMember("result") || legacy["error"]["code"].GetInt() == -32015));
    CHECK(f.call("getBlockHeight")["result"].GetUint64() == f.chain.find(root)->block_height);
    CHECK(
        f.call("getSlot", R"([{"commitment":"processed"}])")["result"].GetUint64()
        == *f.levels.processed);
    CHECK(f.call("getLatestBlockhash")["result"]["value"]["blockhash"].IsString());
}

TEST_CASE("getSignatureStatuses honours the status-cache window", "[sim][solana_rpc]") {
    rpc_fixture f;
    for (int i = 0; i < 400; ++i) {
        (void)f.chain.advance();
    }
    f.levels.processed = f.chain.committed_block(0);
    f.levels.confirmed = f.chain.committed_block(2);
    f.levels.finalized = f.chain.committed_block(8);
    const auto old_block = f.chain.block(f.chain.first_slot());
    const std::string old_sig = old_block->transactions[0].signature_b58;
    const auto recent = f.chain.block(*f.levels.processed);
    const std::string new_sig = recent->transactions[0].signature_b58;
    const auto without
        = f.call("getSignatureStatuses", R"([[")" + old_sig + R"(",")" + new_sig + R"("]])");
    CHECK(without["result"]["value"][0].IsNull()); // older than the status cache
    CHECK(
        std::string(without["result"]["value"][1]["confirmationStatus"].GetString())
        == "processed");
    CHECK(without["result"]["value"][1]["confirmations"].GetUint64() == 0);
    const auto with = f.call(
        "getSignatureStatuses", R"([[")" + old_sig + R"("],{"searchTransactionHistory":true}])");
    CHECK(std::string(with["result"]["value"][0]["confirmationStatus"].GetString()) == "finalized");
    CHECK(with["result"]["value"][0]["err"].IsNull() == !old_block->transactions[0].failed());
}

} // namespace
} // namespace ledgertap::sim
