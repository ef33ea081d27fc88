#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace ledgertap::ingest {

struct rpc_options {
    std::chrono::milliseconds timeout{10000};
    std::uint32_t retries = 5;                ///< Extra attempts after transport/5xx/429 failures.
    std::chrono::milliseconds backoff_initial{200};
    std::chrono::milliseconds backoff_max{5000};
    double rate_limit = 0;                    ///< Requests per second (0 = unlimited).
    std::size_t max_response_bytes = std::size_t{256} << 20U;
    bool tls_insecure = false;
    std::string ca_file; ///< PEM CAs trusted for https:// instead of the system store; empty = system.
    std::string limit_key = "max_response_bytes"; ///< Config key of max_response_bytes, for errors.
};

/// What came back from one JSON-RPC POST, after retries.
struct rpc_response {
    bool ok = false;        ///< A body with HTTP 200 (the node may still report an error inside).
    long http_status = 0;
    std::string body;
    std::string error;      ///< Transport or HTTP error when !ok.
    std::uint32_t attempts = 0;
    bool too_large = false;   ///< The body exceeded max_response_bytes (discarded, not retried).
    bool tls_failure = false; ///< The certificate was refused (not retried).
};

/// A blocking HTTP JSON-RPC client (libcurl) for backfill and reconciliation.
///
/// Every call has a timeout; transport errors, HTTP 429 and 5xx are retried with full-jitter
/// exponential backoff up to `retries` times; a token bucket keeps calls under `rate_limit`. A
/// response larger than `max_response_bytes` is refused (and not retried). `https://` verifies
/// the certificate and the host name against the system store, or `ca_file` when set, unless
/// `tls_insecure` (logged as a warning at construction and on new connections, at most once a
/// minute); a failed
/// verification is not retried and its error says so, naming the URL.
///
/// Thread-safe; calls are serialised per client (one connection, reused when the server allows).
class rpc_client {
public:
    rpc_client(std::string url, rpc_options options = {});
    ~rpc_client();
    rpc_client(const rpc_client&) = delete;
    rpc_client& operator=(const rpc_client&) = delete;
    rpc_client(rpc_client&&) = delete;
    rpc_client& operator=(rpc_client&&) = delete;

    [[nodiscard]] rpc_response post(const std::string& json_body);

    [[nodiscard]] const std::string& url() const noexcept { return url_; }
    [[nodiscard]] std::uint64_t calls() const noexcept { return calls_; }

private:
    rpc_response post_once(const std::string& json_body);
    void wait_for_token();

    std::string url_;
    rpc_options options_;
    std::mutex mutex_;
    void* curl_ = nullptr; // CURL*, kept out of the header
    std::chrono::steady_clock::time_point next_slot_{};
    std::uint64_t calls_ = 0;
    std::uint64_t insecure_connects_ = 0;
    std::chrono::steady_clock::time_point insecure_warned_at_{};
};

} // namespace ledgertap::ingest
