// Migration 0009's roles: ledgertap_writer holds exactly what ledgertap-ingest needs and no DDL,
// ledgertap_reader exactly what ledgertap-query and dashboards need; both are NOLOGIN groups that
// login roles join. Proven by the catalogue (every table and view of the three schemas), by what a
// member may and may not do, and end to end: the daemon ingests both chains as a writer member and
// the query tool answers as a reader member. Default privileges reach tables a later migration
// adds, and an owner without CREATEROLE is told exactly what to ask an administrator for.

#include "ingest/migrate.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <pqxx/pqxx>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

/// A LOGIN role that is a member of `group`, dropped (from the whole cluster) on destruction.
class member_role {
public:
    member_role(std::string server, const std::string& group)
      : server_(std::move(server)) {
        std::random_device rd;
        name_ = fmt::format(
            "lt_{}_{}_{}", group == "ledgertap_writer" ? "w" : "r", getpid(), rd() % 1000000);
        exec_sql(server_, fmt::format("CREATE ROLE {} LOGIN IN ROLE {}", name_, group));
    }
    ~member_role() {
        try {
            exec_sql(server_, "DROP ROLE IF EXISTS " + name_);
        } catch (const std::exception& e) {
            WARN("could not drop role " << name_ << ": " << e.what());
        }
    }
    member_role(const member_role&) = delete;
    member_role& operator=(const member_role&) = delete;
    member_role(member_role&&) = delete;
    member_role& operator=(member_role&&) = delete;

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    /// `db`'s conninfo, logging in as this role (a later key=value overrides an earlier one).
    [[nodiscard]] std::string conninfo(const scratch_database& db) const {
        return db.conninfo() + " user=" + name_;
    }

private:
    std::string server_;
    std::string name_;
};

/// The SQLSTATE `sql` fails with as `conninfo`'s user ("" when it succeeds).
std::string sqlstate_of(const std::string& conninfo, const std::string& sql) {
    try {
        exec_sql(conninfo, sql);
        return "";
    } catch (const pqxx::sql_error& e) {
        // libpqxx 6.4 leaves sqlstate() empty for some errors: fall back on the message.
        const std::string what = e.what();
        return !e.sqlstate().empty() ? e.sqlstate()
               : what.find("permission denied") != std::string::npos
                       || what.find("must be owner") != std::string::npos
                   ? std::string{"42501"}
                   : "error: " + what;
    }
}

constexpr const char* insufficient_privilege = "42501";

/// Relations of the three schemas for which `role` lacks (or, with want = false, has) `privilege`.
std::string relations_where(
    const scratch_database& db,
    const std::string& role,
    const std::string& privilege,
    bool want,
    const std::string& kinds = "'r','v','m','p'") {
    return query_scalar(
               db.conninfo(),
               fmt::format(
                   "SELECT coalesce(string_agg(n.nspname || '.' || c.relname, ', ' ORDER BY 1), "
                   "'') "
                   "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                   "WHERE n.nspname IN ('ledgertap', 'nano', 'solana') AND c.relkind IN ({}) "
                   "AND has_table_privilege('{}', c.oid, '{}') <> {}",
                   kinds,
                   role,
                   privilege,
                   want ? "true" : "false"))
        .value_or("?");
}

} // namespace

