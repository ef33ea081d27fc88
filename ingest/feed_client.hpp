#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct lws_context; // <libwebsockets.h> stays out of our headers.
struct lws;

namespace ledgertap::ingest {
class tls_trust;
}

namespace ledgertap::ingest {

/// A parsed `ws://` / `wss://` URL. IPv6 literals may be written in brackets (`ws://[::1]:7078`).
struct ws_url {
    bool tls = false;
    std::string host; ///< Without brackets, as getaddrinfo wants it.
    int port = 0;
    std::string path = "/";
};

/// Parses a WebSocket URL; nullopt with `error` set when it is not one.
[[nodiscard]] std::optional<ws_url> parse_ws_url(std::string_view text, std::string* error = nullptr);

struct feed_endpoint {
    std::string name; ///< Source name ("nano", "solana"), for logs, metrics and tables.
    std::string url;  ///< ws:// or wss://
    std::size_t max_message_bytes = std::size_t{16} << 20U; ///< Larger messages are rejected.
    std::chrono::seconds ping_interval{20};   ///< WebSocket PING after this long without traffic.
    std::chrono::seconds hangup_timeout{60};  ///< Close when the peer proves nothing for this long.
    std::chrono::seconds stall_timeout{0};    ///< Reconnect when no message arrives (0 = off).
    std::chrono::milliseconds reconnect_initial{250};
    std::chrono::milliseconds reconnect_max{30000};
    bool tls_insecure = false; ///< Accept any certificate. Loudly logged. Tests only.
    /// wss://: PEM file of the CAs to trust instead of the system store; empty = system store.
    std::string tls_ca_file;
};

/// Why a connection ended, as seen by the client.
struct close_info {
    int code = 1006; ///< WebSocket close code; 1006 when the socket ended without a close frame.
    std::string reason;
    bool was_open = false; ///< False when the connection attempt itself failed.
};

/// Why a frame was not handed to the handler as a message.
enum class frame_problem {
    binary,   ///< A binary message; both nodes only send text.
    oversized ///< Over max_message_bytes; the rest of it was discarded.
};

/// The client's view of one live connection, passed to the handler on the service thread.
/// Valid only inside handler callbacks.
class feed_connection {
public:
    /// Queues a text message; written when the socket is writeable.
    void send(std::string text);
    /// Closes the connection (1001 going away, with `reason`); the client then reconnects.
    void close(std::string reason);

    [[nodiscard]] const feed_endpoint& endpoint() const noexcept { return *endpoint_; }
    /// Increases with every connection attempt of this endpoint.
    [[nodiscard]] std::uint64_t attempt() const noexcept { return attempt_; }
    [[nodiscard]] std::uint64_t messages_received() const noexcept { return messages_; }
    [[nodiscard]] std::chrono::system_clock::time_point opened_at() const noexcept { return opened_at_; }
    [[nodiscard]] std::chrono::steady_clock::time_point last_message_at() const noexcept { return last_message_; }
    /// Messages queued by send() and not yet written, and whether close() was asked for: what a
    /// handler did, for tests that drive one on a connection without a socket.
    [[nodiscard]] const std::deque<std::string>& outbox() const noexcept { return outbox_; }
    [[nodiscard]] bool close_requested() const noexcept { return close_requested_; }
    [[nodiscard]] const std::string& close_reason() const noexcept { return close_reason_; }

private:
    friend class feed_client;
    friend struct feed_slot;
    const feed_endpoint* endpoint_ = nullptr;
    std::deque<std::string> outbox_;
    std::uint64_t attempt_ = 0;
    std::uint64_t messages_ = 0;
    std::chrono::system_clock::time_point opened_at_{};
    std::chrono::steady_clock::time_point last_message_{};
    bool close_requested_ = false;
    std::string close_reason_;
    lws* wsi_ = nullptr;
};

/// The protocol of one source on top of a connection: subscribe, decode, keep alive.
/// Every call happens on the feed client's service thread; none may block for long.
class feed_handler {
public:
    feed_handler() = default;
    feed_handler(const feed_handler&) = delete;
    feed_handler& operator=(const feed_handler&) = delete;
    feed_handler(feed_handler&&) = delete;
    feed_handler& operator=(feed_handler&&) = delete;
    virtual ~feed_handler() = default;

