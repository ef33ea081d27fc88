#include "ingest/config.hpp"

#include <catch2/catch.hpp>

using ledgertap::ingest::apply_toml;
using ledgertap::ingest::config;
using ledgertap::ingest::config_error;

TEST_CASE("config: a TOML file sets keys in every section") {
    config c;
    apply_toml(c, R"(
[database]
url = "postgresql://ledgertap@localhost/ledgertap"
[nano]
ws_url = "ws://[::1]:7078"
rpc_url = "http://[::1]:7076"
election_votes = true
[solana]
ws_url = "ws://127.0.0.1:8900"
accounts = ["SysvarC1ock11111111111111111111111111111111"]
commitment = "finalized"
[writer]
batch_max_age_ms = 50
[backfill]
rpc_rate_limit = 12.5
[log]
format = "json"
)", "test.toml");
    CHECK(c.database == "postgresql://ledgertap@localhost/ledgertap");
    CHECK(c.nano.ws_url == "ws://[::1]:7078");
    CHECK(c.nano.election_votes);
    CHECK(c.solana.accounts.size() == 1);
    CHECK(c.solana.commitment == "finalized");
    CHECK(c.writer.batch_max_age.count() == 50);
    CHECK(c.backfill.rpc_rate_limit == Approx(12.5));
    CHECK(c.log_format == "json");
    CHECK_NOTHROW(ledgertap::ingest::validate(c));
}

TEST_CASE("config: every bad key or value is refused naming the key and what is accepted") {
    config c;
    CHECK_THROWS_WITH(apply_toml(c, "[writer]\nbatch_max_age = 5\n", "a.toml"),
        Catch::Contains("unknown config key 'writer.batch_max_age'")
            && Catch::Contains("batch_max_age_ms"));
    CHECK_THROWS_WITH(apply_toml(c, "[writer]\nbatch_max_age_ms = \"fast\"\n", "a.toml"),
        Catch::Contains("'writer.batch_max_age_ms'") && Catch::Contains("expected an integer"));
    CHECK_THROWS_WITH(apply_toml(c, "[writer]\nbatch_max_age_ms = 0\n", "a.toml"),
        Catch::Contains("'writer.batch_max_age_ms'") && Catch::Contains("out of range"));
    CHECK_THROWS_WITH(apply_toml(c, "[solana]\ncommitment = \"processed\"\n", "a.toml"),
        Catch::Contains("'solana.commitment'") && Catch::Contains("confirmed, finalized"));
    CHECK_THROWS_WITH(apply_toml(c, "[nope]\nx = 1\n", "a.toml"), Catch::Contains("unknown section 'nope'"));
    CHECK_THROWS_WITH(apply_toml(c, "[writer\n", "a.toml"), Catch::Contains("a.toml:1"));
    // A failed file changes nothing.
    CHECK(c.writer.batch_max_age.count() == 200);
}

TEST_CASE("config: cross-field validation names the key") {
    config c;
    c.nano.ws_url = "http://wrong";
    CHECK_THROWS_WITH(ledgertap::ingest::validate(c), Catch::Contains("nano.ws_url"));
    c.nano.ws_url = "ws://127.0.0.1:7078";
    c.writer.queue_low_water_bytes = c.writer.queue_high_water_bytes;
    CHECK_THROWS_WITH(ledgertap::ingest::validate(c), Catch::Contains("writer.queue_low_water_bytes"));
    config none;
    CHECK_THROWS_WITH(ledgertap::ingest::validate(none), Catch::Contains("no source configured"));
}
