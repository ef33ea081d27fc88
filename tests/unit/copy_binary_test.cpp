// binary_copy_encoder: the bytes of each binary COPY field form, read off PostgreSQL's send
// functions (int2send … array_send, numeric_send's base-10000 digits), and every refusal. That
// PostgreSQL stores what text COPY of the same line would store is
// tests/integration/copy_binary_test.cpp.

#include "ingest/copy_binary.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace ledgertap::ingest {
namespace {

/// Bytes as lowercase hex, for readable comparisons.
std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(digits[b >> 4U]);
        out.push_back(digits[b & 0x0FU]);
    }
    return out;
}

/// The one field of a one-column tuple, as hex (after the field count), or "refused: reason".
std::string field(wire_type type, std::string_view text) {
    binary_copy_encoder enc{{type}};
    std::string out = "prefix";
    if (auto error = enc.append_tuple(std::string{text} + "\n", out)) {
        CHECK(out == "prefix"); // a refusal leaves the buffer as it was
        return "refused: " + *error;
    }
    REQUIRE(out.substr(0, 6) == "prefix");
    REQUIRE(hex(out.substr(6, 2)) == "0001"); // field count
    return hex(out.substr(8));
}

bool refused(wire_type type, std::string_view text) { return field(type, text).starts_with("refused"); }

} // namespace

TEST_CASE("wire_type_of maps every staging column type ledgertap uses, and nothing else", "[ingest][copy_binary]") {
    CHECK(wire_type_of("text") == wire_type::text);
    CHECK(wire_type_of("char(64)") == wire_type::text);
    CHECK(wire_type_of("jsonb") == wire_type::jsonb);
    CHECK(wire_type_of("bytea") == wire_type::bytea);
    CHECK(wire_type_of("boolean") == wire_type::boolean);
    CHECK(wire_type_of("smallint") == wire_type::int2);
    CHECK(wire_type_of("integer") == wire_type::int4);
    CHECK(wire_type_of("bigint") == wire_type::int8);
    CHECK(wire_type_of("numeric(39,0)") == wire_type::numeric);
    CHECK(wire_type_of("numeric(20,0)") == wire_type::numeric);
    CHECK(wire_type_of("timestamptz") == wire_type::timestamptz);
    CHECK(wire_type_of("text[]") == wire_type::text_array);
    CHECK(wire_type_of("bigint[]") == wire_type::int8_array);
    CHECK(wire_type_of("numeric(20,0)[]") == wire_type::numeric_array);
    for (const char* unsupported : {"json", "real", "timestamp", "integer[]", "boolean[]", "uuid", "numeric(", ""}) {
        INFO(unsupported);
        CHECK_FALSE(wire_type_of(unsupported).has_value());
    }
}

TEST_CASE("binary COPY: integers in their column's width, with PostgreSQL's ranges", "[ingest][copy_binary]") {
    CHECK(field(wire_type::int2, "1") == "000000020001");
    CHECK(field(wire_type::int2, "-1") == "00000002ffff");
    CHECK(field(wire_type::int2, "32767") == "000000027fff");
    CHECK(field(wire_type::int2, "-32768") == "000000028000");
    CHECK(refused(wire_type::int2, "32768"));
    CHECK(refused(wire_type::int2, "-32769"));
    CHECK(field(wire_type::int4, "2147483647") == "000000047fffffff");
    CHECK(refused(wire_type::int4, "2147483648"));
    CHECK(field(wire_type::int8, "-9223372036854775808") == "000000088000000000000000");
    CHECK(field(wire_type::int8, "9223372036854775807") == "000000087fffffffffffffff");
    CHECK(refused(wire_type::int8, "9223372036854775808"));
    CHECK(refused(wire_type::int8, "18446744073709551616"));
    CHECK(field(wire_type::int8, "+7") == "000000080000000000000007");
    for (const char* bad : {"", "-", "1.5", "1e3", " 1", "0x10", "12a"}) {
        INFO(bad);
        CHECK(refused(wire_type::int8, bad));
    }
    CHECK(field(wire_type::int8, "12a").find("bigint") != std::string::npos);
}

