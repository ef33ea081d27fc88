-- 0006_query_analytics: time-bounded analytics for ledgertap-query, dashboards and psql.
--
-- The views of 0004 describe every row; on tables of tens of millions of rows a query must say
-- which time range it wants, in a form the planner can answer from an index. The functions below
-- take that range as arguments (`since`, optionally `until`, both timestamptz) and filter the
-- indexed time column directly:
--   nano.blocks.confirmed_at        blocks_confirmed_at_idx
--   solana.slots.first_shred_at     slots_first_shred_at_idx
--   solana.blocks.block_time        blocks_block_time_idx
--   nano.votes / solana.votes / nano.telemetry .received_at   *_received_at_idx
-- They are LANGUAGE sql, STABLE, single SELECTs, not STRICT and without SET clauses, so PostgreSQL
-- inlines them into the calling query and the range reaches the index scan (EXPLAIN shows the
-- index, never a Function Scan). Example:
--   SELECT * FROM nano.confirmation_stats(now() - interval '1 hour');              -- per minute
--   SELECT * FROM solana.slot_stats(now() - interval '10 minutes', interval '10 seconds');
--
-- Units: latencies in milliseconds (double precision, as percentile_cont computes them), rates
-- per second, percentiles continuous (linear interpolation). Buckets start at multiples of
-- `bucket` since 2000-01-01 00:00 UTC (date_bin), so a one-minute bucket is a UTC minute.
-- Every bucketed function returns one row per non-empty bucket. Exact u64/u128 values stay
-- numeric.

CREATE FUNCTION ledgertap.bucket_start(bucket interval, at timestamptz) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN date_bin(bucket, at, timestamptz '2000-01-01 00:00:00+00');
COMMENT ON FUNCTION ledgertap.bucket_start(interval, timestamptz) IS
    'Start of the bucket of width `bucket` holding `at`; buckets are aligned on 2000-01-01 UTC, '
    'so 1 minute buckets are UTC minutes. `bucket` must not contain months or years.';

-- Nano -------------------------------------------------------------------------------------------

CREATE FUNCTION nano.confirmation_latency_since(
    since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    hash char(64), account text, confirmation_type text, origin text,
    first_seen_at timestamptz, confirmed_at timestamptz, latency_ms double precision,
    election_duration_ms bigint, source text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT l.hash, l.account, l.confirmation_type, l.origin, l.first_seen_at, l.confirmed_at,
           l.latency_ms, l.election_duration_ms, l.source
    FROM nano.confirmation_latency AS l
    WHERE l.confirmed_at >= since AND l.confirmed_at < until
$$;
COMMENT ON FUNCTION nano.confirmation_latency_since(timestamptz, timestamptz) IS
    'nano.confirmation_latency for blocks confirmed in [since, until): first seen on '
    'new_unconfirmed_block -> confirmed, and the node''s election duration, per block.';

CREATE FUNCTION nano.confirmation_stats(
    since timestamptz, bucket interval DEFAULT '1 minute', until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    bucket_start timestamptz, confirmation_type text, confirmations bigint, with_latency bigint,
    per_second double precision,
    latency_p50_ms double precision, latency_p90_ms double precision,
    latency_p99_ms double precision, latency_max_ms double precision,
    election_p50_ms double precision, election_p90_ms double precision,
    election_p99_ms double precision)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT l.bucket_start,
           CASE WHEN grouping(l.confirmation_type) = 1 THEN 'all' ELSE l.confirmation_type END,
           count(*),
           count(l.latency_ms),
           count(*) / extract(epoch FROM bucket)::double precision,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY l.latency_ms),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY l.latency_ms),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY l.latency_ms),
           max(l.latency_ms),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY l.election_duration_ms),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY l.election_duration_ms),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY l.election_duration_ms)
    FROM (
        SELECT ledgertap.bucket_start(bucket, c.confirmed_at) AS bucket_start,
               coalesce(c.confirmation_type, 'unknown') AS confirmation_type,
               c.latency_ms,
               c.election_duration_ms
        FROM nano.confirmation_latency AS c
        WHERE c.confirmed_at >= since AND c.confirmed_at < until
    ) AS l
    GROUP BY GROUPING SETS ((l.bucket_start, l.confirmation_type), (l.bucket_start))
