#include "tests/support/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <curl/curl.h>
#include <memory>
#include <string_view>

namespace ledgertap::test {

namespace {

std::size_t append_to_string(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

struct curl_deleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct slist_deleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

http_result perform(
    const std::string& url, const std::string* body, std::chrono::milliseconds timeout) {
    http_result result;
    static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    if (!initialized) {
        result.error = "curl_global_init failed";
        return result;
    }
    const std::unique_ptr<CURL, curl_deleter> curl(curl_easy_init());
    if (!curl) {
        result.error = "curl_easy_init failed";
        return result;
    }
    std::unique_ptr<curl_slist, slist_deleter> headers(
        curl_slist_append(nullptr, "Content-Type: application/json"));
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &append_to_string);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, &append_to_string);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &result.headers);
    if (body != nullptr) {
        curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body->c_str());
        curl_easy_setopt(
            curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    }
    const auto start = std::chrono::steady_clock::now();
    const CURLcode code = curl_easy_perform(curl.get());
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (code != CURLE_OK) {
        result.error = curl_easy_strerror(code);
        return result;
    }
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
    std::transform(
        result.headers.begin(), result.headers.end(), result.headers.begin(), [](unsigned char c) {
            return static_cast<char>(std::tolower(c));
        });
    result.ok = true;
    return result;
}

} // namespace

http_result http_post(
    const std::string& url, const std::string& body, std::chrono::milliseconds timeout) {
    return perform(url, &body, timeout);
}

http_result http_get(const std::string& url, std::chrono::milliseconds timeout) {
    return perform(url, nullptr, timeout);
}

double scrape_metric(const std::string& ingest_log, const std::string& series) {
    constexpr std::string_view marker = "/readyz on port ";
    const auto at = ingest_log.find(marker);
    if (at == std::string::npos) {
        return -1;
    }
    const auto port = std::stoi(ingest_log.substr(at + marker.size()));
    const auto body = http_get("http://127.0.0.1:" + std::to_string(port) + "/metrics").body;
    const auto line = body.find("\n" + series + " ");
    return line == std::string::npos ? -1 : std::stod(body.substr(line + series.size() + 2));
}

} // namespace ledgertap::test
