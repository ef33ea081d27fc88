#pragma once

#include "ingest/metrics.hpp"
#include "ingest/queue.hpp"
#include "ingest/sink.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace ledgertap::ingest {

/// When a batch is sealed: whichever limit is reached first.
struct batch_limits {
    std::size_t max_groups = 5000;                  ///< Messages per transaction.
    std::size_t max_bytes = std::size_t{8} << 20U;  ///< Encoded bytes per transaction.
    std::chrono::milliseconds max_age{200};         ///< Oldest message (since it was queued) waits at most this long.
};

/// Jittered exponential backoff for failed writes ("full jitter": a uniform delay in [0, cap]).
struct retry_policy {
    std::chrono::milliseconds initial{100};
    std::chrono::milliseconds max{10000};
};

/// Pure: how long to wait before attempt `attempt` (1-based) given a uniform `u` in [0, 1).
[[nodiscard]] std::chrono::milliseconds backoff_delay(
    const retry_policy& policy, std::uint32_t attempt, double u) noexcept;

struct writer_options {
    batch_limits limits;
    retry_policy retry;
    /// After stop(), how long the writer keeps retrying a failing database before giving up.
    std::chrono::milliseconds shutdown_timeout{20000};
};

/// Turns a group the database refused into the dead-letter rows that record it.
using dead_letter_fn = std::function<row_group(const row_group& rejected, const std::string& reason)>;

/// The batch writer: pulls row groups off the bounded queue, seals batches by count, bytes or
/// age, and writes each through the sink as one transaction.
///
/// - `retry`: backs off (full jitter) and resends the same batch, forever while running. Nothing
///   is dropped while the database is down; the queue fills and backpressure holds the sockets.
/// - `reject`: rewrites the batch through sink::write_isolated, which commits every group the
///   database accepts and names each it refuses; the refused go to `dead_letter` (their rows then
///   go to ledgertap.rejected_messages), all of a batch's in one more transaction.
///
/// Lifecycle: construct, call run() on a dedicated thread, stop() from any thread; run() returns
/// after the queue is drained and flushed (or the shutdown timeout passed with the database
/// still failing; `lost_groups()` then says how many messages were not written). Only run() and
/// the sink touch the database; stop() and the accessors are thread-safe.
class writer {
public:
    writer(bounded_queue& queue, sink& out, dead_letter_fn dead_letter, writer_options options = {},
        metrics_registry& metrics = global_metrics());

    void run();
    void stop() noexcept;

    [[nodiscard]] std::uint64_t committed_groups() const noexcept { return committed_.load(); }
    [[nodiscard]] std::uint64_t rejected_groups() const noexcept { return rejected_.load(); }
    [[nodiscard]] std::uint64_t lost_groups() const noexcept { return lost_.load(); }
    [[nodiscard]] std::uint64_t batches() const noexcept { return batches_.load(); }
    /// False while writes are failing and being retried (the database is away).
    [[nodiscard]] bool healthy() const noexcept { return !failing_.load(); }

private:
    /// Writes `batch` until ok, isolating refused messages. Returns false if it gave up (shutdown).
    bool write_with_retry(std::vector<row_group>& batch);
    bool write_batch(std::span<row_group> batch, std::uint32_t& attempt);
    /// Runs `write` until it is not `retry`, backing off; nullopt if it gave up (shutdown).
    template<typename Write>
    std::optional<write_result> until_settled(Write&& write, std::uint32_t& attempt);
    /// Counts, logs (a few per batch) and stores the refused groups' dead letters in one write.
    void dead_letter(std::span<const row_group> batch, const std::vector<std::string>& refused,
        std::uint32_t& attempt);
    void sleep_backoff(std::uint32_t attempt);
    [[nodiscard]] bool give_up() const;

    bounded_queue& queue_;
    sink& sink_;
    dead_letter_fn dead_letter_;
    writer_options options_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::int64_t> stop_requested_ns_{0};
    std::atomic<std::uint64_t> committed_{0};
    std::atomic<std::uint64_t> rejected_{0};
    std::atomic<std::uint64_t> lost_{0};
    std::atomic<std::uint64_t> batches_{0};
    std::atomic<bool> failing_{false};
    std::minstd_rand rng_;
    counter& m_batches_;
    counter& m_retries_;
    counter& m_rejected_;
    histogram& m_batch_seconds_;
    gauge& m_queue_bytes_;
    gauge& m_last_commit_;
};

} // namespace ledgertap::ingest
