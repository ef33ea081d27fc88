#include "sim/server.hpp"

#include <libwebsockets.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <utility>
#include <vector>

namespace ledgertap::sim {

static_assert(frame_headroom >= LWS_PRE, "frame_headroom must cover LWS_PRE");

// ---- ws_frame ----------------------------------------------------------------------------------

ws_frame ws_frame::make(std::string_view payload, kind k) {
    std::string buffer = start_buffer(payload.size());
    buffer.append(payload);
    return adopt(std::move(buffer), k);
}

ws_frame ws_frame::adopt(std::string&& with_headroom, kind k) {
    ws_frame frame;
    if (with_headroom.size() < frame_headroom) {
        with_headroom.insert(0, frame_headroom - with_headroom.size(), '\0');
    }
    frame.storage_ = std::make_shared<std::string>(std::move(with_headroom));
    frame.kind_ = k;
    return frame;
}

std::string ws_frame::start_buffer(std::size_t payload_capacity) {
    std::string buffer;
    buffer.reserve(frame_headroom + payload_capacity);
    buffer.assign(frame_headroom, '\0');
    return buffer;
}

std::string_view ws_frame::payload() const {
    if (!storage_) {
        return {};
    }
    return std::string_view(*storage_).substr(frame_headroom);
}

unsigned char* ws_frame::writable_payload() const {
    if (!storage_) {
        return nullptr;
    }
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
    return reinterpret_cast<unsigned char*>(storage_->data()) + frame_headroom;
}

// ---- internals ---------------------------------------------------------------------------------

namespace {

constexpr std::size_t write_budget_frames = 64;
constexpr std::size_t write_budget_bytes = std::size_t{1} << 20;
constexpr std::size_t coalesce_bytes = std::size_t{256} * 1024;
constexpr std::size_t http_chunk_bytes = std::size_t{64} * 1024;
constexpr std::chrono::milliseconds shutdown_grace{500};

/// What lws keeps per connection: just the id of our own session object.
struct per_session {
    std::uint64_t id;
};

struct timer_node {
    lws_sorted_usec_list_t sul; // first member: the sul callback casts back to timer_node
    server::impl* owner;
    timer_id id;
};

void lws_log_to_spdlog(int level, const char* line) {
    std::string_view text(line == nullptr ? "" : line);
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

class session_impl;
struct http_session;

struct endpoint_state {
    bool is_ws = false;
    std::string name;
    std::uint16_t requested_port = 0;
    std::uint16_t actual_port = 0;
    ws_endpoint ws;
    http_endpoint http;
    lws_vhost* vhost = nullptr;
    std::array<lws_protocols, 2> protocols{};
    std::mt19937_64 rng;
    std::map<std::uint64_t, std::unique_ptr<session_impl>> sessions;
    std::map<std::uint64_t, std::unique_ptr<http_session>> http_sessions;
};

struct http_session {
    lws* wsi = nullptr;
    std::uint64_t id = 0;
    bool is_post = false;
    bool too_large = false;
    bool reply_ready = false;
    bool held = false; ///< reply computed, waiting for the configured delay
    bool headers_sent = false;
    std::string body;
    http_reply reply;
    std::size_t sent = 0;
};

class session_impl final : public ws_session {
public:
    session_impl(lws* wsi, endpoint_state* endpoint, std::uint64_t id)
      : wsi_(wsi)
      , endpoint_(endpoint)
      , id_(id) {}

    [[nodiscard]] std::uint64_t id() const override { return id_; }
    [[nodiscard]] const std::string& endpoint() const override { return endpoint_->name; }

    void send(ws_frame frame) override {
        if (closing_) {
            return;
        }
        queued_bytes_ += frame.size();
        queue_.push_back(item{item_kind::frame, std::move(frame), 0, {}});
        lws_callback_on_writable(wsi_);
    }

    void close(std::uint16_t code, std::string_view reason) override {
        if (closing_) {
            return;
        }
        closing_ = true;
        queue_.push_back(item{item_kind::close, {}, code, std::string(reason.substr(0, 120))});
        lws_callback_on_writable(wsi_);
    }

    void drop() override {
        if (closing_) {
            return;
        }
        closing_ = true;
        queue_.push_back(item{item_kind::drop, {}, 0, {}});
        lws_callback_on_writable(wsi_);
    }

    void abort() override {
        closing_ = true;
        aborted_ = true;
        queue_.clear();
        queued_bytes_ = 0;
        lws_callback_on_writable(wsi_);
    }

    void stop_reading() override {
        if (reading_stopped_) {
            return;
        }
        reading_stopped_ = true;
        lws_rx_flow_control(wsi_, 0);
    }

    void want_writable() override {
        want_writable_ = true;
        lws_callback_on_writable(wsi_);
    }

    [[nodiscard]] std::size_t queued_frames() const override { return queue_.size(); }
    [[nodiscard]] std::size_t queued_bytes() const override { return queued_bytes_; }
    [[nodiscard]] bool closing() const override { return closing_; }
    [[nodiscard]] bool last_message_binary() const override { return last_binary_; }

    /// LWS_CALLBACK_SERVER_WRITEABLE. Returns -1 to close the connection.
    int on_lws_writeable() {
        if (aborted_) {
            drop_socket();
            return -1;
        }
        std::size_t frames = 0;
        std::size_t bytes = 0;
        while (frames < write_budget_frames && bytes < write_budget_bytes) {
            if (queue_.empty() && want_writable_ && !closing_) {
                want_writable_ = false;
                call_handler([this] { endpoint_->ws.handler->on_writable(*this); });
                if (aborted_) {
                    drop_socket();
                    return -1;
                }
            }
            if (queue_.empty()) {
                break;
            }
            item& next = queue_.front();
            if (next.kind == item_kind::close) {
                lws_close_reason(
                    wsi_,
                    static_cast<lws_close_status>(next.code),
                    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
                    reinterpret_cast<unsigned char*>(next.reason.data()),
                    next.reason.size());
                return -1;
            }
            if (next.kind == item_kind::drop) {
                drop_socket();
                return -1;
            }
            if (queue_.size() >= 2 && queue_[1].kind == item_kind::frame) {
                // Several whole frames: frame them here and hand them to the kernel in one
                // write (one send() instead of one per frame, which dominated the firehose).
                const int result = write_coalesced(frames, bytes);
                if (result != 0) {
                    return result;
                }
                if (lws_partial_buffered(wsi_) != 0) {
                    break;
                }
                continue;
            }
            const std::size_t size = next.frame.size();
            const auto protocol
                = next.frame.type() == ws_frame::kind::binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT;
            const int written = lws_write(wsi_, next.frame.writable_payload(), size, protocol);
            if (written < 0 || static_cast<std::size_t>(written) < size) {
                spdlog::debug("sim: {} session {}: write failed", endpoint_->name, id_);
                return -1;
            }
            queued_bytes_ -= size;
            queue_.pop_front();
            ++frames;
            bytes += size;
            // A full socket shows up as a partially buffered write; checking for that alone
            // (rather than polling with lws_send_pipe_choked) saves a syscall per frame.
            if (lws_partial_buffered(wsi_) != 0) {
                break;
            }
        }
        if (!queue_.empty() || want_writable_) {
            lws_callback_on_writable(wsi_);
        }
        return 0;
    }

    /// LWS_CALLBACK_RECEIVE.
    void on_lws_receive(const char* data, std::size_t len) {
        if (reading_stopped_ || closing_) {
            return;
        }
        if (rx_.empty() && lws_is_first_fragment(wsi_) != 0) {
            rx_binary_ = lws_frame_is_binary(wsi_) != 0;
            rx_skipping_ = false;
        }
        const bool complete
            = lws_is_final_fragment(wsi_) != 0 && lws_remaining_packet_payload(wsi_) == 0;
        if (!rx_skipping_) {
            if (rx_.size() + len > endpoint_->ws.max_message_bytes) {
                rx_.clear();
                rx_.shrink_to_fit();
                rx_skipping_ = true;
                call_handler([this] { endpoint_->ws.handler->on_oversized(*this); });
            } else {
                rx_.append(data, len);
            }
        }
        if (!complete) {
            return;
        }
        if (rx_skipping_) {
            rx_skipping_ = false;
            return;
        }
        std::string message;
        message.swap(rx_);
        last_binary_ = rx_binary_;
        call_handler([this, &message] { endpoint_->ws.handler->on_message(*this, message); });
    }

    template<class F>
    void call_handler(F&& fn) {
        try {
            std::forward<F>(fn)();
        } catch (const std::exception& e) {
            spdlog::error("sim: {} session {}: handler threw: {}", endpoint_->name, id_, e.what());
            abort();
        } catch (...) {
            spdlog::error("sim: {} session {}: handler threw", endpoint_->name, id_);
            abort();
        }
    }

private:
    /// Writes the leading run of frames (bounded) as pre-framed bytes with LWS_WRITE_RAW.
    /// Server frames are unmasked: FIN + opcode, a 7/16/64-bit length, the payload.
    int write_coalesced(std::size_t& frames, std::size_t& bytes) {
        raw_.resize(LWS_PRE);
        std::size_t taken = 0;
        while (!queue_.empty() && queue_.front().kind == item_kind::frame
               && taken < write_budget_frames && raw_.size() < coalesce_bytes) {
            const ws_frame& frame = queue_.front().frame;
            const std::string_view payload = frame.payload();
            const std::size_t n = payload.size();
            raw_.push_back(static_cast<unsigned char>(
                0x80U | (frame.type() == ws_frame::kind::binary ? 0x2U : 0x1U)));
            if (n < 126) {
                raw_.push_back(static_cast<unsigned char>(n));
            } else if (n <= 0xffff) {
                raw_.push_back(126);
                raw_.push_back(static_cast<unsigned char>(n >> 8U));
                raw_.push_back(static_cast<unsigned char>(n & 0xffU));
            } else {
                raw_.push_back(127);
                for (int shift = 56; shift >= 0; shift -= 8) {
                    raw_.push_back(static_cast<unsigned char>(
                        (static_cast<std::uint64_t>(n) >> shift) & 0xffU));
                }
            }
            raw_.insert(raw_.end(), payload.begin(), payload.end());
            queued_bytes_ -= n;
            bytes += n;
            ++frames;
            ++taken;
            queue_.pop_front();
        }
        const std::size_t total = raw_.size() - LWS_PRE;
        const int written = lws_write(wsi_, raw_.data() + LWS_PRE, total, LWS_WRITE_RAW);
        if (written < 0 || static_cast<std::size_t>(written) < total) {
            spdlog::debug("sim: {} session {}: write failed", endpoint_->name, id_);
            return -1;
        }
        return 0;
    }

    enum class item_kind : std::uint8_t { frame, close, drop };
    struct item {
        item_kind kind;
        ws_frame frame;
        std::uint16_t code;
        std::string reason;
    };

    void drop_socket() {
        // Half-close our side first so no close frame can follow: the peer sees a bare EOF.
        const lws_sockfd_type fd = lws_get_socket_fd(wsi_);
        if (fd >= 0) {
            ::shutdown(fd, SHUT_RDWR);
        }
    }

    lws* wsi_;
    endpoint_state* endpoint_;
    std::uint64_t id_;
    std::deque<item> queue_;
    std::size_t queued_bytes_ = 0;
    std::string rx_;
    bool rx_binary_ = false;
    bool rx_skipping_ = false;
    bool last_binary_ = false;
    bool closing_ = false;
    bool aborted_ = false;
    bool reading_stopped_ = false;
    bool want_writable_ = false;
    std::vector<unsigned char> raw_; ///< coalescing buffer, LWS_PRE headroom first
};

// ---- server::impl ------------------------------------------------------------------------------

class server::impl {
public:
    explicit impl(std::string host)
      : host_(std::move(host)) {}
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    impl(impl&&) = delete;
    impl& operator=(impl&&) = delete;
    ~impl() {
        stop();
        wait();
    }

    endpoint_id add_endpoint(std::unique_ptr<endpoint_state> endpoint) {
        if (started_) {
            throw std::logic_error("sim::server: endpoints must be added before start()");
        }
        endpoints_.push_back(std::move(endpoint));
        return endpoints_.size() - 1;
    }

    void set_tls(tls_files files) {
        if (started_) {
            throw std::logic_error("sim::server: set_tls() must come before start()");
        }
        tls_ = std::move(files);
    }

    void start() {
        if (started_) {
            throw std::logic_error("sim::server: start() called twice");
        }
        started_ = true;
        // A peer that vanishes mid-write must not kill the simulator.
        std::signal(SIGPIPE, SIG_IGN); // NOLINT(cert-err33-c)
        lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_spdlog);

        lws_context_creation_info info{};
        info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
        if (tls_) {
            info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        }
        info.port = CONTEXT_PORT_NO_LISTEN;
        info.user = this;
        context_ = lws_create_context(&info);
        if (context_ == nullptr) {
            throw std::runtime_error("sim::server: lws_create_context failed");
        }
        for (auto& endpoint : endpoints_) {
            create_vhost(*endpoint);
        }
        {
            const std::lock_guard lock(mutex_);
            thread_running_ = true; // before the thread exists: running() is true from here on
            thread_ever_ran_ = true;
        }
        service_thread_ = std::thread([this] { run(); });
    }

    void stop() {
        stop_requested_.store(true);
        lws_context* context = nullptr;
        {
            const std::lock_guard lock(mutex_);
            context = thread_running_ ? context_ : nullptr;
        }
        if (context != nullptr) {
            lws_cancel_service(context);
        }
        if (!on_service_thread()) {
            wait();
        }
    }

    void wait() {
        if (on_service_thread()) {
            return;
        }
        const std::lock_guard lock(join_mutex_);
        if (service_thread_.joinable()) {
            service_thread_.join();
        }
        if (context_ != nullptr && !thread_ever_ran_) {
            destroy_context();
        }
    }

    [[nodiscard]] bool running() const {
        const std::lock_guard lock(mutex_);
        return thread_running_;
    }

    [[nodiscard]] std::uint16_t port(endpoint_id id) const {
        return id < endpoints_.size() ? endpoints_[id]->actual_port : 0;
    }

    [[nodiscard]] std::uint16_t port(std::string_view name) const {
        for (const auto& endpoint : endpoints_) {
            if (endpoint->name == name) {
                return endpoint->actual_port;
            }
        }
        return 0;
    }

    [[nodiscard]] std::size_t endpoint_count() const { return endpoints_.size(); }

    [[nodiscard]] const std::string& endpoint_name(endpoint_id id) const {
        static const std::string none;
        return id < endpoints_.size() ? endpoints_[id]->name : none;
    }

    void post(std::function<void()> fn) {
        lws_context* context = nullptr;
        {
            const std::lock_guard lock(mutex_);
            posted_.push_back(std::move(fn));
            context = thread_running_ ? context_ : nullptr;
        }
        if (context != nullptr) {
            lws_cancel_service(context);
        }
    }

    timer_id schedule(std::chrono::microseconds delay, std::function<void()> fn) {
        const timer_id id = next_timer_id_.fetch_add(1);
        if (on_service_thread()) {
            arm_timer(id, delay, std::move(fn));
        } else {
            post([this, id, delay, f = std::move(fn)]() mutable {
                arm_timer(id, delay, std::move(f));
            });
        }
        return id;
    }

    void cancel(timer_id id) {
        if (!on_service_thread()) {
            post([this, id] { cancel(id); });
            return;
        }
        const auto it = timers_.find(id);
        if (it == timers_.end()) {
            cancelled_before_armed_.push_back(id);
            return;
        }
        lws_sul_cancel(&it->second.node->sul);
        timers_.erase(it);
    }

    void for_each_session(endpoint_id id, const std::function<void(ws_session&)>& fn) {
        if (id >= endpoints_.size()) {
            return;
        }
        // Copy the ids first: fn may close sessions.
        std::vector<session_impl*> sessions;
        for (auto& [sid, session] : endpoints_[id]->sessions) {
            sessions.push_back(session.get());
        }
        for (auto* session : sessions) {
            fn(*session);
        }
    }

    [[nodiscard]] bool on_service_thread() const {
        return service_thread_id_.load() == std::this_thread::get_id();
    }

    // ---- lws callback --------------------------------------------------------------------------

    static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
        const lws_protocols* protocol = lws_get_protocol(wsi);
        if (protocol == nullptr || protocol->user == nullptr) {
            return lws_callback_http_dummy(wsi, reason, user, in, len);
        }
        auto* endpoint = static_cast<endpoint_state*>(protocol->user);
        auto* self = static_cast<impl*>(lws_context_user(lws_get_context(wsi)));
        auto* pss = static_cast<per_session*>(user);
        try {
            return endpoint->is_ws ? self->ws_callback(*endpoint, wsi, reason, pss, in, len)
                                   : self->http_callback(*endpoint, wsi, reason, pss, in, len);
        } catch (const std::exception& e) {
            spdlog::error("sim: {}: callback failed: {}", endpoint->name, e.what());
        } catch (...) {
            spdlog::error("sim: {}: callback failed", endpoint->name);
        }
        return -1;
    }

private:
    void create_vhost(endpoint_state& endpoint) {
        endpoint.protocols[0].name = endpoint.is_ws ? "ledgertap-sim-ws" : "http";
        endpoint.protocols[0].callback = &impl::callback;
        endpoint.protocols[0].per_session_data_size = sizeof(per_session);
        endpoint.protocols[0].rx_buffer_size = 0;
        endpoint.protocols[0].user = &endpoint;
        endpoint.protocols[1] = lws_protocols{};

        lws_context_creation_info info{};
        info.port = endpoint.requested_port;
        info.iface = host_.empty() ? nullptr : host_.c_str();
        info.protocols = endpoint.protocols.data();
        info.vhost_name = endpoint.name.c_str();
        if (host_.find(':') == std::string::npos && !host_.empty()) {
            info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
        }
        if (tls_) {
            // lws 4.1 looks for this flag in the vhost's options too, else the vhost is plain.
            info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
            info.ssl_cert_filepath = tls_->cert_file.c_str();
            info.ssl_private_key_filepath = tls_->key_file.c_str();
            // The endpoints speak HTTP/1.1 (the WebSocket upgrade and the RPC POSTs); without
            // this ALPN would offer h2 to curl.
            info.alpn = "http/1.1";
        }
        endpoint.vhost = lws_create_vhost(context_, &info);
        if (endpoint.vhost == nullptr) {
            if (tls_) {
                throw std::runtime_error(
                    "sim::server: cannot listen with TLS on " + host_ + ":"
                    + std::to_string(endpoint.requested_port) + " for " + endpoint.name
                    + " (is the port free, and are " + tls_->cert_file + " and " + tls_->key_file
                    + " a matching PEM certificate and key?)");
            }
            throw std::runtime_error(
                "sim::server: cannot listen on " + host_ + ":"
                + std::to_string(endpoint.requested_port) + " for " + endpoint.name);
        }
        const int port = lws_get_vhost_listen_port(endpoint.vhost);
        if (port <= 0 || port > 65535) {
            throw std::runtime_error("sim::server: no listen port for " + endpoint.name);
        }
        endpoint.actual_port = static_cast<std::uint16_t>(port);
        spdlog::info("sim: {} listening on {}:{}{}", endpoint.name, host_, endpoint.actual_port,
            tls_ ? " (TLS)" : "");
    }

