-- scripts/explain: CHECK constraints of the tables it fills, around the bulk load.
--   psql -v action=drop    -f bench/explain-checks.sql  # saves and drops them (before the fill)
--   psql -v action=restore -f bench/explain-checks.sql  # re-adds them NOT VALID (after the fill)
--   psql -v action=validate -f bench/explain-checks.sql # VALIDATEs them (tiny mode: proves the
--                                                        # synthetic rows are format-valid)
-- The format checks (nano.is_hash, nano.is_address, ...) cost ~15 us per value, ~150 us per Nano
-- block: a 10M-row load would take hours with them. Indexes are never dropped. The plans do not
-- depend on CHECK constraints (constraint_exclusion only applies to partitions/inheritance).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS public.explain_saved_checks (
    tbl regclass NOT NULL, name text NOT NULL, def text NOT NULL);

SELECT :'action' = 'drop' AS is_drop, :'action' = 'restore' AS is_restore,
       :'action' = 'validate' AS is_validate \gset

\if :is_drop
INSERT INTO public.explain_saved_checks
SELECT c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint AS c JOIN pg_class AS r ON r.oid = c.conrelid
WHERE c.contype = 'c' AND r.relnamespace::regnamespace::text IN ('nano', 'solana')
  AND r.relkind = 'r';
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, name) FROM public.explain_saved_checks
\gexec
\elif :is_restore
SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s NOT VALID', tbl, name, def)
FROM public.explain_saved_checks
\gexec
\elif :is_validate
SELECT format('ALTER TABLE %s VALIDATE CONSTRAINT %I', tbl, name) FROM public.explain_saved_checks
\gexec
DROP TABLE public.explain_saved_checks;
\endif
