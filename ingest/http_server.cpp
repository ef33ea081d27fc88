#include "ingest/http_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <stdexcept>

namespace ledgertap::ingest {

namespace {

const char* reason_of(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

void write_all(int fd, const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
        const auto n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) {
            return;
        }
        off += static_cast<std::size_t>(n);
    }
}

} // namespace

http_server::http_server(std::string addr, http_route route) : addr_(std::move(addr)), route_(std::move(route)) {}

http_server::~http_server() {
    stop();
}

void http_server::start() {
    const auto colon = addr_.rfind(':');
    if (colon == std::string::npos) {
        throw std::runtime_error(fmt::format("metrics.addr '{}' must be HOST:PORT", addr_));
    }
    std::string host = addr_.substr(0, colon);
    const std::string port = addr_.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
        throw std::runtime_error(fmt::format("metrics.addr '{}': cannot resolve", addr_));
    }
    fd_ = ::socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd_ < 0 || ::bind(fd_, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd_, 16) != 0) {
        const std::string why = std::strerror(errno);
        ::freeaddrinfo(res);
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
        throw std::runtime_error(fmt::format("metrics.addr '{}': cannot listen: {}", addr_, why));
    }
    ::freeaddrinfo(res);
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                        : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    thread_ = std::thread{[this] { serve(); }};
}

void http_server::stop() noexcept {
    stopping_.store(true);
    if (thread_.joinable()) {
        thread_.join();
    }
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

void http_server::serve() {
    while (!stopping_.load()) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) {
            continue;
        }
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) {
            continue;
        }
        timeval tv{2, 0};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::string req;
        std::array<char, 2048> buf{};
        while (req.find("\r\n\r\n") == std::string::npos && req.size() < 16384) {
            const auto n = ::recv(c, buf.data(), buf.size(), 0);
            if (n <= 0) {
                break;
            }
            req.append(buf.data(), static_cast<std::size_t>(n));
        }
        http_reply reply;
        const auto sp1 = req.find(' ');
        const auto sp2 = sp1 == std::string::npos ? std::string::npos : req.find(' ', sp1 + 1);
        if (sp2 == std::string::npos) {
            reply = {400, "text/plain; charset=utf-8", "bad request\n"};
        } else if (req.compare(0, sp1, "GET") != 0) {
            reply = {405, "text/plain; charset=utf-8", "GET only\n"};
        } else {
            std::string path = req.substr(sp1 + 1, sp2 - sp1 - 1);
            if (const auto q = path.find('?'); q != std::string::npos) {
                path.resize(q);
            }
            try {
                reply = route_(path);
            } catch (const std::exception& e) {
                reply = {500, "text/plain; charset=utf-8", std::string{e.what()} + "\n"};
            }
        }
        write_all(c, fmt::format("HTTP/1.0 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            reply.status, reason_of(reply.status), reply.content_type, reply.body.size(), reply.body));
        ::close(c);
    }
}

} // namespace ledgertap::ingest
