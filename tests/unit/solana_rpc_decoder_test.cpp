// Solana HTTP JSON-RPC decoder tests: the examples of protocols/solana.md §2, the generated getBlock
// fixtures of tests/data/solana, the node's error answers (-32004, -32007, …) as values, and
// malformed bodies as decode errors.

#include "schema/solana_rpc.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
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
rpc_reply<T> ok_reply(const decode_result<rpc_reply<T>>& result) {
    if (!result) {
        FAIL_CHECK("decode failed: " << to_string(result.error().code) << ": "
                                     << result.error().detail);
    }
    REQUIRE(result.ok());
    return result.value();
}

template<typename T>
T ok_result(const decode_result<rpc_reply<T>>& result) {
    const auto reply = ok_reply(result);
    if (reply.is_error()) {
        FAIL_CHECK("node error " << reply.error().code << ": " << reply.error().message);
    }
    REQUIRE_FALSE(reply.is_error());
    return reply.result();
}

template<typename T>
rpc_error node_error(const decode_result<rpc_reply<T>>& result) {
    const auto reply = ok_reply(result);
    REQUIRE(reply.is_error());
    return reply.error();
}

template<typename T>
void check_malformed(
    const decode_result<rpc_reply<T>>& result, decode_errc code, std::string_view detail_part = {}) {
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == code);
    if (!detail_part.empty()) {
        CHECK_THAT(result.error().detail, Catch::Contains(std::string(detail_part)));
    }
}

TEST_CASE("getSlot and getFirstAvailableBlock decode exact u64 results", "[schema][solana_rpc]") {
    const auto reply = ok_reply(decode_get_slot(R"({"jsonrpc":"2.0","result":1234,"id":1})"));
    CHECK(reply.id == 1U);
    CHECK(reply.result() == 1234);
    CHECK(ok_result(decode_get_slot(R"({"jsonrpc":"2.0","result":18446744073709551615,"id":2})"))
          == 18446744073709551615ULL);
    CHECK(ok_result(decode_get_first_available_block(R"({"jsonrpc":"2.0","result":9007199254740993,"id":3})"))
          == 9007199254740993ULL);

    check_malformed(decode_get_slot(R"({"jsonrpc":"2.0","result":18446744073709551616,"id":1})"),
                    decode_errc::bad_field, "result");
    check_malformed(decode_get_slot(R"({"jsonrpc":"2.0","result":-1,"id":1})"), decode_errc::bad_field, "result");
    check_malformed(decode_get_slot(R"({"jsonrpc":"2.0","result":1.5,"id":1})"), decode_errc::bad_field, "result");
    check_malformed(decode_get_slot(R"({"jsonrpc":"2.0","result":"1234","id":1})"), decode_errc::bad_field, "result");
    check_malformed(decode_get_slot(R"({"jsonrpc":"2.0","result":null,"id":1})"), decode_errc::bad_field, "result");
    check_malformed(decode_get_slot(R"({"jsonrpc":"2.0","id":1})"), decode_errc::unexpected_shape);
    check_malformed(decode_get_slot(R"({"jsonrpc":"2.0","result":1)"), decode_errc::malformed_json);
    check_malformed(decode_get_slot("<html>502 Bad Gateway</html>"), decode_errc::malformed_json);
    check_malformed(decode_get_slot(""), decode_errc::malformed_json);
    check_malformed(decode_get_slot(R"({"jsonrpc":"2.0","result":1,"id":"x"})"), decode_errc::bad_field, "id");
}

