#include "query/html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::query {

namespace {

// Chart geometry (SVG user units; the SVG scales to its container).
constexpr double chart_width = 1120;
constexpr double chart_height = 300;
constexpr double margin_left = 72;
constexpr double margin_right = 18;
constexpr double margin_top = 34;
constexpr double margin_bottom = 46;
constexpr double plot_width = chart_width - margin_left - margin_right;
constexpr double plot_height = chart_height - margin_top - margin_bottom;
constexpr int y_tick_count = 5;
constexpr int max_x_ticks = 8;
constexpr std::size_t large_dot_limit = 40; ///< series with more values get smaller dots
constexpr double legend_char_width = 6.6;   ///< average glyph width at 12 px, for spacing

constexpr std::array<std::int64_t, 18> bucket_choices{
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};
constexpr std::array<std::int64_t, 18> time_tick_choices{
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};

[[nodiscard]] std::string num(double v) {
    return fmt::format("{:.1f}", v);
}

[[nodiscard]] std::tm utc_tm(double unix_seconds) {
    const auto t = static_cast<std::time_t>(std::floor(unix_seconds));
    std::tm out{};
    gmtime_r(&t, &out);
    return out;
}

[[nodiscard]] std::string format_time_label(double unix_seconds, std::int64_t step) {
    const std::tm t = utc_tm(unix_seconds);
    if (step < 60) {
        return fmt::format("{:02}:{:02}:{:02}", t.tm_hour, t.tm_min, t.tm_sec);
    }
    if (step < 86400) {
        return fmt::format("{:02}:{:02}", t.tm_hour, t.tm_min);
    }
    return fmt::format("{:02}-{:02}", t.tm_mon + 1, t.tm_mday);
}

/// A round step giving about `count` intervals up to `max`.
[[nodiscard]] double nice_step(double max, int count) {
    if (!(max > 0)) {
        return 1;
    }
    const double raw = max / count;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double norm = raw / magnitude;
    double factor = 10;
    if (norm <= 1) {
        factor = 1;
    } else if (norm <= 2) {
        factor = 2;
    } else if (norm <= 2.5) {
        factor = 2.5;
    } else if (norm <= 5) {
        factor = 5;
    }
    return factor * magnitude;
}

struct frame {
    double x_min = 0;
    double x_max = 1;
    double y_max = 1;

    [[nodiscard]] double px(double x) const {
        return margin_left + (x - x_min) / (x_max - x_min) * plot_width;
    }
    [[nodiscard]] double py(double y) const {
        return margin_top + plot_height - y / y_max * plot_height;
    }
};

void draw_axes(const chart_spec& spec, const frame& f, double y_step, std::string& out) {
    // Horizontal grid lines and y labels.
    for (int i = 0; i <= y_tick_count * 2; ++i) {
        const double v = y_step * i;
        if (v > f.y_max * (1 + 1e-9)) {
            break;
        }
        const double y = f.py(v);
        out += fmt::format(
            R"(<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#e5e7eb"/>)",
            num(margin_left),
            num(y),
            num(margin_left + plot_width),
            num(y));
        out += fmt::format(
            R"(<text x="{}" y="{}" text-anchor="end" font-size="11" fill="#4b5563">{}</text>)",
            num(margin_left - 8),
            num(y + 4),
            html_escape(format_number(v, 2)));
    }
    // Time ticks.
    const double span = f.x_max - f.x_min;
    std::int64_t step = time_tick_choices.back();
    for (const auto choice : time_tick_choices) {
        if (span / static_cast<double>(choice) <= max_x_ticks) {
            step = choice;
            break;
        }
    }
    const auto s = static_cast<double>(step);
    for (double t = std::ceil(f.x_min / s) * s; t <= f.x_max + 1e-6; t += s) {
        const double x = f.px(t);
        out += fmt::format(
            R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#9ca3af"/>)",
            num(x),
            num(margin_top + plot_height),
            num(x),
            num(margin_top + plot_height + 5));
        out += fmt::format(
            R"(<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#4b5563">{}</text>)",
            num(x),
            num(margin_top + plot_height + 18),
            format_time_label(t, step));
    }
    // Axis lines and titles.
    out += fmt::format(
        R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#6b7280"/>)",
        num(margin_left),
        num(margin_top),
        num(margin_top + plot_height));
    out += fmt::format(
        R"(<line x1="{0}" y1="{2}" x2="{1}" y2="{2}" stroke="#6b7280"/>)",
        num(margin_left),
        num(margin_left + plot_width),
        num(margin_top + plot_height));
    out += fmt::format(
        R"(<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="#374151">time (UTC)</text>)",
        num(margin_left + plot_width / 2),
        num(chart_height - 8));
    out += fmt::format(
        R"svg(<text x="14" y="{0}" transform="rotate(-90 14 {0})" text-anchor="middle" font-size="12" fill="#374151">{1}</text>)svg",
        num(margin_top + plot_height / 2),
        html_escape(spec.y_label));
}

