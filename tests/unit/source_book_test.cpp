// The dead-letter cap: a source that refuses a flood of messages counts every one, stores at most
// max_dead_letters_per_second of them (a second's worth at once), and shares the budget across the
// books (shards) of one source. Free-text replacements are counted per source.

#include "ingest/pipeline_tables.hpp"
#include "ingest/queue.hpp"
#include "ingest/rows.hpp"
#include "ingest/source_book.hpp"

#include <catch2/catch.hpp>

#include <memory>
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

/// The tables, queue and metrics a book writes to, and the books under test.
struct rig {
    table_set tables;
    ledgertap::ingest::pipeline_tables pt = register_pipeline_tables(tables);
    bounded_queue q;
    metrics_registry metrics;

    std::unique_ptr<source_book> book(const std::string& name, const std::string& connection, std::size_t cap) {
        return std::make_unique<source_book>(identity(name, connection, cap), pt, q, metrics);
    }
    /// Groups queued (dead letters), taken off the queue.
    std::size_t drain() {
        std::vector<row_group> out;
        q.pop_some(out, 1000000, std::size_t{1} << 30U, std::chrono::steady_clock::now());
        return out.size();
    }
    double metric(const std::string& name, const std::string& source) const {
        return metrics.value_of(name, {{"source", source}});
    }
};

} // namespace

TEST_CASE("source_book stores dead letters up to the per-second cap and counts every refusal") {
    rig r;
    auto book = r.book("cap_a", "cap_a", 5);
    for (int i = 0; i < 40; ++i) {
        book->reject("malformed_json", "bad", "{", 1);
    }
    // A burst of one second's worth is stored; the rest is counted only.
    CHECK(r.drain() == 5);
    CHECK(r.metric("ledgertap_rejected_messages_total", "cap_a") == 40);
    CHECK(r.metric("ledgertap_dead_letters_unstored_total", "cap_a") == 35);
    // The bucket refills at the configured rate: after well over a second, a full burst again
    // (and never more than one).
    std::this_thread::sleep_for(1500ms);
    for (int i = 0; i < 40; ++i) {
        book->reject("malformed_json", "bad", "{", 1);
    }
    CHECK(r.drain() == 5);
    CHECK(r.metric("ledgertap_dead_letters_unstored_total", "cap_a") == 70);
}

TEST_CASE("source_book shares the dead-letter cap across the connections of one source") {
    rig r;
    auto one = r.book("cap_b", "cap_b", 10);
    auto two = r.book("cap_b", "cap_b#1", 10);
    for (int i = 0; i < 20; ++i) {
        one->reject("malformed_json", "bad", "{", 1);
        two->reject("malformed_json", "bad", "{", 1);
    }
    CHECK(r.drain() == 10);
    CHECK(r.metric("ledgertap_rejected_messages_total", "cap_b") == 40);
    CHECK(r.metric("ledgertap_dead_letters_unstored_total", "cap_b") == 30);
}

TEST_CASE("source_book without a cap stores every dead letter") {
    rig r;
    auto book = r.book("cap_c", "cap_c", 0);
    for (int i = 0; i < 300; ++i) {
        book->reject("malformed_json", "bad", "{", 1);
    }
    CHECK(r.drain() == 300);
    CHECK(r.metric("ledgertap_dead_letters_unstored_total", "cap_c") <= 0);
}

TEST_CASE("source_book counts free-text fields stored with replacements, per source, and queues nothing") {
    rig r;
    auto one = r.book("txt", "txt", 10);
    auto two = r.book("txt", "txt#1", 10);
    one->replaced_text(0, "block");
    CHECK(r.metric("ledgertap_text_replaced_total", "txt") == 0);
    one->replaced_text(3, "block");
    two->replaced_text(2, "logs");
    one->replaced_text(1, "logs");
    CHECK(r.metric("ledgertap_text_replaced_total", "txt") == 6);
    CHECK(r.drain() == 0); // the message itself is stored; nothing is a dead letter
    CHECK(r.metric("ledgertap_rejected_messages_total", "txt") <= 0);
}
