#pragma once

// PostgreSQL fixtures for integration tests. The server comes from LEDGERTAP_TEST_DB (a libpq
// conninfo with rights to create databases; scripts/test and tests/scripts/pg-test-cluster.sh set
// it). A test that needs PostgreSQL and finds it unset FAILS: it never skips silently.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ledgertap::test {

/// LEDGERTAP_TEST_DB; FAILs the running test with instructions when it is unset or empty.
[[nodiscard]] std::string test_server_conninfo();

/// `conninfo` (URL or key=value) with its database replaced by `dbname`, as key=value text.
[[nodiscard]] std::string with_dbname(const std::string& conninfo, const std::string& dbname);

/// The source tree's migrations/ directory.
[[nodiscard]] std::filesystem::path source_migrations_dir();

/// A database of its own for one test, on the LEDGERTAP_TEST_DB server.
///
/// Lifecycle: the constructor creates an empty database with a unique name (`lt_<label>_<pid>_
/// <n>_<random>`); the destructor drops it WITH (FORCE), closing any connection still open to it,
/// and reports (without throwing) when that fails. Not copyable or movable: its lifetime is the
/// database's. Thread safety: conninfo() may be used from any thread; connections are the
/// caller's.
class scratch_database {
public:
    /// `label`: lowercase letters, digits and '_' (shows in the name, for debugging).
    /// `options`: appended to CREATE DATABASE (e.g. "TEMPLATE template0 LOCALE 'C.utf8'").
    explicit scratch_database(std::string_view label = "test", std::string_view options = "");
    ~scratch_database();
    scratch_database(const scratch_database&) = delete;
    scratch_database& operator=(const scratch_database&) = delete;
    scratch_database(scratch_database&&) = delete;
    scratch_database& operator=(scratch_database&&) = delete;

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    /// key=value conninfo for this database (the server's settings, this dbname).
    [[nodiscard]] const std::string& conninfo() const noexcept { return conninfo_; }

    /// Applies every migration in `dir` through ingest::apply_migrations; returns how many it
    /// applied. Throws ingest::migrate_error on failure.
    std::size_t migrate(const std::filesystem::path& dir = source_migrations_dir()) const;

private:
    std::string server_;
    std::string name_;
    std::string conninfo_;
};

/// The first column of the single row `sql` returns, as text; std::nullopt for SQL NULL. Throws
/// std::runtime_error unless exactly one row comes back. Opens and closes its own connection.
[[nodiscard]] std::optional<std::string> query_scalar(
    const std::string& conninfo, const std::string& sql);

/// Runs `sql` (one or more statements) in one transaction on its own connection.
void exec_sql(const std::string& conninfo, const std::string& sql);

} // namespace ledgertap::test
