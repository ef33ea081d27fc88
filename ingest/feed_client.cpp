#include "ingest/feed_client.hpp"

#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
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

/// One endpoint: its connection, reassembly buffer and reconnect timer. Lives as long as the
/// client; lws's per-connection user pointer points here.
struct feed_slot {
    lws_sorted_usec_list_t sul{}; // first member: the timer callback casts back to the slot
    feed_client* client = nullptr;
    lws_context* ctx = nullptr;
    feed_endpoint endpoint;
    ws_url url;
    std::string host_header;
    feed_handler* handler = nullptr;
    lws_vhost* vhost = nullptr; ///< Client vhost trusting endpoint.tls_ca_file; null = default.
    bool ca_unusable = false;   ///< tls_ca_file set but not loadable: never connect.
    feed_connection conn;
    lws_retry_bo_t idle_policy{};
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

/// Why the peer's certificate was refused, when that is why a TLS connection attempt failed.
/// lws's own error text ("connect SSL err 1: ...") does not say; OpenSSL's verify result does.
std::optional<std::string> certificate_problem(lws* wsi) {
    auto* ssl = static_cast<SSL*>(wsi != nullptr ? lws_get_ssl(wsi) : nullptr);
    if (ssl == nullptr) {
        return std::nullopt;
    }
    const long result = SSL_get_verify_result(ssl);
    if (result == X509_V_OK) {
        return std::nullopt;
    }
    return std::string{X509_verify_cert_error_string(result)};
}
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
        return;
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
    info.path = url.path.c_str();
    info.host = host_header.c_str();
    info.origin = host_header.c_str();
    info.protocol = nullptr;
    info.local_protocol_name = "ledgertap-feed";
    info.userdata = this;
    info.pwsi = &conn.wsi_;
    info.retry_and_idle_policy = &idle_policy;
    info.vhost = vhost; // null: the context's default vhost (the system CA store)
    info.ssl_connection = LCCSCF_PRIORITIZE_READS;
    if (url.tls) {
        info.ssl_connection |= LCCSCF_USE_SSL;
        if (endpoint.tls_insecure) {
            // ALLOW_SELFSIGNED alone still refuses a certificate from an unknown CA;
            // ALLOW_INSECURE accepts that too.
            info.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_ALLOW_INSECURE
                | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
        }
    }
    if (ca_unusable) {
        // Fail closed: never fall back to another trust store than the one configured.
        close_info ci;
        ci.reason = "TLS: the CA file '" + endpoint.tls_ca_file + "' (tls_ca_file) could not be loaded";
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
        case LWS_CALLBACK_CLIENT_ESTABLISHED: {
            slot->connecting = false;
            slot->connected = true;
            slot->conn.wsi_ = wsi;
            slot->conn.messages_ = 0;
            slot->conn.opened_at_ = std::chrono::system_clock::now();
            slot->conn.last_message_ = std::chrono::steady_clock::now();
            slot->reset_message();
            spdlog::info("feed {}: connected to {} (attempt {})", slot->endpoint.name,
                slot->endpoint.url, slot->conn.attempt_);
            if (slot->url.tls && slot->endpoint.tls_insecure) {
                spdlog::warn("feed {}: connected to {} WITHOUT verifying its TLS certificate "
                             "(tls_insecure = true)", slot->endpoint.name, slot->endpoint.url);
            }
            slot->handler->on_open(slot->conn);
            if (slot->paused) {
                lws_rx_flow_control(wsi, 0); // the writer is still behind
            }
            if (!slot->conn.outbox_.empty()) {
                lws_callback_on_writable(wsi);
            }
            break;
        }
        case LWS_CALLBACK_CLIENT_RECEIVE: {
            slot->conn.last_message_ = std::chrono::steady_clock::now();
            const bool first = lws_is_first_fragment(wsi) != 0 && slot->partial.empty() && !slot->discarding;
            const bool final = lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0;
            const auto* data = static_cast<const char*>(in);
            if (first && lws_frame_is_binary(wsi) != 0) {
                slot->discarding = true;
                slot->discard_kind = frame_problem::binary;
            }
            if (slot->discarding) {
                if (slot->discard_head.size() < bad_frame_head_bytes) {
                    slot->discard_head.append(data, std::min(len, bad_frame_head_bytes - slot->discard_head.size()));
                }
                slot->discarded += len;
                if (!final && slot->discarded > discard_cutoff(slot->endpoint.max_message_bytes)) {
                    // A message this far over the limit may never end (continuation fragments
                    // without FIN): report it with its size so far and drop the connection, so a
                    // hostile node cannot hold the connection (and its CPU) forever.
                    ++slot->conn.messages_;
                    slot->handler->on_bad_frame(slot->conn, slot->discard_kind, slot->discarded, slot->discard_head);
                    spdlog::warn("feed {}: a message passed {} bytes without ending (max_message_bytes = {}); "
                                 "closing the connection",
                        slot->endpoint.name, slot->discarded, slot->endpoint.max_message_bytes);
                    slot->pending_close.code = 1009;
                    slot->pending_close.reason = "closed by ledgertap: message too big and not ending";
                    slot->reset_message();
                    return -1;
                }
            } else if (slot->partial.size() + len > slot->endpoint.max_message_bytes) {
                slot->discarding = true;
                slot->discard_kind = frame_problem::oversized;
                slot->discarded = slot->partial.size() + len;
                slot->discard_head = slot->partial.substr(0, bad_frame_head_bytes);
                std::string().swap(slot->partial); // release the memory now
            } else {
                slot->partial.append(data, len);
            }
            if (final) {
                ++slot->conn.messages_;
                if (slot->discarding) {
                    slot->handler->on_bad_frame(slot->conn, slot->discard_kind, slot->discarded, slot->discard_head);
                } else {
                    slot->handler->on_message(slot->conn, slot->partial);
                }
                slot->reset_message();
                if (slot->partial.capacity() > (std::size_t{1} << 20U)) {
                    std::string().swap(slot->partial); // don't keep a huge buffer around
                }
            }
            break;
        }
        case LWS_CALLBACK_CLIENT_WRITEABLE: {
            if (slot->conn.close_requested_) {
                const std::string& why = slot->conn.close_reason_;
                lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY,
                    reinterpret_cast<unsigned char*>(const_cast<char*>(why.data())),
                    std::min<std::size_t>(why.size(), 120));
                slot->pending_close.code = 1001;
                slot->pending_close.reason = "closed by ledgertap: " + why;
                return -1;
            }
            if (slot->conn.outbox_.empty()) {
                break;
            }
            std::string& msg = slot->conn.outbox_.front();
            std::vector<unsigned char> buf(LWS_PRE + msg.size());
            std::copy(msg.begin(), msg.end(), buf.begin() + LWS_PRE);
            const int n = lws_write(wsi, buf.data() + LWS_PRE, msg.size(), LWS_WRITE_TEXT);
            if (n < static_cast<int>(msg.size())) {
                slot->pending_close.reason = "write failed";
                return -1;
            }
            slot->conn.outbox_.pop_front();
            if (!slot->conn.outbox_.empty()) {
                lws_callback_on_writable(wsi);
            }
            break;
        }
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
            const auto* p = static_cast<const unsigned char*>(in);
            if (len >= 2) {
                slot->pending_close.code = (p[0] << 8) | p[1];
                slot->pending_close.reason.assign(reinterpret_cast<const char*>(p) + 2, len - 2);
            }
            break;
        }
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
            close_info ci = slot->pending_close;
            ci.reason = in != nullptr ? std::string(static_cast<const char*>(in), len) : "connection error";
            if (ci.reason.empty()) {
                ci.reason = "connection error";
            }
            if (slot->url.tls) {
                if (auto why = certificate_problem(wsi)) {
                    ci.reason = fmt::format("TLS certificate verification failed: {} (trusted CAs: {})", *why,
                        slot->endpoint.tls_ca_file.empty() ? "the system store" : slot->endpoint.tls_ca_file);
                }
            }
            const bool was_connecting = slot->connecting || slot->connected;
            spdlog::warn("feed {}: {}: {}", slot->endpoint.name, slot->endpoint.url, ci.reason);
            if (was_connecting) {
                slot->finish_close(ci);
                slot->schedule_connect(lws_get_context(wsi), false);
            }
            break;
        }
        case LWS_CALLBACK_CLIENT_CLOSED: {
            close_info ci = slot->pending_close;
            if (ci.reason.empty() && ci.code == 1006) {
                ci.reason = "connection closed without a close frame";
            }
            spdlog::warn("feed {}: disconnected ({} {})", slot->endpoint.name, ci.code, ci.reason);
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
        spdlog::warn("lws: {}", text);
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
    slot->conn.endpoint_ = &slot->endpoint;
    slot->idle_policy.secs_since_valid_ping = static_cast<uint16_t>(
        std::clamp<std::int64_t>(slot->endpoint.ping_interval.count(), 1, 65535));
    slot->idle_policy.secs_since_valid_hangup = static_cast<uint16_t>(
        std::clamp<std::int64_t>(slot->endpoint.hangup_timeout.count(), 2, 65535));
    if (slot->endpoint.tls_insecure) {
        spdlog::warn("feed {}: TLS certificate verification is DISABLED (tls_insecure); "
                     "anyone on the path can impersonate the node", slot->endpoint.name);
    }
    slots_.push_back(std::move(slot));
}

