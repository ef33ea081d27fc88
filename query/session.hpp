#pragma once

// The query tool's only way into PostgreSQL: one read-only session per command.

#include "query/output.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ledgertap::query {

/// Every database failure of a session. what() is one line and never contains a password.
class database_error : public std::runtime_error {
public:
    database_error(const std::string& message, std::string sqlstate, bool connecting)
      : std::runtime_error(message)
      , sqlstate_(std::move(sqlstate))
      , connecting_(connecting) {}

    /// SQLSTATE of the failed statement (e.g. 25006 for a write refused); empty when unknown.
    [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }
    /// True when the failure was reaching the database at all.
    [[nodiscard]] bool connecting() const noexcept { return connecting_; }

private:
    std::string sqlstate_;
    bool connecting_ = false;
};

/// A read-only view of the ledgertap database for one command.
///
/// Lifecycle: the constructor connects with `conninfo` (empty: libpq's PG* variables and service
/// files), makes the session read-only (`SET default_transaction_read_only = on`), sets TimeZone
/// to UTC (times come back as `...+00`) and a statement timeout, then opens one
/// `REPEATABLE READ READ ONLY` transaction, so every statement of the command sees the same
/// snapshot. The destructor rolls the transaction back and disconnects. After a failed statement
/// the transaction is aborted and later statements fail too: a command stops at its first error.
/// Ownership: owns its connection (libpqxx, hidden here). Threads: use from one thread at a time.
class session {
public:
    /// Throws database_error (connecting() true) when the database cannot be reached.
    explicit session(const std::string& conninfo);
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    session(session&&) noexcept;
    session& operator=(session&&) noexcept;

    /// Runs `sql` with text parameters `$1..$n` and returns its rows with column kinds taken from
    /// the result's PostgreSQL types. Throws database_error.
    [[nodiscard]] result_table run(
        const std::string& sql, const std::vector<std::string>& params = {});

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace ledgertap::query
