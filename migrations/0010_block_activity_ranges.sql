-- 0010_block_activity_ranges: solana.block_activity answers from index ranges on large tables.
--
-- scripts/explain (issue #7) showed 0007's block_activity joining the slots of a --since window
-- to solana.blocks (and the blocks of the window to solana.slots) with a hash join over a Seq
-- Scan of the whole other table: each side is found by its time index, but the join's other side
-- has no bound the planner can use, and for a window of thousands of slots a full scan looks
-- cheaper than that many primary-key probes. Both joins now also bound the other table's slot to
-- the range of slots in the window (an InitPlan of min/max over the same time index), so each is
-- a primary-key range scan. The rows are the same: a slot joined on b.slot = s.slot lies in that
-- range anyway. The function stays inlinable (one SELECT, LANGUAGE sql STABLE); block_stats,
-- block_summary and their callers are unchanged. Before/after plans: bench/EXPLAIN.md.
--
-- min()/max() are taken over `slot + 0` on purpose: a bare min(slot) with a time filter lets the
-- planner walk slots_pkey from the oldest slot and filter by time (cheap in its estimate, a scan
-- of almost the whole table in fact); `+ 0` keeps the aggregate on the time-index range.

CREATE OR REPLACE FUNCTION solana.block_activity(since timestamptz, until timestamptz DEFAULT 'infinity')
RETURNS TABLE (slot bigint, at timestamptz, transactions bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT s.slot, s.first_shred_at,
           coalesce(b.transaction_count,
                    s.num_successful_transactions + s.num_failed_transactions)::bigint
    FROM solana.slots AS s
    LEFT JOIN solana.blocks AS b ON b.slot = s.slot
        AND b.slot >= (SELECT min(x.slot + 0) FROM solana.slots AS x
                       WHERE x.first_shred_at >= since AND x.first_shred_at < until)
        AND b.slot <= (SELECT max(x.slot + 0) FROM solana.slots AS x
                       WHERE x.first_shred_at >= since AND x.first_shred_at < until)
    WHERE s.first_shred_at >= since AND s.first_shred_at < until
      AND (b.slot IS NOT NULL OR s.num_successful_transactions IS NOT NULL)
      AND s.status IS DISTINCT FROM 'dead' AND s.status IS DISTINCT FROM 'orphaned'
    UNION ALL
    SELECT b.slot, b.block_time,
           coalesce(b.transaction_count,
                    s.num_successful_transactions + s.num_failed_transactions)::bigint
    FROM solana.blocks AS b
    LEFT JOIN solana.slots AS s ON s.slot = b.slot
        AND s.slot >= (SELECT min(y.slot + 0) FROM solana.blocks AS y
                       WHERE y.block_time >= since AND y.block_time < until)
        AND s.slot <= (SELECT max(y.slot + 0) FROM solana.blocks AS y
                       WHERE y.block_time >= since AND y.block_time < until)
    WHERE b.block_time >= since AND b.block_time < until
      AND s.first_shred_at IS NULL
      AND s.status IS DISTINCT FROM 'dead' AND s.status IS DISTINCT FROM 'orphaned'
$$;
COMMENT ON FUNCTION solana.block_activity(timestamptz, timestamptz) IS
    'Blocks produced in [since, until), one row per slot: a slot whose first shred arrived in the '
    'window and that has a block or frozen stats, or a stored block without a first-shred time '
    'whose block_time is in the window. at = that time; transactions = the block''s '
    'transaction_count, else the slot''s frozen stats. Dead and orphaned slots are not counted.';