    /// The connection is established: send the subscriptions.
    virtual void on_open(feed_connection& conn) = 0;
    /// One complete, reassembled text message.
    virtual void on_message(feed_connection& conn, std::string_view text) = 0;
    /// A frame that is not a message we take (binary or oversized); `head` is its first bytes.
    virtual void on_bad_frame(feed_connection& conn, frame_problem problem, std::size_t size,
        std::string_view head) = 0;
    /// The connection ended (or the attempt failed). A reconnect follows with backoff.
    virtual void on_close(feed_connection& conn, const close_info& info) = 0;
    /// About once a second while connected (application keepalive, ack timeouts).
    virtual void on_tick(feed_connection& conn, std::chrono::steady_clock::time_point now) = 0;
};

struct feed_slot; // one endpoint's connection state; defined in the .cpp

/// WebSocket client for every configured node feed, on one libwebsockets context and one thread.
///
/// Lifecycle: construct with the endpoints and their handlers (which must outlive the client),
/// call run() on a dedicated thread, call stop() or set_paused() from any thread, then destroy.
/// Each endpoint reconnects forever with exponential backoff and full jitter, reset after a
/// connection stayed up; run() never throws. libwebsockets is single-threaded: the thread-safe
/// calls only record a request and wake the loop with lws_cancel_service(), and the loop applies
/// it (warmcat/libwebsockets READMEs/README.coding.md). The connections are lws raw client
/// sockets; the WebSocket protocol on them (ws_codec.hpp) and TLS for wss:// (tls_client.hpp) are
/// ours. A frame that breaks RFC 6455 fails its connection with close 1002; the node's close code
/// and reason are reported in close_info.
///
/// Messages are reassembled from fragments up to each endpoint's limit; a larger message is
/// discarded as it streams in (memory stays bounded) and reported through on_bad_frame, and the
/// connection carries on; one that grows past max(4 x the limit, the limit + 64 MiB) without
/// ending (e.g. continuation fragments whose FIN never comes) is reported with its size so far and
/// its connection closed (1009), then reconnected with backoff. Backpressure: set_paused(true) stops reading every socket
/// (lws_rx_flow_control), so TCP pushes back on the node; paused connections are kept valid so the
/// hang-up timer does not fire while the database catches up.
class feed_client {
public:
    feed_client();
    ~feed_client();
    feed_client(const feed_client&) = delete;
    feed_client& operator=(const feed_client&) = delete;
    feed_client(feed_client&&) = delete;
    feed_client& operator=(feed_client&&) = delete;

    /// Adds an endpoint; call before run(). Throws std::invalid_argument for a bad URL.
    void add(feed_endpoint endpoint, feed_handler& handler);

    /// Blocks, servicing the connections, until stop() is called. Connections are closed and
    /// every handler has seen on_close() when it returns.
    void run();

    /// Thread-safe.
    void stop() noexcept;

    /// Thread-safe. Backpressure from the writer queue: every connection.
    void set_paused(bool paused) noexcept;
    /// Thread-safe. Backpressure for one source (feed_endpoint::name up to '#', so every shard of
    /// it): its share of the writer queue is full. Other sources keep reading.
    void set_source_paused(const std::string& source, bool paused);

    /// Thread-safe; true while run() is servicing.
    [[nodiscard]] bool running() const noexcept { return running_.load(); }

private:
    friend struct feed_slot;
    void apply_requests();

    std::vector<std::unique_ptr<feed_slot>> slots_;
    /// wss:// trust, shared by the endpoints that configure the same: by tls_ca_file ("" = the
    /// system store), and one for tls_insecure.
    std::map<std::string, std::shared_ptr<const tls_trust>> trusts_;
    /// Wakes lws_service from another thread (stop, set_paused), holding wake_mutex_ so that the
    /// service thread cannot destroy the context between the load and lws_cancel_service.
    void wake() noexcept;

    std::mutex wake_mutex_;
    lws_context* context_ = nullptr; ///< Guarded by wake_mutex_; set while the context lives.
    std::atomic<bool> stopping_{false};
    std::atomic<bool> paused_{false};
    std::atomic<bool> running_{false};
    std::mutex pause_mutex_;
    std::set<std::string> paused_sources_; ///< Guarded by pause_mutex_.
    std::atomic<std::uint64_t> pause_generation_{0}; ///< Bumped by set_source_paused.
    // Service thread only:
    bool applied_paused_ = false;
    std::uint64_t applied_generation_ = 0;
};

} // namespace ledgertap::ingest
