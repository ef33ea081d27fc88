// The analytics functions of migrations/0006_query_analytics.sql in PostgreSQL: a 15-minute window
// over 30 days of rows is answered from the time indexes (the functions are inlined, so the range
// reaches the index scan), and the small helpers behave as documented.
//
// The tables hold 10^3..10^4 rows here, not tens of millions: inserting more would not fit the
// suite's time budget (the CHECK constraints cost ~0.1 ms a row). That is already enough for the
// planner to weigh a sequential scan against the index honestly: enable_seqscan stays on, and the
// statistics come from ANALYZE. Each plan is written to <build>/query-explain.txt.

#include "tests/support/pg.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <pqxx/pqxx>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace ledgertap::query {
namespace {

namespace fs = std::filesystem;

// 30 days of data ending now: Nano blocks every 324 s (8 000), Solana slots and blocks every
// 86 s (30 000), votes every 324 s (8 000 per chain), telemetry every 648 s (4 000).
constexpr const char* load_sql = R"(
INSERT INTO nano.blocks (hash, account, previous, height, type, subtype, signature, work,
                         confirmed_at, confirmation_type, election_duration_ms, origin, source,
                         received_at)
SELECT upper(lpad(to_hex(i), 64, '0')),
       'nano_1t9jmyhmwwkjdz3mragb7wy98ykdrkc7say6c47tfuhsjybqhzk9drsg9grz', repeat('0', 64),
       i + 1, 'state', 'send', repeat('AB', 64), 'abcdef0123456789',
       now() - i * interval '324 seconds',
       CASE WHEN i % 3 = 0 THEN 'active_quorum' ELSE 'active_confirmation_height' END,
       100 + i % 400, 'websocket', 'plan', now()
FROM generate_series(0, 7999) AS i;
INSERT INTO nano.unconfirmed_blocks (hash, account, previous, type, subtype, signature, work,
                                     first_seen_at, source, received_at)
SELECT hash, account, previous, type, subtype, signature, work,
       confirmed_at - (200 + height % 700) * interval '1 millisecond', source, received_at
FROM nano.blocks;
INSERT INTO solana.slots (slot, parent, status, first_shred_at, created_bank_at, frozen_at,
                          optimistic_at, rooted_at, source)
SELECT s, s - 1, CASE WHEN s % 20 = 7 THEN 'skipped' ELSE 'finalized' END,
       t, t + interval '20 ms', t + interval '350 ms', t + interval '650 ms', t + interval '13 s',
       'plan'
FROM generate_series(1, 30000) AS s,
     LATERAL (SELECT now() - (30000 - s) * interval '86 seconds' AS t) AS x;
INSERT INTO solana.blocks (slot, blockhash, previous_blockhash, parent_slot, block_time,
                           transaction_count, commitment, origin, source, received_at)
SELECT slot, 'abcdefghijkmnopqrstuvwxyz123456789ABCDEFGHJ',
       'abcdefghijkmnopqrstuvwxyz123456789ABCDEFGHJ', slot - 1, date_trunc('second', first_shred_at),
       100 + slot % 50, 'finalized', 'websocket', 'plan', now()
FROM solana.slots WHERE status = 'finalized';
INSERT INTO nano.votes (representative, signature, timestamp, is_final, type, source, received_at)
SELECT 'nano_1t9jmyhmwwkjdz3mragb7wy98ykdrkc7say6c47tfuhsjybqhzk9drsg9grz',
       upper(lpad(to_hex(k), 128, '0')), k, false, 'vote', 'plan', now() - k * interval '324 s'
FROM generate_series(1, 8000) AS k;
INSERT INTO solana.votes (vote_pubkey, signature, hash, slots, source, received_at)
SELECT 'abcdefghijkmnopqrstuvwxyz123456789ABCDEFGH' || chr(65 + k % 8),
       'abcdefghijkmnopqrstuvwxyz123456789ABCDEFGHJ' || lpad(translate(k::text, '0', 'z'), 30, 'x'),
       'abcdefghijkmnopqrstuvwxyz123456789ABCDEFGHJ', ARRAY[k]::bigint[], 'plan',
       now() - k * interval '324 s'
FROM generate_series(1, 8000) AS k;
INSERT INTO nano.telemetry (node_id, timestamp, address, port, block_count, cemented_count,
                            unchecked_count, account_count, bandwidth_cap, peer_count,
                            protocol_version, uptime, genesis_block, major_version, minor_version,
                            patch_version, pre_release_version, maker, active_difficulty, source,
                            received_at)
SELECT 'node_1t9jmyhmwwkjdz3mragb7wy98ykdrkc7say6c47tfuhsjybqhzk9drsg9g'
           || substr('abcdefghijkmnopqrstu', k % 20 + 1, 1) || 'z',
       now() - k * interval '648 s', '::1', 7075, k, k, 0, 0, 0, 10, 19, k,
       repeat('99', 32), 27, 1, 0, 0, 0, 'fffffff800000000', 'plan', now() - k * interval '648 s'
FROM generate_series(1, 4000) AS k;
INSERT INTO ledgertap.connections (source, url, opened_at)
SELECT CASE WHEN n < 3 THEN 'a' ELSE 'b' END, 'ws://127.0.0.1:1', now() - n * interval '1 hour'
FROM generate_series(0, 3) AS n;
ANALYZE;
)";

