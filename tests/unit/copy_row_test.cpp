#include "ingest/copy_row.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using ledgertap::ingest::copy_row;

TEST_CASE("copy_row escapes every character that would break the COPY text format") {
    copy_row r;
    r.text("tab\there").text("line\nbreak\r").text("back\\slash").null().text("");
    CHECK(r.ok());
    CHECK(r.field_count() == 5);
    CHECK(r.finish() == "tab\\there\tline\\nbreak\\r\tback\\\\slash\t\\N\t\n");

    // Escapes first, adjacent, and last, around runs that need none.
    copy_row edges;
    edges.text("\t\n\\x\ry\r");
    CHECK(edges.finish() == "\\t\\n\\\\x\\ry\\r\n");
}

TEST_CASE("copy_row refuses NUL bytes and invalid UTF-8 and says which field") {
    copy_row r;
    r.text("fine").text(std::string("nul\0inside", 10));
    CHECK_FALSE(r.ok());
    CHECK(r.error() == "field 2: NUL byte or invalid UTF-8");

    copy_row bad_utf8;
    bad_utf8.text("\xC3\x28");
    CHECK_FALSE(bad_utf8.ok());

    copy_row good_utf8;
    good_utf8.text("gr\xC3\xBC\xC3\x9F" "e \xF0\x9F\x98\x80");
    CHECK(good_utf8.ok());
}

TEST_CASE("is_storable_text rejects overlong forms, surrogates and truncated sequences") {
    using ledgertap::ingest::is_storable_text;
    CHECK(is_storable_text("plain ascii"));
    CHECK_FALSE(is_storable_text("\xC0\xAF"));         // overlong '/'
    CHECK_FALSE(is_storable_text("\xED\xA0\x80"));     // UTF-16 surrogate
    CHECK_FALSE(is_storable_text("\xE2\x82"));         // truncated
    CHECK_FALSE(is_storable_text("\xF4\x90\x80\x80")); // above U+10FFFF
    CHECK(is_storable_text("\xF4\x8F\xBF\xBF"));       // U+10FFFF
}

TEST_CASE("copy_row writes exact integers, u128, booleans and timestamps") {
    copy_row r;
    r.u64(18446744073709551615ULL)
        .i64(-42)
        .u128(~ledgertap::schema::u128{0})
        .boolean(true)
        .boolean(std::optional<bool>{})
        .timestamp_ms(1564935350664ULL)
        .u64(std::optional<std::uint64_t>{});
    CHECK(r.finish()
        == "18446744073709551615\t-42\t340282366920938463463374607431768211455\tt\t\\N\t"
           "2019-08-04 16:15:50.664+00\t\\N\n");
}

TEST_CASE("copy_row array literals are escaped for both the array and the COPY layer") {
    std::vector<std::string> logs{"Program log: \"quoted\"", "back\\slash", "tab\tand\nnewline"};
    copy_row r;
    r.text_array(logs);
    // Array layer: \" and \\ ; COPY layer doubles every backslash and escapes tab/newline.
    CHECK(r.finish()
        == "{\"Program log: \\\\\"quoted\\\\\"\",\"back\\\\\\\\slash\",\"tab\\tand\\nnewline\"}\n");

    std::vector<std::uint64_t> slots{1, 18446744073709551615ULL};
    copy_row a;
    a.u64_array(slots);
    CHECK(a.finish() == "{1,18446744073709551615}\n");
}

TEST_CASE("copy_row stores free text with NUL and invalid UTF-8 replaced by U+FFFD and counts the fields") {
    const std::string fffd = "\xEF\xBF\xBD";
    copy_row r;
    r.free_text("clean\ttext").free_text(std::string("nul\0in", 6)).free_text("cut \xC3").free_text(std::optional<std::string>{});
    CHECK(r.ok());
    CHECK(r.replaced() == 2);
    CHECK(r.finish() == "clean\\ttext\tnul" + fffd + "in\tcut " + fffd + "\t\\N\n");

    // One element with NUL: the array is stored, that element repaired, the others kept exactly.
    const std::vector<std::string> logs{"ok \"q\"", std::string("a\0b", 3), "\xFF\xFE", ""};
    copy_row a;
    a.free_text_array(logs);
    CHECK(a.ok());
    CHECK(a.replaced() == 1);
    CHECK(a.finish() == "{\"ok \\\\\"q\\\\\"\",\"a" + fffd + "b\",\"" + fffd + fffd + "\",\"\"}\n");

    // The strict forms still refuse, so identity fields never change silently.
    copy_row strict;
    strict.text_array(logs);
    CHECK_FALSE(strict.ok());
    CHECK(strict.error() == "field 1: NUL byte or invalid UTF-8");

    copy_row clean;
    clean.free_text_array(std::vector<std::string>{"x"});
    CHECK(clean.replaced() == 0);
}

