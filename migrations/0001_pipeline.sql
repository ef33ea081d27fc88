-- 0001_pipeline: the chain-neutral pipeline state in schema `ledgertap`.
--
-- Applied by `ledgertap-ingest migrate` in one transaction together with its
-- ledgertap.schema_migrations row. Applied files must never be edited: add a new numbered file.
--
-- Conventions for every ledgertap table (see also 0002_nano.sql, 0003_solana.sql):
--   * times are timestamptz; `received_at` is when ledgertap received the data, `node_time` is
--     the node's own clock from the message envelope;
--   * no foreign keys: rows of different tables arrive in any order and every merge is an
--     idempotent upsert on the table's natural key;
--   * Citus: the small tables in this schema are reference tables (replicated to every node), so
--     their unique keys need not contain a distribution column.

-- IF NOT EXISTS: the schema may already exist when an operator pre-created it with grants.
CREATE SCHEMA IF NOT EXISTS ledgertap;
COMMENT ON SCHEMA ledgertap IS
    'ledgertap pipeline state: sources, connections, watermarks, gaps, dead letters, migrations.';

-- Range checks for exact unsigned integers stored as numeric (IMMUTABLE, for CHECK constraints):
-- numeric(20,0) and numeric(39,0) alone would admit 2^64 and 2^128.
CREATE FUNCTION ledgertap.is_u64(value numeric) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN value >= 0 AND value <= 18446744073709551615 AND value = trunc(value);
COMMENT ON FUNCTION ledgertap.is_u64(numeric) IS 'An integer in 0 .. 2^64-1.';

CREATE FUNCTION ledgertap.is_u128(value numeric) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN value >= 0 AND value <= 340282366920938463463374607431768211455 AND value = trunc(value);
COMMENT ON FUNCTION ledgertap.is_u128(numeric) IS 'An integer in 0 .. 2^128-1.';

CREATE TABLE ledgertap.schema_migrations (
    version    integer     PRIMARY KEY CHECK (version > 0),
    name       text        NOT NULL CHECK (name <> ''),
    checksum   char(64)    NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
    applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ledgertap.schema_migrations IS
    'One row per applied migration file NNNN_name.sql, inserted in the same transaction as the '
    'file itself. Key: version. Never updated: an applied file whose checksum changed is refused. '
    'Citus: reference table.';
COMMENT ON COLUMN ledgertap.schema_migrations.version IS 'NNNN of the file name.';
COMMENT ON COLUMN ledgertap.schema_migrations.name IS 'The name part of NNNN_name.sql.';
COMMENT ON COLUMN ledgertap.schema_migrations.checksum IS
    'SHA-256 of the file bytes, lowercase hex.';

CREATE TABLE ledgertap.sources (
    name              text        PRIMARY KEY CHECK (name <> ''),
    chain             text        NOT NULL CHECK (chain IN ('nano', 'solana')),
    ws_url            text,
    rpc_url           text,
    node_version      text,
    connected         boolean     NOT NULL DEFAULT false,
    first_seen_at     timestamptz NOT NULL DEFAULT now(),
    last_connected_at timestamptz,
    last_message_at   timestamptz,
    messages_received bigint      NOT NULL DEFAULT 0 CHECK (messages_received >= 0),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ledgertap.sources IS
    'One row per configured source (a node feed). Key: name. Merge: upsert on name; URLs and '
    'node_version take the latest value, last_*_at and messages_received only move forward '
    '(greatest). Citus: reference table.';
COMMENT ON COLUMN ledgertap.sources.name IS
    'Source name from the configuration, e.g. nano or solana-mainnet; the `source` column of '
    'every chain table refers to it.';
COMMENT ON COLUMN ledgertap.sources.ws_url IS 'WebSocket URL with any credentials redacted.';
COMMENT ON COLUMN ledgertap.sources.rpc_url IS 'HTTP RPC URL with any credentials redacted.';

CREATE TABLE ledgertap.connections (
    id                bigserial   PRIMARY KEY,
    source            text        NOT NULL,
    url               text        NOT NULL,
    opened_at         timestamptz NOT NULL,
    closed_at         timestamptz,
    close_code        integer,
    close_reason      text,
    messages_received bigint      NOT NULL DEFAULT 0 CHECK (messages_received >= 0),
    CONSTRAINT connections_source_opened_key UNIQUE (source, opened_at),
    CONSTRAINT connections_closed_after_opened CHECK (closed_at IS NULL OR closed_at >= opened_at)
);
CREATE INDEX connections_opened_at_idx ON ledgertap.connections (opened_at);
COMMENT ON TABLE ledgertap.connections IS
    'One row per WebSocket connection of a source. Key: id; natural key (source, opened_at), the '
    'ON CONFLICT target, so a resent batch does not duplicate a connection. Merge: closed_at, '
    'close_code and close_reason are set once (coalesce), messages_received takes the greatest '
    'value. Citus: reference table.';
COMMENT ON COLUMN ledgertap.connections.url IS 'The URL connected to, credentials redacted.';
COMMENT ON COLUMN ledgertap.connections.close_code IS
    'WebSocket close code (1000, 1006, ...), NULL while open or when the socket just dropped.';

CREATE TABLE ledgertap.watermarks (
    source     text        NOT NULL,
    key        text        NOT NULL CHECK (key <> ''),
    value      numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(value)),
    detail     text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, key)
);
COMMENT ON TABLE ledgertap.watermarks IS
    'Per-source progress, committed in the same transaction as the rows it describes (e.g. '
    'key finalized_slot: every Solana slot <= value is stored or proven skipped). Key: (source, '
    'key). Merge: value only moves forward (greatest) unless a repair resets it explicitly. '
    'Citus: reference table.';
