#include "ingest/pg_sink.hpp"

#include "ingest/copy_binary.hpp"
#include "ingest/db.hpp"
#include "ingest/pq_handles.hpp"
#include "ingest/metrics.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

namespace ledgertap::ingest {

namespace detail {

struct pg_state {
    PGconn* conn = nullptr;
    std::vector<std::string> merge_names;
    std::vector<std::vector<std::string>> after_names;
    std::vector<std::string> copy_sql;     ///< per table: COPY staging (columns) FROM STDIN
    std::vector<std::string> clear_sql;    ///< per table: DELETE FROM staging
    std::vector<std::string> truncate_sql; ///< per table: TRUNCATE staging
    /// Per table: bytes staged since its last committed TRUNCATE. The staging tables keep their
    /// rows across commits and autovacuum never visits temp tables, so every row ever staged —
    /// emptied by DELETE or rolled back — still takes space until a TRUNCATE; this bounds it.
    std::vector<std::size_t> staged_bytes;

    pg_state() = default;
    pg_state(const pg_state&) = delete;
    pg_state& operator=(const pg_state&) = delete;
    pg_state(pg_state&&) = delete;
    pg_state& operator=(pg_state&&) = delete;
    ~pg_state() {
        if (conn != nullptr) {
            PQfinish(conn);
        }
    }
};

} // namespace detail

namespace {

using result_ptr = pq_result;

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

/// Binary COPY data goes to libpq in pieces of about this size, so the server parses one while
/// the next is encoded.
constexpr std::size_t copy_chunk_bytes = std::size_t{64} << 10U;

/// Bytes a staged row takes in its heap page beyond its COPY text: tuple header (23, aligned to
/// 24) and line pointer (4), plus alignment. Makes staged_bytes track the table's size for
/// narrow rows too.
constexpr std::size_t heap_tuple_overhead = 32;

/// Classifies a failed statement. `conn_bad` forces retry with reconnect.
write_status classify(const PGresult* res, bool conn_bad) {
    if (conn_bad) {
        return write_status::retry;
    }
    const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    if (state == nullptr) {
        return write_status::retry;
    }
    const std::string_view sqlstate{state};
    if (sqlstate.starts_with("22") || sqlstate.starts_with("23")) {
        return write_status::reject;
    }
    return write_status::retry;
}

std::string error_detail(PGconn* conn, const PGresult* res, std::string_view what) {
    const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    const char* msg = res != nullptr ? PQresultErrorMessage(res) : nullptr;
    std::string text = (msg != nullptr && *msg != '\0') ? msg : PQerrorMessage(conn);
    return fmt::format("{}: {}{}", what, trim(text), state != nullptr ? fmt::format(" (SQLSTATE {})", state) : "");
}

bool exec_ok(PGconn* conn, const char* sql, std::string& detail, write_status& status) {
    result_ptr r{PQexec(conn, sql)};
    const auto st = PQresultStatus(r.get());
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        return true;
    }
    detail = error_detail(conn, r.get(), sql);
    status = classify(r.get(), PQstatus(conn) == CONNECTION_BAD);
    return false;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
    std::size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
        s.replace(pos, from.size(), to);
        pos += to.size();
    }
    return s;
}

} // namespace

std::string staging_table_ddl(const table_spec& spec) {
    std::string cols;
    for (const auto& c : spec.columns) {
        if (!cols.empty()) {
            cols += ", ";
        }
        cols += c.name + " " + c.type;
    }
    return fmt::format("CREATE TEMP TABLE IF NOT EXISTS {} ({}) ON COMMIT PRESERVE ROWS", spec.staging, cols);
}

std::vector<std::string> merge_statements(const table_spec& spec) {
    std::vector<std::string> out{replace_all(spec.merge_sql, "{staging}", spec.staging)};
    for (const auto& after : spec.after_merge) {
        out.push_back(replace_all(after, "{staging}", spec.staging));
    }
    return out;
}

std::size_t work_mem_for_batch(std::size_t batch_max_bytes) noexcept {
    constexpr std::size_t server_default_kb = 4096;
    return std::max(server_default_kb, batch_max_bytes / 1024 * 2);
}

