#include "ingest/feed_client.hpp"

#include "ingest/tls_client.hpp"
#include "ingest/ws_codec.hpp"

#include <libwebsockets.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <stdexcept>

namespace ledgertap::ingest {

std::optional<ws_url> parse_ws_url(std::string_view text, std::string* error) {
    auto fail = [&](const char* why) -> std::optional<ws_url> {
        if (error != nullptr) {
            *error = why;
        }
        return std::nullopt;
    };
    ws_url out;
    if (text.starts_with("ws://")) {
        text.remove_prefix(5);
    } else if (text.starts_with("wss://")) {
        out.tls = true;
        text.remove_prefix(6);
    } else {
        return fail("must start with ws:// or wss://");
    }
    const auto slash = text.find('/');
    std::string_view authority = text.substr(0, slash);
    if (slash != std::string_view::npos) {
        out.path = std::string{text.substr(slash)};
    }
    std::string_view port_text;
    if (authority.starts_with("[")) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return fail("unterminated [ in host");
        }
        out.host = std::string{authority.substr(1, close - 1)};
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (!rest.starts_with(":")) {
                return fail("expected :port after ]");
            }
            port_text = rest.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            out.host = std::string{authority.substr(0, colon)};
            port_text = authority.substr(colon + 1);
        } else {
            out.host = std::string{authority};
        }
    }
    if (out.host.empty()) {
        return fail("missing host");
    }
    if (port_text.empty()) {
        out.port = out.tls ? 443 : 80;
    } else {
        int p = 0;
        const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
        if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || p < 1 || p > 65535) {
            return fail("port must be 1..65535");
        }
        out.port = p;
    }
    return out;
}

void feed_connection::send(std::string text) {
    outbox_.push_back(std::move(text));
    if (wsi_ != nullptr) {
        lws_callback_on_writable(wsi_);
    }
}

void feed_connection::close(std::string reason) {
    close_requested_ = true;
    close_reason_ = std::move(reason);
    if (wsi_ != nullptr) {
        lws_callback_on_writable(wsi_);
    }
}

/// One endpoint: its connection, WebSocket state, reassembly buffer and reconnect timer. Lives as
/// long as the client; lws's per-connection user pointer points here.
///
/// The connection is a raw libwebsockets client (TCP and the event loop); for wss:// TLS runs over
/// it in memory (tls_client.hpp), and the WebSocket protocol on top is ours (ws_codec.hpp): the
/// upgrade, frames, ping and close.
struct feed_slot {
    lws_sorted_usec_list_t sul{}; // first member: the timer callback casts back to the slot
    feed_client* client = nullptr;
    lws_context* ctx = nullptr;
    feed_endpoint endpoint;
    ws_url url;
    std::string host_header;
    feed_handler* handler = nullptr;
    std::shared_ptr<const tls_trust> trust; ///< wss://: whom to trust; null when unusable
    std::string trust_problem;  ///< wss:// with a trust that could not be set up: never connect.
    std::unique_ptr<tls_session> tls;
    std::string plain;          // decrypted bytes of one read
    feed_connection conn;
    // The WebSocket on this connection.
    std::string ws_key;
    std::string reply_head;     // the upgrade reply, until its blank line
    ws::frame_reader reader;
    std::string wire;           // bytes for the socket at the next WRITEABLE
    bool closing = false;       // a close frame is queued or sent; data is ignored from now on
    bool hang_up = false;       // close the socket once `wire` is written
    bool drop_now = false;      // close the socket without waiting for anything
    bool ping_outstanding = false;
    std::chrono::steady_clock::time_point last_rx{};
    std::chrono::steady_clock::time_point upgrade_sent_at{};
    std::string partial;
    bool discarding = false;   // inside an oversized or binary message
    std::size_t discarded = 0; // its size so far
    frame_problem discard_kind = frame_problem::oversized;
    std::string discard_head;
    bool connected = false;
    bool connecting = false;
    bool paused = false; // reading stopped for backpressure (global or this source's)
    std::uint32_t failures = 0; // consecutive failed or short-lived connections
    close_info pending_close;
    std::minstd_rand rng{std::random_device{}()};