struct plan_case {
    std::string query;
    std::vector<std::string> indexes;   ///< each must appear in the plan
    std::vector<std::string> never_seq; ///< tables that must not be scanned sequentially
};

/// The migrated, loaded database, once per test process.
const test::scratch_database& plan_db() {
    static const std::unique_ptr<test::scratch_database> db = [] {
        auto d = std::make_unique<test::scratch_database>("query_plans");
        d->migrate();
        test::exec_sql(d->conninfo(), load_sql);
        return d;
    }();
    return *db;
}

std::string explain(pqxx::connection& conn, const std::string& sql) {
    pqxx::nontransaction tx{conn};
    std::string text;
    for (const auto& row : tx.exec("EXPLAIN (COSTS OFF) " + sql)) {
        text += row[0].c_str();
        text += '\n';
    }
    return text;
}

TEST_CASE(
    "analytics over a 15-minute window of 30 days are answered from the time indexes",
    "[query][integration][plans]") {
    const test::scratch_database& db = plan_db();
    const std::string window = "now() - interval '15 minutes'";
    const std::vector<plan_case> cases{
        {"SELECT * FROM nano.confirmation_latency_since(" + window + ")",
         {"blocks_confirmed_at_idx"},
         {"blocks", "unconfirmed_blocks"}},
        {"SELECT * FROM nano.confirmation_stats(" + window + ")",
         {"blocks_confirmed_at_idx"},
         {"blocks", "unconfirmed_blocks"}},
        {"SELECT * FROM nano.confirmation_summary(" + window + ")",
         {"blocks_confirmed_at_idx"},
         {"blocks", "unconfirmed_blocks"}},
        {"SELECT * FROM solana.slot_latency_since(" + window + ")",
         {"slots_first_shred_at_idx"},
         {"slots"}},
        {"SELECT * FROM solana.slot_stats(" + window + ", interval '10 seconds')",
         {"slots_first_shred_at_idx"},
         {"slots"}},
        {"SELECT * FROM solana.slot_summary(" + window + ")",
         {"slots_first_shred_at_idx"},
         {"slots"}},
        {"SELECT * FROM solana.block_activity(" + window + ")",
         {"slots_first_shred_at_idx", "blocks_block_time_idx"},
         {"blocks", "slots"}},
        {"SELECT * FROM solana.block_stats(" + window + ")",
         {"slots_first_shred_at_idx", "blocks_block_time_idx"},
         {"blocks", "slots"}},
        {"SELECT * FROM solana.block_summary(" + window + ")",
         {"slots_first_shred_at_idx", "blocks_block_time_idx"},
         {"blocks", "slots"}},
        {"SELECT * FROM nano.vote_summary(" + window + ")", {"votes_received_at_idx"}, {"votes"}},
        {"SELECT * FROM nano.representative_votes(" + window + ")",
         {"votes_received_at_idx"},
         {"votes"}},
        {"SELECT * FROM solana.vote_summary(" + window + ")", {"votes_received_at_idx"}, {"votes"}},
        {"SELECT * FROM solana.validator_votes(" + window + ")",
         {"votes_received_at_idx"},
         {"votes"}},
        {"SELECT * FROM nano.telemetry_spread(" + window + ")",
         {"telemetry_received_at_idx"},
         {"telemetry"}},
        {"SELECT * FROM nano.telemetry_versions(" + window + ")",
         {"telemetry_received_at_idx"},
         {"telemetry"}},
    };
    pqxx::connection conn{db.conninfo()};
    CHECK(pqxx::nontransaction{conn}.exec("SHOW enable_seqscan")[0][0].as<std::string>() == "on");
    std::ofstream report{fs::path{LEDGERTAP_BINARY_DIR} / "query-explain.txt"};
    report << "-- EXPLAIN (COSTS OFF) of the analytics functions (0006, 0007), 15-minute window "
              "over 30 "
              "days\n-- (8k Nano blocks, 30k Solana slots, 8k votes per chain, 4k telemetry "
              "rows).\n";
    for (const auto& c : cases) {
        const std::string plan = explain(conn, c.query);
        report << "\n" << c.query << "\n" << plan;
        INFO(c.query << "\n" << plan);
        for (const auto& index : c.indexes) {
            INFO(index);
            CHECK(
                (plan.find("Index Scan using " + index) != std::string::npos
                 || plan.find("Index Only Scan using " + index) != std::string::npos
                 || plan.find("Bitmap Index Scan on " + index) != std::string::npos));
        }
        // Inlined: the function itself never shows as a Function Scan.
        const auto name_start = c.query.find('.') + 1;
        const std::string function = c.query.substr(name_start, c.query.find('(') - name_start);
        CHECK(plan.find("Function Scan on " + function) == std::string::npos);
        for (const auto& table : c.never_seq) {
            CHECK(plan.find("Seq Scan on " + table + " ") == std::string::npos);
            CHECK(plan.find("Seq Scan on " + table + "\n") == std::string::npos);
        }
    }

    // The window holds what a plain filter on the base tables finds (one snapshot, one now()).
    CHECK(
        test::query_scalar(
            db.conninfo(),
            "SELECT (SELECT confirmations FROM nano.confirmation_summary(" + window
                + ") WHERE confirmation_type = 'all') || ' ' || (SELECT count(*) FROM "
                  "nano.blocks WHERE confirmed_at >= "
                + window + ")")
        == "3 3"); // a block every 324 s
    CHECK(
        test::query_scalar(
            db.conninfo(),
            "SELECT (SELECT count(*) FROM solana.slot_latency_since(" + window
                + ")) = (SELECT count(*) FROM solana.slots WHERE first_shred_at >= " + window
                + ") AND (SELECT count(*) FROM solana.slot_latency_since(" + window + ")) >= 10")
        == "t"); // a slot every 86 s
}

