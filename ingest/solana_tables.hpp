#pragma once

// The Solana corner of the writer: staging columns and merges for the solana.* tables, and the
// pure mapping from decoded PubSub events (schema/solana.hpp) to rows.

#include "ingest/nano_tables.hpp" // mapped_rows
#include "ingest/rows.hpp"
#include "schema/solana.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledgertap::ingest {

struct solana_tables {
    table_id slots = 0;
    table_id blocks = 0;
    table_id transactions = 0;
    table_id logs = 0;
    table_id account_updates = 0;
    table_id accounts = 0;
    table_id signatures = 0;
    table_id votes = 0;
};

[[nodiscard]] solana_tables register_solana_tables(table_set& tables);

/// A slot-table fact; each notification kind fills its own columns. `status` only ever moves
/// forward in the merge (processed < confirmed < dead < finalized = skipped = orphaned).
struct slot_fact {
    std::uint64_t slot = 0;
    std::optional<std::uint64_t> parent;
    std::optional<std::string> status;
    std::optional<std::uint64_t> first_shred_ms;
    std::optional<std::uint64_t> created_bank_ms;
    std::optional<std::uint64_t> completed_ms;
    std::optional<std::uint64_t> frozen_ms;
    std::optional<std::uint64_t> optimistic_ms;
    std::optional<std::uint64_t> rooted_ms;
    std::optional<std::string> dead_error;
    std::optional<schema::solana::slot_stats> stats;
};
[[nodiscard]] mapped_rows map_slot_fact(const solana_tables& t, const slot_fact& f, std::string_view source);

enum class solana_origin { websocket, rpc_backfill };

/// A block and its transactions. `commitment` is what the block is known at.
[[nodiscard]] mapped_rows map_solana_block(const solana_tables& t, std::uint64_t slot,
    const schema::solana::block& b, std::string_view commitment, solana_origin origin,
    std::string_view source, std::uint64_t received_ms);

/// What a subscription id stands for, so notifications that carry only the id can be stored.
struct subscription_context {
    std::string commitment = "confirmed";
    std::string target; ///< The signature of a signatureSubscribe, the program of a programSubscribe.
};

/// Maps one decoded notification (envelopes — acks, errors, versions — map to nothing).
[[nodiscard]] mapped_rows map_solana_message(const solana_tables& t,
    const schema::solana::pubsub_message& msg, const subscription_context& ctx,
    std::string_view source, std::uint64_t received_ms);

} // namespace ledgertap::ingest
