-- 0004_analytics: the analytics views of the public contract. Plain views over the tables of
-- 0001-0003 (later migrations may refine them with CREATE OR REPLACE VIEW, adding columns at the
-- end only). The query tool reads these; it never writes.
--
-- Latencies are in milliseconds as double precision (percentile_cont works on doubles). Both ends
-- of a Nano latency are node envelope times, so the node's clock cancels out; Solana slot times are
-- the node's slotsUpdates timestamps.

CREATE FUNCTION ledgertap.interval_ms(value interval) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (extract(epoch FROM value) * 1000)::double precision;
COMMENT ON FUNCTION ledgertap.interval_ms(interval) IS 'An interval in milliseconds.';

-- Nano -------------------------------------------------------------------------------------------

CREATE VIEW nano.confirmation_latency AS
SELECT b.hash,
       b.account,
       b.confirmation_type,
       b.origin,
       u.first_seen_at,
       b.confirmed_at,
       ledgertap.interval_ms(b.confirmed_at - u.first_seen_at) AS latency_ms,
       b.election_duration_ms,
       b.source
FROM nano.blocks AS b
LEFT JOIN nano.unconfirmed_blocks AS u ON u.hash = b.hash;
COMMENT ON VIEW nano.confirmation_latency IS
    'Per confirmed block: first seen on new_unconfirmed_block -> confirmed (confirmation '
    'notification). latency_ms is NULL when the block was never seen unconfirmed (e.g. '
    'backfilled, or it arrived while ledgertap was away).';
COMMENT ON COLUMN nano.confirmation_latency.latency_ms IS 'confirmed_at - first_seen_at, ms.';
COMMENT ON COLUMN nano.confirmation_latency.election_duration_ms IS
    'The node''s own election duration (election_info.duration), ms.';

CREATE VIEW nano.confirmation_latency_per_minute AS
SELECT date_trunc('minute', confirmed_at) AS minute,
       confirmation_type,
       count(*) AS count,
       count(latency_ms) AS count_with_latency,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50_ms,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY latency_ms) AS p90_ms,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY election_duration_ms) AS election_p50_ms,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY election_duration_ms) AS election_p90_ms,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY election_duration_ms) AS election_p99_ms
FROM nano.confirmation_latency
WHERE confirmed_at IS NOT NULL
GROUP BY 1, 2;
COMMENT ON VIEW nano.confirmation_latency_per_minute IS
    'Confirmation latency percentiles per minute (of confirmed_at) and confirmation type; the '
    'percentiles ignore blocks without a latency (count_with_latency of count). Filter on minute '
    'for large tables.';

-- Solana -----------------------------------------------------------------------------------------

CREATE VIEW solana.slot_latency AS
SELECT slot,
       status,
       first_shred_at,
       created_bank_at,
       completed_at,
       frozen_at,
       optimistic_at,
       rooted_at,
       ledgertap.interval_ms(created_bank_at - first_shred_at) AS shred_to_bank_ms,
       ledgertap.interval_ms(frozen_at - created_bank_at) AS bank_to_frozen_ms,
       ledgertap.interval_ms(optimistic_at - frozen_at) AS frozen_to_optimistic_ms,
       ledgertap.interval_ms(rooted_at - optimistic_at) AS optimistic_to_root_ms,
       ledgertap.interval_ms(optimistic_at - first_shred_at) AS shred_to_optimistic_ms,
       ledgertap.interval_ms(rooted_at - first_shred_at) AS shred_to_root_ms
FROM solana.slots;
COMMENT ON VIEW solana.slot_latency IS
    'Per slot: first shred -> created bank -> frozen -> optimistic confirmation -> root, each step '
    'in ms (NULL when either end was not seen).';

CREATE VIEW solana.slot_latency_per_minute AS
SELECT date_trunc('minute', coalesce(first_shred_at, created_bank_at)) AS minute,
       count(*) AS count,
       count(shred_to_optimistic_ms) AS count_optimistic,
       count(shred_to_root_ms) AS count_rooted,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY shred_to_optimistic_ms) AS optimistic_p50_ms,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY shred_to_optimistic_ms) AS optimistic_p90_ms,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY shred_to_optimistic_ms) AS optimistic_p99_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY shred_to_root_ms) AS root_p50_ms,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY shred_to_root_ms) AS root_p90_ms,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY shred_to_root_ms) AS root_p99_ms
FROM solana.slot_latency
WHERE coalesce(first_shred_at, created_bank_at) IS NOT NULL
GROUP BY 1;
COMMENT ON VIEW solana.slot_latency_per_minute IS
    'Slot latency percentiles per minute (of the first shred, else the created bank): first '
    'shred -> optimistic confirmation and first shred -> root.';

-- Pipeline ---------------------------------------------------------------------------------------

CREATE VIEW ledgertap.coverage AS
SELECT s.chain,
       s.name AS source,
       s.connected,
       s.last_message_at,
       CASE s.chain
           WHEN 'nano' THEN (SELECT count(*) FROM nano.blocks AS b WHERE b.source = s.name)
           WHEN 'solana' THEN (SELECT count(*) FROM solana.blocks AS b WHERE b.source = s.name)
       END AS rows_stored,
       w.watermarks,
       w.watermark_updated_at,
       coalesce(g.open_gaps, 0) AS open_gaps,
       coalesce(g.filling_gaps, 0) AS filling_gaps,
       coalesce(g.filled_gaps, 0) AS filled_gaps,
       coalesce(g.unfillable_gaps, 0) AS unfillable_gaps,
       coalesce(g.missing, 0) AS missing,
       coalesce(g.recovered, 0) AS recovered
FROM ledgertap.sources AS s
LEFT JOIN LATERAL (
    SELECT jsonb_object_agg(wm.key, wm.value) AS watermarks,
           max(wm.updated_at) AS watermark_updated_at
    FROM ledgertap.watermarks AS wm
    WHERE wm.source = s.name
) AS w ON true
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE gp.status = 'open') AS open_gaps,
           count(*) FILTER (WHERE gp.status = 'filling') AS filling_gaps,
           count(*) FILTER (WHERE gp.status = 'filled') AS filled_gaps,
           count(*) FILTER (WHERE gp.status = 'unfillable') AS unfillable_gaps,
           sum(gp.last_slot - gp.first_slot + 1) FILTER (WHERE gp.status IN ('open', 'filling'))
               AS missing,
           sum(gp.recovered) AS recovered
    FROM ledgertap.gaps AS gp
    WHERE gp.source = s.name
) AS g ON true;
COMMENT ON VIEW ledgertap.coverage IS
    'Per source: blocks stored (nano.blocks or solana.blocks rows whose source is this one; a '
    'full count, so not free on large tables), its watermarks as a JSON object, and its gaps by '
    'status. missing = slots or heights still covered by open or filling gaps.';
COMMENT ON COLUMN ledgertap.coverage.rows_stored IS 'Blocks stored by this source.';
COMMENT ON COLUMN ledgertap.coverage.watermarks IS 'ledgertap.watermarks of the source: {key: value}.';