pg_sink::pg_sink(std::string conninfo, const table_set& tables, pg_sink_options options)
    : conninfo_(std::move(conninfo)), tables_(tables), options_(std::move(options)) {
    for (const auto& spec : tables_.specs()) {
        std::vector<wire_type> types;
        for (const auto& c : spec.columns) {
            const auto t = wire_type_of(c.type);
            if (!t) {
                throw std::invalid_argument(fmt::format(
                    "{}: staging column {} has type {}, which binary COPY here does not support", spec.name, c.name, c.type));
            }
            types.push_back(*t);
        }
        encoders_.emplace_back(std::move(types));
        rows_written_.push_back(&global_metrics().get_counter("ledgertap_rows_written_total",
            {{"table", spec.name}}, "Rows committed per table (staged rows, before merge deduplication)"));
    }
}

pg_sink::~pg_sink() = default;

write_result pg_sink::ensure_connected() {
    if (state_ && PQstatus(state_->conn) == CONNECTION_OK) {
        return {};
    }
    state_.reset();
    auto st = std::make_unique<detail::pg_state>();
    st->conn = PQconnectdb(conninfo_.c_str());
    if (st->conn == nullptr || PQstatus(st->conn) != CONNECTION_OK) {
        // libpq's connection errors name host and port, never the password.
        return {write_status::retry,
            fmt::format("connect: {}", st->conn != nullptr ? safe_message(PQerrorMessage(st->conn), conninfo_) : "out of memory")};
    }
    std::string detail;
    write_status status = write_status::retry;
    std::string setup = fmt::format(
        "SET application_name = '{}'; SET statement_timeout = {}; SET synchronous_commit = {};",
        options_.application_name, options_.statement_timeout.count(),
        options_.synchronous_commit ? "on" : "off");
    if (options_.work_mem_kb > 0) {
        setup += fmt::format(" SET work_mem = '{}kB';", options_.work_mem_kb);
    }
    if (!exec_ok(st->conn, setup.c_str(), detail, status)) {
        return {write_status::retry, detail};
    }
    if (!collation_checked_) {
        collation_checked_ = true;
        result_ptr r{PQexec(st->conn, collation_query)};
        if (PQresultStatus(r.get()) == PGRES_TUPLES_OK && PQntuples(r.get()) == 1) {
            const char* provider = PQgetisnull(r.get(), 0, 1) != 0 ? "" : PQgetvalue(r.get(), 0, 1);
            if (auto warning = collation_warning(PQgetvalue(r.get(), 0, 0), provider)) {
                spdlog::warn("writer: {}", *warning);
            }
        }
    }
    for (std::size_t i = 0; i < tables_.size(); ++i) {
        const auto& spec = tables_.specs()[i];
        if (!exec_ok(st->conn, staging_table_ddl(spec).c_str(), detail, status)) {
            return {write_status::retry, detail};
        }
        // Statement 0 is the merge (lt_merge_I), the rest its post-merge statements (lt_after_I_K).
        const auto statements = merge_statements(spec);
        std::vector<std::string> after;
        for (std::size_t k = 0; k < statements.size(); ++k) {
            std::string name = k == 0 ? fmt::format("lt_merge_{}", i) : fmt::format("lt_after_{}_{}", i, k - 1);
            result_ptr r{PQprepare(st->conn, name.c_str(), statements[k].c_str(), 0, nullptr)};
            if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
                return {write_status::retry,
                    error_detail(st->conn, r.get(), (k == 0 ? "prepare merge for " : "prepare post-merge for ") + spec.name)};
            }
            if (k == 0) {
                st->merge_names.push_back(std::move(name));
            } else {
                after.push_back(std::move(name));
            }
        }
        st->after_names.push_back(std::move(after));
        std::string names;
        for (const auto& c : spec.columns) {
            if (!names.empty()) {
                names += ", ";
            }
            names += c.name;
        }
        st->copy_sql.push_back(fmt::format("COPY {} ({}) FROM STDIN (FORMAT binary)", spec.staging, names));
        st->clear_sql.push_back(fmt::format("DELETE FROM {}", spec.staging));
        st->truncate_sql.push_back(fmt::format("TRUNCATE {}", spec.staging));
        st->staged_bytes.push_back(0);
    }
    state_ = std::move(st);
    ++connects_;
    return {};
}

