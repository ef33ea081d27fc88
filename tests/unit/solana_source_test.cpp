// The Solana PubSub protocol of ingest/solana_source, driven on a feed connection without a socket:
// the subscription plan (4 KiB requests, split across connections), request ids tracked,
// subscription ids above 2^53 mapped exactly, unknown ids ignored and counted, -32601 for a
// disabled method logged once, every other error surfaced with its code and message, one-shot
// signature notifications, the getVersion keepalive, the slot stall timeout and the 64 MiB limit.

#include "ingest/config.hpp"
#include "ingest/feed_client.hpp"
#include "ingest/metrics.hpp"
#include "ingest/pipeline_tables.hpp"
#include "ingest/queue.hpp"
#include "ingest/rows.hpp"
#include "ingest/solana_source.hpp"
#include "ingest/solana_tables.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace ledgertap::ingest {
namespace {

using namespace std::chrono_literals;

/// Everything a solana_source needs, with its own metrics and queue.
struct rig {
    explicit rig(solana_config c, std::size_t shard = 0)
        : cfg(std::move(c)), pipeline(register_pipeline_tables(tables)), sol(register_solana_tables(tables)),
          source(cfg, shard, plan_solana_subscriptions(cfg).at(shard), sol, pipeline, queue, metrics) {}

    /// Groups queued so far whose origin is `origin`; drains the queue.
    std::size_t drain(const std::string& origin) {
        std::vector<row_group> out;
        while (queue.pop_some(out, 1000, std::size_t{1} << 30U, std::chrono::steady_clock::now()) > 0) {
        }
        std::size_t n = 0;
        for (const auto& g : out) {
            n += g.origin == origin ? 1 : 0;
        }
        return n;
    }
    [[nodiscard]] double unknown() const {
        return metrics.value_of("ledgertap_unknown_subscription_notifications_total", {{"source", cfg.name}});
    }

    solana_config cfg;
    table_set tables;
    pipeline_tables pipeline;
    solana_tables sol;
    bounded_queue queue;
    metrics_registry metrics;
    solana_source source;
};

/// request id -> method, for every subscribe request queued on `conn` (from index `from` on).
std::multimap<std::string, std::uint64_t> requests(const feed_connection& conn, std::size_t from = 0) {
    static const std::regex re{R"re(^\{"jsonrpc":"2\.0","id":([0-9]+),"method":"([A-Za-z]+)")re"};
    std::multimap<std::string, std::uint64_t> out;
    for (std::size_t i = from; i < conn.outbox().size(); ++i) {
        std::smatch m;
        const std::string& text = conn.outbox()[i];
        if (std::regex_search(text, m, re)) {
            out.emplace(m[2].str(), std::stoull(m[1].str()));
        }
    }
    return out;
}

std::uint64_t id_of(const std::multimap<std::string, std::uint64_t>& reqs, const std::string& method) {
    const auto it = reqs.find(method);
    REQUIRE(it != reqs.end());
    return it->second;
}

std::string subscribed(std::uint64_t request, std::uint64_t subscription) {
    return fmt::format(R"({{"jsonrpc":"2.0","result":{},"id":{}}})", subscription, request);
}

std::string error_reply(std::uint64_t request, int code, const std::string& message) {
    return fmt::format(R"({{"jsonrpc":"2.0","error":{{"code":{},"message":"{}"}},"id":{}}})", code, message, request);
}

std::string slot_notification(std::uint64_t subscription, std::uint64_t slot) {
    return fmt::format(
        R"({{"jsonrpc":"2.0","method":"slotNotification","params":{{"result":{{"slot":{},"parent":{},"root":{}}},"subscription":{}}}}})",
        slot, slot - 1, slot - 32, subscription);
}

/// Captures what spdlog writes while it lives.
class log_capture {
public:
    log_capture() : previous_(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    }
    ~log_capture() { spdlog::set_default_logger(previous_); }
    log_capture(const log_capture&) = delete;
    log_capture& operator=(const log_capture&) = delete;
    log_capture(log_capture&&) = delete;
    log_capture& operator=(log_capture&&) = delete;

    [[nodiscard]] std::size_t count(const std::string& needle) const {
        const std::string text = out_.str();
        std::size_t n = 0;
        for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
            ++n;
        }
        return n;
    }
    [[nodiscard]] std::string text() const { return out_.str(); }

private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> previous_;
};

