#include "ingest/solana_source.hpp"

#include "schema/json.hpp"
#include "schema/solana.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace ledgertap::ingest {

namespace sol = schema::solana;

namespace {

constexpr std::size_t max_request_bytes = 4096; // Agave refuses larger client frames

const char* kind_of(const sol::pubsub_message& m) {
    struct v {
        const char* operator()(const sol::subscribe_ok&) const { return "subscribe_ok"; }
        const char* operator()(const sol::unsubscribe_ok&) const { return "unsubscribe_ok"; }
        const char* operator()(const sol::version_ok&) const { return "version"; }
        const char* operator()(const sol::rpc_error&) const { return "error"; }
        const char* operator()(const sol::slot_notification&) const { return "slot"; }
        const char* operator()(const sol::slots_update&) const { return "slotsUpdates"; }
        const char* operator()(const sol::root_notification&) const { return "root"; }
        const char* operator()(const sol::vote_notification&) const { return "vote"; }
        const char* operator()(const sol::block_notification&) const { return "block"; }
        const char* operator()(const sol::logs_notification&) const { return "logs"; }
        const char* operator()(const sol::account_notification&) const { return "account"; }
        const char* operator()(const sol::program_notification&) const { return "program"; }
        const char* operator()(const sol::signature_notification&) const { return "signature"; }
    };
    return std::visit(v{}, m);
}

std::optional<std::uint64_t> subscription_of(const sol::pubsub_message& m) {
    return std::visit(
        [](const auto& n) -> std::optional<std::uint64_t> {
            if constexpr (requires { n.subscription; }) {
                return n.subscription;
            } else {
                return std::nullopt;
            }
        },
        m);
}

} // namespace

std::string solana_subscription::kind() const {
    const auto pos = method.find("Subscribe");
    return pos == std::string::npos ? method : method.substr(0, pos);
}

std::vector<std::vector<solana_subscription>> plan_solana_subscriptions(const solana_config& cfg) {
    std::vector<solana_subscription> core;
    core.push_back({"slotSubscribe", "[]", {"processed", ""}});
    core.push_back({"slotsUpdatesSubscribe", "[]", {"processed", ""}});
    core.push_back({"rootSubscribe", "[]", {"finalized", ""}});
    core.push_back({"blockSubscribe",
        fmt::format(R"(["all",{{"commitment":"{}","encoding":"{}","transactionDetails":"{}","showRewards":true,"maxSupportedTransactionVersion":0}}])",
            cfg.commitment, cfg.block_encoding, cfg.transaction_details),
        {cfg.commitment, ""}});
    core.push_back({"logsSubscribe", fmt::format(R"(["{}",{{"commitment":"{}"}}])", cfg.logs_filter, cfg.commitment),
        {cfg.commitment, ""}});
    core.push_back({"voteSubscribe", "[]", {"processed", ""}});
    std::vector<solana_subscription> listed;
    for (const auto& a : cfg.accounts) {
        listed.push_back({"accountSubscribe",
            fmt::format(R"([{},{{"commitment":"{}","encoding":"base64"}}])", schema::json::quote(a), cfg.commitment),
            {cfg.commitment, a}});
    }
    for (const auto& p : cfg.programs) {
        listed.push_back({"programSubscribe",
            fmt::format(R"([{},{{"commitment":"{}","encoding":"base64"}}])", schema::json::quote(p), cfg.commitment),
            {cfg.commitment, p}});
    }
    for (const auto& s : cfg.signatures) {
        listed.push_back({"signatureSubscribe",
            fmt::format(R"([{},{{"commitment":"{}","enableReceivedNotification":true}}])", schema::json::quote(s), cfg.commitment),
            {cfg.commitment, s}});
    }
    std::vector<std::vector<solana_subscription>> shards;
    shards.push_back(std::move(core));
    const std::size_t per = std::max<std::size_t>(1, cfg.max_subscriptions_per_connection);
    for (auto& s : listed) {
        if (shards.back().size() >= per) {
            shards.emplace_back();
        }
        shards.back().push_back(std::move(s));
    }
    return shards;
}

