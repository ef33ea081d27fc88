#pragma once

#include "ingest/rows.hpp"

#include <span>
#include <string>
#include <vector>

namespace ledgertap::ingest {

/// What the pipeline does with a batch after a write attempt (fluent-bit's OK / RETRY / ERROR).
enum class write_status {
    ok,     ///< Durable. Rows and progress are committed.
    retry,  ///< Transient (connection lost, serialization failure, commit in doubt). Back off, resend.
    reject, ///< Permanent for this batch (bad data, constraint). The writer isolates and dead-letters.
};

struct write_result {
    write_status status = write_status::ok;
    std::string detail; ///< Cause, for the log line; empty when ok. Never contains a password.
};

/// Destination for batches of row groups.
///
/// Implementations: pg_sink (PostgreSQL); tests use a recording fake. Contract: write() is called
/// only from the writer thread, never throws, and is idempotent for a given batch, because the
/// writer resends after `retry`.
class sink {
public:
    sink() = default;
    sink(const sink&) = delete;
    sink& operator=(const sink&) = delete;
    sink(sink&&) = delete;
    sink& operator=(sink&&) = delete;
    virtual ~sink() = default;

    [[nodiscard]] virtual write_result write(std::span<const row_group> batch) noexcept = 0;

    /// Writes `batch` keeping each group's fate its own, for a batch that write() rejected:
    /// the groups the database accepts are committed, and for each it refuses `refused[i]` is
    /// set to the database's reason (it is resized to batch.size(); "" means stored).
    /// Returns ok or retry (transient; resend the whole batch, idempotently), never reject.
    ///
    /// This default writes the groups one by one through write(): correct, one transaction per
    /// group. pg_sink overrides it with one transaction and a savepoint per suspect group, so a
    /// schema that refuses a whole message type costs a savepoint per message, not a bisection
    /// of transactions per batch.
    [[nodiscard]] virtual write_result write_isolated(
        std::span<const row_group> batch, std::vector<std::string>& refused) noexcept;
};

} // namespace ledgertap::ingest
