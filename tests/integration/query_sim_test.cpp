// ledgertap-query on a database the simulator filled through ledgertap-ingest (issue #7): the
// latency percentiles of real pipeline rows equal those computed here from the raw tables, in
// JSON, CSV and the human table, and status, gaps and slots describe what ingest stored.
// query_cli_test.cpp checks every command exactly on hand-made fixture rows; this checks the same
// answers hold on rows the whole pipeline produced (timestamps with microseconds, real gaps).

#include "tests/support/pg.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/process.hpp"
#include "tests/support/query.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <pqxx/pqxx>
#include <rapidjson/document.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

rapidjson::Document json_of(const query_outcome& o) {
    INFO(o.err);
    REQUIRE(o.code == 0);
    return parse_json_object(o.out);
}

std::size_t line_count(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

} // namespace

TEST_CASE("query on a simulator-filled database: latency percentiles match the raw rows in every "
          "format, and status, gaps and slots describe what ingest stored") {
    scratch_database db{"query_sim"};
    db.migrate();
    sim_runner sim{{"--rate", "40", "--slot-ms", "200", "--duration", "120"}};
    REQUIRE(sim.ready());
    const auto dir = make_temp_dir("query_sim");
    child_process ingest{
        {ingest_executable(), "--db", db.conninfo(), "--nano-ws",
            fmt::format("ws://127.0.0.1:{}", sim.ports().nano_ws), "--nano-rpc", sim.nano_rpc_url(),
            "--solana-ws", fmt::format("ws://127.0.0.1:{}", sim.ports().solana_ws), "--solana-rpc",
            fmt::format("http://127.0.0.1:{}", sim.ports().solana_rpc)},
        dir + "/ingest"};
    const auto count = [&](const std::string& sql) {
        return std::stoll(query_scalar(db.conninfo(), sql).value_or("0"));
    };
    const bool filled = wait_until(
        [&] {
            return count("SELECT count(*) FROM nano.blocks b JOIN nano.unconfirmed_blocks u USING "
                         "(hash) WHERE b.confirmed_at IS NOT NULL")
                       >= 200
                   && count("SELECT count(*) FROM solana.slots WHERE rooted_at IS NOT NULL") >= 20;
        },
        60s);
    INFO(ingest.stderr_text().substr(0, 4000));
    REQUIRE(filled);
    ingest.terminate();
    REQUIRE(ingest.wait(30s) == 0);

    // Raw rows: type and latency (confirmed - first seen unconfirmed) of every confirmed block.
    std::map<std::string, std::vector<double>> latencies; // by type, and "all"
    std::map<std::string, long long> confirmations;
    {
        pqxx::connection conn{db.conninfo()};
        pqxx::work tx{conn};
        for (const auto& r : tx.exec(
                 "SELECT b.confirmation_type, (extract(epoch FROM b.confirmed_at - u.first_seen_at) "
                 "* 1000)::float8 FROM nano.blocks b LEFT JOIN nano.unconfirmed_blocks u ON u.hash = "
                 "b.hash WHERE b.confirmed_at IS NOT NULL")) {
            const std::string type = r[0].c_str();
            ++confirmations[type];
            ++confirmations["all"];
            if (!r[1].is_null()) {
                latencies[type].push_back(r[1].as<double>());
                latencies["all"].push_back(r[1].as<double>());
            }
        }
    }
    REQUIRE(latencies["all"].size() >= 200);

    { // latency: the summary's percentiles per confirmation type equal the raw rows'
        const auto doc = json_of(run_query(db.conninfo(), {"latency", "--since", "1h", "--format", "json"}));
        const auto& summary = doc["nano_summary"];
        REQUIRE(summary.IsArray());
        REQUIRE(summary.Size() == confirmations.size());
        for (const auto& row : summary.GetArray()) {
            const std::string type = row["confirmation_type"].GetString();
            INFO(type);
            REQUIRE(confirmations.count(type) == 1);
            CHECK(row["confirmations"].GetInt64() == confirmations[type]);
            CHECK(row["with_latency"].GetInt64() == static_cast<long long>(latencies[type].size()));
            for (const auto& [key, p] :
                std::vector<std::pair<const char*, double>>{{"latency_p50_ms", 0.5}, {"latency_p99_ms", 0.99}}) {
                INFO(key);
                const auto actual = json_number(row[key]);
                const auto expected = percentile_cont(latencies[type], p);
                REQUIRE(actual.has_value() == expected.has_value());
                if (expected) {
                    // Microsecond timestamps: equal to well under a microsecond.
                    CHECK(std::abs(*actual - *expected) < 1e-6);
                }
            }
        }
    }

    { // latency: CSV and the human table carry the same rows
        const auto csv = run_query(
            db.conninfo(), {"latency", "--since", "1h", "--format", "csv", "--section", "nano_summary"});
        INFO(csv.err);
        REQUIRE(csv.code == 0);
        CHECK(line_count(csv.out) == confirmations.size() + 1); // header + one row per type
        CHECK(csv.out.find("latency_p50_ms") != std::string::npos);
        CHECK(csv.out.find(fmt::format("all,{}", confirmations["all"])) != std::string::npos);
        const auto table = run_query(db.conninfo(), {"latency", "--since", "1h", "--section", "nano_summary"});
        INFO(table.err);
        REQUIRE(table.code == 0);
        CHECK(table.out.find(std::to_string(confirmations["all"])) != std::string::npos);
        for (const auto& [type, n] : confirmations) {
            CHECK(table.out.find(type) != std::string::npos);
        }
    }

    { // status, gaps and slots describe what ingest stored
        const auto status = json_of(run_query(db.conninfo(), {"status", "--format", "json"}));
        std::vector<std::string> sources;
        for (const auto& s : status["sources"].GetArray()) {
            sources.emplace_back(s["source"].GetString());
        }
        CHECK(std::count(sources.begin(), sources.end(), "nano") == 1);
        CHECK(std::count(sources.begin(), sources.end(), "solana") == 1);
        const auto gaps = json_of(run_query(db.conninfo(), {"gaps", "--format", "json"}));
        CHECK(gaps["gaps"].IsArray());
        CHECK(static_cast<long long>(gaps["gaps"].Size())
              <= std::min<long long>(count("SELECT count(*) FROM ledgertap.gaps"), 20));
        const auto slots = json_of(
            run_query(db.conninfo(), {"slots", "--since", "1h", "--limit", "10", "--format", "json"}));
        const auto& recent = slots["slots"];
        REQUIRE(recent.IsArray());
        REQUIRE(recent.Size() == 10);
        for (rapidjson::SizeType i = 1; i < recent.Size(); ++i) {
            CHECK(recent[i]["slot"].GetInt64() < recent[i - 1]["slot"].GetInt64());
        }
        for (const auto& s : recent.GetArray()) {
            CHECK(count(fmt::format("SELECT count(*) FROM solana.slots WHERE slot = {}", s["slot"].GetInt64()))
                  == 1);
        }
    }
}

} // namespace ledgertap::test
