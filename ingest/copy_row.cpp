#include "ingest/copy_row.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <vector>

namespace ledgertap::ingest {

bool is_storable_text(std::string_view value) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(value.data());
    const std::size_t n = value.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c == 0) {
            return false;
        }
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if ((c & 0xE0U) == 0xC0U) {
            len = 2;
            cp = c & 0x1FU;
        } else if ((c & 0xF0U) == 0xE0U) {
            len = 3;
            cp = c & 0x0FU;
        } else if ((c & 0xF8U) == 0xF0U) {
            len = 4;
            cp = c & 0x07U;
        } else {
            return false;
        }
        if (i + len > n) {
            return false;
        }
        for (std::size_t k = 1; k < len; ++k) {
            const unsigned char cc = p[i + k];
            if ((cc & 0xC0U) != 0x80U) {
                return false;
            }
            cp = (cp << 6U) | (cc & 0x3FU);
        }
        // Overlong forms, surrogates and values past U+10FFFF are invalid UTF-8.
        if ((len == 2 && cp < 0x80U) || (len == 3 && cp < 0x800U) || (len == 4 && cp < 0x10000U)
            || (cp >= 0xD800U && cp <= 0xDFFFU) || cp > 0x10FFFFU) {
            return false;
        }
        i += len;
    }
    return true;
}

