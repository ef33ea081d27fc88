#include "ingest/queue.hpp"

#include <utility>

namespace ledgertap::ingest {

bounded_queue::bounded_queue(queue_limits limits, pressure_callback on_pressure)
    : limits_(limits), on_pressure_(std::move(on_pressure)) {}

void bounded_queue::set_pressure_callback(pressure_callback on_pressure) {
    std::lock_guard lock{mutex_};
    on_pressure_ = std::move(on_pressure);
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
    if (!changed || !on_pressure_) {
        return;
    }
    const bool now_paused = paused_;
    auto callback = on_pressure_;
    lock.unlock();
    callback(now_paused);
    lock.lock();
}

void bounded_queue::push(row_group group) {
    std::unique_lock lock{mutex_};
    bytes_ += group.bytes();
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
    bytes_ += group.bytes();
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

} // namespace ledgertap::ingest