lws_vhost* feed_client::ca_vhost(lws_context* ctx, const std::string& ca_file) {
    const auto found = ca_vhosts_.find(ca_file);
    if (found != ca_vhosts_.end()) {
        return found->second;
    }
    // lws keeps one client TLS context per vhost, so each CA file gets a client-only vhost.
    const std::string name = "ledgertap-ca-" + std::to_string(ca_vhosts_.size() + 1);
    lws_context_creation_info info{};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.vhost_name = name.c_str();
    info.client_ssl_ca_filepath = ca_file.c_str();
    lws_vhost* vh = lws_create_vhost(ctx, &info);
    if (vh == nullptr) {
        spdlog::error("feeds: cannot use the CA file '{}' (tls_ca_file): not readable as PEM "
                      "certificates; its sources will not connect", ca_file);
    }
    ca_vhosts_.emplace(ca_file, vh);
    return vh;
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
    // Paused connections are healthy; keep lws's hang-up timer from firing.
    for (auto& slot : slots_) {
        if (slot->paused && slot->conn.wsi_ != nullptr && slot->connected) {
            lws_validity_confirmed(slot->conn.wsi_);
            slot->conn.last_message_ = std::chrono::steady_clock::now();
        }
    }
}

void feed_client::run() {
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_spdlog);
    lws_context_creation_info info{};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
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
        if (slot->url.tls && !slot->endpoint.tls_insecure && !slot->endpoint.tls_ca_file.empty()) {
            slot->vhost = ca_vhost(ctx, slot->endpoint.tls_ca_file);
            slot->ca_unusable = slot->vhost == nullptr;
        }
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
    ca_vhosts_.clear(); // they died with the context
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
