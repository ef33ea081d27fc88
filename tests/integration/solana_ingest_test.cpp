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
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

std::uint64_t count(const std::string& db, const std::string& sql) {
    return std::stoull(query_scalar(db, sql).value_or("0"));
}

class solana_pipeline {
public:
    solana_pipeline(const std::string& db, const std::string& chain, std::vector<std::string> sim_args,
        const std::string& extra_config = {})
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
[backfill]
solana_start = "first_available"
reconcile_interval_s = 2
)",
            db, ports->solana_ws, ports->solana_rpc, extra_config);
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

} // namespace ledgertap::test
