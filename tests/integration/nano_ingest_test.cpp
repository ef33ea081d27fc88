// Nano ingestion end to end: ledgertap-sim (Nano node) -> ledgertap-ingest -> a real PostgreSQL,
// checked against the simulator's truth file: every confirmation exactly once with exact fields,
// every other topic stored, duplicates and reordering harmless, malformed frames dead-lettered,
// reconnect with resubscription, a PostgreSQL outage survived, SIGTERM flushing everything.

#include "tests/support/pg.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pqxx/pqxx>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

std::uint64_t count(const std::string& db, const std::string& sql) {
    return std::stoull(query_scalar(db, sql).value_or("0"));
}

struct ingest_options {
    bool backfill = true;
    int batch_age_ms = 50;
    std::size_t batch_messages = 5000;
    std::size_t high_water = 64U << 20U;
    std::size_t low_water = 16U << 20U;
};

/// Simulator + ingest against `db`, in a temporary directory.
class nano_pipeline {
public:
    nano_pipeline(const std::string& db, std::vector<std::string> sim_args, ingest_options opts = {})
        : db_(db), dir_(make_temp_dir("nano-ingest")) {
        std::vector<std::string> argv{sim_executable(), "--chain", "nano", "--ports-file", dir_ + "/ports.json",
            "--truth", dir_ + "/truth.jsonl", "--log-level", "warn"};
        argv.insert(argv.end(), sim_args.begin(), sim_args.end());
        stretch_sim_run(argv);
        sim_ = std::make_unique<child_process>(argv, dir_ + "/sim");
        const auto ports = read_ports_file(dir_ + "/ports.json", 20s);
        REQUIRE(ports);
        std::ofstream cfg{dir_ + "/ingest.toml"};
        cfg << fmt::format(R"([database]
url = "{}"
[nano]
ws_url = "ws://127.0.0.1:{}"
rpc_url = "http://127.0.0.1:{}"
reconnect_initial_ms = 50
reconnect_max_ms = 500
[writer]
batch_max_age_ms = {}
batch_max_messages = {}
retry_initial_ms = 50
retry_max_ms = 1000
queue_high_water_bytes = {}
queue_low_water_bytes = {}
[backfill]
enabled = {}
reconcile_interval_s = 2
)",
            db, ports->nano_ws, ports->nano_rpc, opts.batch_age_ms, opts.batch_messages, opts.high_water,
            opts.low_water, opts.backfill ? "true" : "false");
        cfg.close();
        ingest_ = std::make_unique<child_process>(
            std::vector<std::string>{ingest_executable(), "--config", dir_ + "/ingest.toml"}, dir_ + "/ingest");
    }

    /// Waits for the simulator's --duration to end and returns its truth.
    sim_truth finish_sim() {
        const auto rc = sim_->wait(120s);
        REQUIRE(rc);
        CHECK(*rc == 0);
        auto truth = load_truth(dir_ + "/truth.jsonl");
        REQUIRE(truth.complete);
        return truth;
    }

    int stop_ingest() {
        ingest_->terminate();
        const auto rc = ingest_->wait(60s);
        REQUIRE(rc);
        return *rc;
    }

    [[nodiscard]] std::string ingest_log() const { return ingest_->stderr_text(); }
    [[nodiscard]] child_process& ingest() { return *ingest_; }

private:
    std::string db_;
    std::string dir_;
    std::unique_ptr<child_process> sim_;
    std::unique_ptr<child_process> ingest_;
};

