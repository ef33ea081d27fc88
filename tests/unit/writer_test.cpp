#include "ingest/queue.hpp"
#include "ingest/writer.hpp"
#include "tests/support/fakes.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace std::chrono_literals;
using ledgertap::ingest::batch_limits;
using ledgertap::ingest::bounded_queue;
using ledgertap::ingest::queue_limits;
using ledgertap::ingest::row_group;
using ledgertap::ingest::write_status;
using ledgertap::ingest::writer;
using ledgertap::ingest::writer_options;

namespace {

row_group make_group(const std::string& origin, std::size_t payload = 10) {
    row_group g;
    g.origin = origin;
    g.rows.push_back({0, std::string(payload, 'x') + "\n"});
    return g;
}

writer_options fast_options() {
    writer_options o;
    o.limits.max_groups = 4;
    o.limits.max_age = 20ms;
    o.retry.initial = 1ms;
    o.retry.max = 5ms;
    o.shutdown_timeout = 2s;
    return o;
}

template<typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) {
            return true;
        }
        std::this_thread::sleep_for(2ms);
    }
    return pred();
}

} // namespace

TEST_CASE("backoff_delay grows exponentially to the cap, with full jitter") {
    ledgertap::ingest::retry_policy p{100ms, 1000ms};
    CHECK(ledgertap::ingest::backoff_delay(p, 1, 0.999).count() == 99);
    CHECK(ledgertap::ingest::backoff_delay(p, 3, 0.5).count() == 200);
    CHECK(ledgertap::ingest::backoff_delay(p, 30, 0.999).count() == 999);
    CHECK(ledgertap::ingest::backoff_delay(p, 30, 0.0).count() == 0);
}

TEST_CASE("bounded_queue signals pressure at the high-water mark and release at the low") {
    std::vector<bool> signals;
    bounded_queue q{queue_limits{100, 40}, [&](bool paused) { signals.push_back(paused); }};
    for (int i = 0; i < 3; ++i) {
        q.push(make_group("g", 20));
    }
    CHECK(q.paused());
    REQUIRE(signals == std::vector<bool>{true});
    std::vector<row_group> out;
    q.pop_some(out, 1, 1 << 20, std::chrono::steady_clock::now());
    CHECK(q.paused()); // still above the low-water mark
    q.pop_some(out, 10, 1 << 20, std::chrono::steady_clock::now());
    CHECK_FALSE(q.paused());
    CHECK(signals == std::vector<bool>{true, false});
    CHECK(q.bytes() == 0);
}

TEST_CASE("writer resends a batch after retry outcomes and commits each message once") {
    bounded_queue q;
    ledgertap::test::recording_sink s;
    s.script = {write_status::retry, write_status::retry};
    writer w{q, s, nullptr, fast_options()};
    std::thread t{[&] { w.run(); }};
    for (int i = 0; i < 3; ++i) {
        q.push(make_group("m" + std::to_string(i)));
    }
    REQUIRE(eventually([&] { return w.committed_groups() == 3; }));
    w.stop();
    t.join();
    CHECK(s.committed() == std::vector<std::string>{"m0", "m1", "m2"});
    CHECK(s.attempts() >= 3);
    CHECK(w.lost_groups() == 0);
}

TEST_CASE("writer isolates a rejected message and dead-letters only it") {
    bounded_queue q;
    ledgertap::test::recording_sink s;
    s.decide = [](std::span<const row_group> batch) {
        for (const auto& g : batch) {
            if (g.origin == "poison") {
                return write_status::reject;
            }
        }
        return write_status::ok;
    };
    std::vector<std::string> letters;
    auto dead = [&](const row_group& bad, const std::string& reason) {
        letters.push_back(bad.origin + ": " + reason);
        return make_group("dead-letter");
    };
    writer w{q, s, dead, fast_options()};
    for (const auto* name : {"a", "b", "poison", "c"}) {
        q.push(make_group(name));
    }
    std::thread t{[&] { w.run(); }};
    REQUIRE(eventually([&] { return w.rejected_groups() == 1 && w.committed_groups() == 4; }));
    w.stop();
    t.join();
    const auto committed = s.committed();
    CHECK(std::count(committed.begin(), committed.end(), "a") == 1);
    CHECK(std::count(committed.begin(), committed.end(), "b") == 1);
    CHECK(std::count(committed.begin(), committed.end(), "c") == 1);
    CHECK(std::count(committed.begin(), committed.end(), "poison") == 0);
    CHECK(std::count(committed.begin(), committed.end(), "dead-letter") == 1);
    CHECK(letters == std::vector<std::string>{"poison: scripted failure"});
}

