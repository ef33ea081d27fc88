#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ledgertap::ingest {

/// A monotonically increasing count (Prometheus counter).
class counter {
public:
    void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down (Prometheus gauge), stored as a double.
class gauge {
public:
    void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void add(double v) noexcept;
    [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0.0};
};

/// A fixed-bucket histogram of seconds (Prometheus histogram).
class histogram {
public:
    explicit histogram(std::vector<double> bounds);
    void observe(double v) noexcept;
    [[nodiscard]] const std::vector<double>& bounds() const noexcept { return bounds_; }
    [[nodiscard]] std::vector<std::uint64_t> bucket_counts() const;
    [[nodiscard]] double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
    std::atomic<double> sum_{0.0};
    std::atomic<std::uint64_t> count_{0};
};

using labels = std::vector<std::pair<std::string, std::string>>;

/// Process-wide metrics, rendered in the Prometheus text format for `/metrics`.
///
/// Lookups create the series on first use and return a stable reference, so hot paths look a
/// series up once and keep the reference. Thread-safe.
class metrics_registry {
public:
    counter& get_counter(std::string_view name, const labels& l = {}, std::string_view help = {});
    gauge& get_gauge(std::string_view name, const labels& l = {}, std::string_view help = {});
    histogram& get_histogram(std::string_view name, const labels& l = {}, std::string_view help = {});

    /// Prometheus text exposition format 0.0.4.
    [[nodiscard]] std::string render() const;

    /// The value of a counter or gauge series, or nullopt-like -1 when absent (tests, status).
    [[nodiscard]] double value_of(std::string_view name, const labels& l = {}) const;

private:
    struct family {
        std::string help;
        std::string type;
        std::map<std::string, std::unique_ptr<counter>> counters;
        std::map<std::string, std::unique_ptr<gauge>> gauges;
        std::map<std::string, std::unique_ptr<histogram>> histograms;
    };
    family& family_for(std::string_view name, std::string_view type, std::string_view help);

    mutable std::mutex mutex_;
    std::map<std::string, family, std::less<>> families_;
};

/// Renders labels as `{a="x",b="y"}` (escaped), or an empty string.
[[nodiscard]] std::string format_labels(const labels& l);

/// The registry the executables use.
[[nodiscard]] metrics_registry& global_metrics();

} // namespace ledgertap::ingest
