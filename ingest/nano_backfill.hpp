#pragma once

#include "ingest/config.hpp"
#include "ingest/gap_tables.hpp"
#include "ingest/metrics.hpp"
#include "ingest/nano_tables.hpp"
#include "ingest/pg_read.hpp"
#include "ingest/queue.hpp"
#include "ingest/rpc_client.hpp"
#include "schema/nano_rpc.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ledgertap::ingest {

/// Fills Nano gaps over the node's HTTP RPC and finds the ones the WebSocket cannot reveal.
///
/// - Interior gaps (ledgertap.gaps kind nano_account_chain, opened by the writer in the same
///   transaction as a confirmed block whose previous block is missing): walks `chain` back from
///   the missing previous until it joins a stored block or reaches the open block, loads the
///   blocks with `blocks_info` in batches of at most 1,000, verifies each one (confirmed, hash
///   recomputed under the key, previous links and heights contiguous up to the anchor), and queues
///   them through the same writer with origin rpc_backfill, together with the gap's progress row.
/// - Tail gaps (blocks confirmed while disconnected): after every reconnect and every
///   reconcile interval, loads what `confirmation_history` lists and ledgertap lacks, and compares
///   `account_info.confirmation_height` of known accounts with the highest stored height, filling
///   the difference with `successors` + `blocks_info` (kind nano_account_tail).
///
/// Progress goes through the writer with the rows it describes, so a crash at any point leaves
/// gaps open or filling, and the next start resumes them. Runs on its own thread (run());
/// request_reconcile() and stop() are thread-safe.
class nano_backfill {
public:
    nano_backfill(nano_config nano, backfill_config cfg, std::string conninfo, nano_tables tables,
        gap_tables gaps, bounded_queue& queue, metrics_registry& metrics = global_metrics());

    void run();
    void stop() noexcept;
    void request_reconcile() noexcept;

    [[nodiscard]] std::uint64_t blocks_recovered() const noexcept { return recovered_.load(); }

    struct gap_row {
        std::int64_t id = 0;
        std::string kind;
        std::string account;
        std::uint64_t first = 0;
        std::uint64_t last = 0;
        std::string anchor;
        std::uint32_t attempts = 0;
        std::uint64_t recovered = 0;
    };

private:
    void fill(const gap_row& gap);
    void reconcile();
    void reconcile_history();
    void reconcile_accounts();
    /// blocks_info for `hashes` (any number; batched); nullopt on an RPC/decode failure (logged).
    std::optional<std::vector<schema::nano::block_info>> fetch_blocks(const std::vector<std::string>& hashes,
        std::string& error);
    std::vector<std::string> stored_among(const std::vector<std::string>& hashes);
    void queue_blocks(const std::vector<schema::nano::block_info>& blocks, std::vector<row> progress,
        const std::string& origin);
    bool wait(std::chrono::milliseconds d);

    nano_config nano_;
    backfill_config cfg_;
    nano_tables tables_;
    gap_tables gaps_;
    bounded_queue& queue_;
    pg_reader db_;
    rpc_client rpc_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> reconcile_requested_{true};
    std::atomic<std::uint64_t> recovered_{0};
    std::size_t account_cursor_ = 0;
    counter& m_blocks_;
    counter& m_rpc_errors_;
    gauge& m_open_gaps_;
};

} // namespace ledgertap::ingest