TEST_CASE(
    "roles: the writer may read and write every table and nothing more, the reader may only read") {
    scratch_database db{"roles_catalog"};
    db.migrate();
    const std::string server = test_server_conninfo();
    for (const std::string role : {"ledgertap_writer", "ledgertap_reader"}) {
        INFO(role);
        CHECK(
            query_scalar(
                db.conninfo(), "SELECT rolcanlogin FROM pg_roles WHERE rolname = '" + role + "'")
            == "f");
        CHECK(
            query_scalar(
                db.conninfo(),
                "SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles "
                "WHERE rolname = '"
                    + role + "'")
            == "f");
        // The migration that created the role said what it is for.
        CHECK(
            query_scalar(
                db.conninfo(),
                "SELECT shobj_description(oid, 'pg_authid') LIKE 'ledgertap-%' FROM pg_roles WHERE "
                "rolname = '"
                    + role + "'")
            == "t");
    }
    // The catalogue: every relation, including views and partitions.
    CHECK(relations_where(db, "ledgertap_writer", "SELECT", true).empty());
    CHECK(relations_where(db, "ledgertap_reader", "SELECT", true).empty());
    for (const std::string p : {"INSERT", "UPDATE", "DELETE"}) {
        INFO(p);
        CHECK(relations_where(db, "ledgertap_reader", p, false).empty());
        // The writer writes every table but the migrations' own record.
        CHECK(
            relations_where(db, "ledgertap_writer", p, true, "'r','p'")
            == "ledgertap.schema_migrations");
    }
    for (const std::string p : {"TRUNCATE", "REFERENCES", "TRIGGER"}) {
        CHECK(relations_where(db, "ledgertap_writer", p, false).empty());
        CHECK(relations_where(db, "ledgertap_reader", p, false).empty());
    }
    CHECK(
        query_scalar(
            db.conninfo(),
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('ledgertap','nano','solana') AND "
            "(has_schema_privilege('ledgertap_writer', oid, 'CREATE') OR "
            " has_schema_privilege('ledgertap_reader', oid, 'CREATE') OR "
            " NOT has_schema_privilege('ledgertap_reader', oid, 'USAGE'))")
        == "0");

    // What members may do, as themselves.
    const member_role writer{server, "ledgertap_writer"};
    const member_role reader{server, "ledgertap_reader"};
    const auto w = writer.conninfo(db);
    const auto r = reader.conninfo(db);
    CHECK(sqlstate_of(w, "CREATE TABLE nano.evil (x int)") == insufficient_privilege);
    CHECK(sqlstate_of(w, "TRUNCATE nano.blocks") == insufficient_privilege);
    CHECK(sqlstate_of(w, "DROP TABLE nano.blocks") == insufficient_privilege);
    CHECK(sqlstate_of(w, "DELETE FROM ledgertap.schema_migrations") == insufficient_privilege);
    CHECK(sqlstate_of(w, "CREATE TEMP TABLE staging_probe (x int)").empty()); // COPY staging
    CHECK(sqlstate_of(w, "UPDATE ledgertap.sources SET connected = connected").empty());
    CHECK(
        sqlstate_of(r, "UPDATE ledgertap.sources SET connected = connected")
        == insufficient_privilege);
    CHECK(sqlstate_of(r, "DELETE FROM nano.blocks") == insufficient_privilege);
    CHECK(sqlstate_of(r, "CREATE TABLE solana.evil (x int)") == insufficient_privilege);
    // Every view answers the reader (the functions they call included).
    const auto views = query_scalar(
        db.conninfo(),
        "SELECT string_agg(format('SELECT count(*) FROM %I.%I', schemaname, viewname), '; ') FROM "
        "pg_views "
        "WHERE schemaname IN ('ledgertap', 'nano', 'solana')");
    REQUIRE(views);
    CHECK(sqlstate_of(r, *views).empty());
}

TEST_CASE("roles: ingest runs as a writer member and ledgertap-query as a reader member") {
    scratch_database db{"roles_e2e"};
    db.migrate();
    const std::string server = test_server_conninfo();
    const member_role writer{server, "ledgertap_writer"};
    const member_role reader{server, "ledgertap_reader"};
    const auto dir = make_temp_dir("roles");
    child_process sim{
        {sim_executable(),
         "--chain",
         "both",
         "--rate",
         "50",
         "--slot-ms",
         "100",
         "--duration",
         "60",
         "--ports-file",
         dir + "/ports.json",
         "--log-level",
         "warn"},
        dir + "/sim"};
    const auto ports = read_ports_file(dir + "/ports.json", 20s);
    REQUIRE(ports);
    const auto url = [](int port, const char* scheme) {
        return fmt::format("{}://127.0.0.1:{}", scheme, port);
    };
    child_process ingest{
        {ingest_executable(),
         "--db",
         writer.conninfo(db),
         "--log-level",
         "info",
         "--nano-ws",
         url(ports->nano_ws, "ws"),
         "--nano-rpc",
         url(ports->nano_rpc, "http"),
         "--solana-ws",
         url(ports->solana_ws, "ws"),
         "--solana-rpc",
         url(ports->solana_rpc, "http")},
        dir + "/ingest"};
    const auto count = [&](const char* table) {
        return std::stoll(query_scalar(db.conninfo(), fmt::format("SELECT count(*) FROM {}", table))
                              .value_or("0"));
    };
    const bool flowing = wait_until(
        [&] {
            return count("nano.blocks") > 20 && count("nano.votes") > 0
                   && count("solana.slots") > 20 && count("solana.blocks") > 0;
        },
        45s);
    INFO(ingest.stderr_text().substr(0, 4000));
    REQUIRE(flowing);
    CHECK(query_scalar(db.conninfo(), "SELECT bool_and(connected) FROM ledgertap.sources") == "t");
    ingest.terminate();
    REQUIRE(ingest.wait(30s) == 0);
    CHECK(ingest.stderr_text().find("permission denied") == std::string::npos);

    const std::string query = std::string{LEDGERTAP_BINARY_DIR} + "/query/ledgertap-query";
    for (const std::string command : {"status", "latency", "gaps", "slots", "votes"}) {
        child_process q{
            {query, command, "--db", reader.conninfo(db), "--since", "1h", "--format", "json"},
            dir + "/q_" + command};
        INFO(command << ": " << q.stderr_text());
        CHECK(q.wait(30s) == 0);
        CHECK_FALSE(q.stdout_text().empty());
    }
}

