// Solana ingestion end to end: ledgertap-sim (Solana node, optionally with the Nano node too) ->
// ledgertap-ingest -> PostgreSQL, checked against the simulator's truth: the finalized chain up to
// the watermark stored exactly (blocks, transaction counts), skipped slots proven, statuses never
// regressing under reordered and duplicated delivery, bad frames dead-lettered, reconnection, and
// both sources in one process.

#include "tests/support/pg.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/process.hpp"
#include "schema/codec.hpp"
#include "sim/solana_chain.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pqxx/pqxx>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

std::uint64_t count(const std::string& db, const std::string& sql) {
    return std::stoull(query_scalar(db, sql).value_or("0"));
}

class solana_pipeline {
public:
    /// `extra_config` goes into [solana]; without `backfill` what is stored can only have come
    /// over the WebSocket.
    solana_pipeline(const std::string& db, const std::string& chain, std::vector<std::string> sim_args,
        const std::string& extra_config = {}, bool backfill = true)
        : dir_(make_temp_dir("solana-ingest")) {
        std::vector<std::string> argv{sim_executable(), "--chain", chain, "--ports-file", dir_ + "/ports.json",
            "--truth", dir_ + "/truth.jsonl", "--log-level", "warn", "--slot-ms", "40"};
        argv.insert(argv.end(), sim_args.begin(), sim_args.end());
        sim_ = std::make_unique<child_process>(argv, dir_ + "/sim");
        const auto ports = read_ports_file(dir_ + "/ports.json", 20s);
        REQUIRE(ports);
        std::ofstream cfg{dir_ + "/ingest.toml"};
        cfg << fmt::format(R"([database]
url = "{}"
[solana]
ws_url = "ws://127.0.0.1:{}"
rpc_url = "http://127.0.0.1:{}"
reconnect_initial_ms = 50
reconnect_max_ms = 500
{}
[writer]
batch_max_age_ms = 50
retry_initial_ms = 50
retry_max_ms = 1000
{}
)",
            db, ports->solana_ws, ports->solana_rpc, extra_config,
            backfill ? "[backfill]\nsolana_start = \"first_available\"\nreconcile_interval_s = 2"
                     : "[backfill]\nenabled = false");
        if (chain == "both") {
            cfg << fmt::format("[nano]\nws_url = \"ws://127.0.0.1:{}\"\nrpc_url = \"http://127.0.0.1:{}\"\n",
                ports->nano_ws, ports->nano_rpc);
        }
        cfg.close();
        ingest_ = std::make_unique<child_process>(
            std::vector<std::string>{ingest_executable(), "--config", dir_ + "/ingest.toml"}, dir_ + "/ingest");
    }

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
    [[nodiscard]] bool ingest_running() { return ingest_->running(); }

private:
    std::string dir_;
    std::unique_ptr<child_process> sim_;
    std::unique_ptr<child_process> ingest_;
};

std::uint64_t watermark(const std::string& db) {
    return count(db, "SELECT coalesce(max(value), 0) FROM ledgertap.watermarks WHERE source = 'solana' "
                     "AND key = 'finalized_slot'");
}