TEST_CASE("binary COPY: numeric as base-10000 digits, weight and sign", "[ingest][copy_binary]") {
    // ndigits, weight, sign, dscale, digits.
    CHECK(field(wire_type::numeric, "0") == "00000008" "0000" "0000" "0000" "0000");
    CHECK(field(wire_type::numeric, "-0") == "00000008" "0000" "0000" "0000" "0000");
    CHECK(field(wire_type::numeric, "0007") == "0000000a" "0001" "0000" "0000" "0000" "0007");
    CHECK(field(wire_type::numeric, "10000") == "0000000a" "0001" "0001" "0000" "0000" "0001");
    CHECK(field(wire_type::numeric, "12345678") == "0000000c" "0002" "0001" "0000" "0000" "04d2" "162e");
    CHECK(field(wire_type::numeric, "-123456789") == "0000000e" "0003" "0002" "4000" "0000" "0001" "0929" "1a85");
    // u64 max 18446744073709551615 = 1844|6744|0737|0955|1615.
    CHECK(field(wire_type::numeric, "18446744073709551615")
          == "00000012" "0005" "0004" "0000" "0000" "0734" "1a58" "02e1" "03bb" "064f");
    for (const char* bad : {"", "1.0", "1e5", "NaN", "Infinity", "--1"}) {
        INFO(bad);
        CHECK(refused(wire_type::numeric, bad));
    }
    CHECK(refused(wire_type::numeric, std::string(1001, '9')));
}

TEST_CASE("binary COPY: timestamptz as microseconds since 2000-01-01 UTC", "[ingest][copy_binary]") {
    CHECK(field(wire_type::timestamptz, "2000-01-01 00:00:00+00") == "00000008" "0000000000000000");
    CHECK(field(wire_type::timestamptz, "2000-01-01 00:00:00.000001+00") == "00000008" "0000000000000001");
    CHECK(field(wire_type::timestamptz, "1999-12-31 23:59:59.5+00") == "00000008" "fffffffffff85ee0"); // -500000
    // 1970-01-01: -946684800 s.
    CHECK(field(wire_type::timestamptz, "1970-01-01 00:00:00+00") == "00000008" "fffca2fec4c82000");
    // 2026-12-06 21:19:00.123: 849,907,140.123 s after 2000-01-01.
    CHECK(field(wire_type::timestamptz, "2026-12-06 21:19:00.123+00") == "00000008" "000304fc6d2dd978");
    CHECK(field(wire_type::timestamptz, "2024-02-29 00:00:00+00") != "");
    CHECK(field(wire_type::timestamptz, "infinity") == "00000008" "7fffffffffffffff");
    CHECK(field(wire_type::timestamptz, "-infinity") == "00000008" "8000000000000000");
    // Five- and six-digit years, up to PostgreSQL's last representable microsecond.
    CHECK_FALSE(refused(wire_type::timestamptz, "10000-01-01 00:00:00+00"));
    CHECK_FALSE(refused(wire_type::timestamptz, "294276-12-31 23:59:59.999999+00"));
    for (const char* bad : {"294277-01-01 00:00:00+00", "1000000-01-01 00:00:00+00", "2023-02-29 00:00:00+00",
             "2026-13-01 00:00:00+00", "2026-04-31 00:00:00+00", "2026-01-01 24:00:00+00",
             "2026-01-01 00:60:00+00", "0000-01-01 00:00:00+00", "2026-01-01 00:00:00+01",
             "2026-01-01 00:00:00", "2026-01-01T00:00:00+00", "2026-01-01 00:00:00.+00",
             "2026-01-01 00:00:00.1234567+00", "26-01-01 00:00:00+00", "2026-01-01 00:00:00+00 BC"}) {
        INFO(bad);
        CHECK(refused(wire_type::timestamptz, bad));
    }
}

TEST_CASE("binary COPY: text, jsonb, bytea and boolean", "[ingest][copy_binary]") {
    CHECK(field(wire_type::text, "") == "00000000");
    CHECK(field(wire_type::text, "AB") == "000000024142");
    CHECK(field(wire_type::jsonb, "{}") == "00000003" "01" "7b7d"); // version 1, then the text
    CHECK(field(wire_type::bytea, "\\\\x00fF") == "00000002" "00ff");
    CHECK(field(wire_type::bytea, "\\\\x") == "00000000");
    CHECK(refused(wire_type::bytea, "\\\\x0"));
    CHECK(refused(wire_type::bytea, "\\\\xzz"));
    CHECK(refused(wire_type::bytea, "00ff")); // escape format is not written by anyone here
    CHECK(field(wire_type::boolean, "t") == "0000000101");
    CHECK(field(wire_type::boolean, "false") == "0000000100");
    CHECK(refused(wire_type::boolean, "yes"));
}