TEST_CASE("getBlocks and getBlocksWithLimit return ascending slots", "[schema][solana_rpc]") {
    CHECK(ok_result(decode_get_blocks(R"({"jsonrpc":"2.0","result":[5,6,7,8,9,10],"id":1})"))
          == std::vector<std::uint64_t>{5, 6, 7, 8, 9, 10});
    CHECK(ok_result(decode_get_blocks(R"({"jsonrpc":"2.0","result":[],"id":1})")).empty());
    CHECK(ok_result(decode_get_blocks_with_limit(
              R"({"jsonrpc":"2.0","result":[250000120,250000122,9007199254740993],"id":4})"))
          == std::vector<std::uint64_t>{250000120, 250000122, 9007199254740993ULL});

    check_malformed(decode_get_blocks(R"({"jsonrpc":"2.0","result":[5,7,6],"id":1})"),
                    decode_errc::bad_field, "result[2]: slots not strictly ascending");
    check_malformed(decode_get_blocks(R"({"jsonrpc":"2.0","result":[5,5],"id":1})"),
                    decode_errc::bad_field, "result[1]");
    check_malformed(decode_get_blocks(R"({"jsonrpc":"2.0","result":[5,6.0],"id":1})"),
                    decode_errc::bad_field, "result[1]");
    check_malformed(decode_get_blocks_with_limit(R"({"jsonrpc":"2.0","result":[-5],"id":1})"),
                    decode_errc::bad_field, "result[0]");
    check_malformed(decode_get_blocks(R"({"jsonrpc":"2.0","result":{"slots":[1]},"id":1})"),
                    decode_errc::bad_field, "result");

    const auto range = node_error(decode_get_blocks(
        R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Slot range too large; max 500000"},"id":1})"));
    CHECK(range.code == rpc_code::invalid_params);
    CHECK(range.message == "Slot range too large; max 500000");
    const auto limit = node_error(decode_get_blocks_with_limit(
        R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Limit too large; max 500000"},"id":1})"));
    CHECK(limit.message == "Limit too large; max 500000");
    const auto behind = node_error(decode_get_blocks(
        R"({"jsonrpc":"2.0","error":{"code":-32016,"message":"Minimum context slot has not been reached","data":{"contextSlot":1234}},"id":9})"));
    CHECK(behind.code == rpc_code::min_context_slot_not_reached);
    CHECK(behind.data == std::optional<std::string>(R"({"contextSlot":1234})"));
    CHECK(behind.request_id == 9U);
}

TEST_CASE("getBlock decodes every generated block", "[schema][solana_rpc]") {
    struct fixture {
        std::string_view name;
        transaction_details details;
        std::optional<transaction_encoding> encoding;
    };
    const fixture fixtures[] = {
        {"get_block_json_full.json", transaction_details::full, transaction_encoding::json},
        {"get_block_jsonParsed_full.json", transaction_details::full, transaction_encoding::json_parsed},
        {"get_block_base64_full.json", transaction_details::full, transaction_encoding::base64},
        {"get_block_base58_full.json", transaction_details::full, transaction_encoding::base58},
        {"get_block_json_accounts.json", transaction_details::accounts, transaction_encoding::accounts},
        {"get_block_json_signatures.json", transaction_details::signatures, std::nullopt},
        {"get_block_json_none.json", transaction_details::none, std::nullopt},
    };
    // The same four transactions as the PubSub fixtures (make_fixtures.py).
    const std::string first_signature =
        ok_result(decode_get_block(read_fixture("get_block_json_full.json")))->transactions.at(0).signature;
    for (const auto& f : fixtures) {
        INFO(f.name);
        const auto reply = ok_reply(decode_get_block(read_fixture(f.name)));
        CHECK(reply.id == 7U);
        REQUIRE_FALSE(reply.is_error());
        REQUIRE(reply.result().has_value());
        const block& b = *reply.result();
        CHECK(b.details == f.details);
        CHECK(b.parent_slot == 250000122);
        CHECK(b.blockhash == "4kS9qwACWe7j63AHycgjf7KhZbhEGQb4ghvQvL8Voprq");
        CHECK(b.block_time == 1718000000);
        CHECK(b.block_height == 230000000U);
        REQUIRE(b.rewards.has_value());
        CHECK(b.rewards->size() == 3);
        CHECK(b.rewards->at(1).lamports == -5);
        if (f.encoding) {
            REQUIRE(b.transactions.size() == 4);
            CHECK(b.transactions[0].encoding == *f.encoding);
            CHECK(b.transactions[0].signature == first_signature);
            CHECK(b.transactions[0].is_vote == true);
            CHECK(b.transactions[3].version == std::optional<std::string>("0"));
            CHECK(b.transactions[1].meta->pre_balances.at(0) == 9007199254740993ULL);
            CHECK(b.transactions[1].meta->post_balances.at(2) == 9000000000001000000ULL);
        } else if (f.details == transaction_details::signatures) {
            REQUIRE(b.signatures.size() == 4);
            CHECK(b.signatures[0] == first_signature);
        } else {
            CHECK(b.transactions.empty());
            CHECK(b.signatures.empty());
        }
    }
}

