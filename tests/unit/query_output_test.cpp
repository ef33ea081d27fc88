// Query tool output: durations, and the table / JSON / CSV renderings of typed sections.

#include "query/duration.hpp"
#include "query/output.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <sstream>
#include <string>
#include <vector>

namespace ledgertap::query {
namespace {

using namespace std::chrono_literals;

section sample_rows() {
    section s;
    s.name = "blocks";
    s.title = "Blocks";
    s.table.columns
        = {{"hash", column_kind::text},
           {"height", column_kind::integer},
           {"balance", column_kind::decimal},
           {"latency_ms", column_kind::real},
           {"final", column_kind::boolean},
           {"confirmed_at", column_kind::time},
           {"err", column_kind::json}};
    s.table.rows = {
        {"AB",
         "7",
         "340282366920938463463374607431768211455",
         "412.5",
         "t",
         "2024-05-01 12:00:00.123+00",
         R"({"Custom": 1})"},
        {"C, \"D\"", "12345", "0", "0.0125", "f", "2024-05-01 12:00:01+00", std::nullopt},
        {"", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt},
    };
    return s;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

TEST_CASE("parse_duration accepts a positive count with s, m, h or d only", "[query][duration]") {
    CHECK(parse_duration("90s") == 90s);
    CHECK(parse_duration("15m") == 15min);
    CHECK(parse_duration("2h") == 2h);
    CHECK(parse_duration("7d") == std::chrono::seconds{7 * 86400});
    CHECK(parse_duration("1s") == 1s);
    for (const char* bad :
         {"",
          "s",
          "0s",
          "15",
          "1.5h",
          "-2m",
          "+2m",
          "2 h",
          " 2h",
          "2h ",
          "1w",
          "2H",
          "01m",
          "h2",
          "99999999999999999999d",
          "36601d"}) {
        INFO(bad);
        CHECK_FALSE(parse_duration(bad));
    }
    CHECK(parse_duration("36600d") == std::chrono::seconds{36600LL * 86400});
}

TEST_CASE(
    "durations print as PostgreSQL intervals and in their largest exact unit",
    "[query][duration]") {
    CHECK(pg_interval(900s) == "900 seconds");
    CHECK(format_duration(900s) == "15m");
    CHECK(format_duration(7200s) == "2h");
    CHECK(format_duration(90s) == "90s");
    CHECK(format_duration(std::chrono::seconds{86400 * 7}) == "7d");
}

TEST_CASE("output formats are table, json and csv", "[query][output]") {
    CHECK(parse_output_format("table") == output_format::table);
    CHECK(parse_output_format("json") == output_format::json);
    CHECK(parse_output_format("csv") == output_format::csv);
    CHECK_FALSE(parse_output_format("JSON"));
    CHECK_FALSE(parse_output_format("yaml"));
}

TEST_CASE("PostgreSQL UTC times become RFC 3339, other text is left alone", "[query][output]") {
    CHECK(rfc3339_from_pg("2024-05-01 12:00:00.123+00") == "2024-05-01T12:00:00.123Z");
    CHECK(rfc3339_from_pg("2024-05-01 12:00:00+00") == "2024-05-01T12:00:00Z");
    CHECK(rfc3339_from_pg("2024-05-01 12:00:00.123456+00") == "2024-05-01T12:00:00.123456Z");
    CHECK(rfc3339_from_pg("2024-05-01 12:00:00+02") == "2024-05-01 12:00:00+02");
    CHECK(rfc3339_from_pg("infinity") == "infinity");
    CHECK(rfc3339_from_pg("2024-05-01 12:00:00.1x+00") == "2024-05-01 12:00:00.1x+00");
}

TEST_CASE("json_quote escapes quotes, backslashes and control characters", "[query][output]") {
    CHECK(json_quote("a\"b\\c") == R"("a\"b\\c")");
    CHECK(json_quote("l1\nl2\t") == R"("l1\nl2\t")");
    CHECK(json_quote(std::string{"\x01", 1}) == R"("\u0001")");
    CHECK(json_quote("nano_ü") == "\"nano_ü\"");
}

TEST_CASE(
    "JSON output is exact: numerics as strings, integers and doubles as numbers",
    "[query][output]") {
    section record;
    record.name = "summary";
    record.shape = section_shape::record;
    record.table.columns = {{"value", column_kind::decimal}, {"rate", column_kind::real}};
    record.table.rows = {{"18446744073709551615", "NaN"}};
    section empty_record;
    empty_record.name = "nothing";
    empty_record.shape = section_shape::record;
    empty_record.table.columns = {{"x", column_kind::integer}};

    const std::string text = render({sample_rows(), record, empty_record}, output_format::json);
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc["blocks"].IsArray());
    REQUIRE(doc["blocks"].Size() == 3);
    const auto& first = doc["blocks"][0];
    CHECK(std::string{first["hash"].GetString()} == "AB");
    CHECK(first["height"].IsInt64());
    CHECK(first["height"].GetInt64() == 7);
    CHECK(first["balance"].IsString());
    CHECK(std::string{first["balance"].GetString()} == "340282366920938463463374607431768211455");
    CHECK(first["latency_ms"].GetDouble() == 412.5);
    CHECK(first["final"].IsTrue());
    CHECK(std::string{first["confirmed_at"].GetString()} == "2024-05-01T12:00:00.123Z");
    CHECK(first["err"]["Custom"].GetInt() == 1);
    CHECK(std::string{doc["blocks"][1]["hash"].GetString()} == "C, \"D\"");
    CHECK(doc["blocks"][1]["final"].IsFalse());
    CHECK(doc["blocks"][1]["err"].IsNull());
    CHECK(doc["blocks"][2]["height"].IsNull());
    CHECK(std::string{doc["blocks"][2]["hash"].GetString()}.empty());
    REQUIRE(doc["summary"].IsObject());
    CHECK(std::string{doc["summary"]["value"].GetString()} == "18446744073709551615");
    CHECK(std::string{doc["summary"]["rate"].GetString()} == "NaN");
    CHECK(doc["nothing"].IsNull());
    // The u128 travels as text, never through a double.
    CHECK(text.find("\"340282366920938463463374607431768211455\"") != std::string::npos);
}

TEST_CASE(
    "CSV output quotes what needs quoting and keeps NULL apart from empty text",
    "[query][output]") {
    const std::string text = render({sample_rows()}, output_format::csv);
    const auto lines = lines_of(text);
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == "hash,height,balance,latency_ms,final,confirmed_at,err\r");
    CHECK(
        lines[1]
        == R"(AB,7,340282366920938463463374607431768211455,412.5,t,2024-05-01T12:00:00.123Z,"{""Custom"": 1}")"
           "\r");
    CHECK(
        lines[2]
        == R"("C, ""D""",12345,0,0.0125,f,2024-05-01T12:00:01Z,)"
           "\r");
    CHECK(lines[3] == "\"\",,,,,,\r");
}

TEST_CASE("CSV with several sections marks each with a # line", "[query][output]") {
    section other;
    other.name = "other";
    other.table.columns = {{"n", column_kind::integer}};
    other.table.rows = {{"1"}};
    const auto lines = lines_of(render({sample_rows(), other}, output_format::csv));
    REQUIRE(lines.size() == 9);
    CHECK(lines[0] == "# blocks\r");
    CHECK(lines[5] == "\r");
    CHECK(lines[6] == "# other\r");
    CHECK(lines[7] == "n\r");
    CHECK(lines[8] == "1\r");
}

TEST_CASE(
    "the human table aligns columns, right-aligns numbers and rounds doubles only",
    "[query][output]") {
    const auto lines = lines_of(render({sample_rows()}, output_format::table));
    REQUIRE(lines.size() == 6);
    CHECK(lines[0] == "Blocks");
    const std::string& header = lines[1];
    const std::string& rule = lines[2];
    CHECK(header.find("hash") == 0);
    // Every data line is as wide as the rule (the last column is left-aligned, unpadded).
    const std::size_t height_end = header.find("height") + std::string{"height"}.size();
    CHECK(lines[3].substr(height_end - 1, 1) == "7");
    CHECK(lines[4].substr(height_end - 5, 5) == "12345");
    CHECK(lines[3].find("340282366920938463463374607431768211455") != std::string::npos);
    CHECK(lines[3].find("412.50") != std::string::npos);
    CHECK(lines[4].find("0.0125") != std::string::npos);
    CHECK(lines[3].find("yes") != std::string::npos);
    CHECK(lines[3].find("2024-05-01T12:00:00.123Z") != std::string::npos);
    CHECK(lines[5].find(" -") != std::string::npos);
    CHECK(rule.find_first_not_of("- ") == std::string::npos);
}

TEST_CASE("a record prints vertically, an empty section says none", "[query][output]") {
    section record;
    record.name = "slot";
    record.title = "Slot 5";
    record.shape = section_shape::record;
    record.table.columns = {{"slot", column_kind::integer}, {"status", column_kind::text}};
    record.table.rows = {{"5", "finalized"}};
    section empty;
    empty.name = "transactions";
    empty.title = "Transactions";
    empty.table.columns = {{"signature", column_kind::text}};
    const auto lines = lines_of(render({record, empty}, output_format::table));
    REQUIRE(lines.size() == 6);
    CHECK(lines[0] == "Slot 5");
    CHECK(lines[1] == "  slot    5");
    CHECK(lines[2] == "  status  finalized");
    CHECK(lines[3].empty());
    CHECK(lines[4] == "Transactions");
    CHECK(lines[5] == "  (none)");
}

TEST_CASE("the human table keeps each value on one line and bounds its width", "[query][output]") {
    section s;
    s.name = "gaps";
    s.table.columns = {{"last_error", column_kind::text}};
    s.table.rows = {{"line one\nline two"}, {std::string(300, 'x')}};
    const auto lines = lines_of(render({s}, output_format::table));
    REQUIRE(lines.size() == 5);
    CHECK(lines[3] == "line one line two");
    CHECK(lines[4] == std::string(96, 'x') + "...");
}

TEST_CASE("result_table finds values by column name", "[query][output]") {
    const section s = sample_rows();
    CHECK(s.table.value(0, "height") == "7");
    CHECK_FALSE(s.table.value(2, "height"));
    CHECK_FALSE(s.table.value(0, "missing"));
    CHECK_FALSE(s.table.value(9, "height"));
    CHECK(s.table.column_index("balance") == 2U);
}

} // namespace
} // namespace ledgertap::query
