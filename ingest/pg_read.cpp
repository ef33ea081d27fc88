#include "ingest/pg_read.hpp"

#include "ingest/db.hpp"

#include <libpq-fe.h>

namespace ledgertap::ingest {

namespace detail {
struct pg_read_state {
    PGconn* conn = nullptr;
    pg_read_state() = default;
    pg_read_state(const pg_read_state&) = delete;
    pg_read_state& operator=(const pg_read_state&) = delete;
    pg_read_state(pg_read_state&&) = delete;
    pg_read_state& operator=(pg_read_state&&) = delete;
    ~pg_read_state() {
        if (conn != nullptr) {
            PQfinish(conn);
        }
    }
};
} // namespace detail

pg_reader::pg_reader(std::string conninfo) : conninfo_(std::move(conninfo)) {}

pg_reader::~pg_reader() = default;

pg_rows pg_reader::query(const std::string& sql, const std::vector<pg_value>& params) {
    if (!state_ || PQstatus(state_->conn) != CONNECTION_OK) {
        state_.reset();
        auto st = std::make_unique<detail::pg_read_state>();
        st->conn = PQconnectdb(conninfo_.c_str());
        if (st->conn == nullptr || PQstatus(st->conn) != CONNECTION_OK) {
            throw pg_read_error("connect: " + safe_message(st->conn != nullptr ? PQerrorMessage(st->conn) : "out of memory", conninfo_));
        }
        state_ = std::move(st);
    }
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) {
        values.push_back(p ? p->c_str() : nullptr);
    }
    PGresult* res = PQexecParams(state_->conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
        values.data(), nullptr, nullptr, 0);
    const auto status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        std::string msg = safe_message(PQresultErrorMessage(res), conninfo_);
        PQclear(res);
        if (PQstatus(state_->conn) != CONNECTION_OK) {
            state_.reset();
        }
        throw pg_read_error(msg);
    }
    pg_rows out;
    const int n = PQntuples(res);
    const int m = PQnfields(res);
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        std::vector<pg_value> row;
        row.reserve(static_cast<std::size_t>(m));
        for (int j = 0; j < m; ++j) {
            if (PQgetisnull(res, i, j) != 0) {
                row.emplace_back(std::nullopt);
            } else {
                row.emplace_back(std::string(PQgetvalue(res, i, j), static_cast<std::size_t>(PQgetlength(res, i, j))));
            }
        }
        out.push_back(std::move(row));
    }
    PQclear(res);
    return out;
}

std::string pg_text_array(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) {
            out.push_back(',');
        }
        out.push_back('"');
        for (const char c : values[i]) {
            if (c == '"' || c == '\\') {
                out.push_back('\\');
            }
            out.push_back(c);
        }
        out.push_back('"');
    }
    out.push_back('}');
    return out;
}

} // namespace ledgertap::ingest
