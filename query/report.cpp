#include "query/report.hpp"

#include "query/duration.hpp"
#include "query/html.hpp"
#include "query/sql.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace ledgertap::query {

namespace {

// ---- collection ----------------------------------------------------------------------------

constexpr const char* span_sql = R"(
SELECT extract(epoch FROM now())::float8 AS now_s,
       extract(epoch FROM least(n.lo, s.lo, b.lo))::float8 AS lo,
       extract(epoch FROM greatest(n.hi, s.hi, b.hi))::float8 AS hi
FROM (SELECT min(confirmed_at) AS lo, max(confirmed_at) AS hi FROM nano.blocks
      WHERE confirmed_at >= now() - $1::interval) AS n,
     (SELECT min(first_shred_at) AS lo, max(first_shred_at) AS hi FROM solana.slots
      WHERE first_shred_at >= now() - $1::interval) AS s,
     (SELECT min(at) AS lo, max(at) AS hi
      FROM solana.block_activity(now() - $1::interval)) AS b)";

constexpr const char* nano_stats_sql = R"(
SELECT extract(epoch FROM bucket_start)::float8 AS t, confirmation_type, confirmations, per_second,
       latency_p50_ms, latency_p90_ms, latency_p99_ms
FROM nano.confirmation_stats(now() - $1::interval, $2::interval)
ORDER BY t, confirmation_type)";

constexpr const char* solana_summary_sql = R"(
SELECT s.*, b.blocks, b.transactions, b.transactions_per_block, b.transactions_per_second
FROM solana.slot_summary(now() - $1::interval) AS s,
     solana.block_summary(now() - $1::interval) AS b)";

constexpr const char* slot_steps_sql = R"(
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY shred_to_bank_ms) AS shred_to_bank_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY bank_to_frozen_ms) AS bank_to_frozen_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY frozen_to_optimistic_ms)
           AS frozen_to_optimistic_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY optimistic_to_root_ms) AS optimistic_to_root_ms
FROM solana.slot_latency_since(now() - $1::interval))";

constexpr const char* slot_stats_sql = R"(
SELECT extract(epoch FROM bucket_start)::float8 AS t, slots, optimistic_p50_ms, optimistic_p90_ms,
       optimistic_p99_ms, root_p50_ms, root_p90_ms, root_p99_ms
FROM solana.slot_stats(now() - $1::interval, $2::interval)
ORDER BY t)";

constexpr const char* block_stats_sql = R"(
SELECT extract(epoch FROM bucket_start)::float8 AS t, blocks, transactions, transactions_per_block,
       transactions_per_second
FROM solana.block_stats(now() - $1::interval, $2::interval)
ORDER BY t)";

constexpr const char* sources_sql = R"(
SELECT source, chain, connected, last_message_at, lag_s, messages_received, open_gaps,
       filling_gaps, filled_gaps, missing, node_version, watermarks
FROM ledgertap.source_status ORDER BY source)";

// ---- reading cells -------------------------------------------------------------------------

[[nodiscard]] std::optional<double> number(
    const result_table& t, std::size_t row, std::string_view name) {
    const cell c = t.value(row, name);
    if (!c) {
        return std::nullopt;
    }
    double v = 0;
    const char* end = c->data() + c->size();
    const auto [ptr, ec] = std::from_chars(c->data(), end, v);
    if (ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return v;
}

[[nodiscard]] std::string text(const result_table& t, std::size_t row, std::string_view name) {
    return t.value(row, name).value_or("-");
}

/// The row of `t` whose `column` is `value`; std::nullopt when none.
[[nodiscard]] std::optional<std::size_t> find_row(
    const result_table& t, std::string_view column, std::string_view value) {
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        if (t.value(r, column) == value) {
            return r;
        }
    }
    return std::nullopt;
}

/// Long identifiers (addresses, hashes) as `nano_1iied...39zgw`; the cell's title has them whole.
[[nodiscard]] std::string abbreviate(std::string_view id) {
    constexpr std::size_t keep_head = 10;
    constexpr std::size_t keep_tail = 5;
    if (id.size() <= keep_head + keep_tail + 3) {
        return std::string{id};
    }
    return std::string{id.substr(0, keep_head)} + "..."
           + std::string{id.substr(id.size() - keep_tail)};
}

