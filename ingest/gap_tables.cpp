#include "ingest/gap_tables.hpp"

#include "ingest/copy_row.hpp"
#include "ingest/pipeline_tables.hpp"

#include <atomic>

namespace ledgertap::ingest {

gap_tables register_gap_tables(table_set& tables) {
    gap_tables t;
    t.gap_inserts = tables.add({"ledgertap.gaps", "lt_stage_gap_inserts",
        {{"chain", "text"}, {"source", "text"}, {"kind", "text"}, {"account", "text"}, {"first_slot", "bigint"},
            {"last_slot", "bigint"}, {"anchor_hash", "text"}, {"status", "text"}, {"recovered", "bigint"}},
        R"(INSERT INTO ledgertap.gaps AS g (chain, source, kind, account, first_slot, last_slot, anchor_hash,
    status, recovered, filled_at)
SELECT DISTINCT ON (chain, source, kind, account, first_slot, last_slot) chain, source, kind, account,
    first_slot, last_slot, anchor_hash, status, recovered, CASE WHEN status = 'filled' THEN now() END
FROM {staging} ORDER BY chain, source, kind, account, first_slot, last_slot, recovered DESC
ON CONFLICT ON CONSTRAINT gaps_natural_key DO UPDATE SET
    status = CASE WHEN g.status IN ('filled', 'unfillable') THEN g.status ELSE excluded.status END,
    recovered = GREATEST(g.recovered, excluded.recovered),
    filled_at = COALESCE(g.filled_at, excluded.filled_at),
    updated_at = now()
WHERE g.status NOT IN ('filled', 'unfillable') AND g.status IS DISTINCT FROM excluded.status)"});
    t.gap_updates = tables.add({"ledgertap.gaps (progress)", "lt_stage_gap_updates",
        {{"seq", "bigint"}, {"id", "bigint"}, {"status", "text"}, {"attempts", "integer"}, {"recovered", "bigint"},
            {"last_error", "text"}},
        R"(UPDATE ledgertap.gaps AS g SET
    status = u.status,
    attempts = GREATEST(g.attempts, u.attempts),
    recovered = GREATEST(g.recovered, u.recovered),
    last_error = COALESCE(u.last_error, g.last_error),
    filled_at = CASE WHEN u.status = 'filled' THEN COALESCE(g.filled_at, now()) ELSE g.filled_at END,
    updated_at = now()
FROM (SELECT DISTINCT ON (id) id, status, attempts, recovered, last_error FROM {staging} ORDER BY id, seq DESC) u
WHERE g.id = u.id AND g.status NOT IN ('filled', 'unfillable'))"});
    t.watermarks = tables.add({"ledgertap.watermarks", "lt_stage_watermarks",
        {{"source", "text"}, {"key", "text"}, {"value", "numeric(20,0)"}, {"detail", "text"}},
        R"(INSERT INTO ledgertap.watermarks AS w (source, key, value, detail)
SELECT DISTINCT ON (source, key) source, key, value, detail FROM {staging} ORDER BY source, key, value DESC
ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, detail = excluded.detail, updated_at = now()
WHERE excluded.value > w.value)"});
    return t;
}

void add_nano_gap_detection(table_set& tables, const nano_tables& nano, bool backfill_unknown) {
    auto& spec = tables.mutable_at(nano.blocks);
    // 1. Gaps: runs before the accounts update, so "known account" means known before this batch.
    //    The blocks merge has already run: a previous block staged in the same batch is stored.
    //    Staging columns are text and nano.blocks.hash is char(64): compared as text, the
    //    lookup cannot use blocks_pkey and every batch scanned all of nano.blocks. A previous
    //    block staged in this very batch is looked for first, in a hash of the batch: a burst of
    //    long chains from few accounts (spam waves; the firehose's 32 accounts) stages nearly every
    //    previous block alongside, which spares each an index probe and a heap visit of rows too
    //    fresh for the visibility map (EXPLAIN ANALYZE at 5,000 such blocks: 35 -> 12 ms).
    //    Those per-row filters run before DISTINCT ON, which then sorts only the few blocks whose
    //    previous is not in the batch (of a copy staged twice, the one it keeps is arbitrary, as
    //    before, and the filters give every copy the same answer): 7.2 -> 2.7 ms per 5,000
    //    firehose blocks, the sort of every staged hash having been most of it.
    const std::string known = backfill_unknown ? "true" : "(a.account IS NOT NULL AND s.height > a.history_start_height)";
    spec.after_merge.push_back(R"(INSERT INTO ledgertap.gaps (chain, source, kind, account, first_slot, last_slot, anchor_hash)
SELECT 'nano', s.source, 'nano_account_chain', s.account,
    COALESCE((SELECT max(p.height) FROM nano.blocks p WHERE p.account = s.account AND p.height < s.height), 0) + 1,
    s.height - 1, s.hash
FROM (SELECT DISTINCT ON (hash) hash, account, previous, height, source FROM {staging} x
      WHERE x.previous <> '0000000000000000000000000000000000000000000000000000000000000000'
        AND x.height IS NOT NULL AND x.height > 1
        AND NOT EXISTS (SELECT 1 FROM {staging} q WHERE q.hash = x.previous)) s
LEFT JOIN nano.accounts a ON a.account = s.account
WHERE NOT EXISTS (SELECT 1 FROM nano.blocks p WHERE p.hash = s.previous::char(64))
  AND )" + known + R"(
ON CONFLICT ON CONSTRAINT gaps_natural_key DO NOTHING)");
    // 2. Per-account progress: highest stored height only moves forward, history start only down.
    spec.after_merge.push_back(R"(INSERT INTO nano.accounts AS a (account, confirmed_height, confirmed_frontier, history_start_height)
SELECT account, max(height), (array_agg(hash ORDER BY height DESC))[1],
    CASE WHEN bool_or(previous = '0000000000000000000000000000000000000000000000000000000000000000') THEN 1
         ELSE min(height) END
FROM {staging} WHERE height IS NOT NULL GROUP BY account
ON CONFLICT (account) DO UPDATE SET
    confirmed_height = GREATEST(a.confirmed_height, excluded.confirmed_height),
    confirmed_frontier = CASE WHEN excluded.confirmed_height > a.confirmed_height
                              THEN excluded.confirmed_frontier ELSE a.confirmed_frontier END,
    history_start_height = LEAST(a.history_start_height, excluded.history_start_height),
    updated_at = now()
WHERE excluded.confirmed_height > a.confirmed_height
   OR excluded.history_start_height < a.history_start_height)");
}

row row_for_gap_insert(const gap_tables& t, const gap_insert& g) {
    copy_row r;
    r.text(g.chain).text(g.source).text(g.kind).text(g.account).u64(g.first).u64(g.last).text(g.anchor_hash)
        .text(g.status).u64(g.recovered);
    return {t.gap_inserts, r.finish()};
}

row row_for_gap_update(const gap_tables& t, const gap_update& g) {
    static std::atomic<std::uint64_t> seq{0};
    copy_row r;
    r.u64(seq.fetch_add(1)).i64(g.id).text(g.status).u64(g.attempts).u64(g.recovered);
    if (g.last_error) {
        r.text(make_storable(*g.last_error));
    } else {
        r.null();
    }
    return {t.gap_updates, r.finish()};
}

row row_for_watermark(const gap_tables& t, std::string_view source, std::string_view key, std::uint64_t value,
    std::optional<std::string> detail) {
    copy_row r;
    r.text(source).text(key).u64(value).text(detail);
    return {t.watermarks, r.finish()};
}

} // namespace ledgertap::ingest