/// The stored finalized chain compared with the truth, for every slot up to the watermark.
std::vector<std::string> chain_mismatches(const std::string& db, const sim_truth& truth, std::uint64_t w) {
    pqxx::connection c{db};
    pqxx::work tx{c};
    std::map<std::uint64_t, std::map<std::string, std::string>> blocks;
    for (const auto& r : tx.exec("SELECT slot, blockhash, previous_blockhash, parent_slot, "
                                 "coalesce(extract(epoch FROM block_time)::bigint::text, ''), "
                                 "coalesce(block_height::text, ''), coalesce(transaction_count::text, ''), commitment, "
                                 "(SELECT count(*) FROM solana.transactions t WHERE t.slot = b.slot) "
                                 "FROM solana.blocks b WHERE slot <= " + std::to_string(w))) {
        auto& m = blocks[r[0].as<std::uint64_t>()];
        m["blockhash"] = r[1].c_str();
        m["previous_blockhash"] = r[2].c_str();
        m["parent_slot"] = r[3].c_str();
        m["block_time"] = r[4].c_str();
        m["block_height"] = r[5].c_str();
        m["transaction_count"] = r[6].c_str();
        m["commitment"] = r[7].c_str();
        m["stored_transactions"] = r[8].c_str();
    }
    std::map<std::uint64_t, std::string> status;
    for (const auto& r : tx.exec("SELECT slot, coalesce(status, '') FROM solana.slots WHERE slot <= " + std::to_string(w))) {
        status[r[0].as<std::uint64_t>()] = r[1].c_str();
    }
    std::vector<std::string> out;
    for (const auto& [slot, b] : truth.solana_blocks) {
        if (slot > w) {
            continue;
        }
        const auto it = blocks.find(slot);
        if (it == blocks.end()) {
            out.push_back(fmt::format("block {} missing", slot));
            continue;
        }
        for (const char* f : {"blockhash", "previous_blockhash", "parent_slot", "block_time", "block_height", "transaction_count"}) {
            if (it->second[f] != b.fields.at(f)) {
                out.push_back(fmt::format("block {} {}: stored '{}', truth '{}'", slot, f, it->second[f], b.fields.at(f)));
            }
        }
        if (it->second["stored_transactions"] != b.fields.at("transaction_count")) {
            out.push_back(fmt::format("block {}: {} transactions stored, truth {}", slot, it->second["stored_transactions"],
                b.fields.at("transaction_count")));
        }
        if (it->second["commitment"] != "finalized") {
            out.push_back(fmt::format("block {} commitment {}", slot, it->second["commitment"]));
        }
        if (status[slot] != "finalized") {
            out.push_back(fmt::format("slot {} status '{}', truth finalized", slot, status[slot]));
        }
    }
    for (const auto slot : truth.solana_skipped) {
        if (slot <= w && status[slot] != "skipped" && status[slot] != "orphaned") {
            out.push_back(fmt::format("slot {} status '{}', truth skipped", slot, status[slot]));
        }
    }
    for (const auto& [slot, _] : blocks) {
        if (!truth.solana_blocks.contains(slot)) {
            out.push_back(fmt::format("block {} stored but not on the finalized chain", slot));
        }
    }
    return out;
}

std::string first(const std::vector<std::string>& v) {
    return fmt::format("{} mismatches: {}", v.size(), fmt::join(v.begin(), v.begin() + std::min<std::size_t>(v.size(), 5), "; "));
}

std::uint64_t last_finalized(const sim_truth& t) {
    return t.solana_blocks.empty() ? 0 : t.solana_blocks.rbegin()->first;
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size())) {
        ++n;
    }
    return n;
}

std::string sql_text(const std::string& s) {
    std::string out = "'";
    for (const char c : s) {
        out += c == '\'' ? std::string{"''"} : std::string{c};
    }
    return out + "'";
}

/// The node's chain for `seed` with the transaction counts the default --solana-tx-per-block (8)
/// gives it (4-12 a block): the simulator derives its chain from these parameters alone.
sim::solana_chain_params node_chain_params(std::uint64_t seed) {
    sim::solana_chain_params params;
    params.seed = seed;
    params.min_transactions = 4;
    params.max_transactions = 12;
    return params;
}

/// ledgertap.sources for `source` agrees with its ledgertap.connections rows after a clean stop:
/// disconnected, last connected when its latest connection opened, and every message of every
/// connection (shards included) counted once.
void check_source_row(const std::string& db, const std::string& source) {
    INFO("source " << source);
    const std::string mine = fmt::format("(source = {0} OR source LIKE {0} || '#%')", sql_text(source));
    CHECK(query_scalar(db, "SELECT connected::text FROM ledgertap.sources WHERE name = " + sql_text(source)) == "false");
    CHECK(count(db, "SELECT count(*) FROM ledgertap.sources WHERE name = " + sql_text(source)
                    + " AND last_connected_at = (SELECT max(opened_at) FROM ledgertap.connections WHERE " + mine + ")") == 1);
    const auto messages = count(db, "SELECT messages_received FROM ledgertap.sources WHERE name = " + sql_text(source));
    CHECK(messages > 0);
    CHECK(messages == count(db, "SELECT sum(messages_received) FROM ledgertap.connections WHERE " + mine));
    CHECK(count(db, "SELECT count(*) FROM ledgertap.sources WHERE name = " + sql_text(source)
                    + " AND last_message_at >= last_connected_at") == 1);
}

} // namespace

