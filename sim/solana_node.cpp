#include "sim/solana_node.hpp"

#include "sim/solana_random.hpp"

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace ledgertap::sim {

namespace {

constexpr std::uint32_t firehose_min_transactions = 1000;
constexpr std::uint32_t firehose_max_transactions = 2000;
constexpr std::size_t firehose_cache_blocks = 48;
constexpr std::chrono::milliseconds reorder_max_hold{250};
constexpr std::uint64_t implicit_confirmation_one_in = 8;

/// The request id of a JSON-RPC body, as JSON text ("null" when unknown or a batch).
std::string request_id(std::string_view body) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        return "null";
    }
    const auto it = doc.FindMember("id");
    if (it == doc.MemberEnd()) {
        return "null";
    }
    std::string out;
    if (it->value.IsUint64()) {
        solana_json::append_u64(out, it->value.GetUint64());
    } else if (it->value.IsString()) {
        solana_json::append_string(
            out, std::string_view(it->value.GetString(), it->value.GetStringLength()));
    } else {
        out = "null";
    }
    return out;
}

} // namespace

solana_node_config solana_node_config_from(const options& opts) {
    solana_node_config c;
    c.ws_port = opts.solana_ws_port;
    c.rpc_port = opts.solana_rpc_port;
    c.chain.seed = opts.seed;
    const std::uint32_t n = std::max<std::uint32_t>(opts.solana_tx_per_block, 1);
    c.chain.min_transactions
        = opts.solana_exact_tx_per_block ? n : std::max<std::uint32_t>(1, n - n / 2);
    c.chain.max_transactions = opts.solana_exact_tx_per_block ? n : n + n / 2;
    c.slot_time = std::chrono::milliseconds(std::max<std::uint32_t>(opts.slot_ms, 1));
    c.history_slots = opts.history;
    c.firehose = opts.firehose;
    c.drop = opts.drop;
    c.duplicate = opts.duplicate;
    c.reorder = opts.reorder;
    c.disconnect_every = opts.disconnect_every;
    c.outage = opts.outage;
    c.malformed_every = opts.malformed_every;
    c.oversized_bytes = opts.oversized_bytes;
    c.rpc_delay = std::chrono::milliseconds(opts.rpc_delay_ms);
    c.rpc_error_rate = opts.rpc_error_rate;
    c.pubsub.enable_block_subscription = !opts.solana_disable_block_subscribe;
    c.pubsub.enable_vote_subscription = !opts.solana_disable_vote_subscribe;
    c.fault_seed = opts.seed;
    return c;
}

namespace {

solana_node_config normalized(solana_node_config c) {
    c.finalize_depth = std::max(c.finalize_depth, c.confirm_depth);
    if (c.firehose) {
        c.chain.min_transactions = std::max(c.chain.min_transactions, firehose_min_transactions);
        c.chain.max_transactions = std::max(c.chain.max_transactions, firehose_max_transactions);
    }
    if (c.slot_time.count() <= 0) {
        c.slot_time = std::chrono::microseconds(1000);
    }
    return c;
}

} // namespace

solana_node::solana_node(const options& opts, server& srv, truth_writer& truth)
  : solana_node(solana_node_config_from(opts), srv, truth) {}

solana_node::solana_node(solana_node_config config, server& srv, truth_writer& truth)
  : config_(normalized(std::move(config)))
  , server_(srv)
  , truth_(truth)
  , chain_(config_.chain)
  , encoder_(chain_)
  , pubsub_(config_.pubsub, chain_, encoder_, levels_, *this)
  , rpc_(chain_, encoder_, levels_, config_.pubsub.version) {
    // Blocks are needed again at confirmed and at finalized; keep them until then if cheap.
    chain_.set_cache_size(std::min<std::size_t>(
        config_.finalize_depth + 4, config_.firehose ? firehose_cache_blocks : 64));
    ws_endpoint ws;
    ws.name = config_.ws_name;
    ws.port = config_.ws_port;
    ws.handler = this;
    ws.max_message_bytes = solana_max_inbound_bytes;
    server_.add(std::move(ws));

    http_endpoint http;
    http.name = config_.rpc_name;
    http.port = config_.rpc_port;
    http.handler = [this](std::string_view body) {
        return http_reply{200, rpc_.handle(body), "application/json; charset=utf-8"};
    };
    http.delay = config_.rpc_delay;
    http.error_rate = config_.rpc_error_rate;
    http.error_reply = [this](std::string_view body) { return rpc_error_reply(body); };
    http.error_seed = config_.fault_seed ^ 0x50'4c'41'4eULL;
    http.max_body_bytes = std::size_t{50} * 1024; // Agave's MAX_REQUEST_BODY_SIZE
    http.not_post_reply = http_reply{
        405, "Used HTTP Method is not allowed. POST or OPTIONS is required", "text/plain"};
    server_.add(std::move(http));

    // History that predates every client.
    for (std::uint32_t i = 0; i < config_.history_slots; ++i) {
        step();
    }
}

