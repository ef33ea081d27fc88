-- Synthetic but format-valid Solana and pipeline rows for scripts/explain, made inside PostgreSQL.
--   psql -v rows=N -f bench/explain-fill-solana.sql
-- N/4 slots ending now, 400 ms apart when that spans at least 10 days (N >= 8.64M), else spread
-- over 30 days (so that --since windows are as selective as on a big database); one block per
-- slot but for every 100th slot (skipped), N/10 votes, some gaps, the sources (the N transactions:
-- bench/explain-fill-solana-transactions.sql).
-- No trigger, index or constraint is dropped: every row goes through the real schema.
\set ON_ERROR_STOP on
SET synchronous_commit = off;

\ir explain-fill-helpers.sql

\set slots '(greatest(:rows / 4, 1))'
\set first_slot 300000000
SELECT CASE WHEN :slots * interval '400 ms' >= interval '10 days' THEN interval '400 ms'
            ELSE interval '30 days' / :slots END AS step \gset
\set step '(interval \'' :step '\')'

INSERT INTO solana.slots (slot, parent, status, first_shred_at, created_bank_at, completed_at,
                          frozen_at, optimistic_at, rooted_at, num_transaction_entries,
                          num_successful_transactions, num_failed_transactions,
                          max_transactions_per_entry, source)
SELECT :first_slot + k, :first_slot + k - 1,
       CASE WHEN k % 100 = 99 THEN 'skipped' WHEN k > :slots - 40 THEN 'confirmed'
            ELSE 'finalized' END,
       t, t + interval '30 ms', t + interval '380 ms', t + interval '400 ms',
       t + interval '800 ms', t + interval '13 s', 4, 3, 1, 2, 'solana-main'
FROM generate_series(0::bigint, :slots - 1) AS k,
     LATERAL (SELECT now() - :step * (:slots - k)) AS c(t);

INSERT INTO solana.blocks (slot, blockhash, previous_blockhash, parent_slot, block_time,
                           block_height, transaction_count, commitment, origin, source,
                           received_at)
SELECT :first_slot + k, pg_temp.b58(k, 'h'), pg_temp.b58(k - 1, 'h'), :first_slot + k - 1,
       date_trunc('second', t), 280000000 + k, 4,
       CASE WHEN k > :slots - 40 THEN 'confirmed' ELSE 'finalized' END, 'websocket',
       'solana-main', t + interval '1 s'
FROM generate_series(0::bigint, :slots - 1) AS k,
     LATERAL (SELECT now() - :step * (:slots - k)) AS c(t)
WHERE k % 100 <> 99;

INSERT INTO solana.votes (vote_pubkey, signature, hash, slots, timestamp, source, received_at)
SELECT pg_temp.b58(i % 500, 'v'), pg_temp.b58(i, 'vs') || pg_temp.b58(i, 'vz'),
       pg_temp.b58(i / 500, 'h'), ARRAY[:first_slot + i / 5]::bigint[], t, 'solana-main', t
FROM generate_series(0::bigint, :rows / 10 - 1) AS i,
     LATERAL (SELECT now() - :step * (:slots - i / 5)) AS c(t)
WHERE i / 5 < :slots;

INSERT INTO ledgertap.sources (name, chain, ws_url, rpc_url, node_version, connected,
                               last_connected_at, last_message_at, messages_received)
VALUES ('nano-main', 'nano', 'ws://127.0.0.1:7078', 'http://127.0.0.1:7076', 'V27.1', true,
        now() - interval '1 day', now(), :rows),
       ('solana-main', 'solana', 'ws://127.0.0.1:8900', 'http://127.0.0.1:8899', '2.0.15', true,
        now() - interval '1 day', now(), :rows);

INSERT INTO ledgertap.gaps (chain, source, kind, account, first_slot, last_slot, anchor_hash,
                            detected_at, status, filled_at)
SELECT 'solana', 'solana-main', 'slots', NULL, :first_slot + g * 1000, :first_slot + g * 1000 + 3,
       NULL, now() - interval '1 minute' * g,
       CASE WHEN g % 10 = 0 THEN 'open' ELSE 'filled' END,
       CASE WHEN g % 10 = 0 THEN NULL ELSE now() END
FROM generate_series(0::bigint, 999) AS g
UNION ALL
SELECT 'nano', 'nano-main', 'account_chain',
       'nano_1' || substr(translate(md5('a' || g::text) || md5(g::text || 'a'),
                                    '0123456789abcdef', '13456789abcdefgh'), 1, 59),
       1, 5, upper(md5('b' || g::text) || md5(g::text || 'b')), now() - interval '1 minute' * g,
       CASE WHEN g % 10 = 0 THEN 'open' ELSE 'filled' END,
       CASE WHEN g % 10 = 0 THEN NULL ELSE now() END
FROM generate_series(0::bigint, 999) AS g;