    void schedule_connect(lws_context* context, bool immediately);
    void connect_now(lws_context* context);
    /// Queues a frame for the socket and asks for a WRITEABLE callback.
    void queue_frame(ws::opcode op, std::string_view payload);
    /// Bytes for the node, through TLS when there is one; false when TLS failed.
    bool send_bytes(std::string_view bytes);
    /// Writes `wire` to the socket (lws buffers what the kernel does not take) and empties it.
    bool flush_wire(lws* wsi);
    /// Queues a close frame; the socket is closed once it is written.
    void start_close(std::uint16_t code, std::string_view reason, std::string report);
    /// Fails the connection now: a best-effort close frame, then the caller returns -1.
    void fail_now(lws* wsi, std::uint16_t code, std::string_view reason);
    /// The upgrade was accepted: the connection is open.
    void on_upgraded(lws* wsi);
    /// Bytes from the socket; false when the connection is to be dropped now.
    bool on_bytes(lws* wsi, std::string_view bytes);
    bool on_payload(std::string_view bytes, bool binary, bool first, bool last);
    bool on_control(ws::opcode op, std::string_view payload);

    /// What the frame reader finds goes to the slot. (A member rather than a base: the slot must
    /// stay without a vtable, since its first member is the timer lws hands back.)
    struct frames final : ws::frame_sink {
        feed_slot* slot = nullptr;
        bool on_payload(std::string_view bytes, bool binary, bool first, bool last) override {
            return slot->on_payload(bytes, binary, first, last);
        }
        bool on_control(ws::opcode op, std::string_view payload) override { return slot->on_control(op, payload); }
    } frames_sink;
    void reset_message() {
        partial.clear();
        discarding = false;
        discarded = 0;
        discard_head.clear();
    }
    void finish_close(const close_info& info);
    void tick(std::chrono::steady_clock::time_point now);
    static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) noexcept;
};

namespace {

constexpr std::size_t bad_frame_head_bytes = 4096;

/// A discarded message that grows past this is cut off with its connection: it bounds how long a
/// message whose FIN never comes can occupy a connection, while an ordinary oversized message (up
/// to 4x the limit, or 64 MiB over it for small limits) is still read to its end.
constexpr std::size_t discard_cutoff(std::size_t max_message_bytes) {
    return std::max(max_message_bytes * 4, max_message_bytes + (std::size_t{64} << 20U));
}

/// All zero: lws's own validity (ping/hang-up) timer stays off; tick() does keepalive.
const lws_retry_bo_t no_idle_policy{};

constexpr lws_usec_t tick_us = 1000 * LWS_US_PER_MS;

struct tick_timer {
    lws_sorted_usec_list_t sul{};
    feed_client* client = nullptr;
    std::vector<std::unique_ptr<feed_slot>>* slots = nullptr;
    lws_context* ctx = nullptr;
};

void on_reconnect_timer(lws_sorted_usec_list_t* sul) noexcept {
    auto* slot = reinterpret_cast<feed_slot*>(sul); // sul is the slot's first member
    try {
        slot->connect_now(slot->ctx);
    } catch (const std::exception& e) {
        spdlog::error("feed {}: reconnect failed: {}", slot->endpoint.name, e.what());
    }
}

void on_tick_timer(lws_sorted_usec_list_t* sul) noexcept {
    auto* t = reinterpret_cast<tick_timer*>(sul);
    const auto now = std::chrono::steady_clock::now();
    for (auto& slot : *t->slots) {
        slot->tick(now);
    }
    lws_sul_schedule(t->ctx, 0, &t->sul, on_tick_timer, tick_us);
}

} // namespace