/// Every truth block whose stored row differs (or is missing), as readable lines.
std::vector<std::string> block_mismatches(const std::string& db, const sim_truth& truth,
    const std::set<std::string>& only = {}) {
    pqxx::connection c{db};
    pqxx::work tx{c};
    std::map<std::string, std::map<std::string, std::string>> rows;
    for (const auto& r : tx.exec(
             "SELECT hash, account, previous, height::text, type, coalesce(subtype, ''), coalesce(representative, ''), "
             "coalesce(balance::text, ''), coalesce(link, ''), coalesce(amount::text, ''), signature, work FROM nano.blocks")) {
        auto& m = rows[r[0].c_str()];
        const char* names[] = {"hash", "account", "previous", "height", "type", "subtype", "representative", "balance",
            "link", "amount", "signature", "work"};
        for (int i = 0; i < 12; ++i) {
            m[names[i]] = r[i].is_null() ? "" : r[i].c_str();
        }
    }
    std::vector<std::string> out;
    for (const auto& [hash, b] : truth.nano_blocks) {
        if (!only.empty() && !only.contains(hash)) {
            continue;
        }
        const auto it = rows.find(hash);
        if (it == rows.end()) {
            out.push_back("missing " + hash + " (height " + b.fields.at("height") + ")");
            continue;
        }
        for (const char* f : {"account", "previous", "height", "type", "subtype", "representative", "balance", "link",
                 "amount", "signature", "work"}) {
            const auto want = b.fields.count(f) != 0 ? b.fields.at(f) : "";
            if (it->second[f] != want) {
                out.push_back(fmt::format("{} {}: stored '{}', truth '{}'", hash, f, it->second[f], want));
            }
        }
    }
    if (only.empty() && rows.size() != truth.nano_blocks.size()) {
        out.push_back(fmt::format("{} rows stored, truth has {}", rows.size(), truth.nano_blocks.size()));
    }
    return out;
}

} // namespace

TEST_CASE("nano ingest: every confirmed block stored once with exact fields, every topic stored") {
    scratch_database db{"nano_all"};
    db.migrate();
    nano_pipeline p{db.conninfo(), {"--rate", "150", "--produce-for", "6", "--duration", "12", "--nano-accounts", "24", "--history", "40"}};
    const auto truth = p.finish_sim();
    REQUIRE(truth.nano_blocks.size() > 500);
    // History that predates the client and what was confirmed after it came in via the
    // WebSocket or reconciliation; wait for the writer and backfill to settle.
    const bool settled = wait_until(
        [&] { return count(db.conninfo(), "SELECT count(*) FROM nano.blocks") >= truth.nano_blocks.size(); }, 40s);
    CHECK(p.stop_ingest() == 0);
    INFO(p.ingest_log().substr(0, 4000));
    REQUIRE(settled);
    const auto bad = block_mismatches(db.conninfo(), truth);
    INFO(fmt::format("{} mismatches: {}", bad.size(), fmt::join(bad.begin(), bad.begin() + std::min<std::size_t>(bad.size(), 5), "; ")));
    CHECK(bad.empty());
    // Live confirmations kept their confirmation data.
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE origin = 'websocket'") > 400);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE confirmation_type = 'active_quorum' "
                               "AND (election_tally IS NULL OR election_duration_ms IS NULL OR confirmed_at IS NULL)") == 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE origin = 'websocket' AND height IS NULL") == 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.votes") > 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.vote_blocks") > 0);
    // A replay is a vote seen before, delivered again: the first receipt (type vote) is kept.
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.votes WHERE type = 'replay'") == 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.votes AS v WHERE NOT EXISTS "
                               "(SELECT 1 FROM nano.vote_blocks AS vb WHERE vb.vote_id = v.id)") == 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.votes WHERE is_final AND timestamp = 18446744073709551615") > 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.elections WHERE event = 'started'") > 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.unconfirmed_blocks") > 0);
    CHECK(count(db.conninfo(), "SELECT count(DISTINCT node_id) FROM nano.telemetry") > 1);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections WHERE source = 'nano'") >= 1);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections WHERE closed_at IS NULL") == 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.gaps WHERE status IN ('open', 'filling')") == 0);
    // The stored confirmation types are exactly what the node said.
    pqxx::connection c{db.conninfo()};
    pqxx::work tx{c};
    std::size_t compared = 0;
    for (const auto& r : tx.exec("SELECT hash, confirmation_type FROM nano.blocks WHERE origin = 'websocket'")) {
        const auto it = truth.nano_blocks.find(r[0].c_str());
        REQUIRE(it != truth.nano_blocks.end());
        CHECK(it->second.fields.at("confirmation_type") == r[1].c_str());
        ++compared;
    }
    CHECK(compared > 400);
}

