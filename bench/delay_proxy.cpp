// ledgertap-bench-delay-proxy: a TCP proxy that adds a fixed one-way delay to each direction, so
// scripts/bench can measure ingest against a database D ms away (issue #9, item 7) without
// touching the loopback interface other processes share (tc netem on `lo` would delay them too).
//
//   ledgertap-bench-delay-proxy --listen 127.0.0.1:0 --to 127.0.0.1:5432 --delay-ms 5
//
// Prints `ledgertap-bench-delay-proxy listening 127.0.0.1:PORT` on stdout once it accepts
// connections, then runs until SIGTERM/SIGINT. Every accepted connection gets its own upstream
// connection. Each chunk read from either side is stamped with its arrival time and written to the
// other side when arrival + D has come; reading goes on meanwhile, so the stream is delayed, not
// serialized: a request/answer round trip costs 2 D more, but bytes in flight do not wait for one
// another (a pipelined or streaming COPY sees D, not D per chunk). An end of stream is forwarded
// (shutdown(SHUT_WR)) after the data before it, also D later; an error on either side closes both.
// A direction holding more than 64 MiB stops reading until it drains (memory stays bounded).
//
// One thread, ppoll() with a nanosecond timeout; precision is the scheduler's (tens of µs idle).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <fcntl.h>
#include <list>
#include <memory>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <tuple>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

constexpr std::size_t read_chunk_bytes = 64 * 1024;
constexpr std::size_t max_queued_bytes = std::size_t{64} * 1024 * 1024;
constexpr int listen_backlog = 64;

volatile std::sig_atomic_t stop_requested = 0; // NOLINT: written by the signal handler

extern "C" void on_signal(int /*signal*/) {
    stop_requested = 1;
}

/// Owns one file descriptor; closes it on destruction.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd)
      : fd_(fd) {}
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    unique_fd(unique_fd&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    ~unique_fd() { reset(); }

    [[nodiscard]] int get() const { return fd_; }
    [[nodiscard]] bool valid() const { return fd_ >= 0; }
    void reset() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_ = -1;
};

struct host_port {
    std::string host;
    std::string port;
};

host_port split_host_port(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        throw std::invalid_argument("expected HOST:PORT, got '" + text + "'");
    }
    return {text.substr(0, colon), text.substr(colon + 1)};
}

struct addrinfo_deleter {
    void operator()(addrinfo* a) const noexcept { ::freeaddrinfo(a); }
};

std::unique_ptr<addrinfo, addrinfo_deleter> resolve(const host_port& hp, bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &found);
    if (rc != 0) {
        throw std::runtime_error(hp.host + ":" + hp.port + ": " + ::gai_strerror(rc));
    }
    return std::unique_ptr<addrinfo, addrinfo_deleter>(found);
}

void set_nonblocking_nodelay(int fd) {
    const int flags = ::fcntl(fd, F_GETFL, 0);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

unique_fd listen_on(const host_port& hp, std::uint16_t& bound_port) {
    const auto ai = resolve(hp, true);
    unique_fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
        throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    }
    const int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0
        || ::listen(fd.get(), listen_backlog) != 0) {
        throw std::runtime_error("listen " + hp.host + ":" + hp.port + ": " + std::strerror(errno));
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len); // NOLINT: sockets API
    bound_port = ntohs(
        addr.ss_family == AF_INET6
            ? reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port // NOLINT: sockets API
            : reinterpret_cast<const sockaddr_in*>(&addr)->sin_port); // NOLINT: sockets API
    set_nonblocking_nodelay(fd.get());
    return fd;
}

/// A blocking connect (loopback or LAN: immediate), then non-blocking for the proxy loop.
std::optional<unique_fd> connect_to(const host_port& hp) {
    const auto ai = resolve(hp, false);
    for (const addrinfo* a = ai.get(); a != nullptr; a = a->ai_next) {
        unique_fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
        if (fd.valid() && ::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) {
            set_nonblocking_nodelay(fd.get());
            return fd;
        }
    }
    return std::nullopt;
}