    void run() {
        service_thread_id_.store(std::this_thread::get_id());
        drain_posted();
        bool stopping = false;
        std::chrono::steady_clock::time_point deadline{};
        while (true) {
            if (lws_service(context_, 0) < 0) {
                spdlog::error("sim: lws_service failed; stopping");
                break;
            }
            drain_posted();
            if (!stopping && stop_requested_.load()) {
                stopping = true;
                deadline = std::chrono::steady_clock::now() + shutdown_grace;
                begin_shutdown();
            }
            if (stopping) {
                if (open_ws_sessions() == 0 || std::chrono::steady_clock::now() >= deadline) {
                    break;
                }
            }
        }
        {
            const std::lock_guard lock(mutex_);
            thread_running_ = false;
        }
        destroy_context();
        service_thread_id_.store(std::thread::id{});
    }

    void begin_shutdown() {
        for (auto& endpoint : endpoints_) {
            for (auto& [id, session] : endpoint->sessions) {
                session->close(1000, "Shutting down");
            }
        }
        // Wake the loop when the grace period ends even if nothing else happens.
        arm_timer(
            next_timer_id_.fetch_add(1), shutdown_grace + std::chrono::milliseconds(10), [] {});
    }

    [[nodiscard]] std::size_t open_ws_sessions() const {
        std::size_t count = 0;
        for (const auto& endpoint : endpoints_) {
            count += endpoint->sessions.size();
        }
        return count;
    }

