#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ledgertap::ingest {

/// A failed query or connection; the message never contains a password.
class pg_read_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using pg_value = std::optional<std::string>;
using pg_rows = std::vector<std::vector<pg_value>>;

namespace detail {
struct pg_read_state;
} // namespace detail

/// A small read connection for the gap detectors and backfillers (text parameters, text results).
/// Connects lazily, and again after any failure. Not thread-safe: one per thread.
class pg_reader {
public:
    explicit pg_reader(std::string conninfo);
    ~pg_reader();
    pg_reader(const pg_reader&) = delete;
    pg_reader& operator=(const pg_reader&) = delete;
    pg_reader(pg_reader&&) = delete;
    pg_reader& operator=(pg_reader&&) = delete;

    /// Runs one statement with $1..$n text parameters. Throws pg_read_error.
    pg_rows query(const std::string& sql, const std::vector<pg_value>& params = {});

private:
    std::string conninfo_;
    std::unique_ptr<detail::pg_read_state> state_;
};

/// A PostgreSQL text[] literal of plain tokens (hashes, keys): {"a","b"}.
[[nodiscard]] std::string pg_text_array(const std::vector<std::string>& values);

} // namespace ledgertap::ingest
