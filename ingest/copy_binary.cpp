#include "ingest/copy_binary.hpp"

#include "schema/codec.hpp"

#include <fmt/format.h>

#include <array>
#include <limits>

namespace ledgertap::ingest {

namespace {

// Type OIDs of array elements (pg_type.h); array_recv refuses an array whose element type is not
// the column's.
constexpr std::uint32_t text_oid = 25;
constexpr std::uint32_t int8_oid = 20;
constexpr std::uint32_t numeric_oid = 1700;

// PostgreSQL's timestamp range (datatype/timestamp.h), microseconds since 2000-01-01 00:00 UTC:
// 4714-11-24 00:00 BC up to, not including, 294277-01-01 00:00.
constexpr std::int64_t min_timestamp = -211'813'488'000'000'000LL;
constexpr std::int64_t end_timestamp = 9'223'371'331'200'000'000LL;
constexpr std::int64_t postgres_epoch_unix_s = 946'684'800; // 2000-01-01 in Unix seconds

// Network byte order, appended with one append each (a tuple is mostly these).
void put16(std::string& out, std::uint16_t v) {
    const std::array<char, 2> b{static_cast<char>(v >> 8U), static_cast<char>(v & 0xFFU)};
    out.append(b.data(), b.size());
}

void put32(std::string& out, std::uint32_t v) {
    std::array<char, 4> b{};
    for (std::size_t i = 0; i < 4; ++i) {
        b[i] = static_cast<char>((v >> (24U - 8U * i)) & 0xFFU);
    }
    out.append(b.data(), b.size());
}

void put64(std::string& out, std::uint64_t v) {
    std::array<char, 8> b{};
    for (std::size_t i = 0; i < 8; ++i) {
        b[i] = static_cast<char>((v >> (56U - 8U * i)) & 0xFFU);
    }
    out.append(b.data(), b.size());
}

void patch32(std::string& out, std::size_t at, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i) {
        out[at + i] = static_cast<char>((v >> (24U - 8U * i)) & 0xFFU);
    }
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

const char* type_name(wire_type t) {
    switch (t) {
    case wire_type::text: return "text";
    case wire_type::jsonb: return "jsonb";
    case wire_type::bytea: return "bytea";
    case wire_type::boolean: return "boolean";
    case wire_type::int2: return "smallint";
    case wire_type::int4: return "integer";
    case wire_type::int8: return "bigint";
    case wire_type::numeric: return "numeric";
    case wire_type::timestamptz: return "timestamptz";
    case wire_type::text_array: return "text[]";
    case wire_type::int8_array: return "bigint[]";
    case wire_type::numeric_array: return "numeric[]";
    }
    return "?";
}

/// An optionally signed run of decimal digits: the sign and the digits, or nullopt.
struct decimal {
    bool negative = false;
    std::string_view digits;
};

std::optional<decimal> split_decimal(std::string_view v) {
    decimal d;
    if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
        d.negative = v[0] == '-';
        v.remove_prefix(1);
    }
    if (v.empty()) {
        return std::nullopt;
    }
    for (const char c : v) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
    }
    d.digits = v;
    return d;
}

/// Encodes an integer of type `t` (int2/int4/int8), PostgreSQL's range checks included.
std::optional<std::string> put_integer(std::string& out, wire_type t, std::string_view v) {
    const auto d = split_decimal(v);
    if (!d) {
        return fmt::format("invalid input syntax for type {}: \"{}\"", type_name(t), v);
    }
    const int bits = t == wire_type::int2 ? 16 : t == wire_type::int4 ? 32 : 64;
    // Magnitude limit: 2^(bits-1) - 1, or 2^(bits-1) when negative.
    const std::uint64_t limit = (std::uint64_t{1} << static_cast<unsigned>(bits - 1)) - (d->negative ? 0U : 1U);
    std::uint64_t magnitude = 0;
    for (const char c : d->digits) {
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (magnitude > (limit - digit) / 10) {
            return fmt::format("value \"{}\" is out of range for type {}", v, type_name(t));
        }
        magnitude = magnitude * 10 + digit;
    }
    const std::uint64_t value = d->negative ? ~magnitude + 1 : magnitude; // two's complement
    switch (t) {
    case wire_type::int2:
        put32(out, 2);
        put16(out, static_cast<std::uint16_t>(value));
        break;
    case wire_type::int4:
        put32(out, 4);
        put32(out, static_cast<std::uint32_t>(value));
        break;
    default:
        put32(out, 8);
        put64(out, value);
        break;
    }
    return std::nullopt;
}