solana_node::~solana_node() {
    stop();
}

std::uint64_t solana_node::now_ms() const {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

double solana_node::uniform(std::mt19937_64& rng) const {
    return static_cast<double>(rng() >> 11U) * 0x1.0p-53;
}

void solana_node::start() {
    server_.post([this] {
        running_ = true;
        started_ = std::chrono::steady_clock::now();
        next_tick_ = started_ + config_.slot_time;
        server_.schedule(config_.slot_time, [this] { tick(); });
        if (config_.outage) {
            const auto begin = std::chrono::microseconds(
                static_cast<std::int64_t>(config_.outage->start_s * 1e6));
            const auto length = std::chrono::microseconds(
                static_cast<std::int64_t>(config_.outage->length_s * 1e6));
            server_.schedule(begin, [this] {
                outage_active_ = true;
                spdlog::info("sim: solana outage begins");
                for (auto& [id, st] : sessions_) {
                    st->end = "outage";
                    st->ws->abort();
                }
            });
            server_.schedule(begin + length, [this] {
                outage_active_ = false;
                spdlog::info("sim: solana outage ends");
            });
        }
    });
}

void solana_node::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    running_ = false;
    if (!truth_.enabled()) {
        return;
    }
    truth_record summary("solana_summary");
    summary.add("first_slot", chain_.first_slot());
    summary.add("tip", chain_.tip().value_or(0));
    summary.add("processed", levels_.processed.value_or(0));
    summary.add("confirmed", levels_.confirmed.value_or(0));
    summary.add("finalized", levels_.finalized.value_or(0));
    summary.add("blocks", truth_blocks_);
    summary.add("skipped", truth_skipped_);
    summary.add("orphaned", truth_orphaned_);
    summary.add("rpc_errors_injected", rpc_errors_);
    truth_.write(summary);
}

// ---- the chain moves ---------------------------------------------------------------------------

void solana_node::tick() {
    if (!running_) {
        return;
    }
    step();
    // Fixed cadence: the next slot is due slot_time after the previous due time.
    next_tick_ += config_.slot_time;
    const auto now = std::chrono::steady_clock::now();
    if (next_tick_ < now - 10 * config_.slot_time) {
        next_tick_ = now; // far behind (a stall): do not burst
    }
    const auto delay = std::max(
        std::chrono::microseconds(1),
        std::chrono::duration_cast<std::chrono::microseconds>(next_tick_ - now));
    server_.schedule(delay, [this] { tick(); });
    for (auto& [id, st] : sessions_) {
        // Never hold a partial window for long.
        if (!st->reorder_buffer.empty() && now - st->reorder_since >= reorder_max_hold) {
            flush_reorder(*st);
        }
    }
}

void solana_node::step() {
    const solana_slot& s = chain_.advance();
    const std::uint64_t now = now_ms();
    if (s.kind == solana_slot_kind::block) {
        levels_.processed = s.slot;
        processed_.store(s.slot);
    }
    pubsub_.slot_produced(s, now);

    const auto confirmed = chain_.committed_block(config_.confirm_depth);
    if (confirmed && (!levels_.confirmed || *confirmed > *levels_.confirmed)) {
        const std::uint64_t from = levels_.confirmed ? *levels_.confirmed + 1 : chain_.first_slot();
        for (const std::uint64_t b : chain_.blocks_in(from, *confirmed)) {
            levels_.confirmed = b;
            pending_confirmed_.push_back(b);
            // Gossip sees an optimistic confirmation for most blocks; the others are confirmed
            // implicitly as ancestors of the next one (Agave sends them no update).
            if (mix(config_.chain.seed ^ 0x0C0CULL, b) % implicit_confirmation_one_in != 0) {
                pubsub_.slot_confirmed(pending_confirmed_, now);
                pending_confirmed_.clear();
            }
        }
    }
    const auto root = chain_.committed_block(config_.finalize_depth);
    if (root && !pending_confirmed_.empty() && *root >= pending_confirmed_.front()) {
        pubsub_.slot_confirmed(pending_confirmed_, now); // confirmed before it is rooted
        pending_confirmed_.clear();
    }
    if (root && (!levels_.finalized || *root > *levels_.finalized)) {
        const std::uint64_t from = levels_.finalized ? *levels_.finalized + 1 : chain_.first_slot();
        for (std::uint64_t x = from; x <= *root; ++x) {
            if (chain_.is_block(x)) {
                levels_.finalized = x;
                finalized_.store(x);
                pubsub_.slot_rooted(x, now);
            }
            write_truth_slot(x);
        }
    }
}

