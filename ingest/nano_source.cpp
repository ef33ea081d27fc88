#include "ingest/nano_source.hpp"

#include "schema/nano.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

namespace ledgertap::ingest {

namespace nano = schema::nano;

namespace {

/// Topics in subscribe order. `active_difficulty` exists only on V20–V21 nodes: newer nodes never
/// ack it, which is expected and logged once.
const std::vector<std::string>& all_topics() {
    static const std::vector<std::string> topics{"confirmation", "vote", "started_election",
        "stopped_election", "telemetry", "new_unconfirmed_block", "work", "bootstrap",
        "active_difficulty"};
    return topics;
}

const char* topic_of(const nano::ws_message& m) {
    struct visitor {
        const char* operator()(const nano::ack&) const { return "ack"; }
        const char* operator()(const nano::confirmation&) const { return "confirmation"; }
        const char* operator()(const nano::vote&) const { return "vote"; }
        const char* operator()(const nano::election& e) const {
            return e.event == nano::election_event::started ? "started_election" : "stopped_election";
        }
        const char* operator()(const nano::telemetry&) const { return "telemetry"; }
        const char* operator()(const nano::unconfirmed_block&) const { return "new_unconfirmed_block"; }
        const char* operator()(const nano::work&) const { return "work"; }
        const char* operator()(const nano::bootstrap&) const { return "bootstrap"; }
        const char* operator()(const nano::active_difficulty&) const { return "active_difficulty"; }
    };
    return std::visit(visitor{}, m);
}

} // namespace

nano_source::nano_source(nano_config cfg, nano_tables tables, pipeline_tables pipeline,
    bounded_queue& queue, metrics_registry& metrics)
    : cfg_(std::move(cfg)), tables_(tables), queue_(queue),
      book_({cfg_.name, cfg_.name, "nano", cfg_.ws_url, cfg_.rpc_url, cfg_.max_message_bytes, "nano.max_message_bytes",
                cfg_.max_dead_letters_per_second, "nano.max_dead_letters_per_second"},
          pipeline, queue, metrics) {}

feed_endpoint nano_source::endpoint() const {
    feed_endpoint e;
    e.name = cfg_.name;
    e.url = cfg_.ws_url;
    e.max_message_bytes = cfg_.max_message_bytes;
    e.stall_timeout = cfg_.stall_timeout;
    e.reconnect_initial = cfg_.reconnect_initial;
    e.reconnect_max = cfg_.reconnect_max;
    e.tls_insecure = cfg_.tls_insecure;
    e.tls_ca_file = cfg_.tls_ca_file;
    return e;
}

std::vector<std::string> nano_source::subscribe_messages(std::uint64_t attempt) const {
    std::vector<std::string> out;
    for (const auto& topic : all_topics()) {
        if (topic == "vote" && !cfg_.votes) {
            continue;
        }
        std::string options;
        if (topic == "confirmation") {
            // Every confirmation type, with the block, election info and sideband (height).
            options = fmt::format(
                R"(,"options":{{"confirmation_type":"all","include_block":"true","include_election_info":"true",)"
                R"("include_election_info_with_votes":"{}","include_sideband_info":"true","include_linked_account":"true"}})",
                cfg_.election_votes ? "true" : "false");
        } else if (topic == "vote") {
            options = R"(,"options":{"include_replays":"true","include_indeterminate":"true"})";
        }
        out.push_back(fmt::format(
            R"({{"action":"subscribe","topic":"{}","ack":true,"id":"{}:{}"{}}})", topic, topic, attempt, options));
    }
    return out;
}

void nano_source::on_open(feed_connection& conn) {
    const bool reconnect = book_.opened(conn);
    awaiting_ack_.clear();
    const auto now = std::chrono::steady_clock::now();
    for (auto& msg : subscribe_messages(conn.attempt())) {
        conn.send(std::move(msg));
    }
    for (const auto& topic : all_topics()) {
        if (topic != "vote" || cfg_.votes) {
            awaiting_ack_[topic] = now;
        }
    }
    last_ping_ = now;
    ping_outstanding_since_.reset();
    if (reconnect && on_reconnect_) {
        on_reconnect_();
    }
}

void nano_source::on_message(feed_connection& conn, std::string_view text) {
    book_.received(conn);
    const std::uint64_t received = book_.last_message_ms();
    auto decoded = nano::decode_ws_message(text);
    if (!decoded) {
        const auto& err = decoded.error();
        book_.count("invalid");
        book_.reject(schema::to_string(err.code), err.detail, text, text.size());
        return;
    }
    const auto& msg = decoded.value();
    const std::string topic = topic_of(msg);
    book_.count(topic);
    if (const auto* a = std::get_if<nano::ack>(&msg)) {
        if (a->action == nano::ack_action::pong) {
            ping_outstanding_since_.reset();
        } else if (a->action == nano::ack_action::subscribe && a->id) {
            const auto colon = a->id->find(':');
            awaiting_ack_.erase(a->id->substr(0, colon));
        }
        return;
    }
    auto mapped = map_nano_message(tables_, msg, cfg_.name, received);
    if (!mapped.error.empty()) {
        book_.reject("unstorable", mapped.error, text, text.size());
        return;
    }
    if (mapped.rows.empty()) {
        return;
    }
    row_group g;
    g.origin = cfg_.name + "/" + topic;
    g.rows = std::move(mapped.rows);
    queue_.push(std::move(g));
}

void nano_source::on_bad_frame(feed_connection& conn, frame_problem problem, std::size_t size,
    std::string_view head) {
    book_.bad_frame(conn, problem, size, head);
}

void nano_source::on_close(feed_connection& conn, const close_info& info) {
    book_.closed(conn, info);
}

void nano_source::on_tick(feed_connection& conn, std::chrono::steady_clock::time_point now) {
    book_.tick(conn);
    for (auto it = awaiting_ack_.begin(); it != awaiting_ack_.end();) {
        if (now - it->second < cfg_.ack_timeout) {
            ++it;
            continue;
        }
        if (reported_unsupported_.insert(it->first).second) {
            if (it->first == "active_difficulty") {
                spdlog::info("nano source {}: topic active_difficulty not acknowledged (removed in "
                             "node V22); carrying on without it", cfg_.name);
            } else {
                spdlog::warn("nano source {}: topic {} not acknowledged within {}s; this node does "
                             "not support it — carrying on with the others",
                    cfg_.name, it->first, cfg_.ack_timeout.count());
            }
        }
        it = awaiting_ack_.erase(it);
    }
    if (ping_outstanding_since_ && conn.last_message_at() > *ping_outstanding_since_) {
        ping_outstanding_since_.reset(); // traffic after the ping proves the connection alive
    }
    if (ping_outstanding_since_ && now - *ping_outstanding_since_ > cfg_.ack_timeout) {
        spdlog::warn("nano source {}: no pong within {}s; reconnecting", cfg_.name, cfg_.ack_timeout.count());
        ping_outstanding_since_.reset();
        conn.close("pong timeout");
        return;
    }
    if (now - last_ping_ >= cfg_.ping_interval) {
        last_ping_ = now;
        ++pings_;
        conn.send(fmt::format(R"({{"action":"ping","id":"ping:{}"}})", pings_));
        if (!ping_outstanding_since_) {
            ping_outstanding_since_ = now;
        }
    }
}

} // namespace ledgertap::ingest
