#pragma once

#include "ingest/config.hpp"
#include "ingest/feed_client.hpp"
#include "ingest/metrics.hpp"
#include "ingest/nano_tables.hpp"
#include "ingest/pipeline_tables.hpp"
#include "ingest/queue.hpp"
#include "ingest/source_book.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>

namespace ledgertap::ingest {

/// The Nano node's WebSocket protocol on top of a feed connection: subscribes to every topic with
/// acks and ids, keeps the connection alive with `ping` actions, decodes every message
/// (schema/nano.hpp), maps it to rows and queues them for the writer. Malformed, binary and
/// oversized frames, unknown topics and values PostgreSQL cannot hold are counted, logged once per
/// kind and dead-lettered to ledgertap.rejected_messages; the connection and every other message
/// carry on. Every connection is recorded in ledgertap.connections.
///
/// Runs on the feed client's service thread only (all feed_handler calls); `on_reconnect` is
/// called there too, after a connection following an earlier one has been established.
class nano_source final : public feed_handler {
public:
    nano_source(nano_config cfg, nano_tables tables, pipeline_tables pipeline, bounded_queue& queue,
        metrics_registry& metrics = global_metrics());

    /// The endpoint to register with the feed client.
    [[nodiscard]] feed_endpoint endpoint() const;

    /// Called after every reconnect (not the first connect), e.g. to wake the gap detector.
    void set_on_reconnect(std::function<void()> f) { on_reconnect_ = std::move(f); }

    void on_open(feed_connection& conn) override;
    void on_message(feed_connection& conn, std::string_view text) override;
    void on_bad_frame(feed_connection& conn, frame_problem problem, std::size_t size,
        std::string_view head) override;
    void on_close(feed_connection& conn, const close_info& info) override;
    void on_tick(feed_connection& conn, std::chrono::steady_clock::time_point now) override;

    /// The subscribe actions sent on every (re)connect, in order.
    [[nodiscard]] std::vector<std::string> subscribe_messages(std::uint64_t attempt) const;

private:
    nano_config cfg_;
    nano_tables tables_;
    bounded_queue& queue_;
    source_book book_;
    std::function<void()> on_reconnect_;
    // Ack bookkeeping for the current connection: topic -> sent time; removed when acked.
    std::map<std::string, std::chrono::steady_clock::time_point> awaiting_ack_;
    std::set<std::string> reported_unsupported_;
    std::chrono::steady_clock::time_point last_ping_{};
    std::optional<std::chrono::steady_clock::time_point> ping_outstanding_since_;
    std::uint64_t pings_ = 0;
};

} // namespace ledgertap::ingest
