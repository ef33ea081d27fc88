#include "query/session.hpp"

#include "ingest/db.hpp"

#include <pqxx/pqxx>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ledgertap::query {

namespace {

/// Long enough for a report over days of data on indexes, short enough that a query gone wrong
/// does not hang a terminal or a script.
constexpr const char* statement_timeout = "120s";

// PostgreSQL type OIDs (pg_type.dat); stable across versions.
constexpr pqxx::oid oid_bool = 16;
constexpr pqxx::oid oid_int8 = 20;
constexpr pqxx::oid oid_int2 = 21;
constexpr pqxx::oid oid_int4 = 23;
constexpr pqxx::oid oid_oid = 26;
constexpr pqxx::oid oid_json = 114;
constexpr pqxx::oid oid_float4 = 700;
constexpr pqxx::oid oid_float8 = 701;
constexpr pqxx::oid oid_timestamp = 1114;
constexpr pqxx::oid oid_timestamptz = 1184;
constexpr pqxx::oid oid_numeric = 1700;
constexpr pqxx::oid oid_jsonb = 3802;

[[nodiscard]] column_kind kind_of(pqxx::oid type) noexcept {
    switch (type) {
    case oid_bool:
        return column_kind::boolean;
    case oid_int2:
    case oid_int4:
    case oid_int8:
    case oid_oid:
        return column_kind::integer;
    case oid_float4:
    case oid_float8:
        return column_kind::real;
    case oid_numeric:
        return column_kind::decimal;
    case oid_timestamp:
    case oid_timestamptz:
        return column_kind::time;
    case oid_json:
    case oid_jsonb:
        return column_kind::json;
    default:
        return column_kind::text;
    }
}

using snapshot_transaction = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

} // namespace

struct session::impl {
    std::string conninfo;
    std::unique_ptr<pqxx::connection> conn;
    std::unique_ptr<snapshot_transaction> tx;
};

session::session(const std::string& conninfo)
  : impl_(std::make_unique<impl>()) {
    impl_->conninfo = conninfo;
    try {
        impl_->conn = std::make_unique<pqxx::connection>(conninfo);
    } catch (const std::exception& e) {
        throw database_error(
            "cannot connect to the database (" + ingest::describe_conninfo(conninfo)
                + "): " + ingest::safe_message(e.what(), conninfo),
            {},
            true);
    }
    try {
        pqxx::nontransaction setup{*impl_->conn};
        setup.exec("SET default_transaction_read_only = on");
        setup.exec("SET TimeZone = 'UTC'");
        setup.exec("SET DateStyle = 'ISO, YMD'");
        setup.exec("SET IntervalStyle = 'postgres'");
        setup.exec("SET extra_float_digits = 1");
        setup.exec(std::string{"SET statement_timeout = '"} + statement_timeout + "'");
        setup.exec("SET application_name = 'ledgertap-query'");
        setup.commit();
        impl_->tx = std::make_unique<snapshot_transaction>(*impl_->conn);
    } catch (const pqxx::sql_error& e) {
        throw database_error(ingest::safe_message(e.what(), conninfo), e.sqlstate(), false);
    } catch (const std::exception& e) {
        throw database_error(ingest::safe_message(e.what(), conninfo), {}, false);
    }
}

session::~session() = default;
session::session(session&&) noexcept = default;
session& session::operator=(session&&) noexcept = default;

result_table session::run(const std::string& sql, const std::vector<std::string>& params) {
    pqxx::result rows;
    try {
        rows = impl_->tx->exec_params(sql, pqxx::prepare::make_dynamic_params(params));
    } catch (const pqxx::sql_error& e) {
        throw database_error(ingest::safe_message(e.what(), impl_->conninfo), e.sqlstate(), false);
    } catch (const pqxx::broken_connection& e) {
        throw database_error(
            "lost the database connection: " + ingest::safe_message(e.what(), impl_->conninfo),
            {},
            true);
    } catch (const std::exception& e) {
        throw database_error(ingest::safe_message(e.what(), impl_->conninfo), {}, false);
    }
    result_table out;
    const auto width = rows.columns();
    out.columns.reserve(width);
    for (pqxx::row::size_type c = 0; c < width; ++c) {
        out.columns.push_back(column{rows.column_name(c), kind_of(rows.column_type(c))});
    }
    out.rows.reserve(rows.size());
    for (const auto& row : rows) {
        auto& line = out.rows.emplace_back();
        line.reserve(width);
        for (pqxx::row::size_type c = 0; c < width; ++c) {
            const pqxx::field f = row[c];
            if (f.is_null()) {
                line.emplace_back(std::nullopt);
            } else {
                line.emplace_back(std::string{f.c_str(), f.size()});
            }
        }
    }
    return out;
}

} // namespace ledgertap::query
