#pragma once

#include "ingest/rows.hpp"

#include <span>
#include <string>

namespace ledgertap::ingest {

/// What the pipeline does with a batch after a write attempt (fluent-bit's OK / RETRY / ERROR).
enum class write_status {
    ok,     ///< Durable. Rows and progress are committed.
    retry,  ///< Transient (connection lost, serialization failure, commit in doubt). Back off, resend.
    reject, ///< Permanent for this batch (bad data, constraint). The writer bisects and dead-letters.
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
};

} // namespace ledgertap::ingest
