// ledgertap-query against a real PostgreSQL: a scratch database migrated and filled with the
// deterministic rows of tests/data/query/fixture.sql. Each command in every format; percentiles
// compared with values computed here from the raw rows; errors, exit codes, the read-only
// guarantee; the HTML report rendered by headless Chromium.

#include "query/cli.hpp"
#include "query/session.hpp"
#include "schema/codec.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/process.hpp"
#include "tests/support/query.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <pqxx/pqxx>
#include <rapidjson/document.h>

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <netinet/in.h>
#include <optional>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace ledgertap::query {
namespace {

namespace fs = std::filesystem;

// ---- fixture -------------------------------------------------------------------------------

/// One migrated database with the fixture rows per test process (ctest runs each test case in a
/// process of its own); dropped at exit.
const test::scratch_database& fixture_db() {
    static const std::unique_ptr<test::scratch_database> db = [] {
        auto d = std::make_unique<test::scratch_database>("query");
        d->migrate();
        std::ifstream in{fs::path{LEDGERTAP_TEST_DATA_DIR} / "query" / "fixture.sql"};
        REQUIRE(in);
        std::stringstream sql;
        sql << in.rdbuf();
        test::exec_sql(d->conninfo(), sql.str());
        return d;
    }();
    return *db;
}

using outcome = test::query_outcome;

/// run_cli in-process against the fixture database.
outcome query(std::vector<std::string> args) {
    return test::run_query(fixture_db().conninfo(), std::move(args));
}

outcome query_ok(const std::vector<std::string>& args) {
    outcome o = query(args);
    INFO(o.err);
    REQUIRE(o.code == exit_ok);
    return o;
}

rapidjson::Document query_json(std::vector<std::string> args) {
    args.insert(args.end(), {"--format", "json"});
    return test::parse_json_object(query_ok(args).out);
}

std::string str(const rapidjson::Value& v) {
    REQUIRE(v.IsString());
    return v.GetString();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        lines.push_back(line);
    }
    return lines;
}

/// Raw rows straight from the tables, for computing expectations independently.
pqxx::result raw(const std::string& sql) {
    pqxx::connection conn{fixture_db().conninfo()};
    pqxx::work tx{conn};
    return tx.exec(sql);
}

// ---- independent statistics ----------------------------------------------------------------

void check_close(std::optional<double> actual, std::optional<double> expected) {
    REQUIRE(actual.has_value() == expected.has_value());
    if (expected) {
        CHECK(*actual == Approx(*expected).epsilon(1e-12));
    }
}

/// `2024-05-01T12:00:00Z` for unix milliseconds (whole seconds).
std::string iso_minute(std::int64_t unix_ms) {
    const auto t = static_cast<std::time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec);
}

// ---- processes -----------------------------------------------------------------------------

struct process_result {
    int code = -1; ///< exit status, 128 + signal when killed by one
    std::string out;
    std::string err;
    bool timed_out = false;
};

/// Runs `argv` (argv[0] a path) to completion through test::child_process, with `env` (NAME,
/// value) set in the environment it inherits; kills it when `timeout` passes.
process_result run_process(
    const std::vector<std::string>& argv,
    const std::vector<std::pair<std::string, std::string>>& env,
    std::chrono::seconds timeout) {
    static int runs = 0;
    const fs::path capture = fs::path{LEDGERTAP_BINARY_DIR} / "query-test";
    fs::create_directories(capture);
    std::vector<std::pair<std::string, std::optional<std::string>>> saved;
    for (const auto& [name, value] : env) {
        const char* old = std::getenv(name.c_str()); // NOLINT(concurrency-mt-unsafe)
        saved.emplace_back(name, old != nullptr ? std::optional<std::string>{old} : std::nullopt);
        ::setenv(name.c_str(), value.c_str(), 1); // NOLINT(concurrency-mt-unsafe)
    }
    const fs::path prefix = capture / fmt::format("run-{}-{}", ::getpid(), runs++);
    process_result r;
    {
        test::child_process child{argv, prefix.string()};
        for (const auto& [name, old] : saved) {
            if (old) {
                ::setenv(name.c_str(), old->c_str(), 1); // NOLINT(concurrency-mt-unsafe)
            } else {
                ::unsetenv(name.c_str()); // NOLINT(concurrency-mt-unsafe)
            }
        }
        const auto code = child.wait(timeout);
        r.timed_out = !code.has_value();
        r.code = code.value_or(-1);
        if (r.timed_out) {
            child.kill();
        }
        r.out = child.stdout_text();
        r.err = child.stderr_text();
    }
    fs::remove(prefix.string() + ".stdout");
    fs::remove(prefix.string() + ".stderr");
    return r;
}

fs::path query_binary() {
    return fs::path{LEDGERTAP_BINARY_DIR} / "query" / "ledgertap-query";
}

/// A loopback TCP port nothing listens on: bound, read back, closed.
int unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0); // NOLINT
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0); // NOLINT
    ::close(fd);
    return ntohs(addr.sin_port);
}

// ---- latency -------------------------------------------------------------------------------

struct nano_row {
    std::int64_t confirmed_ms = 0;
    std::optional<double> latency_ms;
    std::optional<double> election_ms;
    std::string type;
};

