-- 0007_solana_block_activity: Solana throughput by the time the node saw each slot.
--
-- 0006 bucketed blocks by block_time. blockTime is the cluster's stake-weighted estimate in whole
-- seconds, and a node (or the simulator) may report one far from the wall clock, so a window such
-- as "the last hour" could miss every block. The time of a block is now the slot's first-shred
-- time as our node saw it (the clock of the slot latency charts), and block_time only for blocks
-- whose slot has no first-shred time (backfilled history). Both branches are answered from their
-- time index (slots_first_shred_at_idx, blocks_block_time_idx); the functions stay inlinable.
-- block_stats and block_summary keep their signatures; only their bodies change.

CREATE FUNCTION solana.block_activity(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (slot bigint, at timestamptz, transactions bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT s.slot, s.first_shred_at,
           coalesce(b.transaction_count,
                    s.num_successful_transactions + s.num_failed_transactions)::bigint
    FROM solana.slots AS s
    LEFT JOIN solana.blocks AS b ON b.slot = s.slot
    WHERE s.first_shred_at >= since AND s.first_shred_at < until
      AND (b.slot IS NOT NULL OR s.num_successful_transactions IS NOT NULL)
      AND s.status IS DISTINCT FROM 'dead' AND s.status IS DISTINCT FROM 'orphaned'
    UNION ALL
    SELECT b.slot, b.block_time,
           coalesce(b.transaction_count,
                    s.num_successful_transactions + s.num_failed_transactions)::bigint
    FROM solana.blocks AS b
    LEFT JOIN solana.slots AS s ON s.slot = b.slot
    WHERE b.block_time >= since AND b.block_time < until
      AND s.first_shred_at IS NULL
      AND s.status IS DISTINCT FROM 'dead' AND s.status IS DISTINCT FROM 'orphaned'
$$;
COMMENT ON FUNCTION solana.block_activity(timestamptz, timestamptz) IS
    'Blocks produced in [since, until), one row per slot: a slot whose first shred arrived in the '
    'window and that has a block or frozen stats, or a stored block without a first-shred time '
    'whose block_time is in the window. at = that time; transactions = the block''s '
    'transaction_count, else the slot''s frozen stats. Dead and orphaned slots are not counted.';

CREATE OR REPLACE FUNCTION solana.block_stats(
    since timestamptz, bucket interval DEFAULT '1 minute', until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    bucket_start timestamptz, blocks bigint, transactions bigint,
    transactions_per_block double precision, transactions_per_second double precision)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT ledgertap.bucket_start(bucket, a.at),
           count(*),
           sum(a.transactions)::bigint,
           avg(a.transactions)::double precision,
           sum(a.transactions) / extract(epoch FROM bucket)::double precision
    FROM solana.block_activity(since, until) AS a
    GROUP BY 1
$$;
COMMENT ON FUNCTION solana.block_stats(timestamptz, interval, timestamptz) IS
    'Per bucket (default one minute) of solana.block_activity time: blocks, transactions, '
    'transactions per block and per second (transactions / bucket width).';

CREATE OR REPLACE FUNCTION solana.block_summary(
    since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (
    blocks bigint, transactions bigint, first_block_time timestamptz,
    last_block_time timestamptz, transactions_per_block double precision,
    transactions_per_second double precision, max_transactions_per_block integer)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT count(*),
           sum(a.transactions)::bigint,
           min(a.at),
           max(a.at),
           avg(a.transactions)::double precision,
           sum(a.transactions) / nullif(extract(epoch FROM max(a.at) - min(a.at)), 0)
               ::double precision,
           max(a.transactions)::integer
    FROM solana.block_activity(since, until) AS a
$$;
COMMENT ON FUNCTION solana.block_summary(timestamptz, timestamptz) IS
    'solana.block_activity over [since, until) at once: blocks, transactions, per block, and per '
    'second = transactions / seconds between the first and the last block''s time (NULL when they '
    'are equal). first_block_time and last_block_time are those times.';
