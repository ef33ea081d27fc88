#pragma once

// The chain-neutral unit of work between sources and the batch writer: rows already encoded as
// COPY text lines, tagged with the table they go to. Sources (Nano, Solana, backfill) turn typed
// events into rows; the writer only knows tables, never chains.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ledgertap::ingest {

/// Index of a table in the writer's table_set.
using table_id = std::uint16_t;

struct row {
    table_id table = 0;
    std::string line; ///< One COPY text line (copy_row::finish()), ending in '\n'.
};

/// Everything one input message produced. The writer commits a group entirely or not at all, and
/// when the database rejects a batch it isolates the refused groups (sink::write_isolated), so a
/// bad message is dead-lettered alone and everything else is stored.
struct row_group {
    std::vector<row> rows;
    std::string origin; ///< Where it came from, for logs and dead letters ("nano/confirmation").
    /// When it entered the writer queue (bounded_queue::push): a batch's age is its oldest
    /// group's, so time spent queued behind a write counts against writer.batch_max_age_ms.
    std::chrono::steady_clock::time_point queued_at{};

    [[nodiscard]] std::size_t bytes() const noexcept {
        std::size_t n = origin.size();
        for (const auto& r : rows) {
            n += r.line.size() + sizeof(row);
        }
        return n;
    }
};

/// One column of a staging table, in COPY order.
struct column {
    std::string name;
    std::string type; ///< PostgreSQL type of the staging column, e.g. "numeric(39,0)".
};

/// How rows for one target table are staged and merged.
///
/// `merge_sql` reads the staging table (named by `staging`) and merges into the target with
/// `INSERT … SELECT DISTINCT ON (key) … ON CONFLICT …`. It must be idempotent: the writer
/// resends a whole batch after any failure whose outcome is unknown.
struct table_spec {
    std::string name;    ///< Target, e.g. "nano.blocks" (for logs and metrics).
    std::string staging; ///< Temporary staging table name, e.g. "lt_stage_nano_blocks".
    std::vector<column> columns;
    std::string merge_sql;
    /// Further statements over the same staging table, run after the merge in the same
    /// transaction (e.g. gap detection over the blocks just staged). May use `{staging}`.
    std::vector<std::string> after_merge = {};
};

/// The tables a writer knows, in merge order (a table's merge runs after those registered
/// before it, so progress rows can be derived from data merged earlier in the same transaction).
class table_set {
public:
    table_id add(table_spec spec) {
        specs_.push_back(std::move(spec));
        return static_cast<table_id>(specs_.size() - 1);
    }
    [[nodiscard]] const std::vector<table_spec>& specs() const noexcept { return specs_; }
    [[nodiscard]] const table_spec& at(table_id id) const { return specs_.at(id); }
    /// For modules that extend another's table (e.g. gap detection over staged blocks).
    [[nodiscard]] table_spec& mutable_at(table_id id) { return specs_.at(id); }
    [[nodiscard]] std::size_t size() const noexcept { return specs_.size(); }

private:
    std::vector<table_spec> specs_;
};

} // namespace ledgertap::ingest