std::string make_storable(std::string_view bytes) {
    if (is_storable_text(bytes)) {
        return std::string{bytes};
    }
    std::string out;
    out.reserve(bytes.size());
    std::size_t i = 0;
    while (i < bytes.size()) {
        // Take the longest valid UTF-8 sequence at i, or replace one byte.
        std::size_t len = 1;
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c >= 0xF0U) {
            len = 4;
        } else if (c >= 0xE0U) {
            len = 3;
        } else if (c >= 0xC0U) {
            len = 2;
        }
        if (c != 0 && i + len <= bytes.size() && is_storable_text(bytes.substr(i, len))) {
            out.append(bytes.substr(i, len));
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

namespace {

/// 10000-01-01 00:00:00 UTC: the first millisecond whose year needs five digits.
constexpr std::uint64_t five_digit_year_ms = 253'402'300'800'000ULL;
constexpr std::uint64_t ms_per_day = 86'400'000ULL;

} // namespace

void append_timestamp_ms(std::string& out, std::uint64_t ms) {
    using namespace std::chrono;
    if (ms >= five_digit_year_ms) {
        // Years past 9999 (only a hostile node sends them; PostgreSQL decides whether they fit).
        const auto tp = sys_time<milliseconds>{milliseconds{static_cast<std::int64_t>(ms)}};
        const auto day = floor<days>(tp);
        const year_month_day ymd{day};
        const hh_mm_ss<milliseconds> tod{tp - day};
        fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}+00",
            static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
            static_cast<unsigned>(ymd.day()), tod.hours().count(), tod.minutes().count(),
            tod.seconds().count(), tod.subseconds().count());
        return;
    }
    // Every confirmation carries five timestamps: written digit by digit into a fixed pattern
    // instead of through a format string, which was the costliest field of a Nano row.
    const year_month_day ymd{sys_days{days{static_cast<std::int64_t>(ms / ms_per_day)}}};
    const std::uint64_t of_day = ms % ms_per_day;
    std::array<char, 26> text{'0', '0', '0', '0', '-', '0', '0', '-', '0', '0', ' ', '0', '0', ':', '0',
        '0', ':', '0', '0', '.', '0', '0', '0', '+', '0', '0'};
    using schema::put_decimal_digits;
    put_decimal_digits(text.data() + 4, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
    put_decimal_digits(text.data() + 7, static_cast<unsigned>(ymd.month()), 2);
    put_decimal_digits(text.data() + 10, static_cast<unsigned>(ymd.day()), 2);
    put_decimal_digits(text.data() + 13, of_day / 3'600'000, 2);
    put_decimal_digits(text.data() + 16, of_day / 60'000 % 60, 2);
    put_decimal_digits(text.data() + 19, of_day / 1'000 % 60, 2);
    put_decimal_digits(text.data() + 23, of_day % 1'000, 3);
    out.append(text.data(), text.size());
}

std::string format_timestamp_ms(std::uint64_t ms) {
    std::string out;
    append_timestamp_ms(out, ms);
    return out;
}

void copy_row::begin_field() {
    if (fields_ > 0) {
        line_.push_back('\t');
    }
    ++fields_;
}

void copy_row::append_escaped(std::string_view value) {
    // Characters that need no escape go in as whole runs: hashes, keys, addresses and numbers
    // are one run each, appended with one copy instead of a push_back per character.
    std::size_t run = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char* escaped = nullptr;
        switch (value[i]) {
        case '\\':
            escaped = "\\\\";
            break;
        case '\t':
            escaped = "\\t";
            break;
        case '\n':
            escaped = "\\n";
            break;
        case '\r':
            escaped = "\\r";
            break;
        default:
            continue;
        }
        line_.append(value.substr(run, i - run));
        line_ += escaped;
        run = i + 1;
    }
    line_.append(value.substr(run));
}

copy_row& copy_row::null() {
    begin_field();
    line_ += "\\N";
    return *this;
}

copy_row& copy_row::text(std::string_view value) {
    begin_field();
    if (!is_storable_text(value)) {
        if (error_.empty()) {
            error_ = fmt::format("field {}: NUL byte or invalid UTF-8", fields_);
        }
        return *this;
    }
    append_escaped(value);
    return *this;
}

copy_row& copy_row::text(const std::optional<std::string>& value) {
    return value ? text(*value) : null();
}

copy_row& copy_row::free_text(std::string_view value) {
    if (is_storable_text(value)) {
        return text(value);
    }
    ++replaced_;
    return text(make_storable(value));
}

copy_row& copy_row::free_text(const std::optional<std::string>& value) {
    return value ? free_text(*value) : null();
}

copy_row& copy_row::jsonb(std::string_view json) {
    // A backslash only occurs in JSON as the start of an escape inside a string, so stepping over
    // every escape finds each `\u0000` and never mistakes `\\u0000` (a backslash, then "u0000").
    constexpr std::string_view nul_escape = "\\u0000";
    if (json.find(nul_escape) == std::string_view::npos) {
        return free_text(json);
    }
    std::string out;
    out.reserve(json.size());
    for (std::size_t i = 0; i < json.size();) {
        if (json[i] != '\\') {
            out.push_back(json[i++]);
        } else if (json.substr(i, nul_escape.size()) == nul_escape) {
            out += "\\ufffd";
            i += nul_escape.size();
        } else {
            out.append(json.substr(i, 2));
            i += 2;
        }
    }
    if (out == json) {
        return free_text(json); // only an escaped backslash before "u0000"
    }
    ++replaced_; // one field, however many replacements it needed
    return text(is_storable_text(out) ? out : make_storable(out));
}

copy_row& copy_row::jsonb(const std::optional<std::string>& json) {
    return json ? jsonb(*json) : null();
}

copy_row& copy_row::u64(std::uint64_t value) {
    begin_field();
    fmt::format_to(std::back_inserter(line_), "{}", value);
    return *this;
}

copy_row& copy_row::u64(std::optional<std::uint64_t> value) {
    return value ? u64(*value) : null();
}

copy_row& copy_row::i64(std::int64_t value) {
    begin_field();
    fmt::format_to(std::back_inserter(line_), "{}", value);
    return *this;
}

copy_row& copy_row::i64(std::optional<std::int64_t> value) {
    return value ? i64(*value) : null();
}

copy_row& copy_row::u128(schema::u128 value) {
    begin_field();
    line_ += schema::format_u128(value);
    return *this;
}

copy_row& copy_row::u128(const std::optional<schema::u128>& value) {
    return value ? u128(*value) : null();
}

copy_row& copy_row::boolean(bool value) {
    begin_field();
    line_.push_back(value ? 't' : 'f');
    return *this;
}

copy_row& copy_row::boolean(std::optional<bool> value) {
    return value ? boolean(*value) : null();
}

copy_row& copy_row::timestamp_ms(std::uint64_t ms) {
    begin_field();
    append_timestamp_ms(line_, ms);
    return *this;
}

copy_row& copy_row::timestamp_ms(std::optional<std::uint64_t> ms) {
    return ms ? timestamp_ms(*ms) : null();
}

copy_row& copy_row::text_array(std::span<const std::string> values) {
    for (const auto& v : values) {
        if (!is_storable_text(v)) {
            if (error_.empty()) {
                error_ = fmt::format("field {}: NUL byte or invalid UTF-8", fields_ + 1);
            }
            begin_field();
            return *this;
        }
    }
    append_array(values);
    return *this;
}

copy_row& copy_row::free_text_array(std::span<const std::string> values) {
    const bool storable
        = std::all_of(values.begin(), values.end(), [](const std::string& v) { return is_storable_text(v); });
    if (storable) {
        append_array(values);
        return *this;
    }
    std::vector<std::string> clean;
    clean.reserve(values.size());
    for (const auto& v : values) {
        clean.push_back(make_storable(v));
    }
    ++replaced_;
    append_array(clean);
    return *this;
}

void copy_row::append_array(std::span<const std::string> values) {
    // Array literal first ({"a\"b"}), then the COPY layer escapes its backslashes again.
    std::string literal = "{";
    bool first = true;
    for (const auto& v : values) {
        if (!first) {
            literal.push_back(',');
        }
        first = false;
        literal.push_back('"');
        for (const char c : v) {
            if (c == '"' || c == '\\') {
                literal.push_back('\\');
            }
            literal.push_back(c);
        }
        literal.push_back('"');
    }
    literal.push_back('}');
    begin_field();
    append_escaped(literal);
}

copy_row& copy_row::u64_array(std::span<const std::uint64_t> values) {
    begin_field();
    line_.push_back('{');
    bool first = true;
    for (const auto v : values) {
        if (!first) {
            line_.push_back(',');
        }
        first = false;
        fmt::format_to(std::back_inserter(line_), "{}", v);
    }
    line_.push_back('}');
    return *this;
}

copy_row& copy_row::bytes(std::span<const std::uint8_t> value) {
    static constexpr std::array<char, 16> digits = {
        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    begin_field();
    line_ += "\\\\x"; // `\x` escaped for the COPY layer
    for (const auto b : value) {
        line_.push_back(digits[b >> 4U]);
        line_.push_back(digits[b & 0x0FU]);
    }
    return *this;
}

std::string copy_row::finish() {
    line_.push_back('\n');
    std::string out = std::move(line_);
    line_.clear();
    fields_ = 0;
    return out;
}

} // namespace ledgertap::ingest