$$;
COMMENT ON FUNCTION nano.confirmation_stats(timestamptz, interval, timestamptz) IS
    'Per bucket (default one minute) and confirmation type, plus a row of type ''all'' per '
    'bucket: confirmations, how many have a latency, confirmations per second (count / bucket '
    'width), and p50/p90/p99/max of confirmation latency and p50/p90/p99 of election duration, '
    'ms. Latency percentiles ignore blocks never seen unconfirmed (with_latency of confirmations).';

CREATE FUNCTION nano.confirmation_summary(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    confirmation_type text, confirmations bigint, with_latency bigint,
    first_confirmed_at timestamptz, last_confirmed_at timestamptz, per_second double precision,
    latency_p50_ms double precision, latency_p90_ms double precision,
    latency_p99_ms double precision, latency_max_ms double precision,
    election_p50_ms double precision, election_p90_ms double precision,
    election_p99_ms double precision)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN grouping(l.confirmation_type) = 1 THEN 'all' ELSE l.confirmation_type END,
           count(*),
           count(l.latency_ms),
           min(l.confirmed_at),
           max(l.confirmed_at),
           (count(*) - 1)
               / nullif(extract(epoch FROM max(l.confirmed_at) - min(l.confirmed_at)), 0)
                     ::double precision,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY l.latency_ms),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY l.latency_ms),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY l.latency_ms),
           max(l.latency_ms),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY l.election_duration_ms),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY l.election_duration_ms),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY l.election_duration_ms)
    FROM (
        SELECT coalesce(c.confirmation_type, 'unknown') AS confirmation_type, c.confirmed_at,
               c.latency_ms, c.election_duration_ms
        FROM nano.confirmation_latency AS c
        WHERE c.confirmed_at >= since AND c.confirmed_at < until
    ) AS l
    GROUP BY ROLLUP (l.confirmation_type)
$$;
COMMENT ON FUNCTION nano.confirmation_summary(timestamptz, timestamptz) IS
    'The whole range [since, until) at once, per confirmation type and ''all'': counts, '
    'percentiles as in confirmation_stats, and per_second = (confirmations - 1) / seconds '
    'between the first and the last confirmation (NULL for fewer than two).';

