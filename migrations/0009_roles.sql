-- 0009_roles: two group roles, so that nothing but `ledgertap-ingest migrate` runs as the owner.
--
--   ledgertap_writer  what ledgertap-ingest needs: USAGE on the schemas ledgertap, nano and solana;
--                     SELECT, INSERT, UPDATE, DELETE on their tables (schema_migrations: SELECT
--                     only); USAGE, SELECT, UPDATE on their sequences; EXECUTE on their
--                     functions; TEMPORARY on this database (the writer's COPY staging tables).
--                     No CREATE, no TRUNCATE, no DDL.
--   ledgertap_reader  ledgertap-query and dashboards: USAGE on the schemas, SELECT on every table
--                     and view, EXECUTE on the functions (the analytics functions, and those the
--                     views call). Nothing else.
--
-- Both are NOLOGIN: log in as a user of your own that is a member, e.g.
--   CREATE ROLE ledgertap_ingest LOGIN PASSWORD '...' IN ROLE ledgertap_writer;
--   CREATE ROLE grafana LOGIN PASSWORD '...' IN ROLE ledgertap_reader;
-- (docs/operations.md, "Database roles").
--
-- Roles belong to the whole cluster, tables to one database: a second ledgertap database in the
-- same cluster finds the roles there already and only adds its own grants. Creating a role needs
-- CREATEROLE; an owner without it can have an administrator create the two roles first.
-- ALTER DEFAULT PRIVILEGES covers what later migrations create, as long as they are applied by
-- the same role as this one (default privileges belong to the role that creates the objects).
--
-- PostgreSQL's own defaults still apply to every role: PUBLIC may EXECUTE functions and create
-- temporary tables unless an administrator revoked that for the cluster's databases.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['ledgertap_writer', 'ledgertap_reader'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
                -- Only the migration that created the role comments on it: COMMENT ON ROLE needs
                -- CREATEROLE, and two databases migrating at once would race on one comment.
                EXECUTE format('COMMENT ON ROLE %I IS %L', r, CASE r
                    WHEN 'ledgertap_writer' THEN
                        'ledgertap-ingest: reads and writes the rows of schemas ledgertap, nano and solana; no DDL.'
                    ELSE 'ledgertap-query and dashboards: SELECT and EXECUTE on schemas ledgertap, nano and solana.'
                END);
            EXCEPTION
                -- Another database of this cluster migrating at the same moment created it.
                WHEN duplicate_object OR unique_violation THEN
                    NULL;
                WHEN insufficient_privilege THEN
                    RAISE EXCEPTION 'role % does not exist and % lacks CREATEROLE to create it', r, current_user
                        USING HINT = format('Have an administrator run CREATE ROLE %I NOLOGIN, or migrate '
                                            'as a role with CREATEROLE.', r);
            END;
        END IF;
    END LOOP;
END
$$;

-- The writer.
GRANT USAGE ON SCHEMA ledgertap, nano, solana TO ledgertap_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ledgertap, nano, solana TO ledgertap_writer;
REVOKE INSERT, UPDATE, DELETE ON ledgertap.schema_migrations FROM ledgertap_writer;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ledgertap, nano, solana TO ledgertap_writer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ledgertap, nano, solana TO ledgertap_writer;
DO $$
BEGIN
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO ledgertap_writer', current_database());
END
$$;
ALTER DEFAULT PRIVILEGES IN SCHEMA ledgertap, nano, solana
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ledgertap_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA ledgertap, nano, solana
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ledgertap_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA ledgertap, nano, solana
    GRANT EXECUTE ON FUNCTIONS TO ledgertap_writer;

-- The reader.
GRANT USAGE ON SCHEMA ledgertap, nano, solana TO ledgertap_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA ledgertap, nano, solana TO ledgertap_reader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ledgertap, nano, solana TO ledgertap_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA ledgertap, nano, solana
    GRANT SELECT ON TABLES TO ledgertap_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA ledgertap, nano, solana
    GRANT EXECUTE ON FUNCTIONS TO ledgertap_reader;
