#pragma once

// The chain-neutral tables of the `ledgertap` schema that every source writes through the same
// batch writer: connection history, dead letters and per-source liveness.

#include "ingest/rows.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledgertap::ingest {

struct pipeline_tables {
    table_id sources = 0;
    table_id connections = 0;
    table_id rejected = 0;
};

/// Adds the ledgertap.* tables to `tables`; call before any chain registers its own, so chain
/// merges may rely on the source row existing.
[[nodiscard]] pipeline_tables register_pipeline_tables(table_set& tables);

/// Bytes of a rejected payload kept in ledgertap.rejected_messages.
inline constexpr std::size_t rejected_payload_limit = 64 * 1024;

/// A dead letter: a message we could not decode or store. `payload` is truncated to
/// rejected_payload_limit and made storable (invalid UTF-8 and NUL bytes become U+FFFD).
[[nodiscard]] row row_for_rejected(const pipeline_tables& t, std::string_view source,
    std::string_view chain, std::uint64_t received_ms, std::string_view reason,
    std::string_view detail, std::string_view payload, std::size_t size_bytes);

/// A source's state as its connections add it up (every shard of a Solana source together).
struct source_record {
    std::string name;
    std::string chain;
    std::string ws_url;
    std::string rpc_url;
    bool connected = false; ///< At least one of its connections is open.
    std::optional<std::uint64_t> last_connected_ms;
    std::optional<std::uint64_t> last_message_ms;
    std::uint64_t messages_received = 0; ///< Since this process started, every connection.
    /// Orders the rows of one source within a batch: the highest is the latest state.
    std::uint64_t seq = 0;
};

/// The source's row. Merge: `connected` takes the latest row's value, URLs the latest non-null,
/// last_connected_at, last_message_at and messages_received only move forward (greatest).
[[nodiscard]] row row_for_source(const pipeline_tables& t, const source_record& s);

/// One connection's row, keyed by (source, opened_at); written when it opens and again when it
/// closes (the merge fills in the close and keeps the largest message count).
struct connection_record {
    std::string source;
    std::string url;
    std::uint64_t opened_ms = 0;
    std::optional<std::uint64_t> closed_ms;
    std::optional<int> close_code;
    std::optional<std::string> close_reason;
    std::uint64_t messages_received = 0;
};
[[nodiscard]] row row_for_connection(const pipeline_tables& t, const connection_record& c);

/// Milliseconds since the Unix epoch, now.
[[nodiscard]] std::uint64_t now_ms();

} // namespace ledgertap::ingest