TEST_CASE("binary COPY: COPY text's escapes and NULL are undone as PostgreSQL reads them", "[ingest][copy_binary]") {
    CHECK(field(wire_type::text, "\\N") == "ffffffff");
    CHECK(field(wire_type::text, "\\\\N") == "00000002" "5c4e"); // the two characters \N
    CHECK(field(wire_type::text, "a\\tb\\nc\\\\d\\re") == "00000009" "6109620a635c640d65");
    CHECK(field(wire_type::text, "\\b\\f\\v\\q") == "00000004" "080c0b71"); // \q is q
    CHECK(field(wire_type::text, "\\101\\0\\x41\\x4") == "00000004" "41004104");
    CHECK(field(wire_type::text, "\\xg") == "00000002" "7867"); // \x without a hex digit is x
    CHECK(refused(wire_type::text, "ends in \\"));
}

TEST_CASE("binary COPY: one-dimensional arrays, quoted or bare elements, NULLs", "[ingest][copy_binary]") {
    // ndim 0, no nulls, element type text (25).
    CHECK(field(wire_type::text_array, "{}") == "0000000c" "00000000" "00000000" "00000019");
    // ndim 1, flags, oid 25, 2 elements from 1; "a", "b\"c".
    CHECK(field(wire_type::text_array, "{\"a\",\"b\\\\\"c\"}")
          == "00000020" "00000001" "00000000" "00000019" "00000002" "00000001" "0000000161" "00000003" "622263");
    // Bare elements lose surrounding space; NULL bare is NULL, quoted is the text.
    CHECK(field(wire_type::text_array, "{ a b ,NULL,\"NULL\"}")
          == "00000027" "00000001" "00000001" "00000019" "00000003" "00000001" "00000003" "612062" "ffffffff"
             "00000004" "4e554c4c");
    CHECK(field(wire_type::int8_array, "{1,-2}")
          == "0000002c" "00000001" "00000000" "00000014" "00000002" "00000001" "00000008" "0000000000000001"
             "00000008" "fffffffffffffffe");
    CHECK(field(wire_type::numeric_array, "{10000}")
          == "00000022" "00000001" "00000000" "000006a4" "00000001" "00000001" "0000000a" "0001000100000000" "0001");
    for (const char* bad : {"", "{", "1,2", "{1,{2}}", "[0:1]={1,2}", "{1,,2}", "{\"a}", "{\"a\"b}", "{1,}"}) {
        INFO(bad);
        CHECK(refused(wire_type::text_array, bad));
    }
    CHECK(refused(wire_type::int8_array, "{1,x}"));
    CHECK(refused(wire_type::int8_array, "{9223372036854775808}"));
}

TEST_CASE("binary COPY: a row needs exactly one field per column", "[ingest][copy_binary]") {
    binary_copy_encoder enc{{wire_type::int4, wire_type::text, wire_type::boolean}};
    std::string out;
    REQUIRE_FALSE(enc.append_tuple("7\tx\tt\n", out).has_value());
    CHECK(hex(out) == "0003" "0000000400000007" "0000000178" "0000000101");
    const std::string before = out;
    const auto too_few = enc.append_tuple("7\tx\n", out);
    REQUIRE(too_few.has_value());
    CHECK(*too_few == "the row has 2 fields, the table 3 columns");
    const auto too_many = enc.append_tuple("7\tx\tt\t\n", out);
    REQUIRE(too_many.has_value());
    CHECK(too_many->find("more fields") != std::string::npos);
    const auto bad = enc.append_tuple("7\tx\tmaybe", out);
    REQUIRE(bad.has_value());
    CHECK(*bad == "column 3 (boolean): invalid input syntax for type boolean: \"maybe\"");
    CHECK(out == before);
}

} // namespace ledgertap::ingest