std::optional<pg_sink::step_failure> pg_sink::apply(std::string_view opening,
    std::span<const row_group* const> groups, std::vector<std::size_t>& rows_per_table) {
    PGconn* conn = state_->conn;
    auto failed = [&](const PGresult* res, std::size_t table, std::string what) {
        return step_failure{classify(res, PQstatus(conn) == CONNECTION_BAD),
            error_detail(conn, res, what), table};
    };

    // Bucket rows by table once.
    std::vector<std::vector<const std::string*>> by_table(tables_.size());
    for (const auto* g : groups) {
        for (const auto& r : g->rows) {
            if (r.table < by_table.size()) {
                by_table[r.table].push_back(&r.line);
            }
        }
    }
    rows_per_table.assign(tables_.size(), 0);

    // The whole step is one simple query: `opening`, a COPY FROM STDIN per table used, then every
    // merge and post-merge statement as EXECUTEs of the prepared statements. PostgreSQL runs them
    // in order and stops at the first error; the data of each COPY is sent when the server asks
    // for it. Round trips: one per table used plus one; a round trip per statement cost ~40 ms of
    // p50 per ms of database distance (bench/REPORT.md, database round-trip latency).
    struct statement {
        std::size_t table;
        std::string what;
        bool copy;
    };
    std::vector<statement> statements;
    std::string sql{opening};
    statements.push_back({0, std::string{opening}, false});
    for (std::size_t t = 0; t < by_table.size(); ++t) {
        rows_per_table[t] = by_table[t].size();
        if (!by_table[t].empty()) {
            sql += fmt::format(";{}", state_->copy_sql[t]);
            statements.push_back({t, "COPY into " + tables_.specs()[t].name, true});
        }
    }
    for (std::size_t t = 0; t < by_table.size(); ++t) {
        if (by_table[t].empty()) {
            continue;
        }
        sql += fmt::format(";EXECUTE {}", state_->merge_names[t]);
        statements.push_back({t, "merge into " + tables_.specs()[t].name, false});
        for (const auto& aname : state_->after_names[t]) {
            sql += fmt::format(";EXECUTE {}", aname);
            statements.push_back({t, "post-merge for " + tables_.specs()[t].name, false});
        }
    }
    if (PQsendQuery(conn, sql.c_str()) != 1) {
        return step_failure{write_status::retry, error_detail(conn, nullptr, opening), 0};
    }
    std::optional<step_failure> failure;
    std::string encode_error; // a row binary COPY could not encode: why
    std::size_t k = 0; // the statement whose result comes next
    const auto at = [&](std::size_t i) -> const statement& { return statements[std::min(i, statements.size() - 1)]; };
    while (PGresult* raw = PQgetResult(conn)) {
        const result_ptr r{raw};
        const auto& current = at(k);
        if (PQresultStatus(r.get()) == PGRES_COPY_IN) {
            // The server waits for this COPY's rows; the COPY's own result follows them.
            if (!current.copy || failure) {
                // Not a COPY of ours: refused rather than fed, so it fails and stores nothing.
                if (PQputCopyEnd(conn, "ledgertap: unexpected COPY") != 1) {
                    return step_failure{write_status::retry, error_detail(conn, nullptr, "COPY end"), current.table};
                }
                continue;
            }
            const auto t = current.table;
            // Each row is re-encoded as a binary tuple while the server reads the ones before it.
            std::string& chunk = copy_chunk_;
            chunk.assign(binary_copy_header);
            const auto send = [&] {
                const bool sent = PQputCopyData(conn, chunk.data(), static_cast<int>(chunk.size())) == 1;
                chunk.clear();
                return sent;
            };
            for (const auto* line : by_table[t]) {
                state_->staged_bytes[t] += line->size() + heap_tuple_overhead;
                if (auto error = encoders_[t].append_tuple(*line, chunk)) {
                    // A tuple of no fields: the server fails this COPY as bad data (22P04), so the
                    // batch is refused like any row the server refuses itself, and the writer
                    // isolates the message; the failure then carries this reason.
                    encode_error = fmt::format("COPY into {}: {}", tables_.specs()[t].name, *error);
                    chunk.append(2, '\0');
                    break;
                }
                if (chunk.size() >= copy_chunk_bytes && !send()) {
                    return step_failure{write_status::retry, error_detail(conn, nullptr, "COPY data"), t};
                }
            }
            if (encode_error.empty()) {
                chunk.append(binary_copy_trailer);
            }
            if (!send()) {
                return step_failure{write_status::retry, error_detail(conn, nullptr, "COPY data"), t};
            }
            if (PQputCopyEnd(conn, nullptr) != 1) {
                return step_failure{write_status::retry, error_detail(conn, nullptr, "COPY end"), t};
            }
            continue;
        }
        const auto st = PQresultStatus(r.get());
        if (!failure && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            failure = failed(r.get(), current.table, current.what);
        }
        ++k;
    }
    if (!failure && k != statements.size()) {
        // Fewer results than statements without an error: the connection went away mid-query.
        failure = step_failure{write_status::retry, error_detail(conn, nullptr, at(k).what), at(k).table};
    }
    if (failure && !encode_error.empty() && failure->status == write_status::reject) {
        failure->detail = std::move(encode_error);
    }
    return failure;
}

