#include "ingest/rpc_client.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <random>
#include <thread>

namespace ledgertap::ingest {

namespace {

struct curl_global {
    curl_global() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    ~curl_global() { curl_global_cleanup(); }
    curl_global(const curl_global&) = delete;
    curl_global& operator=(const curl_global&) = delete;
    curl_global(curl_global&&) = delete;
    curl_global& operator=(curl_global&&) = delete;
};

void ensure_curl_global() {
    static curl_global g;
}

struct sink_state {
    std::string* out;
    std::size_t limit;
    bool overflow = false;
};

std::size_t on_data(char* ptr, std::size_t size, std::size_t nmemb, void* user) noexcept {
    auto* s = static_cast<sink_state*>(user);
    const std::size_t n = size * nmemb;
    if (s->out->size() + n > s->limit) {
        s->overflow = true;
        return 0; // aborts the transfer
    }
    try {
        s->out->append(ptr, n);
    } catch (...) {
        return 0;
    }
    return n;
}

} // namespace

rpc_client::rpc_client(std::string url, rpc_options options)
    : url_(std::move(url)), options_(options) {
    ensure_curl_global();
    curl_ = curl_easy_init();
    if (options_.tls_insecure) {
        spdlog::warn("rpc {}: TLS certificate verification is DISABLED (tls_insecure); anyone on "
                     "the path can impersonate the node", url_);
    }
}

rpc_client::~rpc_client() {
    if (curl_ != nullptr) {
        curl_easy_cleanup(static_cast<CURL*>(curl_));
    }
}

void rpc_client::wait_for_token() {
    if (options_.rate_limit <= 0) {
        return;
    }
    const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(1.0 / options_.rate_limit));
    const auto now = std::chrono::steady_clock::now();
    if (next_slot_ > now) {
        std::this_thread::sleep_until(next_slot_);
        next_slot_ += interval;
    } else {
        next_slot_ = now + interval;
    }
}

rpc_response rpc_client::post_once(const std::string& json_body) {
    rpc_response r;
    auto* curl = static_cast<CURL*>(curl_);
    if (curl == nullptr) {
        r.error = "curl_easy_init failed";
        return r;
    }
    curl_easy_reset(curl);
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    sink_state sink{&r.body, options_.max_response_bytes};
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json_body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json_body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, ""); // gzip when the server offers it
    std::array<char, CURL_ERROR_SIZE> detail{};
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail.data());
    if (options_.tls_insecure) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (!options_.ca_file.empty()) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
        curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
    }
    const CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr); // `detail` ends here
    ++calls_;
    if (options_.tls_insecure && url_.starts_with("https://")) {
        long connects = 0;
        curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
        insecure_connects_ += static_cast<std::uint64_t>(std::max(0L, connects));
        // Every new connection, but at most one line a minute: many nodes close after each call.
        const auto now = std::chrono::steady_clock::now();
        if (connects > 0 && (insecure_warned_at_ == std::chrono::steady_clock::time_point{}
                                || now - insecure_warned_at_ >= std::chrono::minutes{1})) {
            insecure_warned_at_ = now;
            spdlog::warn("rpc {}: connected WITHOUT verifying the TLS certificate (tls_insecure); "
                         "{} unverified connection(s) so far", url_, insecure_connects_);
        }
    }
    if (sink.overflow) {
        r.too_large = true;
        r.error = fmt::format("{}: response larger than {} = {} bytes; refused", url_, options_.limit_key,
            options_.max_response_bytes);
        r.body.clear();
        return r;
    }
    if (rc != CURLE_OK) {
        const std::string why = detail[0] != '\0' ? std::string{detail.data()} : curl_easy_strerror(rc);
        if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE) {
            r.error = fmt::format("{}: TLS certificate verification failed: {} (trusted CAs: {})", url_, why,
                options_.ca_file.empty() ? "the system store" : options_.ca_file);
            r.tls_failure = true;
        } else {
            r.error = why;
        }
        r.body.clear();
        return r;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.http_status);
    if (r.http_status != 200) {
        r.error = fmt::format("HTTP {}", r.http_status);
        return r;
    }
    r.ok = true;
    return r;
}

rpc_response rpc_client::post(const std::string& json_body) {
    std::lock_guard lock{mutex_};
    std::minstd_rand rng{std::random_device{}()};
    rpc_response last;
    for (std::uint32_t attempt = 0; attempt <= options_.retries; ++attempt) {
        wait_for_token();
        last = post_once(json_body);
        last.attempts = attempt + 1;
        if (last.ok) {
            return last;
        }
        const bool retryable = last.http_status == 0 || last.http_status == 429 || last.http_status >= 500;
        if (!retryable || last.too_large || last.tls_failure) {
            return last;
        }
        if (attempt == options_.retries) {
            break;
        }
        auto ceiling = options_.backoff_initial.count();
        for (std::uint32_t i = 0; i < attempt && ceiling < options_.backoff_max.count(); ++i) {
            ceiling *= 2;
        }
        ceiling = std::min<long>(ceiling, options_.backoff_max.count());
        std::uniform_int_distribution<long> dist{0, std::max<long>(1, ceiling)};
        std::this_thread::sleep_for(std::chrono::milliseconds{dist(rng)});
    }
    return last;
}

} // namespace ledgertap::ingest