/// numeric's binary form: ndigits, weight, sign, dscale, then base-10000 digits, most significant
/// first. Integers only; PostgreSQL applies the column's precision on receipt.
std::optional<std::string> put_numeric(std::string& out, std::string_view v) {
    const auto d = split_decimal(v);
    if (!d) {
        return fmt::format("invalid input syntax for type numeric: \"{}\" (integers only)", v);
    }
    std::string_view digits = d->digits;
    while (digits.size() > 1 && digits[0] == '0') {
        digits.remove_prefix(1);
    }
    // numeric's own limit is 131,072 digits before the point; the column's precision is far below.
    constexpr std::size_t max_digits = 1000;
    if (digits.size() > max_digits) {
        return fmt::format("numeric value with {} digits is out of range", digits.size());
    }
    std::array<std::uint16_t, max_digits / 4 + 1> groups{}; // base 10000, most significant first
    std::size_t count = 0;
    const std::size_t head = digits.size() % 4 == 0 ? 4 : digits.size() % 4;
    for (std::size_t i = 0; i < digits.size();) {
        const std::size_t n = i == 0 ? head : 4;
        unsigned g = 0;
        for (std::size_t k = 0; k < n; ++k) {
            g = g * 10 + static_cast<unsigned>(digits[i + k] - '0');
        }
        groups[count++] = static_cast<std::uint16_t>(g);
        i += n;
    }
    const auto weight = static_cast<std::uint16_t>(count - 1);
    while (count > 0 && groups[count - 1] == 0) {
        --count; // trailing zero groups are implied by the weight
    }
    const bool zero = count == 0;
    put32(out, static_cast<std::uint32_t>(8 + 2 * count));
    put16(out, static_cast<std::uint16_t>(count));
    put16(out, zero ? 0 : weight);
    put16(out, d->negative && !zero ? 0x4000U : 0x0000U);
    put16(out, 0); // dscale
    for (std::size_t i = 0; i < count; ++i) {
        put16(out, groups[i]);
    }
    return std::nullopt;
}

/// Days from 1970-01-01 to the proleptic Gregorian date (H. Hinnant's days_from_civil), for
/// years far past std::chrono::year's 32,767.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
    static constexpr std::array<unsigned, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/// Reads exactly `n` digits at `pos` of `v`.
bool read_fixed(std::string_view v, std::size_t& pos, std::size_t n, unsigned& out) {
    if (pos + n > v.size()) {
        return false;
    }
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!is_digit(v[pos + i])) {
            return false;
        }
        out = out * 10 + static_cast<unsigned>(v[pos + i] - '0');
    }
    pos += n;
    return true;
}