void draw_legend(const chart_spec& spec, std::string& out) {
    double x = margin_left;
    for (const auto& s : spec.series) {
        const std::string color = html_escape(s.color);
        if (spec.style == chart_style::lines) {
            out += fmt::format(
                R"(<line x1="{}" y1="16" x2="{}" y2="16" stroke="{}" stroke-width="2.5"{}/>)",
                num(x),
                num(x + 18),
                color,
                s.dashed ? R"( stroke-dasharray="5 3")" : "");
        } else {
            out += fmt::format(
                R"(<rect x="{}" y="10" width="14" height="12" fill="{}"/>)", num(x), color);
        }
        out += fmt::format(
            R"(<text x="{}" y="20" font-size="12" fill="#111827">{}</text>)",
            num(x + 24),
            html_escape(s.label));
        x += 24 + static_cast<double>(s.label.size()) * legend_char_width + 22;
    }
}

[[nodiscard]] std::string tooltip(
    const chart_spec& spec, const chart_series& s, double x, double value) {
    const std::int64_t step = spec.bucket_seconds < 60 ? 1 : 60;
    return html_escape(fmt::format(
        "{}: {} {} at {} UTC",
        s.label,
        format_number(value, 2),
        spec.unit,
        format_time_label(x, step)));
}

std::size_t draw_lines(const chart_spec& spec, const frame& f, std::string& out) {
    std::size_t drawn = 0;
    const double half = spec.bucket_seconds / 2;
    for (const auto& s : spec.series) {
        const std::string color = html_escape(s.color);
        std::size_t values = 0;
        for (const auto& v : s.y) {
            values += v.has_value() ? 1 : 0;
        }
        const double radius = values <= large_dot_limit ? 3.2 : 1.9;
        std::string run;
        const auto flush = [&] {
            if (!run.empty()) {
                out += fmt::format(
                    R"(<polyline fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round"{} points="{}"/>)",
                    color,
                    s.dashed ? R"( stroke-dasharray="6 4")" : "",
                    run);
                run.clear();
            }
        };
        std::string dots;
        for (std::size_t i = 0; i < spec.x.size() && i < s.y.size(); ++i) {
            if (!s.y[i] || !std::isfinite(*s.y[i])) {
                flush();
                continue;
            }
            const double x = f.px(spec.x[i] + half);
            const double y = f.py(*s.y[i]);
            if (!run.empty()) {
                run += ' ';
            }
            run += num(x) + "," + num(y);
            dots += fmt::format(
                R"(<circle class="pt" cx="{}" cy="{}" r="{}" fill="{}"><title>{}</title></circle>)",
                num(x),
                num(y),
                radius,
                color,
                tooltip(spec, s, spec.x[i], *s.y[i]));
            ++drawn;
        }
        flush();
        out += dots;
    }
    return drawn;
}

