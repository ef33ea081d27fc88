#include "query/commands.hpp"

#include "query/duration.hpp"
#include "query/sql.hpp"

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

namespace ledgertap::query {

namespace {

[[nodiscard]] section fetch(
    session& db,
    std::string name,
    std::string title,
    section_shape shape,
    const std::string& sql,
    const std::vector<std::string>& params) {
    section s;
    s.name = std::move(name);
    s.title = std::move(title);
    s.shape = shape;
    s.table = db.run(sql, params);
    return s;
}

/// $1 = the --since interval, $2 = --limit.
[[nodiscard]] std::vector<std::string> window_params(const command_options& options) {
    return {pg_interval(options.since), std::to_string(options.limit)};
}

[[nodiscard]] std::string since_label(const command_options& options) {
    return fmt::format("last {}", format_duration(options.since));
}

// ---- latency -------------------------------------------------------------------------------

constexpr const char* nano_per_minute_sql = R"(
SELECT minute, confirmation_type, confirmations, per_second, latency_p50_ms, latency_p90_ms,
       latency_p99_ms, election_p50_ms
FROM (SELECT s.bucket_start AS minute, s.*, dense_rank() OVER (ORDER BY s.bucket_start DESC) AS r
      FROM nano.confirmation_stats(now() - $1::interval) AS s) AS x
WHERE r <= $2::bigint
ORDER BY minute, confirmation_type = 'all', confirmation_type)";

constexpr const char* solana_summary_sql = R"(
SELECT * FROM solana.slot_summary(now() - $1::interval))";

constexpr const char* solana_per_minute_sql = R"(
SELECT * FROM (
    SELECT bucket_start AS minute, slots, optimistic, rooted, optimistic_p50_ms, optimistic_p90_ms,
           optimistic_p99_ms, root_p50_ms, root_p90_ms, root_p99_ms
    FROM solana.slot_stats(now() - $1::interval)
    ORDER BY bucket_start DESC LIMIT $2::bigint) AS x
ORDER BY minute)";

// ---- gaps, status --------------------------------------------------------------------------

constexpr const char* gap_summary_sql = R"(
SELECT source, chain, open_gaps, filling_gaps, filled_gaps, unfillable_gaps, missing
FROM ledgertap.source_status ORDER BY source)";

constexpr const char* sources_sql = R"(
SELECT source, chain, connected, last_message_at, lag_s, messages_received, open_gaps, missing,
       node_version
FROM ledgertap.source_status ORDER BY source)";

constexpr const char* watermarks_sql = R"(
SELECT source, key, value, detail, updated_at FROM ledgertap.watermarks ORDER BY source, key)";

constexpr const char* table_rows_sql = R"(
SELECT table_name AS "table", source, rows, exact FROM ledgertap.table_rows())";

constexpr const char* connections_sql = R"(
SELECT source, url, opened_at, closed_at, close_code, close_reason, messages_received
FROM ledgertap.connections ORDER BY opened_at DESC, id DESC LIMIT $1::bigint)";

// ---- block, account ------------------------------------------------------------------------

constexpr const char* block_sql = R"(
SELECT 'confirmed' AS status, b.hash, b.account, b.height, b.type, b.subtype, b.previous,
       b.representative, b.balance, b.link, b.link_as_account, b.linked_account, b.amount,
       b.confirmed_at, b.confirmation_type, u.first_seen_at,
       ledgertap.interval_ms(b.confirmed_at - u.first_seen_at) AS latency_ms,
       b.election_duration_ms, b.election_tally, b.election_final_tally, b.election_voters,
       b.election_blocks, b.origin, b.source, b.signature, b.work
FROM nano.blocks AS b
LEFT JOIN nano.unconfirmed_blocks AS u ON u.hash = b.hash
WHERE b.hash = $1
UNION ALL
SELECT 'unconfirmed', u.hash, u.account, NULL, u.type, u.subtype, u.previous, u.representative,
       u.balance, u.link, u.link_as_account, NULL, NULL, NULL, NULL, u.first_seen_at, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, u.source, u.signature, u.work
FROM nano.unconfirmed_blocks AS u
WHERE u.hash = $1 AND NOT EXISTS (SELECT 1 FROM nano.blocks AS b WHERE b.hash = $1))";

constexpr const char* block_elections_sql = R"(
SELECT event, time, source FROM nano.elections WHERE hash = $1 ORDER BY time, event)";

