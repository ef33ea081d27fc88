#pragma once

// Building blocks of the HTML report: escaping, number formatting and time-series charts drawn as
// inline SVG (no scripts, no external resources). Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::query {

/// `text` safe inside HTML text and attribute values (& < > " ' escaped).
[[nodiscard]] std::string html_escape(std::string_view text);

/// A bucket width in seconds for a chart over `span_seconds`: the smallest of 1 s, 2 s, 5 s, 10 s,
/// 15 s, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6, 12 h, 1 d that gives at most `max_buckets`
/// buckets (a day when none does).
[[nodiscard]] std::int64_t choose_bucket_seconds(double span_seconds, int max_buckets = 90);

/// Milliseconds for people: `412 ms`, `1.25 s`, `13.4 s`, `2.1 min`; `-` when absent.
[[nodiscard]] std::string format_ms(std::optional<double> ms);

/// A number with at most `decimals` decimals and no trailing zeros; `-` when absent.
[[nodiscard]] std::string format_number(std::optional<double> value, int decimals = 2);

/// `2024-05-01 12:00:00` (UTC) for unix seconds.
[[nodiscard]] std::string format_utc(double unix_seconds);

/// One line (or one stack layer) of a chart.
struct chart_series {
    std::string label;
    std::string color;                    ///< any CSS color, e.g. `#2563eb`
    std::vector<std::optional<double>> y; ///< one value per x; std::nullopt leaves a gap
    bool dashed = false;                  ///< lines only
};

enum class chart_style {
    lines,       ///< a line per series, a dot per value (with a tooltip)
    stacked_bars ///< a bar per x, series stacked bottom to top
};

/// A chart over time. x values are unix seconds, ascending, one per bucket.
struct chart_spec {
    std::string id;      ///< unique element id, e.g. `nano-latency`
    std::string title;   ///< accessible name of the SVG
    std::string y_label; ///< axis title with its unit, e.g. `latency (ms)`
    std::string unit;    ///< unit in tooltips, e.g. `ms`
    chart_style style = chart_style::lines;
    std::vector<double> x;
    double x_min = 0; ///< axis range, unix seconds; x_max <= x_min: taken from x
    double x_max = 0;
    double bucket_seconds = 60; ///< bar width
    std::vector<chart_series> series;
};

/// An inline `<svg class="chart">` with axes (ticks, UTC time labels, a y title with the unit),
/// grid lines, a legend and the data; `data-points` counts the values drawn. A chart without
/// values shows its axes and "no data in this window".
[[nodiscard]] std::string svg_time_chart(const chart_spec& spec);

} // namespace ledgertap::query