TEST_CASE("nano ingest: duplicates and reordering create no duplicate and no worse rows") {
    scratch_database db{"nano_dup"};
    db.migrate();
    nano_pipeline p{db.conninfo(), {"--rate", "150", "--produce-for", "5", "--duration", "10", "--duplicate", "0.3", "--reorder", "6",
                                       "--seed", "7"}};
    const auto truth = p.finish_sim();
    REQUIRE(truth.nano_connections.size() >= 1);
    CHECK(truth.nano_connections.front().duplicated > 50);
    wait_until([&] { return count(db.conninfo(), "SELECT count(*) FROM nano.blocks") >= truth.nano_blocks.size(); }, 40s);
    CHECK(p.stop_ingest() == 0);
    const auto bad = block_mismatches(db.conninfo(), truth);
    INFO(fmt::format("{} mismatches: {}", bad.size(), fmt::join(bad.begin(), bad.begin() + std::min<std::size_t>(bad.size(), 5), "; ")));
    CHECK(bad.empty());
    // Duplicates arrive as active_confirmation_height re-notifications: none may erase the
    // election data of an active_quorum confirmation.
    pqxx::connection c{db.conninfo()};
    pqxx::work tx{c};
    std::size_t quorum = 0;
    for (const auto& r : tx.exec("SELECT hash, confirmation_type, election_tally IS NOT NULL FROM nano.blocks WHERE origin = 'websocket'")) {
        const auto& want = truth.nano_blocks.at(r[0].c_str()).fields.at("confirmation_type");
        CHECK(want == r[1].c_str());
        if (want == "active_quorum") {
            CHECK(r[2].as<bool>());
            ++quorum;
        }
    }
    CHECK(quorum > 100);
}

TEST_CASE("nano ingest: malformed, binary and oversized frames are dead-lettered, everything else stored") {
    scratch_database db{"nano_bad"};
    db.migrate();
    nano_pipeline p{db.conninfo(), {"--rate", "120", "--produce-for", "5", "--duration", "10", "--malformed-every", "60",
                                       "--oversized-bytes", "17000000", "--seed", "11"}};
    const auto truth = p.finish_sim();
    wait_until([&] { return count(db.conninfo(), "SELECT count(*) FROM nano.blocks") >= truth.nano_blocks.size(); }, 40s);
    CHECK(p.stop_ingest() == 0);
    const auto bad = block_mismatches(db.conninfo(), truth);
    INFO(fmt::format("{} mismatches: {}", bad.size(), fmt::join(bad.begin(), bad.begin() + std::min<std::size_t>(bad.size(), 5), "; ")));
    CHECK(bad.empty());
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.rejected_messages WHERE reason = 'malformed_json'") > 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.rejected_messages WHERE reason = 'binary_frame'") > 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.rejected_messages WHERE reason = 'oversized' "
                               "AND size_bytes >= 17000000 AND truncated") > 0);
    // Bad frames never cost the connection.
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections") == 1);
}

TEST_CASE("nano ingest: a dropped connection is re-established and resubscribed, backfill fills the holes") {
    scratch_database db{"nano_reconnect"};
    db.migrate();
    nano_pipeline p{db.conninfo(), {"--rate", "150", "--produce-for", "7", "--duration", "13", "--disconnect-every", "700", "--seed", "5"}};
    const auto truth = p.finish_sim();
    REQUIRE(truth.nano_connections.size() >= 3);
    wait_until([&] { return count(db.conninfo(), "SELECT count(*) FROM nano.blocks") >= truth.nano_blocks.size(); }, 40s);
    CHECK(p.stop_ingest() == 0);
    const auto bad = block_mismatches(db.conninfo(), truth);
    INFO(fmt::format("{} mismatches: {}", bad.size(), fmt::join(bad.begin(), bad.begin() + std::min<std::size_t>(bad.size(), 5), "; ")));
    CHECK(bad.empty());
    const auto conns = count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections");
    CHECK(conns >= 3);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections WHERE close_code = 1006") >= 2);
    // Confirmations kept arriving over the WebSocket after reconnects (resubscribed). Every
    // connection but the last was cut after 700 frames, so it was open while blocks were produced;
    // the simulator sends confirmations only to a subscriber. The last one may open after
    // production ended (seen: one confirmation on it), so the stored rows are counted from the
    // connection before it.
    for (std::size_t i = 1; i + 1 < truth.nano_connections.size(); ++i) {
        INFO("connection " << i);
        const auto& sent = truth.nano_connections[i].sent;
        CHECK((sent.count("confirmation") != 0 && sent.at("confirmation") > 0));
    }
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks b WHERE origin = 'websocket' AND received_at > "
                               "(SELECT opened_at FROM ledgertap.connections ORDER BY opened_at DESC OFFSET 1 LIMIT 1)") > 0);
}

