// ledgertap-sim's flag parsing: defaults, every flag's value, and a clear message (exit 2) naming
// the flag for bad input.

#include "sim/options.hpp"
#include "sim/solana_node.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace ledgertap::sim {
namespace {

parse_outcome parse(std::vector<std::string> args) {
    args.insert(args.begin(), "ledgertap-sim");
    std::vector<const char*> argv;
    for (const auto& a : args) {
        argv.push_back(a.c_str());
    }
    return parse_options(static_cast<int>(argv.size()), argv.data());
}

TEST_CASE("sim options have documented defaults", "[sim][options]") {
    const auto o = parse({});
    REQUIRE(o.opts);
    CHECK(o.opts->host == "127.0.0.1");
    CHECK(o.opts->nano_ws_port == 0);
    CHECK(o.opts->chain == chain_selection::both);
    CHECK(o.opts->duration_s == 0.0);
    CHECK_FALSE(o.opts->outage.has_value());
    CHECK(o.opts->oversized_bytes == std::size_t{17} * 1024 * 1024);
}

TEST_CASE("sim options parse every flag", "[sim][options]") {
    const auto o = parse(
        {"--host",
         "::1",
         "--nano-ws-port",
         "7078",
         "--nano-rpc-port",
         "7076",
         "--solana-ws-port",
         "8900",
         "--solana-rpc-port",
         "8899",
         "--ports-file",
         "p.json",
         "--chain",
         "nano",
         "--seed",
         "18446744073709551615",
         "--rate",
         "2.5",
         "--duration",
         "3",
         "--truth",
         "t.jsonl",
         "--nano-accounts",
         "5",
         "--history",
         "0",
         "--firehose",
         "--drop",
         "0.25",
         "--duplicate",
         "0.5",
         "--reorder",
         "4",
         "--disconnect-every",
         "9",
         "--outage",
         "1.5:2",
         "--malformed-every",
         "3",
         "--oversized-bytes",
         "1000",
         "--rpc-delay-ms",
         "20",
         "--rpc-error-rate",
         "1",
         "--slot-ms",
         "50",
         "--solana-tx-per-block",
         "3",
         "--rate",
         "4"});
    REQUIRE(o.opts);
    const options& v = *o.opts;
    CHECK(v.host == "::1");
    CHECK(v.nano_ws_port == 7078);
    CHECK(v.nano_rpc_port == 7076);
    CHECK(v.solana_ws_port == 8900);
    CHECK(v.solana_rpc_port == 8899);
    CHECK(v.ports_file == "p.json");
    CHECK(v.chain == chain_selection::nano);
    CHECK(v.nano_enabled());
    CHECK_FALSE(v.solana_enabled());
    CHECK(v.seed == 18446744073709551615ULL);
    CHECK(v.rate == 4.0); // the last occurrence wins
    CHECK(v.duration_s == 3.0);
    CHECK(v.truth_file == "t.jsonl");
    CHECK(v.nano_accounts == 5);
    CHECK(v.history == 0);
    CHECK(v.firehose);
    CHECK(v.drop == 0.25);
    CHECK(v.duplicate == 0.5);
    CHECK(v.reorder == 4);
    CHECK(v.disconnect_every == 9);
    REQUIRE(v.outage);
    CHECK(v.outage->start_s == 1.5);
    CHECK(v.outage->length_s == 2.0);
    CHECK(v.malformed_every == 3);
    CHECK(v.oversized_bytes == 1000);
    CHECK(v.rpc_delay_ms == 20);
    CHECK(v.rpc_error_rate == 1.0);
    CHECK(v.slot_ms == 50);
    CHECK(v.solana_tx_per_block == 3);
}

TEST_CASE("sim options reject bad values naming the flag, with exit code 2", "[sim][options]") {
    const std::vector<std::pair<std::vector<std::string>, std::string>> bad{
        {{"--drop", "1.5"}, "--drop"},
        {{"--drop", "x"}, "--drop"},
        {{"--duplicate", "-0.1"}, "--duplicate"},
        {{"--chain", "bitcoin"}, "--chain"},
        {{"--nano-ws-port", "70000"}, "--nano-ws-port"},
        {{"--rate", "0"}, "--rate"},
        {{"--outage", "5"}, "--outage"},
        {{"--outage", "1:0"}, "--outage"},
        {{"--outage", "a:b"}, "--outage"},
        {{"--nano-accounts", "1"}, "--nano-accounts"},
        {{"--rpc-error-rate", "2"}, "--rpc-error-rate"},
        {{"--seed"}, "--seed"},
        {{"--no-such-flag"}, "--no-such-flag"},
    };
    for (const auto& [args, flag] : bad) {
        INFO(args.front());
        const auto o = parse(args);
        CHECK_FALSE(o.opts);
        CHECK(o.exit_code == 2);
        CHECK(o.message.find(flag) != std::string::npos);
    }
}

TEST_CASE("sim --solana-disable-block-subscribe and --solana-disable-vote-subscribe reach the Solana node",
    "[sim][options]") {
    const auto defaults = parse({});
    REQUIRE(defaults.opts);
    CHECK_FALSE(defaults.opts->solana_disable_block_subscribe);
    CHECK_FALSE(defaults.opts->solana_disable_vote_subscribe);
    const auto on = solana_node_config_from(*defaults.opts);
    CHECK(on.pubsub.enable_block_subscription);
    CHECK(on.pubsub.enable_vote_subscription);

    const auto block_only = parse({"--solana-disable-block-subscribe"});
    REQUIRE(block_only.opts);
    CHECK(block_only.opts->solana_disable_block_subscribe);
    CHECK_FALSE(block_only.opts->solana_disable_vote_subscribe);
    const auto b = solana_node_config_from(*block_only.opts);
    CHECK_FALSE(b.pubsub.enable_block_subscription);
    CHECK(b.pubsub.enable_vote_subscription);

    const auto vote_only = parse({"--solana-disable-vote-subscribe"});
    REQUIRE(vote_only.opts);
    const auto v = solana_node_config_from(*vote_only.opts);
    CHECK(v.pubsub.enable_block_subscription);
    CHECK_FALSE(v.pubsub.enable_vote_subscription);

    // They are flags: a value is refused, naming the flag.
    const auto bad = parse({"--solana-disable-vote-subscribe=yes please"});
    CHECK_FALSE(bad.opts);
    CHECK(bad.exit_code == 2);
    CHECK(bad.message.find("--solana-disable-vote-subscribe") != std::string::npos);
}

TEST_CASE("sim --help prints usage and exits 0", "[sim][options]") {
    const auto o = parse({"--help"});
    CHECK_FALSE(o.opts);
    CHECK(o.exit_code == 0);
    CHECK(o.message.find("--disconnect-every") != std::string::npos);
    CHECK(o.message.find("--solana-disable-block-subscribe") != std::string::npos);
    CHECK(o.message.find("--solana-disable-vote-subscribe") != std::string::npos);
}

} // namespace
} // namespace ledgertap::sim
