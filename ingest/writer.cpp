#include "ingest/writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <thread>

namespace ledgertap::ingest {

std::chrono::milliseconds backoff_delay(
    const retry_policy& policy, std::uint32_t attempt, double u) noexcept {
    const auto initial = std::max<std::int64_t>(1, policy.initial.count());
    const auto cap = std::max<std::int64_t>(initial, policy.max.count());
    std::int64_t ceiling = initial;
    for (std::uint32_t i = 1; i < attempt && ceiling < cap; ++i) {
        ceiling *= 2;
    }
    ceiling = std::min(ceiling, cap);
    const double clamped = std::clamp(u, 0.0, 1.0);
    return std::chrono::milliseconds{static_cast<std::int64_t>(clamped * static_cast<double>(ceiling))};
}

writer::writer(bounded_queue& queue, sink& out, dead_letter_fn dead_letter, writer_options options,
    metrics_registry& metrics)
    : queue_(queue), sink_(out), dead_letter_(std::move(dead_letter)), options_(options),
      rng_(std::random_device{}()),
      m_batches_(metrics.get_counter("ledgertap_batches_total", {}, "Transactions committed by the writer")),
      m_retries_(metrics.get_counter("ledgertap_write_retries_total", {}, "Batch writes retried after a transient failure")),
      m_rejected_(metrics.get_counter("ledgertap_rejected_groups_total", {}, "Messages the database refused, dead-lettered")),
      m_batch_seconds_(metrics.get_histogram("ledgertap_batch_seconds", {}, "Time to write one batch, including retries")),
      m_queue_bytes_(metrics.get_gauge("ledgertap_queue_bytes", {}, "Bytes waiting in the writer queue")),
      m_last_commit_(metrics.get_gauge("ledgertap_last_commit_timestamp_seconds", {}, "Unix time of the last commit")) {}

void writer::stop() noexcept {
    if (!stopping_.exchange(true)) {
        stop_requested_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    queue_.close();
}

bool writer::give_up() const {
    if (!stopping_.load()) {
        return false;
    }
    const auto requested = std::chrono::steady_clock::time_point{
        std::chrono::steady_clock::duration{stop_requested_ns_.load()}};
    return std::chrono::steady_clock::now() - requested > options_.shutdown_timeout;
}

void writer::sleep_backoff(std::uint32_t attempt) {
    std::uniform_real_distribution<double> dist{0.0, 1.0};
    const auto delay = backoff_delay(options_.retry, attempt, dist(rng_));
    // Sleep in slices so a stop() during a long backoff is noticed.
    const auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until && !give_up()) {
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            until - std::chrono::steady_clock::now(), std::chrono::milliseconds{50}));
    }
}

template<typename Write>
std::optional<write_result> writer::until_settled(Write&& write, std::uint32_t& attempt) {
    while (true) {
        auto result = write();
        if (result.status != write_status::retry) {
            failing_.store(false);
            return result;
        }
        failing_.store(true);
        ++attempt;
        m_retries_.inc();
        if (attempt == 1 || attempt % 10 == 0) {
            spdlog::warn("writer: write failed, retrying (attempt {}): {}", attempt, result.detail);
        }
        if (give_up()) {
            return std::nullopt;
        }
        sleep_backoff(attempt);
    }
}

bool writer::write_batch(std::span<row_group> batch, std::uint32_t& attempt) {
    const auto whole = until_settled([&] { return sink_.write(batch); }, attempt);
    if (!whole) {
        return false;
    }
    if (whole->status == write_status::ok) {
        return true;
    }
    // Refused: keep every message the database accepts, and only the refused ones as dead letters.
    std::vector<std::string> refused;
    if (batch.size() == 1) {
        refused.push_back(whole->detail);
    } else {
        const auto isolated = until_settled([&] { return sink_.write_isolated(batch, refused); }, attempt);
        if (!isolated) {
            return false;
        }
        if (isolated->status == write_status::reject) {
            // Outside the sink contract; keep everything as dead letters rather than lose it.
            refused.assign(batch.size(), isolated->detail);
        }
    }
    dead_letter(batch, refused, attempt);
    return true;
}

