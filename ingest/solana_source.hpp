#pragma once

#include "ingest/config.hpp"
#include "ingest/feed_client.hpp"
#include "ingest/metrics.hpp"
#include "ingest/pipeline_tables.hpp"
#include "ingest/queue.hpp"
#include "ingest/solana_tables.hpp"
#include "ingest/source_book.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ledgertap::ingest {

/// One subscription a Solana connection makes after every (re)connect.
struct solana_subscription {
    std::string method;     ///< e.g. "blockSubscribe"
    std::string params;     ///< JSON array text
    subscription_context context;
    [[nodiscard]] std::string kind() const; ///< method without "Subscribe"
};

/// Every subscription the configuration asks for, split into connections of at most
/// `max_subscriptions_per_connection` (node-progress and block/logs/vote subscriptions go on the
/// first). Each request stays under the server's 4 KiB frame limit.
[[nodiscard]] std::vector<std::vector<solana_subscription>> plan_solana_subscriptions(const solana_config& cfg);

/// A Solana RPC node's PubSub (JSON-RPC 2.0) on one feed connection: subscribes with tracked
/// request ids, maps subscription ids (u64, possibly above 2^53) back to their subscription,
/// ignores and counts notifications for unknown ids, logs a disabled method (-32601 for
/// blockSubscribe/voteSubscribe) once and carries on, surfaces every other error with its code and
/// message, keeps the connection alive with getVersion requests answered within a deadline, and
/// reconnects when slot traffic stalls. Bad frames are dead-lettered like the Nano source's.
///
/// Runs on the feed client's service thread only.
class solana_source final : public feed_handler {
public:
    solana_source(solana_config cfg, std::size_t shard, std::vector<solana_subscription> subs,
        solana_tables tables, pipeline_tables pipeline, bounded_queue& queue,
        metrics_registry& metrics = global_metrics());

    [[nodiscard]] feed_endpoint endpoint() const;
    void set_on_reconnect(std::function<void()> f) { on_reconnect_ = std::move(f); }

    void on_open(feed_connection& conn) override;
    void on_message(feed_connection& conn, std::string_view text) override;
    void on_bad_frame(feed_connection& conn, frame_problem problem, std::size_t size,
        std::string_view head) override;
    void on_close(feed_connection& conn, const close_info& info) override;
    void on_tick(feed_connection& conn, std::chrono::steady_clock::time_point now) override;

    /// Subscription ids currently active (for tests and status).
    [[nodiscard]] std::size_t active_subscriptions() const noexcept { return by_subscription_.size(); }

private:
    void push_rows(mapped_rows rows, const std::string& kind, std::string_view text);

    solana_config cfg_;
    std::size_t shard_;
    std::vector<solana_subscription> subs_;
    solana_tables tables_;
    bounded_queue& queue_;
    metrics_registry& metrics_;
    std::string name_;
    source_book book_;
    std::function<void()> on_reconnect_;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, std::size_t> pending_;          ///< request id -> subscription index
    std::map<std::uint64_t, std::size_t> by_subscription_;  ///< subscription id -> index
    std::optional<std::uint64_t> keepalive_id_;
    std::chrono::steady_clock::time_point keepalive_sent_{};
    std::chrono::steady_clock::time_point last_keepalive_{};
    std::chrono::steady_clock::time_point last_slot_traffic_{};
    std::set<std::string> reported_;
    /// Signature subscriptions that got their final notification: not sent again on reconnect.
    std::set<std::size_t> finished_;
    counter& m_unknown_subscription_;
};

} // namespace ledgertap::ingest
