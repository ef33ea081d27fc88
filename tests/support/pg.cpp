#include "tests/support/pg.hpp"

#include "ingest/migrate.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <pqxx/pqxx>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <libpq-fe.h>
#include <memory>
#include <random>
#include <stdexcept>
#include <unistd.h>

namespace ledgertap::test {

namespace {

[[nodiscard]] std::string quote_conninfo_value(std::string_view value) {
    std::string out = "'";
    for (const char c : value) {
        if (c == '\\' || c == '\'') {
            out += '\\';
        }
        out += c;
    }
    out += '\'';
    return out;
}

[[nodiscard]] std::string sanitize_label(std::string_view label) {
    std::string out;
    for (const char c : label) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        out += ok ? c : '_';
    }
    constexpr std::size_t max_label = 24; // database names are limited to 63 bytes
    if (out.size() > max_label) {
        out.resize(max_label);
    }
    return out.empty() ? std::string{"test"} : out;
}

[[nodiscard]] std::string unique_name(std::string_view label) {
    static std::atomic<unsigned> counter{0};
    std::random_device device;
    const unsigned suffix = device() & 0xffffffU;
    return fmt::format(
        "lt_{}_{}_{}_{:06x}",
        sanitize_label(label),
        static_cast<long>(::getpid()),
        counter.fetch_add(1),
        suffix);
}

} // namespace

std::string test_server_conninfo() {
    const char* value = std::getenv("LEDGERTAP_TEST_DB"); // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr || *value == '\0') {
        FAIL("LEDGERTAP_TEST_DB is not set. Integration tests need a PostgreSQL server: run them "
             "through scripts/test, or `source tests/scripts/pg-test-cluster.sh start` in the same "
             "shell first (and pg_test_cluster_stop afterwards).");
    }
    return value;
}

std::string with_dbname(const std::string& conninfo, const std::string& dbname) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (options == nullptr) {
        std::string message = error != nullptr ? error : "out of memory";
        PQfreemem(error);
        throw std::runtime_error("cannot parse test conninfo: " + message);
    }
    const std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> owner{
        options, &PQconninfoFree};
    std::string out;
    for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
        if (o->val == nullptr || std::string_view{o->keyword} == "dbname") {
            continue;
        }
        out += fmt::format("{}={} ", o->keyword, quote_conninfo_value(o->val));
    }
    out += "dbname=" + quote_conninfo_value(dbname);
    return out;
}

std::filesystem::path source_migrations_dir() {
    return std::filesystem::path{LEDGERTAP_SOURCE_DIR} / "migrations";
}

scratch_database::scratch_database(std::string_view label, std::string_view options)
  : server_(test_server_conninfo())
  , name_(unique_name(label))
  , conninfo_(with_dbname(server_, name_)) {
    pqxx::connection conn{server_};
    pqxx::nontransaction tx{conn};
    tx.exec("CREATE DATABASE " + tx.quote_name(name_) + (options.empty() ? "" : " ") + std::string{options});
}

scratch_database::~scratch_database() {
    try {
        pqxx::connection conn{server_};
        pqxx::nontransaction tx{conn};
        tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scratch_database: could not drop %s: %s\n", name_.c_str(), e.what());
    }
}

std::size_t scratch_database::migrate(const std::filesystem::path& dir) const {
    return ingest::apply_migrations(conninfo_, dir).applied.size();
}

std::optional<std::string> query_scalar(const std::string& conninfo, const std::string& sql) {
    pqxx::connection conn{conninfo};
    pqxx::work tx{conn};
    const pqxx::result r = tx.exec(sql);
    if (r.size() != 1 || r.columns() < 1) {
        throw std::runtime_error(
            fmt::format("query_scalar: expected one row, got {}: {}", r.size(), sql));
    }
    std::optional<std::string> value;
    if (!r[0][0].is_null()) {
        value = r[0][0].c_str();
    }
    tx.commit();
    return value;
}

void exec_sql(const std::string& conninfo, const std::string& sql) {
    pqxx::connection conn{conninfo};
    pqxx::work tx{conn};
    tx.exec(sql);
    tx.commit();
}

} // namespace ledgertap::test