void feed_slot::tick(std::chrono::steady_clock::time_point now) {
    if (!connected || conn.wsi_ == nullptr) {
        return; // the upgrade's deadline is an lws timeout set at RAW_CONNECTED
    }
    if (paused) {
        // Backpressure: nothing is read, so no keepalive answer can arrive; the connection is
        // kept valid (apply_requests) and judged again once reading resumes.
        return;
    }
    try {
        handler->on_tick(conn, now);
    } catch (const std::exception& e) {
        spdlog::error("feed {}: tick handler threw: {}", endpoint.name, e.what());
    }
    const auto stall = endpoint.stall_timeout;
    if (stall.count() > 0 && now - conn.last_message_ > stall) {
        spdlog::warn("feed {}: no message for {}s, reconnecting", endpoint.name, stall.count());
        conn.last_message_ = now; // once per stall
        conn.close("stalled");
    }
    if (closing) {
        return;
    }
    // Keepalive: a PING after ping_interval without a byte from the node; the connection is
    // dropped when hangup_timeout passes without one (any byte proves the node is there).
    const auto quiet = now - last_rx;
    if (quiet >= endpoint.hangup_timeout) {
        pending_close.code = ws::close_code::abnormal;
        pending_close.reason = fmt::format("nothing from the node for {}s, not even a pong (hangup_timeout)",
            std::chrono::duration_cast<std::chrono::seconds>(quiet).count());
        lws_set_timeout(conn.wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    } else if (quiet >= endpoint.ping_interval && !ping_outstanding) {
        ping_outstanding = true;
        queue_frame(ws::opcode::ping, {});
    }
}

bool feed_slot::send_bytes(std::string_view bytes) {
    if (!tls) {
        wire.append(bytes);
        return true;
    }
    if (tls->send(bytes, wire)) {
        return true;
    }
    spdlog::warn("feed {}: {}", endpoint.name, tls->error());
    pending_close.reason = tls->error();
    drop_now = true;
    return false;
}

void feed_slot::queue_frame(ws::opcode op, std::string_view payload) {
    send_bytes(ws::client_frame(op, payload));
    if (conn.wsi_ != nullptr) {
        lws_callback_on_writable(conn.wsi_);
    }
}

void feed_slot::start_close(std::uint16_t code, std::string_view reason, std::string report) {
    if (closing) {
        return;
    }
    closing = true;
    hang_up = true;
    pending_close.code = code;
    pending_close.reason = std::move(report);
    queue_frame(ws::opcode::close, ws::close_payload(code, reason));
    if (conn.wsi_ != nullptr) {
        // A node that never reads the close frame does not hold the connection open.
        lws_set_timeout(conn.wsi_, PENDING_TIMEOUT_CLOSE_SEND, 5);
    }
}

bool feed_slot::flush_wire(lws* wsi) {
    std::vector<unsigned char> buf(LWS_PRE + wire.size()); // lws_write wants LWS_PRE of headroom
    std::copy(wire.begin(), wire.end(), buf.begin() + LWS_PRE);
    const int n = lws_write(wsi, buf.data() + LWS_PRE, wire.size(), LWS_WRITE_RAW);
    const bool ok = n >= static_cast<int>(wire.size());
    wire.clear();
    return ok;
}

void feed_slot::fail_now(lws* wsi, std::uint16_t code, std::string_view reason) {
    pending_close.code = code;
    pending_close.reason = "closed by ledgertap: " + std::string{reason};
    if (connected && !closing) {
        // Best effort, outside WRITEABLE: the socket is closed right after, whatever happens.
        // What is already queued goes first: under TLS its records precede the close frame's.
        if (send_bytes(ws::client_frame(ws::opcode::close, ws::close_payload(code, reason)))) {
            (void)flush_wire(wsi);
        }
    }
    closing = true;
    drop_now = true;
}

void feed_slot::on_upgraded(lws* wsi) {
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    connecting = false;
    connected = true;
    conn.wsi_ = wsi;
    conn.messages_ = 0;
    conn.opened_at_ = std::chrono::system_clock::now();
    conn.last_message_ = std::chrono::steady_clock::now();
    last_rx = conn.last_message_;
    pending_close = {};
    reset_message();
    spdlog::info("feed {}: connected to {} (attempt {})", endpoint.name, endpoint.url, conn.attempt_);
    if (url.tls && endpoint.tls_insecure) {
        spdlog::warn("feed {}: connected to {} WITHOUT verifying its TLS certificate "
                     "(tls_insecure = true)", endpoint.name, endpoint.url);
    }
    handler->on_open(conn);
    if (paused) {
        lws_rx_flow_control(wsi, 0); // the writer is still behind
    }
    if (!conn.outbox_.empty()) {
        lws_callback_on_writable(wsi);
    }
}

bool feed_slot::on_bytes(lws* wsi, std::string_view bytes) {
    last_rx = std::chrono::steady_clock::now();
    ping_outstanding = false;
    if (!connected) {
        const std::size_t had = reply_head.size();
        reply_head.append(bytes.substr(0, ws::max_reply_head - std::min(had, ws::max_reply_head)));
        const auto reply = ws::read_upgrade_reply(reply_head, ws_key);
        if (reply.state == ws::upgrade_reply::status::incomplete) {
            return true;
        }
        if (reply.state == ws::upgrade_reply::status::refused) {
            pending_close.reason = reply.error;
            return false;
        }
        // Frames may follow the head in the same read.
        bytes.remove_prefix(reply.head_bytes - had);
        std::string().swap(reply_head);
        on_upgraded(wsi);
        if (conn.wsi_ == nullptr || bytes.empty()) {
            return true;
        }
    }
    switch (reader.feed(bytes, frames_sink)) {
    case ws::frame_reader::status::ok:
        return true;
    case ws::frame_reader::status::stopped:
        return !drop_now; // else a close answer is queued; WRITEABLE hangs up after it
    case ws::frame_reader::status::failed:
        spdlog::warn("feed {}: WebSocket protocol error from the node: {}", endpoint.name, reader.error());
        fail_now(wsi, ws::close_code::protocol_error, reader.error());
        return false;
    }
    return false;
}

bool feed_slot::on_payload(std::string_view bytes, bool binary, bool first, bool last) {
    if (closing) {
        return true; // after our close frame, only the node's close matters
    }
    conn.last_message_ = last_rx;
    if (first && binary) {
        discarding = true;
        discard_kind = frame_problem::binary;
    }
    if (discarding) {
        if (discard_head.size() < bad_frame_head_bytes) {
            discard_head.append(bytes.substr(0, bad_frame_head_bytes - discard_head.size()));
        }
        discarded += bytes.size();
        if (!last && discarded > discard_cutoff(endpoint.max_message_bytes)) {
            // A message this far over the limit may never end (continuation fragments without
            // FIN): report it with its size so far and drop the connection, so a hostile node
            // cannot hold the connection (and its CPU) forever.
            ++conn.messages_;
            handler->on_bad_frame(conn, discard_kind, discarded, discard_head);
            spdlog::warn("feed {}: a message passed {} bytes without ending (max_message_bytes = {}); "
                         "closing the connection",
                endpoint.name, discarded, endpoint.max_message_bytes);
            reset_message();
            fail_now(conn.wsi_, ws::close_code::too_big, "message too big and not ending");
            return false;
        }
    } else if (first && last && bytes.size() <= endpoint.max_message_bytes) {
        // The common case: a whole message in one read, handed on without a copy.
        ++conn.messages_;
        handler->on_message(conn, bytes);
        return true;
    } else if (partial.size() + bytes.size() > endpoint.max_message_bytes) {
        discarding = true;
        discard_kind = frame_problem::oversized;
        discarded = partial.size() + bytes.size();
        discard_head = partial.substr(0, bad_frame_head_bytes);
        if (discard_head.size() < bad_frame_head_bytes) {
            discard_head.append(bytes.substr(0, bad_frame_head_bytes - discard_head.size()));
        }
        std::string().swap(partial); // release the memory now
    } else {
        partial.append(bytes);
    }
    if (last) {
        ++conn.messages_;
        if (discarding) {
            handler->on_bad_frame(conn, discard_kind, discarded, discard_head);
        } else {
            handler->on_message(conn, partial);
        }
        reset_message();
        if (partial.capacity() > (std::size_t{1} << 20U)) {
            std::string().swap(partial); // don't keep a huge buffer around
        }
    }
    return true;
}

bool feed_slot::on_control(ws::opcode op, std::string_view payload) {
    switch (op) {
    case ws::opcode::ping:
        if (!closing) {
            queue_frame(ws::opcode::pong, payload);
        }
        return true;
    case ws::opcode::close: {
        close_info& ci = pending_close;
        if (closing) {
            drop_now = true; // the node answered our close: done
            return false;
        }
        if (payload.size() >= 2) {
            ci.code = static_cast<int>((static_cast<unsigned char>(payload[0]) << 8U)
                | static_cast<unsigned char>(payload[1]));
            ci.reason.assign(payload.substr(2));
        } else {
            ci.code = ws::close_code::no_status;
            ci.reason.clear();
        }
        // Answer with the same code (RFC 6455 §5.5.1), then hang up once it is written.
        closing = true;
        hang_up = true;
        queue_frame(ws::opcode::close, payload.substr(0, std::min<std::size_t>(payload.size(), 2)));
        return false;
    }
    default:
        return true; // pong: last_rx already says the node is there
    }
}

void feed_slot::schedule_connect(lws_context* context, bool immediately) {
    lws_usec_t delay = 0;
    if (!immediately) {
        // Full jitter: uniform in [0, min(cap, initial * 2^failures)].
        const auto initial = std::max<std::int64_t>(1, endpoint.reconnect_initial.count());
        const auto cap = std::max<std::int64_t>(initial, endpoint.reconnect_max.count());
        std::int64_t ceiling = initial;
        for (std::uint32_t i = 1; i < failures && ceiling < cap; ++i) {
            ceiling *= 2;
        }
        ceiling = std::min(ceiling, cap);
        std::uniform_int_distribution<std::int64_t> dist{ceiling / 4, ceiling};
        delay = static_cast<lws_usec_t>(dist(rng)) * LWS_US_PER_MS;
    }
    lws_sul_schedule(context, 0, &sul, on_reconnect_timer, delay);
}

void feed_slot::finish_close(const close_info& info) {
    const bool was_open = connected;
    connected = false;
    connecting = false;
    conn.wsi_ = nullptr;
    reset_message();
    close_info ci = info;
    ci.was_open = was_open;
    // A connection that stayed up a while resets the backoff.
    const auto up_for = std::chrono::system_clock::now() - conn.opened_at_;
    if (was_open && up_for > std::chrono::seconds{30}) {
        failures = 0;
    }
    ++failures;
    try {
        handler->on_close(conn, ci);
    } catch (const std::exception& e) {
        spdlog::error("feed {}: close handler threw: {}", endpoint.name, e.what());
    }
    conn.outbox_.clear();
    conn.close_requested_ = false;
    std::string().swap(wire);
    std::string().swap(reply_head);
    reader = {};
    tls.reset();
    std::string().swap(plain);
    closing = false;
    hang_up = false;
    drop_now = false;
    ping_outstanding = false;
}

void feed_slot::connect_now(lws_context* context) {
    if (connected || connecting || client->stopping_.load()) {
        return;
    }
    ++conn.attempt_;
    lws_client_connect_info info{};
    info.context = context;
    info.address = url.host.c_str();
    info.port = url.port;
    info.host = host_header.c_str();
    info.method = "RAW"; // the WebSocket on top is ours (ws_codec.hpp)
    info.local_protocol_name = "ledgertap-feed";
    info.userdata = this;
    info.pwsi = &conn.wsi_;
    info.retry_and_idle_policy = &no_idle_policy;
    info.ssl_connection = LCCSCF_PRIORITIZE_READS; // TLS, if any, is tls_session's
    if (url.tls && !trust) {
        // Fail closed: never fall back to another trust store than the one configured.
        close_info ci;
        ci.reason = trust_problem;
        spdlog::warn("feed {}: {}: {}", endpoint.name, endpoint.url, ci.reason);
        finish_close(ci);
        schedule_connect(context, false);
        return;
    }
    connecting = true;
    pending_close = {};
    if (lws_client_connect_via_info(&info) == nullptr) {
        // Failed early (e.g. DNS); CLIENT_CONNECTION_ERROR may or may not have been delivered.
        if (connecting) {
            connecting = false;
            close_info ci;
            ci.reason = "connect failed";
            finish_close(ci);
            schedule_connect(context, false);
        }
    }
}

int feed_slot::callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) noexcept {
    auto* slot = static_cast<feed_slot*>(user);
    if (slot == nullptr) {
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
    try {
        switch (reason) {
        case LWS_CALLBACK_RAW_CONNECTED: {
            // TCP (and TLS) is up: ask for the upgrade. The node has hangup_timeout to answer.
            slot->conn.wsi_ = wsi;
            slot->ws_key = ws::new_key();
            if (slot->url.tls) {
                slot->tls = std::make_unique<tls_session>(*slot->trust, slot->url.host);
                if (!slot->tls->start(slot->wire)) {
                    slot->pending_close.reason = slot->tls->error();
                    return -1;
                }
            }
            if (!slot->send_bytes(ws::upgrade_request(slot->host_header, slot->url.path, slot->ws_key))) {
                return -1;
            }
            slot->upgrade_sent_at = std::chrono::steady_clock::now();
            lws_set_timeout(wsi, PENDING_TIMEOUT_AWAITING_SERVER_RESPONSE,
                static_cast<int>(std::clamp<std::int64_t>(slot->endpoint.hangup_timeout.count(), 1, 3600)));
            lws_callback_on_writable(wsi);
            break;
        }
        case LWS_CALLBACK_RAW_RX: {
            if (slot->drop_now) {
                return -1;
            }
            std::string_view bytes{static_cast<const char*>(in), len};
            if (slot->tls) {
                slot->plain.clear();
                const std::size_t had = slot->wire.size();
                if (!slot->tls->receive(bytes, slot->plain, slot->wire)) {
                    slot->pending_close.reason = slot->tls->error();
                    if (slot->tls->certificate_problem()) {
                        slot->pending_close.reason += fmt::format(" (trusted CAs: {})",
                            slot->endpoint.tls_ca_file.empty() ? "the system store" : slot->endpoint.tls_ca_file);
                    }
                    return -1;
                }
                if (slot->wire.size() != had) {
                    lws_callback_on_writable(wsi);
                }
                if (slot->plain.empty()) {
                    break;
                }
                bytes = slot->plain;
            }
            if (!slot->on_bytes(wsi, bytes)) {
                return -1;
            }
            break;
        }
        case LWS_CALLBACK_RAW_WRITEABLE: {
            if (slot->drop_now) {
                return -1; // TLS failed while queueing
            }
            if (slot->conn.close_requested_ && !slot->closing) {
                const std::string& why = slot->conn.close_reason_;
                slot->start_close(ws::close_code::going_away, why, "closed by ledgertap: " + why);
            }
            if (slot->connected && !slot->closing) {
                for (const auto& msg : slot->conn.outbox_) {
                    if (!slot->send_bytes(ws::client_frame(ws::opcode::text, msg))) {
                        return -1;
                    }
                }
                slot->conn.outbox_.clear();
            }
            if (slot->wire.empty()) {
                return slot->hang_up ? -1 : 0; // our close frame (or answer) went out
            }
            if (!slot->flush_wire(wsi)) {
                slot->pending_close.reason = "write failed";
                return -1;
            }
            if (slot->hang_up) {
                lws_callback_on_writable(wsi); // after lws has flushed it, hang up
            }
            break;
        }
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
            close_info ci = slot->pending_close;
            ci.reason = in != nullptr ? std::string(static_cast<const char*>(in), len) : "connection error";
            if (ci.reason.empty()) {
                ci.reason = "connection error";
            }
            const bool was_connecting = slot->connecting || slot->connected;
            spdlog::warn("feed {}: {}: {}", slot->endpoint.name, slot->endpoint.url, ci.reason);
            if (was_connecting) {
                slot->finish_close(ci);
                slot->schedule_connect(lws_get_context(wsi), false);
            }
            break;
        }
        case LWS_CALLBACK_RAW_CLOSE: {
            if (!slot->connecting && !slot->connected) {
                break; // already reported as a connection error
            }
            close_info ci = slot->pending_close;
            if (ci.reason.empty() && !slot->connected) {
                const auto waited = std::chrono::steady_clock::now() - slot->upgrade_sent_at;
                ci.reason = waited >= slot->endpoint.hangup_timeout
                    ? fmt::format("no answer to the WebSocket upgrade within {}s (hangup_timeout)",
                          slot->endpoint.hangup_timeout.count())
                    : std::string{"the connection ended before the node answered the WebSocket upgrade"};
            } else if (ci.reason.empty() && ci.code == ws::close_code::abnormal) {
                ci.reason = "connection closed without a close frame";
            }
            if (slot->connected) {
                spdlog::warn("feed {}: disconnected ({} {})", slot->endpoint.name, ci.code, ci.reason);
            } else {
                spdlog::warn("feed {}: {}: {}", slot->endpoint.name, slot->endpoint.url, ci.reason);
            }
            slot->finish_close(ci);
            slot->schedule_connect(lws_get_context(wsi), false);
            break;
        }
        default:
            break;
        }
    } catch (const std::exception& e) {
        spdlog::error("feed {}: handler threw: {}", slot->endpoint.name, e.what());
    } catch (...) {
        spdlog::error("feed {}: handler threw a non-standard exception", slot->endpoint.name);
    }
    return 0;
}