std::size_t draw_stacked_bars(const chart_spec& spec, const frame& f, std::string& out) {
    std::size_t drawn = 0;
    const double bar = std::max(1.0, (f.px(spec.bucket_seconds) - f.px(0)) * 0.8);
    for (std::size_t i = 0; i < spec.x.size(); ++i) {
        double base = 0;
        const double x = f.px(spec.x[i] + spec.bucket_seconds / 2) - bar / 2;
        for (const auto& s : spec.series) {
            if (i >= s.y.size() || !s.y[i] || !std::isfinite(*s.y[i]) || *s.y[i] <= 0) {
                continue;
            }
            const double top = f.py(base + *s.y[i]);
            const double height = f.py(base) - top;
            out += fmt::format(
                R"(<rect class="pt" x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>)",
                num(x),
                num(top),
                num(bar),
                num(std::max(height, 0.5)),
                html_escape(s.color),
                tooltip(spec, s, spec.x[i], *s.y[i]));
            base += *s.y[i];
            ++drawn;
        }
    }
    return drawn;
}

} // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::int64_t choose_bucket_seconds(double span_seconds, int max_buckets) {
    for (const auto choice : bucket_choices) {
        if (span_seconds / static_cast<double>(choice) <= max_buckets) {
            return choice;
        }
    }
    return bucket_choices.back();
}

std::string format_ms(std::optional<double> ms) {
    if (!ms || !std::isfinite(*ms)) {
        return "-";
    }
    const double v = *ms;
    constexpr double ms_per_s = 1000;
    constexpr double ms_per_min = 60000;
    if (std::fabs(v) < ms_per_s) {
        return fmt::format("{:.0f} ms", v);
    }
    if (std::fabs(v) < 10 * ms_per_s) {
        return fmt::format("{:.2f} s", v / ms_per_s);
    }
    if (std::fabs(v) < ms_per_min * 2) {
        return fmt::format("{:.1f} s", v / ms_per_s);
    }
    return fmt::format("{:.1f} min", v / ms_per_min);
}

std::string format_number(std::optional<double> value, int decimals) {
    if (!value || !std::isfinite(*value)) {
        return "-";
    }
    std::string text = fmt::format("{:.{}f}", *value, std::max(decimals, 0));
    if (text.find('.') != std::string::npos) {
        while (text.back() == '0') {
            text.pop_back();
        }
        if (text.back() == '.') {
            text.pop_back();
        }
    }
    if (text == "-0") {
        text = "0";
    }
    return text;
}

std::string format_utc(double unix_seconds) {
    const std::tm t = utc_tm(unix_seconds);
    return fmt::format(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.tm_year + 1900,
        t.tm_mon + 1,
        t.tm_mday,
        t.tm_hour,
        t.tm_min,
        t.tm_sec);
}

std::string svg_time_chart(const chart_spec& spec) {
    frame f;
    f.x_min = spec.x_min;
    f.x_max = spec.x_max;
    if (!(f.x_max > f.x_min)) {
        f.x_min = spec.x.empty() ? 0 : spec.x.front();
        f.x_max = spec.x.empty() ? 0 : spec.x.back();
    }
    f.x_max += spec.bucket_seconds; // the last bucket's width
    if (!(f.x_max > f.x_min)) {
        f.x_max = f.x_min + 1;
    }
    double max_value = 0;
    std::size_t values = 0;
    for (std::size_t i = 0; i < spec.x.size(); ++i) {
        double stacked = 0;
        for (const auto& s : spec.series) {
            if (i < s.y.size() && s.y[i] && std::isfinite(*s.y[i])) {
                ++values;
                stacked += std::max(*s.y[i], 0.0);
                max_value = std::max(max_value, *s.y[i]);
            }
        }
        if (spec.style == chart_style::stacked_bars) {
            max_value = std::max(max_value, stacked);
        }
    }
    const double y_step = nice_step(max_value, y_tick_count);
    f.y_max = max_value > 0 ? std::ceil(max_value / y_step - 1e-9) * y_step : y_step;

    std::string body;
    draw_axes(spec, f, y_step, body);
    draw_legend(spec, body);
    std::size_t drawn = 0;
    if (values == 0) {
        body += fmt::format(
            R"(<text x="{}" y="{}" text-anchor="middle" font-size="14" fill="#6b7280">no data in this window</text>)",
            num(margin_left + plot_width / 2),
            num(margin_top + plot_height / 2));
    } else if (spec.style == chart_style::lines) {
        drawn = draw_lines(spec, f, body);
    } else {
        drawn = draw_stacked_bars(spec, f, body);
    }
    return fmt::format(
        R"(<svg class="chart" id="{}" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" data-points="{}">{}</svg>)",
        html_escape(spec.id),
        chart_width,
        chart_height,
        html_escape(spec.title),
        drawn,
        body);
}

} // namespace ledgertap::query