TEST_CASE("writer keeps every accepted message of a mostly refused batch and stores its dead letters "
          "in one write") {
    bounded_queue q;
    ledgertap::test::recording_sink s;
    s.decide = [](std::span<const row_group> batch) {
        for (const auto& g : batch) {
            if (g.origin.starts_with("poison")) {
                return write_status::reject;
            }
        }
        return write_status::ok;
    };
    std::vector<std::string> letters;
    auto dead = [&](const row_group& bad, const std::string&) {
        letters.push_back(bad.origin);
        return make_group("dead-letter");
    };
    auto opts = fast_options();
    opts.limits.max_groups = 8;
    opts.limits.max_age = 10s; // one batch of exactly eight
    writer w{q, s, dead, opts};
    for (const auto* name : {"poison1", "a", "poison2", "poison3", "b", "poison4", "poison5", "poison6"}) {
        q.push(make_group(name));
    }
    std::thread t{[&] { w.run(); }};
    REQUIRE(eventually([&] { return w.rejected_groups() == 6; }));
    w.stop();
    t.join();
    CHECK(w.committed_groups() == 8);
    CHECK(w.lost_groups() == 0);
    CHECK(letters == std::vector<std::string>{"poison1", "poison2", "poison3", "poison4", "poison5", "poison6"});
    const auto batches = s.committed_batches();
    REQUIRE(!batches.empty());
    // The six dead letters were written together, after the accepted messages.
    CHECK(batches.back() == std::vector<std::string>(6, "dead-letter"));
    const auto committed = s.committed();
    CHECK(std::count(committed.begin(), committed.end(), "a") == 1);
    CHECK(std::count(committed.begin(), committed.end(), "b") == 1);
    CHECK(std::count(committed.begin(), committed.end(), "dead-letter") == 6);
}

TEST_CASE("writer stops isolating a refused batch at the shutdown timeout while the database is away") {
    bounded_queue q;
    ledgertap::test::recording_sink s;
    // The first write is refused; every write after it fails transiently, forever.
    s.script = {write_status::reject};
    s.decide = [](std::span<const row_group>) { return write_status::retry; };
    auto opts = fast_options();
    opts.shutdown_timeout = 100ms;
    writer w{q, s, [](const row_group&, const std::string&) { return make_group("dead-letter"); }, opts};
    for (int i = 0; i < 4; ++i) {
        q.push(make_group("m"));
    }
    std::thread t{[&] { w.run(); }};
    REQUIRE(eventually([&] { return s.attempts() > 3; }));
    w.stop();
    t.join();
    CHECK(w.lost_groups() == 4);
    CHECK(w.rejected_groups() == 0);
    CHECK(s.committed().empty());
}

TEST_CASE("writer drains and flushes everything queued when stopped") {
    bounded_queue q;
    ledgertap::test::recording_sink s;
    auto opts = fast_options();
    opts.limits.max_age = 10s; // only the stop can flush
    opts.limits.max_groups = 1000;
    writer w{q, s, nullptr, opts};
    for (int i = 0; i < 50; ++i) {
        q.push(make_group("m"));
    }
    std::thread t{[&] { w.run(); }};
    w.stop();
    t.join();
    CHECK(s.committed().size() == 50);
    CHECK(w.lost_groups() == 0);
}

TEST_CASE("writer gives up after the shutdown timeout when the database never returns") {
    bounded_queue q;
    ledgertap::test::recording_sink s;
    s.decide = [](std::span<const row_group>) { return write_status::retry; };
    auto opts = fast_options();
    opts.shutdown_timeout = 100ms;
    writer w{q, s, nullptr, opts};
    for (int i = 0; i < 6; ++i) {
        q.push(make_group("m"));
    }
    std::thread t{[&] { w.run(); }};
    REQUIRE(eventually([&] { return s.attempts() > 3; }));
    w.stop();
    t.join();
    CHECK(w.lost_groups() == 6);
    CHECK(s.committed().empty());
}
