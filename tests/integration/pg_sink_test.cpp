// pg_sink's staging tables keep their rows across commits (ON COMMIT PRESERVE ROWS), so the sink
// itself must empty them: a batch merges exactly its own rows, never rows an earlier batch staged,
// whether that batch committed, was refused and rolled back, or was isolated part by part under
// savepoints; and the tables stay small over many batches although autovacuum never processes
// temp tables. The merges here accumulate (n = n + count), so a row merged twice shows, and each
// table's post-merge statement records, from inside the sink's own session, how many rows its
// staging table held and how large it was.

#include "ingest/pg_sink.hpp"
#include "tests/support/pg.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace ledgertap::test {
namespace {

using ingest::row;
using ingest::row_group;
using ingest::table_id;
using ingest::write_status;

constexpr table_id sum_table = 0;
constexpr table_id checked_table = 1;
constexpr int idle_tables = 20; ///< Registered, never written: a batch must not pay for them.

/// The test tables in `db`, and the table_set pg_sink stages them with.
ingest::table_set make_tables(const scratch_database& db) {
    exec_sql(
        db.conninfo(),
        "CREATE TABLE sums (k integer PRIMARY KEY, n bigint NOT NULL, total bigint NOT NULL);"
        "CREATE TABLE checked (k integer PRIMARY KEY, v integer NOT NULL CHECK (v >= 0));"
        "CREATE TABLE idle (k integer PRIMARY KEY);"
        "CREATE TABLE seen (id bigserial PRIMARY KEY, tbl text NOT NULL, staged bigint NOT NULL, "
        "    bytes bigint NOT NULL)");
    const auto seen = [](const std::string& tbl, const std::string& staging) {
        return fmt::format(
            "INSERT INTO seen (tbl, staged, bytes) SELECT '{}', count(*), "
            "pg_relation_size('{}') FROM {{staging}}",
            tbl,
            staging);
    };
    ingest::table_set tables;
    tables.add(
        {"test.sums",
         "lt_stage_test_sums",
         {{"k", "integer"}, {"v", "bigint"}},
         "INSERT INTO sums AS s (k, n, total) SELECT k, count(*), sum(v) FROM {staging} GROUP BY k "
         "ON CONFLICT (k) DO UPDATE SET n = s.n + excluded.n, total = s.total + excluded.total",
         {seen("sums", "lt_stage_test_sums")}});
    tables.add(
        {"test.checked",
         "lt_stage_test_checked",
         {{"k", "integer"}, {"v", "integer"}},
         "INSERT INTO checked (k, v) SELECT k, v FROM {staging} "
         "ON CONFLICT (k) DO UPDATE SET v = excluded.v",
         {seen("checked", "lt_stage_test_checked")}});
    for (int i = 0; i < idle_tables; ++i) {
        const auto staging = fmt::format("lt_stage_test_idle_{}", i);
        tables.add(
            {fmt::format("test.idle{}", i),
             staging,
             {{"k", "integer"}},
             "INSERT INTO idle (k) SELECT k FROM {staging} ON CONFLICT DO NOTHING"});
    }
    return tables;
}

row_group group(table_id table, int first_k, int count, int v) {
    row_group g;
    g.origin = "test";
    for (int k = first_k; k < first_k + count; ++k) {
        g.rows.push_back(row{table, fmt::format("{}\t{}\n", k, v)});
    }
    return g;
}

std::string scalar(const scratch_database& db, const std::string& sql) {
    return query_scalar(db.conninfo(), sql).value_or("NULL");
}

/// "n/total" of key k in sums.
std::string sum_of(const scratch_database& db, int k) {
    return scalar(db, fmt::format("SELECT n || '/' || total FROM sums WHERE k = {}", k));
}

/// What the merges saw since seen id `after`: "table:staged_rows" in merge order.
std::string seen_since(const scratch_database& db, const std::string& after) {
    return scalar(
        db,
        "SELECT coalesce(string_agg(tbl || ':' || staged, ' ' ORDER BY id), '') "
        "FROM seen WHERE id > "
            + after);
}

std::string last_seen_id(const scratch_database& db) {
    return scalar(db, "SELECT coalesce(max(id), 0) FROM seen");
}

TEST_CASE(
    "pg_sink: each batch merges only its own rows, after a committed, a refused and an "
    "isolated batch alike",
    "[ingest][pg_sink]") {
    scratch_database db{"pg_sink_rows"};
    const auto tables = make_tables(db);
    ingest::pg_sink sink{db.conninfo(), tables};

    // 1. Both tables, committed.
    std::vector<row_group> b1{group(sum_table, 1, 10, 1), group(checked_table, 1, 5, 1)};
    REQUIRE(sink.write(b1).status == write_status::ok);
    CHECK(sum_of(db, 1) == "1/1");
    CHECK(seen_since(db, "0") == "sums:10 checked:5");

    // 2. The same keys again, one table only: the first batch's rows are not merged again.
    auto mark = last_seen_id(db);
    std::vector<row_group> b2{group(sum_table, 1, 10, 2)};
    REQUIRE(sink.write(b2).status == write_status::ok);
    CHECK(sum_of(db, 1) == "2/3");
    CHECK(sum_of(db, 10) == "2/3");
    CHECK(seen_since(db, mark) == "sums:10");

    // 3. Refused as a whole (checked's CHECK), rolled back: nothing of it is stored or staged.
    std::vector<row_group> b3{
        group(sum_table, 100, 3, 5), group(checked_table, 6, 1, -1), group(checked_table, 7, 2, 1)};
    mark = last_seen_id(db);
    REQUIRE(sink.write(b3).status == write_status::reject);
    CHECK(scalar(db, "SELECT count(*) FROM sums WHERE k >= 100") == "0");
    CHECK(seen_since(db, mark) == "");

    // 4. The same batch isolated: the good groups stored once, the bad one refused.
    std::vector<std::string> refused;
    REQUIRE(sink.write_isolated(b3, refused).status == write_status::ok);
    REQUIRE(refused.size() == 3);
    CHECK(refused[0].empty());
    CHECK(refused[1].find("checked_v_check") != std::string::npos);
    CHECK(refused[1].find("merge into test.checked") != std::string::npos);
    CHECK(refused[2].empty());
    CHECK(sum_of(db, 100) == "1/5");
    CHECK(scalar(db, "SELECT string_agg(k::text, ',' ORDER BY k) FROM checked") == "1,2,3,4,5,7,8");

    // 5. After the isolation: neither the refused row nor the isolated parts' rows are staged
    //    again (a leftover refused row would make this batch fail too).
    mark = last_seen_id(db);
    std::vector<row_group> b5{group(sum_table, 100, 1, 1), group(checked_table, 9, 1, 1)};
    REQUIRE(sink.write(b5).status == write_status::ok);
    CHECK(sum_of(db, 100) == "2/6");
    CHECK(sum_of(db, 101) == "1/5");
    CHECK(seen_since(db, mark) == "sums:1 checked:1");
    CHECK(scalar(db, "SELECT count(*) FROM checked") == "8");
    CHECK(sink.connects() == 1);
}

TEST_CASE(
    "pg_sink: a row its staging COPY refuses is isolated and named by that COPY, the rows staged "
    "before and after it in the same query are stored",
    "[ingest][pg_sink]") {
    scratch_database db{"pg_sink_copy_refused"};
    const auto tables = make_tables(db);
    ingest::pg_sink sink{db.conninfo(), tables};

    // One query stages sums, then checked (whose second group is not an integer), then merges.
    row_group bad;
    bad.origin = "test";
    bad.rows.push_back(row{checked_table, "20\tnot-a-number\n"});
    std::vector<row_group> batch{group(sum_table, 1, 3, 1), group(checked_table, 10, 2, 1), bad,
        group(checked_table, 30, 1, 1)};
    const auto whole = sink.write(batch);
    REQUIRE(whole.status == write_status::reject);
    CHECK(whole.detail.find("COPY into test.checked") != std::string::npos);
    CHECK(scalar(db, "SELECT count(*) FROM sums") == "0");

    std::vector<std::string> refused;
    REQUIRE(sink.write_isolated(batch, refused).status == write_status::ok);
    REQUIRE(refused.size() == 4);
    CHECK(refused[0].empty());
    CHECK(refused[1].empty());
    CHECK(refused[2].find("COPY into test.checked") != std::string::npos);
    CHECK(refused[2].find("not-a-number") != std::string::npos);
    CHECK(refused[3].empty());
    CHECK(scalar(db, "SELECT string_agg(k::text, ',' ORDER BY k) FROM sums") == "1,2,3");
    CHECK(scalar(db, "SELECT string_agg(k::text, ',' ORDER BY k) FROM checked") == "10,11,30");

    // The connection and the staging tables are clean for the next batch.
    std::vector<row_group> next{group(checked_table, 40, 1, 1)};
    REQUIRE(sink.write(next).status == write_status::ok);
    CHECK(scalar(db, "SELECT count(*) FROM checked") == "4");
    CHECK(sink.connects() == 1);
}

TEST_CASE(
    "pg_sink: staging tables stay bounded over many batches, refused ones included",
    "[ingest][pg_sink]") {
    scratch_database db{"pg_sink_bounded"};
    const auto tables = make_tables(db);
    ingest::pg_sink_options options;
    ingest::pg_sink sink{db.conninfo(), tables, options};

    // 600 narrow rows (~22 KB as heap tuples) per batch into sums; ~13 MB over the run.
    constexpr int batches = 600;
    constexpr int keys = 600;
    std::uint64_t committed = 0;
    std::uint64_t total = 0;
    for (int b = 1; b <= batches; ++b) {
        std::vector<row_group> batch{group(sum_table, 0, keys, b)};
        if (b % 7 == 0) {
            // Refused, then isolated as the writer does: rolled-back rows also take space.
            batch.push_back(group(checked_table, b, 1, -1));
            REQUIRE(sink.write(batch).status == write_status::reject);
            std::vector<std::string> refused;
            REQUIRE(sink.write_isolated(batch, refused).status == write_status::ok);
            REQUIRE(!refused[1].empty());
        } else {
            REQUIRE(sink.write(batch).status == write_status::ok);
        }
        ++committed;
        total += static_cast<std::uint64_t>(b);
    }
    // Exact: every batch merged once.
    CHECK(
        scalar(
            db,
            "SELECT count(*) FROM sums WHERE n = " + std::to_string(committed)
                + " AND total = " + std::to_string(total))
        == std::to_string(keys));
    CHECK(
        scalar(
            db,
            "SELECT count(*) FROM seen WHERE tbl = 'sums' AND staged <> " + std::to_string(keys))
        == "0");
    // Bounded: about staging_truncate_bytes plus one batch; never the ~13 MB that keeping every
    // deleted row would take.
    const auto max_bytes = std::stoll(scalar(db, "SELECT max(bytes) FROM seen WHERE tbl = 'sums'"));
    const auto bound = static_cast<long long>(4 * options.staging_truncate_bytes);
    INFO("largest staging table size at a merge: " << max_bytes << " bytes; bound " << bound);
    CHECK(max_bytes > 0);
    CHECK(max_bytes < bound);
    // Still bounded at the end, seen from another session.
    CHECK(
        std::stoll(scalar(
            db,
            "SELECT pg_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = "
            "c.relnamespace WHERE c.relname = 'lt_stage_test_sums' AND n.nspname LIKE 'pg_temp%'"))
        < bound);
}

TEST_CASE(
    "pg_sink: after its connection is killed, the next session stages into fresh tables "
    "and merges exactly",
    "[ingest][pg_sink]") {
    scratch_database db{"pg_sink_reset"};
    const auto tables = make_tables(db);
    std::random_device rd;
    ingest::pg_sink_options options;
    options.application_name = fmt::format("lt_sink_test_{}_{}", getpid(), rd() % 1000000);
    ingest::pg_sink sink{db.conninfo(), tables, options};

    std::vector<row_group> b1{group(sum_table, 1, 50, 1)};
    REQUIRE(sink.write(b1).status == write_status::ok);
    CHECK(
        scalar(
            db,
            fmt::format(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = '{}'",
                options.application_name))
        == "1");
    std::vector<row_group> b2{group(sum_table, 1, 50, 2), group(checked_table, 1, 1, 1)};
    // The first attempt finds the connection gone; the writer would resend.
    auto r = sink.write(b2);
    if (r.status == write_status::retry) {
        r = sink.write(b2);
    }
    REQUIRE(r.status == write_status::ok);
    CHECK(sink.connects() == 2);
    CHECK(scalar(db, "SELECT count(*) FROM sums WHERE n = 2 AND total = 3") == "50");
    const auto mark = last_seen_id(db);
    std::vector<row_group> b3{group(sum_table, 1, 50, 3)};
    REQUIRE(sink.write(b3).status == write_status::ok);
    CHECK(seen_since(db, mark) == "sums:50");
    CHECK(scalar(db, "SELECT count(*) FROM sums WHERE n = 3 AND total = 6") == "50");
}

TEST_CASE(
    "pg_sink: the merges run with the work_mem the options give, enough to sort a default "
    "batch in memory",
    "[ingest][pg_sink]") {
    CHECK(ingest::work_mem_for_batch(std::size_t{8} << 20U) == 16384);
    CHECK(ingest::work_mem_for_batch(std::size_t{1} << 20U) == 4096);

    scratch_database db{"pg_sink_work_mem"};
    // A merge that sorts its staged rows as the Nano merges do (DISTINCT ON over wide rows), and
    // a post-merge statement that records the sink session's work_mem.
    exec_sql(
        db.conninfo(),
        "CREATE TABLE wide (k integer PRIMARY KEY, pad text NOT NULL);"
        "CREATE TABLE session (id bigserial PRIMARY KEY, work_mem text NOT NULL)");
    ingest::table_set tables;
    tables.add(
        {"test.wide",
         "lt_stage_test_wide",
         {{"k", "integer"}, {"pad", "text"}},
         "INSERT INTO wide (k, pad) SELECT DISTINCT ON (k) k, pad FROM {staging} ORDER BY k, pad "
         "ON CONFLICT (k) DO UPDATE SET pad = excluded.pad",
         {"INSERT INTO session (work_mem) SELECT current_setting('work_mem')"}});
    // 5,000 rows of ~900 bytes, as a default batch of confirmations: about 4.5 MB to sort.
    row_group g;
    g.origin = "test";
    for (int k = 0; k < 5000; ++k) {
        const std::string pad(900, static_cast<char>('a' + k % 26));
        g.rows.push_back(row{0, fmt::format("{}\t{}\n", k, pad)});
    }
    const std::vector<row_group> batch{g};
    const auto merged_with = [&](std::size_t work_mem_kb) {
        ingest::pg_sink_options options;
        options.work_mem_kb = work_mem_kb;
        ingest::pg_sink sink{db.conninfo(), tables, options};
        REQUIRE(sink.write(batch).status == write_status::ok);
        return scalar(db, "SELECT work_mem FROM session ORDER BY id DESC LIMIT 1");
    };
    CHECK(merged_with(0) == "4MB"); // the server's default
    CHECK(merged_with(ingest::work_mem_for_batch(std::size_t{8} << 20U)) == "16MB");

    // Why: the same sort over the same 5,000 rows goes to disk with 4 MB and not with 16 MB.
    const auto sort_method = [&](const char* work_mem) {
        const auto plan = scalar(
            db,
            fmt::format(
                "SET LOCAL work_mem = '{}'; EXPLAIN (ANALYZE, FORMAT JSON) SELECT DISTINCT ON "
                "(k) k, pad FROM wide ORDER BY k, pad",
                work_mem));
        const auto at = plan.find("\"Sort Method\": \"");
        REQUIRE(at != std::string::npos);
        const auto from = at + std::string_view{"\"Sort Method\": \""}.size();
        return plan.substr(from, plan.find('"', from) - from);
    };
    CHECK(sort_method("4MB") == "external merge");
    CHECK(sort_method("16MB") == "quicksort");
}

} // namespace
} // namespace ledgertap::test