bool pg_sink::empty_staging_and_commit(
    const std::vector<std::size_t>& delete_rows_of,
    std::vector<std::size_t>& truncated,
    std::string& detail) {
    truncated.clear();
    std::string sql;
    for (std::size_t t = 0; t < state_->staged_bytes.size(); ++t) {
        const std::size_t staged = state_->staged_bytes[t];
        const bool truncate = staged > 0 && staged >= options_.staging_truncate_bytes;
        if (!truncate && (t >= delete_rows_of.size() || delete_rows_of[t] == 0)) {
            continue;
        }
        if (truncate) {
            truncated.push_back(t);
        }
        if (!sql.empty()) {
            sql += "; ";
        }
        sql += truncate ? state_->truncate_sql[t] : state_->clear_sql[t];
    }
    sql += sql.empty() ? "COMMIT" : "; COMMIT";
    write_status ignored = write_status::retry;
    return exec_ok(state_->conn, sql.c_str(), detail, ignored);
}

void pg_sink::committed_truncates(const std::vector<std::size_t>& truncated) {
    for (const auto t : truncated) {
        state_->staged_bytes[t] = 0;
    }
}

write_result pg_sink::abandon(write_status status, std::string detail) {
    if (state_ && PQstatus(state_->conn) == CONNECTION_BAD) {
        state_.reset();
    } else if (state_) {
        result_ptr r{PQexec(state_->conn, "ROLLBACK")};
    }
    return {status, std::move(detail)};
}

void pg_sink::count_committed(const std::vector<std::size_t>& rows_per_table) {
    for (std::size_t t = 0; t < rows_per_table.size() && t < rows_written_.size(); ++t) {
        rows_written_[t]->inc(rows_per_table[t]);
    }
}

template<typename Body>
write_result pg_sink::guarded(Body&& body) noexcept {
    try {
        return std::forward<Body>(body)();
    } catch (const std::exception& e) {
        state_.reset();
        return {write_status::retry, e.what()};
    } catch (...) {
        state_.reset();
        return {write_status::retry, "unknown exception"};
    }
}