TEST_CASE("solana ingest: the finalized chain is stored exactly and skipped slots are proven") {
    scratch_database db{"solana_chain"};
    db.migrate();
    solana_pipeline p{db.conninfo(), "solana", {"--duration", "10"}};
    const auto truth = p.finish_sim();
    REQUIRE(truth.solana_blocks.size() > 100);
    const auto w = watermark(db.conninfo());
    CHECK(p.stop_ingest() == 0);
    INFO(p.ingest_log().substr(0, 3000));
    // The watermark kept up with the node's finalized slot (rounds every ~0.3-2 s).
    CHECK(w + 80 >= last_finalized(truth));
    const auto bad = chain_mismatches(db.conninfo(), truth, w);
    INFO(first(bad));
    CHECK(bad.empty());
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.blocks WHERE origin = 'websocket'") > 50);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.logs") > 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.slots WHERE first_shred_at IS NOT NULL AND "
                               "optimistic_at IS NOT NULL AND rooted_at IS NOT NULL") > 50);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.transactions WHERE fee IS NULL AND slot <= " + std::to_string(w)) == 0);
    // Exact u64 balances: values above 2^53 are stored as the node sent them.
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.transactions t, unnest(t.pre_balances) AS b(v) "
                               "WHERE v > 9007199254740992") > 0);
}

TEST_CASE("solana ingest: reordered and duplicated notifications never move a slot backwards") {
    scratch_database db{"solana_order"};
    db.migrate();
    solana_pipeline p{db.conninfo(), "solana", {"--duration", "8", "--reorder", "8", "--duplicate", "0.2", "--seed", "4"}};
    const auto truth = p.finish_sim();
    const auto w = watermark(db.conninfo());
    CHECK(p.stop_ingest() == 0);
    const auto bad = chain_mismatches(db.conninfo(), truth, w);
    INFO(first(bad));
    CHECK(bad.empty());
    CHECK(w + 80 >= last_finalized(truth));
}

TEST_CASE("solana ingest: both sources in one process survive disconnects and malformed frames") {
    scratch_database db{"solana_both"};
    db.migrate();
    solana_pipeline p{db.conninfo(), "both", {"--duration", "12", "--rate", "60", "--disconnect-every", "300",
                                                "--malformed-every", "150", "--seed", "8"}};
    // While the node runs, ledgertap.sources says both sources are connected.
    CHECK(wait_until([&] {
        return count(db.conninfo(), "SELECT count(*) FROM ledgertap.sources WHERE connected AND "
                                    "messages_received > 0 AND last_connected_at IS NOT NULL") == 2;
    }, 20s));
    const auto truth = p.finish_sim();
    const auto w = watermark(db.conninfo());
    CHECK(p.stop_ingest() == 0);
    const auto bad = chain_mismatches(db.conninfo(), truth, w);
    INFO(first(bad));
    CHECK(bad.empty());
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks") > 200);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections WHERE source = 'solana'") >= 2);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections WHERE source = 'nano'") >= 2);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.rejected_messages WHERE chain = 'solana'") > 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.rejected_messages WHERE chain = 'nano'") > 0);
    check_source_row(db.conninfo(), "solana");
    check_source_row(db.conninfo(), "nano");
}

TEST_CASE("solana ingest: account and program subscriptions store every update exactly") {
    scratch_database db{"solana_accounts"};
    db.migrate();
    // The simulator's chain is a pure function of its seed: take some of its accounts and a
    // program that owns pool accounts.
    sim::solana_chain_params params;
    params.seed = 12;
    const sim::solana_chain chain{params};
    REQUIRE(chain.pool().size() >= 3);
    REQUIRE(!chain.well_known().sim_programs.empty());
    std::vector<std::string> accounts;
    for (std::size_t i = 0; i < 3; ++i) {
        accounts.push_back("\"" + schema::base58_encode(chain.pool()[i].pubkey) + "\"");
    }
    const auto program = schema::base58_encode(chain.well_known().sim_programs.front());
    solana_pipeline p{db.conninfo(), "solana", {"--duration", "8", "--seed", "12"},
        fmt::format("accounts = [{}]\nprograms = [\"{}\"]\n", fmt::join(accounts, ", "), program)};
    const auto truth = p.finish_sim();
    CHECK(p.stop_ingest() == 0);
    INFO(p.ingest_log().substr(0, 3000));
    const auto account_updates = count(db.conninfo(), "SELECT count(*) FROM solana.account_updates WHERE program IS NULL");
    const auto program_updates = count(db.conninfo(),
        "SELECT count(*) FROM solana.account_updates WHERE program = '" + program + "'");
    CHECK(account_updates > 0);
    CHECK(program_updates > 0);
    // Exact u64: rent-exempt accounts carry rentEpoch 2^64-1.
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.account_updates WHERE rent_epoch = 18446744073709551615") > 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.account_updates WHERE data IS NOT NULL AND length(data) > 0") > 0);
    // The current state is the latest update of each account.
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.accounts a WHERE a.slot <> "
                               "(SELECT max(u.slot) FROM solana.account_updates u WHERE u.pubkey = a.pubkey)") == 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.votes") > 0);
}