constexpr const char* block_votes_sql = R"(
SELECT v.representative, v.is_final, v.type, v.timestamp, v.received_at
FROM nano.vote_blocks AS vb
JOIN nano.votes AS v ON v.id = vb.vote_id
WHERE vb.hash = $1
ORDER BY v.received_at, v.representative
LIMIT $2::bigint)";

constexpr const char* block_election_votes_sql = R"(
SELECT representative, weight, timestamp, received_at
FROM nano.election_votes WHERE hash = $1
ORDER BY weight DESC, representative LIMIT $2::bigint)";

constexpr const char* account_sql = R"(
SELECT $1::text AS account,
       f.height,
       f.hash AS frontier,
       f.balance,
       f.representative,
       f.confirmed_at AS frontier_confirmed_at,
       (SELECT count(*) FROM nano.blocks AS b WHERE b.account = $1) AS blocks_stored,
       a.confirmed_height,
       a.confirmed_frontier,
       a.history_start_height,
       (SELECT count(*) FROM ledgertap.gaps AS g
        WHERE g.account = $1 AND g.status IN ('open', 'filling')) AS open_gaps,
       (SELECT count(*) FROM nano.unconfirmed_blocks AS u
        WHERE u.account = $1
          AND NOT EXISTS (SELECT 1 FROM nano.blocks AS b WHERE b.hash = u.hash)) AS unconfirmed
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    SELECT b.hash, b.height, b.balance, b.representative, b.confirmed_at
    FROM nano.blocks AS b
    WHERE b.account = $1 AND b.height IS NOT NULL
    ORDER BY b.height DESC LIMIT 1) AS f ON true
LEFT JOIN nano.accounts AS a ON a.account = $1)";

constexpr const char* account_blocks_sql = R"(
SELECT height, hash, type, subtype, amount, balance, linked_account, confirmed_at,
       confirmation_type, origin
FROM nano.blocks WHERE account = $1
ORDER BY height DESC LIMIT $2::bigint)";

// ---- slot, slots ---------------------------------------------------------------------------

constexpr const char* slot_sql = R"(
SELECT s.slot, s.parent, s.status, s.first_shred_at, s.created_bank_at, s.completed_at,
       s.frozen_at, s.optimistic_at, s.rooted_at, l.shred_to_bank_ms, l.bank_to_frozen_ms,
       l.frozen_to_optimistic_ms, l.optimistic_to_root_ms, l.shred_to_optimistic_ms,
       l.shred_to_root_ms, s.dead_error, s.num_transaction_entries,
       s.num_successful_transactions, s.num_failed_transactions, s.source
FROM solana.slots AS s
JOIN solana.slot_latency AS l ON l.slot = s.slot
WHERE s.slot = $1::bigint)";

constexpr const char* slot_block_sql = R"(
SELECT blockhash, previous_blockhash, parent_slot, block_time, block_height, transaction_count,
       commitment, origin, source, received_at
FROM solana.blocks WHERE slot = $1::bigint)";

constexpr const char* slot_transaction_summary_sql = R"(
SELECT count(*) AS stored, count(*) FILTER (WHERE err IS NOT NULL) AS failed,
       count(*) FILTER (WHERE is_vote) AS votes, sum(fee) AS fees_lamports,
       sum(compute_units_consumed) AS compute_units
FROM solana.transactions WHERE slot = $1::bigint)";

constexpr const char* slot_transactions_sql = R"(
SELECT index, signature, err, fee, compute_units_consumed, version, is_vote
FROM solana.transactions WHERE slot = $1::bigint
ORDER BY index NULLS LAST, signature LIMIT $2::bigint)";

constexpr const char* slots_summary_sql = R"(
SELECT s.slots_seen, s.first_slot, s.last_slot, s.slots_in_range, s.finalized, s.confirmed,
       s.processed, s.skipped, s.dead, s.orphaned, s.missing, s.skip_rate, b.blocks,
       b.transactions, b.transactions_per_block, b.transactions_per_second,
       b.max_transactions_per_block, s.optimistic_p50_ms, s.root_p50_ms
FROM solana.slot_summary(now() - $1::interval) AS s,
     solana.block_summary(now() - $1::interval) AS b)";

