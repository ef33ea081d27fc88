#include "ingest/queue.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace ledgertap::ingest {

std::string_view source_of_origin(std::string_view origin) noexcept {
    return origin.substr(0, origin.find('/'));
}

bounded_queue::bounded_queue(queue_limits limits, pressure_callback on_pressure)
    : limits_(limits), on_pressure_(std::move(on_pressure)) {}

void bounded_queue::set_pressure_callback(pressure_callback on_pressure) {
    std::lock_guard lock{mutex_};
    on_pressure_ = std::move(on_pressure);
}

void bounded_queue::set_source_pressure_callback(source_pressure_callback on_source_pressure) {
    std::lock_guard lock{mutex_};
    on_source_pressure_ = std::move(on_source_pressure);
}

void bounded_queue::account(const row_group& group, bool added) {
    const auto source = source_of_origin(group.origin);
    auto it = source_bytes_.find(source);
    if (it == source_bytes_.end()) {
        it = source_bytes_.emplace(std::string{source}, 0).first;
    }
    const std::size_t b = group.bytes();
    it->second = added ? it->second + b : it->second - std::min(it->second, b);
    if (limits_.source_high_water_bytes > 0) {
        touched_.insert(it->first);
    }
}

void bounded_queue::update_pressure(std::unique_lock<std::mutex>& lock) {
    bool changed = false;
    if (!paused_ && bytes_ >= limits_.high_water_bytes) {
        paused_ = true;
        changed = true;
    } else if (paused_ && bytes_ <= limits_.low_water_bytes) {
        paused_ = false;
        changed = true;
        not_full_.notify_all();
    }
    std::vector<std::pair<std::string, bool>> source_changes;
    for (const auto& source : touched_) {
        const std::size_t b = source_bytes_[source];
        const bool was = paused_sources_.contains(source);
        if (!was && b >= limits_.source_high_water_bytes) {
            paused_sources_.insert(source);
            source_changes.emplace_back(source, true);
        } else if (was && b <= limits_.source_low_water_bytes) {
            paused_sources_.erase(source);
            source_changes.emplace_back(source, false);
        }
    }
    touched_.clear();
    const bool global = changed && on_pressure_;
    const bool per_source = !source_changes.empty() && on_source_pressure_;
    if (!global && !per_source) {
        return;
    }
    const bool now_paused = paused_;
    auto callback = on_pressure_;
    auto source_callback = on_source_pressure_;
    // Taken before the queue's lock is released: callbacks run in the order their changes were
    // decided here, so a pause can never overtake the resume that followed it (which would leave
    // a source paused over an empty queue). Callbacks must not touch the queue.
    std::unique_lock in_order{notify_mutex_};
    lock.unlock();
    if (global) {
        callback(now_paused);
    }
    if (per_source) {
        for (const auto& [source, paused] : source_changes) {
            source_callback(source, paused);
        }
    }
    in_order.unlock();
    lock.lock();
}

void bounded_queue::push(row_group group) {
    group.queued_at = std::chrono::steady_clock::now();
    std::unique_lock lock{mutex_};
    bytes_ += group.bytes();
    account(group, true);
    items_.push_back(std::move(group));
    not_empty_.notify_one();
    update_pressure(lock);
}

bool bounded_queue::push_wait(row_group group) {
    std::unique_lock lock{mutex_};
    not_full_.wait(lock, [&] { return closed_ || bytes_ < limits_.high_water_bytes; });
    if (closed_) {
        return false;
    }
    group.queued_at = std::chrono::steady_clock::now();
    bytes_ += group.bytes();
    account(group, true);
    items_.push_back(std::move(group));
    not_empty_.notify_one();
    update_pressure(lock);
    return true;
}

std::size_t bounded_queue::pop_some(
    std::vector<row_group>& out, std::size_t max_groups, std::size_t max_bytes,
    std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock{mutex_};
    not_empty_.wait_until(lock, deadline, [&] { return closed_ || !items_.empty(); });
    std::size_t moved = 0;
    std::size_t moved_bytes = 0;
    while (!items_.empty() && moved < max_groups && (moved == 0 || moved_bytes < max_bytes)) {
        const std::size_t b = items_.front().bytes();
        moved_bytes += b;
        bytes_ -= b;
        account(items_.front(), false);
        out.push_back(std::move(items_.front()));
        items_.pop_front();
        ++moved;
    }
    if (moved > 0) {
        update_pressure(lock);
    }
    return moved;
}

void bounded_queue::close() {
    std::lock_guard lock{mutex_};
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
}

std::size_t bounded_queue::bytes() const {
    std::lock_guard lock{mutex_};
    return bytes_;
}

std::size_t bounded_queue::size() const {
    std::lock_guard lock{mutex_};
    return items_.size();
}

bool bounded_queue::paused() const {
    std::lock_guard lock{mutex_};
    return paused_;
}

bool bounded_queue::source_paused(const std::string& source) const {
    std::lock_guard lock{mutex_};
    return paused_sources_.contains(source);
}

std::size_t bounded_queue::source_bytes(const std::string& source) const {
    std::lock_guard lock{mutex_};
    const auto it = source_bytes_.find(source);
    return it == source_bytes_.end() ? 0 : it->second;
}

} // namespace ledgertap::ingest