solana_source::solana_source(solana_config cfg, std::size_t shard, std::vector<solana_subscription> subs,
    solana_tables tables, pipeline_tables pipeline, bounded_queue& queue, metrics_registry& metrics)
    : cfg_(std::move(cfg)), shard_(shard), subs_(std::move(subs)), tables_(tables), queue_(queue), metrics_(metrics),
      name_(shard == 0 ? cfg_.name : fmt::format("{}#{}", cfg_.name, shard)),
      book_({cfg_.name, name_, "solana", cfg_.ws_url, cfg_.rpc_url, cfg_.max_message_bytes,
                "solana.max_message_bytes", cfg_.max_dead_letters_per_second,
                "solana.max_dead_letters_per_second"},
          pipeline, queue, metrics),
      m_unknown_subscription_(metrics.get_counter("ledgertap_unknown_subscription_notifications_total",
          {{"source", cfg_.name}}, "Notifications for subscription ids we do not hold, ignored")) {}

feed_endpoint solana_source::endpoint() const {
    feed_endpoint e;
    e.name = name_;
    e.url = cfg_.ws_url;
    e.max_message_bytes = cfg_.max_message_bytes;
    e.reconnect_initial = cfg_.reconnect_initial;
    e.reconnect_max = cfg_.reconnect_max;
    e.tls_insecure = cfg_.tls_insecure;
    e.tls_ca_file = cfg_.tls_ca_file;
    return e;
}

void solana_source::on_open(feed_connection& conn) {
    const bool reconnect = book_.opened(conn);
    pending_.clear();
    by_subscription_.clear();
    keepalive_id_.reset();
    const auto now = std::chrono::steady_clock::now();
    last_keepalive_ = now;
    last_slot_traffic_ = now;
    for (std::size_t i = 0; i < subs_.size(); ++i) {
        if (finished_.contains(i)) {
            continue; // a signature already notified: the node would never notify it again
        }
        const auto id = next_id_++;
        auto req = fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"{}","params":{}}})", id, subs_[i].method,
            subs_[i].params);
        if (req.size() > max_request_bytes) {
            spdlog::error("solana source {}: {} request is {} bytes, over the node's 4096-byte limit; skipped",
                name_, subs_[i].method, req.size());
            continue;
        }
        pending_[id] = i;
        conn.send(std::move(req));
    }
    if (reconnect && on_reconnect_) {
        on_reconnect_();
    }
}

void solana_source::push_rows(mapped_rows rows, const std::string& kind, std::string_view text) {
    if (!rows.error.empty()) {
        book_.reject("unstorable", rows.error, text, text.size());
        return;
    }
    book_.replaced_text(rows.replaced, kind);
    if (rows.rows.empty()) {
        return;
    }
    row_group g;
    g.origin = cfg_.name + "/" + kind;
    g.rows = std::move(rows.rows);
    queue_.push(std::move(g));
}