std::vector<nano_row> raw_nano_rows() {
    std::vector<nano_row> rows;
    for (const auto& r : raw(R"(
        SELECT (extract(epoch FROM b.confirmed_at) * 1000)::bigint,
               (extract(epoch FROM u.first_seen_at) * 1000)::bigint,
               b.election_duration_ms, b.confirmation_type
        FROM nano.blocks AS b LEFT JOIN nano.unconfirmed_blocks AS u ON u.hash = b.hash)")) {
        nano_row n;
        n.confirmed_ms = r[0].as<std::int64_t>();
        if (!r[1].is_null()) {
            n.latency_ms = static_cast<double>(n.confirmed_ms - r[1].as<std::int64_t>());
        }
        if (!r[2].is_null()) {
            n.election_ms = r[2].as<double>();
        }
        n.type = r[3].c_str();
        rows.push_back(n);
    }
    return rows;
}

TEST_CASE(
    "latency answers per-minute and per-type percentiles exactly in every format",
    "[query][integration][latency]") {
    SECTION("latency percentiles per minute and per type equal those computed from the raw rows") {
        const std::vector<nano_row> rows = raw_nano_rows();
        REQUIRE(rows.size() == 600);
        const auto doc = query_json({"latency", "--since", "1h", "--limit", "100"});

        // Per minute and type, plus `all`.
        std::map<std::pair<std::string, std::string>, std::vector<const nano_row*>> buckets;
        for (const auto& r : rows) {
            const std::string minute = iso_minute(r.confirmed_ms / 60000 * 60000);
            buckets[{minute, r.type}].push_back(&r);
            buckets[{minute, "all"}].push_back(&r);
        }
        const auto& per_minute = doc["nano_per_minute"];
        REQUIRE(per_minute.IsArray());
        CHECK(per_minute.Size() == buckets.size());
        CHECK(buckets.size() == 40); // 10 minutes x (3 types + all)
        for (const auto& row : per_minute.GetArray()) {
            const auto key = std::make_pair(str(row["minute"]), str(row["confirmation_type"]));
            INFO(key.first << " " << key.second);
            const auto it = buckets.find(key);
            REQUIRE(it != buckets.end());
            std::vector<double> latencies;
            std::vector<double> elections;
            for (const auto* r : it->second) {
                if (r->latency_ms) {
                    latencies.push_back(*r->latency_ms);
                }
                if (r->election_ms) {
                    elections.push_back(*r->election_ms);
                }
            }
            CHECK(row["confirmations"].GetInt64() == static_cast<std::int64_t>(it->second.size()));
            check_close(
                test::json_number(row["per_second"]), static_cast<double>(it->second.size()) / 60.0);
            check_close(test::json_number(row["latency_p50_ms"]), test::percentile_cont(latencies, 0.5));
            check_close(test::json_number(row["latency_p90_ms"]), test::percentile_cont(latencies, 0.9));
            check_close(test::json_number(row["latency_p99_ms"]), test::percentile_cont(latencies, 0.99));
            check_close(test::json_number(row["election_p50_ms"]), test::percentile_cont(elections, 0.5));
        }

        // The whole window per type.
        const auto& summary = doc["nano_summary"];
        REQUIRE(summary.Size() == 4);
        CHECK(str(summary[3]["confirmation_type"]) == "all");
        for (const auto& row : summary.GetArray()) {
            const std::string type = str(row["confirmation_type"]);
            INFO(type);
            std::vector<double> latencies;
            std::int64_t n = 0;
            std::int64_t first = INT64_MAX;
            std::int64_t last = 0;
            for (const auto& r : rows) {
                if (type != "all" && r.type != type) {
                    continue;
                }
                ++n;
                first = std::min(first, r.confirmed_ms);
                last = std::max(last, r.confirmed_ms);
                if (r.latency_ms) {
                    latencies.push_back(*r.latency_ms);
                }
            }
            CHECK(row["confirmations"].GetInt64() == n);
            CHECK(row["with_latency"].GetInt64() == static_cast<std::int64_t>(latencies.size()));
            check_close(
                test::json_number(row["per_second"]),
                static_cast<double>(n - 1) / (static_cast<double>(last - first) / 1000.0));
            check_close(test::json_number(row["latency_p50_ms"]), test::percentile_cont(latencies, 0.5));
            check_close(test::json_number(row["latency_p99_ms"]), test::percentile_cont(latencies, 0.99));
            check_close(
                test::json_number(row["latency_max_ms"]),
                *std::max_element(latencies.begin(), latencies.end()));
        }
        CHECK(summary[3]["confirmations"].GetInt64() == 600);
        CHECK(summary[3]["with_latency"].GetInt64() == 588); // every 50th never seen unconfirmed

        // Solana: first shred -> optimistic / root per minute of first shred, and the skip rate.
        std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> slot_minutes;
        std::vector<double> all_optimistic;
        for (const auto& r : raw(R"(
            SELECT (extract(epoch FROM first_shred_at) * 1000)::bigint,
                   (extract(epoch FROM optimistic_at - first_shred_at) * 1000)::float8,
                   (extract(epoch FROM rooted_at - first_shred_at) * 1000)::float8
            FROM solana.slots WHERE first_shred_at IS NOT NULL)")) {
            auto& b = slot_minutes[iso_minute(r[0].as<std::int64_t>() / 60000 * 60000)];
            if (!r[1].is_null()) {
                b.first.push_back(r[1].as<double>());
                all_optimistic.push_back(r[1].as<double>());
            }
            if (!r[2].is_null()) {
                b.second.push_back(r[2].as<double>());
            }
        }
        const auto& slots_per_minute = doc["solana_per_minute"];
        REQUIRE(slots_per_minute.Size() == slot_minutes.size());
        for (const auto& row : slots_per_minute.GetArray()) {
            const auto& b = slot_minutes.at(str(row["minute"]));
            check_close(test::json_number(row["optimistic_p50_ms"]), test::percentile_cont(b.first, 0.5));
            check_close(test::json_number(row["optimistic_p99_ms"]), test::percentile_cont(b.first, 0.99));
            check_close(test::json_number(row["root_p90_ms"]), test::percentile_cont(b.second, 0.9));
            CHECK(row["rooted"].GetInt64() == static_cast<std::int64_t>(b.second.size()));
        }
        const auto& solana = doc["solana_summary"];
        REQUIRE(solana.IsObject());
        CHECK(solana["slots_seen"].GetInt64() == 1425);
        CHECK(solana["first_slot"].GetInt64() == 1000);
        CHECK(solana["last_slot"].GetInt64() == 2499);
        // Skipped slots have no shreds: they are counted over the slot range, by primary key.
        CHECK(solana["skipped"].GetInt64() == 75);
        CHECK(solana["finalized"].GetInt64() == 1387);
        check_close(test::json_number(solana["skip_rate"]), 75.0 / (75.0 + 1387.0));
        check_close(test::json_number(solana["optimistic_p50_ms"]), test::percentile_cont(all_optimistic, 0.5));
    }
    SECTION("latency prints the same numbers as an aligned table and as CSV") {
        const auto doc = query_json({"latency", "--limit", "3"});
        CHECK(doc["nano_per_minute"].Size() == 12); // the newest 3 minutes x 4 rows
        CHECK(doc["solana_per_minute"].Size() == 3);

        const outcome csv = query_ok(
            {"latency", "--limit", "3", "--format", "csv", "--section", "nano_per_minute"});
        const auto lines = lines_of(csv.out);
        REQUIRE(lines.size() == 13);
        CHECK(
            lines[0]
            == "minute,confirmation_type,confirmations,per_second,latency_p50_ms,"
               "latency_p90_ms,latency_p99_ms,election_p50_ms");
        for (std::size_t i = 1; i < lines.size(); ++i) {
            const auto& json_row = doc["nano_per_minute"][static_cast<rapidjson::SizeType>(i - 1)];
            std::vector<std::string> fields;
            std::stringstream ss{lines[i]};
            for (std::string f; std::getline(ss, f, ',');) {
                fields.push_back(f);
            }
            REQUIRE(fields.size() >= 7);
            CHECK(fields[0] == str(json_row["minute"]));
            CHECK(fields[1] == str(json_row["confirmation_type"]));
            CHECK(std::stod(fields[4]) == json_row["latency_p50_ms"].GetDouble());
        }

        const outcome table = query_ok({"latency", "--limit", "3"});
        const auto t = lines_of(table.out);
        CHECK(t[0].rfind("Nano confirmation latency (ms) by confirmation type, last 1h", 0) == 0);
        CHECK(table.out.find("Solana slot latency (ms) and skip rate") != std::string::npos);
        // The `all` summary line, with the rounded p50 of its JSON value.
        const auto all_line = std::find_if(
            t.begin(), t.end(), [](const std::string& l) { return l.rfind("all ", 0) == 0; });
        REQUIRE(all_line != t.end());
        const double p50 = doc["nano_summary"][3]["latency_p50_ms"].GetDouble();
        CHECK(all_line->find(fmt::format("{:.2f}", p50)) != std::string::npos);
        // Header, rule and rows of a list are aligned: the rule spans each column.
        const auto header = std::find_if(
            t.begin(), t.end(), [](const std::string& l) { return l.rfind("minute ", 0) == 0; });
        REQUIRE(header != t.end());
        const std::string& rule = *(header + 1);
        CHECK(rule.find_first_not_of("- ") == std::string::npos);
        CHECK((header + 2)->size() <= rule.size());
        CHECK(header->find("confirmation_type") == rule.find(" -") + 1);
    }
    SECTION("a short --since leaves nothing in the window") {
        const auto doc = query_json({"latency", "--since", "1m"});
        REQUIRE(doc["nano_summary"].Size() == 1);
        CHECK(doc["nano_summary"][0]["confirmations"].GetInt64() == 0);
        CHECK(doc["nano_per_minute"].Size() == 0);
        CHECK(doc["solana_summary"]["slots_seen"].GetInt64() == 0);
        CHECK(doc["solana_summary"]["skip_rate"].IsNull());
        const outcome table = query_ok({"latency", "--since", "1m"});
        CHECK(table.out.find("(none)") != std::string::npos);
    }
}

