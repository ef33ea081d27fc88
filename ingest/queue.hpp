#pragma once

#include "ingest/rows.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::ingest {

struct queue_limits {
    std::size_t high_water_bytes = std::size_t{64} << 20U; ///< Pause readers above this.
    std::size_t low_water_bytes = std::size_t{16} << 20U;  ///< Resume readers below this.
    /// One source's queued bytes above this pause that source's readers alone (0: no per-source
    /// limit); they resume below source_low_water_bytes.
    std::size_t source_high_water_bytes = std::size_t{32} << 20U;
    std::size_t source_low_water_bytes = std::size_t{8} << 20U;
};

/// The source a group is queued for: its origin up to the first '/' (`nano/vote` -> `nano`).
[[nodiscard]] std::string_view source_of_origin(std::string_view origin) noexcept;

/// The bounded queue between sources and the batch writer, counted in bytes.
///
/// Backpressure, not unbounded memory: when the queued bytes pass the high-water mark the
/// `on_pressure(true)` callback fires once (the feed client then stops reading its sockets with
/// lws_rx_flow_control); when the writer drains it below the low-water mark `on_pressure(false)`
/// fires. `push()` never blocks, because the libwebsockets service thread must not; what arrives
/// between the pause and the sockets going quiet is at most one message per connection, so memory
/// stays bounded by the high-water mark plus the message size limit. Threads that may block
/// (backfill) use `push_wait()` instead.
///
/// Fairness: the queue also counts bytes per source (the origin's prefix, see source_of_origin).
/// A source past `source_high_water_bytes` gets `on_source_pressure(source, true)`, so only its
/// own readers stop while the database catches up, and `(source, false)` below
/// `source_low_water_bytes`. One busy (or hostile) node therefore cannot pause the other
/// sources; the global mark still bounds the sum.
///
/// Thread-safe: any number of producers, one consumer (the writer thread). The callbacks run on
/// whichever thread crossed the mark, without the queue's lock held, one at a time and in the
/// order of the changes; they must be thread-safe and must not call the queue.
class bounded_queue {
public:
    using pressure_callback = std::function<void(bool paused)>;
    using source_pressure_callback = std::function<void(const std::string& source, bool paused)>;

    explicit bounded_queue(queue_limits limits = {}, pressure_callback on_pressure = {});

    void set_pressure_callback(pressure_callback on_pressure);
    void set_source_pressure_callback(source_pressure_callback on_source_pressure);

    /// Never blocks.
    void push(row_group group);
    /// Blocks while the queue is above the high-water mark, or until close(). Returns false if
    /// the queue was closed before the group could be queued.
    bool push_wait(row_group group);

    /// Moves up to `max_groups` groups / about `max_bytes` into `out`, waiting until `deadline`
    /// for the first one. Returns the number moved (0 on timeout or when closed and empty).
    std::size_t pop_some(
        std::vector<row_group>& out, std::size_t max_groups, std::size_t max_bytes,
        std::chrono::steady_clock::time_point deadline);

    /// Wakes every waiter; push_wait() fails from now on, push() still succeeds (shutdown drains).
    void close();

    [[nodiscard]] std::size_t bytes() const;
    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] bool paused() const;
    /// True while `source` is over its share (source_high_water_bytes) and not yet drained.
    [[nodiscard]] bool source_paused(const std::string& source) const;
    /// Bytes queued for `source`.
    [[nodiscard]] std::size_t source_bytes(const std::string& source) const;

private:
    void update_pressure(std::unique_lock<std::mutex>& lock);
    void account(const row_group& group, bool added);

    queue_limits limits_;
    pressure_callback on_pressure_;
    source_pressure_callback on_source_pressure_;
    mutable std::mutex mutex_;
    std::mutex notify_mutex_; ///< Orders the pressure callbacks; taken after mutex_.
    std::condition_variable not_empty_;
    std::condition_variable not_full_;
    std::deque<row_group> items_;
    std::size_t bytes_ = 0;
    bool paused_ = false;
    bool closed_ = false;
    std::map<std::string, std::size_t, std::less<>> source_bytes_;
    std::set<std::string, std::less<>> paused_sources_;
    /// Sources whose bytes changed since update_pressure last looked.
    std::set<std::string, std::less<>> touched_;
};

} // namespace ledgertap::ingest
