#pragma once

// The query commands: each turns its (already validated) arguments into SQL over the analytics
// functions of migrations/0006_query_analytics.sql and the tables, and returns named sections.
// Every statement runs in the caller's read-only session.

#include "query/output.hpp"
#include "query/session.hpp"
#include "schema/codec.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ledgertap::query {

/// Options shared by every command.
struct command_options {
    /// Look back this far from now() (--since); default one hour.
    std::chrono::seconds since{3600};
    /// Most rows a list section shows (--limit); per-minute sections show the newest this many
    /// minutes.
    std::int64_t limit = 20;
};

/// A command's answer. `found` is false when `block`, `account` or `slot` named something the
/// database does not hold (its sections are then empty or partial).
struct command_result {
    std::vector<section> sections;
    bool found = true;
};

/// Nano confirmation latency (summary per confirmation type, per minute) and Solana slot
/// latency (summary with skip rate, per minute).
[[nodiscard]] command_result run_latency(session& db, const command_options& options);
/// Gaps per source, then open and filling gaps and those detected or filled within --since.
[[nodiscard]] command_result run_gaps(session& db, const command_options& options);
/// Per source: connected, last message, lag, gaps; watermarks; rows per table; connections.
[[nodiscard]] command_result run_status(session& db, const command_options& options);
/// A Nano block by hash: confirmed or only seen unconfirmed, its latency, elections and votes.
[[nodiscard]] command_result run_block(
    session& db, const schema::bytes32& hash, const command_options& options);
/// A Nano account (any accepted spelling, normalized to nano_): height, balance, recent blocks.
[[nodiscard]] command_result run_account(
    session& db, const std::string& address, const command_options& options);
/// A Solana slot: its status and timings, its block and its stored transactions.
[[nodiscard]] command_result run_slot(
    session& db, std::uint64_t slot, const command_options& options);
/// Solana slots of the window: skip rate, transactions per block and per second, recent slots.
[[nodiscard]] command_result run_slots(session& db, const command_options& options);
/// Nano and Solana vote summaries and the most active representatives / vote accounts.
[[nodiscard]] command_result run_votes(session& db, const command_options& options);
/// Nano peers' telemetry: cemented-count spread, peers by version, the peers.
[[nodiscard]] command_result run_telemetry(session& db, const command_options& options);

} // namespace ledgertap::query