solana_config base_config() {
    solana_config c;
    c.ws_url = "ws://127.0.0.1:8900";
    c.rpc_url = "http://127.0.0.1:8899";
    return c;
}

std::string pubkey_like(std::size_t i) {
    // 44 base58 characters, distinct per i.
    std::string s = fmt::format("{:0>44}", i);
    for (auto& ch : s) {
        ch = ch == '0' ? 'A' : ch;
    }
    return s;
}

} // namespace

TEST_CASE("solana subscriptions: every request stays under 4 KiB and long lists are split across connections",
    "[solana][source]") {
    auto cfg = base_config();
    for (std::size_t i = 0; i < 250; ++i) {
        cfg.accounts.push_back(pubkey_like(i));
    }
    for (std::size_t i = 0; i < 10; ++i) {
        cfg.programs.push_back(pubkey_like(1000 + i));
    }
    for (std::size_t i = 0; i < 5; ++i) {
        cfg.signatures.push_back(std::string(88, static_cast<char>('a' + i)));
    }
    cfg.max_subscriptions_per_connection = 100;
    const auto shards = plan_solana_subscriptions(cfg);
    REQUIRE(shards.size() == 3);
    CHECK(shards[0].size() == 100);
    CHECK(shards[1].size() == 100);
    CHECK(shards[2].size() == 6 + 250 + 10 + 5 - 200);
    // The node-progress, block, logs and vote subscriptions are on the first connection only.
    const std::vector<std::string> core{"slotSubscribe", "slotsUpdatesSubscribe", "rootSubscribe", "blockSubscribe",
        "logsSubscribe", "voteSubscribe"};
    for (std::size_t i = 0; i < core.size(); ++i) {
        CHECK(shards[0][i].method == core[i]);
    }
    for (std::size_t s = 1; s < shards.size(); ++s) {
        for (const auto& sub : shards[s]) {
            CHECK((sub.method == "accountSubscribe" || sub.method == "programSubscribe"
                   || sub.method == "signatureSubscribe"));
        }
    }
    // Every connection sends its subscriptions, each one request under 4 KiB with its own id.
    for (std::size_t s = 0; s < shards.size(); ++s) {
        rig r{cfg, s};
        feed_connection conn;
        r.source.on_open(conn);
        CHECK(conn.outbox().size() == shards[s].size());
        for (const auto& text : conn.outbox()) {
            CHECK(text.size() < 4096);
        }
        std::set<std::uint64_t> ids;
        for (const auto& [method, id] : requests(conn)) {
            ids.insert(id);
        }
        CHECK(ids.size() == shards[s].size());
        CHECK(r.source.endpoint().name == (s == 0 ? std::string{"solana"} : fmt::format("solana#{}", s)));
    }

    // A request the node would refuse (over 4 KiB) is not sent; the others are.
    auto big = base_config();
    big.accounts = {std::string(5000, 'A'), pubkey_like(1)};
    log_capture logs;
    rig r{big};
    feed_connection conn;
    r.source.on_open(conn);
    CHECK(conn.outbox().size() == 7);
    for (const auto& text : conn.outbox()) {
        CHECK(text.size() < 4096);
    }
    CHECK(logs.count("over the node's 4096-byte limit; skipped") == 1);
}

