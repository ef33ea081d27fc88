// ledgertap.example.toml is the configuration reference: it must hold every key of
// ingest/config.hpp, each at its default, and nothing the loader does not know.

#include "ingest/config.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using ledgertap::ingest::apply_toml;
using ledgertap::ingest::apply_toml_file;
using ledgertap::ingest::config;
using ledgertap::ingest::config_error;
using ledgertap::ingest::to_toml;
using ledgertap::ingest::validate;

const std::string example_path = std::string{LEDGERTAP_SOURCE_DIR} + "/ledgertap.example.toml";

[[nodiscard]] std::string read_example() {
    std::ifstream in{example_path, std::ios::binary};
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// One `key = value` line of a flat TOML document: its section, key and line number (0-based).
struct key_line {
    std::string section;
    std::string key;
    std::size_t line = 0;
};

[[nodiscard]] std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) {
        return {};
    }
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

/// The uncommented keys of a document made of `[section]` headers and single-line `key = value`
/// pairs (the shape of both the example and to_toml's output).
[[nodiscard]] std::vector<key_line> key_lines(const std::string& text) {
    std::vector<key_line> out;
    std::istringstream in{text};
    std::string raw;
    std::string section;
    for (std::size_t n = 0; std::getline(in, raw); ++n) {
        const std::string line = trim(raw);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (line.front() == '[') {
            section = line.substr(1, line.find(']') - 1);
            continue;
        }
        const auto eq = line.find('=');
        if (eq == std::string::npos) {
            continue;
        }
        out.push_back({section, trim(line.substr(0, eq)), n});
    }
    return out;
}

[[nodiscard]] std::set<std::string> full_keys(const std::vector<key_line>& lines) {
    std::set<std::string> out;
    for (const auto& l : lines) {
        out.insert(l.section + "." + l.key);
    }
    return out;
}

/// `text` with line `n`'s value replaced by `value`.
[[nodiscard]] std::string with_value(const std::string& text, std::size_t n, const std::string& value) {
    std::istringstream in{text};
    std::string out;
    std::string raw;
    for (std::size_t i = 0; std::getline(in, raw); ++i) {
        if (i == n) {
            raw = raw.substr(0, raw.find('=') + 1) + " " + value;
        }
        out += raw + "\n";
    }
    return out;
}

} // namespace

TEST_CASE("example config: ledgertap.example.toml loads and validates once a source is set") {
    config c;
    REQUIRE_NOTHROW(apply_toml_file(c, example_path));
    // The example configures no source on purpose; validate says so.
    CHECK_THROWS_WITH(validate(c), Catch::Contains("no source configured"));
    c.nano.ws_url = "ws://127.0.0.1:7078";
    CHECK_NOTHROW(validate(c));
    c.nano.ws_url.clear();
    c.solana.ws_url = "ws://127.0.0.1:8900";
    CHECK_NOTHROW(validate(c));
}

TEST_CASE("example config: every value in the example is the default") {
    config loaded;
    apply_toml_file(loaded, example_path);
    const config defaults;
    CHECK(to_toml(loaded) == to_toml(defaults));
}

TEST_CASE("example config: the example holds exactly the keys of the effective configuration") {
    const std::set<std::string> documented = full_keys(key_lines(read_example()));
    const std::set<std::string> effective = full_keys(key_lines(to_toml(config{})));
    REQUIRE(effective.size() > 50);
    for (const auto& k : effective) {
        INFO("key missing from ledgertap.example.toml: " << k);
        CHECK(documented.count(k) == 1);
    }
    for (const auto& k : documented) {
        INFO("key in ledgertap.example.toml that --print-config does not show: " << k);
        CHECK(effective.count(k) == 1);
    }
    // No key twice (TOML would refuse it, but say which).
    const auto lines = key_lines(read_example());
    CHECK(lines.size() == documented.size());
}

TEST_CASE("example config: every key of the example is read by the loader under its section") {
    const std::string text = read_example();
    const auto lines = key_lines(text);
    REQUIRE_FALSE(lines.empty());
    for (const auto& l : lines) {
        const std::string full = l.section + "." + l.key;
        INFO("key " << full << " (line " << l.line + 1 << ")");
        // An inline table is the wrong type for every key: the loader must refuse it by name.
        config c;
        CHECK_THROWS_WITH(apply_toml(c, with_value(text, l.line, "{ wrong = 1 }"), "example"),
            Catch::Contains("'" + full + "'"));
    }
}

TEST_CASE("example config: a misspelt key in the example is refused naming it") {
    std::string text = read_example();
    const std::string key = "batch_max_age_ms = ";
    const auto at = text.find(key);
    REQUIRE(at != std::string::npos);
    text.replace(at, key.size(), "batch_max_agems = ");
    config c;
    CHECK_THROWS_AS(apply_toml(c, text, "example"), config_error);
    CHECK_THROWS_WITH(apply_toml(c, text, "example"), Catch::Contains("writer.batch_max_agems"));
}
