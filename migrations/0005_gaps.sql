-- 0005_gaps: what the gap detector and backfillers rely on.
--
-- nano.accounts.confirmed_height is maintained in the same transaction as the blocks: it is the
-- highest STORED height of the account (with its hash as confirmed_frontier). Missing ranges below
-- it are rows of ledgertap.gaps (kind nano_account_chain), opened by the writer in that same
-- transaction when a confirmed block arrives whose previous block is not stored; missing blocks
-- above it (confirmed on the node while ledgertap was away) are found by reconciliation against
-- the node's account_info.confirmation_height and confirmation_history (kind nano_account_tail).

COMMENT ON TABLE nano.accounts IS
    'Per-account progress of the gap detector. Key: account. confirmed_height is the highest height '
    'stored in nano.blocks (confirmed_frontier its hash); every missing height between '
    'history_start_height and confirmed_height is covered by a ledgertap.gaps row until backfill '
    'fills it. Committed with the blocks it describes. Merge: confirmed_height (with its frontier) '
    'only moves forward; history_start_height only moves down (backfill reached further back). '
    'Citus: distribution column account.';
COMMENT ON COLUMN nano.accounts.history_start_height IS
    'Lowest height ledgertap holds for the account: 1, or where its history starts when it was '
    'first seen mid-chain under the default policy (backfill.nano_unknown_account_policy = record).';

-- The backfillers pick work by status; the pending index from 0001 covers (chain, source,
-- detected_at) for open/filling gaps. Lookups by anchor while filling:
CREATE INDEX gaps_anchor_idx ON ledgertap.gaps (anchor_hash) WHERE anchor_hash IS NOT NULL;

-- Solana: the blocks a backfill round still has to look at are those not yet finalized.
CREATE INDEX blocks_not_finalized_idx ON solana.blocks (slot) WHERE commitment <> 'finalized';
