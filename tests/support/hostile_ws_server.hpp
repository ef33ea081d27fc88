#pragma once

// A WebSocket server for hostile-node tests (attack_test, hostile_data_test): the RFC 6455
// handshake, then unmasked server frames chosen by the test, streamed from one 1 MiB buffer so a
// 1 GiB message is never held by the sender. In attack::jsonrpc_script it plays a Solana PubSub
// node: it reads the client's (masked) frames and answers every JSON-RPC request (subscriptions
// get ids, getVersion a version) before and while it sends the script. Header-only; one thread
// per server.

#include "tests/support/loopback.hpp"
#include "tests/support/ws_frames.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sstream>
#include <string>
#include <strings.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace ledgertap::test {

enum class attack { big_frame, big_fragmented, flood, endless, script, jsonrpc_script };

/// A WebSocket server speaking just enough RFC 6455: the handshake, then unmasked server frames.
/// Accepts connections one after another (ingest reconnects) and runs the attack on each.
class hostile_server {
public:
    /// attack::flood repeats `frames[0]` (default `{}`) as fast as the socket takes it.
    /// attack::script sends `frames` (text frames of any bytes). attack::jsonrpc_script answers
    /// the client's requests and sends `frames` once every method named in a `@SUB:method@`
    /// placeholder of theirs is subscribed, each placeholder replaced by that subscription's id.
    /// Only the first connection is attacked.
    explicit hostile_server(
        attack kind, std::uint64_t total_bytes = 0, std::vector<std::string> frames = {})
      : kind_(kind)
      , total_(total_bytes)
      , script_(std::move(frames)) {
        fd_ = listen_on_loopback(port_, 8);
        thread_ = std::thread{[this] { serve(); }};
    }
    hostile_server(const hostile_server&) = delete;
    hostile_server& operator=(const hostile_server&) = delete;
    hostile_server(hostile_server&&) = delete;
    hostile_server& operator=(hostile_server&&) = delete;
    ~hostile_server() { stop(); }

    void stop() {
        stop_.store(true);
        if (thread_.joinable()) {
            thread_.join();
        }
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    /// Connections are accepted and left idle until this is called (so a baseline can be taken).
    void go() { go_.store(true); }
    [[nodiscard]] std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_); }
    [[nodiscard]] std::uint64_t bytes_sent() const { return sent_.load(); }
    [[nodiscard]] std::uint64_t frames_sent() const { return frames_.load(); }
    [[nodiscard]] int connections() const { return connections_.load(); }
    /// Connections the peer (ingest) ended while the attack was still sending.
    [[nodiscard]] int dropped_by_peer() const { return dropped_.load(); }
    [[nodiscard]] bool attack_done() const { return done_.load(); }
    /// JSON-RPC requests received (jsonrpc_script), by method.
    [[nodiscard]] int requests(const std::string& method) const {
        std::lock_guard lock{mu_};
        const auto it = requests_.find(method);
        return it == requests_.end() ? 0 : it->second;
    }