TEST_CASE("getBlock: null result, node errors and malformed blocks are distinct", "[schema][solana_rpc]") {
    const auto null_block = ok_reply(decode_get_block(R"({"jsonrpc":"2.0","result":null,"id":3})"));
    REQUIRE_FALSE(null_block.is_error());
    CHECK_FALSE(null_block.result().has_value());

    const struct {
        std::string_view body;
        std::int64_t code;
        std::string_view name;
    } errors[] = {
        {R"({"jsonrpc":"2.0","error":{"code":-32004,"message":"Block not available for slot 150"},"id":1})",
         rpc_code::block_not_available, "block_not_available"},
        {R"({"jsonrpc":"2.0","error":{"code":-32007,"message":"Slot 150 was skipped, or missing due to ledger jump to recent snapshot"},"id":1})",
         rpc_code::slot_skipped, "slot_skipped"},
        {R"({"jsonrpc":"2.0","error":{"code":-32009,"message":"Slot 150 was skipped, or missing in long-term storage"},"id":1})",
         rpc_code::long_term_storage_slot_skipped, "long_term_storage_slot_skipped"},
        {R"({"jsonrpc":"2.0","error":{"code":-32014,"message":"Block status not yet available for slot 150"},"id":1})",
         rpc_code::block_status_not_yet_available, "block_status_not_yet_available"},
        {R"({"jsonrpc":"2.0","error":{"code":-32001,"message":"Block 150 cleaned up, does not exist on node. First available block: 2000"},"id":1})",
         rpc_code::block_cleaned_up, "block_cleaned_up"},
        {R"({"jsonrpc":"2.0","error":{"code":-32015,"message":"Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: \"maxSupportedTransactionVersion\": 0"},"id":1})",
         rpc_code::unsupported_transaction_version, "unsupported_transaction_version"},
        {R"({"jsonrpc":"2.0","error":{"code":-32011,"message":"Transaction history is not available from this node"},"id":1})",
         rpc_code::transaction_history_not_available, "transaction_history_not_available"},
        {R"({"jsonrpc":"2.0","error":{"code":-32019,"message":"Failed to query long-term storage; please try again"},"id":1})",
         rpc_code::long_term_storage_unreachable, "long_term_storage_unreachable"},
        {R"({"jsonrpc":"2.0","error":{"code":-32017,"message":"Epoch rewards period still active at slot 150"},"id":1})",
         rpc_code::epoch_rewards_period_active, "epoch_rewards_period_active"},
        {R"({"jsonrpc":"2.0","error":{"code":-32005,"message":"Node is behind by 3 slots","data":{"numSlotsBehind":3}},"id":1})",
         rpc_code::node_unhealthy, "node_unhealthy"},
        {R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Method does not support commitment below `confirmed`"},"id":1})",
         rpc_code::invalid_params, "invalid_params"},
        {R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1})",
         rpc_code::method_not_found, "method_not_found"},
        {R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})",
         rpc_code::parse_error, "parse_error"},
    };
    for (const auto& e : errors) {
        INFO(e.body);
        const auto error = node_error(decode_get_block(e.body));
        CHECK(error.code == e.code);
        CHECK(std::string_view(rpc_code_name(error.code)) == e.name);
        CHECK_FALSE(error.message.empty());
    }
    CHECK(std::string_view(rpc_code_name(-1)) == "unknown");
    CHECK(node_error(decode_get_block(
              R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})"))
              .request_id
          == std::nullopt);

    check_malformed(decode_get_block(R"({"jsonrpc":"2.0","result":{"blockhash":"x"},"id":1})"),
                    decode_errc::bad_field, "result.blockhash: not base58 of 32 bytes");
    check_malformed(decode_get_block(R"({"jsonrpc":"2.0","result":[],"id":1})"), decode_errc::bad_field,
                    "result");
    const std::string full = read_fixture("get_block_json_full.json");
    check_malformed(decode_get_block(std::string_view(full).substr(0, full.size() / 2)),
                    decode_errc::malformed_json);
}

TEST_CASE("getBlockTime is i64 or null", "[schema][solana_rpc]") {
    CHECK(ok_result(decode_get_block_time(R"({"jsonrpc":"2.0","result":1574721591,"id":1})"))
          == std::optional<std::int64_t>(1574721591));
    CHECK(ok_result(decode_get_block_time(R"({"jsonrpc":"2.0","result":-1,"id":1})"))
          == std::optional<std::int64_t>(-1));
    CHECK_FALSE(ok_result(decode_get_block_time(R"({"jsonrpc":"2.0","result":null,"id":1})")).has_value());
    const auto error = node_error(decode_get_block_time(
        R"({"jsonrpc":"2.0","error":{"code":-32004,"message":"Block not available for slot 150"},"id":1})"));
    CHECK(error.code == rpc_code::block_not_available);
    CHECK(error.message == "Block not available for slot 150");
    check_malformed(decode_get_block_time(R"({"jsonrpc":"2.0","result":9223372036854775808,"id":1})"),
                    decode_errc::bad_field, "result");
    check_malformed(decode_get_block_time(R"({"jsonrpc":"2.0","result":1.5e9,"id":1})"),
                    decode_errc::bad_field, "result");
}