// ---- gaps, status --------------------------------------------------------------------------

TEST_CASE(
    "gaps and status describe the pipeline's state exactly", "[query][integration][gaps][status]") {
    SECTION("gaps lists open gaps first, then recent ones, exactly in every format") {
        const auto doc = query_json({"gaps"});
        const auto& gaps = doc["gaps"];
        REQUIRE(gaps.Size() == 3);
        CHECK(gaps[0]["first_slot"].GetInt64() == 2400);
        CHECK(str(gaps[0]["status"]) == "open");
        CHECK(
            str(gaps[0]["last_error"])
            == "getBlock timeout, \"slow\" node <script>alert(1)</script>");
        CHECK(gaps[0]["size"].GetInt64() == 11);
        CHECK(str(gaps[1]["kind"]) == "nano_account_chain");
        CHECK(
            str(gaps[1]["account"])
            == "nano_1iiedigoub554srrarf75fw88cti3bo784hktxamxe1oft77sh7u91p39zgw");
        CHECK(str(gaps[2]["status"]) == "filled");
        CHECK(gaps[2]["filled_at"].IsString());
        const auto& summary = doc["gap_summary"];
        REQUIRE(summary.Size() == 2);
        CHECK(str(summary[1]["source"]) == "solana-test");
        CHECK(summary[1]["open_gaps"].GetInt64() == 1);
        CHECK(summary[1]["filled_gaps"].GetInt64() == 1);
        CHECK(str(summary[1]["missing"]) == "11");

        // An older window keeps open gaps and drops the filled one.
        CHECK(query_json({"gaps", "--since", "1m"})["gaps"].Size() == 2);

        const outcome csv = query_ok({"gaps", "--format", "csv", "--section", "gaps"});
        const auto lines = lines_of(csv.out);
        REQUIRE(lines.size() == 4);
        CHECK(
            lines[0]
            == "id,chain,source,kind,account,first_slot,last_slot,size,status,attempts,"
               "recovered,detected_at,filled_at,last_error");
        CHECK(
            lines[1].find(R"(,"getBlock timeout, ""slow"" node <script>alert(1)</script>")")
            != std::string::npos);
        CHECK(lines[1].find(",2400,2410,11,open,3,0,") != std::string::npos);

        const outcome table = query_ok({"gaps"});
        CHECK(table.out.find("Gaps per source") != std::string::npos);
        CHECK(table.out.find("solana_slot_range") != std::string::npos);
    }
    SECTION("status shows per source connection, lag, gaps, exact watermarks and rows per table") {
        const auto doc = query_json({"status"});
        const auto& sources = doc["sources"];
        REQUIRE(sources.Size() == 2);
        CHECK(str(sources[0]["source"]) == "nano-test");
        CHECK(sources[0]["connected"].IsTrue());
        CHECK(sources[1]["connected"].IsFalse());
        // The last message was 10 minutes or more ago (the fixture's t0 + 10 min, t0 = now - 20
        // min).
        CHECK(std::stod(str(sources[0]["lag_s"])) >= 600.0);
        CHECK(sources[0]["open_gaps"].GetInt64() == 1);
        CHECK(str(sources[0]["missing"]) == "5");
        CHECK(sources[0]["messages_received"].GetInt64() == 1500);

        const auto& watermarks = doc["watermarks"];
        REQUIRE(watermarks.Size() == 2);
        CHECK(str(watermarks[0]["value"]) == "12345678901234567890"); // > 2^63, exact
        CHECK(str(watermarks[1]["key"]) == "finalized_slot");

        std::map<std::string, std::int64_t> rows;
        for (const auto& t : doc["tables"].GetArray()) {
            const std::string source = t["source"].IsNull() ? "" : str(t["source"]);
            rows[str(t["table"]) + "/" + source] = t["rows"].GetInt64();
            CHECK(t["exact"].IsTrue());
        }
        CHECK(rows.at("nano.blocks/nano-test") == 600);
        CHECK(rows.at("nano.unconfirmed_blocks/nano-test") == 589);
        CHECK(rows.at("solana.slots/solana-test") == 1500);
        CHECK(rows.at("solana.blocks/solana-test") == 1426);
        CHECK(rows.at("nano.vote_blocks/") == 300);
        CHECK(rows.at("nano.work/") == 0);
        CHECK(doc["connections"].Size() == 2);

        const outcome table = query_ok({"status"});
        CHECK(table.out.find("12345678901234567890") != std::string::npos);
        CHECK(table.out.find("nano.blocks") != std::string::npos);
        const outcome csv = query_ok({"status", "--format", "csv"});
        CHECK(csv.out.rfind("# sources\r\n", 0) == 0);
        CHECK(csv.out.find("\r\n# tables\r\ntable,source,rows,exact\r\n") != std::string::npos);
    }
}

