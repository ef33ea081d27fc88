// Size limits are configuration keys and they hold: nano.max_message_bytes / solana.max_message_bytes
// refuse a larger WebSocket message (dead-lettered naming the key, the connection and every other
// message kept), and nano.max_response_bytes / solana.max_response_bytes refuse a larger RPC
// response with an error naming the key, so nothing of it is stored. Through the real simulator
// and ledgertap-ingest.

#include "ingest/rpc_client.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

long long count(const std::string& conninfo, const std::string& sql) {
    return std::stoll(query_scalar(conninfo, sql).value_or("0"));
}

/// ledgertap-sim for both chains on plain ws/http, with extra flags.
struct limits_sim {
    std::string dir = make_temp_dir("limits_sim");
    child_process process;
    sim_ports ports;

    explicit limits_sim(std::vector<std::string> extra)
        : process{[&] {
              std::vector<std::string> a{sim_executable(), "--ports-file", dir + "/ports.json", "--duration", "60",
                  "--log-level", "warn", "--slot-ms", "100"};
              a.insert(a.end(), extra.begin(), extra.end());
              return a;
          }(),
              dir + "/sim"} {
        const auto p = read_ports_file(dir + "/ports.json", 20s);
        INFO(process.stderr_text());
        REQUIRE(p);
        ports = *p;
    }
    [[nodiscard]] std::string url(const char* scheme, std::uint16_t port) const {
        return std::string{scheme} + "://127.0.0.1:" + std::to_string(port);
    }
    /// [nano] and [solana] sections with both URLs each, then `extra_nano` / `extra_solana`.
    [[nodiscard]] std::string toml(const std::string& extra_nano, const std::string& extra_solana) const {
        return "[nano]\nws_url = \"" + url("ws", ports.nano_ws) + "\"\nrpc_url = \"" + url("http", ports.nano_rpc)
               + "\"\n" + extra_nano + "[solana]\nws_url = \"" + url("ws", ports.solana_ws) + "\"\nrpc_url = \""
               + url("http", ports.solana_rpc) + "\"\n" + extra_solana;
    }
};

struct ingest_with_config {
    std::string dir = make_temp_dir("limits_ingest");
    child_process process;

    ingest_with_config(const std::string& conninfo, const std::string& toml)
        : process{[&] {
              std::ofstream f{dir + "/ledgertap.toml"};
              f << toml;
              f.close();
              return std::vector<std::string>{ingest_executable(), "--db", conninfo, "--config",
                  dir + "/ledgertap.toml"};
          }(),
              dir + "/ingest"} {}
    [[nodiscard]] std::string log() const { return process.stderr_text(); }
    void stop() {
        process.terminate();
        const auto rc = process.wait(30s);
        INFO(log().substr(0, 4000));
        REQUIRE(rc == 0);
    }
};

} // namespace

TEST_CASE("limits: max_message_bytes set per source refuses larger messages and keeps the rest") {
    // Every 25th message is an oversized frame of 100,000 bytes (in rotation with invalid JSON and
    // a binary frame); both limits are set to 64 KiB, far below their defaults.
    limits_sim sim{{"--rate", "60", "--malformed-every", "25", "--oversized-bytes", "100000"}};
    scratch_database db{"limits_msg"};
    db.migrate();
    ingest_with_config ingest{db.conninfo(), sim.toml("max_message_bytes = 65536\n", "max_message_bytes = 65536\n")};
    const auto oversized = [&](const std::string& source) {
        return count(db.conninfo(),
            "SELECT count(*) FROM ledgertap.rejected_messages WHERE reason = 'oversized' AND source = '" + source
                + "' AND size_bytes = 100000 AND truncated AND detail LIKE '%exceeds " + source
                + ".max_message_bytes = 65536%'");
    };
    CHECK(wait_until([&] {
        return oversized("nano") > 0 && oversized("solana") > 0
               && count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE origin = 'websocket'") > 50
               && count(db.conninfo(), "SELECT count(*) FROM solana.slots") > 20;
    }, 40s));
    INFO(ingest.log().substr(0, 4000));
    CHECK(oversized("nano") > 0);
    CHECK(oversized("solana") > 0);
    // The messages below the limit are stored, and refusing a message never cost the connection.
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE origin = 'websocket'") > 50);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.slots") > 20);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections WHERE source = 'nano'") == 1);
    ingest.stop();
}