write_result pg_sink::write(std::span<const row_group> batch) noexcept {
    return guarded([&]() -> write_result {
        if (auto c = ensure_connected(); c.status != write_status::ok) {
            return c;
        }
        std::string detail;
        std::vector<const row_group*> groups;
        groups.reserve(batch.size());
        for (const auto& g : batch) {
            groups.push_back(&g);
        }
        std::vector<std::size_t> rows;
        if (auto f = apply("BEGIN", groups, rows)) {
            return abandon(f->status, std::move(f->detail));
        }
        // Empty what this batch staged before COMMIT, so the next batch merges only its own rows.
        // A failure here, COMMIT's included, leaves the outcome unknown if the connection died
        // during COMMIT: retry, the batch is idempotent.
        std::vector<std::size_t> truncated;
        if (!empty_staging_and_commit(rows, truncated, detail)) {
            return abandon(write_status::retry, detail);
        }
        committed_truncates(truncated);
        count_committed(rows);
        return {};
    });
}

write_result pg_sink::write_isolated(
    std::span<const row_group> batch, std::vector<std::string>& refused) noexcept {
    return guarded([&]() -> write_result {
        refused.assign(batch.size(), std::string{});
        if (auto c = ensure_connected(); c.status != write_status::ok) {
            return c;
        }
        PGconn* conn = state_->conn;
        std::string detail;
        write_status status = write_status::retry;
        if (!exec_ok(conn, "BEGIN", detail, status)) {
            return abandon(status, detail);
        }
        // Parts still to try, each a list of indexes into `batch`. A part the database refuses is
        // rolled back to its savepoint and narrowed: first to the groups with rows for the table
        // that failed (the others go on as one part), then by halves, down to single groups.
        std::vector<std::vector<std::size_t>> todo(1);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            todo[0].push_back(i);
        }
        std::vector<std::size_t> committed_rows(tables_.size(), 0);
        std::vector<std::size_t> rows;
        std::vector<const row_group*> groups;
        while (!todo.empty()) {
            const auto part = std::move(todo.back());
            todo.pop_back();
            groups.clear();
            for (const auto i : part) {
                groups.push_back(&batch[i]);
            }
            auto failure = apply("SAVEPOINT lt_isolate", groups, rows);
            if (!failure) {
                // Empty the staging tables this part used, so the next part merges only its own,
                // and release the savepoint, in one round trip.
                std::string sql;
                for (std::size_t t = 0; t < rows.size(); ++t) {
                    if (rows[t] != 0) {
                        committed_rows[t] += rows[t];
                        sql += state_->clear_sql[t] + "; ";
                    }
                }
                sql += "RELEASE SAVEPOINT lt_isolate";
                if (!exec_ok(conn, sql.c_str(), detail, status)) {
                    return abandon(write_status::retry, detail);
                }
                continue;
            }
            if (failure->status != write_status::reject) {
                return abandon(failure->status, std::move(failure->detail));
            }
            if (!exec_ok(conn, "ROLLBACK TO SAVEPOINT lt_isolate; RELEASE SAVEPOINT lt_isolate", detail,
                    status)) {
                return abandon(write_status::retry, detail);
            }
            if (part.size() == 1) {
                refused[part[0]] = std::move(failure->detail);
                continue;
            }
            std::vector<std::size_t> suspects;
            std::vector<std::size_t> others;
            for (const auto i : part) {
                const bool touches = std::any_of(batch[i].rows.begin(), batch[i].rows.end(),
                    [&](const row& r) { return r.table == failure->table; });
                (touches ? suspects : others).push_back(i);
            }
            if (suspects.empty() || others.empty()) {
                // The failing table does not narrow it: halve.
                const auto half = static_cast<std::ptrdiff_t>(part.size() / 2);
                todo.emplace_back(part.begin() + half, part.end());
                todo.emplace_back(part.begin(), part.begin() + half);
            } else {
                todo.push_back(std::move(suspects));
                todo.push_back(std::move(others));
            }
        }
        // Every part that stayed emptied its tables above and refused parts were rolled back, so
        // only the space they left behind may need reclaiming.
        std::vector<std::size_t> truncated;
        if (!empty_staging_and_commit({}, truncated, detail)) {
            return abandon(write_status::retry, detail);
        }
        committed_truncates(truncated);
        count_committed(committed_rows);
        return {};
    });
}

} // namespace ledgertap::ingest