// ---- block, account ------------------------------------------------------------------------

std::string fixture_block_hash(int i) {
    const auto r = raw(fmt::format("SELECT upper(md5('block{0}') || md5('hash{0}'))", i));
    return r[0][0].c_str();
}

TEST_CASE(
    "block and account look up Nano blocks and accounts", "[query][integration][block][account]") {
    SECTION("block shows a confirmed block with its latency, elections and votes") {
        const std::string hash = fixture_block_hash(10);
        std::string lower = hash;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
            return static_cast<char>(std::tolower(c));
        });
        const auto doc = query_json({"block", lower}); // either case is accepted
        const auto& b = doc["block"];
        REQUIRE(b.IsObject());
        CHECK(str(b["status"]) == "confirmed");
        CHECK(str(b["hash"]) == hash);
        CHECK(b["height"].GetInt64() == 3); // block 10 is the third of account 0
        CHECK(str(b["confirmation_type"]) == "active_quorum");
        CHECK(b["latency_ms"].GetDouble() == 100 + (10 * 37) % 900);
        CHECK(b["election_duration_ms"].GetInt64() == 50 + (10 * 13) % 500);
        CHECK(str(b["balance"]) == "1000000000000000000000000000010");
        REQUIRE(doc["elections"].Size() == 2);
        CHECK(str(doc["elections"][0]["event"]) == "started");
        REQUIRE(doc["votes"].Size() == 1); // vote 5 covers block 10
        CHECK(doc["votes"][0]["is_final"].IsFalse());
        REQUIRE(doc["election_votes"].Size() == 3);
        CHECK(str(doc["election_votes"][0]["timestamp"]) == "18446744073709551615");
        CHECK(str(doc["election_votes"][0]["weight"]) == "1000000000000000000000000000000000002");

        const outcome table = query_ok({"block", hash});
        CHECK(table.out.find("  status                confirmed") != std::string::npos);
        CHECK(table.out.find("Election events") != std::string::npos);
        const outcome csv = query_ok({"block", hash, "--format", "csv", "--section", "block"});
        const auto lines = lines_of(csv.out);
        REQUIRE(lines.size() == 2);
        CHECK(lines[0].rfind("status,hash,account,height,", 0) == 0);
        CHECK(lines[1].rfind("confirmed," + hash + ",nano_1t9jmyhm", 0) == 0);
    }
    SECTION("block shows a block seen only unconfirmed, and exits 3 for an unknown hash") {
        std::string unconfirmed;
        for (int i = 0; i < 32; ++i) {
            unconfirmed += "CD"; // the fixture's block seen on new_unconfirmed_block only
        }
        const auto doc = query_json({"block", unconfirmed});
        CHECK(str(doc["block"]["status"]) == "unconfirmed");
        CHECK(doc["block"]["confirmed_at"].IsNull());
        CHECK(str(doc["block"]["first_seen_at"]).back() == 'Z');

        const outcome missing = query({"block", std::string(64, 'F')});
        CHECK(missing.code == exit_not_found);
        CHECK(missing.out.empty());
        CHECK(
            missing.err
            == "ledgertap-query: block " + std::string(64, 'F')
                   + " not found: neither confirmed nor seen unconfirmed\n");
    }
    SECTION("account shows height, exact balance and recent blocks for any spelling") {
        const std::string nano
            = "nano_1t9jmyhmwwkjdz3mragb7wy98ykdrkc7say6c47tfuhsjybqhzk9drsg9grz";
        const std::string xrb = "xrb_" + nano.substr(5);
        const auto doc = query_json({"account", xrb, "--limit", "5"});
        const auto& a = doc["account"];
        CHECK(str(a["account"]) == nano);
        CHECK(a["height"].GetInt64() == 120);
        CHECK(str(a["balance"]) == "340282366920938463463374607431768211455"); // 2^128-1, exact
        CHECK(a["blocks_stored"].GetInt64() == 120);
        CHECK(a["confirmed_height"].GetInt64() == 120);
        CHECK(str(a["frontier"]) == fixture_block_hash(595));
        const auto& blocks = doc["blocks"];
        REQUIRE(blocks.Size() == 5);
        for (rapidjson::SizeType i = 0; i < blocks.Size(); ++i) {
            CHECK(blocks[i]["height"].GetInt64() == 120 - static_cast<std::int64_t>(i));
        }

        const auto gap_doc = query_json(
            {"account", "nano_1iiedigoub554srrarf75fw88cti3bo784hktxamxe1oft77sh7u91p39zgw"});
        CHECK(gap_doc["account"]["open_gaps"].GetInt64() == 1);

        const outcome table = query_ok({"account", nano, "--limit", "2"});
        CHECK(table.out.find("340282366920938463463374607431768211455") != std::string::npos);
        CHECK(table.out.find("Recent blocks (newest first)") != std::string::npos);
        const outcome csv
            = query_ok({"account", nano, "--limit", "2", "--format", "csv", "--section", "blocks"});
        CHECK(lines_of(csv.out).size() == 3);

        // A valid address (the genesis account) that the database does not hold.
        const outcome missing = query(
            {"account", "nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3"});
        CHECK(missing.code == exit_not_found);
        CHECK(missing.err.find("not found") != std::string::npos);
    }
}

