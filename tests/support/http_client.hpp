#pragma once

// A blocking libcurl HTTP client for integration tests (one request per call, no reuse).

#include <chrono>
#include <string>

namespace ledgertap::test {

struct http_result {
    bool ok = false; ///< the transfer completed (any HTTP status)
    long status = 0; ///< HTTP status code
    std::string body;
    std::string headers; ///< raw response headers, lower-cased
    std::string error;   ///< curl's message when !ok
    std::chrono::milliseconds elapsed{0};
};

/// POST `body` (Content-Type: application/json) to `url`.
[[nodiscard]] http_result http_post(
    const std::string& url,
    const std::string& body,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));
/// GET `url`.
[[nodiscard]] http_result http_get(
    const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// A counter or gauge sample (`name{labels}`) from ledgertap-ingest's /metrics, on the port its
/// log names ("/readyz on port N"); -1 when the series is absent or ingest is not listening yet.
[[nodiscard]] double scrape_metric(const std::string& ingest_log, const std::string& series);

} // namespace ledgertap::test
