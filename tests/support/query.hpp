#pragma once

// ledgertap-query in-process for integration tests, and the statistics the tests compute
// independently of PostgreSQL to check its answers (query_cli_test, query_sim_test).

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <vector>

namespace ledgertap::test {

/// What one run of the query CLI produced.
struct query_outcome {
    int code = -1;
    std::string out;
    std::string err;
};

/// query::run_cli(args + {"--db", conninfo}) with its output captured.
[[nodiscard]] query_outcome run_query(const std::string& conninfo, std::vector<std::string> args);

/// `text` parsed as a JSON object; REQUIREs that it is one (the text is shown when not).
[[nodiscard]] rapidjson::Document parse_json_object(const std::string& text);

/// A JSON number or null; REQUIREs one of the two.
[[nodiscard]] std::optional<double> json_number(const rapidjson::Value& v);

/// PostgreSQL's percentile_cont computed here: linear interpolation between the closest ranks;
/// nullopt for no values.
[[nodiscard]] std::optional<double> percentile_cont(std::vector<double> values, double p);

} // namespace ledgertap::test
