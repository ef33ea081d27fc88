#pragma once

// A plain libwebsockets WebSocket client for integration tests: its own lws context and service
// thread, complete (reassembled) messages delivered to the test thread through a queue, and a
// record of how the connection ended (close frame or not). libwebsockets stays out of this header.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ledgertap::test {

struct ws_message {
    std::string data;
    bool binary = false;
};

/// How a connection ended, as seen by the client.
struct ws_close_info {
    bool closed = false;      ///< the connection is gone
    bool close_frame = false; ///< the peer sent a close frame before it went
    std::uint16_t code = 0;   ///< close code from the frame (0 without one)
    std::string reason;
    bool connect_failed = false; ///< the connection (or the handshake) never succeeded
};

/// Lifecycle: the constructor connects and waits for the handshake (check connected()); every
/// method may be called from the test thread; the destructor closes and joins.
class ws_client {
public:
    ws_client(
        const std::string& host,
        std::uint16_t port,
        std::chrono::milliseconds connect_timeout = std::chrono::seconds(5));
    ws_client(const ws_client&) = delete;
    ws_client& operator=(const ws_client&) = delete;
    ws_client(ws_client&&) = delete;
    ws_client& operator=(ws_client&&) = delete;
    ~ws_client();

    [[nodiscard]] bool connected() const;
    void send_text(std::string text);
    void send_binary(std::string data);

    /// The next complete message, or nullopt when none arrives in time (or the connection ended
    /// and the queue is empty).
    [[nodiscard]] std::optional<ws_message> next(std::chrono::milliseconds timeout);
    /// The next text message whose payload contains `needle` (others are discarded).
    [[nodiscard]] std::optional<ws_message> next_containing(
        const std::string& needle, std::chrono::milliseconds timeout);
    /// Every message that arrives within `window`.
    [[nodiscard]] std::vector<ws_message> collect(std::chrono::milliseconds window);

    /// Waits until the connection is gone.
    [[nodiscard]] bool wait_closed(std::chrono::milliseconds timeout);
    [[nodiscard]] ws_close_info close_info() const;

    /// Count messages without storing them (throughput measurement).
    void set_count_only(bool count_only);
    [[nodiscard]] std::uint64_t messages_received() const;
    [[nodiscard]] std::uint64_t bytes_received() const;

    class impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace ledgertap::test