/// timestamptz as microseconds since 2000-01-01 UTC, from `YYYY-MM-DD HH:MM:SS[.f…]+00`
/// (4 to 6 year digits), `infinity` or `-infinity`.
std::optional<std::string> put_timestamptz(std::string& out, std::string_view v) {
    const auto bad = [&] {
        return fmt::format("timestamp \"{}\" is not YYYY-MM-DD HH:MM:SS[.ffffff]+00", v);
    };
    std::int64_t micros = 0;
    if (v == "infinity") {
        micros = std::numeric_limits<std::int64_t>::max();
    } else if (v == "-infinity") {
        micros = std::numeric_limits<std::int64_t>::min();
    } else {
        std::size_t pos = 0;
        std::int64_t year = 0;
        while (pos < v.size() && is_digit(v[pos])) {
            if (pos == 6) {
                return fmt::format("timestamp out of range: \"{}\"", v);
            }
            year = year * 10 + (v[pos] - '0');
            ++pos;
        }
        unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0, fraction = 0;
        std::size_t fraction_digits = 0;
        const auto expect = [&](char c) { return pos < v.size() && v[pos++] == c; };
        if (pos < 4 || !expect('-') || !read_fixed(v, pos, 2, month) || !expect('-')
            || !read_fixed(v, pos, 2, day) || !expect(' ') || !read_fixed(v, pos, 2, hour) || !expect(':')
            || !read_fixed(v, pos, 2, minute) || !expect(':') || !read_fixed(v, pos, 2, second)) {
            return bad();
        }
        if (pos < v.size() && v[pos] == '.') {
            ++pos;
            while (pos < v.size() && is_digit(v[pos]) && fraction_digits < 6) {
                fraction = fraction * 10 + static_cast<unsigned>(v[pos++] - '0');
                ++fraction_digits;
            }
            if (fraction_digits == 0) {
                return bad();
            }
            for (std::size_t i = fraction_digits; i < 6; ++i) {
                fraction *= 10;
            }
        }
        if (v.substr(pos) != "+00") {
            return bad();
        }
        if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23
            || minute > 59 || second > 59) {
            return fmt::format("date/time field value out of range: \"{}\"", v);
        }
        if (year > 294276) {
            return fmt::format("timestamp out of range: \"{}\"", v);
        }
        const std::int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60
            + second - postgres_epoch_unix_s;
        micros = seconds * 1'000'000 + fraction;
        if (micros < min_timestamp || micros >= end_timestamp) {
            return fmt::format("timestamp out of range: \"{}\"", v);
        }
    }
    put32(out, 8);
    put64(out, static_cast<std::uint64_t>(micros));
    return std::nullopt;
}

