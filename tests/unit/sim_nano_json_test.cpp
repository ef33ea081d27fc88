// The simulator's property-tree writer must reproduce boost::property_tree::write_json's pretty
// output byte for byte: the Nano node's every frame and RPC reply goes through it.

#include "sim/nano_json.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace ledgertap::sim::nano {
namespace {

TEST_CASE("pretty_writer writes nested objects and arrays like write_json", "[sim][nano][json]") {
    std::string out;
    pretty_writer w(out);
    w.begin_object();
    w.value("topic", "vote");
    w.value("time", std::uint64_t{42});
    w.begin_object("message");
    w.begin_array("blocks");
    w.element("AB");
    w.element("CD");
    w.end();
    w.begin_array("votes");
    w.begin_object();
    w.plain("hash", "AB");
    w.end();
    w.end();
    w.end();
    w.end();
    w.finish();
    CHECK(
        out
        == "{\n"
           "    \"topic\": \"vote\",\n"
           "    \"time\": \"42\",\n"
           "    \"message\": {\n"
           "        \"blocks\": [\n"
           "            \"AB\",\n"
           "            \"CD\"\n"
           "        ],\n"
           "        \"votes\": [\n"
           "            {\n"
           "                \"hash\": \"AB\"\n"
           "            }\n"
           "        ]\n"
           "    }\n"
           "}\n");
}

TEST_CASE(
    "pretty_writer turns empty arrays and objects below the root into empty strings",
    "[sim][nano][json]") {
    std::string out;
    pretty_writer w(out);
    w.begin_object();
    w.begin_array("history");
    w.end();
    w.begin_object("blocks");
    w.end();
    w.empty("bad_peers");
    w.end();
    w.finish();
    CHECK(out == "{\n    \"history\": \"\",\n    \"blocks\": \"\",\n    \"bad_peers\": \"\"\n}\n");

    std::string root;
    pretty_writer r(root);
    r.begin_object();
    r.end();
    r.finish();
    CHECK(root == "{\n}\n");
}

TEST_CASE("append_escaped escapes like create_escapes, slash included", "[sim][nano][json]") {
    std::string out;
    append_escaped(out, "a/b\"c\\d\n\t\x01 \x7f");
    CHECK(out == "a\\/b\\\"c\\\\d\\n\\t\\u0001 \x7f");
}

} // namespace
} // namespace ledgertap::sim::nano