/// `2024-05-01 12:00:00` from PostgreSQL's `2024-05-01 12:00:00.123+00` (to the second).
[[nodiscard]] std::string readable_time(std::string_view pg) {
    constexpr std::size_t seconds_length = 19;
    const std::string iso = rfc3339_from_pg(pg);
    if (iso.size() < seconds_length || iso[10] != 'T') {
        return iso;
    }
    std::string out = iso.substr(0, seconds_length);
    out[10] = ' ';
    return out;
}

[[nodiscard]] std::string percent(std::optional<double> fraction) {
    if (!fraction) {
        return "-";
    }
    return format_number(*fraction * 100, 2) + " %";
}

// ---- page pieces ---------------------------------------------------------------------------

constexpr const char* page_css = R"(
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",Arial,sans-serif;background:#eef1f5;color:#111827}
header{background:linear-gradient(100deg,#0f172a,#1e3a8a 60%,#0e7490);color:#fff;padding:26px 32px 64px}
header h1{margin:0;font-size:26px;letter-spacing:.01em}
header p{margin:6px 0 0;color:#cbd5e1}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin:-44px 32px 0}
.card{background:#fff;border-radius:12px;padding:14px 16px;box-shadow:0 2px 6px rgba(15,23,42,.12)}
.card .label{font-size:11px;color:#6b7280;text-transform:uppercase;letter-spacing:.06em}
.card .value{font-size:24px;font-weight:650;margin-top:2px}
.card .sub{font-size:12px;color:#4b5563}
.panel{background:#fff;margin:18px 32px;border-radius:12px;padding:16px 20px 10px;box-shadow:0 1px 3px rgba(15,23,42,.08)}
.panel h2{font-size:16px;margin:0}
.panel p.note{color:#6b7280;font-size:12px;margin:2px 0 8px}
.chart{display:block;height:auto}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:12.5px;margin-bottom:8px}
th{text-align:left;color:#374151;border-bottom:2px solid #e5e7eb;padding:6px 8px;white-space:nowrap}
td{border-bottom:1px solid #f1f5f9;padding:5px 8px;vertical-align:top;white-space:nowrap}
td.wrap{white-space:normal;min-width:160px}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.mono{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:11.5px}
.pill{display:inline-block;padding:0 8px;border-radius:9px;font-size:11.5px;font-weight:600}
.pill.good{background:#dcfce7;color:#166534}.pill.bad{background:#fee2e2;color:#991b1b}
.pill.warn{background:#fef3c7;color:#92400e}.pill.idle{background:#e5e7eb;color:#374151}
.steps{display:grid;grid-template-columns:210px 1fr 90px;gap:6px 12px;align-items:center;font-size:13px;margin:6px 0 10px}
.steps .bar{height:14px;border-radius:4px;background:#0e7490;min-width:2px}
.steps .v{text-align:right;font-variant-numeric:tabular-nums}
footer{color:#6b7280;font-size:12px;margin:18px 32px 28px}
)";

struct card {
    std::string label;
    std::string value;
    std::string sub;
};

void render_cards(const std::vector<card>& cards, std::string& out) {
    out += R"(<div class="cards">)";
    for (const auto& c : cards) {
        out += fmt::format(
            R"(<div class="card"><div class="label">{}</div><div class="value">{}</div><div class="sub">{}</div></div>)",
            html_escape(c.label),
            html_escape(c.value),
            html_escape(c.sub));
    }
    out += "</div>\n";
}

void open_panel(std::string_view title, std::string_view note, std::string& out) {
    out += fmt::format(
        R"(<section class="panel"><h2>{}</h2><p class="note">{}</p>)",
        html_escape(title),
        html_escape(note));
}

void close_panel(std::string& out) {
    out += "</section>\n";
}

[[nodiscard]] std::string pill(std::string_view label, std::string_view kind) {
    return fmt::format(R"(<span class="pill {}">{}</span>)", kind, html_escape(label));
}

[[nodiscard]] std::string status_pill(std::string_view status) {
    if (status == "open" || status == "unfillable") {
        return pill(status, "bad");
    }
    if (status == "filling") {
        return pill(status, "warn");
    }
    if (status == "filled") {
        return pill(status, "good");
    }
    return pill(status, "idle");
}

/// A column of an HTML table: which result column, its header, and how to show it.
struct html_column {
    std::string name;
    std::string header;
    enum class style {
        plain,
        number,
        real,
        fraction,
        mono,
        abbreviated,
        wrap,
        time,
        short_time,
        ms,
        status,
        yes_no
    };
    style how = style::plain;
};

[[nodiscard]] std::string html_cell(const result_table& t, std::size_t row, const html_column& c) {
    const cell v = t.value(row, c.name);
    using style = html_column::style;
    if (!v) {
        const bool numeric = c.how == style::number || c.how == style::real
                             || c.how == style::fraction || c.how == style::ms;
        return numeric ? R"(<td class="num">-</td>)" : "<td>-</td>";
    }
    switch (c.how) {
    case style::number:
        return fmt::format(R"(<td class="num">{}</td>)", html_escape(*v));
    case style::real:
        return fmt::format(
            R"(<td class="num">{}</td>)", html_escape(format_number(number(t, row, c.name), 2)));
    case style::fraction:
        return fmt::format(
            R"(<td class="num">{}</td>)", html_escape(percent(number(t, row, c.name))));
    case style::abbreviated:
        return fmt::format(
            R"(<td class="mono" title="{}">{}</td>)", html_escape(*v), html_escape(abbreviate(*v)));
    case style::wrap:
        return fmt::format(R"(<td class="wrap">{}</td>)", html_escape(*v));
    case style::ms:
        return fmt::format(
            R"(<td class="num">{}</td>)", html_escape(format_ms(number(t, row, c.name))));
    case style::mono:
        return fmt::format(R"(<td class="mono">{}</td>)", html_escape(*v));
    case style::time:
        return fmt::format("<td>{}</td>", html_escape(readable_time(*v)));
    case style::short_time:
        return fmt::format(
            R"(<td title="{}">{}</td>)",
            html_escape(readable_time(*v)),
            html_escape(readable_time(*v).substr(5, 11)));
    case style::status:
        return "<td>" + status_pill(*v) + "</td>";
    case style::yes_no:
        return "<td>" + (*v == "t" ? pill("connected", "good") : pill("disconnected", "bad"))
               + "</td>";
    case style::plain:
        break;
    }
    return fmt::format("<td>{}</td>", html_escape(*v));
}

void render_html_table(
    const result_table& t,
    const std::vector<html_column>& columns,
    std::string_view empty,
    std::string& out) {
    if (t.rows.empty()) {
        out += fmt::format(R"(<p class="note">{}</p>)", html_escape(empty));
        return;
    }
    out += R"(<div class="scroll"><table><thead><tr>)";
    for (const auto& c : columns) {
        out += "<th>" + html_escape(c.header) + "</th>";
    }
    out += "</tr></thead><tbody>";
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        out += "<tr>";
        for (const auto& c : columns) {
            out += html_cell(t, r, c);
        }
        out += "</tr>";
    }
    out += "</tbody></table></div>\n";
}

/// Bucket starts and one value series per (row filter, column) from a *_stats table.
struct series_source {
    std::vector<double> x;
    std::map<double, std::size_t> index;
};

[[nodiscard]] series_source bucket_axis(const result_table& t) {
    series_source s;
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        const auto x = number(t, r, "t");
        if (x && s.index.find(*x) == s.index.end()) {
            s.index.emplace(*x, 0);
        }
    }
    for (auto& [x, i] : s.index) {
        i = s.x.size();
        s.x.push_back(x);
    }
    return s;
}

/// Values of `column` per bucket, from the rows where `filter_column` is `filter_value` (or every
/// row when filter_column is empty).
[[nodiscard]] std::vector<std::optional<double>> series_values(
    const result_table& t,
    const series_source& axis,
    std::string_view column,
    std::string_view filter_column = {},
    std::string_view filter_value = {}) {
    std::vector<std::optional<double>> y(axis.x.size());
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        if (!filter_column.empty() && t.value(r, filter_column) != filter_value) {
            continue;
        }
        const auto x = number(t, r, "t");
        if (!x) {
            continue;
        }
        const auto it = axis.index.find(*x);
        if (it != axis.index.end()) {
            y[it->second] = number(t, r, column);
        }
    }
    return y;
}

constexpr const char* color_p50 = "#2563eb";
constexpr const char* color_p90 = "#f59e0b";
constexpr const char* color_p99 = "#dc2626";

[[nodiscard]] chart_spec base_chart(const report_data& d, std::string id, std::string title) {
    chart_spec c;
    c.id = std::move(id);
    c.title = std::move(title);
    c.bucket_seconds = static_cast<double>(d.bucket_seconds);
    const auto bucket = static_cast<double>(d.bucket_seconds);
    if (d.data_to > 0) {
        c.x_min = std::floor(d.data_from / bucket) * bucket;
        c.x_max = std::floor(d.data_to / bucket) * bucket;
    }
    return c;
}

[[nodiscard]] chart_spec percentile_chart(
    const report_data& d,
    const result_table& t,
    std::string id,
    std::string title,
    std::string_view p50,
    std::string_view p90,
    std::string_view p99,
    std::string_view filter_column = {},
    std::string_view filter_value = {}) {
    chart_spec c = base_chart(d, std::move(id), std::move(title));
    c.y_label = "latency (ms)";
    c.unit = "ms";
    const series_source axis = bucket_axis(t);
    c.x = axis.x;
    c.series.push_back(
        {"p50", color_p50, series_values(t, axis, p50, filter_column, filter_value)});
    c.series.push_back(
        {"p90", color_p90, series_values(t, axis, p90, filter_column, filter_value)});
    c.series.push_back(
        {"p99", color_p99, series_values(t, axis, p99, filter_column, filter_value), true});
    return c;
}

void render_summary_cards(const report_data& d, std::string& out) {
    std::vector<card> cards;
    const auto all = find_row(d.nano_summary, "confirmation_type", "all");
    const std::size_t a = all.value_or(0);
    const bool has_nano
        = all.has_value() && number(d.nano_summary, a, "confirmations").value_or(0) > 0;
    cards.push_back(
        {"Nano confirmations",
         has_nano ? text(d.nano_summary, a, "confirmations") : "0",
         has_nano ? format_number(number(d.nano_summary, a, "per_second"), 2) + " per second"
                  : "none in this window"});
    cards.push_back(
        {"Nano latency p50 / p99",
         format_ms(number(d.nano_summary, a, "latency_p50_ms")) + " / "
             + format_ms(number(d.nano_summary, a, "latency_p99_ms")),
         "first seen unconfirmed -> confirmed"});
    const result_table& s = d.solana_summary;
    cards.push_back(
        {"Solana slots",
         text(s, 0, "slots_seen") == "-" ? "0" : text(s, 0, "slots_seen"),
         "skip rate " + percent(number(s, 0, "skip_rate"))});
    cards.push_back(
        {"Solana transactions / s",
         format_number(number(s, 0, "transactions_per_second"), 1),
         format_number(number(s, 0, "transactions_per_block"), 1) + " per block, "
             + text(s, 0, "blocks") + " blocks"});
    cards.push_back(
        {"Slot -> optimistic p50 / p99",
         format_ms(number(s, 0, "optimistic_p50_ms")) + " / "
             + format_ms(number(s, 0, "optimistic_p99_ms")),
         "first shred -> optimistic confirmation"});
    cards.push_back(
        {"Slot -> root p50",
         format_ms(number(s, 0, "root_p50_ms")),
         "p99 " + format_ms(number(s, 0, "root_p99_ms"))});
    double open = 0;
    double missing = 0;
    double filled = 0;
    std::size_t connected = 0;
    for (std::size_t r = 0; r < d.sources.rows.size(); ++r) {
        open += number(d.sources, r, "open_gaps").value_or(0)
                + number(d.sources, r, "filling_gaps").value_or(0);
        missing += number(d.sources, r, "missing").value_or(0);
        filled += number(d.sources, r, "filled_gaps").value_or(0);
        connected += d.sources.value(r, "connected") == "t" ? 1 : 0;
    }
    cards.push_back(
        {"Open gaps",
         format_number(open, 0),
         format_number(missing, 0) + " missing, " + format_number(filled, 0) + " filled"});
    cards.push_back(
        {"Sources connected",
         fmt::format("{} of {}", connected, d.sources.rows.size()),
         d.sources.rows.empty() ? "no source has run yet" : "see Sources below"});
    render_cards(cards, out);
}

void render_nano(const report_data& d, std::string& out) {
    open_panel(
        "Nano confirmation latency",
        fmt::format(
            "First seen on new_unconfirmed_block -> confirmation, all confirmation "
            "types, per {} bucket. Dashed: p99.",
            format_duration(std::chrono::seconds{d.bucket_seconds})),
        out);
    out += svg_time_chart(percentile_chart(
        d,
        d.nano_stats,
        "nano-latency",
        "Nano confirmation latency percentiles",
        "latency_p50_ms",
        "latency_p90_ms",
        "latency_p99_ms",
        "confirmation_type",
        "all"));
    close_panel(out);

    open_panel(
        "Nano confirmations per second",
        "Confirmations in each bucket divided by its width, stacked by confirmation type.",
        out);
    chart_spec c = base_chart(d, "nano-cps", "Nano confirmations per second by type");
    c.style = chart_style::stacked_bars;
    c.y_label = "confirmations / s";
    c.unit = "/s";
    const series_source axis = bucket_axis(d.nano_stats);
    c.x = axis.x;
    const std::vector<std::pair<std::string, std::string>> types{
        {"active_quorum", "#16a34a"},
        {"active_confirmation_height", "#7c3aed"},
        {"inactive", "#94a3b8"},
        {"unknown", "#475569"}};
    for (const auto& [type, color] : types) {
        if (find_row(d.nano_stats, "confirmation_type", type)) {
            c.series.push_back(
                {type,
                 color,
                 series_values(d.nano_stats, axis, "per_second", "confirmation_type", type)});
        }
    }
    out += svg_time_chart(c);
    render_html_table(
        d.nano_summary,
        {{"confirmation_type", "confirmation type"},
         {"confirmations", "confirmations", html_column::style::number},
         {"with_latency", "with latency", html_column::style::number},
         {"per_second", "per second", html_column::style::real},
         {"latency_p50_ms", "p50", html_column::style::ms},
         {"latency_p90_ms", "p90", html_column::style::ms},
         {"latency_p99_ms", "p99", html_column::style::ms},
         {"latency_max_ms", "max", html_column::style::ms},
         {"election_p50_ms", "election p50", html_column::style::ms},
         {"election_p99_ms", "election p99", html_column::style::ms}},
        "No Nano confirmations in this window.",
        out);
    close_panel(out);
}

void render_solana(const report_data& d, std::string& out) {
    open_panel(
        "Solana transactions per second",
        "Transactions of the blocks in each bucket (by when the node saw the slot) divided by its "
        "width.",
        out);
    chart_spec tps = base_chart(d, "solana-tps", "Solana transactions per second");
    tps.style = chart_style::stacked_bars;
    tps.y_label = "transactions / s";
    tps.unit = "tx/s";
    const series_source axis = bucket_axis(d.block_stats);
    tps.x = axis.x;
    tps.series.push_back(
        {"transactions per second",
         "#0891b2",
         series_values(d.block_stats, axis, "transactions_per_second")});
    out += svg_time_chart(tps);
    close_panel(out);

    open_panel(
        "Solana slot latency: first shred -> optimistic confirmation",
        "Per bucket of first-shred time. Dashed: p99.",
        out);
    out += svg_time_chart(percentile_chart(
        d,
        d.slot_stats,
        "slot-optimistic",
        "Solana first shred to optimistic confirmation",
        "optimistic_p50_ms",
        "optimistic_p90_ms",
        "optimistic_p99_ms"));
    close_panel(out);

    open_panel(
        "Solana slot latency: first shred -> root",
        "Per bucket of first-shred time; a slot is rooted about 32 slots later.",
        out);
    out += svg_time_chart(percentile_chart(
        d,
        d.slot_stats,
        "slot-root",
        "Solana first shred to root",
        "root_p50_ms",
        "root_p90_ms",
        "root_p99_ms"));
    const std::vector<std::pair<std::string, std::string>> steps{
        {"shred_to_bank_ms", "first shred -> bank created"},
        {"bank_to_frozen_ms", "bank created -> frozen"},
        {"frozen_to_optimistic_ms", "frozen -> optimistic"},
        {"optimistic_to_root_ms", "optimistic -> root"}};
    double longest = 0;
    for (const auto& [column, label] : steps) {
        longest = std::max(longest, number(d.slot_steps, 0, column).value_or(0));
    }
    out += R"(<p class="note">Where a slot's time goes (median of each step):</p><div class="steps">)";
    for (const auto& [column, label] : steps) {
        const auto v = number(d.slot_steps, 0, column);
        const double width = longest > 0 && v ? std::max(*v, 0.0) / longest * 100 : 0;
        out += fmt::format(
            R"(<div>{}</div><div><div class="bar" style="width:{:.1f}%"></div></div><div class="v">{}</div>)",
            html_escape(label),
            width,
            html_escape(format_ms(v)));
    }
    out += "</div>";
    const result_table& s = d.solana_summary;
    out += fmt::format(
        R"(<p class="note">Slots {}..{}: {} finalized, {} skipped (skip rate {}), {} confirmed, {} processed, {} dead, {} without a row.</p>)",
        html_escape(text(s, 0, "first_slot")),
        html_escape(text(s, 0, "last_slot")),
        html_escape(text(s, 0, "finalized")),
        html_escape(text(s, 0, "skipped")),
        html_escape(percent(number(s, 0, "skip_rate"))),
        html_escape(text(s, 0, "confirmed")),
        html_escape(text(s, 0, "processed")),
        html_escape(text(s, 0, "dead")),
        html_escape(text(s, 0, "missing")));
    close_panel(out);
}

void render_pipeline(const report_data& d, std::string& out) {
    open_panel("Sources", "Each configured node feed; lag = seconds since its last message.", out);
    render_html_table(
        d.sources,
        {{"source", "source"},
         {"chain", "chain"},
         {"connected", "state", html_column::style::yes_no},
         {"last_message_at", "last message (UTC)", html_column::style::time},
         {"lag_s", "lag (s)", html_column::style::number},
         {"messages_received", "messages", html_column::style::number},
         {"open_gaps", "open gaps", html_column::style::number},
         {"missing", "missing", html_column::style::number},
         {"node_version", "node version"},
         {"watermarks", "watermarks", html_column::style::mono}},
        "No source has connected yet (ledgertap.sources is empty).",
        out);
    close_panel(out);

    open_panel(
        "Gaps",
        fmt::format(
            "Open and filling gaps, and gaps detected or filled in the last {} "
            "(at most {}). Ranges are Solana slots or Nano account heights.",
            format_duration(std::chrono::seconds{d.since_seconds}),
            report_gap_limit),
        out);
    render_html_table(
        d.gaps,
        {{"id", "id", html_column::style::number},
         {"source", "source"},
         {"kind", "kind"},
         {"account", "account", html_column::style::abbreviated},
         {"first_slot", "first", html_column::style::number},
         {"last_slot", "last", html_column::style::number},
         {"size", "size", html_column::style::number},
         {"status", "status", html_column::style::status},
         {"attempts", "tries", html_column::style::number},
         {"recovered", "recovered", html_column::style::number},
         {"detected_at", "detected (UTC)", html_column::style::short_time},
         {"filled_at", "filled (UTC)", html_column::style::short_time},
         {"last_error", "last error", html_column::style::wrap}},
        "No gaps: every range the detector checked is complete.",
        out);
    close_panel(out);

    open_panel("Nano peers", "Latest telemetry of each peer heard from in the window.", out);
    const result_table& t = d.telemetry_summary;
    out += fmt::format(
        R"(<p class="note">{} peers on {} versions; cemented count {} .. {} (spread {}, median {}).</p>)",
        html_escape(text(t, 0, "peers")),
        html_escape(text(t, 0, "versions")),
        html_escape(text(t, 0, "cemented_min")),
        html_escape(text(t, 0, "cemented_max")),
        html_escape(text(t, 0, "cemented_spread")),
        html_escape(text(t, 0, "cemented_p50")));
    render_html_table(
        d.telemetry_versions,
        {{"version", "version"},
         {"peers", "peers", html_column::style::number},
         {"share", "share", html_column::style::fraction},
         {"max_cemented_count", "highest cemented count", html_column::style::number}},
        "No telemetry in this window.",
        out);
    close_panel(out);
}

} // namespace

report_data collect_report(session& db, const command_options& options) {
    report_data d;
    d.since_seconds = options.since.count();
    const std::string since = pg_interval(options.since);
    const result_table span = db.run(span_sql, {since});
    d.now = number(span, 0, "now_s").value_or(0);
    const auto lo = number(span, 0, "lo");
    const auto hi = number(span, 0, "hi");
    if (lo && hi) {
        d.data_from = *lo;
        d.data_to = *hi;
        d.bucket_seconds = choose_bucket_seconds(*hi - *lo);
    } else {
        d.bucket_seconds = choose_bucket_seconds(static_cast<double>(options.since.count()));
    }
    const std::string bucket = pg_interval(std::chrono::seconds{d.bucket_seconds});
    d.nano_summary = db.run(sql::nano_summary, {since});
    d.nano_stats = db.run(nano_stats_sql, {since, bucket});
    d.solana_summary = db.run(solana_summary_sql, {since});
    d.slot_steps = db.run(slot_steps_sql, {since});
    d.slot_stats = db.run(slot_stats_sql, {since, bucket});
    d.block_stats = db.run(block_stats_sql, {since, bucket});
    d.sources = db.run(sources_sql, {});
    d.gaps = db.run(sql::gaps, {since, std::to_string(report_gap_limit)});
    d.telemetry_summary = db.run(sql::telemetry_summary, {since});
    d.telemetry_versions = db.run(sql::telemetry_versions, {since});
    return d;
}

std::string render_report_html(const report_data& d, const std::string& version) {
    std::string out;
    out.reserve(256 * 1024);
    out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
    out += R"(<meta name="viewport" content="width=device-width, initial-scale=1">)";
    out += "<title>ledgertap report</title><style>";
    out += page_css;
    out += "</style></head><body>\n<header><h1>ledgertap report</h1><p>";
    const std::string window = format_duration(std::chrono::seconds{d.since_seconds});
    if (d.data_to > 0) {
        out += html_escape(fmt::format(
            "Last {} up to {} UTC; data from {} to {} UTC, charts in {} buckets.",
            window,
            format_utc(d.now),
            format_utc(d.data_from),
            format_utc(d.data_to),
            format_duration(std::chrono::seconds{d.bucket_seconds})));
    } else {
        out += html_escape(fmt::format(
            "Last {} up to {} UTC: no chain data in this window.", window, format_utc(d.now)));
    }
    out += "</p></header>\n";
    render_summary_cards(d, out);
    render_nano(d, out);
    render_solana(d, out);
    render_pipeline(d, out);
    out += "<footer>Generated by ledgertap-query " + html_escape(version)
           + " from a read-only snapshot of the database. Self-contained: inline CSS and SVG, no "
             "scripts, no network.</footer>\n</body></html>\n";
    return out;
}

} // namespace ledgertap::query
