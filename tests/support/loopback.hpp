#pragma once

// A listening TCP socket on 127.0.0.1 with a kernel-picked port, for the scripted servers of the
// hostile-node tests (hostile_ws_server.hpp, json_rpc_server.hpp). Header-only.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cstdint>
#include <netinet/in.h>
#include <sys/socket.h>

namespace ledgertap::test {

/// Opens, binds and listens; REQUIREs each step. Returns the socket; `port` gets its port.
inline int listen_on_loopback(std::uint16_t& port, int backlog) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, backlog) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

} // namespace ledgertap::test