std::optional<std::string> put_bytea(std::string& out, std::string_view v) {
    if (v.size() < 2 || v[0] != '\\' || v[1] != 'x' || v.size() % 2 != 0) {
        return std::string{"bytea must be in hex form (\\x followed by pairs of hex digits)"};
    }
    put32(out, static_cast<std::uint32_t>((v.size() - 2) / 2));
    for (std::size_t i = 2; i < v.size(); i += 2) {
        const int hi = schema::hex_digit_value(v[i]);
        const int lo = schema::hex_digit_value(v[i + 1]);
        if (hi < 0 || lo < 0) {
            return fmt::format("invalid hexadecimal digit in bytea: \"{}\"", v.substr(i, 2));
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return std::nullopt;
}

std::optional<std::string> put_scalar(std::string& out, wire_type t, std::string_view v) {
    switch (t) {
    case wire_type::text:
        put32(out, static_cast<std::uint32_t>(v.size()));
        out.append(v);
        return std::nullopt;
    case wire_type::jsonb:
        put32(out, static_cast<std::uint32_t>(v.size() + 1));
        out.push_back('\x01'); // jsonb's binary form: version 1, then the JSON text
        out.append(v);
        return std::nullopt;
    case wire_type::bytea:
        return put_bytea(out, v);
    case wire_type::boolean:
        if (v != "t" && v != "f" && v != "true" && v != "false") {
            return fmt::format("invalid input syntax for type boolean: \"{}\"", v);
        }
        put32(out, 1);
        out.push_back(v[0] == 't' ? '\x01' : '\x00');
        return std::nullopt;
    case wire_type::int2:
    case wire_type::int4:
    case wire_type::int8:
        return put_integer(out, t, v);
    case wire_type::numeric:
        return put_numeric(out, v);
    case wire_type::timestamptz:
        return put_timestamptz(out, v);
    default:
        return std::string{"not a scalar type"};
    }
}

/// A one-dimensional array literal (`{a,"b c",NULL}`, bare or quoted elements with backslash
/// escapes, as array_out writes and array_in reads them) in array_send's form.
std::optional<std::string> put_array(std::string& out, wire_type t, std::string_view v) {
    const wire_type element = t == wire_type::text_array ? wire_type::text
        : t == wire_type::int8_array                    ? wire_type::int8
                                                        : wire_type::numeric;
    const std::uint32_t oid = t == wire_type::text_array ? text_oid : t == wire_type::int8_array ? int8_oid : numeric_oid;
    if (v.size() < 2 || v.front() != '{' || v.back() != '}') {
        return fmt::format("array literal \"{}\" is not {{…}} (one dimension, default bounds)", v);
    }
    const std::size_t length_at = out.size();
    put32(out, 0); // patched below
    const std::size_t body_at = out.size();
    const std::string_view inner = v.substr(1, v.size() - 2);
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
    std::vector<std::optional<std::string>> elements;
    std::size_t pos = 0;
    const bool empty = inner.find_first_not_of(" \t\n\r\v\f") == std::string_view::npos;
    while (!empty) {
        while (pos < inner.size() && is_space(inner[pos])) {
            ++pos;
        }
        std::string value;
        bool quoted = false;
        if (pos < inner.size() && inner[pos] == '"') {
            quoted = true;
            ++pos;
            while (pos < inner.size() && inner[pos] != '"') {
                if (inner[pos] == '\\' && pos + 1 < inner.size()) {
                    ++pos;
                }
                value.push_back(inner[pos++]);
            }
            if (pos >= inner.size()) {
                return fmt::format("unterminated quoted element in array literal \"{}\"", v);
            }
            ++pos;
            while (pos < inner.size() && is_space(inner[pos])) {
                ++pos;
            }
        } else {
            std::size_t last_kept = 0; // value's length up to its last escaped or non-space char
            while (pos < inner.size() && inner[pos] != ',') {
                if (inner[pos] == '{' || inner[pos] == '}' || inner[pos] == '"') {
                    return fmt::format("array literal \"{}\": nested, or a stray {}", v, inner[pos]);
                }
                if (inner[pos] == '\\' && pos + 1 < inner.size()) {
                    value.push_back(inner[pos + 1]);
                    pos += 2;
                    last_kept = value.size();
                    continue;
                }
                value.push_back(inner[pos]);
                if (!is_space(inner[pos])) {
                    last_kept = value.size();
                }
                ++pos;
            }
            value.resize(last_kept);
            if (value.empty()) {
                return fmt::format("array literal \"{}\" has an empty element", v);
            }
        }
        const bool null = !quoted && value.size() == 4
            && (value[0] == 'N' || value[0] == 'n') && (value[1] == 'U' || value[1] == 'u')
            && (value[2] == 'L' || value[2] == 'l') && (value[3] == 'L' || value[3] == 'l');
        elements.push_back(null ? std::nullopt : std::optional<std::string>{std::move(value)});
        if (pos >= inner.size()) {
            break;
        }
        if (inner[pos] != ',') {
            return fmt::format("array literal \"{}\": junk after an element", v);
        }
        ++pos;
    }
    bool has_null = false;
    for (const auto& e : elements) {
        has_null = has_null || !e;
    }
    put32(out, elements.empty() ? 0 : 1); // dimensions
    put32(out, has_null ? 1 : 0);         // flags: has NULLs
    put32(out, oid);
    if (!elements.empty()) {
        put32(out, static_cast<std::uint32_t>(elements.size()));
        put32(out, 1); // lower bound
    }
    for (const auto& e : elements) {
        if (!e) {
            put32(out, 0xFFFFFFFFU);
        } else if (auto error = put_scalar(out, element, *e)) {
            return error;
        }
    }
    patch32(out, length_at, static_cast<std::uint32_t>(out.size() - body_at));
    return std::nullopt;
}

/// COPY text's de-escaping of one field, as PostgreSQL's CopyReadAttributesText does it: \b \f
/// \n \r \t \v, up to three octal digits, \x and one or two hex digits; any other escaped
/// character stands for itself. False for a backslash that ends the field.
bool unescape(std::string_view raw, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        if (++i >= raw.size()) {
            return false;
        }
        const char e = raw[i];
        if (e >= '0' && e <= '7') {
            unsigned value = static_cast<unsigned>(e - '0');
            for (int k = 0; k < 2 && i + 1 < raw.size() && raw[i + 1] >= '0' && raw[i + 1] <= '7'; ++k) {
                value = value * 8 + static_cast<unsigned>(raw[++i] - '0');
            }
            out.push_back(static_cast<char>(value & 0xFFU));
            continue;
        }
        if (e == 'x' && i + 1 < raw.size() && schema::hex_digit_value(raw[i + 1]) >= 0) {
            int value = schema::hex_digit_value(raw[++i]);
            if (i + 1 < raw.size() && schema::hex_digit_value(raw[i + 1]) >= 0) {
                value = value * 16 + schema::hex_digit_value(raw[++i]);
            }
            out.push_back(static_cast<char>(value));
            continue;
        }
        switch (e) {
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        default: out.push_back(e); break;
        }
    }
    return true;
}

} // namespace