// ---- slot, slots ---------------------------------------------------------------------------

TEST_CASE(
    "slot and slots look up Solana slots and summarize them", "[query][integration][slot][slots]") {
    SECTION("slot shows its timings, block and transactions; a skipped slot has no block") {
        const auto doc = query_json({"slot", "1500"});
        const auto& s = doc["slot"];
        CHECK(str(s["status"]) == "finalized");
        CHECK(s["parent"].GetInt64() == 1499);
        // bank 20 + 2*3, frozen 300 + 4*10, optimistic 150 + 5*20, root 12000 + 4*100 (fixture).
        CHECK(s["shred_to_bank_ms"].GetDouble() == 26);
        CHECK(s["bank_to_frozen_ms"].GetDouble() == 340);
        CHECK(s["frozen_to_optimistic_ms"].GetDouble() == 250);
        CHECK(s["optimistic_to_root_ms"].GetDouble() == 12400);
        CHECK(s["shred_to_root_ms"].GetDouble() == 13016);
        CHECK(doc["block"]["transaction_count"].GetInt64() == 100);
        CHECK(doc["transaction_summary"]["stored"].GetInt64() == 5);
        CHECK(doc["transaction_summary"]["failed"].GetInt64() == 1);
        CHECK(str(doc["transaction_summary"]["fees_lamports"]) == "75000");
        REQUIRE(doc["transactions"].Size() == 5);
        CHECK(doc["transactions"][3]["err"]["InstructionError"].IsArray());
        CHECK(str(doc["transactions"][0]["version"]) == "legacy");

        const auto skipped = query_json({"slot", "1007"});
        CHECK(str(skipped["slot"]["status"]) == "skipped");
        CHECK(skipped["block"].IsNull());
        CHECK(skipped["transactions"].Size() == 0);

        const outcome table = query_ok({"slot", "1500"});
        CHECK(table.out.find("Solana slot 1500") != std::string::npos);
        const outcome csv
            = query_ok({"slot", "1500", "--format", "csv", "--section", "transactions"});
        CHECK(lines_of(csv.out).size() == 6);

        const outcome missing = query({"slot", "99999"});
        CHECK(missing.code == exit_not_found);
        CHECK(
            missing.err
            == "ledgertap-query: slot 99999 not found: no slot notification and no "
               "block stored\n");
    }
    SECTION("slots shows the skip rate, transactions per block and per second, and recent slots") {
        std::int64_t transactions = 0;
        std::int64_t blocks = 0;
        for (std::int64_t s = 1000; s <= 2499; ++s) {
            if (s % 20 != 7) {
                transactions += 100 + s % 50; // transaction_count, or the equal frozen stats
                ++blocks;
            }
        }
        // The backfilled block of slot 900 counts by its block_time (t0 + 5 min).
        transactions += 1000;
        ++blocks;
        const auto doc = query_json({"slots", "--limit", "10"});
        const auto& s = doc["solana_summary"];
        CHECK(s["blocks"].GetInt64() == blocks);
        CHECK(s["transactions"].GetInt64() == transactions);
        check_close(
            test::json_number(s["transactions_per_block"]),
            static_cast<double>(transactions) / static_cast<double>(blocks));
        // By first-shred time: the first block at t0, the last (slot 2499) at t0 + 599.6 s.
        check_close(
            test::json_number(s["transactions_per_second"]), static_cast<double>(transactions) / 599.6);
        check_close(test::json_number(s["skip_rate"]), 75.0 / 1462.0);
        CHECK(s["max_transactions_per_block"].GetInt64() == 1000);
        const auto& slots = doc["slots"];
        REQUIRE(slots.Size() == 10);
        CHECK(slots[0]["slot"].GetInt64() == 2499);
        CHECK(str(slots[0]["status"]) == "processed");
        CHECK(slots[0]["optimistic_to_root_ms"].IsNull());
        CHECK(slots[9]["slot"].GetInt64() == 2490);

        const outcome table = query_ok({"slots", "--limit", "3"});
        CHECK(table.out.find("skip_rate") != std::string::npos);
        const outcome csv
            = query_ok({"slots", "--limit", "3", "--format", "csv", "--section", "slots"});
        const auto lines = lines_of(csv.out);
        REQUIRE(lines.size() == 4);
        CHECK(lines[1].rfind("2499,2498,processed,", 0) == 0);
    }
}

