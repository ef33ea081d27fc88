#include "query/output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace ledgertap::query {

namespace {

constexpr std::string_view null_marker = "-";
constexpr std::size_t max_list_cell_width = 96;    ///< longer cells are cut in list tables
constexpr std::size_t max_record_cell_width = 200; ///< and in vertical records
constexpr std::string_view ellipsis = "...";

[[nodiscard]] bool is_right_aligned(column_kind kind) noexcept {
    return kind == column_kind::integer || kind == column_kind::decimal
           || kind == column_kind::real;
}

/// Display width: code points, counting UTF-8 continuation bytes as nothing.
[[nodiscard]] std::size_t display_width(std::string_view text) noexcept {
    std::size_t width = 0;
    for (const char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
            ++width;
        }
    }
    return width;
}

/// A double rounded for people: two decimals, four below 1; PostgreSQL's text when it is not a
/// number.
[[nodiscard]] std::string round_real(const std::string& text) {
    double value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end) {
        return text;
    }
    const bool small = value != 0 && value > -1 && value < 1;
    return fmt::format("{:.{}f}", value, small ? 4 : 2);
}

/// One line, bounded width: control characters become spaces, long text is cut.
[[nodiscard]] std::string table_text(std::string_view text, std::size_t max_width) {
    std::string out;
    out.reserve(std::min(text.size(), max_width + ellipsis.size()));
    std::size_t width = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool continuation = (c & 0xC0U) == 0x80U;
        if (!continuation) {
            if (width == max_width) {
                out += ellipsis;
                return out;
            }
            ++width;
        }
        out += c < 0x20U || c == 0x7FU ? ' ' : static_cast<char>(c);
    }
    return out;
}

[[nodiscard]] std::string table_cell(const cell& value, column_kind kind, std::size_t max_width) {
    if (!value) {
        return std::string{null_marker};
    }
    switch (kind) {
    case column_kind::real:
        return round_real(*value);
    case column_kind::time:
        return rfc3339_from_pg(*value);
    case column_kind::boolean:
        return *value == "t" ? "yes" : (*value == "f" ? "no" : *value);
    default:
        return table_text(*value, max_width);
    }
}

void pad(std::string& out, std::size_t count) {
    out.append(count, ' ');
}

void render_rows_table(const section& s, std::string& out) {
    const result_table& t = s.table;
    std::vector<std::vector<std::string>> texts;
    texts.reserve(t.rows.size());
    std::vector<std::size_t> widths;
    widths.reserve(t.columns.size());
    for (const auto& c : t.columns) {
        widths.push_back(display_width(c.name));
    }
    for (const auto& row : t.rows) {
        auto& line = texts.emplace_back();
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            line.push_back(table_cell(
                i < row.size() ? row[i] : cell{}, t.columns[i].kind, max_list_cell_width));
            widths[i] = std::max(widths[i], display_width(line.back()));
        }
    }
    const auto emit = [&](const std::vector<std::string>& values) {
        std::string line;
        for (std::size_t i = 0; i < values.size(); ++i) {
            const std::size_t gap = widths[i] - display_width(values[i]);
            const bool right = is_right_aligned(t.columns[i].kind);
            if (i > 0) {
                line += "  ";
            }
            if (right) {
                pad(line, gap);
            }
            line += values[i];
            if (!right && i + 1 < values.size()) {
                pad(line, gap);
            }
        }
        out += line;
        out += '\n';
    };
    std::vector<std::string> header;
    std::vector<std::string> rule;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        header.push_back(t.columns[i].name);
        rule.emplace_back(widths[i], '-');
    }
    emit(header);
    emit(rule);
    for (const auto& line : texts) {
        emit(line);
    }
}

void render_record_table(const section& s, std::string& out) {
    const result_table& t = s.table;
    std::size_t width = 0;
    for (const auto& c : t.columns) {
        width = std::max(width, display_width(c.name));
    }
    const auto& row = t.rows.front();
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        out += "  ";
        out += t.columns[i].name;
        pad(out, width - display_width(t.columns[i].name) + 2);
        out += table_cell(
            i < row.size() ? row[i] : cell{}, t.columns[i].kind, max_record_cell_width);
        out += '\n';
    }
}

[[nodiscard]] std::string render_table(const std::vector<section>& sections) {
    std::string out;
    bool first = true;
    for (const auto& s : sections) {
        if (!first) {
            out += '\n';
        }
        first = false;
        out += s.title.empty() ? s.name : s.title;
        out += '\n';
        if (s.table.rows.empty()) {
            out += "  (none)\n";
            continue;
        }
        if (s.shape == section_shape::record) {
            render_record_table(s, out);
        } else {
            render_rows_table(s, out);
        }
    }
    return out;
}

