#include "ingest/nano_tables.hpp"

#include "ingest/copy_row.hpp"

#include <fmt/format.h>

namespace ledgertap::ingest {

namespace nano = schema::nano;

namespace {

// Rank of a confirmation type: a merge only ever moves a block's election data to a higher rank,
// so a later active_confirmation_height re-notification cannot erase an active_quorum election.
// Which confirmation of a block a merge keeps: active_quorum carries the block's own election;
// then inactive; then active_confirmation_height, because every re-notification of an already
// cemented block (block_confirm, reconnect overlap) is sent as active_confirmation_height, so when
// both are seen the inactive one is the original. Equal ranks keep the earliest.
std::string rank_of(const std::string& col) {
    return fmt::format(
        "(CASE {} WHEN 'active_quorum' THEN 3 WHEN 'inactive' THEN 2 "
        "WHEN 'active_confirmation_height' THEN 1 ELSE 0 END)",
        col);
}

std::string blocks_merge() {
    const std::string better = rank_of("excluded.confirmation_type") + " > " + rank_of("b.confirmation_type");
    auto pick = [&](const char* col) {
        return fmt::format("{0} = CASE WHEN {1} THEN excluded.{0} ELSE COALESCE(b.{0}, excluded.{0}) END", col, better);
    };
    return fmt::format(R"(INSERT INTO nano.blocks AS b (hash, account, previous, height, type, subtype,
    representative, balance, link, link_as_account, amount, signature, work, confirmed_at, received_at,
    confirmation_type, election_duration_ms, election_time, election_tally, election_final_tally,
    election_blocks, election_voters, election_request_count, local_timestamp, linked_account, origin, source,
    node_time)
SELECT DISTINCT ON (hash) hash, account, previous, height, type, subtype, representative, balance, link,
    link_as_account, amount, signature, work, confirmed_at, received_at, confirmation_type,
    election_duration_ms, election_time, election_tally, election_final_tally, election_blocks,
    election_voters, election_request_count, local_timestamp, linked_account, origin, source, node_time
FROM {{staging}}
ORDER BY hash, {rank} DESC, (origin = 'websocket') DESC, confirmed_at ASC NULLS LAST
ON CONFLICT (hash) DO UPDATE SET
    height = COALESCE(b.height, excluded.height),
    subtype = COALESCE(b.subtype, excluded.subtype),
    amount = COALESCE(b.amount, excluded.amount),
    linked_account = COALESCE(b.linked_account, excluded.linked_account),
    local_timestamp = COALESCE(b.local_timestamp, excluded.local_timestamp),
    confirmed_at = LEAST(b.confirmed_at, excluded.confirmed_at),
    received_at = LEAST(b.received_at, excluded.received_at),
    {p1}, {p2}, {p3}, {p4}, {p5}, {p6}, {p7},
    confirmation_type = CASE WHEN {better} THEN excluded.confirmation_type ELSE b.confirmation_type END,
    origin = CASE WHEN b.origin = 'websocket' OR excluded.origin = 'websocket' THEN 'websocket' ELSE b.origin END,
    updated_at = now()
WHERE {better}
   OR (b.height IS NULL AND excluded.height IS NOT NULL)
   OR (b.subtype IS NULL AND excluded.subtype IS NOT NULL)
   OR (b.amount IS NULL AND excluded.amount IS NOT NULL)
   OR (b.linked_account IS NULL AND excluded.linked_account IS NOT NULL)
   OR (b.local_timestamp IS NULL AND excluded.local_timestamp IS NOT NULL)
   OR excluded.confirmed_at < b.confirmed_at
   OR (b.confirmed_at IS NULL AND excluded.confirmed_at IS NOT NULL)
   OR (b.origin <> 'websocket' AND excluded.origin = 'websocket'))",
        fmt::arg("rank", rank_of("confirmation_type")), fmt::arg("better", better),
        fmt::arg("p1", pick("election_duration_ms")), fmt::arg("p2", pick("election_time")),
        fmt::arg("p3", pick("election_tally")), fmt::arg("p4", pick("election_final_tally")),
        fmt::arg("p5", pick("election_blocks")), fmt::arg("p6", pick("election_voters")),
        fmt::arg("p7", pick("election_request_count")));
}

const char* origin_text(nano_origin o) {
    return o == nano_origin::websocket ? "websocket" : "rpc_backfill";
}

