#pragma once

// An HTTP JSON-RPC server for hostile-node tests: plays a node's RPC endpoint with answers the
// test writes (any bytes, valid JSON or not). HTTP/1.1 with keep-alive, one thread per
// connection; the handler gets the method and the whole request body and returns the response
// body. Header-only.

#include "tests/support/loopback.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <arpa/inet.h>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <strings.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace ledgertap::test {

class json_rpc_server {
public:
    /// `handler(method, request_body)` returns the response body, sent with status 200.
    using handler = std::function<std::string(const std::string& method, const std::string& body)>;

    explicit json_rpc_server(handler h)
      : handler_(std::move(h)) {
        fd_ = listen_on_loopback(port_, 16);
        acceptor_ = std::thread{[this] { accept_loop(); }};
    }
    json_rpc_server(const json_rpc_server&) = delete;
    json_rpc_server& operator=(const json_rpc_server&) = delete;
    json_rpc_server(json_rpc_server&&) = delete;
    json_rpc_server& operator=(json_rpc_server&&) = delete;
    ~json_rpc_server() { stop(); }

    void stop() {
        stop_.store(true);
        if (acceptor_.joinable()) {
            acceptor_.join();
        }
        std::vector<std::thread> workers;
        {
            std::lock_guard lock{mu_};
            workers.swap(workers_);
        }
        for (auto& w : workers) {
            w.join();
        }
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    /// Requests received, by JSON-RPC method ("" for a body that is not a JSON-RPC request).
    [[nodiscard]] int requests(const std::string& method) const {
        std::lock_guard lock{mu_};
        const auto it = requests_.find(method);
        return it == requests_.end() ? 0 : it->second;
    }

private:
    void accept_loop() {
        while (!stop_.load()) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) {
                continue;
            }
            const int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) {
                continue;
            }
            std::lock_guard lock{mu_};
            workers_.emplace_back([this, c] {
                serve(c);
                ::close(c);
            });
        }
    }
    static std::string method_of(const std::string& body) {
        rapidjson::Document d;
        d.Parse(body.data(), body.size());
        if (d.HasParseError() || !d.IsObject() || !d.HasMember("method") || !d["method"].IsString()) {
            return {};
        }
        return d["method"].GetString();
    }
    /// Requests on one connection until the peer closes it or the server stops.
    void serve(int c) {
        std::string buf;
        char tmp[65536];
        while (!stop_.load()) {
            const auto head_end = buf.find("\r\n\r\n");
            if (head_end != std::string::npos) {
                std::size_t length = 0;
                for (std::size_t at = 0; at < head_end;) {
                    const auto eol = buf.find("\r\n", at);
                    const auto line = buf.substr(at, eol - at);
                    if (line.size() > 15 && strncasecmp(line.c_str(), "Content-Length:", 15) == 0) {
                        length = std::stoul(line.substr(15));
                    }
                    at = eol + 2;
                }
                if (buf.size() >= head_end + 4 + length) {
                    const std::string body = buf.substr(head_end + 4, length);
                    buf.erase(0, head_end + 4 + length);
                    const auto method = method_of(body);
                    {
                        std::lock_guard lock{mu_};
                        ++requests_[method];
                    }
                    const std::string out = handler_(method, body);
                    const std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                             "Content-Length: "
                                             + std::to_string(out.size()) + "\r\n\r\n" + out;
                    for (std::size_t sent = 0; sent < resp.size();) {
                        const auto w = ::send(c, resp.data() + sent, resp.size() - sent, MSG_NOSIGNAL);
                        if (w <= 0) {
                            return;
                        }
                        sent += static_cast<std::size_t>(w);
                    }
                    continue;
                }
            }
            pollfd p{c, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) {
                continue;
            }
            const auto r = ::recv(c, tmp, sizeof tmp, 0);
            if (r <= 0) {
                return;
            }
            buf.append(tmp, static_cast<std::size_t>(r));
        }
    }

    handler handler_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::thread acceptor_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mu_;
    std::vector<std::thread> workers_;
    std::map<std::string, int> requests_;
};

} // namespace ledgertap::test
