// The ledgertap-sim executable: flag errors (exit 2, the flag named), --help, --duration,
// SIGTERM, the ports file, and a port that is already taken (exit 1).

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE(
    "ledgertap-sim rejects bad flags with a message naming the flag and exit code 2",
    "[sim][cli]") {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--drop", "2"}, "--drop"},
        {{"--chain", "dogecoin"}, "--chain"},
        {{"--outage", "soon"}, "--outage"},
        {{"--nano-rpc-port", "-1"}, "--nano-rpc-port"},
        {{"--bogus"}, "--bogus"},
    };
    for (const auto& [args, flag] : cases) {
        std::vector<std::string> argv{sim_executable()};
        argv.insert(argv.end(), args.begin(), args.end());
        child_process p(argv);
        const auto code = p.wait(10s);
        INFO(args.front());
        REQUIRE(code.has_value());
        CHECK(*code == 2);
        const std::string err = p.stderr_text();
        CHECK(err.find(flag) != std::string::npos);
        CHECK(err.find("ledgertap-sim") != std::string::npos);
    }
}

TEST_CASE("ledgertap-sim --help lists the flags and exits 0", "[sim][cli]") {
    child_process p({sim_executable(), "--help"});
    REQUIRE(p.wait(10s) == 0);
    const std::string out = p.stdout_text();
    for (const char* flag :
         {"--ports-file", "--truth", "--firehose", "--rpc-error-rate", "--outage"}) {
        CHECK(out.find(flag) != std::string::npos);
    }
}

TEST_CASE(
    "ledgertap-sim exits 0 after --duration with a complete truth file and ports file",
    "[sim][cli]") {
    const std::string dir = make_temp_dir("cli");
    child_process p(
        {sim_executable(),
         "--chain",
         "nano",
         "--duration",
         "1",
         "--ports-file",
         dir + "/ports.json",
         "--truth",
         dir + "/truth.jsonl"});
    const auto ports = read_ports_file(dir + "/ports.json", 10s);
    REQUIRE(ports);
    CHECK(ports->nano_ws != 0);
    CHECK(ports->nano_rpc != 0);
    CHECK(ports->solana_ws == 0); // --chain nano
    CHECK(p.stdout_text().find("nano_ws=" + std::to_string(ports->nano_ws)) != std::string::npos);
    REQUIRE(p.wait(10s) == 0);
    const std::string truth = read_file(dir + "/truth.jsonl");
    CHECK(truth.find("\"kind\":\"nano_block\"") != std::string::npos);
    CHECK(truth.find("{\"kind\":\"truth_end\"") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("ledgertap-sim exits 0 on SIGTERM and 1 when a port is taken", "[sim][cli]") {
    sim_runner first({"--chain", "nano"});
    REQUIRE(first.ready());
    child_process second(
        {sim_executable(),
         "--chain",
         "nano",
         "--nano-rpc-port",
         std::to_string(first.ports().nano_rpc)});
    const auto code = second.wait(10s);
    REQUIRE(code.has_value());
    CHECK(*code == 1);
    CHECK(second.stderr_text().find("nano_rpc") != std::string::npos);
    CHECK(first.stop() == 0);
}

TEST_CASE("ledgertap-sim serves both chains by default", "[sim][cli]") {
    sim_runner sim({});
    REQUIRE(sim.ready());
    CHECK(sim.ports().nano_ws != 0);
    CHECK(sim.ports().solana_ws != 0);
    CHECK(sim.ports().solana_rpc != 0);
    const auto r = http_post(sim.nano_rpc_url(), R"({"action": "version"})");
    CHECK(r.ok);
    CHECK(sim.stop() == 0);
}

} // namespace
} // namespace ledgertap::test