/// Bytes read at one moment, due for writing at `due`; an empty chunk with `eof` set stands for
/// the end of the stream.
struct chunk {
    clock_type::time_point due;
    std::string data;
    bool eof = false;
};

/// One direction of a connection: what was read from `from` and waits to be written to `to`.
struct direction {
    int from = -1;
    int to = -1;
    std::deque<chunk> queue;
    std::size_t written = 0; ///< bytes of queue.front() already written
    std::size_t queued_bytes = 0;
    bool read_eof = false;   ///< `from` reached end of stream (no more reads)
    bool write_shut = false; ///< the end of stream was forwarded to `to`
    bool blocked = false;    ///< `to` would block: wait for POLLOUT

    [[nodiscard]] bool wants_read() const { return !read_eof && queued_bytes < max_queued_bytes; }
    [[nodiscard]] bool finished() const { return write_shut; }
};

/// One proxied connection. Owns both sockets.
struct connection {
    unique_fd client;
    unique_fd upstream;
    direction up;   ///< client -> upstream
    direction down; ///< upstream -> client
    bool failed = false;
};

/// Writes what is due. Returns false on a write error.
bool flush_due(direction& d, clock_type::time_point now) {
    d.blocked = false;
    while (!d.queue.empty() && d.queue.front().due <= now) {
        chunk& c = d.queue.front();
        if (c.eof) {
            ::shutdown(d.to, SHUT_WR);
            d.write_shut = true;
            d.queue.pop_front();
            continue;
        }
        const ssize_t n
            = ::send(d.to, c.data.data() + d.written, c.data.size() - d.written, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                d.blocked = true;
                return true;
            }
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        d.written += static_cast<std::size_t>(n);
        if (d.written == c.data.size()) {
            d.queued_bytes -= c.data.size();
            d.written = 0;
            d.queue.pop_front();
        }
    }
    return true;
}

