#include "ingest/source_book.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>

namespace ledgertap::ingest {

/// What every connection of one source adds up to. Touched on the feed client's service thread
/// only (all books live there); the registry that hands it out is locked.
struct source_book::tally {
    std::uint64_t open = 0; ///< Connections currently open.
    std::uint64_t messages = 0;
    std::optional<std::uint64_t> last_connected_ms;
    std::uint64_t last_message_ms = 0;
    std::uint64_t seq = 0;
    // The dead-letter token bucket (max_dead_letters_per_second, burst one second's worth).
    double dead_letter_tokens = -1; ///< < 0: not started (starts full).
    std::chrono::steady_clock::time_point dead_letter_refilled{};
    std::uint64_t unstored = 0; ///< Dead letters not stored since the last warning.
    std::chrono::steady_clock::time_point unstored_warned{};
};

std::shared_ptr<source_book::tally> source_book::tally_for(const std::string& name) {
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<source_book::tally>> tallies;
    const std::lock_guard lock{mutex};
    auto& slot = tallies[name];
    auto t = slot.lock();
    if (!t) {
        t = std::make_shared<source_book::tally>();
        slot = t;
    }
    return t;
}

counter& text_replaced_counter(metrics_registry& metrics, const std::string& source) {
    return metrics.get_counter("ledgertap_text_replaced_total", {{"source", source}},
        "Free-text fields (Solana log lines, error JSON, parsed account data, slot errors) stored with NUL "
        "bytes or invalid UTF-8 replaced by U+FFFD");
}

source_book::source_book(source_identity id, pipeline_tables tables, bounded_queue& queue, metrics_registry& metrics)
    : id_(std::move(id)), tally_(tally_for(id_.name)), tables_(tables), queue_(queue), metrics_(metrics),
      m_rejected_(metrics.get_counter("ledgertap_rejected_messages_total", {{"source", id_.name}},
          "Messages refused (malformed, oversized, binary, unknown, unstorable), dead-lettered")),
      m_unstored_(metrics.get_counter("ledgertap_dead_letters_unstored_total", {{"source", id_.name}},
          "Refused messages counted but not stored: over the source's max_dead_letters_per_second")),
      m_replaced_(text_replaced_counter(metrics, id_.name)),
      m_reconnects_(metrics.get_counter("ledgertap_reconnects_total", {{"source", id_.name}},
          "Connections re-established after a disconnect")),
      m_connect_failures_(metrics.get_counter("ledgertap_connect_failures_total", {{"source", id_.name}},
          "Connection attempts that failed before the WebSocket opened (refused, TLS certificate, handshake)")),
      m_connected_(metrics.get_gauge("ledgertap_source_connected", {{"source", id_.connection_name}},
          "1 while the source's WebSocket is connected")),
      m_last_message_(metrics.get_gauge("ledgertap_last_message_timestamp_seconds", {{"source", id_.name}},
          "Unix time of the last message received")) {}

bool source_book::opened(const feed_connection& /*conn*/) {
    ++connects_;
    if (connects_ > 1) {
        m_reconnects_.inc();
    }
    m_connected_.set(1);
    current_ = {};
    current_.source = id_.connection_name;
    current_.url = id_.ws_url;
    current_.opened_ms = now_ms();
    ++tally_->open;
    tally_->last_connected_ms = current_.opened_ms;
    row_group g;
    g.origin = id_.name + "/connection";
    push_source_row(g);
    g.rows.push_back(row_for_connection(tables_, current_));
    queue_.push(std::move(g));
    return connects_ > 1;
}

void source_book::closed(const feed_connection& conn, const close_info& info) {
    m_connected_.set(0);
    if (!info.was_open) {
        m_connect_failures_.inc();
        return; // a failed attempt, not a connection
    }
    if (tally_->open > 0) {
        --tally_->open;
    }
    current_.closed_ms = now_ms();
    current_.close_code = info.code;
    current_.close_reason = info.reason;
    current_.messages_received = conn.messages_received();
    row_group g;
    g.origin = id_.name + "/connection";
    g.rows.push_back(row_for_connection(tables_, current_));
    push_source_row(g);
    reported_message_ms_ = last_message_ms_;
    queue_.push(std::move(g));
}

void source_book::received(const feed_connection& conn) {
    last_message_ms_ = now_ms();
    current_.messages_received = conn.messages_received();
    ++tally_->messages;
    tally_->last_message_ms = std::max(tally_->last_message_ms, last_message_ms_);
}

void source_book::push_source_row(row_group& g) {
    source_record r;
    r.name = id_.name;
    r.chain = id_.chain;
    r.ws_url = id_.ws_url;
    r.rpc_url = id_.rpc_url;
    r.connected = tally_->open > 0;
    r.last_connected_ms = tally_->last_connected_ms;
    if (tally_->last_message_ms > 0) {
        r.last_message_ms = tally_->last_message_ms;
    }
    r.messages_received = tally_->messages;
    r.seq = ++tally_->seq;
    g.rows.push_back(row_for_source(tables_, r));
}

void source_book::count(const std::string& topic) {
    auto it = topic_counters_.find(topic);
    if (it == topic_counters_.end()) {
        it = topic_counters_.emplace(topic, &metrics_.get_counter("ledgertap_messages_total",
            {{"source", id_.name}, {"topic", topic}}, "Messages received per source and topic")).first;
    }
    it->second->inc();
}

void source_book::reject(std::string_view reason, std::string_view detail, std::string_view payload,
    std::size_t size) {
    m_rejected_.inc();
    metrics_.get_counter("ledgertap_rejected_by_reason_total", {{"source", id_.name}, {"reason", std::string{reason}}})
        .inc();
    if (reported_.insert(std::string{reason}).second) {
        spdlog::warn("{} source {}: rejected a message ({}): {} — stored in ledgertap.rejected_messages; "
                     "further ones of this kind are counted silently",
            id_.chain, id_.connection_name, reason, detail);
    }
    if (!admit_dead_letter()) {
        m_unstored_.inc();
        ++tally_->unstored;
        warn_unstored();
        return;
    }
    row_group g;
    g.origin = id_.name + "/rejected";
    g.rows.push_back(row_for_rejected(tables_, id_.name, id_.chain, now_ms(), reason, detail, payload, size));
    queue_.push(std::move(g));
}

void source_book::replaced_text(std::size_t fields, std::string_view what) {
    if (fields == 0) {
        return;
    }
    m_replaced_.inc(fields);
    if (reported_.insert("\x01replaced").second) {
        spdlog::warn("{} source {}: stored {} free-text field(s) of a {} with NUL bytes or invalid UTF-8 "
                     "replaced by U+FFFD (PostgreSQL text cannot hold them); further ones are counted in "
                     "ledgertap_text_replaced_total",
            id_.chain, id_.connection_name, fields, what);
    }
}

bool source_book::admit_dead_letter() {
    const auto cap = static_cast<double>(id_.max_dead_letters_per_second);
    if (id_.max_dead_letters_per_second == 0) {
        return true;
    }
    auto& t = *tally_;
    const auto now = std::chrono::steady_clock::now();
    if (t.dead_letter_tokens < 0) {
        t.dead_letter_tokens = cap;
    } else {
        const double elapsed = std::chrono::duration<double>(now - t.dead_letter_refilled).count();
        t.dead_letter_tokens = std::min(cap, t.dead_letter_tokens + elapsed * cap);
    }
    t.dead_letter_refilled = now;
    if (t.dead_letter_tokens < 1.0) {
        return false;
    }
    t.dead_letter_tokens -= 1.0;
    return true;
}

void source_book::warn_unstored() {
    auto& t = *tally_;
    const auto now = std::chrono::steady_clock::now();
    if (t.unstored == 0 || now - t.unstored_warned < std::chrono::seconds{10}) {
        return;
    }
    spdlog::warn("{} source {}: {} more refused messages were counted but not stored: over {} = {} "
                 "(ledgertap_dead_letters_unstored_total)",
        id_.chain, id_.connection_name, t.unstored, id_.dead_letter_key, id_.max_dead_letters_per_second);
    t.unstored = 0;
    t.unstored_warned = now;
}

void source_book::bad_frame(const feed_connection& conn, frame_problem problem, std::size_t size,
    std::string_view head) {
    received(conn);
    count("invalid");
    if (problem == frame_problem::binary) {
        reject("binary_frame", fmt::format("binary frame of {} bytes (the node sends text only)", size), head, size);
    } else {
        reject("oversized", fmt::format("message of {} bytes exceeds {} = {}", size, id_.limit_key, id_.max_message_bytes),
            head, size);
    }
}

void source_book::tick(const feed_connection& conn) {
    warn_unstored();
    if (last_message_ms_ > 0) {
        m_last_message_.set(static_cast<double>(last_message_ms_) / 1000.0);
    }
    if (last_message_ms_ <= reported_message_ms_ + 1000) {
        return;
    }
    current_.messages_received = conn.messages_received();
    row_group g;
    g.origin = id_.name + "/progress";
    push_source_row(g);
    g.rows.push_back(row_for_connection(tables_, current_));
    reported_message_ms_ = last_message_ms_;
    queue_.push(std::move(g));
}

} // namespace ledgertap::ingest