TEST_CASE("solana source: subscription ids above 2^53 map exactly and unknown ones are ignored and counted",
    "[solana][source]") {
    rig r{base_config()};
    feed_connection conn;
    r.source.on_open(conn);
    const auto reqs = requests(conn);
    // 2^53 + 1 is not representable as a double: read through one it would become 2^53.
    r.source.on_message(conn, subscribed(id_of(reqs, "slotSubscribe"), 9007199254740993ULL));
    r.source.on_message(conn, subscribed(id_of(reqs, "rootSubscribe"), 18446744073709551615ULL));
    CHECK(r.source.active_subscriptions() == 2);
    r.source.on_message(conn, slot_notification(9007199254740993ULL, 330000100));
    CHECK(r.drain("solana/slot") == 1);
    CHECK(r.unknown() == 0);
    r.source.on_message(conn, slot_notification(9007199254740992ULL, 330000101));
    CHECK(r.drain("solana/slot") == 0);
    CHECK(r.unknown() == 1);
    r.source.on_message(conn,
        R"({"jsonrpc":"2.0","method":"rootNotification","params":{"result":330000050,"subscription":18446744073709551615}})");
    CHECK(r.drain("solana/root") == 1);

    // Request ids are tracked: a reply to a request never sent maps nothing.
    r.source.on_message(conn, subscribed(987654321, 77));
    CHECK(r.source.active_subscriptions() == 2);
    r.source.on_message(conn, slot_notification(77, 330000102));
    CHECK(r.drain("solana/slot") == 0);
    CHECK(r.unknown() == 2);
    // A request id answers once: a second reply to it maps nothing either.
    r.source.on_message(conn, subscribed(id_of(reqs, "slotSubscribe"), 78));
    r.source.on_message(conn, slot_notification(78, 330000103));
    CHECK(r.drain("solana/slot") == 0);
    CHECK(r.unknown() == 3);

    // After a reconnect the old ids mean nothing.
    r.source.on_close(conn, close_info{1006, "", true});
    feed_connection again;
    r.source.on_open(again);
    CHECK(r.source.active_subscriptions() == 0);
    r.source.on_message(again, slot_notification(9007199254740993ULL, 330000104));
    CHECK(r.drain("solana/slot") == 0);
    CHECK(r.unknown() == 4);
}

TEST_CASE("solana source: -32601 for blockSubscribe and voteSubscribe is logged once, other errors with code and message",
    "[solana][source]") {
    log_capture logs;
    rig r{base_config()};
    for (int round = 0; round < 3; ++round) {
        feed_connection conn;
        r.source.on_open(conn);
        const auto reqs = requests(conn);
        CHECK(reqs.size() == 6); // both are asked for again on every connection
        r.source.on_message(conn, error_reply(id_of(reqs, "blockSubscribe"), -32601, "Method not found"));
        r.source.on_message(conn, error_reply(id_of(reqs, "voteSubscribe"), -32601, "Method not found"));
        r.source.on_message(conn, error_reply(id_of(reqs, "logsSubscribe"), -32602,
            "Invalid params: invalid type: boolean `true`, expected a string."));
        r.source.on_message(conn, subscribed(id_of(reqs, "slotSubscribe"), 5));
        r.source.on_message(conn, slot_notification(5, 330000000 + static_cast<std::uint64_t>(round)));
        CHECK(r.drain("solana/slot") == 1); // the rest carries on
        r.source.on_close(conn, close_info{1006, "", true});
    }
    INFO(logs.text());
    CHECK(logs.count("blockSubscribe is disabled on this node (-32601 Method not found)") == 1);
    CHECK(logs.count("voteSubscribe is disabled on this node (-32601 Method not found)") == 1);
    CHECK(logs.count(
              "logsSubscribe failed: JSON-RPC error -32602 Invalid params: invalid type: boolean `true`, expected a string.")
          == 3);
    CHECK(r.metrics.value_of("ledgertap_rpc_errors_total", {{"source", "solana"}, {"code", "-32602"}}) == 3);

    // -32601 for any other request is an error like the others, not a disabled method.
    feed_connection conn;
    r.source.on_open(conn);
    const auto reqs = requests(conn);
    r.source.on_message(conn, error_reply(id_of(reqs, "slotsUpdatesSubscribe"), -32601, "Method not found"));
    CHECK(logs.count("slotsUpdatesSubscribe failed: JSON-RPC error -32601 Method not found") == 1);
    // An error with data, and one for no request we know of, are surfaced too.
    r.source.on_message(conn,
        R"({"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error","data":"boom"},"id":424242})");
    CHECK(logs.count("request failed: JSON-RPC error -32603 Internal error") == 1);
}

