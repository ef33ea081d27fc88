-- nano.accounts (one per account, its frontier) once nano.blocks is filled; scripts/explain.
\set ON_ERROR_STOP on
SET synchronous_commit = off;
\ir explain-fill-helpers.sql
\set accounts '(greatest(:rows / 50, 1))'
\set span '(interval \'30 days\')'

INSERT INTO nano.accounts (account, confirmed_height, confirmed_frontier)
SELECT pg_temp.addr(a), b.height, b.hash
FROM generate_series(0::bigint, :accounts - 1) AS a,
     LATERAL (SELECT hash, height FROM nano.blocks
              WHERE account = pg_temp.addr(a) ORDER BY height DESC LIMIT 1) AS b;

