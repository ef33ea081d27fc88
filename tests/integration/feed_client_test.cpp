// feed_client's WebSocket protocol on a real socket, against a scripted server in this file:
// keepalive (ping after ping_interval, hang-up after hangup_timeout), answering the node's pings,
// the close handshake both ways, failing the connection on a protocol violation, and a refused
// upgrade. (Message reassembly, limits and floods are in attack_test; TLS in tls_test.)

#include "ingest/feed_client.hpp"
#include "ingest/ws_codec.hpp"
#include "tests/support/loopback.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;
namespace ws = ingest::ws;

/// One client frame as the server read it (unmasked).
struct client_frame {
    unsigned opcode = 0;
    bool masked = false;
    std::string payload;
};

/// The server side of one connection, for a script: raw bytes out, client frames in.
class peer {
public:
    explicit peer(int fd)
      : fd_(fd) {}
    /// Reads the upgrade request; returns its Sec-WebSocket-Key ("" on timeout).
    std::string read_request() {
        while (buf_.find("\r\n\r\n") == std::string::npos) {
            if (!fill(5s)) {
                return {};
            }
        }
        const auto head = buf_.substr(0, buf_.find("\r\n\r\n"));
        buf_.erase(0, head.size() + 4);
        const auto at = head.find("Sec-WebSocket-Key: ");
        return at == std::string::npos ? std::string{} : head.substr(at + 19, 24);
    }
    void accept_upgrade() {
        const auto key = read_request();
        REQUIRE(key.size() == 24);
        send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: " + ws::accept_for(key) + "\r\n\r\n");
    }
    void send(const std::string& bytes) { ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
    void send_frame(unsigned first_byte, const std::string& payload) {
        std::string f{static_cast<char>(first_byte), static_cast<char>(payload.size())};
        send(f + payload);
    }
    /// The next client frame, or nullopt when none arrives within `timeout` or the socket ends.
    std::optional<client_frame> next_frame(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (buf_.size() >= 2) {
                const auto b1 = static_cast<unsigned char>(buf_[1]);
                const std::size_t len = b1 & 0x7FU; // scripts send small frames only
                const std::size_t mask = (b1 & 0x80U) != 0 ? 4 : 0;
                if (len < 126 && buf_.size() >= 2 + mask + len) {
                    client_frame f;
                    f.opcode = static_cast<unsigned char>(buf_[0]) & 0x0FU;
                    f.masked = mask != 0;
                    f.payload = buf_.substr(2 + mask, len);
                    for (std::size_t i = 0; mask != 0 && i < len; ++i) {
                        f.payload[i] = static_cast<char>(f.payload[i] ^ buf_[2 + i % 4]);
                    }
                    buf_.erase(0, 2 + mask + len);
                    return f;
                }
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !fill(left)) {
                return std::nullopt;
            }
        }
    }
    /// Whether the client closed the socket within `timeout`.
    bool sees_eof(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) > 0) {
                char tmp[4096];
                if (::recv(fd_, tmp, sizeof tmp, 0) <= 0) {
                    return true;
                }
            }
        }
        return false;
    }

private:
    bool fill(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
            return false;
        }
        char tmp[4096];
        const auto r = ::recv(fd_, tmp, sizeof tmp, 0);
        if (r <= 0) {
            return false;
        }
        buf_.append(tmp, static_cast<std::size_t>(r));
        return true;
    }
    int fd_;
    std::string buf_;
};

/// Records what the client tells its handler.
struct recording_handler final : ingest::feed_handler {
    std::mutex mu;
    std::vector<std::string> messages;
    std::vector<ingest::close_info> closes;
    int opens = 0;

    void on_open(ingest::feed_connection& conn) override {
        conn.send("hello");
        const std::lock_guard lock{mu};
        ++opens;
    }
    void on_message(ingest::feed_connection&, std::string_view text) override {
        const std::lock_guard lock{mu};
        messages.emplace_back(text);
    }
    void on_bad_frame(ingest::feed_connection&, ingest::frame_problem, std::size_t, std::string_view) override {}
    void on_close(ingest::feed_connection&, const ingest::close_info& info) override {
        const std::lock_guard lock{mu};
        closes.push_back(info);
    }
    void on_tick(ingest::feed_connection&, std::chrono::steady_clock::time_point) override {}

    std::optional<ingest::close_info> first_close(std::chrono::seconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            {
                const std::lock_guard lock{mu};
                if (!closes.empty()) {
                    return closes.front();
                }
            }
            std::this_thread::sleep_for(20ms);
        }
        return std::nullopt;
    }
};

/// A feed client connected to a scripted server: `script` runs on the server's first connection.
struct scripted {
    std::uint16_t port = 0;
    int listen_fd = listen_on_loopback(port, 4);
    recording_handler handler;
    ingest::feed_client client;
    std::thread server;
    std::thread service;

    scripted(const std::function<void(peer&)>& script, std::chrono::seconds ping = 20s,
        std::chrono::seconds hangup = 60s) {
        ingest::feed_endpoint e;
        e.name = "test";
        e.url = "ws://127.0.0.1:" + std::to_string(port);
        e.ping_interval = ping;
        e.hangup_timeout = hangup;
        e.reconnect_initial = 60000ms; // one connection per test
        e.reconnect_max = 60000ms;
        client.add(e, handler);
        server = std::thread{[this, script] {
            pollfd p{listen_fd, POLLIN, 0};
            if (::poll(&p, 1, 10000) <= 0) {
                return;
            }
            const int c = ::accept(listen_fd, nullptr, nullptr);
            peer conn{c};
            script(conn);
            ::close(c);
        }};
        service = std::thread{[this] { client.run(); }};
    }
    ~scripted() {
        server.join();
        client.stop();
        service.join();
        ::close(listen_fd);
    }
    scripted(const scripted&) = delete;
    scripted& operator=(const scripted&) = delete;
    scripted(scripted&&) = delete;
    scripted& operator=(scripted&&) = delete;
};

} // namespace

