// ledgertap-query's command line before any database is involved: every bad argument is a usage
// error (exit 2) with a message naming it, reported before connecting.

#include "query/cli.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace ledgertap::query {
namespace {

struct outcome {
    int code = -1;
    std::string out;
    std::string err;
};

outcome run(const std::vector<std::string>& args) {
    std::ostringstream out;
    std::ostringstream err;
    outcome o;
    o.code = run_cli(args, out, err);
    o.out = out.str();
    o.err = err.str();
    return o;
}

// A database that does not exist on a socket directory that does not exist: reaching it would
// fail with exit code 1, so exit code 2 proves validation came first.
const std::string unreachable = "host=/nonexistent/ledgertap-query-test dbname=nope";

TEST_CASE("usage errors exit 2 with a message that names the problem", "[query][cli]") {
    struct bad_case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<bad_case> cases{
        {{}, "no command given"},
        {{"--since", "1h"}, "no command given"},
        {{"latencies"}, "unknown command 'latencies'"},
        {{"--db", unreachable, "frobnicate"}, "unknown command 'frobnicate'"},
        {{"latency", "--since", "15x"}, "bad duration '15x' for --since"},
        {{"latency", "--since", "0m"}, "bad duration '0m'"},
        {{"latency", "--since", "1.5h"}, "bad duration '1.5h'"},
        {{"gaps", "--limit", "0"}, "bad --limit '0'"},
        {{"gaps", "--limit", "ten"}, "bad --limit 'ten'"},
        {{"status", "--format", "xml"}, "bad --format 'xml'"},
        {{"block", "XYZ"}, "bad block hash 'XYZ'"},
        {{"block", std::string(63, 'A')}, "a Nano block hash is 64 hexadecimal digits"},
        {{"account", "nano_1111"}, "bad account address 'nano_1111'"},
        // A valid address with its last checksum character changed.
        {{"account", "nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr1"},
         "valid checksum"},
        {{"slot", "-1"}, "bad slot '-1'"},
        {{"slot", "9223372036854775808"}, "bad slot '9223372036854775808'"},
        {{"block"}, "HASH is required"},
        {{"report"}, "--out is required"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> args = c.args;
        if (!args.empty() && args.front() != "--db" && args.front() != "--since") {
            args.insert(args.end(), {"--db", unreachable});
        }
        const outcome o = run(args);
        INFO(o.err);
        CHECK(o.code == exit_usage);
        CHECK(o.err.find(c.message) != std::string::npos);
        CHECK(o.err.rfind("ledgertap-query: error: ", 0) == 0);
        CHECK(o.out.empty());
    }
}

TEST_CASE("an unknown command lists the commands", "[query][cli]") {
    const outcome o = run({"frobnicate"});
    CHECK(o.code == exit_usage);
    for (const char* name :
         {"latency",
          "gaps",
          "status",
          "block",
          "account",
          "slot",
          "slots",
          "votes",
          "telemetry",
          "report"}) {
        CHECK(o.err.find(name) != std::string::npos);
    }
}

TEST_CASE("help and version exit 0 on stdout", "[query][cli]") {
    const outcome help = run({"--help"});
    CHECK(help.code == exit_ok);
    CHECK(help.out.find("latency") != std::string::npos);
    CHECK(help.out.find("--since") != std::string::npos);
    const outcome version = run({"--version"});
    CHECK(version.code == exit_ok);
    CHECK(version.out.find("ledgertap-query") != std::string::npos);
}

TEST_CASE("a password in a bad argument never reaches the error", "[query][cli]") {
    const outcome o = run({"latency", "--db", "postgresql://u:hunter2secret@host/db", "--bogus"});
    CHECK(o.code == exit_usage);
    CHECK(o.err.find("hunter2secret") == std::string::npos);
}

} // namespace
} // namespace ledgertap::query