COMMENT ON COLUMN ledgertap.watermarks.value IS 'A u64 position (slot, height, count), exact.';
COMMENT ON COLUMN ledgertap.watermarks.detail IS
    'Optional text tied to the position, e.g. the block hash at that height.';

CREATE TABLE ledgertap.gaps (
    id          bigserial   PRIMARY KEY,
    chain       text        NOT NULL CHECK (chain IN ('nano', 'solana')),
    source      text        NOT NULL,
    kind        text        NOT NULL CHECK (kind <> ''),
    account     text,
    first_slot  bigint      NOT NULL CHECK (first_slot >= 0),
    last_slot   bigint      NOT NULL,
    anchor_hash text,
    detected_at timestamptz NOT NULL DEFAULT now(),
    status      text        NOT NULL DEFAULT 'open'
                            CHECK (status IN ('open', 'filling', 'filled', 'unfillable')),
    attempts    integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    recovered   bigint      NOT NULL DEFAULT 0 CHECK (recovered >= 0),
    filled_at   timestamptz,
    last_error  text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT gaps_range_ordered CHECK (last_slot >= first_slot),
    CONSTRAINT gaps_filled_has_time CHECK (status <> 'filled' OR filled_at IS NOT NULL),
    CONSTRAINT gaps_natural_key UNIQUE NULLS NOT DISTINCT (chain, source, kind, account, first_slot, last_slot)
);
CREATE INDEX gaps_pending_idx ON ledgertap.gaps (chain, source, detected_at)
    WHERE status IN ('open', 'filling');
COMMENT ON TABLE ledgertap.gaps IS
    'Ranges known to be missing and their backfill progress. Key: id; natural key (chain, '
    'source, kind, account, first_slot, last_slot), so detecting the same gap twice is one row. '
    'Merge: status moves open -> filling -> filled | unfillable (filling may return to open after '
    'a failed attempt), attempts and recovered only grow. Citus: reference table.';
COMMENT ON COLUMN ledgertap.gaps.kind IS
    'What is missing, e.g. nano_account_chain, nano_account_tail, solana_slot_range.';
COMMENT ON COLUMN ledgertap.gaps.account IS 'Nano account (nano_ address); NULL for Solana.';
COMMENT ON COLUMN ledgertap.gaps.first_slot IS
    'First missing Solana slot, or first missing Nano account-chain height (inclusive).';
COMMENT ON COLUMN ledgertap.gaps.last_slot IS
    'Last missing Solana slot, or last missing Nano height (inclusive).';
COMMENT ON COLUMN ledgertap.gaps.anchor_hash IS
    'Nano: the stored block whose previous is missing (64 uppercase hex); backfill walks back '
    'from its previous. NULL for Solana.';
COMMENT ON COLUMN ledgertap.gaps.recovered IS 'Rows stored by the backfill of this gap.';

CREATE TABLE ledgertap.rejected_messages (
    id          bigserial   PRIMARY KEY,
    source      text        NOT NULL,
    chain       text        CHECK (chain IN ('nano', 'solana')),
    received_at timestamptz NOT NULL,
    reason      text        NOT NULL CHECK (reason <> ''),
    detail      text,
    sqlstate    char(5),
    size_bytes  bigint      NOT NULL CHECK (size_bytes >= 0),
    payload     text,
    truncated   boolean     NOT NULL DEFAULT false
);
CREATE INDEX rejected_messages_received_at_idx ON ledgertap.rejected_messages (received_at);
COMMENT ON TABLE ledgertap.rejected_messages IS
    'Dead letters: frames that could not be decoded, were oversized, or whose rows the database '
    'refused. Key: id. Append-only (a resent batch may record a message twice). Citus: '
    'reference table, or distributed by id.';
COMMENT ON COLUMN ledgertap.rejected_messages.reason IS
    'Short machine-readable cause, e.g. malformed_json, oversized, bad_field, database_rejected.';
COMMENT ON COLUMN ledgertap.rejected_messages.detail IS 'Human-readable explanation.';
COMMENT ON COLUMN ledgertap.rejected_messages.sqlstate IS
    'SQLSTATE when the database rejected the rows (e.g. 23514).';
COMMENT ON COLUMN ledgertap.rejected_messages.size_bytes IS 'Size of the original frame.';
COMMENT ON COLUMN ledgertap.rejected_messages.payload IS
    'The frame as text, cut to the configured limit; text cannot hold NUL, so the writer '
    'escapes or replaces bytes that are not valid UTF-8 text.';
COMMENT ON COLUMN ledgertap.rejected_messages.truncated IS 'payload is shorter than the frame.';