TEST_CASE("feed client: a silent node is pinged after ping_interval and dropped after hangup_timeout") {
    std::optional<client_frame> hello;
    std::optional<client_frame> ping;
    bool eof = false;
    auto started = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration ping_after{};
    std::chrono::steady_clock::duration eof_after{};
    {
        scripted s{[&](peer& p) {
            p.accept_upgrade();
            started = std::chrono::steady_clock::now();
            hello = p.next_frame(5s);
            ping = p.next_frame(5s); // not answered
            ping_after = std::chrono::steady_clock::now() - started;
            eof = p.sees_eof(8s);
            eof_after = std::chrono::steady_clock::now() - started;
        },
            1s, 3s};
        const auto closed = s.handler.first_close(15s);
        REQUIRE(closed);
        CHECK(closed->was_open);
        CHECK(closed->code == 1006);
        CHECK(closed->reason.find("(hangup_timeout)") != std::string::npos);
    }
    REQUIRE(hello);
    CHECK(hello->opcode == 1);
    CHECK(hello->masked);
    CHECK(hello->payload == "hello");
    REQUIRE(ping);
    CHECK(ping->opcode == 9);
    CHECK(ping->masked);
    CHECK(ping_after >= 1s);
    CHECK(ping_after < 3s);
    CHECK(eof);
    CHECK(eof_after >= 3s);
}

TEST_CASE("feed client: a node that answers pings keeps its connection, and its own pings get pongs") {
    std::vector<client_frame> seen;
    {
        scripted s{[&](peer& p) {
            p.accept_upgrade();
            p.send_frame(0x89, "are you there");
            const auto until = std::chrono::steady_clock::now() + 5s;
            while (std::chrono::steady_clock::now() < until) {
                if (auto f = p.next_frame(200ms)) {
                    seen.push_back(*f);
                    if (f->opcode == 9) {
                        p.send_frame(0x8A, f->payload);
                    }
                }
            }
            p.send_frame(0x81, "still here");
            p.send_frame(0x88, std::string{"\x03\xe8", 2});
            seen.push_back(p.next_frame(2s).value_or(client_frame{}));
        },
            1s, 3s};
        const auto closed = s.handler.first_close(10s);
        REQUIRE(closed);
        CHECK(closed->code == 1000);
        const std::lock_guard lock{s.handler.mu};
        CHECK(s.handler.messages == std::vector<std::string>{"still here"});
    }
    int pings = 0;
    bool pong = false;
    for (const auto& f : seen) {
        pings += f.opcode == 9 ? 1 : 0;
        pong = pong || (f.opcode == 10 && f.payload == "are you there");
    }
    CHECK(pong);
    CHECK(pings >= 2); // one every second or two for five seconds, each answered: never hung up
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.back().opcode == 8); // our answer to the close, with its code
    CHECK(seen.back().payload == std::string{"\x03\xe8", 2});
}

TEST_CASE("feed client: the node's close code and reason are reported and answered") {
    std::optional<client_frame> answer;
    {
        scripted s{[&](peer& p) {
            p.accept_upgrade();
            (void)p.next_frame(2s); // hello
            p.send_frame(0x88, std::string{"\x0f\xa1", 2} + "maintenance");
            answer = p.next_frame(2s);
        }};
        const auto closed = s.handler.first_close(10s);
        REQUIRE(closed);
        CHECK(closed->was_open);
        CHECK(closed->code == 4001);
        CHECK(closed->reason == "maintenance");
    }
    REQUIRE(answer);
    CHECK(answer->opcode == 8);
    CHECK(answer->payload == std::string{"\x0f\xa1", 2});
}

TEST_CASE("feed client: a protocol violation fails the connection with 1002, after what came before it") {
    std::optional<client_frame> answer;
    {
        scripted s{[&](peer& p) {
            p.accept_upgrade();
            p.send_frame(0x81, "before");
            p.send(std::string{"\x81\x81\x01\x02\x03\x04x", 7}); // masked: servers must not mask
            while (auto f = p.next_frame(2s)) { // "hello" may or may not have gone out first
                if (f->opcode == 8) {
                    answer = f;
                    break;
                }
            }
        }};
        const auto closed = s.handler.first_close(10s);
        REQUIRE(closed);
        CHECK(closed->code == 1002);
        CHECK(closed->reason == "closed by ledgertap: a masked frame from the server");
        const std::lock_guard lock{s.handler.mu};
        CHECK(s.handler.messages == std::vector<std::string>{"before"});
    }
    REQUIRE(answer);
    CHECK(answer->opcode == 8);
    CHECK(answer->payload.substr(0, 2) == std::string{"\x03\xea", 2});
}

TEST_CASE("feed client: a refused upgrade is a failed attempt that says what the node answered") {
    scripted s{[&](peer& p) {
        (void)p.read_request();
        p.send("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        (void)p.sees_eof(2s);
    }};
    const auto closed = s.handler.first_close(10s);
    REQUIRE(closed);
    CHECK_FALSE(closed->was_open);
    CHECK(closed->reason == "the node answered the WebSocket upgrade with HTTP 403 Forbidden");
    const std::lock_guard lock{s.handler.mu};
    CHECK(s.handler.opens == 0);
}

} // namespace ledgertap::test
