// ledgertap-bench-limit: what PostgreSQL alone can do with the rows ledgertap wrote (issue #9,
// part 2). It reads every table ledgertap wrote in one database (--from) and loads the very same
// rows into another, freshly migrated one (--to), with nothing else running:
//
//   --mode copy    one transaction: COPY FROM STDIN straight into each target table;
//   --mode merge   the rows in arrival order, grouped into messages (rows with the same
//                  received_at; staging columns stored elsewhere, such as a vote's hashes in
//                  nano.vote_blocks, read back through derived_columns()) and sealed into batches by the writer's limits, each written by
//                  ledgertap's own pg_sink: COPY into its temporary staging tables, then its
//                  merges (and post-merge statements such as Nano gap detection), then COMMIT.
//
// It prints one line: `mode=… rows=… batches=… seconds=… count=… count_per_s=…`, where `count`
// is the number of rows of --count (default nano.blocks) in --to after the load, and seconds run
// from the start of the load to its last commit (dumping --from is not timed).

#include "ingest/gap_tables.hpp"
#include "ingest/nano_tables.hpp"
#include "ingest/pg_sink.hpp"
#include "ingest/pipeline_tables.hpp"
#include "ingest/pq_handles.hpp"
#include "ingest/solana_tables.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <libpq-fe.h>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace ledgertap::ingest;

using conn_ptr = pq_conn;
using result_ptr = pq_result;

conn_ptr connect(const std::string& conninfo) {
    conn_ptr c{PQconnectdb(conninfo.c_str())};
    if (!c || PQstatus(c.get()) != CONNECTION_OK) {
        throw std::runtime_error(
            fmt::format("connect: {}", c ? PQerrorMessage(c.get()) : "out of memory"));
    }
    return c;
}

result_ptr exec(PGconn* c, const std::string& sql) {
    result_ptr r{PQexec(c, sql.c_str())};
    const auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        throw std::runtime_error(fmt::format("{}: {}", sql, PQresultErrorMessage(r.get())));
    }
    return r;
}

std::string quote_ident(PGconn* c, const std::string& name) {
    char* q = PQescapeIdentifier(c, name.data(), name.size());
    std::string s{q};
    PQfreemem(q);
    return s;
}

/// Columns of `table` that can be loaded (not generated), in table order; empty if no such table.
std::vector<std::string> table_columns(PGconn* c, const std::string& table) {
    const auto dot = table.find('.');
    if (dot == std::string::npos) {
        return {};
    }
    const std::string sql = fmt::format(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = '{}' AND "
        "table_name = '{}' "
        "AND is_generated = 'NEVER' ORDER BY ordinal_position",
        table.substr(0, dot),
        table.substr(dot + 1));
    auto r = exec(c, sql);
    std::vector<std::string> cols;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
        cols.emplace_back(PQgetvalue(r.get(), i, 0));
    }
    return cols;
}

struct dumped_row {
    std::int64_t key = 0; ///< received_at in ms (0 when the table has none): the arrival order.
    table_id table = 0;
    std::string line;
};

/// A staging column that is not a column of its table: how to read it back from the stored rows.
struct derived_column {
    std::string table;
    std::string column;
    std::string expression; ///< Over the table as `t` and the join as `d`.
    std::string join;       ///< LEFT JOIN … AS d ON …
};

/// nano.votes stages the hashes a vote covers, which are stored as nano.vote_blocks rows.
const std::vector<derived_column>& derived_columns() {
    static const std::vector<derived_column> derived{
        {"nano.votes", "hashes", "coalesce(d.hashes, '{}')",
            "LEFT JOIN (SELECT vote_id, array_agg(hash::text ORDER BY hash) AS hashes "
            "FROM nano.vote_blocks GROUP BY vote_id) AS d ON d.vote_id = t.id"},
    };
    return derived;
}

const derived_column* find_derived(const std::string& table, const std::string& column) {
    for (const auto& d : derived_columns()) {
        if (d.table == table && d.column == column) {
            return &d;
        }
    }
    return nullptr;
}