// ---- votes, telemetry ----------------------------------------------------------------------

TEST_CASE(
    "votes and telemetry summarize the window, and --section selects one section",
    "[query][integration][votes][telemetry]") {
    SECTION("votes summarizes Nano and Solana votes and ranks the voters") {
        const auto doc = query_json({"votes", "--limit", "2"});
        const auto& nano = doc["nano_votes"];
        CHECK(nano["votes"].GetInt64() == 300);
        CHECK(nano["final_votes"].GetInt64() == 75);
        CHECK(nano["representatives"].GetInt64() == 5);
        CHECK(nano["type_replay"].GetInt64() == 30);
        check_close(test::json_number(nano["per_second"]), 299.0 / 598.0);
        REQUIRE(doc["nano_representatives"].Size() == 2);
        CHECK(doc["nano_representatives"][0]["votes"].GetInt64() == 60);
        CHECK(doc["solana_votes"]["votes"].GetInt64() == 200);
        CHECK(doc["solana_votes"]["validators"].GetInt64() == 4);
        REQUIRE(doc["solana_validators"].Size() == 2);
        CHECK(doc["solana_validators"][0]["votes"].GetInt64() == 50);

        const outcome table = query_ok({"votes"});
        CHECK(table.out.find("Most active Nano representatives") != std::string::npos);
        const outcome csv
            = query_ok({"votes", "--format", "csv", "--section", "nano_representatives"});
        CHECK(lines_of(csv.out).size() == 6);
    }
    SECTION("telemetry shows the cemented-count spread and peers by version") {
        const auto doc = query_json({"telemetry"});
        const auto& t = doc["telemetry_summary"];
        CHECK(t["peers"].GetInt64() == 12);
        CHECK(t["versions"].GetInt64() == 3);
        // Latest report per peer: 50000000 + 1000 * peer; the median is an actual peer's value.
        CHECK(str(t["cemented_min"]) == "50000000");
        CHECK(str(t["cemented_max"]) == "50011000");
        CHECK(str(t["cemented_spread"]) == "11000");
        CHECK(str(t["cemented_p50"]) == "50005000");
        const auto& versions = doc["telemetry_versions"];
        REQUIRE(versions.Size() == 3);
        CHECK(str(versions[0]["version"]) == "V27.1.0");
        CHECK(versions[0]["peers"].GetInt64() == 6);
        CHECK(versions[0]["share"].GetDouble() == 0.5);
        CHECK(str(versions[2]["version"]) == "V28.0.0RC1");
        CHECK(doc["telemetry_peers"].Size() == 12);
        CHECK(str(doc["telemetry_peers"][0]["cemented_count"]) == "50011000");

        const outcome table = query_ok({"telemetry"});
        CHECK(table.out.find("V26.1.0") != std::string::npos);
        const outcome csv
            = query_ok({"telemetry", "--format", "csv", "--section", "telemetry_versions"});
        CHECK(lines_of(csv.out)[1] == "V27.1.0,6,0.5,50005000");
    }
    SECTION("an unknown --section is a usage error naming the sections") {
        const outcome o = query({"votes", "--section", "nope"});
        CHECK(o.code == exit_usage);
        CHECK(
            o.err.find("unknown section 'nope' of votes; sections: nano_votes, "
                       "nano_representatives, solana_votes, solana_validators")
            != std::string::npos);
    }
}