TEST_CASE("copy_row jsonb replaces the NUL escape (u0000) jsonb refuses and nothing that only looks like it") {
    copy_row r;
    r.jsonb(std::string{R"({"BorshIoError":"nul\u0000x\u0000"})"})
        .jsonb(std::string{R"({"k":"escaped backslash \\u0000 stays","c":"\u0001"})"})
        .jsonb(std::optional<std::string>{});
    CHECK(r.ok());
    CHECK(r.replaced() == 1);
    // COPY doubles each backslash.
    CHECK(r.finish()
        == R"({"BorshIoError":"nul\\ufffdx\\ufffd"})" "\t"
           R"({"k":"escaped backslash \\\\u0000 stays","c":"\\u0001"})" "\t\\N\n");
}

TEST_CASE("make_storable keeps valid UTF-8 and replaces each bad byte") {
    using ledgertap::ingest::make_storable;
    CHECK(make_storable("gr\xC3\xBC\xC3\x9F") == "gr\xC3\xBC\xC3\x9F");
    CHECK(make_storable(std::string("\0", 1)) == "\xEF\xBF\xBD");
    CHECK(make_storable("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // a surrogate, 3 bytes
}

TEST_CASE("copy_row bytea uses the hex form") {
    const std::vector<std::uint8_t> data{0x00, 0xAB, 0xFF};
    copy_row r;
    r.bytes(data);
    CHECK(r.finish() == "\\\\x00abff\n");
}

TEST_CASE("format_timestamp_ms handles the epoch and leap years") {
    using ledgertap::ingest::format_timestamp_ms;
    CHECK(format_timestamp_ms(0) == "1970-01-01 00:00:00.000+00");
    CHECK(format_timestamp_ms(951782400001ULL) == "2000-02-29 00:00:00.001+00");
}

TEST_CASE("format_timestamp_ms writes what chrono and fmt write, for every year up to 9999 and past it") {
    using ledgertap::ingest::format_timestamp_ms;
    // The formatting the digit-by-digit writer replaced, as the reference.
    const auto reference = [](std::uint64_t ms) {
        using namespace std::chrono;
        const auto tp = sys_time<milliseconds>{milliseconds{static_cast<std::int64_t>(ms)}};
        const auto day = floor<days>(tp);
        const year_month_day ymd{day};
        const hh_mm_ss<milliseconds> tod{tp - day};
        return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}+00", static_cast<int>(ymd.year()),
            static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), tod.hours().count(),
            tod.minutes().count(), tod.seconds().count(), tod.subseconds().count());
    };
    constexpr std::uint64_t year_10000 = 253402300800000ULL;
    std::vector<std::uint64_t> values{0, 1, 999, 86'399'999, 86'400'000, 4'102'444'800'000ULL /* 2100-01-01 */,
        4'107'542'399'999ULL /* 2100-02-28 end (2100 is no leap year) */, 13'574'563'200'000ULL /* 2400-02-29 */,
        year_10000 - 1, year_10000, year_10000 + 86'400'000};
    std::mt19937_64 rng{20261206};
    std::uniform_int_distribution<std::uint64_t> recent{0, 4'102'444'800'000ULL};
    std::uniform_int_distribution<std::uint64_t> any_year{0, year_10000 + 1'000'000'000'000ULL};
    for (int i = 0; i < 100'000; ++i) {
        values.push_back(recent(rng));
        values.push_back(any_year(rng));
    }
    std::size_t mismatches = 0;
    for (const std::uint64_t ms : values) {
        if (format_timestamp_ms(ms) != reference(ms)) {
            if (++mismatches <= 5) {
                FAIL_CHECK(ms << ": " << format_timestamp_ms(ms) << " != " << reference(ms));
            }
        }
    }
    CHECK(mismatches == 0);
    CHECK(format_timestamp_ms(year_10000 - 1) == "9999-12-31 23:59:59.999+00");
    CHECK(format_timestamp_ms(year_10000) == "10000-01-01 00:00:00.000+00");

    // In a row, after other fields.
    ledgertap::ingest::copy_row r;
    r.u64(7).timestamp_ms(std::uint64_t{1'733'500'000'123ULL});
    CHECK(r.finish() == "7\t2024-12-06 15:46:40.123+00\n");
}