    void destroy_context() {
        if (context_ == nullptr) {
            return;
        }
        lws_context_destroy(context_);
        context_ = nullptr;
        timers_.clear();
        for (auto& endpoint : endpoints_) {
            endpoint->http_sessions.clear();
        }
    }

    void drain_posted() {
        while (true) {
            std::deque<std::function<void()>> batch;
            {
                const std::lock_guard lock(mutex_);
                batch.swap(posted_);
            }
            if (batch.empty()) {
                return;
            }
            for (auto& fn : batch) {
                try {
                    fn();
                } catch (const std::exception& e) {
                    spdlog::error("sim: posted task threw: {}", e.what());
                }
            }
        }
    }

    struct timer_entry {
        std::unique_ptr<timer_node> node;
        std::function<void()> fn;
    };

    void arm_timer(timer_id id, std::chrono::microseconds delay, std::function<void()> fn) {
        const auto cancelled
            = std::find(cancelled_before_armed_.begin(), cancelled_before_armed_.end(), id);
        if (cancelled != cancelled_before_armed_.end()) {
            cancelled_before_armed_.erase(cancelled);
            return;
        }
        if (context_ == nullptr) {
            return;
        }
        auto node = std::make_unique<timer_node>();
        node->owner = this;
        node->id = id;
        timer_node* raw = node.get();
        timers_[id] = timer_entry{std::move(node), std::move(fn)};
        lws_sul_schedule(
            context_,
            0,
            &raw->sul,
            &impl::timer_fired,
            std::max<lws_usec_t>(1, static_cast<lws_usec_t>(delay.count())));
    }

