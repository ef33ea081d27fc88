#pragma once

// The simulator's network core: one libwebsockets context on one service thread, serving several
// listening vhosts (one per port). Each vhost is either a WebSocket endpoint (driven by a
// ws_handler) or an HTTP JSON-RPC endpoint (driven by an http_handler). Node logic (Nano, Solana)
// plugs in through these two interfaces and runs entirely on the service thread. libwebsockets
// stays out of this header (pimpl).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ledgertap::sim {

/// Bytes reserved in front of every outbound WebSocket payload for the frame header
/// (>= LWS_PRE; checked in server.cpp).
inline constexpr std::size_t frame_headroom = 16;

/// One outbound WebSocket message, stored with `frame_headroom` bytes in front of the payload so
/// libwebsockets can write the frame header in place without a copy. Cheap to copy (shared
/// storage): the same frame may be queued on many sessions.
class ws_frame {
public:
    enum class kind : std::uint8_t { text, binary };

    ws_frame() = default;
    /// Copies `payload` once into storage with headroom.
    [[nodiscard]] static ws_frame make(std::string_view payload, kind k = kind::text);
    /// Adopts a buffer built as `ws_frame::start_buffer()` + payload (no copy).
    [[nodiscard]] static ws_frame adopt(std::string&& with_headroom, kind k = kind::text);
    /// An empty string holding exactly `frame_headroom` placeholder bytes; append the payload.
    [[nodiscard]] static std::string start_buffer(std::size_t payload_capacity = 0);

    [[nodiscard]] std::string_view payload() const;
    [[nodiscard]] std::size_t size() const { return payload().size(); }
    [[nodiscard]] kind type() const { return kind_; }
    /// Pointer to the first payload byte; frame_headroom writable bytes precede it.
    [[nodiscard]] unsigned char* writable_payload() const;

private:
    std::shared_ptr<std::string> storage_;
    kind kind_ = kind::text;
};

/// One accepted WebSocket connection. Owned by the server; a reference handed to a ws_handler is
/// valid from on_open until on_close returns. Every method must be called on the service thread.
/// Outbound items (frames, a close, a drop) are processed strictly in the order queued, one per
/// writeable event, so TCP backpressure is honoured.
class ws_session {
public:
    ws_session() = default;
    ws_session(const ws_session&) = delete;
    ws_session& operator=(const ws_session&) = delete;
    ws_session(ws_session&&) = delete;
    ws_session& operator=(ws_session&&) = delete;
    virtual ~ws_session() = default;

    /// Unique per server run, starting at 1.
    [[nodiscard]] virtual std::uint64_t id() const = 0;
    /// Name of the endpoint that accepted it ("nano_ws", ...).
    [[nodiscard]] virtual const std::string& endpoint() const = 0;

    virtual void send(ws_frame frame) = 0;
    void send_text(std::string_view payload) {
        send(ws_frame::make(payload, ws_frame::kind::text));
    }
    void send_binary(std::string_view payload) {
        send(ws_frame::make(payload, ws_frame::kind::binary));
    }
    /// After everything queued before it: send a close frame with `code`/`reason`, then close.
    virtual void close(std::uint16_t code, std::string_view reason) = 0;
    /// After everything queued before it: drop the TCP connection without a close frame.
    virtual void drop() = 0;
    /// Now: discard the queue and drop the TCP connection without a close frame.
    virtual void abort() = 0;
    /// Stop reading from the socket (nothing more reaches on_message); writes continue.
    virtual void stop_reading() = 0;
    /// Ask for one on_writable callback once the outbound queue is empty and the socket can take
    /// more (pull model for the firehose). Re-arm from inside on_writable to keep pulling.
    virtual void want_writable() = 0;

    [[nodiscard]] virtual std::size_t queued_frames() const = 0;
    [[nodiscard]] virtual std::size_t queued_bytes() const = 0;
    /// True once a close/drop/abort has been requested; further sends are discarded.
    [[nodiscard]] virtual bool closing() const = 0;
    /// Was the last message given to on_message a binary message?
    [[nodiscard]] virtual bool last_message_binary() const = 0;
};

/// Node logic for one WebSocket endpoint. All callbacks run on the service thread and must not
/// throw (exceptions are caught, logged, and the session is aborted).
class ws_handler {
public:
    ws_handler() = default;
    ws_handler(const ws_handler&) = delete;
    ws_handler& operator=(const ws_handler&) = delete;
    ws_handler(ws_handler&&) = delete;
    ws_handler& operator=(ws_handler&&) = delete;
    virtual ~ws_handler() = default;

