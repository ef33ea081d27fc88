#pragma once

// `ledgertap-query report`: one self-contained HTML page (inline CSS and SVG, no scripts, no
// network, no external fonts) with a summary header, charts over time and the gap and source
// tables. Collection (SQL through a read-only session) and rendering (pure) are separate, so the
// page can be tested without a database.

#include "query/commands.hpp"
#include "query/output.hpp"
#include "query/session.hpp"

#include <cstdint>
#include <string>

namespace ledgertap::query {

/// Everything the report shows, as the database answered it. Times in the *_stats tables are
/// unix seconds (column `t`, the bucket start).
struct report_data {
    std::int64_t since_seconds = 3600; ///< the --since window
    std::int64_t bucket_seconds = 60;  ///< chart bucket width, chosen from the data's span
    double now = 0;                    ///< unix seconds at the database
    double data_from = 0;              ///< first and last event time in the window (0: none)
    double data_to = 0;
    result_table nano_summary;       ///< nano.confirmation_summary, `all` last
    result_table nano_stats;         ///< nano.confirmation_stats per bucket and type
    result_table solana_summary;     ///< slot_summary and block_summary, one row
    result_table slot_steps;         ///< median of each slot step, one row
    result_table slot_stats;         ///< solana.slot_stats per bucket
    result_table block_stats;        ///< solana.block_stats per bucket
    result_table sources;            ///< ledgertap.source_status
    result_table gaps;               ///< open and recent gaps
    result_table telemetry_summary;  ///< nano.telemetry_spread, one row
    result_table telemetry_versions; ///< nano.telemetry_versions
};

/// Most gaps the report lists.
inline constexpr std::int64_t report_gap_limit = 50;

/// Runs the report's queries. Throws database_error.
[[nodiscard]] report_data collect_report(session& db, const command_options& options);

/// The page. `version` shows in the footer.
[[nodiscard]] std::string render_report_html(const report_data& data, const std::string& version);

} // namespace ledgertap::query
