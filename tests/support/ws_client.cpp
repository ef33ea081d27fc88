#include "tests/support/ws_client.hpp"

#include <libwebsockets.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ledgertap::test {

class ws_client::impl {
public:
    impl(const std::string& host, std::uint16_t port, std::chrono::milliseconds connect_timeout) {
        protocols_[0].name = "ledgertap-test-client";
        protocols_[0].callback = &impl::callback;
        protocols_[0].per_session_data_size = 0;
        protocols_[0].rx_buffer_size = 0;
        protocols_[1] = lws_protocols{};

        lws_context_creation_info info{};
        info.port = CONTEXT_PORT_NO_LISTEN;
        info.protocols = protocols_.data();
        info.user = this;
        lws_set_log_level(LLL_ERR, nullptr);
        context_ = lws_create_context(&info);
        if (context_ == nullptr) {
            fail_connect();
            return;
        }
        host_ = host;
        host_header_ = host + ":" + std::to_string(port);
        lws_client_connect_info ci{};
        ci.context = context_;
        ci.address = host_.c_str();
        ci.port = port;
        ci.path = "/";
        ci.host = host_header_.c_str();
        ci.origin = host_header_.c_str();
        ci.protocol = nullptr;
        ci.local_protocol_name = protocols_[0].name;
        ci.pwsi = &wsi_;
        if (lws_client_connect_via_info(&ci) == nullptr) {
            fail_connect();
        }
        thread_ = std::thread([this] {
            while (!stop_.load()) {
                if (lws_service(context_, 0) < 0) {
                    break;
                }
            }
        });
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, connect_timeout, [this] { return established_ || close_.closed; });
        if (!established_ && !close_.closed) {
            close_.closed = true;
            close_.connect_failed = true;
        }
    }

    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    impl(impl&&) = delete;
    impl& operator=(impl&&) = delete;

    ~impl() {
        stop_.store(true);
        if (context_ != nullptr) {
            lws_cancel_service(context_);
        }
        if (thread_.joinable()) {
            thread_.join();
        }
        if (context_ != nullptr) {
            lws_context_destroy(context_);
        }
    }

    [[nodiscard]] bool connected() const {
        const std::lock_guard lock(mutex_);
        return established_ && !close_.closed;
    }

    void send(std::string data, bool binary) {
        {
            const std::lock_guard lock(mutex_);
            outbox_.push_back(ws_message{std::move(data), binary});
        }
        lws_cancel_service(context_);
    }

    std::optional<ws_message> next(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, timeout, [this] { return !inbox_.empty() || close_.closed; });
        if (inbox_.empty()) {
            return std::nullopt;
        }
        ws_message m = std::move(inbox_.front());
        inbox_.pop_front();
        return m;
    }

    bool wait_closed(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [this] { return close_.closed; });
    }

    [[nodiscard]] ws_close_info close_info() const {
        const std::lock_guard lock(mutex_);
        return close_;
    }

    void set_count_only(bool count_only) { count_only_.store(count_only); }
    [[nodiscard]] std::uint64_t messages() const { return messages_.load(); }
    [[nodiscard]] std::uint64_t bytes() const { return bytes_.load(); }