private:
    static std::string accept_key(const std::string& key) {
        const std::string in = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;
        EVP_Digest(in.data(), in.size(), md, &md_len, EVP_sha1(), nullptr);
        unsigned char out[64];
        const int n = EVP_EncodeBlock(out, md, static_cast<int>(md_len));
        return std::string{reinterpret_cast<char*>(out), static_cast<std::size_t>(n)};
    }
    /// Sends all of `data` unless the peer goes away or the server stops; false then.
    bool send_all(int c, const char* data, std::size_t n) {
        while (n > 0) {
            if (stop_.load()) {
                return false;
            }
            pollfd p{c, POLLOUT, 0};
            if (::poll(&p, 1, 100) <= 0) {
                continue;
            }
            const auto w = ::send(c, data, n, MSG_NOSIGNAL);
            if (w <= 0) {
                return false;
            }
            sent_ += static_cast<std::uint64_t>(w);
            data += w;
            n -= static_cast<std::size_t>(w);
        }
        return true;
    }
    bool handshake(int c) {
        std::string req;
        char buf[4096];
        while (req.find("\r\n\r\n") == std::string::npos) {
            pollfd p{c, POLLIN, 0};
            if (stop_.load() || ::poll(&p, 1, 5000) <= 0) {
                return false;
            }
            const auto r = ::recv(c, buf, sizeof buf, 0);
            if (r <= 0) {
                return false;
            }
            req.append(buf, static_cast<std::size_t>(r));
        }
        std::string key;
        std::istringstream lines{req};
        for (std::string line; std::getline(lines, line);) {
            if (line.size() > 19 && strncasecmp(line.c_str(), "Sec-WebSocket-Key:", 18) == 0) {
                key = line.substr(18);
                key.erase(0, key.find_first_not_of(' '));
                key.erase(key.find_last_not_of("\r ") + 1);
            }
        }
        const std::string resp
            = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: "
              + accept_key(key) + "\r\n\r\n";
        return send_all(c, resp.data(), resp.size());
    }
    /// Streams `bytes` of payload from one chunk buffer.
    bool stream_payload(int c, std::uint64_t bytes) {
        while (bytes > 0) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, chunk_.size()));
            if (!send_all(c, chunk_.data(), n)) {
                return false;
            }
            bytes -= n;
        }
        return true;
    }
    /// One complete client frame from `buf` (filled from `c` as needed), unmasked. False when the
    /// peer closed, sent a close frame, or the server stops.
    bool read_client_frame(int c, std::string& buf, unsigned& opcode, std::string& payload) {
        for (;;) {
            if (buf.size() >= 2) {
                const auto b1 = static_cast<unsigned char>(buf[1]);
                std::uint64_t len = b1 & 0x7FU;
                std::size_t at = 2;
                if (len == 126 && buf.size() >= 4) {
                    len = (static_cast<std::uint64_t>(static_cast<unsigned char>(buf[2])) << 8U)
                          | static_cast<unsigned char>(buf[3]);
                    at = 4;
                } else if (len == 127 && buf.size() >= 10) {
                    len = 0;
                    for (std::size_t i = 2; i < 10; ++i) {
                        len = (len << 8U) | static_cast<unsigned char>(buf[i]);
                    }
                    at = 10;
                }
                const bool header_done = (b1 & 0x7FU) < 126 || at > 2;
                const std::size_t mask_len = (b1 & 0x80U) != 0 ? 4 : 0;
                if (header_done && buf.size() >= at + mask_len + len) {
                    opcode = static_cast<unsigned char>(buf[0]) & 0x0FU;
                    payload = buf.substr(at + mask_len, static_cast<std::size_t>(len));
                    for (std::size_t i = 0; mask_len != 0 && i < payload.size(); ++i) {
                        payload[i] = static_cast<char>(payload[i] ^ buf[at + (i % 4)]);
                    }
                    buf.erase(0, at + mask_len + static_cast<std::size_t>(len));
                    return opcode != 8;
                }
            }
            pollfd p{c, POLLIN, 0};
            if (stop_.load()) {
                return false;
            }
            if (::poll(&p, 1, 100) <= 0) {
                if (script_due()) {
                    opcode = 0; // nothing read: lets the caller send the script
                    payload.clear();
                    return true;
                }
                continue;
            }
            char tmp[65536];
            const auto r = ::recv(c, tmp, sizeof tmp, 0);
            if (r <= 0) {
                return false;
            }
            buf.append(tmp, static_cast<std::size_t>(r));
        }
    }
    bool send_text(int c, const std::string& text, unsigned opcode = 1) {
        const auto h = ws_frame_header(true, opcode, text.size());
        return send_all(c, h.data(), h.size()) && send_all(c, text.data(), text.size());
    }
    /// The script's turn: go() was called and every method it names is subscribed.
    bool script_due() {
        if (kind_ != attack::jsonrpc_script || !go_.load() || script_sent_) {
            return false;
        }
        std::lock_guard lock{mu_};
        for (const auto& f : script_) {
            for (auto at = f.find("@SUB:"); at != std::string::npos; at = f.find("@SUB:", at + 1)) {
                const auto end = f.find('@', at + 5);
                if (!sub_ids_.contains(f.substr(at + 5, end - at - 5))) {
                    return false;
                }
            }
        }
        return true;
    }
    std::string with_ids(std::string f) {
        std::lock_guard lock{mu_};
        for (auto at = f.find("@SUB:"); at != std::string::npos; at = f.find("@SUB:")) {
            const auto end = f.find('@', at + 5);
            f.replace(at, end - at + 1, std::to_string(sub_ids_.at(f.substr(at + 5, end - at - 5))));
        }
        return f;
    }
    /// The answer to one client request, or empty for a notification-shaped or unparsable one.
    std::string answer(const std::string& request) {
        rapidjson::Document d;
        d.Parse(request.data(), request.size());
        if (d.HasParseError() || !d.IsObject() || !d.HasMember("method") || !d["method"].IsString()
            || !d.HasMember("id") || !d["id"].IsUint64()) {
            return {};
        }
        const std::string method = d["method"].GetString();
        const std::string id = std::to_string(d["id"].GetUint64());
        std::lock_guard lock{mu_};
        ++requests_[method];
        if (method.ends_with("Unsubscribe")) {
            return R"({"jsonrpc":"2.0","result":true,"id":)" + id + "}";
        }
        if (method.ends_with("Subscribe")) {
            const auto sub = next_sub_++;
            sub_ids_.emplace(method, sub); // the first of each method is the one the script uses
            return R"({"jsonrpc":"2.0","result":)" + std::to_string(sub) + R"(,"id":)" + id + "}";
        }
        if (method == "getVersion") {
            return R"({"jsonrpc":"2.0","result":{"feature-set":1,"solana-core":"1.18.0"},"id":)" + id + "}";
        }
        return R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":)" + id + "}";
    }
    /// Serves one JSON-RPC connection until the peer leaves; the first one also gets the script.
    bool serve_jsonrpc(int c, bool attacked) {
        std::string buf;
        unsigned opcode = 0;
        std::string payload;
        while (read_client_frame(c, buf, opcode, payload)) {
            if (opcode == 9 && !send_text(c, payload, 0xA)) { // ping: pong
                return false;
            }
            if (opcode == 1) {
                const auto reply = answer(payload);
                if (!reply.empty() && !send_text(c, reply)) {
                    return false;
                }
            }
            if (attacked && script_due()) {
                script_sent_ = true;
                for (const auto& f : script_) {
                    if (!send_text(c, with_ids(f))) {
                        return false;
                    }
                    ++frames_;
                }
                done_.store(true);
            }
        }
        return true;
    }
    bool run_attack(int c) {
        switch (kind_) {
        case attack::jsonrpc_script:
            return serve_jsonrpc(c, true);
        case attack::big_frame: {
            const auto h = ws_frame_header(true, 1, total_);
            return send_all(c, h.data(), h.size()) && stream_payload(c, total_);
        }
        case attack::big_fragmented:
        case attack::endless: {
            // 1 MiB fragments: a text frame, then continuations; FIN only on the last (never when
            // endless).
            const std::uint64_t frag = chunk_.size();
            for (std::uint64_t off = 0; kind_ == attack::endless || off < total_; off += frag) {
                const bool last = kind_ != attack::endless && off + frag >= total_;
                const auto h = ws_frame_header(last, off == 0 ? 1U : 0U, frag);
                if (!send_all(c, h.data(), h.size()) || !stream_payload(c, frag)) {
                    return false;
                }
                ++frames_;
            }
            return true;
        }
        case attack::script: {
            for (const auto& f : script_) {
                const auto h = ws_frame_header(true, 1, f.size());
                if (!send_all(c, h.data(), h.size()) || !send_all(c, f.data(), f.size())) {
                    return false;
                }
                ++frames_;
            }
            return true;
        }
        case attack::flood: {
            // 64 KiB batches of 4-byte frames carrying the 2-byte text "{}", or of the script's
            // first frame when it has one (a flood of valid messages).
            std::string batch;
            const std::string text = script_.empty() ? std::string{"{}"} : script_.front();
            const std::string one = ws_frame_header(true, 1, text.size()) + text;
            while (batch.size() < 65536) {
                batch += one;
            }
            const auto per_batch = batch.size() / one.size();
            while (!stop_.load()) {
                if (!send_all(c, batch.data(), batch.size())) {
                    return false;
                }
                frames_ += per_batch;
            }
            return true;
        }
        }
        return true;
    }
    void serve() {
        while (!stop_.load()) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) {
                continue;
            }
            const int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) {
                continue;
            }
            ++connections_;
            if (kind_ == attack::jsonrpc_script) {
                // Answers from the start (the client subscribes at once); the script waits for go().
                if (handshake(c)) {
                    serve_jsonrpc(c, connections_.load() == 1);
                }
                ::close(c);
                continue;
            }
            if (handshake(c)) {
                while (!go_.load() && !stop_.load()) {
                    std::this_thread::sleep_for(
                        std::chrono::milliseconds{10}); // connected and idle until the test says go
                }
                // Only the first connection is attacked; ingest's reconnections then stay idle, so
                // each case counts exactly one attack.
                const bool completed = connections_.load() > 1 || run_attack(c);
                if (!completed && !stop_.load()) {
                    ++dropped_;
                }
                done_.store(true);
                // Keep the connection open (idle) until the peer closes it or the test ends.
                char buf[4096];
                while (!stop_.load()) {
                    pollfd q{c, POLLIN, 0};
                    if (::poll(&q, 1, 100) > 0 && ::recv(c, buf, sizeof buf, 0) <= 0) {
                        break;
                    }
                }
            }
            ::close(c);
        }
    }

    attack kind_;
    std::uint64_t total_;
    std::vector<std::string> script_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::string chunk_ = std::string(std::size_t{1} << 20U, 'a');
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> done_{false};
    std::atomic<bool> go_{false};
    std::atomic<std::uint64_t> sent_{0};
    std::atomic<std::uint64_t> frames_{0};
    std::atomic<int> connections_{0};
    std::atomic<int> dropped_{0};
    mutable std::mutex mu_;
    std::map<std::string, int> requests_;
    std::map<std::string, std::uint64_t> sub_ids_;
    std::uint64_t next_sub_ = 1001;
    bool script_sent_ = false; // the serving thread's only
};

} // namespace ledgertap::test