template<typename T>
void opt(copy_row& r, const std::optional<T>& v) {
    if (v) {
        if constexpr (std::is_same_v<T, std::string>) {
            r.text(*v);
        } else if constexpr (std::is_same_v<T, schema::u128>) {
            r.u128(*v);
        } else {
            r.u64(static_cast<std::uint64_t>(*v));
        }
    } else {
        r.null();
    }
}

} // namespace

nano_tables register_nano_tables(table_set& tables) {
    nano_tables t;
    t.blocks = tables.add({"nano.blocks", "lt_stage_nano_blocks",
        {{"hash", "text"}, {"account", "text"}, {"previous", "text"}, {"height", "bigint"},
            {"type", "text"}, {"subtype", "text"}, {"representative", "text"},
            {"balance", "numeric(39,0)"}, {"link", "text"}, {"link_as_account", "text"},
            {"amount", "numeric(39,0)"}, {"signature", "text"}, {"work", "text"},
            {"confirmed_at", "timestamptz"}, {"received_at", "timestamptz"},
            {"confirmation_type", "text"}, {"election_duration_ms", "bigint"},
            {"election_time", "timestamptz"}, {"election_tally", "numeric(39,0)"},
            {"election_final_tally", "numeric(39,0)"}, {"election_blocks", "bigint"},
            {"election_voters", "bigint"}, {"election_request_count", "bigint"},
            {"local_timestamp", "timestamptz"}, {"linked_account", "text"}, {"origin", "text"},
            {"source", "text"}, {"node_time", "timestamptz"}},
        blocks_merge()});
    t.election_votes = tables.add({"nano.election_votes", "lt_stage_nano_election_votes",
        {{"hash", "text"}, {"representative", "text"}, {"timestamp", "numeric(20,0)"},
            {"weight", "numeric(39,0)"}, {"source", "text"}, {"received_at", "timestamptz"}},
        // The vote with the greater timestamp wins (a final vote, 2^64-1, beats any other).
        R"(INSERT INTO nano.election_votes AS e (hash, representative, timestamp, weight, source, received_at)
SELECT DISTINCT ON (hash, representative) hash, representative, timestamp, weight, source, received_at
FROM {staging}
ORDER BY hash, representative, timestamp DESC, received_at
ON CONFLICT (hash, representative) DO UPDATE SET
    timestamp = excluded.timestamp, weight = excluded.weight, source = excluded.source,
    received_at = excluded.received_at
WHERE excluded.timestamp > e.timestamp)"});
    // A vote and the hashes it covers in one statement: nano.vote_blocks rows only for the votes
    // this statement stores, named by their new id (migrations/0012_vote_ids.sql), so a
    // re-broadcast vote (or a batch resent after an unknown COMMIT outcome) writes nothing twice.
    t.votes = tables.add({"nano.votes", "lt_stage_nano_votes",
        {{"representative", "text"}, {"signature", "text"}, {"timestamp", "numeric(20,0)"},
            {"is_final", "boolean"}, {"duration_code", "smallint"}, {"type", "text"},
            {"node_time", "timestamptz"}, {"received_at", "timestamptz"}, {"source", "text"},
            {"hashes", "text[]"}},
        // First receipt wins: across batches the stored row stays; within one the earliest copy,
        // and of copies received in the same millisecond the vote before its replay (the staging
        // table's scan order is not the order rows went in).
        R"(WITH batch AS (
    SELECT DISTINCT ON (representative, signature) *
    FROM {staging}
    ORDER BY representative, signature, received_at,
        CASE type WHEN 'vote' THEN 0 WHEN 'replay' THEN 1 WHEN 'indeterminate' THEN 2 ELSE 3 END
), stored AS (
    INSERT INTO nano.votes (representative, signature, timestamp, is_final, duration_code, type,
        node_time, received_at, source)
    SELECT representative, signature, timestamp, is_final, duration_code, type, node_time, received_at, source
    FROM batch
    ON CONFLICT DO NOTHING
    RETURNING id, representative, signature
)
INSERT INTO nano.vote_blocks (vote_id, hash)
SELECT DISTINCT v.id, h.hash
FROM stored AS v
JOIN batch AS b ON b.representative = v.representative AND b.signature = v.signature
CROSS JOIN LATERAL unnest(b.hashes) AS h(hash))"});
    t.elections = tables.add({"nano.elections", "lt_stage_nano_elections",
        {{"hash", "text"}, {"event", "text"}, {"time", "timestamptz"}, {"received_at", "timestamptz"},
            {"source", "text"}},
        R"(INSERT INTO nano.elections (hash, event, time, received_at, source)
SELECT hash, event, time, received_at, source FROM {staging}
ON CONFLICT DO NOTHING)"});
    t.unconfirmed = tables.add({"nano.unconfirmed_blocks", "lt_stage_nano_unconfirmed",
        {{"hash", "text"}, {"account", "text"}, {"previous", "text"}, {"type", "text"},
            {"subtype", "text"}, {"representative", "text"}, {"balance", "numeric(39,0)"},
            {"link", "text"}, {"link_as_account", "text"}, {"signature", "text"}, {"work", "text"},
            {"first_seen_at", "timestamptz"}, {"received_at", "timestamptz"}, {"source", "text"}},
        R"(INSERT INTO nano.unconfirmed_blocks AS u (hash, account, previous, type, subtype,
    representative, balance, link, link_as_account, signature, work, first_seen_at, received_at, source)
SELECT DISTINCT ON (hash) hash, account, previous, type, subtype, representative, balance, link,
    link_as_account, signature, work, first_seen_at, received_at, source
FROM {staging} ORDER BY hash, first_seen_at ASC
ON CONFLICT (hash) DO UPDATE SET
    first_seen_at = LEAST(u.first_seen_at, excluded.first_seen_at),
    received_at = LEAST(u.received_at, excluded.received_at)
WHERE excluded.first_seen_at < u.first_seen_at)"});
    t.telemetry = tables.add({"nano.telemetry", "lt_stage_nano_telemetry",
        {{"node_id", "text"}, {"timestamp", "timestamptz"}, {"address", "text"}, {"port", "integer"},
            {"block_count", "numeric(20,0)"}, {"cemented_count", "numeric(20,0)"},
            {"unchecked_count", "numeric(20,0)"}, {"account_count", "numeric(20,0)"},
            {"bandwidth_cap", "numeric(20,0)"}, {"peer_count", "bigint"},
            {"protocol_version", "smallint"}, {"uptime", "numeric(20,0)"}, {"genesis_block", "text"},
            {"major_version", "smallint"}, {"minor_version", "smallint"},
            {"patch_version", "smallint"}, {"pre_release_version", "smallint"}, {"maker", "smallint"},
            {"active_difficulty", "text"}, {"signature", "text"}, {"node_time", "timestamptz"},
            {"received_at", "timestamptz"}, {"source", "text"}},
        R"(INSERT INTO nano.telemetry (node_id, timestamp, address, port, block_count, cemented_count,
    unchecked_count, account_count, bandwidth_cap, peer_count, protocol_version, uptime, genesis_block,
    major_version, minor_version, patch_version, pre_release_version, maker, active_difficulty,
    signature, node_time, received_at, source)
SELECT node_id, timestamp, address, port, block_count, cemented_count, unchecked_count, account_count,
    bandwidth_cap, peer_count, protocol_version, uptime, genesis_block, major_version, minor_version,
    patch_version, pre_release_version, maker, active_difficulty, signature, node_time, received_at, source
FROM {staging}
ON CONFLICT DO NOTHING)"});
    t.work = tables.add({"nano.work", "lt_stage_nano_work",
        {{"hash", "text"}, {"time", "timestamptz"}, {"success", "boolean"}, {"reason", "text"},
            {"duration_ms", "bigint"}, {"version", "text"}, {"difficulty", "text"},
            {"multiplier", "text"}, {"result_source", "text"}, {"result_work", "text"},
            {"result_difficulty", "text"}, {"result_multiplier", "text"}, {"bad_peers", "text[]"},
            {"received_at", "timestamptz"}, {"source", "text"}},
        R"(INSERT INTO nano.work (hash, time, success, reason, duration_ms, version, difficulty,
    multiplier, result_source, result_work, result_difficulty, result_multiplier, bad_peers, received_at,
    source)
SELECT hash, time, success, reason, duration_ms, version, difficulty, multiplier, result_source,
    result_work, result_difficulty, result_multiplier, bad_peers, received_at, source
FROM {staging}
ON CONFLICT DO NOTHING)"});
    t.bootstrap = tables.add({"nano.bootstrap", "lt_stage_nano_bootstrap",
        {{"id", "text"}, {"reason", "text"}, {"time", "timestamptz"}, {"mode", "text"},
            {"total_blocks", "numeric(20,0)"}, {"duration_s", "bigint"},
            {"received_at", "timestamptz"}, {"source", "text"}},
        R"(INSERT INTO nano.bootstrap (id, reason, time, mode, total_blocks, duration_s, received_at, source)
SELECT id, reason, time, mode, total_blocks, duration_s, received_at, source FROM {staging}
ON CONFLICT DO NOTHING)"});
    t.active_difficulty = tables.add({"nano.active_difficulty", "lt_stage_nano_active_difficulty",
        {{"time", "timestamptz"}, {"multiplier", "text"}, {"network_current", "text"},
            {"network_minimum", "text"}, {"network_receive_current", "text"},
            {"network_receive_minimum", "text"}, {"received_at", "timestamptz"}, {"source", "text"}},
        R"(INSERT INTO nano.active_difficulty (time, multiplier, network_current, network_minimum,
    network_receive_current, network_receive_minimum, received_at, source)
SELECT time, multiplier, network_current, network_minimum, network_receive_current,
    network_receive_minimum, received_at, source FROM {staging}
ON CONFLICT DO NOTHING)"});
    return t;
}

mapped_rows map_nano_block(const nano_tables& t, const nano_block_facts& f, std::string_view source) {
    mapped_rows out;
    const nano::block& b = *f.block;
    copy_row r;
    r.text(f.hash).text(f.account).text(b.previous);
    opt(r, f.height);
    r.text(nano::to_string(b.type));
    if (b.subtype == nano::block_subtype::none) {
        r.null();
    } else {
        r.text(nano::to_string(b.subtype));
    }
    opt(r, b.representative);
    // Legacy open/receive/change blocks carry no balance; the RPC knows the account's balance.
    opt(r, b.balance ? b.balance : f.account_balance);
    if (b.type == nano::block_type::change) {
        r.null(); // a legacy change block has no link
    } else {
        r.text(b.link);
    }
    opt(r, b.link_as_account);
    opt(r, f.amount);
    r.text(b.signature).text(b.work);
    r.timestamp_ms(f.confirmed_ms).timestamp_ms(f.received_ms);
    opt(r, f.confirmation_type);
    const nano::election_info* e = f.election;
    if (e != nullptr) {
        r.u64(e->duration_ms).timestamp_ms(e->time_ms).u128(e->tally);
        opt(r, e->final_tally);
        opt(r, e->blocks);
        opt(r, e->voters);
        opt(r, e->request_count);
    } else {
        r.null().null().null().null().null().null().null();
    }
    if (f.local_timestamp_s && *f.local_timestamp_s > 0) {
        r.timestamp_ms(*f.local_timestamp_s * 1000);
    } else {
        r.null();
    }
    opt(r, f.linked_account);
    r.text(origin_text(f.origin)).text(source).timestamp_ms(f.confirmed_ms);
    if (!r.ok()) {
        out.error = "nano.blocks: " + r.error();
        return out;
    }
    out.rows.push_back({t.blocks, r.finish()});
    if (e != nullptr && e->votes) {
        for (const auto& v : *e->votes) {
            copy_row vr;
            vr.text(f.hash).text(v.representative).u64(v.timestamp).u128(v.weight).text(source).timestamp_ms(f.received_ms);
            out.rows.push_back({t.election_votes, vr.finish()});
        }
    }
    return out;
}

namespace {

struct mapper {
    const nano_tables& t;
    std::string_view source;
    std::uint64_t received_ms;
    mapped_rows out;

    void push(table_id table, copy_row& r, const char* what) {
        if (!r.ok()) {
            out.error = fmt::format("{}: {}", what, r.error());
            out.rows.clear();
            return;
        }
        out.rows.push_back({table, r.finish()});
    }

    void operator()(const nano::ack&) {}

    void operator()(const nano::confirmation& c) {
        if (!c.block) {
            // include_block=false: nothing to store as a block. Counted by the source.
            return;
        }
        nano_block_facts f;
        f.block = &*c.block;
        f.hash = c.hash;
        f.account = c.account;
        if (c.sideband) {
            f.height = c.sideband->height;
            f.local_timestamp_s = c.sideband->local_timestamp;
        }
        f.amount = c.amount;
        f.confirmed_ms = c.time_ms;
        f.confirmation_type = nano::to_string(c.type);
        f.election = c.election_info ? &*c.election_info : nullptr;
        f.linked_account = c.linked_account;
        f.origin = nano_origin::websocket;
        f.received_ms = received_ms;
        out = map_nano_block(t, f, source);
    }

    void operator()(const nano::vote& v) {
        copy_row r;
        r.text(v.account).text(v.signature).u64(v.timestamp).boolean(v.is_final);
        if (v.duration) {
            r.u64(*v.duration);
        } else {
            r.null();
        }
        r.text(nano::to_string(v.type)).timestamp_ms(v.time_ms).timestamp_ms(received_ms).text(source);
        r.text_array(v.blocks);
        push(t.votes, r, "nano.votes");
    }

    void operator()(const nano::election& e) {
        copy_row r;
        r.text(e.hash)
            .text(e.event == nano::election_event::started ? "started" : "stopped")
            .timestamp_ms(e.time_ms)
            .timestamp_ms(received_ms)
            .text(source);
        push(t.elections, r, "nano.elections");
    }

    void operator()(const nano::unconfirmed_block& u) {
        const auto& b = u.block;
        copy_row r;
        r.text(u.hash);
        if (b.account.empty()) {
            r.null();
        } else {
            r.text(b.account);
        }
        r.text(b.previous).text(nano::to_string(b.type));
        if (b.subtype == nano::block_subtype::none) {
            r.null();
        } else {
            r.text(nano::to_string(b.subtype));
        }
        opt(r, b.representative);
        opt(r, b.balance);
        r.text(b.link);
        opt(r, b.link_as_account);
        r.text(b.signature).text(b.work).timestamp_ms(u.time_ms).timestamp_ms(received_ms).text(source);
        push(t.unconfirmed, r, "nano.unconfirmed_blocks");
    }

    void operator()(const nano::telemetry& m) {
        copy_row r;
        r.text(m.node_id).timestamp_ms(m.timestamp).text(m.address).u64(m.port).u64(m.block_count)
            .u64(m.cemented_count).u64(m.unchecked_count).u64(m.account_count).u64(m.bandwidth_cap)
            .u64(m.peer_count).u64(m.protocol_version).u64(m.uptime).text(m.genesis_block)
            .u64(m.major_version).u64(m.minor_version).u64(m.patch_version)
            .u64(m.pre_release_version).u64(m.maker);
        opt(r, m.active_difficulty);
        r.text(m.signature).timestamp_ms(m.time_ms).timestamp_ms(received_ms).text(source);
        push(t.telemetry, r, "nano.telemetry");
    }

    void operator()(const nano::work& w) {
        copy_row r;
        r.text(w.request.hash).timestamp_ms(w.time_ms).boolean(w.success).text(w.reason)
            .u64(w.duration_ms);
        opt(r, w.request.version);
        r.text(w.request.difficulty).text(w.request.multiplier);
        if (w.result) {
            r.text(w.result->source).text(w.result->work).text(w.result->difficulty)
                .text(w.result->multiplier);
        } else {
            r.null().null().null().null();
        }
        r.text_array(w.bad_peers).timestamp_ms(received_ms).text(source);
        push(t.work, r, "nano.work");
    }

    void operator()(const nano::bootstrap& b) {
        copy_row r;
        r.text(b.id)
            .text(b.reason == nano::bootstrap_reason::started ? "started" : "exited")
            .timestamp_ms(b.time_ms)
            .text(b.mode);
        opt(r, b.total_blocks);
        opt(r, b.duration_s);
        r.timestamp_ms(received_ms).text(source);
        push(t.bootstrap, r, "nano.bootstrap");
    }

    void operator()(const nano::active_difficulty& a) {
        copy_row r;
        r.timestamp_ms(a.time_ms).text(a.multiplier).text(a.network_current).text(a.network_minimum);
        opt(r, a.network_receive_current);
        opt(r, a.network_receive_minimum);
        r.timestamp_ms(received_ms).text(source);
        push(t.active_difficulty, r, "nano.active_difficulty");
    }
};

} // namespace

mapped_rows map_nano_message(const nano_tables& t, const nano::ws_message& msg,
    std::string_view source, std::uint64_t received_ms) {
    mapper m{t, source, received_ms, {}};
    std::visit(m, msg);
    return std::move(m.out);
}

} // namespace ledgertap::ingest