// `x.slot + 0`: a bare min(slot) is planned as a walk of slots_pkey from the oldest slot, filtering
// on first_shred_at (540 ms on 2.5M slots, bench/EXPLAIN.md); the expression makes the planner
// use slots_first_shred_at_idx instead (3 ms for 1 h).
constexpr const char* slots_sql = R"(
SELECT s.slot, s.parent, s.status, s.first_shred_at, l.shred_to_bank_ms, l.bank_to_frozen_ms,
       l.frozen_to_optimistic_ms, l.optimistic_to_root_ms, l.shred_to_root_ms,
       coalesce(b.transaction_count,
                s.num_successful_transactions + s.num_failed_transactions) AS transactions
FROM solana.slots AS s
JOIN solana.slot_latency AS l ON l.slot = s.slot
LEFT JOIN solana.blocks AS b ON b.slot = s.slot
WHERE s.slot >= (SELECT min(x.slot + 0) FROM solana.slots AS x
                 WHERE x.first_shred_at >= now() - $1::interval)
ORDER BY s.slot DESC LIMIT $2::bigint)";

// ---- votes, telemetry ----------------------------------------------------------------------

constexpr const char* nano_votes_sql = R"(
SELECT * FROM nano.vote_summary(now() - $1::interval))";

constexpr const char* nano_representatives_sql = R"(
SELECT * FROM nano.representative_votes(now() - $1::interval)
ORDER BY votes DESC, representative LIMIT $2::bigint)";

constexpr const char* solana_votes_sql = R"(
SELECT * FROM solana.vote_summary(now() - $1::interval))";

constexpr const char* solana_validators_sql = R"(
SELECT * FROM solana.validator_votes(now() - $1::interval)
ORDER BY votes DESC, vote_pubkey LIMIT $2::bigint)";

constexpr const char* telemetry_peers_sql = R"(
SELECT node_id, address, port, version, cemented_count, block_count, unchecked_count, peer_count,
       uptime_s, telemetry_at
FROM nano.telemetry_peers(now() - $1::interval)
ORDER BY cemented_count DESC, node_id LIMIT $2::bigint)";

} // namespace

command_result run_latency(session& db, const command_options& options) {
    const auto p = window_params(options);
    const std::string when = since_label(options);
    command_result r;
    r.sections.push_back(fetch(
        db,
        "nano_summary",
        "Nano confirmation latency (ms) by confirmation type, " + when,
        section_shape::rows,
        sql::nano_summary,
        {p[0]}));
    r.sections.push_back(fetch(
        db,
        "nano_per_minute",
        "Nano confirmations per minute, latency percentiles (ms)",
        section_shape::rows,
        nano_per_minute_sql,
        p));
    r.sections.push_back(fetch(
        db,
        "solana_summary",
        "Solana slot latency (ms) and skip rate, " + when,
        section_shape::record,
        solana_summary_sql,
        {p[0]}));
    r.sections.push_back(fetch(
        db,
        "solana_per_minute",
        "Solana slots per minute, first shred -> optimistic / root (ms)",
        section_shape::rows,
        solana_per_minute_sql,
        p));
    return r;
}

command_result run_gaps(session& db, const command_options& options) {
    const auto p = window_params(options);
    command_result r;
    r.sections.push_back(
        fetch(db, "gap_summary", "Gaps per source", section_shape::rows, gap_summary_sql, {}));
    r.sections.push_back(fetch(
        db,
        "gaps",
        "Gaps: open and filling, and any detected or filled in the " + since_label(options),
        section_shape::rows,
        sql::gaps,
        p));
    return r;
}

command_result run_status(session& db, const command_options& options) {
    command_result r;
    r.sections.push_back(fetch(
        db,
        "sources",
        "Sources (lag_s: seconds since the last message)",
        section_shape::rows,
        sources_sql,
        {}));
    r.sections.push_back(
        fetch(db, "watermarks", "Watermarks", section_shape::rows, watermarks_sql, {}));
    r.sections.push_back(fetch(
        db,
        "tables",
        "Rows per table and source (exact = no: planner estimate)",
        section_shape::rows,
        table_rows_sql,
        {}));
    r.sections.push_back(fetch(
        db,
        "connections",
        "Recent connections",
        section_shape::rows,
        connections_sql,
        {std::to_string(options.limit)}));
    return r;
}