private:
    void fail_connect() {
        const std::lock_guard lock(mutex_);
        close_.closed = true;
        close_.connect_failed = true;
        cv_.notify_all();
    }

    static int callback(
        lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
        lws_context* context = lws_get_context(wsi);
        auto* self = context == nullptr ? nullptr : static_cast<impl*>(lws_context_user(context));
        if (self == nullptr) {
            return 0;
        }
        return self->handle(wsi, reason, in, len);
    }

    int handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len) {
        switch (reason) {
        case LWS_CALLBACK_CLIENT_ESTABLISHED: {
            const std::lock_guard lock(mutex_);
            established_ = true;
            live_wsi_ = wsi;
            cv_.notify_all();
            return 0;
        }
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
            const std::lock_guard lock(mutex_);
            close_.closed = true;
            close_.connect_failed = !established_;
            live_wsi_ = nullptr;
            cv_.notify_all();
            return 0;
        }
        case LWS_CALLBACK_CLIENT_RECEIVE: {
            if (rx_.empty() && lws_is_first_fragment(wsi) != 0) {
                rx_binary_ = lws_frame_is_binary(wsi) != 0;
            }
            if (!count_only_.load()) {
                rx_.append(static_cast<const char*>(in), len);
            }
            rx_bytes_ += len;
            if (lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0) {
                messages_.fetch_add(1);
                bytes_.fetch_add(rx_bytes_);
                rx_bytes_ = 0;
                if (!count_only_.load()) {
                    const std::lock_guard lock(mutex_);
                    inbox_.push_back(ws_message{std::move(rx_), rx_binary_});
                    rx_.clear();
                    cv_.notify_all();
                }
            }
            return 0;
        }
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
            const std::lock_guard lock(mutex_);
            close_.close_frame = true;
            const auto* bytes = static_cast<const unsigned char*>(in);
            if (len >= 2) {
                close_.code = static_cast<std::uint16_t>((bytes[0] << 8U) | bytes[1]);
                // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
                close_.reason.assign(reinterpret_cast<const char*>(bytes) + 2, len - 2);
            }
            return 0;
        }
        case LWS_CALLBACK_CLIENT_CLOSED:
        case LWS_CALLBACK_CLOSED: {
            const std::lock_guard lock(mutex_);
            close_.closed = true;
            live_wsi_ = nullptr;
            cv_.notify_all();
            return 0;
        }
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
            const std::lock_guard lock(mutex_);
            if (live_wsi_ != nullptr && !outbox_.empty()) {
                lws_callback_on_writable(live_wsi_);
            }
            return 0;
        }
        case LWS_CALLBACK_CLIENT_WRITEABLE: {
            ws_message m;
            bool more = false;
            {
                const std::lock_guard lock(mutex_);
                if (outbox_.empty()) {
                    return 0;
                }
                m = std::move(outbox_.front());
                outbox_.pop_front();
                more = !outbox_.empty();
            }
            std::vector<unsigned char> buffer(LWS_PRE + m.data.size());
            std::memcpy(buffer.data() + LWS_PRE, m.data.data(), m.data.size());
            const int n = lws_write(
                wsi,
                buffer.data() + LWS_PRE,
                m.data.size(),
                m.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
            if (n < static_cast<int>(m.data.size())) {
                return -1;
            }
            if (more) {
                lws_callback_on_writable(wsi);
            }
            return 0;
        }
        default:
            return 0;
        }
    }

    std::array<lws_protocols, 2> protocols_{};
    lws_context* context_ = nullptr;
    lws* wsi_ = nullptr;
    lws* live_wsi_ = nullptr;
    std::string host_;
    std::string host_header_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    bool established_ = false;
    ws_close_info close_;
    std::deque<ws_message> inbox_;
    std::deque<ws_message> outbox_;
    std::string rx_;
    bool rx_binary_ = false;
    std::size_t rx_bytes_ = 0;
    std::atomic<bool> count_only_{false};
    std::atomic<std::uint64_t> messages_{0};
    std::atomic<std::uint64_t> bytes_{0};
};

ws_client::ws_client(
    const std::string& host, std::uint16_t port, std::chrono::milliseconds connect_timeout)
  : impl_(std::make_unique<impl>(host, port, connect_timeout)) {}

ws_client::~ws_client() = default;

bool ws_client::connected() const {
    return impl_->connected();
}
void ws_client::send_text(std::string text) {
    impl_->send(std::move(text), false);
}
void ws_client::send_binary(std::string data) {
    impl_->send(std::move(data), true);
}

std::optional<ws_message> ws_client::next(std::chrono::milliseconds timeout) {
    return impl_->next(timeout);
}

std::optional<ws_message> ws_client::next_containing(
    const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            return std::nullopt;
        }
        auto m = impl_->next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
        if (!m) {
            return std::nullopt;
        }
        if (!m->binary && m->data.find(needle) != std::string::npos) {
            return m;
        }
    }
}

std::vector<ws_message> ws_client::collect(std::chrono::milliseconds window) {
    std::vector<ws_message> out;
    const auto deadline = std::chrono::steady_clock::now() + window;
    while (true) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            return out;
        }
        auto m = impl_->next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
        if (!m) {
            if (impl_->close_info().closed) {
                return out;
            }
            continue;
        }
        out.push_back(std::move(*m));
    }
}

bool ws_client::wait_closed(std::chrono::milliseconds timeout) {
    return impl_->wait_closed(timeout);
}
ws_close_info ws_client::close_info() const {
    return impl_->close_info();
}
void ws_client::set_count_only(bool count_only) {
    impl_->set_count_only(count_only);
}
std::uint64_t ws_client::messages_received() const {
    return impl_->messages();
}
std::uint64_t ws_client::bytes_received() const {
    return impl_->bytes();
}

} // namespace ledgertap::test