/// COPY (SELECT key, cols FROM table AS t [joins]) TO STDOUT, one dumped_row per line; `cols`
/// that are derived columns of `table` are read through their join.
void dump(
    PGconn* c,
    const std::string& table,
    const std::vector<std::string>& cols,
    bool has_received_at,
    table_id id,
    std::vector<dumped_row>& out) {
    std::string list;
    std::string joins;
    for (const auto& col : cols) {
        const auto* derived = find_derived(table, col);
        list += (list.empty() ? "" : ", ") + (derived != nullptr ? derived->expression : "t." + quote_ident(c, col));
        if (derived != nullptr) {
            joins += " " + derived->join;
        }
    }
    const std::string key
        = has_received_at ? "(extract(epoch FROM t.received_at) * 1000)::bigint" : "0";
    const std::string sql = fmt::format(
        "COPY (SELECT {}, {} FROM {} AS t{}{}) TO STDOUT",
        key,
        list,
        table,
        joins,
        has_received_at ? " ORDER BY t.received_at" : "");
    result_ptr r{PQexec(c, sql.c_str())};
    if (PQresultStatus(r.get()) != PGRES_COPY_OUT) {
        throw std::runtime_error(fmt::format("{}: {}", sql, PQresultErrorMessage(r.get())));
    }
    char* buf = nullptr;
    int n = 0;
    while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
        const std::string_view line{buf, static_cast<std::size_t>(n)};
        const auto tab = line.find('\t');
        dumped_row row;
        row.key = std::stoll(std::string{line.substr(0, tab)});
        row.table = id;
        row.line = std::string{line.substr(tab + 1)};
        out.push_back(std::move(row));
        PQfreemem(buf);
    }
    result_ptr end{PQgetResult(c)};
    if (n == -2 || PQresultStatus(end.get()) != PGRES_COMMAND_OK) {
        throw std::runtime_error(fmt::format("COPY out of {}: {}", table, PQerrorMessage(c)));
    }
}

/// A table to load: its name, the columns to load and, in merge mode, the writer's table id.
struct load_target {
    std::string table;
    std::vector<std::string> columns;
    table_id id = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Mode copy: one transaction of COPY FROM STDIN into every target table.
double load_copy(
    PGconn* to, const std::vector<load_target>& targets, const std::vector<dumped_row>& rows) {
    const auto t0 = std::chrono::steady_clock::now();
    exec(to, "BEGIN");
    for (std::size_t t = 0; t < targets.size(); ++t) {
        std::string list;
        for (const auto& col : targets[t].columns) {
            list += (list.empty() ? "" : ", ") + quote_ident(to, col);
        }
        const auto sql = fmt::format("COPY {} ({}) FROM STDIN", targets[t].table, list);
        result_ptr r{PQexec(to, sql.c_str())};
        if (PQresultStatus(r.get()) != PGRES_COPY_IN) {
            throw std::runtime_error(fmt::format("{}: {}", sql, PQresultErrorMessage(r.get())));
        }
        for (const auto& row : rows) {
            if (row.table == t
                && PQputCopyData(to, row.line.data(), static_cast<int>(row.line.size())) != 1) {
                throw std::runtime_error(fmt::format("COPY data: {}", PQerrorMessage(to)));
            }
        }
        if (PQputCopyEnd(to, nullptr) != 1) {
            throw std::runtime_error(fmt::format("COPY end: {}", PQerrorMessage(to)));
        }
        result_ptr end{PQgetResult(to)};
        if (PQresultStatus(end.get()) != PGRES_COMMAND_OK) {
            throw std::runtime_error(
                fmt::format("COPY into {}: {}", targets[t].table, PQresultErrorMessage(end.get())));
        }
        while (PGresult* extra = PQgetResult(to)) {
            PQclear(extra);
        }
    }
    exec(to, "COMMIT");
    return seconds_since(t0);
}

/// Mode merge: rows sharing a receipt time (milliseconds) form a group, sealed into batches as
/// the writer seals messages: max_groups messages or max_bytes, whichever first, each batch written
/// by pg_sink. A group holds every message received in its millisecond (dozens under a firehose),
/// so it counts as its rows of `message_tables` (one row per message there; at least 1).
double load_merge(
    const std::string& conninfo,
    const table_set& tables,
    std::vector<dumped_row>& rows,
    const std::set<table_id>& message_tables,
    std::size_t max_groups,
    std::size_t max_bytes,
    std::size_t& batches) {
    std::stable_sort(rows.begin(), rows.end(), [](const dumped_row& a, const dumped_row& b) {
        return a.key < b.key;
    });
    pg_sink_options options;
    options.application_name = "ledgertap-bench-limit";
    options.work_mem_kb = work_mem_for_batch(max_bytes); // as ingest sets it
    pg_sink sink{conninfo, tables, options};
    std::vector<row_group> batch;
    std::size_t batch_bytes = 0;
    std::size_t batch_messages = 0;
    const auto flush = [&] {
        if (batch.empty()) {
            return;
        }
        if (const auto r = sink.write(batch); r.status != write_status::ok) {
            throw std::runtime_error(fmt::format("batch {}: {}", batches, r.detail));
        }
        ++batches;
        batch.clear();
        batch_bytes = 0;
        batch_messages = 0;
    };
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < rows.size();) {
        row_group g;
        g.origin = "bench/limit";
        const auto key = rows[i].key;
        std::size_t messages = 0;
        do {
            messages += message_tables.contains(rows[i].table) ? 1 : 0;
            g.rows.push_back(
                {rows[i].table, std::move(rows[i].line)}); // ends in '\n', as COPY sent it
            ++i;
        } while (i < rows.size() && key != 0 && rows[i].key == key);
        batch_bytes += g.bytes();
        batch_messages += std::max<std::size_t>(messages, 1);
        batch.push_back(std::move(g));
        if (batch_messages >= max_groups || batch_bytes >= max_bytes) {
            flush();
        }
    }
    flush();
    return seconds_since(t0);
}

