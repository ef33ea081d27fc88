#pragma once

#include "ingest/rows.hpp"
#include "ingest/sink.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <vector>
#include <string>

namespace ledgertap::ingest {

struct pg_sink_options {
    std::string application_name = "ledgertap-ingest";
    /// `off` trades up to ~3 × wal_writer_delay of committed rows on a server crash for latency;
    /// safe with idempotent merges (the rows come back through the gap detector), off by default.
    bool synchronous_commit = true;
    std::chrono::milliseconds statement_timeout{120000};
};

class counter;

namespace detail {
struct pg_state; // libpq connection, prepared merges; defined in the .cpp.
} // namespace detail

/// The PostgreSQL sink: one transaction per batch — COPY into per-connection temporary staging
/// tables, then each table's `INSERT … SELECT DISTINCT ON … ON CONFLICT` merge, then COMMIT.
///
/// It talks to libpq directly rather than through libpqxx: raw COPY lines (already escaped by
/// copy_row) go out with PQputCopyData without another encoding pass, and the session (temp
/// tables, prepared merges) is rebuilt explicitly after every reconnect instead of relying on
/// libpqxx 6.4's deprecated transparent reactivation, which silently drops temp tables.
///
/// Error classes (SQLSTATE): 22 (data) and 23 (integrity) reject the batch; everything else —
/// lost connections (08, or the connection found bad), serialization failures (40), resource and
/// operator conditions (53, 57), and a COMMIT whose outcome is unknown — is `retry`, after dropping
/// the connection when it is no longer usable. Schema errors (42, e.g. migrations not applied) are
/// also `retry`, with the cause in the detail, so data waits for the operator instead of being
/// dead-lettered wholesale.
///
/// Used by the writer thread only. The connection is opened lazily on the first write.
class pg_sink final : public sink {
public:
    pg_sink(std::string conninfo, const table_set& tables, pg_sink_options options = {});
    ~pg_sink() override;
    pg_sink(const pg_sink&) = delete;
    pg_sink& operator=(const pg_sink&) = delete;
    pg_sink(pg_sink&&) = delete;
    pg_sink& operator=(pg_sink&&) = delete;

    [[nodiscard]] write_result write(std::span<const row_group> batch) noexcept override;
    /// One transaction; each part under a savepoint, narrowed by the failing table, then halved.
    [[nodiscard]] write_result write_isolated(
        std::span<const row_group> batch, std::vector<std::string>& refused) noexcept override;

    /// Number of times a connection was (re)established.
    [[nodiscard]] std::uint64_t connects() const noexcept { return connects_; }

private:
    struct step_failure {
        write_status status;
        std::string detail;
        std::size_t table; ///< index of the table whose COPY or merge failed
    };

    /// Runs a write attempt; anything it throws becomes `retry` and drops the connection, whose
    /// state is then unknown. Keeps write() and write_isolated() noexcept with one catch ladder.
    template<typename Body>
    write_result guarded(Body&& body) noexcept;
    write_result ensure_connected();
    /// Stages and merges `groups` inside the open transaction; rows_per_table gets what it staged.
    std::optional<step_failure> apply(
        std::span<const row_group* const> groups, std::vector<std::size_t>& rows_per_table);
    /// Rolls back the open transaction (or drops a dead connection) and returns {status, detail}.
    write_result abandon(write_status status, std::string detail);
    void count_committed(const std::vector<std::size_t>& rows_per_table);

    std::string conninfo_;
    const table_set& tables_;
    pg_sink_options options_;
    std::unique_ptr<detail::pg_state> state_;
    std::uint64_t connects_ = 0;
    std::vector<counter*> rows_written_; ///< per table, ledgertap_rows_written_total
};

} // namespace ledgertap::ingest
