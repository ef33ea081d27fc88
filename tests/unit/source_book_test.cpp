// The dead-letter cap: a source that refuses a flood of messages counts every one, stores at most
// max_dead_letters_per_second of them (a second's worth at once), and shares the budget across the
// books (shards) of one source.

#include "ingest/pipeline_tables.hpp"
#include "ingest/queue.hpp"
#include "ingest/rows.hpp"
#include "ingest/source_book.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace std::chrono_literals;
using ledgertap::ingest::bounded_queue;
using ledgertap::ingest::metrics_registry;
using ledgertap::ingest::register_pipeline_tables;
using ledgertap::ingest::row_group;
using ledgertap::ingest::source_book;
using ledgertap::ingest::source_identity;
using ledgertap::ingest::table_set;

namespace {

source_identity identity(const std::string& name, const std::string& connection, std::size_t cap) {
    source_identity id;
    id.name = name;
    id.connection_name = connection;
    id.chain = "nano";
    id.max_message_bytes = 1024;
    id.limit_key = "nano.max_message_bytes";
    id.max_dead_letters_per_second = cap;
    id.dead_letter_key = "nano.max_dead_letters_per_second";
    return id;
}

std::size_t drain(bounded_queue& q) {
    std::vector<row_group> out;
    q.pop_some(out, 1000000, std::size_t{1} << 30U, std::chrono::steady_clock::now());
    return out.size();
}

} // namespace

TEST_CASE("source_book stores dead letters up to the per-second cap and counts every refusal") {
    table_set tables;
    const auto pt = register_pipeline_tables(tables);
    bounded_queue q;
    metrics_registry metrics;
    source_book book{identity("cap_a", "cap_a", 5), pt, q, metrics};
    for (int i = 0; i < 40; ++i) {
        book.reject("malformed_json", "bad", "{", 1);
    }
    // A burst of one second's worth is stored; the rest is counted only.
    CHECK(drain(q) == 5);
    CHECK(metrics.value_of("ledgertap_rejected_messages_total", {{"source", "cap_a"}}) == 40);
    CHECK(metrics.value_of("ledgertap_dead_letters_unstored_total", {{"source", "cap_a"}}) == 35);
    // The bucket refills at the configured rate: after well over a second, a full burst again
    // (and never more than one).
    std::this_thread::sleep_for(1500ms);
    for (int i = 0; i < 40; ++i) {
        book.reject("malformed_json", "bad", "{", 1);
    }
    CHECK(drain(q) == 5);
    CHECK(metrics.value_of("ledgertap_dead_letters_unstored_total", {{"source", "cap_a"}}) == 70);
}

TEST_CASE("source_book shares the dead-letter cap across the connections of one source") {
    table_set tables;
    const auto pt = register_pipeline_tables(tables);
    bounded_queue q;
    metrics_registry metrics;
    source_book one{identity("cap_b", "cap_b", 10), pt, q, metrics};
    source_book two{identity("cap_b", "cap_b#1", 10), pt, q, metrics};
    for (int i = 0; i < 20; ++i) {
        one.reject("malformed_json", "bad", "{", 1);
        two.reject("malformed_json", "bad", "{", 1);
    }
    CHECK(drain(q) == 10);
    CHECK(metrics.value_of("ledgertap_rejected_messages_total", {{"source", "cap_b"}}) == 40);
    CHECK(metrics.value_of("ledgertap_dead_letters_unstored_total", {{"source", "cap_b"}}) == 30);
}

TEST_CASE("source_book without a cap stores every dead letter") {
    table_set tables;
    const auto pt = register_pipeline_tables(tables);
    bounded_queue q;
    metrics_registry metrics;
    source_book book{identity("cap_c", "cap_c", 0), pt, q, metrics};
    for (int i = 0; i < 300; ++i) {
        book.reject("malformed_json", "bad", "{", 1);
    }
    CHECK(drain(q) == 300);
    CHECK(metrics.value_of("ledgertap_dead_letters_unstored_total", {{"source", "cap_c"}}) <= 0);
}