void solana_node::write_truth_slot(std::uint64_t slot) {
    const solana_slot* s = chain_.find(slot);
    if (s == nullptr) {
        return;
    }
    if (s->kind == solana_slot_kind::block) {
        ++truth_blocks_;
    } else {
        ++truth_skipped_;
        truth_orphaned_ += s->kind == solana_slot_kind::dead ? 1 : 0;
    }
    if (!truth_.enabled()) {
        return;
    }
    if (s->kind == solana_slot_kind::block) {
        truth_record r("solana_block");
        r.add("slot", s->slot);
        r.add("blockhash", schema::base58_encode(s->blockhash));
        r.add("previous_blockhash", schema::base58_encode(s->previous_blockhash));
        r.add("parent_slot", s->parent_slot);
        r.add("block_time", s->block_time);
        r.add("block_height", s->block_height);
        r.add("transaction_count", std::uint64_t{s->transaction_count});
        truth_.write(r);
        return;
    }
    // Every slot not on the finalized chain is skipped; dead (minority-fork) slots also orphaned.
    truth_record skipped("solana_skipped");
    skipped.add("slot", s->slot);
    truth_.write(skipped);
    if (s->kind == solana_slot_kind::dead) {
        truth_record orphaned("solana_orphaned");
        orphaned.add("slot", s->slot);
        orphaned.add("parent_slot", s->parent_slot);
        truth_.write(orphaned);
    }
}

void solana_node::firehose_step() {
    // Produce the next slot once every block/logs consumer has drained what it was given.
    bool any = false;
    for (auto& [id, st] : sessions_) {
        if (!st->firehose || st->ws->closing()) {
            continue;
        }
        if (!pubsub_.streams_blocks_or_logs(id)) {
            st->firehose = false;
            continue;
        }
        any = true;
        if (!st->firehose_ready) {
            return;
        }
    }
    if (!any) {
        return;
    }
    step();
    for (auto& [id, st] : sessions_) {
        if (st->firehose && !st->ws->closing()) {
            st->firehose_ready = false;
            if (!st->reorder_buffer.empty()) {
                flush_reorder(*st);
            }
            st->ws->want_writable();
        }
    }
}

// ---- delivery
// ------------------------------------------------------------------------------------

solana_node::session_state* solana_node::state_of(std::uint64_t id) {
    const auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second.get();
}

void solana_node::reply(std::uint64_t session, std::string text) {
    session_state* st = state_of(session);
    if (st == nullptr || st->ws->closing()) {
        return;
    }
    std::string buffer = ws_frame::start_buffer(text.size());
    buffer += text;
    st->ws->send(ws_frame::adopt(std::move(buffer)));
    ++st->replies;
    count_frame(*st);
}

void solana_node::notify(std::uint64_t session, const ws_frame& frame, std::string_view method) {
    session_state* st = state_of(session);
    if (st == nullptr || st->ws->closing()) {
        return;
    }
    const auto counter = st->sent.find(method);
    if (counter == st->sent.end()) {
        st->sent.emplace(std::string(method), 1);
    } else {
        ++counter->second;
    }
    if (config_.drop > 0.0 && uniform(st->rng) < config_.drop) {
        ++st->dropped;
        return;
    }
    const bool twice = config_.duplicate > 0.0 && uniform(st->rng) < config_.duplicate;
    for (int copy = 0; copy < (twice ? 2 : 1); ++copy) {
        if (config_.reorder > 1) {
            if (st->reorder_buffer.empty()) {
                st->reorder_since = std::chrono::steady_clock::now();
            }
            st->reorder_buffer.push_back(frame);
            if (st->reorder_buffer.size() >= config_.reorder) {
                flush_reorder(*st);
            }
        } else {
            emit(*st, frame);
        }
    }
    st->duplicated += twice ? 1 : 0;
}

void solana_node::flush_reorder(session_state& st) {
    std::vector<ws_frame> batch;
    batch.swap(st.reorder_buffer);
    std::shuffle(batch.begin(), batch.end(), st.rng);
    st.reordered += batch.size();
    for (const auto& frame : batch) {
        emit(st, frame);
    }
}

void solana_node::emit(session_state& st, const ws_frame& frame) {
    if (st.ws->closing()) {
        return;
    }
    if (config_.malformed_every > 0 && ++st.since_malformed >= config_.malformed_every) {
        st.since_malformed = 0;
        send_malformed(st);
        if (st.ws->closing()) {
            return;
        }
    }
    st.ws->send(frame);
    count_frame(st);
}