TEST_CASE("limits: a response above max_response_bytes is refused naming the key and nothing of it is stored") {
    // 1 KiB: every confirmation_history, blocks_info and getBlock answer is larger. Solana drops
    // a third of its block notifications, so the backfiller must fetch blocks with getBlock.
    limits_sim sim{{"--rate", "60", "--drop", "0.3"}};
    const auto nano_rpc = sim.url("http", sim.ports.nano_rpc);
    const auto solana_rpc = sim.url("http", sim.ports.solana_rpc);
    scratch_database db{"limits_resp"};
    db.migrate();
    ingest_with_config ingest{db.conninfo(), sim.toml("max_response_bytes = 1024\n", "max_response_bytes = 1024\n")};
    const std::string nano_line = "nano backfill nano: confirmation_history: " + nano_rpc
                                  + ": response larger than nano.max_response_bytes = 1024 bytes; refused";
    const std::string solana_line = ": " + solana_rpc + ": response larger than solana.max_response_bytes = 1024 "
                                                       "bytes; refused";
    CHECK(wait_until([&] {
        const auto log = ingest.log();
        return log.find(nano_line) != std::string::npos && log.find(solana_line) != std::string::npos
               && count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE origin = 'websocket'") > 0;
    }, 40s));
    const auto log = ingest.log();
    INFO(log.substr(0, 6000));
    CHECK(log.find(nano_line) != std::string::npos);
    CHECK(log.find("solana backfill solana: getBlock(") != std::string::npos);
    CHECK(log.find(solana_line) != std::string::npos);
    // The daemon carries on with the WebSocket data; nothing came from a refused response.
    CHECK(ingest.process.running());
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE origin = 'websocket'") > 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE origin = 'rpc_backfill'") == 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.blocks WHERE origin = 'rpc_backfill'") == 0);
    ingest.stop();

    // The client itself: refused on the first attempt (not retried), body discarded; the same
    // call under a larger limit succeeds.
    ingest::rpc_options small;
    small.max_response_bytes = 1024;
    small.limit_key = "nano.max_response_bytes";
    ingest::rpc_client tight{nano_rpc, small};
    const auto refused = tight.post(R"({"action":"confirmation_history"})");
    CHECK_FALSE(refused.ok);
    CHECK(refused.too_large);
    CHECK(refused.attempts == 1);
    CHECK(refused.body.empty());
    CHECK(refused.error == nano_rpc + ": response larger than nano.max_response_bytes = 1024 bytes; refused");
    ingest::rpc_client roomy{nano_rpc, {}};
    const auto fine = roomy.post(R"({"action":"confirmation_history"})");
    CHECK(fine.ok);
    CHECK(fine.body.size() > 1024);
}

TEST_CASE("limits: a bad max_response_bytes or max_message_bytes is refused at startup naming the key") {
    const auto dir = make_temp_dir("limits_cfg");
    auto run = [&](const std::string& toml) {
        {
            std::ofstream f{dir + "/c.toml"};
            f << "[nano]\nws_url = \"ws://127.0.0.1:1\"\n" << toml;
        }
        child_process p{{ingest_executable(), "--config", dir + "/c.toml"}, dir + "/run"};
        const auto rc = p.wait(20s);
        return std::pair{rc.value_or(-1), p.stderr_text()};
    };
    const auto [small_rc, small] = run("max_response_bytes = 10\n");
    CHECK(small_rc == 2);
    CHECK(small.find("config key 'nano.max_response_bytes': 10 is out of range; accepted: 1024..1099511627776")
          != std::string::npos);
    const auto [text_rc, text] = run("[solana]\nmax_message_bytes = \"big\"\n");
    CHECK(text_rc == 2);
    CHECK(text.find("config key 'solana.max_message_bytes': expected an integer") != std::string::npos);
    std::filesystem::remove_all(dir);
}

} // namespace ledgertap::test
