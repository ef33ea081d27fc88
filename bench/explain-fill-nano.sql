-- Synthetic but format-valid Nano rows for scripts/explain, made inside PostgreSQL.
--   psql -v rows=N -f bench/explain-fill-nano.sql
-- The Nano rows beside nano.blocks (bench/explain-fill-nano-blocks.sql): N/100 unconfirmed
-- blocks, N/20 votes with one vote_blocks row each, N/50 election events and election votes,
-- 1,440 telemetry rows.
-- No trigger, index or constraint is dropped: every row goes through the real schema.
\set ON_ERROR_STOP on
SET synchronous_commit = off;
\ir explain-fill-helpers.sql
\set accounts '(greatest(:rows / 50, 1))'
\set span '(interval \'30 days\')'

INSERT INTO nano.unconfirmed_blocks (hash, account, previous, type, subtype, representative,
                                     balance, link, signature, work, first_seen_at, source,
                                     received_at)
SELECT pg_temp.h64(i, 'u'), pg_temp.addr(i % :accounts), pg_temp.h64(i, 'b'), 'state', 'send',
       pg_temp.addr(i % 97), 1000::numeric, pg_temp.h64(i, 'l'),
       pg_temp.h64(i, 's') || pg_temp.h64(i, 'u'), substr(md5('v' || i::text), 1, 16),
       now() - interval '2 hours' * ((:rows / 100 - i)::double precision / (:rows / 100)),
       'nano-main', now()
FROM generate_series(0::bigint, :rows / 100 - 1) AS i;

INSERT INTO nano.votes (representative, signature, timestamp, is_final, duration_code, type,
                        source, node_time, received_at)
SELECT pg_temp.addr(i % 97), pg_temp.h64(i, 'vs') || pg_temp.h64(i, 'vt'),
       CASE WHEN i % 2 = 0 THEN 18446744073709551615 ELSE 1700000000000 + i END,
       i % 2 = 0, i % 16, CASE WHEN i % 10 = 0 THEN 'replay' ELSE 'vote' END, 'nano-main', t, t
FROM generate_series(0::bigint, :rows / 20 - 1) AS i,
     LATERAL (SELECT now() - :span * ((:rows / 20 - i)::double precision / (:rows / 20))) AS c(t);

INSERT INTO nano.vote_blocks (vote_id, hash)
SELECT v.id, pg_temp.h64(i * 4, 'b')
FROM generate_series(0::bigint, :rows / 20 - 1) AS i
JOIN nano.votes AS v
    ON v.representative = pg_temp.addr(i % 97) AND v.signature = pg_temp.h64(i, 'vs') || pg_temp.h64(i, 'vt');

INSERT INTO nano.elections (hash, event, time, source, received_at)
SELECT pg_temp.h64(i * 20, 'b'), e.event, t + e.d, 'nano-main', t + e.d
FROM generate_series(0::bigint, :rows / 100 - 1) AS i,
     LATERAL (SELECT now() - :span * ((:rows - i * 20)::double precision / :rows)) AS c(t),
     (VALUES ('started', interval '0'), ('stopped', interval '200 milliseconds')) AS e(event, d);

INSERT INTO nano.election_votes (hash, representative, timestamp, weight, source, received_at)
SELECT pg_temp.h64(i / 5 * 20, 'b'), pg_temp.addr(i % 5), 1700000000000 + i,
       (i % 1000 * 1000000)::numeric, 'nano-main', now() - :span * random()
FROM generate_series(0::bigint, :rows / 50 - 1) AS i;

INSERT INTO nano.telemetry (node_id, timestamp, address, port, block_count, cemented_count,
                            unchecked_count, account_count, bandwidth_cap, peer_count,
                            protocol_version, uptime, genesis_block, major_version, minor_version,
                            patch_version, pre_release_version, maker, active_difficulty, source,
                            received_at)
SELECT 'node_1' || substr(pg_temp.addr(i % 50), 7), t, '::ffff:10.0.0.' || (i % 50), 7075,
       :rows + i, :rows + i - 10, 10, :accounts, 0, 40, 20, 1000 + i, pg_temp.h64(0, 'g'), 26, 1,
       0, 0, 0, 'fffffff800000000', 'nano-main', t
FROM generate_series(0::bigint, 1439) AS i,
     LATERAL (SELECT now() - interval '1 minute' * (1440 - i)) AS c(t);
