// The chaos run (issue: gap detection and backfill): both simulated chains for over a minute with
// 5 % dropped and 2 % duplicated notifications, reordering, a disconnect every few thousand
// messages, one outage that leaves tail gaps, ledgertap-ingest killed with SIGKILL once and
// restarted, and PostgreSQL restarted once. After it settles the database must match the
// simulator's truth: every confirmed Nano block and every finalized Solana block present once with
// exact fields, skipped slots marked, no gap left open. The test prints those figures.

#include "tests/support/pg.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pqxx/pqxx>

#include <csignal>
#include <fstream>
#include <iostream>
#include <string>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

std::uint64_t count(const std::string& db, const std::string& sql) {
    return std::stoull(query_scalar(db, sql).value_or("0"));
}

} // namespace

TEST_CASE("chaos: after drops, duplicates, reordering, disconnects, an outage, SIGKILL and a database "
          "restart, the database matches the chains exactly") {
    private_cluster cluster;
    {
        pqxx::connection c{cluster.conninfo()};
        pqxx::nontransaction n{c};
        n.exec("CREATE DATABASE lt_chaos");
    }
    const std::string db = with_dbname(cluster.conninfo(), "lt_chaos");
    REQUIRE(std::system(("'" + ingest_executable() + "' migrate --db '" + db + "' >/dev/null").c_str()) == 0); // NOLINT
    const auto dir = make_temp_dir("chaos");
    child_process sim{{sim_executable(), "--chain", "both", "--seed", "2024", "--rate", "60", "--slot-ms", "100",
                          "--nano-accounts", "40", "--history", "100", "--produce-for", "62", "--duration", "80",
                          "--drop", "0.05", "--duplicate", "0.02", "--reorder", "4", "--disconnect-every", "3000",
                          "--outage", "22:5", "--rpc-error-rate", "0.03", "--ports-file", dir + "/ports.json", "--truth", dir + "/truth.jsonl",
                          "--log-level", "warn"},
        dir + "/sim"};
    const auto ports = read_ports_file(dir + "/ports.json", 20s);
    REQUIRE(ports);
    {
        std::ofstream cfg{dir + "/ingest.toml"};
        cfg << fmt::format(R"([database]
url = "{}"
[nano]
ws_url = "ws://127.0.0.1:{}"
rpc_url = "http://127.0.0.1:{}"
reconnect_initial_ms = 100
reconnect_max_ms = 1000
[solana]
ws_url = "ws://127.0.0.1:{}"
rpc_url = "http://127.0.0.1:{}"
reconnect_initial_ms = 100
reconnect_max_ms = 1000
[writer]
batch_max_age_ms = 100
retry_initial_ms = 100
retry_max_ms = 1000
[backfill]
solana_start = "first_available"
reconcile_interval_s = 3
)",
            db, ports->nano_ws, ports->nano_rpc, ports->solana_ws, ports->solana_rpc);
    }
    const std::vector<std::string> ingest_argv{ingest_executable(), "--config", dir + "/ingest.toml"};
    auto ingest = std::make_unique<child_process>(ingest_argv, dir + "/ingest1");

    // SIGKILL mid-stream: whatever sat in the queue is gone; backfill has to bring it back.
    std::this_thread::sleep_for(14s);
    ingest->kill();
    REQUIRE(ingest->wait(10s));
    ingest = std::make_unique<child_process>(ingest_argv, dir + "/ingest2");
    // The outage (22 s..27 s) happens in between. Then the database restarts.
    std::this_thread::sleep_for(20s);
    cluster.stop();
    std::this_thread::sleep_for(4s);
    cluster.start();

    const auto sim_rc = sim.wait(120s);
    REQUIRE(sim_rc);
    CHECK(*sim_rc == 0);
    const auto truth = load_truth(dir + "/truth.jsonl");
    REQUIRE(truth.complete);
    // Settle: every Nano block and gap closed, the Solana watermark at the last finalized slot.
    const std::uint64_t last_finalized = truth.solana_blocks.empty() ? 0 : truth.solana_blocks.rbegin()->first;
    auto watermark = [&] {
        return count(db, "SELECT coalesce(max(value), 0) FROM ledgertap.watermarks WHERE key = 'finalized_slot'");
    };
    wait_until([&] {
        return count(db, "SELECT count(*) FROM nano.blocks") >= truth.nano_blocks.size()
            && count(db, "SELECT count(*) FROM ledgertap.gaps WHERE status IN ('open', 'filling')") == 0;
    }, 30s, 500ms);
    ingest->terminate();
    const auto ingest_rc = ingest->wait(60s);
    REQUIRE(ingest_rc);
    CHECK(*ingest_rc == 0);

    // ---- Nano: every confirmed block once, exact ----
    pqxx::connection c{db};
    pqxx::work tx{c};
    std::map<std::string, std::vector<std::string>> stored;
    for (const auto& r : tx.exec("SELECT hash, account, previous, height::text, type, coalesce(subtype, ''), "
                                 "coalesce(representative, ''), coalesce(balance::text, ''), coalesce(link, ''), "
                                 "coalesce(amount::text, ''), signature, work, origin FROM nano.blocks")) {
        std::vector<std::string> v;
        for (int i = 1; i < 13; ++i) {
            v.emplace_back(r[i].c_str());
        }
        stored[r[0].c_str()] = std::move(v);
    }
    const char* names[] = {"account", "previous", "height", "type", "subtype", "representative", "balance", "link",
        "amount", "signature", "work"};
    std::vector<std::string> nano_bad;
    for (const auto& [hash, b] : truth.nano_blocks) {
        const auto it = stored.find(hash);
        if (it == stored.end()) {
            nano_bad.push_back("missing " + hash);
            continue;
        }
        for (int i = 0; i < 11; ++i) {
            const auto want = b.fields.count(names[i]) != 0 ? b.fields.at(names[i]) : "";
            if (it->second[static_cast<std::size_t>(i)] != want) {
                nano_bad.push_back(fmt::format("{} {}: '{}' vs truth '{}'", hash, names[i], it->second[static_cast<std::size_t>(i)], want));
            }
        }
    }
    const auto nano_extra = stored.size() > truth.nano_blocks.size() ? stored.size() - truth.nano_blocks.size() : 0;
    const auto backfilled = count(db, "SELECT count(*) FROM nano.blocks WHERE origin = 'rpc_backfill'");

    // ---- Solana: the finalized chain up to the watermark ----
    const auto w = watermark();
    std::map<std::uint64_t, std::vector<std::string>> sblocks;
    for (const auto& r : tx.exec("SELECT slot, blockhash, previous_blockhash, parent_slot::text, "
                                 "coalesce(extract(epoch FROM block_time)::bigint::text, ''), coalesce(block_height::text, ''), "
                                 "coalesce(transaction_count::text, ''), commitment FROM solana.blocks")) {
        sblocks[r[0].as<std::uint64_t>()] = {r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str(), r[5].c_str(),
            r[6].c_str(), r[7].c_str()};
    }
    std::map<std::uint64_t, std::string> status;
    for (const auto& r : tx.exec("SELECT slot, coalesce(status, '') FROM solana.slots")) {
        status[r[0].as<std::uint64_t>()] = r[1].c_str();
    }
    const char* snames[] = {"blockhash", "previous_blockhash", "parent_slot", "block_time", "block_height", "transaction_count"};
    std::vector<std::string> sol_bad;
    std::size_t sol_checked = 0;
    for (const auto& [slot, b] : truth.solana_blocks) {
        if (slot > w) {
            continue;
        }
        ++sol_checked;
        const auto it = sblocks.find(slot);
        if (it == sblocks.end()) {
            sol_bad.push_back(fmt::format("block {} missing", slot));
            continue;
        }
        for (int i = 0; i < 6; ++i) {
            if (it->second[static_cast<std::size_t>(i)] != b.fields.at(snames[i])) {
                sol_bad.push_back(fmt::format("block {} {}: '{}' vs truth '{}'", slot, snames[i], it->second[static_cast<std::size_t>(i)], b.fields.at(snames[i])));
            }
        }
        if (it->second[6] != "finalized" || status[slot] != "finalized") {
            sol_bad.push_back(fmt::format("block {} commitment {} status {}", slot, it->second[6], status[slot]));
        }
    }
    std::size_t skipped_checked = 0;
    for (const auto slot : truth.solana_skipped) {
        if (slot > w) {
            continue;
        }
        ++skipped_checked;
        if (status[slot] != "skipped" && status[slot] != "orphaned") {
            sol_bad.push_back(fmt::format("slot {} status '{}', truth skipped", slot, status[slot]));
        }
    }
    for (const auto& [slot, _] : sblocks) {
        if (slot <= w && !truth.solana_blocks.contains(slot)) {
            sol_bad.push_back(fmt::format("block {} stored but not finalized", slot));
        }
    }
    const auto sol_backfilled = count(db, "SELECT count(*) FROM solana.blocks WHERE origin = 'rpc_backfill'");
    const auto open_gaps = count(db, "SELECT count(*) FROM ledgertap.gaps WHERE status IN ('open', 'filling', 'unfillable')");
    const auto gaps_filled = count(db, "SELECT count(*) FROM ledgertap.gaps WHERE status = 'filled'");
    const auto connections = count(db, "SELECT count(*) FROM ledgertap.connections");

    std::uint64_t dropped = 0;
    std::uint64_t duplicated = 0;
    for (const auto& cn : truth.nano_connections) {
        dropped += cn.dropped;
        duplicated += cn.duplicated;
    }
    const auto figures = fmt::format(
        "chaos figures: nano {} confirmed blocks in truth, {} stored ({} by backfill), {} mismatches, {} extra; "
        "{} notifications dropped, {} duplicated on Nano; solana {} finalized blocks checked up to watermark {} "
        "(last finalized {}), {} by backfill, {} skipped slots checked, {} mismatches; gaps filled {}, left open {}; "
        "{} connections",
        truth.nano_blocks.size(), stored.size(), backfilled, nano_bad.size(), nano_extra, dropped, duplicated,
        sol_checked, w, last_finalized, sol_backfilled, skipped_checked, sol_bad.size(), gaps_filled, open_gaps,
        connections);
    std::cout << figures << "\n";
    INFO(figures);
    INFO("nano: " << fmt::format("{}", fmt::join(nano_bad.begin(), nano_bad.begin() + std::min<std::size_t>(nano_bad.size(), 5), "; ")));
    INFO("solana: " << fmt::format("{}", fmt::join(sol_bad.begin(), sol_bad.begin() + std::min<std::size_t>(sol_bad.size(), 5), "; ")));
    CHECK(nano_bad.empty());
    CHECK(nano_extra == 0);
    CHECK(sol_bad.empty());
    CHECK(open_gaps == 0);
    CHECK(w + 100 >= last_finalized);
    CHECK(dropped > 0);
    CHECK(backfilled > 0);
    CHECK(sol_backfilled > 0);
    CHECK(connections >= 4);
}

} // namespace ledgertap::test