TEST_CASE("nano ingest: PostgreSQL stopped for ten seconds mid-stream loses nothing that was received") {
    private_cluster cluster;
    exec_sql(cluster.conninfo(), "SELECT 1");
    {
        pqxx::connection c{cluster.conninfo()};
        pqxx::nontransaction n{c};
        n.exec("CREATE DATABASE lt_outage");
    }
    const std::string db = with_dbname(cluster.conninfo(), "lt_outage");
    REQUIRE(std::system(("'" + ingest_executable() + "' migrate --db '" + db + "' >/dev/null").c_str()) == 0); // NOLINT
    // No backfill: what is stored must come from what the WebSocket delivered.
    nano_pipeline p{db, {"--rate", "100", "--produce-for", "21", "--duration", "24", "--seed", "3"}, ingest_options{false, 50, 5000}};
    REQUIRE(wait_until([&] { return count(db, "SELECT count(*) FROM nano.blocks") > 50; }, 20s));
    cluster.stop();
    std::this_thread::sleep_for(10s);
    cluster.start();
    const auto truth = p.finish_sim();
    const auto sent = truth.nano_sent("confirmation");
    REQUIRE(sent > 1000);
    const bool all = wait_until(
        [&] { return count(db, "SELECT count(*) FROM nano.blocks WHERE origin = 'websocket'") >= sent; }, 60s);
    CHECK(p.stop_ingest() == 0);
    INFO(p.ingest_log().substr(0, 3000));
    CHECK(all);
    CHECK(count(db, "SELECT count(*) FROM nano.blocks WHERE origin = 'websocket'") == sent);
    CHECK(count(db, "SELECT count(*) FROM nano.unconfirmed_blocks") == truth.nano_sent("new_unconfirmed_block"));
    CHECK(p.ingest_log().find("retrying") != std::string::npos);
}

TEST_CASE("nano ingest: a full queue stops reading the socket and resumes when the database returns") {
    private_cluster cluster;
    {
        pqxx::connection c{cluster.conninfo()};
        pqxx::nontransaction n{c};
        n.exec("CREATE DATABASE lt_pressure");
    }
    const std::string db = with_dbname(cluster.conninfo(), "lt_pressure");
    REQUIRE(std::system(("'" + ingest_executable() + "' migrate --db '" + db + "' >/dev/null").c_str()) == 0); // NOLINT
    // A 256 KiB queue: a few seconds without the database fill it.
    nano_pipeline p{db, {"--rate", "150", "--produce-for", "14", "--duration", "40", "--seed", "21"},
        ingest_options{false, 50, 5000, 256U << 10U, 64U << 10U}};
    REQUIRE(wait_until([&] { return count(db, "SELECT count(*) FROM nano.blocks") > 50; }, 20s));
    cluster.stop();
    REQUIRE(wait_until([&] { return p.ingest_log().find("feeds: paused reading") != std::string::npos; }, 30s));
    std::this_thread::sleep_for(3s);
    cluster.start();
    REQUIRE(wait_until([&] { return p.ingest_log().find("feeds: resumed reading") != std::string::npos; }, 30s));
    const auto truth = p.finish_sim();
    const auto sent = truth.nano_sent("confirmation");
    // Nothing was lost while the socket was held: TCP kept it on the node's side.
    const bool all = wait_until(
        [&] { return count(db, "SELECT count(*) FROM nano.blocks WHERE origin = 'websocket'") >= sent; }, 60s);
    CHECK(p.stop_ingest() == 0);
    CHECK(all);
    CHECK(count(db, "SELECT count(*) FROM nano.blocks WHERE origin = 'websocket'") == sent);
}

TEST_CASE("nano ingest: SIGTERM flushes everything received and exits 0") {
    scratch_database db{"nano_sigterm"};
    db.migrate();
    // Batches would only be sealed after a minute: only the drain can have written them.
    nano_pipeline p{db.conninfo(), {"--rate", "100", "--produce-for", "3", "--duration", "4", "--seed", "9"},
        ingest_options{false, 60000, 1000000}};
    const auto truth = p.finish_sim();
    std::this_thread::sleep_for(scaled(500ms)); // ingest reads what the node sent before it left
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks") == 0);
    CHECK(p.stop_ingest() == 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks") == truth.nano_sent("confirmation"));
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.votes") > 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections WHERE closed_at IS NOT NULL") == 1);
}

} // namespace ledgertap::test
