-- 0012_vote_ids: nano.vote_blocks names its vote by a bigint id instead of repeating the vote's
-- (representative, signature) in every row (issue #9).
--
-- A vote covers 1..255 block hashes, so nano.vote_blocks has ~20 rows per vote and is the
-- largest Nano table by rows. Each row carried the 65-character representative and the
-- 128-character signature again, and its primary key (representative, signature, hash) was a
-- 257-character B-tree entry beside a second index on hash: ~840 bytes per row on disk
-- (bench/EXPLAIN.md), and its merge was 60 % of the writer's database time at 2,000 msg/s
-- (bench/REPORT.md, bench/profile-statements.sh), the cause of the p99 latency goal being missed.
--
-- Now nano.votes has `id` (an identity), and nano.vote_blocks is (vote_id, hash) with one index,
-- its primary key (hash, vote_id), which also answers "the votes of a block". The writer inserts a
-- vote and its hashes in one statement (INSERT … RETURNING id into vote_blocks), only for votes
-- that are new, so a re-broadcast vote writes nothing twice. There is no foreign key, as nowhere
-- else in the schema (a per-row trigger); the writer is the only one who writes both.
--
-- Existing rows are converted: every vote gets an id, every (representative, signature, hash)
-- row becomes (id, hash). Rows of nano.vote_blocks whose vote is missing from nano.votes (none
-- that ledgertap wrote: both came from the same message, in one transaction) are dropped.

ALTER TABLE nano.votes ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE nano.votes ADD CONSTRAINT votes_id_key UNIQUE (id);
COMMENT ON COLUMN nano.votes.id IS
    'Assigned by PostgreSQL when the vote is first stored; nano.vote_blocks.vote_id refers to it.';

CREATE TABLE nano.vote_blocks_by_id (
    vote_id bigint   NOT NULL,
    hash    char(64) NOT NULL CHECK (nano.is_hash(hash)),
    CONSTRAINT vote_blocks_by_id_pkey PRIMARY KEY (hash, vote_id)
);
INSERT INTO nano.vote_blocks_by_id (vote_id, hash)
SELECT DISTINCT v.id, vb.hash
FROM nano.vote_blocks AS vb
JOIN nano.votes AS v ON v.representative = vb.representative AND v.signature = vb.signature;
DROP TABLE nano.vote_blocks;
ALTER TABLE nano.vote_blocks_by_id RENAME TO vote_blocks;
ALTER TABLE nano.vote_blocks RENAME CONSTRAINT vote_blocks_by_id_pkey TO vote_blocks_pkey;
ALTER TABLE nano.vote_blocks RENAME CONSTRAINT vote_blocks_by_id_hash_check TO vote_blocks_hash_check;

COMMENT ON TABLE nano.vote_blocks IS
    'The block hashes a vote covers (1..255 per vote). Key: (hash, vote_id), which also finds the '
    'votes of a block; vote_id is nano.votes.id. Merge: written with its vote, in the statement '
    'that stores the vote, only when the vote is new. Citus: distribution column hash (co-located '
    'with nano.blocks; joins nano.votes by id).';
COMMENT ON COLUMN nano.vote_blocks.vote_id IS 'nano.votes.id of the vote.';
COMMENT ON TABLE nano.votes IS
    'One row per distinct vote from the vote topic. Key: (representative, signature); the '
    'signature covers the hashes and timestamp, so a re-broadcast is the same row; id names it in '
    'nano.vote_blocks. Merge: first receipt wins (a later copy of a stored vote changes nothing). '
    'Citus: distribution column representative.';