/// Reads what is there, stamped due = now + delay. Returns false on a read error.
bool read_available(direction& d, clock_type::time_point due) {
    for (;;) {
        std::string buffer(read_chunk_bytes, '\0');
        const ssize_t n = ::recv(d.from, buffer.data(), buffer.size(), 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        if (n == 0) {
            d.read_eof = true;
            d.queue.push_back(chunk{due, {}, true});
            return true;
        }
        buffer.resize(static_cast<std::size_t>(n));
        d.queued_bytes += buffer.size();
        d.queue.push_back(chunk{due, std::move(buffer), false});
        if (static_cast<std::size_t>(n) < read_chunk_bytes || !d.wants_read()) {
            return true;
        }
    }
}

int run(const host_port& listen_at, const host_port& upstream, std::chrono::microseconds delay) {
    std::uint16_t port = 0;
    unique_fd listener = listen_on(listen_at, port);
    std::printf("ledgertap-bench-delay-proxy listening %s:%u\n", listen_at.host.c_str(), port);
    std::fflush(stdout);

    std::list<connection> connections;
    std::vector<pollfd> fds;
    // The direction that reads from fds[i] (nullptr for the listener); POLLOUT needs no lookup,
    // flush_due() retries every blocked direction at the top of the loop.
    std::vector<direction*> readers;
    while (stop_requested == 0) {
        auto now = clock_type::now();
        std::optional<clock_type::time_point> next_due;
        for (auto it = connections.begin(); it != connections.end();) {
            connection& c = *it;
            if (!c.failed && (!flush_due(c.up, now) || !flush_due(c.down, now))) {
                c.failed = true;
            }
            if (c.failed || (c.up.finished() && c.down.finished())) {
                it = connections.erase(it);
                continue;
            }
            for (const direction* d : {&c.up, &c.down}) {
                if (!d->queue.empty() && !d->blocked) {
                    const auto due = d->queue.front().due;
                    next_due = next_due ? std::min(*next_due, due) : due;
                }
            }
            ++it;
        }

        fds.clear();
        readers.clear();
        fds.push_back(pollfd{listener.get(), POLLIN, 0});
        readers.push_back(nullptr);
        for (connection& c : connections) {
            // client: read for up, write for down; upstream: read for down, write for up.
            for (auto [fd, reader, writer] :
                 {std::tuple{c.client.get(), &c.up, &c.down},
                  std::tuple{c.upstream.get(), &c.down, &c.up}}) {
                short events = 0;
                if (reader->wants_read()) {
                    events = static_cast<short>(events | POLLIN);
                }
                if (writer->blocked) {
                    events = static_cast<short>(events | POLLOUT);
                }
                // No interest: leave it out (a negative fd is ignored), or a half-closed socket's
                // POLLHUP would wake the loop in a spin until its other direction is done.
                fds.push_back(pollfd{events == 0 ? -1 : fd, events, 0});
                readers.push_back(reader);
            }
        }

        timespec timeout{};
        timespec* timeout_ptr = nullptr;
        if (next_due) {
            const auto wait = std::max(clock_type::duration::zero(), *next_due - now);
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
            timeout.tv_sec = static_cast<std::time_t>(ns / 1000000000);
            timeout.tv_nsec = static_cast<long>(ns % 1000000000);
            timeout_ptr = &timeout;
        }
        const int ready = ::ppoll(fds.data(), fds.size(), timeout_ptr, nullptr);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            std::perror("ledgertap-bench-delay-proxy: ppoll");
            return 1;
        }
        now = clock_type::now();
        const auto due = now + delay;
        for (std::size_t i = 1; i < fds.size(); ++i) {
            direction* reader = readers[i];
            const short got = fds[i].revents;
            if ((got & (POLLIN | POLLHUP | POLLERR)) != 0 && reader->wants_read()
                && !read_available(*reader, due)) {
                // Reset by the peer: close both sides (the other peer sees the reset as a close).
                for (connection& c : connections) {
                    if (&c.up == reader || &c.down == reader) {
                        c.failed = true;
                    }
                }
            }
        }
        if ((fds[0].revents & POLLIN) != 0) {
            for (;;) {
                unique_fd client(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
                if (!client.valid()) {
                    break;
                }
                set_nonblocking_nodelay(client.get());
                auto up = connect_to(upstream);
                if (!up) {
                    std::fprintf(
                        stderr,
                        "ledgertap-bench-delay-proxy: connect %s:%s: %s\n",
                        upstream.host.c_str(),
                        upstream.port.c_str(),
                        std::strerror(errno));
                    continue; // the client sees its connection closed
                }
                connection& c = connections.emplace_back();
                c.client = std::move(client);
                c.upstream = std::move(*up);
                c.up.from = c.client.get();
                c.up.to = c.upstream.get();
                c.down.from = c.upstream.get();
                c.down.to = c.client.get();
            }
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"A TCP proxy adding a fixed one-way delay to each direction (scripts/bench)"};
    std::string listen_text = "127.0.0.1:0";
    std::string to_text;
    double delay_ms = 0.0;
    app.add_option("--listen", listen_text, "HOST:PORT to accept on (port 0: the kernel picks)")
        ->capture_default_str();
    app.add_option("--to", to_text, "HOST:PORT to connect each accepted connection to")->required();
    app.add_option("--delay-ms", delay_ms, "Milliseconds added one way, in each direction")
        ->check(CLI::Range(0.0, 60000.0))
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    try {
        return run(
            split_host_port(listen_text),
            split_host_port(to_text),
            std::chrono::microseconds(static_cast<std::int64_t>(delay_ms * 1000.0)));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ledgertap-bench-delay-proxy: %s\n", e.what());
        return 1;
    }
}
