// pg_sink sends rows in binary COPY format, re-encoded from COPY text lines. Held against the
// server itself: every line below goes once through text COPY (what the server's input functions
// make of it) and once through pg_sink (binary_copy_encoder, then the server's receive
// functions), into tables of the same column types. A line one path stores, the other must store
// identically; a line one refuses, the other must refuse too (pg_sink as a data error, which the
// writer dead-letters). Then the stored rows, as the server writes them with COPY TO (the form
// ledgertap-bench-limit reads), go through pg_sink again and must come back unchanged.

#include "ingest/pg_sink.hpp"
#include "ingest/pq_handles.hpp"
#include "tests/support/pg.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

namespace ledgertap::test {
namespace {

using ingest::row_group;
using ingest::write_status;

/// One column per binary form pg_sink encodes; `id` orders the rows.
const std::vector<ingest::column> columns{{"id", "integer"}, {"t", "text"}, {"j", "jsonb"}, {"by", "bytea"},
    {"b", "boolean"}, {"s", "smallint"}, {"l", "bigint"}, {"n39", "numeric(39,0)"}, {"n20", "numeric(20,0)"},
    {"ts", "timestamptz"}, {"ta", "text[]"}, {"la", "bigint[]"}, {"na", "numeric(20,0)[]"}};

std::string table_ddl(const std::string& name) {
    std::string cols;
    for (const auto& c : columns) {
        cols += fmt::format("{}{} {}", cols.empty() ? "" : ", ", c.name, c.type);
    }
    return fmt::format("CREATE TABLE {} ({});", name, cols);
}

using conn_ptr = ingest::pq_conn;
using result_ptr = ingest::pq_result;

/// Text COPY of one line into `table`, a statement of its own: whether the server stored it.
bool text_copy(PGconn* c, const std::string& table, const std::string& line) {
    result_ptr start{PQexec(c, fmt::format("COPY {} FROM STDIN", table).c_str())};
    REQUIRE(PQresultStatus(start.get()) == PGRES_COPY_IN);
    REQUIRE(PQputCopyData(c, line.data(), static_cast<int>(line.size())) == 1);
    REQUIRE(PQputCopyEnd(c, nullptr) == 1);
    bool ok = true;
    while (PGresult* raw = PQgetResult(c)) {
        const result_ptr r{raw};
        ok = ok && PQresultStatus(r.get()) == PGRES_COMMAND_OK;
    }
    return ok;
}

/// The rows of `table` as the server writes them with text COPY, ordered by id.
std::vector<std::string> copy_out(PGconn* c, const std::string& table) {
    result_ptr start{PQexec(c, fmt::format("COPY (SELECT * FROM {} ORDER BY id) TO STDOUT", table).c_str())};
    REQUIRE(PQresultStatus(start.get()) == PGRES_COPY_OUT);
    std::vector<std::string> lines;
    char* buf = nullptr;
    int n = 0;
    while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
        lines.emplace_back(buf, static_cast<std::size_t>(n));
        PQfreemem(buf);
    }
    result_ptr end{PQgetResult(c)};
    REQUIRE(PQresultStatus(end.get()) == PGRES_COMMAND_OK);
    return lines;
}

ingest::table_set tables_into(const std::string& target) {
    ingest::table_set tables;
    tables.add({"test." + target, "lt_stage_" + target, columns,
        fmt::format("INSERT INTO {} SELECT * FROM {{staging}}", target)});
    return tables;
}

row_group one_row(const std::string& line) {
    row_group g;
    g.origin = "test/copy_binary";
    g.rows.push_back({0, line});
    return g;
}

/// `id` and twelve fields: the defaults below, with some replaced.
std::string line(int id, std::vector<std::pair<std::size_t, std::string>> fields) {
    std::vector<std::string> v{"plain", "{\"k\": [1, \"x\"]}", "\\\\x00ff", "t", "-32768", "-9223372036854775808",
        "340282366920938463463374607431768211455", "18446744073709551615", "2026-12-06 21:19:00.123+00",
        "{\"a\",\"b\\\\\"c\"}", "{1,-2}", "{0,18446744073709551615}"};
    for (auto& [k, value] : fields) {
        v.at(k - 1) = std::move(value);
    }
    std::string out = std::to_string(id);
    for (const auto& f : v) {
        out += "\t" + f;
    }
    return out + "\n";
}

} // namespace

