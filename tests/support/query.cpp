#include "tests/support/query.hpp"

#include "query/cli.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ledgertap::test {

query_outcome run_query(const std::string& conninfo, std::vector<std::string> args) {
    args.insert(args.end(), {"--db", conninfo});
    std::ostringstream out;
    std::ostringstream err;
    query_outcome o;
    o.code = query::run_cli(args, out, err);
    o.out = out.str();
    o.err = err.str();
    return o;
}

rapidjson::Document parse_json_object(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    INFO(text.substr(0, 2000));
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc.IsObject());
    return doc;
}

std::optional<double> json_number(const rapidjson::Value& v) {
    if (v.IsNull()) {
        return std::nullopt;
    }
    REQUIRE(v.IsNumber());
    return v.GetDouble();
}

std::optional<double> percentile_cont(std::vector<double> values, double p) {
    if (values.empty()) {
        return std::nullopt;
    }
    std::sort(values.begin(), values.end());
    const double pos = p * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = static_cast<std::size_t>(std::ceil(pos));
    return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

} // namespace ledgertap::test
