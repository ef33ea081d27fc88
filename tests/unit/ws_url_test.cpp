#include "ingest/feed_client.hpp"

#include <catch2/catch.hpp>

using ledgertap::ingest::parse_ws_url;

TEST_CASE("parse_ws_url understands ws, wss, IPv6 literals, default ports and paths") {
    auto a = parse_ws_url("ws://[::1]:7078");
    REQUIRE(a);
    CHECK_FALSE(a->tls);
    CHECK(a->host == "::1");
    CHECK(a->port == 7078);
    CHECK(a->path == "/");

    auto b = parse_ws_url("wss://node.example:8900/ws?x=1");
    REQUIRE(b);
    CHECK(b->tls);
    CHECK(b->host == "node.example");
    CHECK(b->port == 8900);
    CHECK(b->path == "/ws?x=1");

    auto c = parse_ws_url("wss://node.example");
    REQUIRE(c);
    CHECK(c->port == 443);
}

TEST_CASE("parse_ws_url names the problem with a bad URL") {
    std::string error;
    CHECK_FALSE(parse_ws_url("http://x:1", &error));
    CHECK(error == "must start with ws:// or wss://");
    CHECK_FALSE(parse_ws_url("ws://x:99999", &error));
    CHECK(error == "port must be 1..65535");
    CHECK_FALSE(parse_ws_url("ws://[::1:7078", &error));
    CHECK_FALSE(parse_ws_url("ws://:80", &error));
    CHECK(error == "missing host");
}