    static void timer_fired(lws_sorted_usec_list_t* sul) {
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
        auto* node = reinterpret_cast<timer_node*>(sul);
        impl* self = node->owner;
        const auto it = self->timers_.find(node->id);
        if (it == self->timers_.end()) {
            return;
        }
        std::function<void()> fn = std::move(it->second.fn);
        self->timers_.erase(it); // frees node
        try {
            fn();
        } catch (const std::exception& e) {
            spdlog::error("sim: timer threw: {}", e.what());
        }
    }

    // ---- WebSocket endpoints
    // ---------------------------------------------------------------------

    int ws_callback(
        endpoint_state& endpoint,
        lws* wsi,
        lws_callback_reasons reason,
        per_session* pss,
        void* in,
        size_t len) {
        switch (reason) {
        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
            if (stop_requested_.load()) {
                return 1;
            }
            return endpoint.ws.handler->accept_connection() ? 0 : 1;
        }
        case LWS_CALLBACK_ESTABLISHED: {
            const std::uint64_t id = next_session_id_++;
            pss->id = id;
            auto session = std::make_unique<session_impl>(wsi, &endpoint, id);
            session_impl* raw = session.get();
            endpoint.sessions.emplace(id, std::move(session));
            raw->call_handler([&endpoint, raw] { endpoint.ws.handler->on_open(*raw); });
            return 0;
        }
        case LWS_CALLBACK_RECEIVE: {
            session_impl* session = find_session(endpoint, pss);
            if (session != nullptr) {
                session->on_lws_receive(static_cast<const char*>(in), len);
            }
            return 0;
        }
        case LWS_CALLBACK_SERVER_WRITEABLE: {
            session_impl* session = find_session(endpoint, pss);
            return session == nullptr ? 0 : session->on_lws_writeable();
        }
        case LWS_CALLBACK_CLOSED: {
            const auto it
                = pss == nullptr ? endpoint.sessions.end() : endpoint.sessions.find(pss->id);
            if (it == endpoint.sessions.end()) {
                return 0;
            }
            std::unique_ptr<session_impl> session = std::move(it->second);
            endpoint.sessions.erase(it);
            session->call_handler(
                [&endpoint, &session] { endpoint.ws.handler->on_close(*session); });
            return 0;
        }
        case LWS_CALLBACK_HTTP:
            // A plain HTTP request on a WebSocket port: nothing to serve.
            return lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, nullptr) != 0
                       ? -1
                       : (lws_http_transaction_completed(wsi) != 0 ? -1 : 0);
        default:
            return lws_callback_http_dummy(wsi, reason, pss, in, len);
        }
    }

    static session_impl* find_session(endpoint_state& endpoint, per_session* pss) {
        if (pss == nullptr) {
            return nullptr;
        }
        const auto it = endpoint.sessions.find(pss->id);
        return it == endpoint.sessions.end() ? nullptr : it->second.get();
    }

    // ---- HTTP endpoints
    // --------------------------------------------------------------------------

    int http_callback(
        endpoint_state& endpoint,
        lws* wsi,
        lws_callback_reasons reason,
        per_session* pss,
        void* in,
        size_t len) {
        switch (reason) {
        case LWS_CALLBACK_HTTP: {
            const std::uint64_t id = next_session_id_++;
            pss->id = id;
            auto session = std::make_unique<http_session>();
            session->wsi = wsi;
            session->id = id;
            session->is_post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
            http_session* raw = session.get();
            endpoint.http_sessions[id] = std::move(session);
            if (!raw->is_post) {
                prepare_reply(endpoint, *raw);
                return 0;
            }
            std::array<char, 32> length_text{};
            const int n = lws_hdr_copy(
                wsi,
                length_text.data(),
                static_cast<int>(length_text.size()),
                WSI_TOKEN_HTTP_CONTENT_LENGTH);
            if (n > 0 && std::string_view(length_text.data(), static_cast<std::size_t>(n)) == "0") {
                prepare_reply(endpoint, *raw);
            }
            return 0;
        }
        case LWS_CALLBACK_HTTP_BODY: {
            http_session* session = find_http(endpoint, pss);
            if (session == nullptr || session->reply_ready) {
                return 0;
            }
            if (session->body.size() + len > endpoint.http.max_body_bytes) {
                session->too_large = true;
                session->body.clear();
                return 0;
            }
            if (!session->too_large) {
                session->body.append(static_cast<const char*>(in), len);
            }
            return 0;
        }
        case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
            http_session* session = find_http(endpoint, pss);
            if (session != nullptr && !session->reply_ready) {
                prepare_reply(endpoint, *session);
            }
            return 0;
        }
        case LWS_CALLBACK_HTTP_WRITEABLE: {
            http_session* session = find_http(endpoint, pss);
            if (session == nullptr || !session->reply_ready || session->held) {
                return 0;
            }
            return write_reply(wsi, *session);
        }
        case LWS_CALLBACK_CLOSED_HTTP:
        case LWS_CALLBACK_HTTP_DROP_PROTOCOL: {
            if (pss != nullptr) {
                endpoint.http_sessions.erase(pss->id);
            }
            return lws_callback_http_dummy(wsi, reason, pss, in, len);
        }
        default:
            return lws_callback_http_dummy(wsi, reason, pss, in, len);
        }
    }

    static http_session* find_http(endpoint_state& endpoint, per_session* pss) {
        if (pss == nullptr) {
            return nullptr;
        }
        const auto it = endpoint.http_sessions.find(pss->id);
        return it == endpoint.http_sessions.end() ? nullptr : it->second.get();
    }

    void prepare_reply(endpoint_state& endpoint, http_session& session) {
        const http_endpoint& config = endpoint.http;
        try {
            if (!session.is_post) {
                session.reply = config.not_post_reply;
            } else if (session.too_large) {
                session.reply
                    = http_reply{413, R"({"error": "Request too large"})", "application/json"};
            } else if (
                config.error_rate > 0.0 && config.error_reply
                && static_cast<double>(endpoint.rng() >> 11) * 0x1.0p-53 < config.error_rate) {
                session.reply = config.error_reply(session.body);
            } else if (config.handler) {
                session.reply = config.handler(session.body);
            } else {
                session.reply = http_reply{404, "", "text/plain"};
            }
        } catch (const std::exception& e) {
            spdlog::error("sim: {}: handler threw: {}", endpoint.name, e.what());
            session.reply
                = http_reply{500, R"({"error": "Internal server error"})", "application/json"};
        }
        session.body.clear();
        session.reply_ready = true;
        if (config.delay.count() > 0) {
            const std::uint64_t id = session.id;
            endpoint_state* ep = &endpoint;
            arm_timer(
                next_timer_id_.fetch_add(1),
                std::chrono::duration_cast<std::chrono::microseconds>(config.delay),
                [ep, id] {
                    const auto it = ep->http_sessions.find(id);
                    if (it != ep->http_sessions.end()) {
                        it->second->held = false;
                        lws_callback_on_writable(it->second->wsi);
                    }
                });
            session.held = true;
            return;
        }
        lws_callback_on_writable(session.wsi);
    }

    int write_reply(lws* wsi, http_session& session) {
        if (!session.headers_sent) {
            std::array<unsigned char, LWS_PRE + 1024> header{};
            unsigned char* start = header.data() + LWS_PRE;
            unsigned char* p = start;
            unsigned char* end = header.data() + header.size() - 1;
            const char* type = session.reply.content_type.c_str();
            if (lws_add_http_common_headers(
                    wsi,
                    static_cast<unsigned int>(session.reply.status),
                    type,
                    static_cast<lws_filepos_t>(session.reply.body.size()),
                    &p,
                    end)
                != 0) {
                return -1;
            }
            static constexpr std::string_view close_value = "close";
            if (lws_add_http_header_by_token(
                    wsi,
                    WSI_TOKEN_CONNECTION,
                    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
                    reinterpret_cast<const unsigned char*>(close_value.data()),
                    static_cast<int>(close_value.size()),
                    &p,
                    end)
                != 0) {
                return -1;
            }
            if (lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
                return -1;
            }
            session.headers_sent = true;
            if (session.reply.body.empty()) {
                return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
            }
            lws_callback_on_writable(wsi);
            return 0;
        }
        const std::size_t remaining = session.reply.body.size() - session.sent;
        const std::size_t chunk = std::min(remaining, http_chunk_bytes);
        std::vector<unsigned char> buffer(LWS_PRE + chunk);
        std::memcpy(buffer.data() + LWS_PRE, session.reply.body.data() + session.sent, chunk);
        const bool last = chunk == remaining;
        const int written = lws_write(
            wsi, buffer.data() + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        if (written < 0 || static_cast<std::size_t>(written) < chunk) {
            return -1;
        }
        session.sent += chunk;
        if (last) {
            return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
        }
        lws_callback_on_writable(wsi);
        return 0;
    }

    std::string host_;
    std::optional<tls_files> tls_;
    std::vector<std::unique_ptr<endpoint_state>> endpoints_;
    lws_context* context_ = nullptr;
    bool started_ = false;
    std::thread service_thread_;
    std::atomic<std::thread::id> service_thread_id_{};
    std::atomic<bool> stop_requested_{false};
    mutable std::mutex mutex_; // posted_, thread_running_, thread_ever_ran_
    std::mutex join_mutex_;
    std::deque<std::function<void()>> posted_;
    bool thread_running_ = false;
    bool thread_ever_ran_ = false;
    std::atomic<timer_id> next_timer_id_{1};
    std::map<timer_id, timer_entry> timers_;
    std::vector<timer_id> cancelled_before_armed_;
    std::uint64_t next_session_id_ = 1;
};