void writer::dead_letter(
    std::span<const row_group> batch, const std::vector<std::string>& refused, std::uint32_t& attempt) {
    constexpr std::size_t logged_per_batch = 3;
    std::vector<row_group> letters;
    std::size_t count = 0;
    for (std::size_t i = 0; i < batch.size() && i < refused.size(); ++i) {
        if (refused[i].empty()) {
            continue;
        }
        ++count;
        if (count <= logged_per_batch) {
            spdlog::error("writer: database refused a message from {}; dead-lettered: {}",
                batch[i].origin, refused[i]);
        }
        if (dead_letter_) {
            letters.push_back(dead_letter_(batch[i], refused[i]));
        }
    }
    if (count > logged_per_batch) {
        spdlog::error("writer: … and {} more messages of this batch refused and dead-lettered",
            count - logged_per_batch);
    }
    rejected_.fetch_add(count);
    m_rejected_.inc(count);
    if (letters.empty()) {
        return;
    }
    // All of a batch's dead letters go in one transaction.
    const auto stored = until_settled([&] { return sink_.write(letters); }, attempt);
    if (!stored) {
        spdlog::error("writer: {} dead letters were not stored before the shutdown timeout", letters.size());
    } else if (stored->status != write_status::ok) {
        spdlog::error("writer: could not store {} dead letters either: {}", letters.size(), stored->detail);
    }
}

bool writer::write_with_retry(std::vector<row_group>& batch) {
    const auto started = std::chrono::steady_clock::now();
    std::uint32_t attempt = 0;
    if (!write_batch(batch, attempt)) {
        return false;
    }
    if (attempt > 0) {
        spdlog::info("writer: database writes succeeded again after {} retries", attempt);
    }
    const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    m_batch_seconds_.observe(secs);
    m_batches_.inc();
    m_last_commit_.set(std::chrono::duration<double>(
        std::chrono::system_clock::now().time_since_epoch()).count());
    batches_.fetch_add(1);
    committed_.fetch_add(batch.size());
    return true;
}

void writer::run() {
    std::vector<row_group> batch;
    batch.reserve(options_.limits.max_groups);
    std::size_t batch_bytes = 0;
    std::chrono::steady_clock::time_point opened{};
    bool failed = false;

    while (true) {
        const auto now = std::chrono::steady_clock::now();
        const auto deadline = batch.empty() ? now + std::chrono::milliseconds{100}
                                            : opened + options_.limits.max_age;
        const std::size_t before = batch.size();
        queue_.pop_some(
            batch, options_.limits.max_groups - batch.size(),
            options_.limits.max_bytes > batch_bytes ? options_.limits.max_bytes - batch_bytes : 1,
            deadline);
        m_queue_bytes_.set(static_cast<double>(queue_.bytes()));
        if (batch.size() > before) {
            if (before == 0) {
                // The batch is as old as its oldest message: one that waited in the queue while
                // the previous batch was being written has already spent part of its max_age.
                opened = batch.front().queued_at;
            }
            for (std::size_t i = before; i < batch.size(); ++i) {
                batch_bytes += batch[i].bytes();
            }
        }
        const bool draining = stopping_.load();
        const bool full = batch.size() >= options_.limits.max_groups
            || batch_bytes >= options_.limits.max_bytes;
        const bool aged = !batch.empty()
            && std::chrono::steady_clock::now() - opened >= options_.limits.max_age;
        if (!batch.empty() && (full || aged || draining)) {
            if (!write_with_retry(batch)) {
                failed = true;
                lost_.fetch_add(batch.size());
                batch.clear();
                break;
            }
            batch.clear();
            batch_bytes = 0;
            continue;
        }
        if (draining && batch.empty() && queue_.size() == 0) {
            break;
        }
    }
    if (failed) {
        // Count what is still queued as lost: the database never came back before the deadline.
        std::vector<row_group> rest;
        while (queue_.pop_some(rest, 100000, std::size_t{1} << 30U, std::chrono::steady_clock::now())
               > 0) {
        }
        lost_.fetch_add(rest.size());
        spdlog::error(
            "writer: gave up after the shutdown timeout with the database unavailable; {} messages "
            "were not written",
            lost_.load());
    }
}

} // namespace ledgertap::ingest
