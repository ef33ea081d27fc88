// Votes and the hashes they cover, and a block's election votes, written by the real writer tables (register_nano_tables) through
// pg_sink into a migrated database: nano.vote_blocks names each vote by nano.votes.id and is
// written in the statement that stores the vote, only when the vote is new
// (migrations/0012_vote_ids.sql). A re-broadcast vote — in the same batch, in a later one, or in a
// batch resent after an unknown COMMIT outcome — adds nothing, and the first receipt is kept.
// The staged order is the order of the batch's groups, as the writer stages them.

#include "ingest/copy_row.hpp"
#include "ingest/nano_tables.hpp"
#include "ingest/pg_sink.hpp"
#include "tests/support/pg.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace ledgertap::test {
namespace {

namespace nano = schema::nano;

const std::string rep_a = "nano_1111111111111111111111111111111111111111111111111111hifc8npp";
const std::string rep_b = "nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3";

std::string hash_of(char c) { return std::string(64, c); }

nano::vote make_vote(const std::string& rep, char sig, std::vector<std::string> hashes,
    nano::vote_type type = nano::vote_type::vote) {
    nano::vote v;
    v.time_ms = 1700000000000;
    v.account = rep;
    v.signature = std::string(128, sig);
    v.timestamp = 1700000000000;
    v.duration = 9;
    v.blocks = std::move(hashes);
    v.type = type;
    return v;
}

ingest::row_group group_of(const ingest::nano_tables& t, const nano::vote& v, std::uint64_t received_ms) {
    auto mapped = ingest::map_nano_message(t, nano::ws_message{v}, "nano-test", received_ms);
    REQUIRE(mapped.error.empty());
    ingest::row_group g;
    g.origin = "nano/vote";
    g.rows = std::move(mapped.rows);
    return g;
}

/// "signature-letter:hash-letter" for every nano.vote_blocks row, joined to its vote by id.
std::string vote_blocks(const scratch_database& db) {
    return query_scalar(db.conninfo(),
        "SELECT coalesce(string_agg(left(v.signature, 1) || ':' || left(vb.hash, 1), ',' "
        "ORDER BY v.signature, vb.hash), '') "
        "FROM nano.vote_blocks AS vb JOIN nano.votes AS v ON v.id = vb.vote_id")
        .value_or("NULL");
}

/// A migrated database and a pg_sink with the writer's Nano tables.
struct nano_writer {
    scratch_database db;
    ingest::table_set tables;
    ingest::nano_tables t = ingest::register_nano_tables(tables);
    ingest::pg_sink sink{db.conninfo(), tables};