// ---- server ------------------------------------------------------------------------------------

server::server(std::string host)
  : impl_(std::make_unique<impl>(std::move(host))) {}

server::~server() = default;

endpoint_id server::add(ws_endpoint endpoint) {
    if (endpoint.handler == nullptr) {
        throw std::invalid_argument(
            "sim::server: ws endpoint " + endpoint.name + " has no handler");
    }
    auto state = std::make_unique<endpoint_state>();
    state->is_ws = true;
    state->name = endpoint.name;
    state->requested_port = endpoint.port;
    state->ws = std::move(endpoint);
    return impl_->add_endpoint(std::move(state));
}

endpoint_id server::add(http_endpoint endpoint) {
    auto state = std::make_unique<endpoint_state>();
    state->is_ws = false;
    state->name = endpoint.name;
    state->requested_port = endpoint.port;
    state->rng.seed(endpoint.error_seed);
    state->http = std::move(endpoint);
    return impl_->add_endpoint(std::move(state));
}

void server::set_tls(tls_files files) {
    impl_->set_tls(std::move(files));
}

void server::start() {
    impl_->start();
}
void server::stop() {
    impl_->stop();
}
void server::wait() {
    impl_->wait();
}
bool server::running() const {
    return impl_->running();
}
std::uint16_t server::port(endpoint_id id) const {
    return impl_->port(id);
}
std::uint16_t server::port(std::string_view name) const {
    return impl_->port(name);
}
std::size_t server::endpoint_count() const {
    return impl_->endpoint_count();
}
const std::string& server::endpoint_name(endpoint_id id) const {
    return impl_->endpoint_name(id);
}
void server::post(std::function<void()> fn) {
    impl_->post(std::move(fn));
}

timer_id server::schedule(std::chrono::microseconds delay, std::function<void()> fn) {
    return impl_->schedule(delay, std::move(fn));
}

void server::cancel(timer_id id) {
    impl_->cancel(id);
}

void server::for_each_session(endpoint_id id, const std::function<void(ws_session&)>& fn) {
    impl_->for_each_session(id, fn);
}

bool server::on_service_thread() const {
    return impl_->on_service_thread();
}

} // namespace ledgertap::sim
