// ledgertap-sim --firehose: Nano confirmations as fast as the client reads. The functional test
// checks the stream is real (unique, correct, in the ledger); the hidden [.firehose] case
// measures confirmations per second for sim/README.md.

#include "schema/codec.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

/// User + system CPU seconds a process has used (from /proc/<pid>/stat).
double cpu_seconds(pid_t pid) {
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) {
        return 0.0;
    }
    std::istringstream in(stat.substr(close + 2));
    std::string field;
    double ticks = 0.0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14 || i == 15) {
            ticks += std::stod(field);
        }
    }
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string text_at(const rapidjson::Value& v, const char* a, const char* b) {
    if (!v.IsObject() || !v.HasMember(a) || !v[a].IsObject() || !v[a].HasMember(b)
        || !v[a][b].IsString()) {
        return {};
    }
    return v[a][b].GetString();
}

TEST_CASE(
    "nano sim --firehose streams unique confirmed blocks as fast as the client reads",
    "[sim][nano][firehose]") {
    sim_runner sim({"--chain", "nano", "--firehose", "--seed", "2"});
    REQUIRE(sim.ready());
    ws_client c("127.0.0.1", sim.ports().nano_ws);
    c.send_text(R"({"action": "subscribe", "topic": "confirmation"})");
    std::set<std::string> hashes;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (hashes.size() < 5000 && std::chrono::steady_clock::now() < deadline) {
        const auto m = c.next(1s);
        if (!m) {
            continue;
        }
        rapidjson::Document d;
        d.Parse(m->data.c_str());
        REQUIRE_FALSE(d.HasParseError());
        if (std::string(d["topic"].GetString()) == "confirmation") {
            hashes.insert(text_at(d, "message", "hash"));
        }
    }
    REQUIRE(hashes.size() >= 5000);
    // Every streamed block is in the ledger, confirmed.
    std::string body = R"({"action": "blocks_info", "hashes": [)";
    int n = 0;
    for (const auto& h : hashes) {
        if (n++ == 200) {
            break;
        }
        body += (n == 1 ? "\"" : ",\"") + h + "\"";
    }
    body += "]}";
    const auto r = http_post(sim.nano_rpc_url(), body);
    REQUIRE(r.ok);
    CHECK(r.body.find("\"confirmed\": \"false\"") == std::string::npos);
    CHECK(r.body.find("\"error\"") == std::string::npos);
}

void measure(bool with_truth) {
    const std::string dir = make_temp_dir("firehose");
    std::vector<std::string> argv{
        sim_executable(),
        "--chain",
        "nano",
        "--firehose",
        "--seed",
        "2",
        "--log-level",
        "warn",
        "--ports-file",
        dir + "/ports.json"};
    if (with_truth) {
        argv.insert(argv.end(), {"--truth", dir + "/truth.jsonl"});
    }
    child_process sim(argv);
    const auto ports = read_ports_file(dir + "/ports.json", 10s);
    REQUIRE(ports);
    ws_client c("127.0.0.1", ports->nano_ws);
    c.set_count_only(true);
    c.send_text(R"({"action": "subscribe", "topic": "confirmation"})");
    std::this_thread::sleep_for(1s); // warm up
    const auto m0 = c.messages_received();
    const auto b0 = c.bytes_received();
    const double cpu0 = cpu_seconds(sim.pid());
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(5s);
    const auto seconds
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds(sim.pid()) - cpu0;
    const auto messages = static_cast<double>(c.messages_received() - m0);
    const double mbps = static_cast<double>(c.bytes_received() - b0) / seconds / 1e6;
    std::printf(
        "firehose (%s): %.0f confirmations/s wall, %.1f MB/s, over %.1f s; simulator CPU %.2f s "
        "(%.0f%% of one core) = %.0f confirmations per simulator CPU-second\n",
        with_truth ? "with --truth" : "no truth file",
        messages / seconds,
        mbps,
        seconds,
        cpu,
        100.0 * cpu / seconds,
        cpu > 0 ? messages / cpu : 0.0);
    CHECK(messages > 0);
    sim.kill();
    (void)sim.wait(std::chrono::seconds(5));
    std::filesystem::remove_all(dir);
}

TEST_CASE("measure nano sim --firehose confirmations per second", "[.firehose]") {
    measure(false);
    measure(true);
}

} // namespace
} // namespace ledgertap::test