namespace {

// EVENT_WAIT_CANCELLED needs no handling here: it ends the current lws_service() pass, and the
// service loop in run() then applies pause/resume and stop requests on this thread.
int context_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) noexcept {
    if (user != nullptr && reason != LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
        return feed_slot::callback(wsi, reason, user, in, len);
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const lws_protocols protocols[] = {
    {"ledgertap-feed", context_callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

void lws_log_to_spdlog(int level, const char* line) {
    std::string_view text{line};
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    if ((level & LLL_ERR) != 0) {
        spdlog::error("lws: {}", text);
    } else if ((level & LLL_WARN) != 0) {
        spdlog::debug("lws: {}", text);
    } else {
        spdlog::debug("lws: {}", text);
    }
}

} // namespace

feed_client::feed_client() = default;

feed_client::~feed_client() = default;

void feed_client::add(feed_endpoint endpoint, feed_handler& handler) {
    std::string error;
    auto url = parse_ws_url(endpoint.url, &error);
    if (!url) {
        throw std::invalid_argument("feed " + endpoint.name + ": bad URL '" + endpoint.url + "': " + error);
    }
    auto slot = std::make_unique<feed_slot>();
    slot->client = this;
    slot->endpoint = std::move(endpoint);
    slot->url = *url;
    const bool v6 = url->host.find(':') != std::string::npos;
    slot->host_header = v6 ? "[" + url->host + "]:" + std::to_string(url->port)
                           : url->host + ":" + std::to_string(url->port);
    slot->handler = &handler;
    slot->frames_sink.slot = slot.get();
    slot->conn.endpoint_ = &slot->endpoint;
    if (slot->endpoint.tls_insecure) {
        spdlog::warn("feed {}: TLS certificate verification is DISABLED (tls_insecure); "
                     "anyone on the path can impersonate the node", slot->endpoint.name);
    }
    if (url->tls) {
        // One OpenSSL context per trust (the system store, each CA file, insecure), shared.
        const std::string key = slot->endpoint.tls_insecure ? std::string{"\0insecure", 9} : slot->endpoint.tls_ca_file;
        auto& trust = trusts_[key];
        if (!trust) {
            try {
                trust = std::make_shared<const tls_trust>(
                    slot->endpoint.tls_insecure ? std::string{} : slot->endpoint.tls_ca_file,
                    slot->endpoint.tls_insecure);
            } catch (const std::exception& e) {
                slot->trust_problem = slot->endpoint.tls_ca_file.empty()
                    ? fmt::format("TLS: {}", e.what())
                    : fmt::format("TLS: the CA file '{}' (tls_ca_file) could not be loaded: {}",
                          slot->endpoint.tls_ca_file, e.what());
                spdlog::error("feed {}: {}; this source will not connect", slot->endpoint.name, slot->trust_problem);
                trusts_.erase(key);
            }
        }
        if (slot->trust_problem.empty()) {
            slot->trust = trust;
        }
    }
    slots_.push_back(std::move(slot));
}

namespace {

/// The source of a connection: its endpoint name without the shard suffix (`solana#1` -> `solana`).
std::string source_of(const std::string& endpoint_name) {
    return endpoint_name.substr(0, endpoint_name.find('#'));
}

} // namespace

void feed_client::apply_requests() {
    const bool global = paused_.load();
    const std::uint64_t generation = pause_generation_.load();
    if (global != applied_paused_ || generation != applied_generation_) {
        if (global != applied_paused_) {
            spdlog::info("feeds: {} reading (writer queue {})", global ? "paused" : "resumed",
                global ? "above high-water mark" : "drained");
        }
        applied_paused_ = global;
        applied_generation_ = generation;
        std::set<std::string> sources;
        {
            const std::lock_guard lock{pause_mutex_};
            sources = paused_sources_;
        }
        std::set<std::string> changed;
        for (auto& slot : slots_) {
            const bool own = sources.contains(source_of(slot->endpoint.name));
            const bool want = global || own;
            if (want == slot->paused) {
                continue;
            }
            slot->paused = want;
            if (slot->conn.wsi_ != nullptr && slot->connected) {
                lws_rx_flow_control(slot->conn.wsi_, want ? 0 : 1);
            }
            if (own || !want) {
                changed.insert(source_of(slot->endpoint.name));
            }
        }
        for (const auto& source : changed) {
            if (!global) {
                spdlog::info("feeds: {} reading {} (its share of the writer queue {}); other sources unaffected",
                    sources.contains(source) ? "paused" : "resumed", source,
                    sources.contains(source) ? "is full" : "drained");
            }
        }
    }
    // Paused connections are healthy; keep the keepalive (tick) from hanging them up.
    for (auto& slot : slots_) {
        if (slot->paused && slot->conn.wsi_ != nullptr && slot->connected) {
            slot->last_rx = slot->conn.last_message_ = std::chrono::steady_clock::now();
        }
    }
}

void feed_client::run() {
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_spdlog);
    lws_context_creation_info info{};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = this;
    info.fd_limit_per_thread = 64 + 4 * static_cast<unsigned>(slots_.size());
    lws_context* ctx = lws_create_context(&info);
    if (ctx == nullptr) {
        spdlog::error("feeds: could not create the libwebsockets context");
        return;
    }
    {
        const std::lock_guard lock{wake_mutex_};
        context_ = ctx;
    }
    running_.store(true);
    tick_timer tick;
    tick.client = this;
    tick.slots = &slots_;
    tick.ctx = ctx;
    lws_sul_schedule(ctx, 0, &tick.sul, on_tick_timer, tick_us);
    for (auto& slot : slots_) {
        slot->ctx = ctx;
        slot->schedule_connect(ctx, true);
    }
    while (!stopping_.load()) {
        apply_requests();
        if (lws_service(ctx, 0) < 0) {
            break;
        }
    }
    lws_sul_cancel(&tick.sul);
    for (auto& slot : slots_) {
        lws_sul_cancel(&slot->sul);
    }
    {
        // From here on stop() and set_paused() find no context to wake: none may touch it while
        // lws_context_destroy frees it (TSan saw stop()'s eventfd write race the close).
        const std::lock_guard lock{wake_mutex_};
        context_ = nullptr;
    }
    for (auto& slot : slots_) {
        slot->pending_close = {1001, "ledgertap shutting down", true};
    }
    // Closes every connection; CLIENT_CLOSED reaches the handlers while the slots still exist.
    lws_context_destroy(ctx);
    for (auto& slot : slots_) {
        if (slot->connected || slot->connecting) {
            close_info ci;
            ci.code = 1001;
            ci.reason = "ledgertap shutting down";
            slot->finish_close(ci);
        }
    }
    running_.store(false);
}

void feed_client::wake() noexcept {
    const std::lock_guard lock{wake_mutex_};
    if (context_ != nullptr) {
        lws_cancel_service(context_);
    }
}

void feed_client::stop() noexcept {
    stopping_.store(true);
    wake();
}

void feed_client::set_paused(bool paused) noexcept {
    if (paused_.exchange(paused) == paused) {
        return;
    }
    wake();
}

void feed_client::set_source_paused(const std::string& source, bool paused) {
    {
        const std::lock_guard lock{pause_mutex_};
        const bool changed = paused ? paused_sources_.insert(source).second : paused_sources_.erase(source) > 0;
        if (!changed) {
            return;
        }
    }
    pause_generation_.fetch_add(1);
    wake();
}

} // namespace ledgertap::ingest