TEST_CASE(
    "binary COPY through pg_sink stores what text COPY stores, refuses what it refuses, and reads "
    "the server's own COPY output",
    "[ingest][pg_sink][copy_binary]") {
    scratch_database db{"copy_binary"};
    exec_sql(db.conninfo(), table_ddl("by_text") + table_ddl("by_binary") + table_ddl("round_trip"));
    conn_ptr c{PQconnectdb(db.conninfo().c_str())};
    REQUIRE(PQstatus(c.get()) == CONNECTION_OK);
    // The form ledgertap-bench-limit reads rows in (it sets the same).
    result_ptr tz{PQexec(c.get(), "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'")};
    REQUIRE(PQresultStatus(tz.get()) == PGRES_COMMAND_OK);

    const std::string nulls = "\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n";
    struct sample {
        std::string line;
        bool stored; ///< what text COPY does with it (checked, not assumed)
    };
    int id = 0;
    std::vector<sample> samples;
    const auto stored = [&](std::vector<std::pair<std::size_t, std::string>> f) {
        samples.push_back({line(++id, std::move(f)), true});
    };
    const auto refused = [&](std::vector<std::pair<std::size_t, std::string>> f) {
        samples.push_back({line(++id, std::move(f)), false});
    };
    samples.push_back({std::to_string(++id) + nulls, true});
    stored({});
    stored({{1, "tab\\there\\nnew\\\\back\\101\\x42 na\xC3\xAFve \xE2\x9C\x93"}, {2, "[]"}, {3, "\\\\x"},
        {4, "f"}, {5, "0"}, {6, "0"}, {7, "0"}, {8, "0"}, {9, "1970-01-01 00:00:00+00"}, {10, "{}"}, {11, "{}"},
        {12, "{}"}});
    stored({{1, ""}, {2, "{\"nested\": {\"a\": null, \"b\": \"\\\\u00e9\"}}"}, {5, "32767"}, {6, "9223372036854775807"},
        {7, "10000"}, {8, "00012"}, {9, "0001-01-01 00:00:00+00"}, {10, "{a,NULL,\"NULL\",\"\",\" sp \"}"},
        {11, "{NULL}"}, {12, "{10000,0,NULL}"}});
    stored({{9, "294276-12-31 23:59:59.999999+00"}});
    stored({{9, "2024-02-29 12:00:00.5+00"}});
    stored({{9, "1999-12-31 23:59:59.999+00"}});
    stored({{9, "infinity"}});
    stored({{9, "-infinity"}});
    stored({{8, "-1"}, {7, "-99999999"}});
    refused({{5, "32768"}});
    refused({{6, "9223372036854775808"}});
    refused({{8, "184467440737095516150"}});                   // 21 digits in numeric(20,0)
    refused({{7, "3402823669209384634633746074317682114550"}}); // 40 digits in numeric(39,0)
    refused({{9, "2023-02-29 00:00:00+00"}});
    refused({{9, "294277-01-01 00:00:00+00"}});
    refused({{4, "maybe"}});
    refused({{3, "\\\\xzz"}});
    refused({{1, "\\377"}});     // not UTF-8
    refused({{1, "a\\0b"}});     // NUL
    refused({{2, "{bad"}});      // not JSON
    refused({{11, "{1,{2}}"}});
    refused({{11, "{1,x}"}});
    samples.push_back({std::to_string(++id) + "\tonly two fields\n", false});

    const auto binary_tables = tables_into("by_binary");
    ingest::pg_sink sink{db.conninfo(), binary_tables};
    for (const auto& s : samples) {
        INFO(s.line);
        CHECK(text_copy(c.get(), "by_text", s.line) == s.stored);
        const std::vector<row_group> batch{one_row(s.line)};
        const auto r = sink.write(batch);
        CHECK(r.status == (s.stored ? write_status::ok : write_status::reject));
        if (!s.stored) {
            // Refused as data, and the reason names what: ours, or the server's.
            CHECK_FALSE(r.detail.empty());
        }
    }
    const auto by_text = copy_out(c.get(), "by_text");
    CHECK(by_text.size() == 10);
    CHECK(copy_out(c.get(), "by_binary") == by_text);

    // The server's own text output, through binary COPY again, is the same rows.
    const auto round_tables = tables_into("round_trip");
    ingest::pg_sink again{db.conninfo(), round_tables};
    std::vector<row_group> batch;
    for (const auto& l : by_text) {
        batch.push_back(one_row(l));
    }
    REQUIRE(again.write(batch).status == write_status::ok);
    CHECK(copy_out(c.get(), "round_trip") == by_text);
}

TEST_CASE("a row binary COPY cannot encode is dead-lettered alone, with the encoder's reason", "[ingest][pg_sink][copy_binary]") {
    scratch_database db{"copy_binary_refused"};
    exec_sql(db.conninfo(), "CREATE TABLE small (k integer PRIMARY KEY, v smallint)");
    ingest::table_set tables;
    tables.add({"test.small", "lt_stage_small", {{"k", "integer"}, {"v", "smallint"}},
        "INSERT INTO small SELECT k, v FROM {staging}"});
    ingest::pg_sink sink{db.conninfo(), tables};
    std::vector<row_group> batch{one_row("1\t1\n"), one_row("2\t70000\n"), one_row("3\t3\n")};
    const auto whole = sink.write(batch);
    REQUIRE(whole.status == write_status::reject);
    CHECK(whole.detail == "COPY into test.small: column 2 (smallint): value \"70000\" is out of range for type smallint");
    std::vector<std::string> refused;
    REQUIRE(sink.write_isolated(batch, refused).status == write_status::ok);
    REQUIRE(refused.size() == 3);
    CHECK(refused[0].empty());
    CHECK(refused[1] == whole.detail);
    CHECK(refused[2].empty());
    CHECK(query_scalar(db.conninfo(), "SELECT string_agg(k || ':' || v, ' ' ORDER BY k) FROM small") == "1:1 3:3");
}

TEST_CASE("pg_sink refuses a staging column type it cannot send in binary form", "[ingest][pg_sink][copy_binary]") {
    ingest::table_set tables;
    tables.add({"test.odd", "lt_stage_odd", {{"k", "integer"}, {"p", "point"}}, "SELECT 1"});
    CHECK_THROWS_WITH(ingest::pg_sink("dbname=unused", tables),
        "test.odd: staging column p has type point, which binary COPY here does not support");
}

} // namespace ledgertap::test
