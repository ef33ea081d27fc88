// Nano gap detection as the writer runs it (register_nano_tables + add_nano_gap_detection, through
// pg_sink into a migrated database): after a batch's blocks are merged, a confirmed block of a
// known account whose previous block is stored neither in nano.blocks nor in the same batch opens
// one ledgertap.gaps row spanning the missing heights. A previous block staged alongside in the
// same batch (a chain confirmed in a burst) or stored by an earlier batch opens none.

#include "ingest/gap_tables.hpp"
#include "ingest/nano_tables.hpp"
#include "ingest/pg_sink.hpp"
#include "tests/support/pg.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace ledgertap::test {
namespace {

namespace nano = schema::nano;

const std::string account = "nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3";
const std::string zeros(64, '0');

/// Block `height` of the test chain: hash H<height>, previous H<height-1> (zeros for the open).
std::string hash_at(std::uint64_t height) { return fmt::format("{:064X}", 0xB10C0000ULL + height); }

struct chain_writer {
    scratch_database db;
    ingest::table_set tables;
    ingest::nano_tables t = ingest::register_nano_tables(tables);
    std::deque<nano::block> blocks; // stable addresses for nano_block_facts
    std::unique_ptr<ingest::pg_sink> sink;

    explicit chain_writer(std::string_view label) : db{label} {
        db.migrate();
        (void)ingest::register_gap_tables(tables);
        ingest::add_nano_gap_detection(tables, t, false);
        sink = std::make_unique<ingest::pg_sink>(db.conninfo(), tables);
    }

    ingest::row_group confirmed(std::uint64_t height, std::string_view source = "nano-test") {
        auto& b = blocks.emplace_back();
        b.type = nano::block_type::state;
        b.hash = hash_at(height);
        b.account = account;
        b.previous = height == 1 ? zeros : hash_at(height - 1);
        b.representative = account;
        b.balance = 1000 - height;
        b.link = zeros;
        b.signature = std::string(128, 'A');
        b.work = "0123456789abcdef";
        b.subtype = height == 1 ? nano::block_subtype::receive : nano::block_subtype::send;
        ingest::nano_block_facts f;
        f.block = &b;
        f.hash = b.hash;
        f.account = account;
        f.height = height;
        f.confirmed_ms = 1700000000000 + height;
        f.received_ms = 1700000000000 + height;
        f.confirmation_type = "active_quorum";
        auto mapped = ingest::map_nano_block(t, f, source);
        REQUIRE(mapped.error.empty());
        ingest::row_group g;
        g.origin = "nano/confirmation";
        g.rows = std::move(mapped.rows);
        return g;
    }

    void write(std::initializer_list<std::uint64_t> heights, std::string_view source = "nano-test") {
        std::vector<ingest::row_group> batch;
        for (const auto h : heights) {
            batch.push_back(confirmed(h, source));
        }
        const auto r = sink->write(batch);
        INFO(r.detail);
        REQUIRE(r.status == ingest::write_status::ok);
    }

    /// "first-last" of every Nano chain gap, in order.
    std::string gaps() const {
        return query_scalar(db.conninfo(),
            "SELECT coalesce(string_agg(first_slot || '-' || last_slot, ',' ORDER BY first_slot), '') "
            "FROM ledgertap.gaps WHERE kind = 'nano_account_chain'")
            .value_or("NULL");
    }
};

TEST_CASE("nano gap detection: a previous block stored before or staged in the same batch opens no "
          "gap, a missing one opens exactly one per hole",
    "[integration][nano][gaps]") {
    chain_writer w{"nano_gap_detection"};

    // The open and a chain confirmed in one burst, each block's previous staged alongside it.
    w.write({1, 2, 3, 4});
    CHECK(w.gaps() == "");
    // The next block, its previous stored by the batch before.
    w.write({5});
    CHECK(w.gaps() == "");
    // A burst with a hole inside it: 7 and 8 are chained to each other, 7's previous (6) is
    // nowhere; 11's previous (10) and 10's (9) are missing too, so 9-10 is one hole.
    w.write({7, 8, 11});
    CHECK(w.gaps() == "6-6,9-10");
    // The missing blocks arrive: nothing new opens, the same holes are not reported twice.
    w.write({6, 9, 10, 12});
    CHECK(w.gaps() == "6-6,9-10");
    // One block staged twice in a batch, as two nodes both confirmed it: one hole, one row, from
    // one of the two sources (gaps are keyed by source, so each copy must not open its own).
    std::vector<ingest::row_group> twice{w.confirmed(14, "node-a"), w.confirmed(14, "node-b")};
    REQUIRE(w.sink->write(twice).status == ingest::write_status::ok);
    CHECK(w.gaps() == "6-6,9-10,13-13");
    CHECK(query_scalar(w.db.conninfo(), "SELECT count(*) FROM ledgertap.gaps WHERE first_slot = 13") == "1");
}

} // namespace
} // namespace ledgertap::test