std::optional<wire_type> wire_type_of(std::string_view sql_type) noexcept {
    const bool array = sql_type.ends_with("[]");
    if (array) {
        sql_type.remove_suffix(2);
    }
    const bool numeric = sql_type == "numeric" || (sql_type.starts_with("numeric(") && sql_type.ends_with(")"));
    if (array) {
        if (sql_type == "text") {
            return wire_type::text_array;
        }
        if (sql_type == "bigint") {
            return wire_type::int8_array;
        }
        if (numeric) {
            return wire_type::numeric_array;
        }
        return std::nullopt;
    }
    if (numeric) {
        return wire_type::numeric;
    }
    if (sql_type == "text" || sql_type.starts_with("varchar(") || sql_type.starts_with("char(")) {
        return wire_type::text;
    }
    static constexpr std::array<std::pair<std::string_view, wire_type>, 8> names{{
        {"jsonb", wire_type::jsonb}, {"bytea", wire_type::bytea}, {"boolean", wire_type::boolean},
        {"smallint", wire_type::int2}, {"integer", wire_type::int4}, {"bigint", wire_type::int8},
        {"timestamptz", wire_type::timestamptz}, {"timestamp with time zone", wire_type::timestamptz},
    }};
    for (const auto& [name, type] : names) {
        if (sql_type == name) {
            return type;
        }
    }
    return std::nullopt;
}

std::optional<std::string> binary_copy_encoder::append_tuple(std::string_view line, std::string& out) {
    if (line.ends_with('\n')) {
        line.remove_suffix(1);
    }
    const std::size_t start = out.size();
    const auto fail = [&](std::string reason) {
        out.resize(start);
        return std::optional<std::string>{std::move(reason)};
    };
    put16(out, static_cast<std::uint16_t>(columns_.size()));
    std::size_t pos = 0;
    bool more = true; // another field follows `pos`
    for (std::size_t c = 0; c < columns_.size(); ++c) {
        if (!more) {
            return fail(fmt::format("the row has {} fields, the table {} columns", c, columns_.size()));
        }
        const std::size_t tab = line.find('\t', pos);
        const std::size_t end = tab == std::string_view::npos ? line.size() : tab;
        const std::string_view raw = line.substr(pos, end - pos);
        more = tab != std::string_view::npos;
        pos = end + 1;
        if (raw == "\\N") {
            put32(out, 0xFFFFFFFFU);
            continue;
        }
        // Most fields (hashes, addresses, numbers, timestamps) have no escape to undo.
        std::string_view value = raw;
        if (raw.find('\\') != std::string_view::npos) {
            if (!unescape(raw, field_)) {
                return fail(fmt::format("column {}: a backslash ends the field", c + 1));
            }
            value = field_;
        }
        const wire_type t = columns_[c];
        const bool array = t == wire_type::text_array || t == wire_type::int8_array || t == wire_type::numeric_array;
        if (auto error = array ? put_array(out, t, value) : put_scalar(out, t, value)) {
            return fail(fmt::format("column {} ({}): {}", c + 1, type_name(t), *error));
        }
    }
    if (more) {
        return fail(fmt::format("the row has more fields than the table's {} columns", columns_.size()));
    }
    return std::nullopt;
}

} // namespace ledgertap::ingest