// ---- read-only, unreachable, the binary ----------------------------------------------------

TEST_CASE(
    "the query session is read-only: writes fail and change nothing",
    "[query][integration][readonly]") {
    const std::string conninfo = fixture_db().conninfo();
    for (const std::string sql : {
             "INSERT INTO ledgertap.sources (name, chain) VALUES ('intruder', 'nano')",
             "UPDATE nano.blocks SET height = 0",
             "DELETE FROM ledgertap.gaps",
             "CREATE TABLE public.intruder (i integer)",
         }) {
        INFO(sql);
        session db{conninfo};
        CHECK(db.run("SELECT current_setting('transaction_read_only')").rows[0][0] == "on");
        CHECK(
            db.run("SELECT current_setting('transaction_isolation')").rows[0][0]
            == "repeatable read");
        // Turning the session default off does not open the running transaction for writing.
        (void)db.run("SET default_transaction_read_only = off");
        try {
            (void)db.run(sql);
            FAIL("the write succeeded");
        } catch (const database_error& e) {
            CHECK(e.sqlstate() == "25006"); // read_only_sql_transaction
            CHECK_FALSE(e.connecting());
        }
    }
    CHECK(test::query_scalar(conninfo, "SELECT count(*) FROM ledgertap.sources") == "2");
    CHECK(test::query_scalar(conninfo, "SELECT count(*) FROM ledgertap.gaps") == "3");
    CHECK(test::query_scalar(conninfo, "SELECT to_regclass('public.intruder')") == std::nullopt);
}

TEST_CASE(
    "an unreachable database exits 1 with one line that never shows the password",
    "[query][integration][errors]") {
    const int port = unused_port();
    const std::string url = fmt::format(
        "postgresql://lt_user:s3cr3t-pw@127.0.0.1:{}/ledgertap?connect_timeout=5", port);
    const std::string keywords = fmt::format(
        "host=127.0.0.1 port={} user=lt_user password='s3cr3t pw' connect_timeout=5", port);

    SECTION("in-process, --db") {
        for (const auto& db : {url, keywords}) {
            std::ostringstream out;
            std::ostringstream err;
            CHECK(run_cli({"status", "--db", db}, out, err) == exit_failure);
            const std::string e = err.str();
            INFO(e);
            CHECK(out.str().empty());
            CHECK(e.rfind("ledgertap-query: error: cannot connect to the database", 0) == 0);
            CHECK(std::count(e.begin(), e.end(), '\n') == 1);
            CHECK(e.back() == '\n');
            CHECK(e.find("s3cr3t") == std::string::npos);
            CHECK(e.find(std::to_string(port)) != std::string::npos);
        }
    }
    SECTION("the binary, database from LEDGERTAP_DB") {
        const process_result r = run_process(
            {query_binary().string(), "latency"},
            {{"LEDGERTAP_DB", url}},
            std::chrono::seconds{30});
        INFO(r.err);
        CHECK_FALSE(r.timed_out);
        CHECK(r.code == exit_failure);
        CHECK(r.out.empty());
        CHECK(r.err.rfind("ledgertap-query: error: cannot connect to the database", 0) == 0);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK(r.err.find("s3cr3t-pw") == std::string::npos);
    }
}

TEST_CASE(
    "a database without the migrations exits 1 and says to migrate",
    "[query][integration][errors]") {
    const test::scratch_database empty{"query_empty"};
    std::ostringstream out;
    std::ostringstream err;
    CHECK(run_cli({"status", "--db", empty.conninfo()}, out, err) == exit_failure);
    CHECK(out.str().empty());
    const std::string e = err.str();
    CHECK(e.find("is the database migrated? run `ledgertap-ingest migrate`") != std::string::npos);
    CHECK(std::count(e.begin(), e.end(), '\n') == 1);
}

