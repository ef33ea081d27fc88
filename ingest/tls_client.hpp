#pragma once

// Client TLS over bytes the caller moves: OpenSSL with memory BIOs, for feed_client's raw
// libwebsockets connections. libwebsockets 4.1.6 cannot do this itself: its raw client calls
// lws_client_create_tls before the socket is connected (lib/core-net/connect.c), so a raw wss://
// connection fails with EBADF. OpenSSL stays out of this header.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ledgertap::ingest {

/// Whom a TLS client trusts: the system store (OpenSSL's default paths, which SSL_CERT_FILE and
/// SSL_CERT_DIR move), a PEM file of CAs, or — tls_insecure — anyone. TLS 1.2 or later.
class tls_trust {
public:
    /// Throws std::runtime_error saying why when `ca_file` cannot be loaded.
    tls_trust(const std::string& ca_file, bool insecure);
    ~tls_trust();
    tls_trust(const tls_trust&) = delete;
    tls_trust& operator=(const tls_trust&) = delete;
    tls_trust(tls_trust&&) = delete;
    tls_trust& operator=(tls_trust&&) = delete;

    [[nodiscard]] bool insecure() const noexcept { return insecure_; }

private:
    friend class tls_session;
    struct impl;
    std::unique_ptr<impl> impl_;
    bool insecure_ = false;
};

/// One TLS client connection. Ciphertext from the socket goes in through receive(); what the
/// session wants sent (handshake records, encrypted application data) is appended to `to_socket`.
/// Application data given to send() before the handshake ends is held and sent after it.
/// The peer's name is checked against `host` (a DNS name, or an IP literal against IP SANs)
/// unless the trust is insecure; a DNS name is also sent as SNI.
class tls_session {
public:
    tls_session(const tls_trust& trust, const std::string& host);
    ~tls_session();
    tls_session(const tls_session&) = delete;
    tls_session& operator=(const tls_session&) = delete;
    tls_session(tls_session&&) = delete;
    tls_session& operator=(tls_session&&) = delete;

    /// Starts the handshake (the ClientHello). False on failure; see error().
    bool start(std::string& to_socket);
    /// Ciphertext in; decrypted application data appended to `plain`. False on failure.
    bool receive(std::string_view cipher, std::string& plain, std::string& to_socket);
    /// Application data out. False on failure.
    bool send(std::string_view plain, std::string& to_socket);

    [[nodiscard]] bool established() const noexcept { return established_; }
    /// Why the session failed, for the log.
    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    /// When the failure was the peer's certificate: OpenSSL's reason ("IP address mismatch").
    [[nodiscard]] const std::optional<std::string>& certificate_problem() const noexcept { return cert_problem_; }

private:
    bool pump(std::string& plain, std::string& to_socket);
    bool fail(int ssl_error);
    void drain(std::string& to_socket);

    struct impl;
    std::unique_ptr<impl> impl_;
    bool established_ = false;
    std::string held_; ///< send() before the handshake ended
    std::string error_;
    std::optional<std::string> cert_problem_;
};

} // namespace ledgertap::ingest
