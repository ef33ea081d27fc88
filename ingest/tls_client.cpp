#include "ingest/tls_client.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>
#include <stdexcept>

namespace ledgertap::ingest {

namespace {

/// OpenSSL's queued errors as one line (and the queue emptied).
std::string openssl_errors() {
    std::string out;
    while (const unsigned long e = ERR_get_error()) {
        std::array<char, 256> buf{};
        ERR_error_string_n(e, buf.data(), buf.size());
        if (!out.empty()) {
            out += "; ";
        }
        out += buf.data();
    }
    return out;
}

bool is_ip_literal(const std::string& host) {
    std::array<unsigned char, 16> addr{};
    return inet_pton(AF_INET, host.c_str(), addr.data()) == 1 || inet_pton(AF_INET6, host.c_str(), addr.data()) == 1;
}

} // namespace

struct tls_trust::impl {
    SSL_CTX* ctx = nullptr;
    ~impl() { SSL_CTX_free(ctx); }
};

tls_trust::tls_trust(const std::string& ca_file, bool insecure)
  : impl_(std::make_unique<impl>())
  , insecure_(insecure) {
    impl_->ctx = SSL_CTX_new(TLS_client_method());
    if (impl_->ctx == nullptr) {
        throw std::runtime_error("cannot create an OpenSSL client context: " + openssl_errors());
    }
    SSL_CTX_set_min_proto_version(impl_->ctx, TLS1_2_VERSION);
    if (insecure) {
        SSL_CTX_set_verify(impl_->ctx, SSL_VERIFY_NONE, nullptr);
        return;
    }
    SSL_CTX_set_verify(impl_->ctx, SSL_VERIFY_PEER, nullptr);
    const int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(impl_->ctx)
                                       : SSL_CTX_load_verify_locations(impl_->ctx, ca_file.c_str(), nullptr);
    if (loaded != 1) {
        throw std::runtime_error(ca_file.empty() ? "cannot load the system's trusted CAs: " + openssl_errors()
                                                 : "not readable as PEM certificates: " + openssl_errors());
    }
}

tls_trust::~tls_trust() = default;

struct tls_session::impl {
    SSL* ssl = nullptr;
    BIO* in = nullptr;  // ciphertext from the socket; SSL reads it
    BIO* out = nullptr; // ciphertext for the socket; SSL writes it
    ~impl() { SSL_free(ssl); } // frees both BIOs
};

tls_session::tls_session(const tls_trust& trust, const std::string& host)
  : impl_(std::make_unique<impl>()) {
    impl_->ssl = SSL_new(trust.impl_->ctx);
    impl_->in = BIO_new(BIO_s_mem());
    impl_->out = BIO_new(BIO_s_mem());
    if (impl_->ssl == nullptr || impl_->in == nullptr || impl_->out == nullptr) {
        BIO_free(impl_->in);
        BIO_free(impl_->out);
        impl_->in = impl_->out = nullptr;
        throw std::runtime_error("cannot create an OpenSSL session: " + openssl_errors());
    }
    BIO_set_mem_eof_return(impl_->in, -1); // empty means "wait for more", not end of stream
    SSL_set_bio(impl_->ssl, impl_->in, impl_->out);
    SSL_set_connect_state(impl_->ssl);
    static constexpr unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(impl_->ssl, alpn, sizeof alpn);
    const bool ip = is_ip_literal(host);
    if (!ip) {
        SSL_set_tlsext_host_name(impl_->ssl, host.c_str());
    }
    if (!trust.insecure()) {
        X509_VERIFY_PARAM* param = SSL_get0_param(impl_->ssl);
        const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                          : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
        if (ok != 1) {
            throw std::runtime_error("cannot set the host name to verify: " + openssl_errors());
        }
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
}

tls_session::~tls_session() = default;

void tls_session::drain(std::string& to_socket) {
    std::array<char, 16384> buf{};
    int n = 0;
    while ((n = BIO_read(impl_->out, buf.data(), static_cast<int>(buf.size()))) > 0) {
        to_socket.append(buf.data(), static_cast<std::size_t>(n));
    }
}

bool tls_session::fail(int ssl_error) {
    const long verify = SSL_get_verify_result(impl_->ssl);
    if (!established_ && verify != X509_V_OK) {
        cert_problem_ = X509_verify_cert_error_string(verify);
        error_ = "TLS certificate verification failed: " + *cert_problem_;
        openssl_errors();
        return false;
    }
    const std::string detail = openssl_errors();
    error_ = std::string{established_ ? "TLS error" : "TLS handshake failed"} + " (SSL_get_error "
        + std::to_string(ssl_error) + ")" + (detail.empty() ? "" : ": " + detail);
    return false;
}

bool tls_session::pump(std::string& plain, std::string& to_socket) {
    if (!established_) {
        const int r = SSL_do_handshake(impl_->ssl);
        drain(to_socket);
        if (r != 1) {
            const int e = SSL_get_error(impl_->ssl, r);
            return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? true : fail(e);
        }
        established_ = true;
        if (!held_.empty()) {
            std::string held;
            held.swap(held_);
            if (!send(held, to_socket)) {
                return false;
            }
        }
    }
    std::array<char, 65536> buf{};
    for (;;) {
        const int n = SSL_read(impl_->ssl, buf.data(), static_cast<int>(buf.size()));
        if (n > 0) {
            plain.append(buf.data(), static_cast<std::size_t>(n));
            continue;
        }
        const int e = SSL_get_error(impl_->ssl, n);
        drain(to_socket); // e.g. a TLS 1.3 key update answer
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_ZERO_RETURN) {
            return true; // ZERO_RETURN: close_notify; the TCP close follows
        }
        return fail(e);
    }
}

bool tls_session::start(std::string& to_socket) {
    std::string none;
    return pump(none, to_socket);
}

bool tls_session::receive(std::string_view cipher, std::string& plain, std::string& to_socket) {
    while (!cipher.empty()) {
        const int n = BIO_write(impl_->in, cipher.data(), static_cast<int>(std::min<std::size_t>(cipher.size(), 1U << 30U)));
        if (n <= 0) {
            error_ = "TLS: cannot buffer received bytes";
            return false;
        }
        cipher.remove_prefix(static_cast<std::size_t>(n));
    }
    return pump(plain, to_socket);
}

bool tls_session::send(std::string_view plain, std::string& to_socket) {
    if (!established_) {
        held_.append(plain);
        return true;
    }
    while (!plain.empty()) {
        const int n = SSL_write(impl_->ssl, plain.data(), static_cast<int>(std::min<std::size_t>(plain.size(), 1U << 30U)));
        drain(to_socket);
        if (n <= 0) {
            return fail(SSL_get_error(impl_->ssl, n));
        }
        plain.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

} // namespace ledgertap::ingest
