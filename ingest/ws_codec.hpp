#pragma once

// The client side of RFC 6455 as pure functions and one incremental parser: the opening
// handshake, the frames a server sends, and the masked frames a client sends. feed_client runs it
// over a raw libwebsockets connection (TCP, TLS, the event loop and flow control stay lws's).
//
// Why not lws's own ws client role: libwebsockets 4.1's client parser calls a state machine once
// per payload byte (lws_ws_client_rx_sm), which was 37 % of ingest's CPU under the Nano firehose
// (bench/REPORT.md). This parser hands payload on in the pieces the socket delivered, and an
// unfragmented message that arrived in one read without copying it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ledgertap::ingest::ws {

enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// Close codes of RFC 6455 §7.4.1 that ledgertap sends or reports.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t no_status = 1005;  ///< Reported, never sent: a close frame without a code.
inline constexpr std::uint16_t abnormal = 1006;   ///< Reported, never sent: no close frame at all.
inline constexpr std::uint16_t too_big = 1009;
} // namespace close_code

/// The Sec-WebSocket-Accept a server must answer `key` with (RFC 6455 §4.2.2).
[[nodiscard]] std::string accept_for(std::string_view key);

/// A Sec-WebSocket-Key: the base64 of 16 bytes from OpenSSL's CSPRNG.
[[nodiscard]] std::string new_key();

/// The client's opening handshake: a GET with Upgrade, offering no subprotocol and no extension.
/// `host` is the Host header's value (host[:port], IPv6 in brackets).
[[nodiscard]] std::string upgrade_request(
    std::string_view host, std::string_view path, std::string_view key);

/// A server's answer to the upgrade grows to at most this many bytes before it is refused.
inline constexpr std::size_t max_reply_head = 16 * 1024;

/// What read_upgrade_reply made of the bytes received so far.
struct upgrade_reply {
    enum class status { incomplete, accepted, refused };
    status state = status::incomplete;
    std::size_t head_bytes = 0; ///< accepted: the head's length; what follows it is frame data.
    std::string error;          ///< refused: why, for the log and ledgertap.connections.
};

/// Judges the server's reply to upgrade_request(…, key): incomplete until its blank line; then
/// accepted only for `101` with `Upgrade: websocket`, `Connection: upgrade` and the right
/// Sec-WebSocket-Accept, and neither an extension nor a subprotocol (none was offered).
[[nodiscard]] upgrade_reply read_upgrade_reply(std::string_view received, std::string_view key);

/// One masked client frame with FIN set (ledgertap never fragments what it sends).
[[nodiscard]] std::string client_frame(
    opcode op, std::string_view payload, std::array<unsigned char, 4> mask);

/// As client_frame, with a mask from OpenSSL's CSPRNG (RFC 6455 §5.3 wants it unpredictable).
[[nodiscard]] std::string client_frame(opcode op, std::string_view payload);

/// A close frame's payload: the code, then up to 123 bytes of `reason`.
[[nodiscard]] std::string close_payload(std::uint16_t code, std::string_view reason);

/// Receives what frame_reader parses. Returning false stops the parse: the caller is dropping the
/// connection and will feed nothing more.
class frame_sink {
public:
    frame_sink() = default;
    frame_sink(const frame_sink&) = delete;
    frame_sink& operator=(const frame_sink&) = delete;
    frame_sink(frame_sink&&) = delete;
    frame_sink& operator=(frame_sink&&) = delete;
    virtual ~frame_sink() = default;

    /// Payload of a text or binary message, in order and in pieces. `first` marks the message's
    /// first piece and `last` its last (both for a message that arrived whole; a piece may be
    /// empty). `bytes` points into the buffer passed to feed() and is valid only during the call.
    virtual bool on_payload(std::string_view bytes, bool binary, bool first, bool last) = 0;
    /// A whole control frame (ping, pong or close; at most 125 bytes), possibly between the
    /// fragments of a message.
    virtual bool on_control(opcode op, std::string_view payload) = 0;
};

/// Parses the frames a server sends, from a byte stream cut anywhere. Violations of RFC 6455 that
/// a client must fail the connection on (§5.1-5.5) end the parse with a protocol error: reserved
/// bits without an extension, a masked frame, an unknown opcode, a fragmented or oversized control
/// frame, a continuation with no message to continue, a new message inside another, a length with
/// its top bit set, a one-byte close payload.
class frame_reader {
public:
    enum class status {
        ok,      ///< Every byte consumed; feed the next ones.
        stopped, ///< The sink returned false.
        failed,  ///< A protocol error; see error(). The reader stays failed.
    };

    status feed(std::string_view in, frame_sink& sink);

    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    /// Inside a fragmented message (its first frame seen, its FIN frame not yet ended).
    [[nodiscard]] bool in_message() const noexcept { return in_message_; }

private:
    status fail(std::string why);
    /// Validates the complete header in header_; sets up the frame. failed on a violation.
    status start_frame();
    /// Delivers a finished control frame, or an empty data frame.
    status finish_frame(frame_sink& sink);

    std::array<unsigned char, 14> header_{};
    std::size_t header_have_ = 0;
    std::size_t header_need_ = 2;
    bool in_payload_ = false;
    std::uint64_t remaining_ = 0; ///< Payload bytes of the current frame not yet seen.
    opcode op_ = opcode::continuation;
    bool fin_ = false;
    bool first_piece_ = false;    ///< The next data piece is its message's first.
    bool in_message_ = false;
    bool message_binary_ = false;
    std::string control_;         ///< A control frame's payload, gathered.
    std::string error_;
};

} // namespace ledgertap::ingest::ws
