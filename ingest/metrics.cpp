#include "ingest/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ledgertap::ingest {

void gauge::add(double v) noexcept {
    double cur = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
    }
}

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void histogram::observe(double v) noexcept {
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
    double cur = sum_.load(std::memory_order_relaxed);
    while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
    }
    count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> histogram::bucket_counts() const {
    std::vector<std::uint64_t> out(bounds_.size() + 1);
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = buckets_[i].load(std::memory_order_relaxed);
    }
    return out;
}

std::string format_labels(const labels& l) {
    if (l.empty()) {
        return {};
    }
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : l) {
        if (!first) {
            out.push_back(',');
        }
        first = false;
        out += k;
        out += "=\"";
        for (const char c : v) {
            if (c == '\\' || c == '"') {
                out.push_back('\\');
                out.push_back(c);
            } else if (c == '\n') {
                out += "\\n";
            } else {
                out.push_back(c);
            }
        }
        out.push_back('"');
    }
    out.push_back('}');
    return out;
}

metrics_registry::family& metrics_registry::family_for(
    std::string_view name, std::string_view type, std::string_view help) {
    auto it = families_.find(name);
    if (it == families_.end()) {
        it = families_.emplace(std::string{name}, family{}).first;
        it->second.type = std::string{type};
    }
    if (it->second.help.empty() && !help.empty()) {
        it->second.help = std::string{help};
    }
    return it->second;
}

counter& metrics_registry::get_counter(std::string_view name, const labels& l, std::string_view help) {
    std::lock_guard lock{mutex_};
    auto& f = family_for(name, "counter", help);
    auto& slot = f.counters[format_labels(l)];
    if (!slot) {
        slot = std::make_unique<counter>();
    }
    return *slot;
}

gauge& metrics_registry::get_gauge(std::string_view name, const labels& l, std::string_view help) {
    std::lock_guard lock{mutex_};
    auto& f = family_for(name, "gauge", help);
    auto& slot = f.gauges[format_labels(l)];
    if (!slot) {
        slot = std::make_unique<gauge>();
    }
    return *slot;
}

histogram& metrics_registry::get_histogram(
    std::string_view name, const labels& l, std::string_view help) {
    std::lock_guard lock{mutex_};
    auto& f = family_for(name, "histogram", help);
    auto& slot = f.histograms[format_labels(l)];
    if (!slot) {
        slot = std::make_unique<histogram>(
            std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
    }
    return *slot;
}

namespace {

std::string with_le(const std::string& label_text, const std::string& le) {
    if (label_text.empty()) {
        return fmt::format("{{le=\"{}\"}}", le);
    }
    return fmt::format("{},le=\"{}\"}}", label_text.substr(0, label_text.size() - 1), le);
}

} // namespace

std::string metrics_registry::render() const {
    std::lock_guard lock{mutex_};
    std::string out;
    for (const auto& [name, f] : families_) {
        if (!f.help.empty()) {
            out += fmt::format("# HELP {} {}\n", name, f.help);
        }
        out += fmt::format("# TYPE {} {}\n", name, f.type);
        for (const auto& [l, c] : f.counters) {
            out += fmt::format("{}{} {}\n", name, l, c->value());
        }
        for (const auto& [l, g] : f.gauges) {
            out += fmt::format("{}{} {}\n", name, l, g->value());
        }
        for (const auto& [l, h] : f.histograms) {
            const auto counts = h->bucket_counts();
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < h->bounds().size(); ++i) {
                cumulative += counts[i];
                out += fmt::format(
                    "{}_bucket{} {}\n", name, with_le(l, fmt::format("{}", h->bounds()[i])),
                    cumulative);
            }
            cumulative += counts.back();
            out += fmt::format("{}_bucket{} {}\n", name, with_le(l, "+Inf"), cumulative);
            out += fmt::format("{}_sum{} {}\n", name, l, h->sum());
            out += fmt::format("{}_count{} {}\n", name, l, h->count());
        }
    }
    return out;
}

double metrics_registry::value_of(std::string_view name, const labels& l) const {
    std::lock_guard lock{mutex_};
    const auto it = families_.find(name);
    if (it == families_.end()) {
        return -1;
    }
    const auto key = format_labels(l);
    if (const auto c = it->second.counters.find(key); c != it->second.counters.end()) {
        return static_cast<double>(c->second->value());
    }
    if (const auto g = it->second.gauges.find(key); g != it->second.gauges.end()) {
        return g->second->value();
    }
    return -1;
}

metrics_registry& global_metrics() {
    static metrics_registry registry;
    return registry;
}

} // namespace ledgertap::ingest
