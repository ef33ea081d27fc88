// ledgertap-sim --frame-rate N: a client subscribed to every Nano topic receives N notifications
// per second, whatever mix of topics the flow produces (scripts/bench offers exact message rates
// with it).

#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

/// Every topic the simulated node publishes; vote without options gets every vote type and
/// confirmation without options every confirmation type, unfiltered.
void subscribe_all(ws_client& c) {
    for (const char* topic :
         {"confirmation",
          "vote",
          "started_election",
          "stopped_election",
          "telemetry",
          "new_unconfirmed_block",
          "work",
          "bootstrap"}) {
        c.send_text(std::string(R"({"action": "subscribe", "topic": ")") + topic + R"("})");
    }
}

TEST_CASE(
    "nano sim --frame-rate N sends N notifications per second over all topics",
    "[sim][nano][frame_rate]") {
    // Tolerance: the pacer is exact against the simulator's clock (one release every 1 ms); what
    // remains is when the test thread reads the counters and socket buffering, a few tens of ms
    // at either end of the window on a loaded machine (1.5-1.7 % measured under ASan), so 5 % of
    // a 4 s window.
    constexpr double tolerance = 0.05;
    constexpr auto window = 4s;
    const auto rate = GENERATE(200, 2000);
    CAPTURE(rate);
    sim_runner sim({"--chain", "nano", "--frame-rate", std::to_string(rate), "--seed", "3"});
    REQUIRE(sim.ready());
    ws_client c("127.0.0.1", sim.ports().nano_ws);
    REQUIRE(c.connected());
    subscribe_all(c);

    // The mix is real: confirmations with their elections and votes, not one topic padding.
    std::map<std::string, int> topics;
    for (const auto& m : c.collect(1500ms)) {
        rapidjson::Document d;
        d.Parse(m.data.c_str());
        REQUIRE_FALSE(d.HasParseError());
        REQUIRE(d.HasMember("topic"));
        ++topics[d["topic"].GetString()];
    }
    std::string mix;
    for (const auto& [topic, n] : topics) {
        mix += topic + "=" + std::to_string(n) + " ";
    }
    CAPTURE(mix);
    CHECK(topics["confirmation"] > 0);
    CHECK(topics["vote"] > 0);
    CHECK(topics["started_election"] > 0);
    CHECK(topics["new_unconfirmed_block"] > 0);

    c.set_count_only(true);
    std::this_thread::sleep_for(500ms); // what queued up while the mix above was parsed drains
    const std::uint64_t m0 = c.messages_received();
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(window);
    const std::uint64_t m1 = c.messages_received();
    const double seconds
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double per_second = static_cast<double>(m1 - m0) / seconds;
    CAPTURE(m1 - m0, seconds, per_second);
    CHECK(per_second >= rate * (1.0 - tolerance));
    CHECK(per_second <= rate * (1.0 + tolerance));
}

TEST_CASE("nano sim --frame-rate excludes --rate and --firehose", "[sim][nano][frame_rate]") {
    for (const auto& other :
         std::vector<std::vector<std::string>>{{"--rate", "10"}, {"--firehose"}}) {
        std::vector<std::string> argv{sim_executable(), "--chain", "nano", "--frame-rate", "100"};
        argv.insert(argv.end(), other.begin(), other.end());
        child_process p(argv);
        CHECK(p.wait(10s) == 2);
        CHECK(p.stderr_text().find("excludes") != std::string::npos);
    }
}

} // namespace
} // namespace ledgertap::test
