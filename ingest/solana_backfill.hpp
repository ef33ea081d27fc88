#pragma once

#include "ingest/config.hpp"
#include "ingest/gap_tables.hpp"
#include "ingest/metrics.hpp"
#include "ingest/pg_read.hpp"
#include "ingest/queue.hpp"
#include "ingest/rpc_client.hpp"
#include "ingest/solana_tables.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ledgertap::ingest {

/// Makes the Solana tables agree with the finalized chain, whatever the WebSocket delivered.
///
/// From the persisted watermark W (ledgertap.watermarks `finalized_slot`: every slot <= W is
/// stored at finalized or proven skipped), each round asks `getSlot(finalized)` (never letting it
/// regress), lists blocks with `getBlocks` (ranges <= 500,000 slots, trusting only slots up to the
/// highest one returned), loads every block not stored with `getBlock` (bounded concurrency), and
/// walks the list in order checking parent linkage: a slot between two consecutive finalized
/// blocks is `skipped` — or `orphaned` when this node had seen it (a minority fork). `-32004`,
/// `-32014` and `null` are "not yet": the round stops before that slot and retries; they are never
/// taken as skipped. The watermark only advances over the contiguous prefix just verified, in the
/// same transaction as the rows it covers, and never regresses.
///
/// Runs on its own thread; request_round() and stop() are thread-safe.
class solana_backfill {
public:
    solana_backfill(solana_config sol, backfill_config cfg, std::string conninfo, solana_tables tables,
        gap_tables gaps, bounded_queue& queue, metrics_registry& metrics = global_metrics());
    ~solana_backfill();
    solana_backfill(const solana_backfill&) = delete;
    solana_backfill& operator=(const solana_backfill&) = delete;
    solana_backfill(solana_backfill&&) = delete;
    solana_backfill& operator=(solana_backfill&&) = delete;

    void run();
    void stop() noexcept;
    void request_round() noexcept;

    [[nodiscard]] std::uint64_t blocks_recovered() const noexcept { return recovered_.load(); }

private:
    struct known_block {
        std::uint64_t slot = 0;
        std::string blockhash;
        std::string previous_blockhash;
        std::uint64_t parent_slot = 0;
        std::string commitment;
    };
    /// One round; returns true when it made progress (call again soon).
    bool round();
    std::optional<std::uint64_t> load_watermark(std::string& anchor_detail);
    std::optional<std::uint64_t> initial_watermark();
    bool wait(std::chrono::milliseconds d);

    solana_config sol_;
    backfill_config cfg_;
    solana_tables tables_;
    gap_tables gaps_;
    bounded_queue& queue_;
    pg_reader db_;
    std::vector<std::unique_ptr<rpc_client>> rpc_; ///< One per concurrent getBlock.
    std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> requested_{true};
    std::atomic<std::uint64_t> recovered_{0};
    std::uint64_t highest_finalized_ = 0;
    /// The watermark last queued (the database may not have committed it yet).
    std::optional<std::uint64_t> queued_watermark_;
    std::string queued_anchor_;
    counter& m_blocks_;
    counter& m_rpc_errors_;
    counter& m_replaced_;
    /// The last slot whose getBlock reply could not be decoded (warned once per slot).
    std::optional<std::uint64_t> last_malformed_slot_;
    gauge& m_watermark_;
};

} // namespace ledgertap::ingest