int run(int argc, char** argv) {
    CLI::App app{"Loads the rows ledgertap wrote into a fresh database: PostgreSQL's own limit"};
    std::string from;
    std::string to;
    std::string mode = "merge";
    std::string count_table = "nano.blocks";
    std::size_t max_groups = 5000;
    std::size_t max_bytes = std::size_t{8} << 20U;
    bool print_statements = false;
    app.add_option("--from", from, "conninfo of the database ledgertap wrote");
    app.add_option("--to", to, "conninfo of a freshly migrated, empty database");
    app.add_flag("--print-statements", print_statements,
        "print a psql script that creates every staging table and EXPLAINs every merge and "
        "post-merge statement the writer runs (scripts/explain), then exit");
    app.add_option(
           "--mode",
           mode,
           "copy: COPY straight into the tables; merge: ledgertap's staging + merges")
        ->check(CLI::IsMember({"copy", "merge"}));
    app.add_option("--count", count_table, "table whose rows are counted for count_per_s");
    std::vector<std::string> message_table_names;
    app.add_option("--message-tables", message_table_names,
           "merge: tables with one row per message received (default: the --count table), "
           "which batches count against --batch-messages")
        ->delimiter(',');
    app.add_option(
           "--batch-messages",
           max_groups,
           "merge: messages per transaction (writer.batch_max_messages)")
        ->check(CLI::PositiveNumber);
    app.add_option(
           "--batch-bytes", max_bytes, "merge: bytes per transaction (writer.batch_max_bytes)")
        ->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);

    // The writer's tables exactly as ledgertap-ingest registers them (ingest/app.cpp).
    table_set tables;
    (void)register_pipeline_tables(tables);
    const auto nano_t = register_nano_tables(tables);
    (void)register_solana_tables(tables);
    (void)register_gap_tables(tables);
    add_nano_gap_detection(tables, nano_t, false);

    if (print_statements) {
        for (const auto& spec : tables.specs()) {
            std::printf("%s;\n", staging_table_ddl(spec).c_str());
        }
        for (const auto& spec : tables.specs()) {
            const auto statements = merge_statements(spec);
            for (std::size_t k = 0; k < statements.size(); ++k) {
                std::printf("\\echo '#### %s: %s'\nEXPLAIN %s;\n", spec.name.c_str(),
                    k == 0 ? "merge" : fmt::format("post-merge {}", k).c_str(), statements[k].c_str());
            }
        }
        return 0;
    }
    if (from.empty() || to.empty()) {
        throw std::runtime_error("--from and --to are required (or --print-statements)");
    }

    auto src = connect(from);
    // Rows are read as text COPY lines, the form pg_sink takes: timestamps must come out in UTC
    // and ISO form for its binary encoder (and for COPY straight into the tables, any form would do).
    exec(src.get(), "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'");
    std::vector<load_target> targets;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < tables.size(); ++i) {
        const auto& spec = tables.specs()[i];
        const auto cols = table_columns(src.get(), spec.name);
        if (cols.empty() || !seen.insert(spec.name).second) {
            continue; // not a table (e.g. "ledgertap.gaps (progress)"), or already listed
        }
        if (mode == "copy") {
            targets.push_back({spec.name, cols, static_cast<table_id>(i)});
            continue;
        }
        std::vector<std::string> staged;
        for (const auto& c : spec.columns) {
            if (std::find(cols.begin(), cols.end(), c.name) == cols.end()
                && find_derived(spec.name, c.name) == nullptr) {
                staged.clear();
                break;
            }
            staged.push_back(c.name);
        }
        if (staged.empty()) {
            std::fprintf(
                stderr,
                "ledgertap-bench-limit: %s: staging columns are not all table columns; skipped\n",
                spec.name.c_str());
            continue;
        }
        targets.push_back({spec.name, staged, static_cast<table_id>(i)});
    }
    if (mode == "copy") {
        // Derived by post-merge statements in merge mode; copied like any other table here.
        targets.push_back({"nano.accounts", table_columns(src.get(), "nano.accounts"), 0});
    }
    std::vector<dumped_row> rows;
    for (std::size_t t = 0; t < targets.size(); ++t) {
        const auto& cols = targets[t].columns;
        const bool has_received_at
            = std::find(cols.begin(), cols.end(), "received_at") != cols.end();
        dump(
            src.get(),
            targets[t].table,
            cols,
            has_received_at,
            mode == "copy" ? static_cast<table_id>(t) : targets[t].id,
            rows);
    }
    src.reset();

    const std::size_t total = rows.size();
    std::size_t batches = 1;
    double seconds = 0;
    auto dst = connect(to);
    if (mode == "copy") {
        seconds = load_copy(dst.get(), targets, rows);
    } else {
        batches = 0;
        if (message_table_names.empty()) {
            message_table_names.push_back(count_table);
        }
        std::set<table_id> message_tables;
        for (const auto& name : message_table_names) {
            const auto& specs = tables.specs();
            const auto it = std::find_if(specs.begin(), specs.end(), [&](const table_spec& t) { return t.name == name; });
            if (it == specs.end()) {
                throw std::runtime_error(fmt::format("--message-tables: no writer table {}", name));
            }
            message_tables.insert(static_cast<table_id>(it - specs.begin()));
        }
        seconds = load_merge(to, tables, rows, message_tables, max_groups, max_bytes, batches);
    }
    auto r = exec(dst.get(), fmt::format("SELECT count(*) FROM {}", count_table));
    const double count = std::stod(PQgetvalue(r.get(), 0, 0));
    std::printf(
        "mode=%s rows=%zu batches=%zu seconds=%.3f count=%.0f count_per_s=%.0f\n",
        mode.c_str(),
        total,
        batches,
        seconds,
        count,
        seconds > 0 ? count / seconds : 0.0);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    // stdout is the one result line scripts/bench reads; pg_sink's log lines go to stderr.
    spdlog::set_default_logger(spdlog::stderr_color_mt("ledgertap-bench-limit"));
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ledgertap-bench-limit: %s\n", e.what());
        return 1;
    }
}