void solana_node::send_malformed(session_state& st) {
    const std::uint32_t kind = st.malformed_rotation++ % 3;
    ++st.malformed;
    if (kind == 0) {
        st.ws->send(ws_frame::make(
            R"({"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"slot":)"));
    } else if (kind == 1) {
        std::string bytes;
        for (int i = 0; i < 48; ++i) {
            bytes.push_back(static_cast<char>(st.rng() & 0xffU));
        }
        st.ws->send(ws_frame::make(bytes, ws_frame::kind::binary));
    } else {
        if (!oversized_frame_) {
            std::string buffer = ws_frame::start_buffer(config_.oversized_bytes);
            const std::string_view head
                = R"({"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"padding":")";
            const std::string_view tail = R"("},"subscription":18446744073709551615}})";
            buffer += head;
            const std::size_t fixed = head.size() + tail.size();
            buffer.append(
                config_.oversized_bytes > fixed ? config_.oversized_bytes - fixed : 0, 'x');
            buffer += tail;
            oversized_frame_ = ws_frame::adopt(std::move(buffer));
        }
        st.ws->send(*oversized_frame_);
    }
    count_frame(st);
}

void solana_node::count_frame(session_state& st) {
    ++st.frames;
    if (config_.disconnect_every > 0 && st.frames % config_.disconnect_every == 0) {
        st.end = "disconnect_every";
        st.ws->drop();
    }
}

http_reply solana_node::rpc_error_reply(std::string_view body) {
    const std::uint64_t n = rpc_errors_++;
    const std::string id = request_id(body);
    switch (n % 4) {
    case 0:
        return http_reply{503, "Service Unavailable", "text/plain"};
    case 1:
        return http_reply{
            200,
            solana_error(
                id,
                solana_errc::node_unhealthy,
                "Node is behind by 42 slots",
                R"({"numSlotsBehind":42})"),
            "application/json; charset=utf-8"};
    case 2:
        return http_reply{
            429,
            solana_error(id, 429, "Too many requests for a specific RPC call"),
            "application/json; charset=utf-8"};
    default:
        return http_reply{
            500,
            solana_error(id, solana_errc::internal_error, "Internal error"),
            "application/json; charset=utf-8"};
    }
}

// ---- ws_handler
// ------------------------------------------------------------------------------------

bool solana_node::accept_connection() {
    return !outage_active_;
}

void solana_node::on_open(ws_session& session) {
    auto st = std::make_unique<session_state>();
    st->ws = &session;
    st->id = session.id();
    st->opened_ms = now_ms();
    st->rng.seed(config_.fault_seed ^ (session.id() * 0x9e3779b97f4a7c15ULL) ^ 0x534f4cULL);
    session_state* raw = st.get();
    sessions_[session.id()] = std::move(st);
    pubsub_.open(session.id());
    if (outage_active_) {
        raw->end = "outage";
        session.abort();
    }
}

void solana_node::on_message(ws_session& session, std::string_view message) {
    session_state* st = state_of(session.id());
    if (st == nullptr) {
        return;
    }
    if (!valid_utf8(message)) {
        // "Old implementation just closes the connection"
        st->end = "client_invalid_utf8";
        session.abort();
        return;
    }
    pubsub_.handle(session.id(), message);
    if (config_.firehose && !st->firehose && pubsub_.streams_blocks_or_logs(session.id())) {
        st->firehose = true;
        st->firehose_ready = false;
        session.want_writable();
    }
}

void solana_node::on_writable(ws_session& session) {
    session_state* st = state_of(session.id());
    if (st == nullptr || !st->firehose || !running_) {
        return;
    }
    st->firehose_ready = true;
    firehose_step();
}

void solana_node::on_oversized(ws_session& session) {
    // soketto's max message size: the connection goes away, no JSON-RPC error.
    session_state* st = state_of(session.id());
    if (st != nullptr) {
        st->end = "client_oversized";
    }
    session.stop_reading();
    session.abort();
}

void solana_node::on_close(ws_session& session) {
    const auto it = sessions_.find(session.id());
    if (it == sessions_.end()) {
        return;
    }
    pubsub_.close(session.id());
    const session_state& st = *it->second;
    if (truth_.enabled()) {
        std::string sent = "{";
        for (const auto& [method, count] : st.sent) {
            if (sent.size() > 1) {
                sent += ',';
            }
            solana_json::append_string(sent, method);
            sent += ':';
            solana_json::append_u64(sent, count);
        }
        sent += '}';
        truth_record r("solana_connection");
        r.add("id", st.id);
        r.add("opened_ms", st.opened_ms);
        r.add("closed_ms", now_ms());
        r.add("end", st.end);
        r.add_raw("notifications", sent);
        r.add("replies", st.replies);
        r.add("frames", st.frames);
        r.add("dropped", st.dropped);
        r.add("duplicated", st.duplicated);
        r.add("reordered", st.reordered);
        r.add("malformed", st.malformed);
        r.add("unsent_reorder_buffer", std::uint64_t{st.reorder_buffer.size()});
        truth_.write(r);
    }
    sessions_.erase(it);
}

} // namespace ledgertap::sim