TEST_CASE("solana ingest: a node without blockSubscribe and voteSubscribe is reported once per method and the rest flows") {
    scratch_database db{"solana_disabled"};
    db.migrate();
    // Reconnects every few hundred frames: the -32601 comes again on every connection, the log
    // line only once. The account is not a pubkey: its error must be surfaced as the node sent it.
    solana_pipeline p{db.conninfo(), "solana", {"--duration", "10", "--seed", "5", "--disconnect-every", "400",
                                                  "--solana-disable-block-subscribe", "--solana-disable-vote-subscribe"},
        "accounts = [\"not-a-pubkey\"]\n"};
    const auto truth = p.finish_sim();
    const auto w = watermark(db.conninfo());
    CHECK(p.stop_ingest() == 0);
    const std::string log = p.ingest_log();
    INFO(log.substr(0, 4000));
    const auto connections = count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections WHERE source = 'solana'");
    CHECK(connections >= 3);
    CHECK(occurrences(log, "blockSubscribe is disabled on this node (-32601 Method not found)") == 1);
    CHECK(occurrences(log, "voteSubscribe is disabled on this node (-32601 Method not found)") == 1);
    CHECK(occurrences(log, "-32601") == 2);
    // Any other error: its code and message, each time the node answers it.
    CHECK(occurrences(log, "accountSubscribe failed: JSON-RPC error -32602 Invalid Request: Invalid pubkey provided")
          == connections);
    // Nothing came over blockSubscribe or voteSubscribe...
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.blocks WHERE origin = 'websocket'") == 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.votes") == 0);
    // ...while slot, slotsUpdates, root and logs notifications kept flowing...
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.slots WHERE parent IS NOT NULL AND first_shred_at IS NOT NULL "
                               "AND frozen_at IS NOT NULL AND rooted_at IS NOT NULL") > 100);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.logs") > 100);
    // ...and getBlock backfill still stored the finalized chain exactly.
    CHECK(w + 80 >= last_finalized(truth));
    const auto bad = chain_mismatches(db.conninfo(), truth, w);
    INFO(first(bad));
    CHECK(bad.empty());
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.blocks WHERE origin = 'rpc_backfill'") > 100);
}

TEST_CASE("solana ingest: signature subscriptions store each signature the node confirms exactly once") {
    scratch_database db{"solana_signatures"};
    db.migrate();
    constexpr std::uint64_t seed = 14;
    const auto params = node_chain_params(seed);
    sim::solana_chain chain{params};
    // 64 slots of history exist before any client connects; at 40 ms a slot, the slots 120-200
    // after them come 5-8 s into the run, long after ingest subscribed.
    const std::uint64_t from = params.first_slot + 64 + 120;
    const std::uint64_t to = params.first_slot + 64 + 200;
    while (chain.advance().slot < to) {
    }
    struct wanted {
        std::string signature;
        std::uint64_t slot = 0;
        std::string err; ///< JSON, empty for success
    };
    std::vector<wanted> want;
    std::size_t failed = 0;
    std::size_t succeeded = 0;
    std::size_t votes = 0;
    for (std::uint64_t slot = from; slot <= to && want.size() < 6; ++slot) {
        const auto block = chain.block(slot);
        if (!block) {
            continue;
        }
        for (const auto& tx : block->transactions) { // at most one a block: distinct slots
            auto& n = tx.is_vote ? votes : tx.failed() ? failed : succeeded;
            if (n < 2) {
                ++n;
                want.push_back({tx.signature_b58, slot, tx.err_json});
                break;
            }
        }
    }
    REQUIRE(failed == 2);
    REQUIRE(succeeded == 2);
    REQUIRE(votes == 2);
    // A transaction from the history (landed before the subscription) and one the node never
    // makes get no notification, as on Agave.
    const auto early = chain.block(*chain.block_at_or_before(params.first_slot + 10));
    REQUIRE(early);
    const std::string never = schema::base58_encode(schema::bytes64{});
    std::vector<std::string> listed{"\"" + early->transactions.front().signature_b58 + "\"", "\"" + never + "\""};
    for (const auto& w : want) {
        listed.push_back("\"" + w.signature + "\"");
    }
    solana_pipeline p{db.conninfo(), "solana", {"--duration", "10", "--seed", std::to_string(seed)},
        fmt::format("signatures = [{}]\n", fmt::join(listed, ", "))};
    const auto truth = p.finish_sim();
    CHECK(p.stop_ingest() == 0);
    INFO(p.ingest_log().substr(0, 3000));
    // The chain derived here is the node's.
    for (const auto& w : want) {
        REQUIRE(truth.solana_blocks.contains(w.slot));
        REQUIRE(truth.solana_blocks.at(w.slot).fields.at("blockhash")
                == schema::base58_encode(chain.find(w.slot)->blockhash));
    }
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.signatures") == want.size());
    for (const auto& w : want) {
        INFO(w.signature << " in slot " << w.slot << " err " << w.err);
        // receivedSignature first, then the one-shot processed notification at the configured
        // commitment: one row, at that commitment, with the transaction's err.
        CHECK(count(db.conninfo(), fmt::format("SELECT count(*) FROM solana.signatures WHERE signature = {} AND slot = {} "
                                               "AND confirmation_status = 'confirmed' AND err IS NOT DISTINCT FROM {}",
                                       sql_text(w.signature), w.slot, w.err.empty() ? "NULL" : sql_text(w.err) + "::jsonb"))
              == 1);
    }
}