CREATE FUNCTION nano.vote_summary(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    votes bigint, final_votes bigint, representatives bigint, first_received_at timestamptz,
    last_received_at timestamptz, per_second double precision, type_vote bigint,
    type_replay bigint, type_indeterminate bigint, type_ignored bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT count(*),
           count(*) FILTER (WHERE v.is_final),
           count(DISTINCT v.representative),
           min(v.received_at),
           max(v.received_at),
           (count(*) - 1)
               / nullif(extract(epoch FROM max(v.received_at) - min(v.received_at)), 0)
                     ::double precision,
           count(*) FILTER (WHERE v.type = 'vote'),
           count(*) FILTER (WHERE v.type = 'replay'),
           count(*) FILTER (WHERE v.type = 'indeterminate'),
           count(*) FILTER (WHERE v.type = 'ignored')
    FROM nano.votes AS v
    WHERE v.received_at >= since AND v.received_at < until
$$;
COMMENT ON FUNCTION nano.vote_summary(timestamptz, timestamptz) IS
    'Votes received in [since, until): totals, final votes, distinct representatives, votes per '
    'second between the first and the last, and counts by the node''s vote type.';

CREATE FUNCTION nano.representative_votes(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    representative text, votes bigint, final_votes bigint, first_received_at timestamptz,
    last_received_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT v.representative, count(*), count(*) FILTER (WHERE v.is_final), min(v.received_at),
           max(v.received_at)
    FROM nano.votes AS v
    WHERE v.received_at >= since AND v.received_at < until
    GROUP BY v.representative
$$;
COMMENT ON FUNCTION nano.representative_votes(timestamptz, timestamptz) IS
    'Votes received in [since, until) per representative.';

CREATE FUNCTION nano.telemetry_peers(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    node_id text, address text, port integer, version text, block_count numeric,
    cemented_count numeric, unchecked_count numeric, account_count numeric, peer_count bigint,
    uptime_s numeric, telemetry_at timestamptz, received_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT DISTINCT ON (t.node_id)
           t.node_id, t.address, t.port,
           format('V%s.%s.%s', t.major_version, t.minor_version, t.patch_version)
               || CASE WHEN t.pre_release_version > 0
                       THEN format('RC%s', t.pre_release_version) ELSE '' END,
           t.block_count, t.cemented_count, t.unchecked_count, t.account_count, t.peer_count,
           t.uptime, t.timestamp, t.received_at
    FROM nano.telemetry AS t
    WHERE t.received_at >= since AND t.received_at < until
    ORDER BY t.node_id, t.timestamp DESC, t.received_at DESC
$$;
COMMENT ON FUNCTION nano.telemetry_peers(timestamptz, timestamptz) IS
    'The latest telemetry of each peer heard from in [since, until) (by the peer''s own '
    'timestamp). version is V<major>.<minor>.<patch>, with RC<n> for pre-releases.';

CREATE FUNCTION nano.telemetry_versions(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (version text, peers bigint, share double precision, max_cemented_count numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT p.version, count(*), count(*) / sum(count(*)) OVER ()::double precision,
           max(p.cemented_count)
    FROM nano.telemetry_peers(since, until) AS p
    GROUP BY p.version
$$;
COMMENT ON FUNCTION nano.telemetry_versions(timestamptz, timestamptz) IS
    'Peers by node version (their latest telemetry in [since, until)); share is a fraction '
    '(0..1) of the peers.';

CREATE FUNCTION nano.telemetry_spread(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    peers bigint, versions bigint, cemented_min numeric, cemented_p50 numeric,
    cemented_max numeric, cemented_spread numeric, block_count_min numeric,
    block_count_max numeric, block_count_spread numeric, unchecked_max numeric,
    peer_count_p50 double precision)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT count(*), count(DISTINCT p.version),
           min(p.cemented_count),
           percentile_disc(0.5) WITHIN GROUP (ORDER BY p.cemented_count),
           max(p.cemented_count),
           max(p.cemented_count) - min(p.cemented_count),
           min(p.block_count), max(p.block_count), max(p.block_count) - min(p.block_count),
           max(p.unchecked_count),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY p.peer_count)
    FROM nano.telemetry_peers(since, until) AS p
$$;
COMMENT ON FUNCTION nano.telemetry_spread(timestamptz, timestamptz) IS
    'How far apart the peers are (latest telemetry in [since, until)): cemented and block '
    'counts min / median (an actual peer''s value, exact) / max and max - min.';

-- Solana -----------------------------------------------------------------------------------------

CREATE FUNCTION solana.slot_latency_since(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    slot bigint, status text, first_shred_at timestamptz, created_bank_at timestamptz,
    completed_at timestamptz, frozen_at timestamptz, optimistic_at timestamptz,
    rooted_at timestamptz, shred_to_bank_ms double precision, bank_to_frozen_ms double precision,
    frozen_to_optimistic_ms double precision, optimistic_to_root_ms double precision,
    shred_to_optimistic_ms double precision, shred_to_root_ms double precision)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT l.slot, l.status, l.first_shred_at, l.created_bank_at, l.completed_at, l.frozen_at,
           l.optimistic_at, l.rooted_at, l.shred_to_bank_ms, l.bank_to_frozen_ms,
           l.frozen_to_optimistic_ms, l.optimistic_to_root_ms, l.shred_to_optimistic_ms,
           l.shred_to_root_ms
    FROM solana.slot_latency AS l
    WHERE l.first_shred_at >= since AND l.first_shred_at < until
$$;
COMMENT ON FUNCTION solana.slot_latency_since(timestamptz, timestamptz) IS
    'solana.slot_latency for slots whose first shred arrived in [since, until). Slots without a '
    'first-shred time (the node''s own leader slots, backfilled verdicts) have no latency and '
    'are not listed.';

CREATE FUNCTION solana.slot_stats(
    since timestamptz, bucket interval DEFAULT '1 minute', until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    bucket_start timestamptz, slots bigint, optimistic bigint, rooted bigint,
    per_second double precision,
    shred_to_bank_p50_ms double precision, bank_to_frozen_p50_ms double precision,
    frozen_to_optimistic_p50_ms double precision, optimistic_to_root_p50_ms double precision,
    optimistic_p50_ms double precision, optimistic_p90_ms double precision,
    optimistic_p99_ms double precision, root_p50_ms double precision,
    root_p90_ms double precision, root_p99_ms double precision)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT ledgertap.bucket_start(bucket, l.first_shred_at),
           count(*),
           count(l.shred_to_optimistic_ms),
           count(l.shred_to_root_ms),
           count(*) / extract(epoch FROM bucket)::double precision,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY l.shred_to_bank_ms),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY l.bank_to_frozen_ms),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY l.frozen_to_optimistic_ms),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY l.optimistic_to_root_ms),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY l.shred_to_optimistic_ms),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY l.shred_to_optimistic_ms),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY l.shred_to_optimistic_ms),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY l.shred_to_root_ms),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY l.shred_to_root_ms),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY l.shred_to_root_ms)
    FROM solana.slot_latency AS l
    WHERE l.first_shred_at >= since AND l.first_shred_at < until
    GROUP BY 1