void solana_source::on_message(feed_connection& conn, std::string_view text) {
    book_.received(conn);
    const std::uint64_t received = book_.last_message_ms();
    auto decoded = sol::decode_pubsub_message(text);
    if (!decoded) {
        book_.count("invalid");
        book_.reject(schema::to_string(decoded.error().code), decoded.error().detail, text, text.size());
        return;
    }
    const auto& msg = decoded.value();
    const std::string kind = kind_of(msg);
    book_.count(kind);

    if (const auto* ok = std::get_if<sol::subscribe_ok>(&msg)) {
        const auto it = pending_.find(ok->request_id);
        if (it != pending_.end()) {
            by_subscription_[ok->subscription] = it->second;
            pending_.erase(it);
        }
        return;
    }
    if (const auto* v = std::get_if<sol::version_ok>(&msg)) {
        if (keepalive_id_ && v->request_id == *keepalive_id_) {
            keepalive_id_.reset();
        }
        return;
    }
    if (const auto* e = std::get_if<sol::rpc_error>(&msg)) {
        std::string what = "request";
        if (e->request_id) {
            if (const auto it = pending_.find(*e->request_id); it != pending_.end()) {
                what = subs_[it->second].method;
                pending_.erase(it);
            } else if (keepalive_id_ && *e->request_id == *keepalive_id_) {
                keepalive_id_.reset();
                what = "getVersion";
            }
        }
        if (e->code == -32601 && (what == "blockSubscribe" || what == "voteSubscribe")) {
            if (reported_.insert("disabled:" + what).second) {
                spdlog::warn("solana source {}: {} is disabled on this node (-32601 {}); carrying on without it "
                             "(enable --rpc-pubsub-enable-{}-subscription on the validator)",
                    name_, what, e->message, what == "blockSubscribe" ? "block" : "vote");
            }
            return;
        }
        spdlog::error("solana source {}: {} failed: JSON-RPC error {} {}{}", name_, what, e->code, e->message,
            e->data ? " " + *e->data : "");
        metrics_.get_counter("ledgertap_rpc_errors_total", {{"source", cfg_.name}, {"code", std::to_string(e->code)}}).inc();
        return;
    }
    if (std::holds_alternative<sol::unsubscribe_ok>(msg)) {
        return;
    }
    const auto sub = subscription_of(msg);
    const auto it = sub ? by_subscription_.find(*sub) : by_subscription_.end();
    if (it == by_subscription_.end()) {
        m_unknown_subscription_.inc();
        return;
    }
    const auto& s = subs_[it->second];
    if (kind == "slot" || kind == "slotsUpdates" || kind == "root") {
        last_slot_traffic_ = std::chrono::steady_clock::now();
    }
    if (const auto* b = std::get_if<sol::block_notification>(&msg); b != nullptr && !b->value) {
        // The node could not encode this block; backfill fetches it over RPC.
        book_.reject("node_block_error", fmt::format("blockNotification for slot {} without a block: {}",
            b->context_slot, b->err.value_or("null")), text, text.size());
        return;
    }
    if (std::holds_alternative<sol::signature_notification>(msg)
        && std::get<sol::signature_notification>(msg).state == sol::signature_state::processed) {
        finished_.insert(it->second);
        by_subscription_.erase(it->first); // one-shot: the node removed it
    }
    push_rows(map_solana_message(tables_, msg, s.context, cfg_.name, received), kind, text);
}

void solana_source::on_bad_frame(feed_connection& conn, frame_problem problem, std::size_t size,
    std::string_view head) {
    book_.bad_frame(conn, problem, size, head);
}

void solana_source::on_close(feed_connection& conn, const close_info& info) {
    by_subscription_.clear();
    pending_.clear();
    book_.closed(conn, info);
}

void solana_source::on_tick(feed_connection& conn, std::chrono::steady_clock::time_point now) {
    book_.tick(conn);
    if (keepalive_id_ && now - keepalive_sent_ > cfg_.keepalive_interval && conn.last_message_at() > keepalive_sent_) {
        // Traffic after the request proves the connection alive; ask again.
        keepalive_id_.reset();
    }
    if (keepalive_id_ && now - keepalive_sent_ > cfg_.keepalive_interval) {
        spdlog::warn("solana source {}: getVersion keepalive unanswered for {}s; reconnecting", name_,
            cfg_.keepalive_interval.count());
        keepalive_id_.reset();
        conn.close("keepalive timeout");
        return;
    }
    if (shard_ == 0 && cfg_.stall_timeout.count() > 0 && now - last_slot_traffic_ > cfg_.stall_timeout) {
        spdlog::warn("solana source {}: no slot notification for {}s; reconnecting", name_, cfg_.stall_timeout.count());
        last_slot_traffic_ = now;
        conn.close("slot traffic stalled");
        return;
    }
    if (!keepalive_id_ && now - last_keepalive_ >= cfg_.keepalive_interval) {
        last_keepalive_ = now;
        keepalive_sent_ = now;
        keepalive_id_ = next_id_++;
        conn.send(fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"getVersion"}})", *keepalive_id_));
    }
}

} // namespace ledgertap::ingest
