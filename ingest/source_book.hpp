#pragma once

#include "ingest/feed_client.hpp"
#include "ingest/metrics.hpp"
#include "ingest/pipeline_tables.hpp"
#include "ingest/queue.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace ledgertap::ingest {

/// Who a source is, for its rows, logs and metrics.
struct source_identity {
    std::string name;            ///< Source name (`nano`, `solana`): tables and metrics.
    std::string connection_name; ///< Per connection (`solana#1` for a second shard).
    std::string chain;           ///< `nano` or `solana`.
    std::string ws_url;
    std::string rpc_url;
    std::size_t max_message_bytes = 0;
    std::string limit_key; ///< The config key of max_message_bytes, named in dead letters.
    /// Dead letters stored per second over every book of the source (0: no cap); more are counted.
    std::size_t max_dead_letters_per_second = 0;
    std::string dead_letter_key; ///< Its config key, named in the warning.
};

/// `ledgertap_text_replaced_total{source}`: free-text fields (Solana log lines, error JSON, parsed
/// account data, slot errors) stored with NUL bytes or invalid UTF-8 replaced by U+FFFD.
[[nodiscard]] counter& text_replaced_counter(metrics_registry& metrics, const std::string& source);

/// The chain-neutral bookkeeping every source does on top of its protocol: ledgertap.connections
/// and ledgertap.sources rows, message counters per topic, dead letters (counted per reason and
/// logged once per kind), liveness gauges. Runs on the feed client's service thread, like the
/// source that owns it.
///
/// Every book of one source name (the shards of a Solana source) shares one tally, because they
/// share one ledgertap.sources row: `connected` while any of them is open, `messages_received`
/// over all of them since the process started, `last_connected_at` the latest open of any. The
/// source row is written when a connection opens or closes and, while messages arrive, once a
/// second.
class source_book {
public:
    source_book(source_identity id, pipeline_tables tables, bounded_queue& queue,
        metrics_registry& metrics = global_metrics());

    /// A connection opened; returns true when it follows an earlier one (a reconnect).
    bool opened(const feed_connection& conn);
    void closed(const feed_connection& conn, const close_info& info);
    /// A message arrived (call before decoding).
    void received(const feed_connection& conn);
    void count(const std::string& topic);
    /// Dead-letters a message: counted, logged once per reason, stored in rejected_messages while
    /// the source is within max_dead_letters_per_second (otherwise counted as unstored).
    void reject(std::string_view reason, std::string_view detail, std::string_view payload, std::size_t size);
    void bad_frame(const feed_connection& conn, frame_problem problem, std::size_t size, std::string_view head);
    /// A stored message had `fields` free-text fields with NUL or invalid UTF-8 replaced by U+FFFD
    /// (mapped_rows::replaced): counted, logged once.
    void replaced_text(std::size_t fields, std::string_view what);
    /// Once a second: liveness gauge, and the source/connection rows when messages arrived.
    void tick(const feed_connection& conn);

    [[nodiscard]] const source_identity& id() const noexcept { return id_; }
    [[nodiscard]] std::uint64_t last_message_ms() const noexcept { return last_message_ms_; }

private:
    struct tally;
    /// The tally of `name`, shared by every live book of that source; a fresh one once none is left.
    static std::shared_ptr<tally> tally_for(const std::string& name);
    void push_source_row(row_group& g);
    /// Takes a token of the source's dead-letter bucket; false when over the rate.
    bool admit_dead_letter();
    /// Logs the unstored count, at most every 10 s (from reject(), and from tick() to flush).
    void warn_unstored();

    source_identity id_;
    std::shared_ptr<tally> tally_;
    pipeline_tables tables_;
    bounded_queue& queue_;
    metrics_registry& metrics_;
    std::uint64_t connects_ = 0;
    connection_record current_;
    std::uint64_t last_message_ms_ = 0;
    std::uint64_t reported_message_ms_ = 0;
    std::set<std::string> reported_;
    std::map<std::string, counter*> topic_counters_;
    counter& m_rejected_;
    counter& m_unstored_;
    counter& m_replaced_;
    counter& m_reconnects_;
    counter& m_connect_failures_;
    gauge& m_connected_;
    gauge& m_last_message_;
};

} // namespace ledgertap::ingest
