#pragma once

// Progress tables of the gap detector and backfillers (ledgertap.gaps, ledgertap.watermarks,
// nano.accounts), written through the batch writer so progress is committed in the same
// transaction as the rows it describes.

#include "ingest/nano_tables.hpp"
#include "ingest/rows.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledgertap::ingest {

struct gap_tables {
    table_id gap_inserts = 0; ///< New gap rows (natural key; detecting twice is one row).
    table_id gap_updates = 0; ///< Status/progress of an existing gap, by id.
    table_id watermarks = 0;  ///< Per-source positions that only move forward.
};

/// Registers the progress tables. Call after the chain tables, so a gap update merges after the
/// blocks it reports on.
[[nodiscard]] gap_tables register_gap_tables(table_set& tables);

/// Adds gap detection and nano.accounts maintenance to the nano.blocks merge, in the same
/// transaction: a staged confirmed block whose previous block is not stored opens a
/// nano_account_chain gap on a known account (or on any account when `backfill_unknown`);
/// an account first seen mid-chain otherwise gets history_start_height = that height, so no false
/// alarm is raised for history that predates ledgertap.
void add_nano_gap_detection(table_set& tables, const nano_tables& nano, bool backfill_unknown);

struct gap_insert {
    std::string chain;
    std::string source;
    std::string kind;
    std::optional<std::string> account;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::optional<std::string> anchor_hash;
    std::string status = "open";
    std::uint64_t recovered = 0;
};
[[nodiscard]] row row_for_gap_insert(const gap_tables& t, const gap_insert& g);

struct gap_update {
    std::int64_t id = 0;
    std::string status;
    std::uint32_t attempts = 0;  ///< Absolute.
    std::uint64_t recovered = 0; ///< Absolute.
    std::optional<std::string> last_error;
};
[[nodiscard]] row row_for_gap_update(const gap_tables& t, const gap_update& g);

[[nodiscard]] row row_for_watermark(const gap_tables& t, std::string_view source, std::string_view key,
    std::uint64_t value, std::optional<std::string> detail = std::nullopt);

} // namespace ledgertap::ingest
