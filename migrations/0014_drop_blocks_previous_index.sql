-- 0014_drop_blocks_previous_index: nano.blocks loses its index on previous (issue #9).
--
-- Nothing ledgertap runs reads nano.blocks by previous: gap detection looks a block's previous up
-- by hash (blocks_pkey), backfill walks chains by hash, and no ledgertap-query command searches by
-- previous (bench/EXPLAIN.md lists every plan; none used this index). Yet each confirmed block
-- inserted one more entry at a random place of a B-tree of 64-character keys, as large as the
-- primary key: measured on the 2-core development machine, merging a batch of 5,000 firehose
-- blocks into a nano.blocks of 530,000 rows took 157 ms with the index and 124 ms without it
-- (median of 5 each), a fifth of the writer's database time.
--
-- The successor of a block, the one question this index answered, is a lookup on
-- blocks_account_height_idx: the same account at height + 1. An operator whose own queries need
-- the index can create it again (CREATE INDEX CONCURRENTLY blocks_previous_idx ON nano.blocks
-- (previous)); ledgertap never drops it a second time (docs/operations.md).

DROP INDEX IF EXISTS nano.blocks_previous_idx;