TEST_CASE("solana source: a signature notification is final and the signature is not subscribed again",
    "[solana][source]") {
    auto cfg = base_config();
    const std::string sig(88, 'z');
    cfg.signatures = {sig};
    rig r{cfg};
    feed_connection conn;
    r.source.on_open(conn);
    auto reqs = requests(conn);
    REQUIRE(reqs.count("signatureSubscribe") == 1);
    r.source.on_message(conn, subscribed(id_of(reqs, "signatureSubscribe"), 9007199254740995ULL));
    const auto note = [](const std::string& value) {
        return fmt::format(
            R"({{"jsonrpc":"2.0","method":"signatureNotification","params":{{"result":{{"context":{{"slot":330000200}},"value":{}}},"subscription":9007199254740995}}}})",
            value);
    };
    r.source.on_message(conn, note(R"("receivedSignature")"));
    CHECK(r.drain("solana/signature") == 1);
    CHECK(r.source.active_subscriptions() == 1); // "received" is not final
    r.source.on_message(conn, note(R"({"err":{"InstructionError":[0,{"Custom":1}]}})"));
    CHECK(r.drain("solana/signature") == 1);
    CHECK(r.source.active_subscriptions() == 0);
    // The node removed the subscription: anything more under that id is not ours.
    r.source.on_message(conn, note(R"({"err":null})"));
    CHECK(r.drain("solana/signature") == 0);
    CHECK(r.unknown() == 1);
    // A reconnect resubscribes everything but the signature already notified.
    r.source.on_close(conn, close_info{1006, "", true});
    feed_connection again;
    r.source.on_open(again);
    reqs = requests(again);
    CHECK(reqs.size() == 6);
    CHECK(reqs.count("signatureSubscribe") == 0);
}

TEST_CASE("solana source: an unanswered getVersion keepalive reconnects, an answered one does not",
    "[solana][source]") {
    auto cfg = base_config();
    cfg.keepalive_interval = 15s;
    cfg.stall_timeout = 0s; // this case is about the keepalive alone
    rig r{cfg};
    const auto t0 = std::chrono::steady_clock::now();
    feed_connection conn;
    r.source.on_open(conn);
    const std::size_t subs = conn.outbox().size();
    r.source.on_tick(conn, t0 + 5s);
    CHECK(conn.outbox().size() == subs); // not due yet
    r.source.on_tick(conn, t0 + 16s);
    REQUIRE(conn.outbox().size() == subs + 1);
    const auto ask = requests(conn, subs);
    const auto id = id_of(ask, "getVersion");
    CHECK(conn.outbox().back() == fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"getVersion"}})", id));
    // Answered: the connection is alive, and the next keepalive goes out an interval later.
    r.source.on_message(conn,
        fmt::format(R"({{"jsonrpc":"2.0","result":{{"feature-set":3294202862,"solana-core":"2.2.0"}},"id":{}}})", id));
    r.source.on_tick(conn, t0 + 32s);
    CHECK_FALSE(conn.close_requested());
    REQUIRE(conn.outbox().size() == subs + 2);
    // Unanswered, and nothing else arrived since it was sent: reconnect.
    r.source.on_tick(conn, t0 + 48s);
    CHECK(conn.close_requested());
    CHECK(conn.close_reason() == "keepalive timeout");
}

TEST_CASE("solana source: no slot traffic for the stall timeout reconnects the first connection",
    "[solana][source]") {
    auto cfg = base_config();
    cfg.keepalive_interval = 3600s;
    cfg.stall_timeout = 30s;
    cfg.accounts = {pubkey_like(1)};
    cfg.max_subscriptions_per_connection = 6; // the account goes on a second connection
    const auto t0 = std::chrono::steady_clock::now();
    rig first{cfg, 0};
    feed_connection a;
    first.source.on_open(a);
    first.source.on_tick(a, t0 + 20s);
    CHECK_FALSE(a.close_requested());
    first.source.on_tick(a, t0 + 31s);
    CHECK(a.close_requested());
    CHECK(a.close_reason() == "slot traffic stalled");
    // The second connection carries no slot subscription: silence there is normal.
    rig second{cfg, 1};
    feed_connection b;
    second.source.on_open(b);
    second.source.on_tick(b, t0 + 31s);
    CHECK_FALSE(b.close_requested());
}

TEST_CASE("solana source: messages up to 64 MiB are accepted by default, and the limit is configurable",
    "[solana][source]") {
    const solana_config defaults;
    CHECK(defaults.max_message_bytes == std::size_t{64} << 20U);
    rig r{base_config()};
    CHECK(r.source.endpoint().max_message_bytes == std::size_t{64} << 20U);
    config c;
    apply_toml(c, "[solana]\nws_url = \"ws://127.0.0.1:8900\"\nmax_message_bytes = 1048576\n", "test");
    rig small{c.solana};
    CHECK(small.source.endpoint().max_message_bytes == std::size_t{1} << 20U);
}

} // namespace ledgertap::ingest
