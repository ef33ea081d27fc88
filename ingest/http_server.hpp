#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace ledgertap::ingest {

struct http_reply {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

/// Answers GET for one path; nullopt-like status 404 for unknown paths.
using http_route = std::function<http_reply(const std::string& path)>;

/// A minimal HTTP/1.0 server for /metrics, /healthz and /readyz: one thread, one request per
/// connection, GET only, small requests. Binds `host:port` (port 0 picks a free one; port()
/// tells which). Lifecycle: start() binds and spawns the thread (throws std::runtime_error naming
/// the address when it cannot bind), stop() ends it; the destructor stops.
class http_server {
public:
    http_server(std::string addr, http_route route);
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;
    http_server(http_server&&) = delete;
    http_server& operator=(http_server&&) = delete;

    void start();
    void stop() noexcept;
    [[nodiscard]] int port() const noexcept { return port_; }

private:
    void serve();

    std::string addr_;
    http_route route_;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

} // namespace ledgertap::ingest
