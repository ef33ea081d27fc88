-- Synthetic but format-valid solana.transactions for scripts/explain, made inside PostgreSQL.
--   psql -v rows=N -v from=A -v to=B -f bench/explain-fill-solana-transactions.sql  # A..B-1 of N
-- 4 transactions per slot of bench/explain-fill-solana.sql (none in its skipped slots); one in four
-- is a vote, one in four failed. scripts/explain runs two halves at once.
\set ON_ERROR_STOP on
SET synchronous_commit = off;

\ir explain-fill-helpers.sql

\set slots '(greatest(:rows / 4, 1))'
\set first_slot 300000000
SELECT CASE WHEN :slots * interval '400 ms' >= interval '10 days' THEN interval '400 ms'
            ELSE interval '30 days' / :slots END AS step \gset
\set step '(interval \'' :step '\')'

INSERT INTO solana.transactions (slot, signature, index, err, fee, compute_units_consumed,
                                 version, is_vote, pre_balances, post_balances, origin, source,
                                 received_at)
SELECT :first_slot + i / 4, pg_temp.b58(i, 's') || pg_temp.b58(i, 'z'), (i % 4)::integer,
       CASE WHEN i % 4 = 3 THEN '{"InstructionError":[0,"Custom"]}'::jsonb END, 5000, 150 + i % 999,
       CASE WHEN i % 2 = 0 THEN 'legacy' ELSE '0' END, i % 4 = 0, ARRAY[1000000, 0]::numeric[],
       ARRAY[995000, 0]::numeric[], 'websocket', 'solana-main',
       now() - :step * (:slots - i / 4)
FROM generate_series(:from::bigint, :to - 1) AS i
WHERE (i / 4) % 100 <> 99;

