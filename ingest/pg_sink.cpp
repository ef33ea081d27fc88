#include "ingest/pg_sink.hpp"

#include "ingest/db.hpp"
#include "ingest/metrics.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <string_view>
#include <vector>

namespace ledgertap::ingest {

namespace detail {

struct pg_state {
    PGconn* conn = nullptr;
    std::vector<std::string> merge_names;
    std::vector<std::vector<std::string>> after_names;

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

struct result_deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

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

pg_sink::pg_sink(std::string conninfo, const table_set& tables, pg_sink_options options)
    : conninfo_(std::move(conninfo)), tables_(tables), options_(std::move(options)) {
    for (const auto& spec : tables_.specs()) {
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
    const std::string setup = fmt::format(
        "SET application_name = '{}'; SET statement_timeout = {}; SET synchronous_commit = {};",
        options_.application_name, options_.statement_timeout.count(),
        options_.synchronous_commit ? "on" : "off");
    if (!exec_ok(st->conn, setup.c_str(), detail, status)) {
        return {write_status::retry, detail};
    }
    for (std::size_t i = 0; i < tables_.size(); ++i) {
        const auto& spec = tables_.specs()[i];
        std::string cols;
        for (const auto& c : spec.columns) {
            if (!cols.empty()) {
                cols += ", ";
            }
            cols += c.name + " " + c.type;
        }
        const auto ddl = fmt::format(
            "CREATE TEMP TABLE IF NOT EXISTS {} ({}) ON COMMIT DELETE ROWS", spec.staging, cols);
        if (!exec_ok(st->conn, ddl.c_str(), detail, status)) {
            return {write_status::retry, detail};
        }
        std::string name = fmt::format("lt_merge_{}", i);
        const auto sql = replace_all(spec.merge_sql, "{staging}", spec.staging);
        result_ptr r{PQprepare(st->conn, name.c_str(), sql.c_str(), 0, nullptr)};
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
            return {write_status::retry, error_detail(st->conn, r.get(), "prepare merge for " + spec.name)};
        }
        st->merge_names.push_back(std::move(name));
        std::vector<std::string> after;
        for (std::size_t k = 0; k < spec.after_merge.size(); ++k) {
            std::string aname = fmt::format("lt_after_{}_{}", i, k);
            const auto asql = replace_all(spec.after_merge[k], "{staging}", spec.staging);
            result_ptr ar{PQprepare(st->conn, aname.c_str(), asql.c_str(), 0, nullptr)};
            if (PQresultStatus(ar.get()) != PGRES_COMMAND_OK) {
                return {write_status::retry, error_detail(st->conn, ar.get(), "prepare post-merge for " + spec.name)};
            }
            after.push_back(std::move(aname));
        }
        st->after_names.push_back(std::move(after));
    }
    state_ = std::move(st);
    ++connects_;
    return {};
}

write_result pg_sink::write(std::span<const row_group> batch) noexcept {
    try {
        if (auto c = ensure_connected(); c.status != write_status::ok) {
            return c;
        }
        PGconn* conn = state_->conn;
        std::string detail;
        write_status status = write_status::retry;
        auto fail = [&](write_status s, std::string d) -> write_result {
            if (PQstatus(conn) == CONNECTION_BAD) {
                state_.reset();
            } else {
                result_ptr r{PQexec(conn, "ROLLBACK")};
            }
            return {s, std::move(d)};
        };

        // Bucket rows by table once.
        std::vector<std::vector<const std::string*>> by_table(tables_.size());
        for (const auto& g : batch) {
            for (const auto& r : g.rows) {
                if (r.table < by_table.size()) {
                    by_table[r.table].push_back(&r.line);
                }
            }
        }

        if (!exec_ok(conn, "BEGIN", detail, status)) {
            return fail(status, detail);
        }
        for (std::size_t t = 0; t < by_table.size(); ++t) {
            if (by_table[t].empty()) {
                continue;
            }
            const auto& spec = tables_.specs()[t];
            std::string cols;
            for (const auto& c : spec.columns) {
                if (!cols.empty()) {
                    cols += ", ";
                }
                cols += c.name;
            }
            const auto copy_sql = fmt::format("COPY {} ({}) FROM STDIN", spec.staging, cols);
            {
                result_ptr r{PQexec(conn, copy_sql.c_str())};
                if (PQresultStatus(r.get()) != PGRES_COPY_IN) {
                    return fail(classify(r.get(), PQstatus(conn) == CONNECTION_BAD),
                        error_detail(conn, r.get(), "COPY " + spec.staging));
                }
            }
            for (const auto* line : by_table[t]) {
                if (PQputCopyData(conn, line->data(), static_cast<int>(line->size())) != 1) {
                    return fail(write_status::retry, error_detail(conn, nullptr, "COPY data"));
                }
            }
            if (PQputCopyEnd(conn, nullptr) != 1) {
                return fail(write_status::retry, error_detail(conn, nullptr, "COPY end"));
            }
            result_ptr end{PQgetResult(conn)};
            const bool copied = PQresultStatus(end.get()) == PGRES_COMMAND_OK;
            std::string copy_error;
            write_status copy_status = write_status::ok;
            if (!copied) {
                copy_error = error_detail(conn, end.get(), "COPY into " + spec.name);
                copy_status = classify(end.get(), PQstatus(conn) == CONNECTION_BAD);
            }
            while (PGresult* extra = PQgetResult(conn)) {
                PQclear(extra);
            }
            if (!copied) {
                return fail(copy_status, copy_error);
            }
        }
        for (std::size_t t = 0; t < by_table.size(); ++t) {
            if (by_table[t].empty()) {
                continue;
            }
            result_ptr r{PQexecPrepared(conn, state_->merge_names[t].c_str(), 0, nullptr, nullptr, nullptr, 0)};
            const auto st = PQresultStatus(r.get());
            if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                return fail(classify(r.get(), PQstatus(conn) == CONNECTION_BAD),
                    error_detail(conn, r.get(), "merge into " + tables_.specs()[t].name));
            }
            for (const auto& aname : state_->after_names[t]) {
                result_ptr ar{PQexecPrepared(conn, aname.c_str(), 0, nullptr, nullptr, nullptr, 0)};
                const auto ast = PQresultStatus(ar.get());
                if (ast != PGRES_COMMAND_OK && ast != PGRES_TUPLES_OK) {
                    return fail(classify(ar.get(), PQstatus(conn) == CONNECTION_BAD),
                        error_detail(conn, ar.get(), "post-merge for " + tables_.specs()[t].name));
                }
            }
        }
        if (!exec_ok(conn, "COMMIT", detail, status)) {
            // Outcome unknown if the connection died during COMMIT; the batch is idempotent.
            return fail(write_status::retry, detail);
        }
        for (std::size_t t = 0; t < by_table.size() && t < rows_written_.size(); ++t) {
            rows_written_[t]->inc(by_table[t].size());
        }
        return {};
    } catch (const std::exception& e) {
        state_.reset();
        return {write_status::retry, e.what()};
    } catch (...) {
        state_.reset();
        return {write_status::retry, "unknown exception"};
    }
}

} // namespace ledgertap::ingest
