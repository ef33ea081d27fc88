// A row the database refuses (a constraint the decoders cannot know about) costs only its own
// message: the writer isolates it under a savepoint, stores everything else, and keeps the refused
// message as a dead letter that names its source, its chain and PostgreSQL's reason. Here every
// vote is refused at a brisk rate, and ingest must still keep up and stop promptly: when the
// isolation cost a transaction per bisection step, it fell minutes behind and its shutdown outlived
// compose's stop grace period. The refusal is forced
// with a CHECK the test adds to nano.votes, so the test does not depend on any decoder's gaps.

#include "tests/support/pg.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <string>

namespace ledgertap::test {

using namespace std::chrono_literals;

TEST_CASE("dead letters: a message the database refuses is kept with its source, chain and reason, "
          "the rest stored") {
    scratch_database db{"db_rejected"};
    db.migrate();
    exec_sql(
        db.conninfo(),
        "ALTER TABLE nano.votes ADD CONSTRAINT test_refuses_votes CHECK (representative IS NULL) "
        "NOT VALID");
    const auto dir = make_temp_dir("db_rejected");
    child_process sim{
        {sim_executable(),
         "--chain",
         "nano",
         "--rate",
         "200",
         "--duration",
         "40",
         "--ports-file",
         dir + "/ports.json",
         "--log-level",
         "warn"},
        dir + "/sim"};
    const auto ports = read_ports_file(dir + "/ports.json", 20s);
    REQUIRE(ports);
    child_process ingest{
        {ingest_executable(),
         "--db",
         db.conninfo(),
         "--nano-ws",
         fmt::format("ws://127.0.0.1:{}", ports->nano_ws),
         "--nano-rpc",
         fmt::format("http://127.0.0.1:{}", ports->nano_rpc),
         "--solana-ws",
         "ws://127.0.0.1:1"},
        dir + "/ingest"};
    const auto count = [&](const std::string& sql) {
        return std::stoll(query_scalar(db.conninfo(), sql).value_or("0"));
    };
    const bool seen = wait_until(
        [&] {
            return count("SELECT count(*) FROM ledgertap.rejected_messages WHERE reason = "
                         "'database_rejected'")
                       >= 500
                   && count("SELECT count(*) FROM nano.blocks WHERE confirmed_at IS NOT NULL") > 20;
        },
        40s);
    INFO(ingest.stderr_text().substr(0, 6000));
    REQUIRE(seen);
    const auto stop_started = std::chrono::steady_clock::now();
    ingest.terminate();
    REQUIRE(ingest.wait(30s) == 0);
    // Far inside compose's 30 s grace: nothing was left queued behind the refused votes.
    CHECK(std::chrono::steady_clock::now() - stop_started < 8s);
    CHECK(count("SELECT count(*) FROM nano.votes") == 0);
    // Every dead letter of the refused votes names the source, the chain, the constraint and the
    // statement that failed among the batch's merges, which are sent together in one round trip.
    CHECK(
        count("SELECT count(*) FROM ledgertap.rejected_messages WHERE reason = 'database_rejected' "
              "AND "
              "(source <> 'nano' OR chain IS DISTINCT FROM 'nano' OR detail NOT LIKE "
              "'%test_refuses_votes%' OR detail NOT LIKE '%merge into nano.votes%' "
              "OR payload = '')")
        == 0);
    // Everything else kept flowing: confirmations, elections, telemetry.
    CHECK(count("SELECT count(*) FROM nano.blocks WHERE confirmed_at IS NOT NULL") > 20);
    CHECK(count("SELECT count(*) FROM nano.elections") > 0);
}

} // namespace ledgertap::test
