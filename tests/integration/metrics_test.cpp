// Operating the daemon: the Prometheus endpoint is scraped while data flows and its figures move;
// /healthz and /readyz answer; a bad configuration is refused naming the key; --print-config masks
// the password.

#include "tests/support/http_client.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <fstream>
#include <regex>
#include <string>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

/// The value of one Prometheus series line (`name{labels} value`), or -1.
double metric(const std::string& text, const std::string& series) {
    const auto pos = text.find("\n" + series + " ");
    if (pos == std::string::npos) {
        return -1;
    }
    return std::stod(text.substr(pos + series.size() + 2));
}

} // namespace

TEST_CASE("ingest metrics: /metrics figures move as data flows, /healthz and /readyz answer") {
    scratch_database db{"metrics"};
    db.migrate();
    const auto dir = make_temp_dir("metrics");
    child_process sim{{sim_executable(), "--chain", "nano", "--rate", "100", "--duration", "30", "--ports-file",
                          dir + "/ports.json", "--log-level", "warn"},
        dir + "/sim"};
    const auto ports = read_ports_file(dir + "/ports.json", 20s);
    REQUIRE(ports);
    child_process ingest{{ingest_executable(), "--db", db.conninfo(), "--nano-ws",
                             "ws://127.0.0.1:" + std::to_string(ports->nano_ws), "--nano-rpc",
                             "http://127.0.0.1:" + std::to_string(ports->nano_rpc), "--metrics-addr", "127.0.0.1:0"},
        dir + "/ingest"};
    int port = 0;
    REQUIRE(wait_until([&] {
        std::smatch m;
        const auto log = ingest.stderr_text();
        if (std::regex_search(log, m, std::regex{"/readyz on port ([0-9]+)"})) {
            port = std::stoi(m[1]);
        }
        return port != 0;
    }, 20s));
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    REQUIRE(wait_until([&] { return http_get(base + "/readyz").status == 200; }, 20s));
    CHECK(http_get(base + "/healthz").body == "ok\n");
    const auto first = http_get(base + "/metrics");
    REQUIRE(first.status == 200);
    CHECK(first.headers.find("text/plain; version=0.0.4") != std::string::npos);
    const std::string conf = "ledgertap_messages_total{source=\"nano\",topic=\"confirmation\"}";
    const std::string rows = "ledgertap_rows_written_total{table=\"nano.blocks\"}";
    std::string second;
    CHECK(wait_until([&] {
        second = http_get(base + "/metrics").body;
        return metric(second, rows) > 0 && metric(second, conf) > metric(first.body, conf);
    }, 30s, 500ms));
    INFO(second.substr(0, 3000));
    CHECK(metric(second, conf) > metric(first.body, conf));
    CHECK(metric(second, rows) > 0);
    CHECK(metric(second, "ledgertap_batches_total") > 0);
    CHECK(metric(second, "ledgertap_source_connected{source=\"nano\"}") == 1);
    CHECK(second.find("ledgertap_batch_seconds_bucket{le=\"+Inf\"}") != std::string::npos);
    CHECK(second.find("ledgertap_last_message_timestamp_seconds{source=\"nano\"}") != std::string::npos);
    CHECK(second.find("ledgertap_queue_bytes") != std::string::npos);
    CHECK(http_get(base + "/nope").status == 404);
    ingest.terminate();
    REQUIRE(ingest.wait(30s) == 0);
}

TEST_CASE("ingest config: a bad key is refused naming it and --print-config masks the password") {
    const auto dir = make_temp_dir("badcfg");
    {
        std::ofstream f{dir + "/bad.toml"};
        f << "[writer]\nbatch_max_age = 100\n";
    }
    child_process bad{{ingest_executable(), "--config", dir + "/bad.toml", "--nano-ws", "ws://127.0.0.1:1"}, dir + "/bad"};
    CHECK(bad.wait(20s) == 2);
    CHECK(bad.stderr_text().find("writer.batch_max_age") != std::string::npos);
    CHECK(bad.stderr_text().find("batch_max_age_ms") != std::string::npos);

    child_process print{{ingest_executable(), "--print-config", "--db", "postgresql://ledgertap:hunter2@db/lt",
                            "--nano-ws", "ws://127.0.0.1:7078"},
        dir + "/print"};
    CHECK(print.wait(20s) == 0);
    CHECK(print.stdout_text().find("hunter2") == std::string::npos);
    CHECK(print.stdout_text().find("postgresql://ledgertap:***@db/lt") != std::string::npos);
    CHECK(print.stdout_text().find("ws_url = \"ws://127.0.0.1:7078\"") != std::string::npos);
}

TEST_CASE("ingest logs: --log-format json writes one JSON object per line, messages escaped") {
    const auto dir = make_temp_dir("jsonlog");
    // Nothing listens on the node URL: the feed logs its connection failures, and the database
    // conninfo carries a password that must not appear.
    child_process ingest{{ingest_executable(), "--log-format", "json", "--db",
                             "postgresql://ledgertap:hunter2@127.0.0.1:1/lt", "--nano-ws", "ws://127.0.0.1:1/\"quoted\""},
        dir + "/ingest"};
    REQUIRE(wait_until([&] { return ingest.stderr_text().find("Unable to connect") != std::string::npos
                                 || ingest.stderr_text().find("connect failed") != std::string::npos; },
        20s));
    ingest.terminate();
    REQUIRE(ingest.wait(30s));
    const auto text = ingest.stderr_text();
    CHECK(text.find("hunter2") == std::string::npos);
    std::size_t lines = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        const auto line = text.substr(start, end - start);
        start = end + 1;
        if (line.empty()) {
            continue;
        }
        rapidjson::Document d;
        d.Parse(line.c_str(), line.size());
        INFO(line);
        REQUIRE_FALSE(d.HasParseError());
        REQUIRE(d.IsObject());
        CHECK(d.HasMember("time"));
        CHECK(d.HasMember("level"));
        CHECK(d.HasMember("msg"));
        ++lines;
    }
    CHECK(lines >= 3);
}

} // namespace ledgertap::test