TEST_CASE(
    "the ledgertap-query binary prints what run_cli prints and exits with its code",
    "[query][integration]") {
    const std::vector<std::string> args{"telemetry", "--format", "json"};
    const outcome in_process = query_ok(args);
    std::vector<std::string> argv{query_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--db", fixture_db().conninfo()});
    const process_result r = run_process(argv, {}, std::chrono::seconds{30});
    INFO(r.err);
    CHECK(r.code == exit_ok);
    CHECK(r.out == in_process.out);

    std::vector<std::string> bad{query_binary().string(), "block", "nothex"};
    const process_result usage = run_process(bad, {}, std::chrono::seconds{30});
    CHECK(usage.code == exit_usage);
    CHECK(usage.err.find("bad block hash 'nothex'") != std::string::npos);
}

// ---- report --------------------------------------------------------------------------------

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

std::int64_t data_points(const std::string& html, const std::string& id) {
    const auto at = html.find("id=\"" + id + "\"");
    REQUIRE(at != std::string::npos);
    const auto attr = html.find("data-points=\"", at);
    REQUIRE(attr != std::string::npos);
    return std::stoll(html.substr(attr + std::string{"data-points=\""}.size()));
}

std::optional<std::string> find_chromium() {
    const char* path = std::getenv("PATH"); // NOLINT(concurrency-mt-unsafe)
    std::stringstream dirs{path != nullptr ? path : "/usr/bin:/bin"};
    for (std::string dir; std::getline(dirs, dir, ':');) {
        for (const char* name : {"chromium", "chromium-browser"}) {
            const fs::path candidate = fs::path{dir} / name;
            if (::access(candidate.c_str(), X_OK) == 0) {
                return candidate.string();
            }
        }
    }
    return std::nullopt;
}

TEST_CASE(
    "report writes a self-contained page with the data's charts, and Chromium renders it",
    "[query][integration][report]") {
    const fs::path dir = fs::path{LEDGERTAP_BINARY_DIR} / "query-report";
    fs::create_directories(dir);
    const fs::path html_path = dir / "report.html";
    const fs::path png_path = dir / "report.png";
    fs::remove(png_path);

    const outcome o = query_ok({"report", "--out", html_path.string()});
    CHECK(o.out.rfind("wrote " + html_path.string(), 0) == 0);
    std::ifstream in{html_path};
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string html = buffer.str();

    // Five charts, each with the fixture's data: 10 minutes of data in 10-second buckets.
    CHECK(count_of(html, "<svg class=\"chart\"") == 5);
    CHECK(html.find("charts in 10s buckets") != std::string::npos);
    CHECK(data_points(html, "nano-latency") == 60 * 3); // 60 buckets x p50/p90/p99
    CHECK(data_points(html, "nano-cps") == 60 * 3);     // 3 confirmation types stacked
    CHECK(data_points(html, "solana-tps") == 60);
    CHECK(data_points(html, "slot-optimistic") == 60 * 3);
    CHECK(data_points(html, "slot-root") > 50 * 3); // the newest slots are not rooted
    CHECK(html.find("latency (ms)") != std::string::npos);
    CHECK(html.find("transactions / s") != std::string::npos);
    CHECK(html.find("time (UTC)") != std::string::npos);
    // Summary header and tables.
    CHECK(html.find("Nano confirmations") != std::string::npos);
    CHECK(html.find("skip rate 5.13 %") != std::string::npos);
    CHECK(html.find("1 of 2") != std::string::npos);
    CHECK(html.find("nano_account_chain") != std::string::npos);
    // Self-contained and inert: nothing fetched, nothing run; stored text is escaped.
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(html.find("http://") == std::string::npos);
    CHECK(html.find("https://") == std::string::npos);
    CHECK(html.find("url(") == std::string::npos);
    CHECK(html.find("@import") == std::string::npos);

    const auto chromium = find_chromium();
    if (!chromium) {
        FAIL("chromium is not installed: run scripts/install-deps (the report test renders the "
             "page headless)");
    }
    const fs::path profile = dir / "chromium-profile";
    fs::remove_all(profile);
    const process_result r = run_process(
        {*chromium,
         "--headless",
         "--no-sandbox",
         "--disable-gpu",
         "--disable-quic",
         "--no-first-run",
         "--disable-background-networking",
         "--disable-component-update",
         "--disable-sync",
         "--user-data-dir=" + profile.string(),
         "--screenshot=" + png_path.string(),
         "--window-size=1280,2000",
         "file://" + html_path.string()},
        {},
        std::chrono::seconds{90});
    INFO(r.err.substr(0, 3000));
    CHECK_FALSE(r.timed_out);
    CHECK(r.code == 0);
    REQUIRE(fs::exists(png_path));
    // A blank 1280x2000 page compresses to a few KiB; the charts and tables make it far larger.
    CHECK(fs::file_size(png_path) > 100 * 1024);
    std::ifstream png{png_path, std::ios::binary};
    std::array<char, 8> signature{};
    png.read(signature.data(), signature.size());
    CHECK(std::string(signature.data(), signature.size()) == "\x89PNG\r\n\x1a\n");
    fs::remove_all(profile);
}

} // namespace
} // namespace ledgertap::query