$$;
COMMENT ON FUNCTION solana.slot_stats(timestamptz, interval, timestamptz) IS
    'Per bucket of first-shred time (default one minute): slots, how many reached optimistic '
    'confirmation and root, slots per second, the median of each step, and p50/p90/p99 of first '
    'shred -> optimistic confirmation (optimistic_*) and first shred -> root (root_*), ms.';

CREATE FUNCTION solana.slot_summary(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    slots_seen bigint, first_slot bigint, last_slot bigint, slots_in_range bigint,
    finalized bigint, confirmed bigint, processed bigint, skipped bigint, dead bigint,
    orphaned bigint, no_status bigint, missing bigint, skip_rate double precision,
    optimistic_p50_ms double precision, optimistic_p90_ms double precision,
    optimistic_p99_ms double precision, root_p50_ms double precision,
    root_p90_ms double precision, root_p99_ms double precision)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    WITH seen AS (
        SELECT count(*) AS slots_seen, min(l.slot) AS first_slot, max(l.slot) AS last_slot,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY l.shred_to_optimistic_ms) AS o50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY l.shred_to_optimistic_ms) AS o90,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY l.shred_to_optimistic_ms) AS o99,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY l.shred_to_root_ms) AS r50,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY l.shred_to_root_ms) AS r90,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY l.shred_to_root_ms) AS r99
        FROM solana.slot_latency AS l
        WHERE l.first_shred_at >= since AND l.first_shred_at < until
    ), range AS (
        SELECT count(*) AS stored,
               count(*) FILTER (WHERE s.status = 'finalized') AS finalized,
               count(*) FILTER (WHERE s.status = 'confirmed') AS confirmed,
               count(*) FILTER (WHERE s.status = 'processed') AS processed,
               count(*) FILTER (WHERE s.status = 'skipped') AS skipped,
               count(*) FILTER (WHERE s.status = 'dead') AS dead,
               count(*) FILTER (WHERE s.status = 'orphaned') AS orphaned,
               count(*) FILTER (WHERE s.status IS NULL) AS no_status
        FROM solana.slots AS s, seen
        WHERE s.slot BETWEEN seen.first_slot AND seen.last_slot
    )
    SELECT seen.slots_seen, seen.first_slot, seen.last_slot,
           seen.last_slot - seen.first_slot + 1,
           range.finalized, range.confirmed, range.processed, range.skipped, range.dead,
           range.orphaned, range.no_status,
           seen.last_slot - seen.first_slot + 1 - range.stored,
           range.skipped / nullif(range.finalized + range.skipped, 0)::double precision,
           seen.o50, seen.o90, seen.o99, seen.r50, seen.r90, seen.r99
    FROM seen, range