TEST_CASE("bucket_start and table_rows behave as documented", "[query][integration][sql]") {
    const test::scratch_database& db = plan_db();
    const auto scalar
        = [&](const std::string& sql) { return test::query_scalar(db.conninfo(), sql); };
    SECTION("bucket_start aligns buckets on UTC multiples of their width") {
        const auto at = [&](const std::string& bucket, const std::string& t) {
            return scalar(fmt::format(
                "SET TimeZone = 'UTC'; SELECT ledgertap.bucket_start(interval '{}', timestamptz "
                "'{}')::text",
                bucket,
                t));
        };
        CHECK(at("1 minute", "2024-05-01 12:34:56.789+00") == "2024-05-01 12:34:00+00");
        CHECK(at("10 seconds", "2024-05-01 12:34:56.789+00") == "2024-05-01 12:34:50+00");
        CHECK(at("15 minutes", "2024-05-01 12:34:56+02") == "2024-05-01 10:30:00+00");
        CHECK(at("1 day", "2024-05-01 23:59:59.999+00") == "2024-05-01 00:00:00+00");
    }
    SECTION("table_rows counts small tables exactly per source and estimates big ones") {
        const auto rows = [&](const std::string& table, const std::string& source) {
            return scalar(fmt::format(
                "SELECT rows FROM ledgertap.table_rows() WHERE table_name = '{}' AND source {}",
                table,
                source.empty() ? "IS NULL" : "= '" + source + "'"));
        };
        CHECK(rows("nano.blocks", "plan") == "8000");
        CHECK(rows("ledgertap.connections", "a") == "3");
        CHECK(rows("ledgertap.connections", "b") == "1");
        CHECK(rows("nano.work", "") == "0");
        CHECK(rows("nano.vote_blocks", "") == "0"); // no source column: one row
        // Above the size threshold (here: anything), the planner's estimate for the whole table.
        CHECK(
            scalar("SELECT rows || ' ' || exact || ' ' || coalesce(source, 'all') FROM "
                   "ledgertap.table_rows(0) WHERE table_name = 'solana.slots'")
            == "30000 false all");
        // Every nano, solana and ledgertap table is listed.
        CHECK(
            scalar("SELECT count(DISTINCT table_name) FROM ledgertap.table_rows()")
            == scalar("SELECT count(*) FROM pg_tables WHERE schemaname IN ('nano', 'solana', "
                      "'ledgertap') AND tablename <> 'schema_migrations'"));
    }
}

} // namespace
} // namespace ledgertap::query
