// parse_document's screening before RapidJSON: raw NUL bytes and nesting depth, reported as the
// first problem in text order. The screen skips string contents with memchr; a byte-at-a-time
// reference here must agree with it on every input, hostile ones above all.

#include "schema/json.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace json = ledgertap::schema::json;
using ledgertap::schema::decode_errc;

namespace {

/// The screen's specification, one byte at a time: the detail of the first NUL or nesting
/// error outside strings, or nullopt.
std::optional<std::string> reference_screen(std::string_view text, std::size_t max_depth) {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\0') {
            return "NUL byte at offset " + std::to_string(i);
        }
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                return "JSON nesting deeper than " + std::to_string(max_depth) + " at offset "
                       + std::to_string(i);
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

/// What parse_document reports, if the screen caught it (RapidJSON's own errors say otherwise).
std::optional<std::string> screened(std::string_view text, std::size_t max_depth) {
    const auto r = json::parse_document(text, max_depth);
    if (r.ok()) {
        return std::nullopt;
    }
    const auto& detail = r.error().detail;
    if (detail.starts_with("NUL byte at offset ")) {
        CHECK(r.error().code == decode_errc::malformed_json);
        return detail;
    }
    if (detail.starts_with("JSON nesting deeper than ")) {
        CHECK(r.error().code == decode_errc::too_large);
        return detail;
    }
    return std::nullopt;
}

} // namespace

TEST_CASE("json: the screen finds NULs and deep nesting outside strings, first one first", "[json]") {
    using namespace std::string_literals;
    CHECK(screened(R"({"a":"[[[["})", 2) == std::nullopt);              // brackets inside a string
    CHECK(screened(R"({"a":"\"[[[["})", 2) == std::nullopt);            // after an escaped quote
    CHECK(screened(R"({"a":"\\",[[[]]]})", 2) == "JSON nesting deeper than 2 at offset 11");
    CHECK(screened("{\"a\":\"x\0\"}"s, 8) == "NUL byte at offset 7");  // NUL inside a string
    CHECK(screened("[[[\0"s, 2) == "JSON nesting deeper than 2 at offset 2"); // depth first
    CHECK(screened("[\0[[["s, 2) == "NUL byte at offset 1");             // NUL first
    CHECK(screened("\"abc\\\0"s, 8) == "NUL byte at offset 5");           // the escaped byte
    CHECK(screened("\"unterminated \\", 8) == std::nullopt);
    CHECK(json::parse_document(R"({"hash":"AB\\CD","n":[1,[2]]})").ok());
}

TEST_CASE("json: the screen agrees with a byte-at-a-time scan on random hostile text", "[json]") {
    // Few characters, chosen to make strings, escapes, nesting and NULs collide often.
    constexpr std::string_view alphabet{"\"\\{}[]a,:\0", 10};
    std::mt19937 rng{9};
    for (int n = 0; n < 50000; ++n) {
        std::string text(1 + rng() % 40, ' ');
        for (char& c : text) {
            c = alphabet[rng() % alphabet.size()];
        }
        const std::size_t max_depth = 1 + rng() % 4;
        CAPTURE(text, max_depth);
        REQUIRE(screened(text, max_depth) == reference_screen(text, max_depth));
    }
}