$$;
COMMENT ON FUNCTION solana.slot_summary(timestamptz, timestamptz) IS
    'Slots whose first shred arrived in [since, until): how many, their slot range, and over '
    'every slot of that range (by primary key, so skipped slots without shreds count too) the '
    'statuses, slots with no row at all (missing), and skip_rate = skipped / (finalized + '
    'skipped), a fraction 0..1; plus first shred -> optimistic / root percentiles, ms.';

CREATE FUNCTION solana.block_stats(
    since timestamptz, bucket interval DEFAULT '1 minute', until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    bucket_start timestamptz, blocks bigint, transactions bigint,
    transactions_per_block double precision, transactions_per_second double precision)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT ledgertap.bucket_start(bucket, b.block_time),
           count(*),
           sum(coalesce(b.transaction_count,
                        s.num_successful_transactions + s.num_failed_transactions))::bigint,
           avg(coalesce(b.transaction_count,
                        s.num_successful_transactions + s.num_failed_transactions))
               ::double precision,
           sum(coalesce(b.transaction_count,
                        s.num_successful_transactions + s.num_failed_transactions))
               / extract(epoch FROM bucket)::double precision
    FROM solana.blocks AS b
    LEFT JOIN solana.slots AS s ON s.slot = b.slot
    WHERE b.block_time >= since AND b.block_time < until
    GROUP BY 1
$$;
COMMENT ON FUNCTION solana.block_stats(timestamptz, interval, timestamptz) IS
    'Per bucket of block time (default one minute; block times are whole seconds): blocks, '
    'transactions (the block''s transaction_count, else the slot''s frozen stats), transactions '
    'per block and per second (transactions / bucket width).';

CREATE FUNCTION solana.block_summary(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    blocks bigint, transactions bigint, first_block_time timestamptz,
    last_block_time timestamptz, transactions_per_block double precision,
    transactions_per_second double precision, max_transactions_per_block integer)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT count(*),
           sum(t.n)::bigint,
           min(t.block_time),
           max(t.block_time),
           avg(t.n)::double precision,
           sum(t.n) / nullif(extract(epoch FROM max(t.block_time) - min(t.block_time)), 0)
               ::double precision,
           max(t.n)::integer
    FROM (
        SELECT b.block_time,
               coalesce(b.transaction_count,
                        s.num_successful_transactions + s.num_failed_transactions) AS n
        FROM solana.blocks AS b
        LEFT JOIN solana.slots AS s ON s.slot = b.slot
        WHERE b.block_time >= since AND b.block_time < until
    ) AS t
$$;
COMMENT ON FUNCTION solana.block_summary(timestamptz, timestamptz) IS
    'Blocks with a block time in [since, until): transactions, per block, and per second = '
    'transactions / seconds between the first and the last block time (NULL when they are equal).';

CREATE FUNCTION solana.vote_summary(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    votes bigint, validators bigint, first_received_at timestamptz,
    last_received_at timestamptz, per_second double precision)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT count(*), count(DISTINCT v.vote_pubkey), min(v.received_at), max(v.received_at),
           (count(*) - 1)
               / nullif(extract(epoch FROM max(v.received_at) - min(v.received_at)), 0)
                     ::double precision
    FROM solana.votes AS v
    WHERE v.received_at >= since AND v.received_at < until
$$;
COMMENT ON FUNCTION solana.vote_summary(timestamptz, timestamptz) IS
    'Gossip votes received in [since, until): totals, distinct vote accounts, votes per second.';