TEST_CASE("solana ingest: PostgreSQL stopped for ten seconds mid-stream loses nothing that was received") {
    private_cluster cluster;
    {
        pqxx::connection c{cluster.conninfo()};
        pqxx::nontransaction n{c};
        n.exec("CREATE DATABASE lt_solana_outage");
    }
    const std::string db = with_dbname(cluster.conninfo(), "lt_solana_outage");
    REQUIRE(std::system(("'" + ingest_executable() + "' migrate --db '" + db + "' >/dev/null").c_str()) == 0); // NOLINT
    // No backfill and blocks at finalized: every stored block came over the WebSocket.
    solana_pipeline p{db, "solana", {"--duration", "20", "--seed", "6"}, "commitment = \"finalized\"\n", false};
    REQUIRE(wait_until([&] { return count(db, "SELECT count(*) FROM solana.blocks") > 20; }, 20s));
    const auto before = count(db, "SELECT max(slot) FROM solana.blocks");
    cluster.stop();
    std::this_thread::sleep_for(10s);
    CHECK(p.ingest_running());
    cluster.start();
    const auto truth = p.finish_sim();
    CHECK(p.ingest_running());
    CHECK(p.stop_ingest() == 0); // flushes everything received
    const std::string log = p.ingest_log();
    INFO(log.substr(0, 3000));
    CHECK(log.find("retrying") != std::string::npos);
    // The window: from the first block the subscription delivered to the last (the node stops
    // with notifications in flight). It spans the outage: 10 s is 250 slots.
    const auto lo = count(db, "SELECT min(slot) FROM solana.blocks");
    const auto hi = count(db, "SELECT max(slot) FROM solana.blocks");
    REQUIRE(hi > before + 250);
    std::vector<std::string> bad;
    std::uint64_t expected_blocks = 0;
    std::uint64_t expected_transactions = 0;
    pqxx::connection c{db};
    pqxx::work tx{c};
    for (const auto& [slot, b] : truth.solana_blocks) {
        if (slot < lo || slot > hi) {
            continue;
        }
        ++expected_blocks;
        expected_transactions += std::stoull(b.fields.at("transaction_count"));
        const auto r = tx.exec_params(
            "SELECT b.blockhash, b.origin, b.commitment, s.status, s.rooted_at IS NOT NULL, "
            "(SELECT count(*) FROM solana.transactions t WHERE t.slot = b.slot) "
            "FROM solana.blocks b LEFT JOIN solana.slots s ON s.slot = b.slot WHERE b.slot = $1",
            slot);
        if (r.empty()) {
            bad.push_back(fmt::format("block {} missing", slot));
            continue;
        }
        const auto row = r[0];
        if (row[0].as<std::string>() != b.fields.at("blockhash") || row[1].as<std::string>() != "websocket"
            || row[2].as<std::string>() != "finalized" || row[3].c_str() != std::string{"finalized"}
            || !row[4].as<bool>() || row[5].as<std::string>() != b.fields.at("transaction_count")) {
            bad.push_back(fmt::format("block {}: {} {} {} {} rooted {} with {} transactions, truth {} with {}", slot,
                row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].c_str(), row[4].c_str(), row[5].c_str(),
                b.fields.at("blockhash"), b.fields.at("transaction_count")));
        }
    }
    tx.commit();
    INFO(first(bad));
    CHECK(bad.empty());
    // Nothing twice, nothing else.
    CHECK(count(db, "SELECT count(*) FROM solana.blocks") == expected_blocks);
    CHECK(count(db, "SELECT count(*) FROM solana.transactions") == expected_transactions);
    CHECK(count(db, fmt::format("SELECT count(*) FROM solana.logs WHERE slot BETWEEN {} AND {}", lo, hi)) > 0);
}

} // namespace ledgertap::test