command_result run_block(session& db, const schema::bytes32& hash, const command_options& options) {
    const std::vector<std::string> p{schema::hex_upper(hash), std::to_string(options.limit)};
    command_result r;
    r.sections.push_back(
        fetch(db, "block", "Nano block " + p[0], section_shape::record, block_sql, {p[0]}));
    r.found = !r.sections.back().table.rows.empty();
    if (!r.found) {
        return r;
    }
    r.sections.push_back(fetch(
        db, "elections", "Election events", section_shape::rows, block_elections_sql, {p[0]}));
    r.sections.push_back(fetch(
        db,
        "votes",
        "Votes covering the block (vote topic)",
        section_shape::rows,
        block_votes_sql,
        p));
    r.sections.push_back(fetch(
        db,
        "election_votes",
        "Election votes reported with the confirmation",
        section_shape::rows,
        block_election_votes_sql,
        p));
    return r;
}

command_result run_account(
    session& db, const std::string& address, const command_options& options) {
    const std::vector<std::string> p{address, std::to_string(options.limit)};
    command_result r;
    r.sections.push_back(fetch(
        db, "account", "Nano account " + address, section_shape::record, account_sql, {address}));
    const result_table& a = r.sections.back().table;
    r.found = a.value(0, "blocks_stored").value_or("0") != "0"
              || a.value(0, "confirmed_height").has_value()
              || a.value(0, "unconfirmed").value_or("0") != "0";
    if (!r.found) {
        return r;
    }
    r.sections.push_back(fetch(
        db, "blocks", "Recent blocks (newest first)", section_shape::rows, account_blocks_sql, p));
    return r;
}

command_result run_slot(session& db, std::uint64_t slot, const command_options& options) {
    const std::vector<std::string> p{std::to_string(slot), std::to_string(options.limit)};
    command_result r;
    r.sections.push_back(
        fetch(db, "slot", "Solana slot " + p[0], section_shape::record, slot_sql, {p[0]}));
    r.sections.push_back(
        fetch(db, "block", "Block", section_shape::record, slot_block_sql, {p[0]}));
    r.found = !r.sections[0].table.rows.empty() || !r.sections[1].table.rows.empty();
    if (!r.found) {
        return r;
    }
    r.sections.push_back(fetch(
        db,
        "transaction_summary",
        "Stored transactions",
        section_shape::record,
        slot_transaction_summary_sql,
        {p[0]}));
    r.sections.push_back(
        fetch(db, "transactions", "Transactions", section_shape::rows, slot_transactions_sql, p));
    return r;
}

command_result run_slots(session& db, const command_options& options) {
    const auto p = window_params(options);
    command_result r;
    r.sections.push_back(fetch(
        db,
        "solana_summary",
        "Solana slots, " + since_label(options) + " (skip_rate: skipped / (finalized + skipped))",
        section_shape::record,
        slots_summary_sql,
        {p[0]}));
    r.sections.push_back(
        fetch(db, "slots", "Recent slots (ms per step)", section_shape::rows, slots_sql, p));
    return r;
}

command_result run_votes(session& db, const command_options& options) {
    const auto p = window_params(options);
    const std::string when = since_label(options);
    command_result r;
    r.sections.push_back(fetch(
        db, "nano_votes", "Nano votes, " + when, section_shape::record, nano_votes_sql, {p[0]}));
    r.sections.push_back(fetch(
        db,
        "nano_representatives",
        "Most active Nano representatives",
        section_shape::rows,
        nano_representatives_sql,
        p));
    r.sections.push_back(fetch(
        db,
        "solana_votes",
        "Solana gossip votes, " + when,
        section_shape::record,
        solana_votes_sql,
        {p[0]}));
    r.sections.push_back(fetch(
        db,
        "solana_validators",
        "Most active Solana vote accounts",
        section_shape::rows,
        solana_validators_sql,
        p));
    return r;
}

command_result run_telemetry(session& db, const command_options& options) {
    const auto p = window_params(options);
    command_result r;
    r.sections.push_back(fetch(
        db,
        "telemetry_summary",
        "Nano peers' telemetry (latest per peer), " + since_label(options),
        section_shape::record,
        sql::telemetry_summary,
        {p[0]}));
    r.sections.push_back(fetch(
        db,
        "telemetry_versions",
        "Peers by node version (share 0..1)",
        section_shape::rows,
        sql::telemetry_versions,
        {p[0]}));
    r.sections.push_back(fetch(
        db,
        "telemetry_peers",
        "Peers (highest cemented count first)",
        section_shape::rows,
        telemetry_peers_sql,
        p));
    return r;
}

} // namespace ledgertap::query
