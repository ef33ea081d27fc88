#include "ingest/pipeline_tables.hpp"

#include "ingest/copy_row.hpp"

#include <algorithm>
#include <atomic>

namespace ledgertap::ingest {

pipeline_tables register_pipeline_tables(table_set& tables) {
    pipeline_tables t;
    t.sources = tables.add({"ledgertap.sources", "lt_stage_sources",
        {{"name", "text"}, {"chain", "text"}, {"ws_url", "text"}, {"rpc_url", "text"},
            {"connected", "boolean"}, {"last_connected_at", "timestamptz"},
            {"last_message_at", "timestamptz"}, {"messages_received", "bigint"}, {"seq", "bigint"}},
        R"(INSERT INTO ledgertap.sources AS s
    (name, chain, ws_url, rpc_url, connected, last_connected_at, last_message_at, messages_received)
SELECT DISTINCT ON (name) name, chain, ws_url, rpc_url, connected, last_connected_at, last_message_at,
    messages_received
FROM {staging} ORDER BY name, seq DESC
ON CONFLICT (name) DO UPDATE SET
    chain = excluded.chain,
    ws_url = COALESCE(excluded.ws_url, s.ws_url),
    rpc_url = COALESCE(excluded.rpc_url, s.rpc_url),
    connected = excluded.connected,
    last_connected_at = GREATEST(s.last_connected_at, excluded.last_connected_at),
    last_message_at = GREATEST(s.last_message_at, excluded.last_message_at),
    messages_received = GREATEST(s.messages_received, excluded.messages_received),
    updated_at = now()
WHERE s.connected IS DISTINCT FROM excluded.connected
   OR s.last_connected_at IS DISTINCT FROM GREATEST(s.last_connected_at, excluded.last_connected_at)
   OR s.last_message_at IS DISTINCT FROM GREATEST(s.last_message_at, excluded.last_message_at)
   OR s.messages_received < excluded.messages_received
   OR s.ws_url IS DISTINCT FROM COALESCE(excluded.ws_url, s.ws_url)
   OR s.rpc_url IS DISTINCT FROM COALESCE(excluded.rpc_url, s.rpc_url))"});
    t.connections = tables.add({"ledgertap.connections", "lt_stage_connections",
        {{"source", "text"}, {"url", "text"}, {"opened_at", "timestamptz"},
            {"closed_at", "timestamptz"}, {"close_code", "integer"}, {"close_reason", "text"},
            {"messages_received", "bigint"}},
        R"(INSERT INTO ledgertap.connections AS c
    (source, url, opened_at, closed_at, close_code, close_reason, messages_received)
SELECT DISTINCT ON (source, opened_at) source, url, opened_at, closed_at, close_code,
    close_reason, messages_received
FROM {staging} ORDER BY source, opened_at, closed_at DESC NULLS LAST, messages_received DESC
ON CONFLICT (source, opened_at) DO UPDATE SET
    closed_at = COALESCE(c.closed_at, excluded.closed_at),
    close_code = COALESCE(c.close_code, excluded.close_code),
    close_reason = COALESCE(c.close_reason, excluded.close_reason),
    messages_received = GREATEST(c.messages_received, excluded.messages_received)
WHERE (c.closed_at IS NULL AND excluded.closed_at IS NOT NULL)
   OR excluded.messages_received > c.messages_received)"});
    t.rejected = tables.add({"ledgertap.rejected_messages", "lt_stage_rejected",
        {{"source", "text"}, {"chain", "text"}, {"received_at", "timestamptz"},
            {"reason", "text"}, {"detail", "text"}, {"size_bytes", "bigint"}, {"payload", "text"},
            {"truncated", "boolean"}},
        R"(INSERT INTO ledgertap.rejected_messages
    (source, chain, received_at, reason, detail, size_bytes, payload, truncated)
SELECT source, chain, received_at, reason, detail, size_bytes, payload, truncated
FROM {staging})"});
    return t;
}

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch()).count());
}

row row_for_rejected(const pipeline_tables& t, std::string_view source, std::string_view chain,
    std::uint64_t received_ms, std::string_view reason, std::string_view detail,
    std::string_view payload, std::size_t size_bytes) {
    const bool truncated = payload.size() > rejected_payload_limit || size_bytes > payload.size();
    const auto kept = payload.substr(0, std::min(payload.size(), rejected_payload_limit));
    copy_row r;
    r.text(make_storable(source));
    if (chain.empty()) {
        r.null(); // unknown: the column's CHECK takes 'nano', 'solana' or NULL, never ''
    } else {
        r.text(make_storable(chain));
    }
    r.timestamp_ms(received_ms)
        .text(make_storable(reason))
        .text(make_storable(detail))
        .u64(size_bytes)
        .text(make_storable(kept))
        .boolean(truncated);
    return {t.rejected, r.finish()};
}

row row_for_source(const pipeline_tables& t, const source_record& s) {
    copy_row r;
    r.text(make_storable(s.name)).text(make_storable(s.chain));
    for (const auto* url : {&s.ws_url, &s.rpc_url}) {
        if (url->empty()) {
            r.null();
        } else {
            r.text(make_storable(*url));
        }
    }
    r.boolean(s.connected).timestamp_ms(s.last_connected_ms).timestamp_ms(s.last_message_ms);
    r.u64(s.messages_received).u64(s.seq);
    return {t.sources, r.finish()};
}

row row_for_connection(const pipeline_tables& t, const connection_record& c) {
    copy_row r;
    r.text(make_storable(c.source))
        .text(make_storable(c.url))
        .timestamp_ms(c.opened_ms)
        .timestamp_ms(c.closed_ms);
    if (c.close_code) {
        r.i64(*c.close_code);
    } else {
        r.null();
    }
    if (c.close_reason) {
        r.text(make_storable(*c.close_reason));
    } else {
        r.null();
    }
    r.u64(c.messages_received);
    return {t.connections, r.finish()};
}

} // namespace ledgertap::ingest