CREATE FUNCTION solana.validator_votes(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    vote_pubkey text, votes bigint, last_voted_slot bigint, first_received_at timestamptz,
    last_received_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT v.vote_pubkey, count(*),
           max((SELECT max(x) FROM unnest(v.slots) AS x)),
           min(v.received_at), max(v.received_at)
    FROM solana.votes AS v
    WHERE v.received_at >= since AND v.received_at < until
    GROUP BY v.vote_pubkey
$$;
COMMENT ON FUNCTION solana.validator_votes(timestamptz, timestamptz) IS
    'Gossip votes received in [since, until) per vote account, with the highest slot voted on.';

-- Pipeline ---------------------------------------------------------------------------------------

CREATE INDEX gaps_detected_at_idx ON ledgertap.gaps (detected_at);

CREATE VIEW ledgertap.source_status AS
SELECT s.name AS source,
       s.chain,
       s.connected,
       s.last_connected_at,
       s.last_message_at,
       round(extract(epoch FROM now() - s.last_message_at), 3) AS lag_s,
       s.messages_received,
       s.node_version,
       coalesce(g.open_gaps, 0) AS open_gaps,
       coalesce(g.filling_gaps, 0) AS filling_gaps,
       coalesce(g.filled_gaps, 0) AS filled_gaps,
       coalesce(g.unfillable_gaps, 0) AS unfillable_gaps,
       coalesce(g.missing, 0) AS missing,
       w.watermarks
FROM ledgertap.sources AS s
LEFT JOIN LATERAL (
    SELECT jsonb_object_agg(wm.key, wm.value::text ORDER BY wm.key) AS watermarks
    FROM ledgertap.watermarks AS wm
    WHERE wm.source = s.name
) AS w ON true
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE gp.status = 'open') AS open_gaps,
           count(*) FILTER (WHERE gp.status = 'filling') AS filling_gaps,
           count(*) FILTER (WHERE gp.status = 'filled') AS filled_gaps,
           count(*) FILTER (WHERE gp.status = 'unfillable') AS unfillable_gaps,
           sum(gp.last_slot - gp.first_slot + 1) FILTER (WHERE gp.status IN ('open', 'filling'))
               AS missing
    FROM ledgertap.gaps AS gp
    WHERE gp.source = s.name
) AS g ON true;
COMMENT ON VIEW ledgertap.source_status IS
    'Per source, without touching the big tables: connected or not, the last message and the '
    'lag behind now() in seconds, messages received, gaps by status (missing = slots or heights '
    'still in open or filling gaps), and the watermarks as {key: value}.';

CREATE FUNCTION ledgertap.table_rows(exact_below_bytes bigint DEFAULT 67108864)
RETURNS TABLE (table_name text, source text, rows bigint, exact boolean)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT c.oid, n.nspname, c.relname, c.reltuples,
               EXISTS (SELECT 1 FROM pg_attribute AS a
                       WHERE a.attrelid = c.oid AND a.attname = 'source'
                         AND NOT a.attisdropped) AS has_source
        FROM pg_class AS c
        JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('nano', 'solana', 'ledgertap') AND c.relkind IN ('r', 'p')
          AND c.relname <> 'schema_migrations'
        ORDER BY n.nspname, c.relname
    LOOP
        IF pg_total_relation_size(t.oid) >= exact_below_bytes THEN
            table_name := t.nspname || '.' || t.relname;
            source := NULL;
            rows := CASE WHEN t.reltuples >= 0 THEN t.reltuples::bigint END;
            exact := false;
            RETURN NEXT;
        ELSIF t.has_source THEN
            RETURN QUERY EXECUTE format(
                'SELECT %L::text, x.source::text, count(*)::bigint, true FROM %I.%I AS x '
                'GROUP BY x.source ORDER BY x.source',
                t.nspname || '.' || t.relname, t.nspname, t.relname);
            IF NOT FOUND THEN
                RETURN QUERY SELECT t.nspname || '.' || t.relname, NULL::text, 0::bigint, true;
            END IF;
        ELSE
            RETURN QUERY EXECUTE format(
                'SELECT %L::text, NULL::text, count(*)::bigint, true FROM %I.%I',
                t.nspname || '.' || t.relname, t.nspname, t.relname);
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION ledgertap.table_rows(bigint) IS
    'Rows of every nano, solana and ledgertap table: exact counts per source for tables smaller '
    'than exact_below_bytes (default 64 MiB, table and indexes), else the planner''s estimate '
    '(pg_class.reltuples, refreshed by ANALYZE) for the whole table, exact = false, source NULL.';