[[nodiscard]] std::string json_value(const cell& value, column_kind kind) {
    if (!value) {
        return "null";
    }
    switch (kind) {
    case column_kind::integer:
        return *value;
    case column_kind::real:
        // JSON has no NaN or Infinity.
        if (*value == "NaN" || *value == "Infinity" || *value == "-Infinity") {
            return json_quote(*value);
        }
        return *value;
    case column_kind::boolean:
        if (*value == "t") {
            return "true";
        }
        if (*value == "f") {
            return "false";
        }
        return json_quote(*value);
    case column_kind::json:
        return *value;
    case column_kind::time:
        return json_quote(rfc3339_from_pg(*value));
    default:
        return json_quote(*value);
    }
}

void json_object(const result_table& t, std::size_t row, std::string& out) {
    out += '{';
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        out += json_quote(t.columns[i].name);
        out += ':';
        const auto& r = t.rows[row];
        out += json_value(i < r.size() ? r[i] : cell{}, t.columns[i].kind);
    }
    out += '}';
}

[[nodiscard]] std::string render_json(const std::vector<section>& sections) {
    std::string out = "{";
    for (std::size_t s = 0; s < sections.size(); ++s) {
        const section& sec = sections[s];
        out += s == 0 ? "\n  " : ",\n  ";
        out += json_quote(sec.name);
        out += ": ";
        if (sec.shape == section_shape::record) {
            if (sec.table.rows.empty()) {
                out += "null";
            } else {
                json_object(sec.table, 0, out);
            }
            continue;
        }
        out += '[';
        for (std::size_t r = 0; r < sec.table.rows.size(); ++r) {
            out += r == 0 ? "\n    " : ",\n    ";
            json_object(sec.table, r, out);
        }
        out += sec.table.rows.empty() ? "]" : "\n  ]";
    }
    out += sections.empty() ? "}\n" : "\n}\n";
    return out;
}

[[nodiscard]] std::string csv_field(const cell& value, column_kind kind) {
    if (!value) {
        return {};
    }
    const std::string text = kind == column_kind::time ? rfc3339_from_pg(*value) : *value;
    const bool needs_quotes = text.empty() || text.find_first_of(",\"\r\n") != std::string::npos
                              || text.front() == ' ' || text.back() == ' ' || text.front() == '#';
    if (!needs_quotes) {
        return text;
    }
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"') {
            out += '"';
        }
        out += c;
    }
    out += '"';
    return out;
}

void csv_section(const result_table& t, std::string& out) {
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        out += csv_field(t.columns[i].name, column_kind::text);
    }
    out += "\r\n";
    for (const auto& row : t.rows) {
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            if (i > 0) {
                out += ',';
            }
            out += csv_field(i < row.size() ? row[i] : cell{}, t.columns[i].kind);
        }
        out += "\r\n";
    }
}

[[nodiscard]] std::string render_csv(const std::vector<section>& sections) {
    std::string out;
    if (sections.size() == 1) {
        csv_section(sections.front().table, out);
        return out;
    }
    for (std::size_t s = 0; s < sections.size(); ++s) {
        if (s > 0) {
            out += "\r\n";
        }
        out += "# ";
        out += sections[s].name;
        out += "\r\n";
        csv_section(sections[s].table, out);
    }
    return out;
}

[[nodiscard]] bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

} // namespace

std::optional<std::size_t> result_table::column_index(std::string_view name) const {
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].name == name) {
            return i;
        }
    }
    return std::nullopt;
}

cell result_table::value(std::size_t row, std::string_view name) const {
    const auto index = column_index(name);
    if (!index || row >= rows.size() || *index >= rows[row].size()) {
        return std::nullopt;
    }
    return rows[row][*index];
}

std::optional<output_format> parse_output_format(std::string_view text) {
    if (text == "table") {
        return output_format::table;
    }
    if (text == "json") {
        return output_format::json;
    }
    if (text == "csv") {
        return output_format::csv;
    }
    return std::nullopt;
}

std::string render(const std::vector<section>& sections, output_format format) {
    switch (format) {
    case output_format::json:
        return render_json(sections);
    case output_format::csv:
        return render_csv(sections);
    case output_format::table:
        break;
    }
    return render_table(sections);
}

std::string rfc3339_from_pg(std::string_view text) {
    // YYYY-MM-DD HH:MM:SS[.ffffff]+00
    constexpr std::size_t date_time_length = 19;
    constexpr std::string_view utc_suffix = "+00";
    if (text.size() < date_time_length + utc_suffix.size() || !text.ends_with(utc_suffix)
        || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' || text[16] != ':'
        || !is_digit(text[0])) {
        return std::string{text};
    }
    const std::string_view fraction
        = text.substr(date_time_length, text.size() - date_time_length - utc_suffix.size());
    if (!fraction.empty()
        && (fraction.front() != '.'
            || !std::all_of(fraction.begin() + 1, fraction.end(), is_digit))) {
        return std::string{text};
    }
    std::string out{text.substr(0, date_time_length)};
    out[10] = 'T';
    out += fraction;
    out += 'Z';
    return out;
}

std::string json_quote(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20U || c == 0x7FU) {
                out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
            } else {
                out += ch;
            }
        }
    }
    out += '"';
    return out;
}

} // namespace ledgertap::query
