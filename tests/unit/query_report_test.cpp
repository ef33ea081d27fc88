// The HTML report without a database: escaping, number formatting, SVG charts and the page.

#include "query/html.hpp"
#include "query/report.hpp"

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <vector>

namespace ledgertap::query {
namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

/// The data-points attribute of the chart with `id`.
std::string data_points(const std::string& html, const std::string& id) {
    const auto at = html.find("id=\"" + id + "\"");
    REQUIRE(at != std::string::npos);
    const auto attr = html.find("data-points=\"", at);
    REQUIRE(attr != std::string::npos);
    const auto start = attr + std::string{"data-points=\""}.size();
    return html.substr(start, html.find('"', start) - start);
}

result_table table(std::initializer_list<column> columns, std::vector<std::vector<cell>> rows) {
    result_table t;
    t.columns = columns;
    t.rows = std::move(rows);
    return t;
}

chart_spec three_buckets() {
    chart_spec c;
    c.id = "c1";
    c.title = "Latency <p50>";
    c.y_label = "latency (ms)";
    c.unit = "ms";
    c.bucket_seconds = 60;
    c.x = {1714564800, 1714564860, 1714564920};
    c.series.push_back({"p50", "#2563eb", {100.0, std::nullopt, 300.0}});
    c.series.push_back({"p99", "#dc2626", {150.0, 250.0, 350.0}, true});
    return c;
}

/// A day of minute buckets from 2024-05-01 12:00 UTC, as the report's queries return them.
report_data sample_report() {
    report_data d;
    d.since_seconds = 3600;
    d.bucket_seconds = 60;
    d.now = 1714568400;
    d.data_from = 1714564800;
    d.data_to = 1714564979;
    const column t{"t", column_kind::real};
    d.nano_summary = table(
        {{"confirmation_type", column_kind::text},
         {"confirmations", column_kind::integer},
         {"per_second", column_kind::real},
         {"latency_p50_ms", column_kind::real},
         {"latency_p99_ms", column_kind::real}},
        {{"active_quorum", "120", "0.6666666666666666", "412.5", "990"},
         {"all", "180", "1", "420", "995.5"}});
    d.nano_stats = table(
        {t,
         {"confirmation_type", column_kind::text},
         {"per_second", column_kind::real},
         {"latency_p50_ms", column_kind::real},
         {"latency_p90_ms", column_kind::real},
         {"latency_p99_ms", column_kind::real}},
        {{"1714564800", "active_quorum", "0.5", "400", "800", "900"},
         {"1714564800", "all", "1", "410", "810", "910"},
         {"1714564860", "all", "1", "420", "820", "920"},
         {"1714564920", "all", "1", "430", "830", "930"}});
    d.solana_summary = table(
        {{"slots_seen", column_kind::integer},
         {"skip_rate", column_kind::real},
         {"first_slot", column_kind::integer},
         {"last_slot", column_kind::integer},
         {"transactions_per_second", column_kind::real}},
        {{"450", "0.05", "1000", "1449", "300"}});
    d.slot_steps = table(
        {{"shred_to_bank_ms", column_kind::real}, {"optimistic_to_root_ms", column_kind::real}},
        {{"25", "12600"}});
    d.slot_stats = table(
        {t,
         {"optimistic_p50_ms", column_kind::real},
         {"optimistic_p90_ms", column_kind::real},
         {"optimistic_p99_ms", column_kind::real},
         {"root_p50_ms", column_kind::real},
         {"root_p90_ms", column_kind::real},
         {"root_p99_ms", column_kind::real}},
        {{"1714564800", "650", "750", "800", "13000", "14000", "14300"},
         {"1714564860", "640", "740", "790", "13100", "14100", "14200"}});
    d.block_stats = table(
        {t, {"transactions_per_second", column_kind::real}},
        {{"1714564800", "290"}, {"1714564860", "310"}, {"1714564920", "305"}});
    d.sources = table(
        {{"source", column_kind::text},
         {"chain", column_kind::text},
         {"connected", column_kind::boolean},
         {"open_gaps", column_kind::integer},
         {"missing", column_kind::decimal}},
        {{"nano-<b>", "nano", "t", "1", "5"}, {"solana", "solana", "f", "0", "0"}});
    d.gaps = table(
        {{"id", column_kind::integer},
         {"status", column_kind::text},
         {"last_error", column_kind::text}},
        {{"3", "open", "timeout <script>alert(1)</script> & \"more\""}});
    return d;
}

TEST_CASE("html_escape makes text safe in elements and attributes", "[query][report]") {
    CHECK(
        html_escape(R"(<a href="x">'&'</a>)")
        == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    CHECK(html_escape("plain") == "plain");
}

TEST_CASE("chart buckets keep a chart at 90 points or fewer", "[query][report]") {
    CHECK(choose_bucket_seconds(0) == 1);
    CHECK(choose_bucket_seconds(60) == 1);
    CHECK(choose_bucket_seconds(90) == 1);
    CHECK(choose_bucket_seconds(91) == 2);
    CHECK(choose_bucket_seconds(600) == 10);
    CHECK(choose_bucket_seconds(3600) == 60);
    CHECK(choose_bucket_seconds(86400) == 1800);
    CHECK(choose_bucket_seconds(30.0 * 86400) == 43200);
    CHECK(choose_bucket_seconds(365.0 * 86400) == 86400);
}

TEST_CASE("numbers and durations read well", "[query][report]") {
    CHECK(format_ms(412.4) == "412 ms");
    CHECK(format_ms(1250) == "1.25 s");
    CHECK(format_ms(13446) == "13.4 s");
    CHECK(format_ms(150000) == "2.5 min");
    CHECK(format_ms(std::nullopt) == "-");
    CHECK(format_number(0.30236486486486486) == "0.3");
    CHECK(format_number(1.0) == "1");
    CHECK(format_number(295.86811, 1) == "295.9");
    CHECK(format_number(-0.0001) == "0");
    CHECK(format_utc(1714564800) == "2024-05-01 12:00:00");
}

TEST_CASE(
    "a line chart draws a dot per value and breaks its line at a missing value",
    "[query][report]") {
    const std::string svg = svg_time_chart(three_buckets());
    CHECK(svg.rfind("<svg class=\"chart\" id=\"c1\"", 0) == 0);
    CHECK(svg.find("data-points=\"5\"") != std::string::npos);
    CHECK(count_of(svg, "<circle class=\"pt\"") == 5);
    // p50 has a gap: two one-point runs; p99 one run of three points.
    CHECK(count_of(svg, "<polyline") == 3);
    CHECK(svg.find("stroke-dasharray") != std::string::npos);
    CHECK(svg.find("aria-label=\"Latency &lt;p50&gt;\"") != std::string::npos);
    CHECK(svg.find("latency (ms)") != std::string::npos);
    CHECK(svg.find("time (UTC)") != std::string::npos);
    CHECK(svg.find(">12:00:00<") != std::string::npos); // the first time tick
    CHECK(svg.find("p99: 250 ms at 12:01 UTC") != std::string::npos);
    CHECK(svg.find(">p50</text>") != std::string::npos); // legend
    CHECK(svg.find("no data") == std::string::npos);
}

TEST_CASE("a stacked bar chart stacks series and counts each bar", "[query][report]") {
    chart_spec c = three_buckets();
    c.style = chart_style::stacked_bars;
    const std::string svg = svg_time_chart(c);
    CHECK(count_of(svg, "<rect class=\"pt\"") == 5);
    CHECK(svg.find("data-points=\"5\"") != std::string::npos);
    // The y axis reaches the highest stack (300 + 350 -> 800), not the highest value (-> 400).
    CHECK(svg.find(">800<") != std::string::npos);
}

TEST_CASE("a chart without values says so and still has axes", "[query][report]") {
    chart_spec c = three_buckets();
    c.series[0].y = {std::nullopt, std::nullopt, std::nullopt};
    c.series[1].y = {};
    const std::string svg = svg_time_chart(c);
    CHECK(svg.find("no data in this window") != std::string::npos);
    CHECK(svg.find("data-points=\"0\"") != std::string::npos);
    CHECK(svg.find("time (UTC)") != std::string::npos);
}

TEST_CASE(
    "the report page is self-contained, escapes data and has every chart", "[query][report]") {
    const std::string html = render_report_html(sample_report(), "9.9.9");
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(count_of(html, "<svg class=\"chart\"") == 5);
    CHECK(data_points(html, "nano-latency") == "9");
    CHECK(data_points(html, "nano-cps") == "1"); // only active_quorum has a per-type row
    CHECK(data_points(html, "solana-tps") == "3");
    CHECK(data_points(html, "slot-optimistic") == "6");
    CHECK(data_points(html, "slot-root") == "6");
    // Nothing from the network, nothing executable; the gap's error text is escaped.
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("http://") == std::string::npos);
    CHECK(html.find("https://") == std::string::npos);
    CHECK(html.find("@import") == std::string::npos);
    CHECK(html.find("url(") == std::string::npos);
    CHECK(
        html.find("timeout &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;")
        != std::string::npos);
    CHECK(html.find("nano-&lt;b&gt;") != std::string::npos);
    // Summary header.
    CHECK(html.find("420 ms / 996 ms") != std::string::npos);
    CHECK(html.find("skip rate 5 %") != std::string::npos);
    CHECK(html.find("1 of 2") != std::string::npos);
    CHECK(html.find("9.9.9") != std::string::npos);
    CHECK(html.find("2024-05-01 12:00:00") != std::string::npos);
}

TEST_CASE("a report over an empty database renders with empty charts", "[query][report]") {
    report_data d;
    d.now = 1714568400;
    const std::string html = render_report_html(d, "0");
    CHECK(count_of(html, "<svg class=\"chart\"") == 5);
    CHECK(count_of(html, "no data in this window") == 5);
    CHECK(html.find("no chain data in this window") != std::string::npos);
    CHECK(html.find("No gaps") != std::string::npos);
}

} // namespace
} // namespace ledgertap::query