    explicit nano_writer(std::string_view label) : db{label} { db.migrate(); }
};

TEST_CASE("nano votes: each vote's hashes are stored once, by vote id, whatever is re-sent",
    "[integration][nano]") {
    nano_writer w{"nano_votes"};
    auto& [db, tables, t, sink] = w;

    // One batch: vote A and its replay (the same signed vote) received in the same millisecond,
    // the replay staged first; vote B sharing block 2 with A; B's replay a millisecond earlier.
    std::vector<ingest::row_group> first{
        group_of(t, make_vote(rep_a, 'A', {hash_of('1'), hash_of('2')}, nano::vote_type::replay), 1700000000100),
        group_of(t, make_vote(rep_a, 'A', {hash_of('1'), hash_of('2')}), 1700000000100),
        group_of(t, make_vote(rep_b, 'B', {hash_of('2'), hash_of('3')}), 1700000000300),
        group_of(t, make_vote(rep_b, 'B', {hash_of('2'), hash_of('3')}, nano::vote_type::replay), 1700000000299),
    };
    REQUIRE(sink.write(first).status == ingest::write_status::ok);
    CHECK(vote_blocks(db) == "A:1,A:2,B:2,B:3");
    CHECK(query_scalar(db.conninfo(), "SELECT count(*) FROM nano.votes") == "2");

    // A later batch: A re-broadcast once more, and a new vote C. Then the same batch again, as the
    // writer resends it when a COMMIT's outcome is unknown.
    std::vector<ingest::row_group> second{
        group_of(t, make_vote(rep_a, 'A', {hash_of('1'), hash_of('2')}, nano::vote_type::replay), 1700000001000),
        group_of(t, make_vote(rep_b, 'C', {hash_of('1')}), 1700000001100),
    };
    REQUIRE(sink.write(second).status == ingest::write_status::ok);
    REQUIRE(sink.write(second).status == ingest::write_status::ok);
    CHECK(vote_blocks(db) == "A:1,A:2,B:2,B:3,C:1");
    CHECK(query_scalar(db.conninfo(), "SELECT count(*) FROM nano.votes") == "3");
    CHECK(query_scalar(db.conninfo(), "SELECT count(*) FROM nano.vote_blocks") == "5");
    // The first receipt is the one kept; of two in one millisecond, the vote before its replay.
    CHECK(query_scalar(db.conninfo(),
              "SELECT string_agg(left(signature, 1) || ' ' || type || ' ' || "
              "(extract(epoch FROM received_at) * 1000)::bigint, ', ' ORDER BY signature) FROM nano.votes")
        == "A vote 1700000000100, B replay 1700000000299, C vote 1700000001100");
    // The votes of block 1, as `ledgertap-query block` finds them: through (hash, vote_id).
    CHECK(query_scalar(db.conninfo(),
              "SELECT string_agg(left(v.signature, 1), ',' ORDER BY v.signature) FROM nano.vote_blocks AS vb "
              "JOIN nano.votes AS v ON v.id = vb.vote_id WHERE vb.hash = '" + hash_of('1') + "'")
        == "A,C");
}

/// One nano.election_votes row as map_nano_block stages it: hash, representative, timestamp,
/// weight, source, received_at.
ingest::row_group election_vote(const ingest::nano_tables& t, const std::string& rep, std::uint64_t timestamp,
    std::uint64_t received_ms) {
    ingest::copy_row r;
    r.text(hash_of('E')).text(rep).u64(timestamp).u128(schema::u128{1000}).text("nano-test").timestamp_ms(received_ms);
    ingest::row_group g;
    g.origin = "nano/confirmation";
    g.rows.push_back({t.election_votes, r.finish()});
    return g;
}

TEST_CASE("nano election votes: the vote with the greater timestamp wins, within a batch and across",
    "[integration][nano]") {
    nano_writer w{"nano_election_votes"};
    auto& [db, tables, t, sink] = w;
    constexpr std::uint64_t final_vote = 18446744073709551615ULL;
    const auto stored = [&] {
        return query_scalar(db.conninfo(),
            "SELECT string_agg(right(representative, 4) || ' ' || timestamp, ', ' ORDER BY representative) "
            "FROM nano.election_votes")
            .value_or("NULL");
    };

    // A's two copies in one batch (the later timestamp staged first); B once.
    std::vector<ingest::row_group> first{election_vote(t, rep_a, 2000, 1), election_vote(t, rep_a, 1000, 2),
        election_vote(t, rep_b, 1000, 3)};
    REQUIRE(sink.write(first).status == ingest::write_status::ok);
    CHECK(stored() == "8npp 2000, ohr3 1000");
    // Later batches: A's final vote replaces it; an older vote of B changes nothing.
    std::vector<ingest::row_group> second{election_vote(t, rep_a, final_vote, 4), election_vote(t, rep_b, 500, 5)};
    REQUIRE(sink.write(second).status == ingest::write_status::ok);
    std::vector<ingest::row_group> third{election_vote(t, rep_a, 3000, 6)};
    REQUIRE(sink.write(third).status == ingest::write_status::ok);
    CHECK(stored() == "8npp 18446744073709551615, ohr3 1000");
}

} // namespace
} // namespace ledgertap::test
