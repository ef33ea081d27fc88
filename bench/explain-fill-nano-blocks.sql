-- Synthetic but format-valid nano.blocks for scripts/explain, made inside PostgreSQL.
--   psql -v rows=N -v from=A -v to=B -f bench/explain-fill-nano-blocks.sql   # blocks A..B-1 of N
-- N blocks over N/50 accounts (heights 1..50, chained by previous), confirmed over the last 30
-- days (block i at now() - 30 days * (N - i) / N). scripts/explain runs two halves at once.
\set ON_ERROR_STOP on
SET synchronous_commit = off;
\ir explain-fill-helpers.sql
\set accounts '(greatest(:rows / 50, 1))'
\set span '(interval \'30 days\')'

-- One row per account: its address and the address its sends link to. The generator below joins
-- it and computes each hash once (OFFSET 0 keeps the planner from copying the expression).
CREATE TEMP TABLE explain_accounts AS
SELECT a AS id, pg_temp.addr(a) AS address, pg_temp.addr((a + 7) % :accounts) AS linked
FROM generate_series(0::bigint, :accounts - 1) AS a;
ANALYZE explain_accounts;

INSERT INTO nano.blocks (hash, account, previous, height, type, subtype, representative, balance,
                         link, amount, signature, work, confirmed_at, confirmation_type,
                         election_duration_ms, election_time, local_timestamp, linked_account,
                         origin, source, node_time, received_at)
SELECT g.h, a.address, g.prev, g.i / :accounts + 1, 'state',
       CASE WHEN g.i % 2 = 0 THEN 'send' ELSE 'receive' END,
       a.address, (g.i * 1000000)::numeric, reverse(g.h), (g.i % 1000 * 1000)::numeric,
       g.h || reverse(g.h), lower(substr(g.h, 9, 16)), g.t, 'active_quorum', 50 + g.i % 950,
       g.t - interval '200 milliseconds', g.t - interval '1 second', a.linked, 'websocket',
       'nano-main', g.t, g.t + interval '5 milliseconds'
FROM (SELECT i, pg_temp.h64(i, 'b') AS h,
             CASE WHEN i >= :accounts THEN pg_temp.h64(i - :accounts, 'b')
                  ELSE repeat('0', 64) END AS prev,
             now() - :span * ((:rows - i)::double precision / :rows) AS t
      FROM generate_series(:from::bigint, :to - 1) AS i OFFSET 0) AS g
JOIN explain_accounts AS a ON a.id = g.i % :accounts;

