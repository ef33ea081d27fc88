#pragma once

#include "ingest/copy_binary.hpp"
#include "ingest/rows.hpp"
#include "ingest/sink.hpp"

#include <chrono>
#include <cstddef>
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
    /// A staging table is emptied with DELETE after each batch that used it, and with TRUNCATE
    /// once this many bytes (COPY text plus tuple overhead) went into it since its last TRUNCATE:
    /// deleted and rolled-back rows still take space, and autovacuum never processes temp tables.
    /// Bounds each staging table to about this much plus one batch. DELETE of a small batch costs
    /// much less than TRUNCATE (a new file per table); a larger bound makes every merge scan more
    /// dead pages. 256 KiB measured as good as 1 MiB and better than 4 MiB.
    std::size_t staging_truncate_bytes = std::size_t{256} << 10U;
    /// SET work_mem for the session, in kB (0: the server's setting). The merges sort a batch's
    /// staged rows (DISTINCT ON), and with PostgreSQL's default of 4 MB a batch of 5,000
    /// confirmations (a 4.4 MB sort) went to a temporary file; see work_mem_for_batch.
    std::size_t work_mem_kb = 0;
};

/// work_mem (kB) for a writer whose batches hold at most `batch_max_bytes` of COPY text: twice
/// that, for the sort's tuple overhead, and never below PostgreSQL's default of 4 MB.
[[nodiscard]] std::size_t work_mem_for_batch(std::size_t batch_max_bytes) noexcept;

class counter;

/// The statement that creates `spec`'s staging table in a writer session.
[[nodiscard]] std::string staging_table_ddl(const table_spec& spec);
/// `spec`'s merge, then its post-merge statements, with `{staging}` replaced: what each batch
/// that staged rows for it runs (scripts/explain shows their plans on a large database).
[[nodiscard]] std::vector<std::string> merge_statements(const table_spec& spec);

namespace detail {
struct pg_state; // libpq connection, prepared merges; defined in the .cpp.
} // namespace detail

/// The PostgreSQL sink: one transaction per batch — COPY into per-connection temporary staging
/// tables, then each table's `INSERT … SELECT DISTINCT ON … ON CONFLICT` merge, then emptying the
/// staging tables the batch used, then COMMIT.
///
/// The staging tables are `ON COMMIT PRESERVE ROWS`, not `DELETE ROWS`: PostgreSQL truncates every
/// `ON COMMIT DELETE ROWS` table of the session (files and local buffers) at each commit of a
/// transaction that touched any temp table, so with ~25 staging tables each commit paid ~7 ms
/// (p50, this 2-core machine) however few tables the batch used. Instead each batch DELETEs from
/// the tables it used, and a table is TRUNCATEd instead once options.staging_truncate_bytes were
/// staged into it since its last TRUNCATE, which bounds its size (deleted and rolled-back rows
/// stay on disk; autovacuum never processes temp tables). Emptying happens inside the batch's
/// transaction, so a rollback leaves the tables as empty as it found them.
///
/// Rows arrive as COPY text lines (copy_row) and go to the server in binary COPY format,
/// re-encoded by binary_copy_encoder for the staging columns' types while the server reads the
/// rows before them: the server's input functions for text COPY (timestamptz and numeric above
/// all) were half of what staging a row cost the one backend that every batch waits for. A row
/// the encoder refuses fails its COPY as bad data (SQLSTATE 22P04) with the encoder's reason, so
/// the writer dead-letters its message alone, as with a row the server refuses. The constructor
/// throws std::invalid_argument for a staging column type binary COPY here does not support.
///
/// It talks to libpq directly rather than through libpqxx: COPY data goes out with
/// PQputCopyData, and the session (temp tables, prepared merges) is rebuilt explicitly after
/// every reconnect instead of relying on libpqxx 6.4's deprecated transparent reactivation, which
/// silently drops temp tables.
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
    /// Runs `opening` (BEGIN, or a SAVEPOINT inside the open transaction), then stages and merges
    /// `groups`, all as one simple query: a round trip per table used plus one. rows_per_table gets
    /// what it staged; a failure names the statement and table that failed.
    std::optional<step_failure> apply(std::string_view opening,
        std::span<const row_group* const> groups, std::vector<std::size_t>& rows_per_table);
    /// Ends the open transaction: DELETE FROM the staging tables with rows in `delete_rows_of`
    /// (indexed by table; empty: none), TRUNCATE instead every table whose staged bytes reached
    /// options_.staging_truncate_bytes, then COMMIT, in one round trip. `truncated` gets those
    /// tables, whose counters committed_truncates() resets once this returned true.
    bool empty_staging_and_commit(
        const std::vector<std::size_t>& delete_rows_of,
        std::vector<std::size_t>& truncated,
        std::string& detail);
    void committed_truncates(const std::vector<std::size_t>& truncated);
    /// Rolls back the open transaction (or drops a dead connection) and returns {status, detail}.
    write_result abandon(write_status status, std::string detail);
    void count_committed(const std::vector<std::size_t>& rows_per_table);

    std::string conninfo_;
    const table_set& tables_;
    pg_sink_options options_;
    std::unique_ptr<detail::pg_state> state_;
    std::uint64_t connects_ = 0;
    bool collation_checked_ = false; ///< collation_warning logged (or not) on the first connect
    std::vector<counter*> rows_written_; ///< per table, ledgertap_rows_written_total
    std::vector<binary_copy_encoder> encoders_; ///< per table, for its staging columns
    std::string copy_chunk_;                    ///< binary COPY data on its way to libpq
};

} // namespace ledgertap::ingest