TEST_CASE("getSignatureStatuses decodes found, finalized and unknown signatures", "[schema][solana_rpc]") {
    const auto statuses = ok_result(decode_get_signature_statuses(
        R"({"jsonrpc":"2.0","result":{"context":{"slot":82},"value":[{"slot":48,"confirmations":null,"err":null,"status":{"Ok":null},"confirmationStatus":"finalized"},null]},"id":1})"));
    CHECK(statuses.context_slot == 82);
    CHECK_FALSE(statuses.api_version.has_value());
    REQUIRE(statuses.value.size() == 2);
    REQUIRE(statuses.value[0].has_value());
    CHECK(statuses.value[0]->slot == 48);
    CHECK_FALSE(statuses.value[0]->confirmations.has_value());
    CHECK_FALSE(statuses.value[0]->err.has_value());
    CHECK(statuses.value[0]->confirmation_status == commitment::finalized);
    CHECK_FALSE(statuses.value[1].has_value());

    const auto pending = ok_result(decode_get_signature_statuses(
        R"({"jsonrpc":"2.0","result":{"context":{"slot":300,"apiVersion":"2.1.14"},"value":[{"slot":299,"confirmations":1,"err":{"InstructionError":[0,{"Custom":1}]},"status":{"Err":{"InstructionError":[0,{"Custom":1}]}},"confirmationStatus":"confirmed"},{"slot":300,"confirmations":0,"err":null,"status":{"Ok":null},"confirmationStatus":null}]},"id":2})"));
    CHECK(pending.api_version == std::optional<std::string>("2.1.14"));
    CHECK(pending.value[0]->confirmations == 1U);
    CHECK(pending.value[0]->err == std::optional<std::string>(R"({"InstructionError":[0,{"Custom":1}]})"));
    CHECK(pending.value[0]->confirmation_status == commitment::confirmed);
    CHECK_FALSE(pending.value[1]->confirmation_status.has_value());
    CHECK(std::string_view(to_string(commitment::processed)) == "processed");

    const auto too_many = node_error(decode_get_signature_statuses(
        R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Too many inputs provided; max 256"},"id":3})"));
    CHECK(too_many.message == "Too many inputs provided; max 256");

    check_malformed(decode_get_signature_statuses(
                        R"({"jsonrpc":"2.0","result":{"context":{"slot":1},"value":[{"slot":1,"err":null,"confirmationStatus":"rooted"}]},"id":1})"),
                    decode_errc::bad_field, "result.value[0].confirmationStatus");
    check_malformed(decode_get_signature_statuses(
                        R"({"jsonrpc":"2.0","result":{"context":{"slot":1},"value":[{"err":null}]},"id":1})"),
                    decode_errc::bad_field, "result.value[0].slot: missing");
    check_malformed(decode_get_signature_statuses(
                        R"({"jsonrpc":"2.0","result":{"value":[]},"id":1})"),
                    decode_errc::bad_field, "result.context: missing");
    check_malformed(decode_get_signature_statuses(
                        R"({"jsonrpc":"2.0","result":{"context":{"slot":1},"value":[7]},"id":1})"),
                    decode_errc::bad_field, "result.value[0]");
}

TEST_CASE("getVersion decodes solana-core and feature-set", "[schema][solana_rpc]") {
    const auto version = ok_result(decode_get_version(
        R"({"jsonrpc":"2.0","result":{"feature-set":2891131721,"solana-core":"1.16.7"},"id":1})"));
    CHECK(version.solana_core == "1.16.7");
    CHECK(version.feature_set == 2891131721U);
    check_malformed(decode_get_version(R"({"jsonrpc":"2.0","result":{"feature-set":1},"id":1})"),
                    decode_errc::bad_field, "result.solana-core: missing");
}

TEST_CASE("RPC bodies with a hostile shape are decode errors", "[schema][solana_rpc]") {
    check_malformed(decode_get_slot(std::string(50000, '[') + std::string(50000, ']')), decode_errc::too_large);
    check_malformed(decode_get_slot(R"({"jsonrpc":"3.0","result":1,"id":1})"), decode_errc::unexpected_shape);
    check_malformed(decode_get_slot(R"([{"jsonrpc":"2.0","result":1,"id":1}])"), decode_errc::unexpected_shape);
    check_malformed(decode_get_slot(R"({"jsonrpc":"2.0","error":{"code":"-32004","message":"x"},"id":1})"),
                    decode_errc::bad_field, "error.code");
    check_malformed(decode_get_slot(R"({"jsonrpc":"2.0","error":{"code":-32004,"message":null},"id":1})"),
                    decode_errc::bad_field, "error.message");
}

} // namespace
} // namespace ledgertap::schema::solana
