#pragma once

// The Nano corner of the writer: staging columns and merges for the nano.* tables, and the pure
// mapping from decoded WebSocket events (schema/nano.hpp) to rows.

#include "ingest/rows.hpp"
#include "schema/nano.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::ingest {

struct nano_tables {
    table_id blocks = 0;
    table_id election_votes = 0;
    table_id votes = 0;
    table_id elections = 0;
    table_id unconfirmed = 0;
    table_id telemetry = 0;
    table_id work = 0;
    table_id bootstrap = 0;
    table_id active_difficulty = 0;
};

[[nodiscard]] nano_tables register_nano_tables(table_set& tables);

/// Where a confirmed block came from (`nano.blocks.origin`).
enum class nano_origin { websocket, rpc_backfill };

/// Everything one decoded message becomes. `error` is set (and `rows` empty) when a value cannot
/// be stored (NUL byte or invalid UTF-8 in a free-text field); the caller dead-letters it.
struct mapped_rows {
    std::vector<row> rows;
    std::string error;
    /// Free-text fields stored with NUL or invalid UTF-8 replaced (copy_row::replaced()).
    std::size_t replaced = 0;
};

/// Maps one decoded message. Acks map to no rows. `received_ms` is ledgertap's receipt time.
[[nodiscard]] mapped_rows map_nano_message(const nano_tables& t, const schema::nano::ws_message& msg,
    std::string_view source, std::uint64_t received_ms);

/// The row of one confirmed block, live or backfilled.
struct nano_block_facts {
    const schema::nano::block* block = nullptr;
    std::string hash;
    std::string account;
    std::optional<std::uint64_t> height;
    std::optional<schema::u128> amount;
    std::optional<schema::u128> account_balance; ///< Balance after the block (RPC), for legacy blocks.
    std::optional<std::uint64_t> confirmed_ms;
    std::optional<std::uint64_t> local_timestamp_s;
    std::optional<std::string> confirmation_type;
    const schema::nano::election_info* election = nullptr;
    std::optional<std::string> linked_account;
    nano_origin origin = nano_origin::websocket;
    std::uint64_t received_ms = 0;
};
[[nodiscard]] mapped_rows map_nano_block(const nano_tables& t, const nano_block_facts& f,
    std::string_view source);

} // namespace ledgertap::ingest