    /// Called when a TCP connection arrives, before the handshake; false closes it at once
    /// (outage windows).
    [[nodiscard]] virtual bool accept_connection() { return true; }
    virtual void on_open(ws_session& session) = 0;
    /// One complete, reassembled message (text or binary; see last_message_binary()).
    virtual void on_message(ws_session& session, std::string_view message) = 0;
    /// The queue drained after want_writable(); queue more now.
    virtual void on_writable(ws_session& session) { (void)session; }
    /// A message exceeded the endpoint's max_message_bytes. Default: stop reading and drop the
    /// connection once queued writes drain (what a Nano node does).
    virtual void on_oversized(ws_session& session) {
        session.stop_reading();
        session.drop();
    }
    virtual void on_close(ws_session& session) = 0;
};

struct http_reply {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
};

/// Node logic for one HTTP endpoint: the POST body in, the reply out. Runs on the service thread;
/// must not throw (an exception becomes a 500 reply).
using http_handler = std::function<http_reply(std::string_view body)>;

struct ws_endpoint {
    std::string name;       ///< key in the ports file, e.g. "nano_ws"
    std::uint16_t port = 0; ///< 0 = let the kernel pick; read the real one with server::port()
    ws_handler* handler = nullptr; ///< not owned; must outlive server::stop()
    std::size_t max_message_bytes = std::size_t{16} * 1024 * 1024; ///< inbound limit
};

struct http_endpoint {
    std::string name;       ///< key in the ports file, e.g. "nano_rpc"
    std::uint16_t port = 0; ///< 0 = let the kernel pick
    http_handler handler;
    /// Answer every request this much later (without blocking the service thread).
    std::chrono::milliseconds delay{0};
    /// Fraction of requests answered by `error_reply` instead of `handler` (seeded, reproducible).
    double error_rate = 0.0;
    http_handler error_reply;
    std::uint64_t error_seed = 1;
    /// Reply to anything but POST (the body passed is empty).
    http_reply not_post_reply{405, R"({"error": "Can only POST requests"})", "application/json"};
    std::size_t max_body_bytes = std::size_t{32} * 1024 * 1024;
};

/// PEM files for serving TLS: every endpoint of a server then speaks wss:// or https:// only.
struct tls_files {
    std::string cert_file; ///< server certificate (chain), PEM
    std::string key_file;  ///< its private key, PEM, unencrypted
};

using endpoint_id = std::size_t;
using timer_id = std::uint64_t;

/// The libwebsockets server. Lifecycle: construct, add endpoints, start() (binds every port and
/// starts the service thread; throws std::runtime_error when a bind fails), then stop() from any
/// thread (idempotent; sends close 1000 "Shutting down" to every WebSocket session, waits briefly,
/// destroys the context and joins). Every ws_handler/http_handler callback and every timer runs on
/// the service thread; ws_handler::on_close is delivered for every session before stop() returns,
/// so handlers must outlive stop(). post(), schedule(), cancel() and stop() are thread-safe.
class server {
public:
    explicit server(std::string host = "127.0.0.1");
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    server(server&&) = delete;
    server& operator=(server&&) = delete;
    ~server();

    /// Before start() only.
    endpoint_id add(ws_endpoint endpoint);
    endpoint_id add(http_endpoint endpoint);
    /// Before start() only: serve TLS on every endpoint (HTTP/1.1 only, no h2). start() throws
    /// std::runtime_error when the files cannot be loaded.
    void set_tls(tls_files files);

    void start();
    void stop();
    /// Blocks until the service thread has exited (after stop(), or a fatal service error).
    void wait();
    [[nodiscard]] bool running() const;

    /// Listening port of an endpoint (valid after start()); 0 if unknown.
    [[nodiscard]] std::uint16_t port(endpoint_id id) const;
    [[nodiscard]] std::uint16_t port(std::string_view name) const;
    [[nodiscard]] std::size_t endpoint_count() const;
    [[nodiscard]] const std::string& endpoint_name(endpoint_id id) const;

    /// Runs `fn` on the service thread soon (never inline).
    void post(std::function<void()> fn);
    /// Runs `fn` once on the service thread after `delay`. The id stays valid until it fires.
    timer_id schedule(std::chrono::microseconds delay, std::function<void()> fn);
    void cancel(timer_id id);

    /// Service thread only: every open session of a WebSocket endpoint.
    void for_each_session(endpoint_id id, const std::function<void(ws_session&)>& fn);
    [[nodiscard]] bool on_service_thread() const;

    class impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace ledgertap::sim