TEST_CASE("roles: tables a later migration adds are granted by default privileges") {
    scratch_database db{"roles_future"};
    const auto dir = std::filesystem::path{make_temp_dir("roles_migrations")};
    for (const auto& entry : std::filesystem::directory_iterator{source_migrations_dir()}) {
        std::filesystem::copy_file(entry.path(), dir / entry.path().filename());
    }
    std::ofstream{dir / "9000_future.sql"}
        << "CREATE TABLE nano.future_rows (id bigserial PRIMARY KEY, x int);\n"
           "CREATE VIEW nano.future_view AS SELECT x FROM nano.future_rows;\n";
    db.migrate(dir);
    const auto has = [&](const char* role, const char* object, const char* privilege) {
        return query_scalar(
            db.conninfo(),
            fmt::format(
                "SELECT has_table_privilege('{}', '{}', '{}')::text", role, object, privilege));
    };
    CHECK(has("ledgertap_writer", "nano.future_rows", "INSERT") == "true");
    CHECK(
        query_scalar(
            db.conninfo(),
            "SELECT has_sequence_privilege('ledgertap_writer', 'nano.future_rows_id_seq', "
            "'USAGE')::text")
        == "true");
    CHECK(has("ledgertap_reader", "nano.future_view", "SELECT") == "true");
    CHECK(has("ledgertap_reader", "nano.future_rows", "INSERT") == "false");
    CHECK(has("ledgertap_writer", "nano.future_rows", "TRUNCATE") == "false");
    std::filesystem::remove_all(dir);
}

TEST_CASE("roles: an owner without CREATEROLE is told which roles an administrator must create") {
    private_cluster cluster;
    exec_sql(cluster.conninfo(), "CREATE ROLE lt_owner LOGIN CREATEDB");
    {
        pqxx::connection conn{cluster.conninfo()};
        pqxx::nontransaction tx{conn};
        tx.exec("CREATE DATABASE lt_owned OWNER lt_owner");
    }
    const std::string owner = with_dbname(cluster.conninfo(), "lt_owned") + " user=lt_owner";
    std::string message;
    try {
        (void)ingest::apply_migrations(owner, source_migrations_dir());
    } catch (const std::exception& e) {
        message = e.what();
    }
    INFO(message);
    CHECK(message.find("ledgertap_writer") != std::string::npos);
    CHECK(message.find("CREATEROLE") != std::string::npos);
    // Nothing of 0009 stayed behind; 0001-0008 did (each migration is its own transaction).
    CHECK(query_scalar(owner, "SELECT max(version)::text FROM ledgertap.schema_migrations") == "8");
    // The administrator creates the roles; the same owner's next migrate finishes.
    exec_sql(
        cluster.conninfo(),
        "CREATE ROLE ledgertap_writer NOLOGIN; CREATE ROLE ledgertap_reader NOLOGIN");
    const auto rest = ingest::apply_migrations(owner, source_migrations_dir());
    REQUIRE_FALSE(rest.applied.empty());
    CHECK(rest.applied.front().file_name == "0009_roles.sql");
    CHECK(
        query_scalar(
            owner, "SELECT has_table_privilege('ledgertap_writer', 'nano.blocks', 'INSERT')::text")
        == "true");
}

} // namespace ledgertap::test
