-- 0002_nano: tables for a Nano node's WebSocket topics and RPC backfill, in schema `nano`.
--
-- Identifiers are stored as users read them: block hashes 64 uppercase hex (char(64)), block
-- signatures 128 uppercase hex (char(128)), work and difficulties 16 lowercase hex (char(16)),
-- accounts and node ids as nano_/node_ addresses. u128 amounts are numeric(39,0); u64 values that
-- can exceed 2^63 (vote timestamps: 2^64-1 marks a final vote; self-reported telemetry counters)
-- are numeric(20,0). Node times (ms since epoch) are converted to timestamptz, which keeps
-- milliseconds exactly.
--
-- Every table carries `source` (ledgertap.sources.name) and `received_at` (ledgertap receipt
-- time). Merge rules below are what the batch writer's INSERT ... ON CONFLICT statements
-- implement; they make a replayed or duplicated message leave the same final rows.

CREATE SCHEMA nano;
COMMENT ON SCHEMA nano IS 'Nano node data: confirmed blocks, votes, elections, telemetry, ...';

-- Format checks shared by the tables below (IMMUTABLE so CHECK constraints may use them).
CREATE FUNCTION nano.is_hash(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN value ~ '^[0-9A-F]{64}$';
COMMENT ON FUNCTION nano.is_hash(text) IS '64 uppercase hex digits (block hash, link, root).';

CREATE FUNCTION nano.is_address(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN value ~ '^nano_[13][13456789abcdefghijkmnopqrstuwxyz]{59}$';
COMMENT ON FUNCTION nano.is_address(text) IS
    'The shape of a nano_ account address (the checksum is verified by the decoder).';

-- blocks ------------------------------------------------------------------------------------------

CREATE TABLE nano.blocks (
    hash                   char(64)       PRIMARY KEY CHECK (nano.is_hash(hash)),
    account                text           NOT NULL CHECK (nano.is_address(account)),
    previous               char(64)       NOT NULL CHECK (nano.is_hash(previous)),
    height                 bigint         CHECK (height >= 1),
    type                   text           NOT NULL
                                          CHECK (type IN ('state', 'send', 'receive', 'open', 'change')),
    subtype                text           CHECK (subtype IN ('send', 'receive', 'change', 'epoch')),
    representative         text           CHECK (nano.is_address(representative)),
    balance                numeric(39, 0) CHECK (ledgertap.is_u128(balance)),
    link                   char(64)       CHECK (nano.is_hash(link)),
    link_as_account        text           CHECK (nano.is_address(link_as_account)),
    amount                 numeric(39, 0) CHECK (ledgertap.is_u128(amount)),
    signature              char(128)      NOT NULL CHECK (signature ~ '^[0-9A-F]{128}$'),
    work                   char(16)       NOT NULL CHECK (work ~ '^[0-9a-f]{16}$'),
    confirmed_at           timestamptz,
    confirmation_type      text           CHECK (confirmation_type IN (
                                              'active_quorum', 'active_confirmation_height',
                                              'inactive', 'unknown')),
    election_duration_ms   bigint         CHECK (election_duration_ms >= 0),
    election_time          timestamptz,
    election_tally         numeric(39, 0) CHECK (ledgertap.is_u128(election_tally)),
    election_final_tally   numeric(39, 0) CHECK (ledgertap.is_u128(election_final_tally)),
    election_blocks        integer        CHECK (election_blocks >= 0),
    election_voters        integer        CHECK (election_voters >= 0),
    election_request_count integer        CHECK (election_request_count >= 0),
    local_timestamp        timestamptz,
    linked_account         text           CHECK (nano.is_address(linked_account)),
    origin                 text           NOT NULL CHECK (origin IN ('websocket', 'rpc_backfill')),
    source                 text           NOT NULL,
    node_time              timestamptz,
    received_at            timestamptz    NOT NULL,
    inserted_at            timestamptz    NOT NULL DEFAULT now(),
    updated_at             timestamptz    NOT NULL DEFAULT now(),
    CONSTRAINT blocks_subtype_only_state CHECK (subtype IS NULL OR type = 'state')
);
CREATE INDEX blocks_account_height_idx ON nano.blocks (account, height);
CREATE INDEX blocks_confirmed_at_idx ON nano.blocks (confirmed_at);
CREATE INDEX blocks_previous_idx ON nano.blocks (previous);
COMMENT ON TABLE nano.blocks IS
    'One row per confirmed block, from the confirmation topic (origin websocket) or from RPC '
    'backfill (origin rpc_backfill). Key: hash. Merge: block contents are immutable (the hash '
    'covers them); enrichment columns keep the first non-NULL value (coalesce(existing, new)), '
    'except that the election_* columns, confirmation_type and election_duration_ms of an '
    'active_quorum confirmation replace those of other confirmation types, and origin becomes '
    'websocket once any source saw the block live. A later duplicate never erases data. '
    'Citus: distribution column hash.';
COMMENT ON COLUMN nano.blocks.hash IS 'Block hash, recomputed by the decoder (64 uppercase hex).';
COMMENT ON COLUMN nano.blocks.account IS
    'Account of the chain the block belongs to (legacy blocks: from the message).';
COMMENT ON COLUMN nano.blocks.previous IS 'Previous block hash; 64 zeros for open blocks.';
COMMENT ON COLUMN nano.blocks.height IS
    'Account-chain height (sideband or RPC); NULL until known (parent not yet stored).';
COMMENT ON COLUMN nano.blocks.subtype IS 'State blocks only: send, receive, change or epoch.';
COMMENT ON COLUMN nano.blocks.balance IS 'Account balance after the block, raw (u128).';
COMMENT ON COLUMN nano.blocks.link IS
    'State link; legacy send: destination public key; legacy receive/open: source hash.';
COMMENT ON COLUMN nano.blocks.amount IS 'Raw amount sent or received (0 for change/epoch).';
COMMENT ON COLUMN nano.blocks.confirmed_at IS
    'Node time of the confirmation notification (envelope time); for backfilled blocks the best '
    'known time (local_timestamp) or NULL.';
COMMENT ON COLUMN nano.blocks.election_duration_ms IS 'election_info.duration.';
COMMENT ON COLUMN nano.blocks.election_time IS 'election_info.time (election end).';
COMMENT ON COLUMN nano.blocks.election_final_tally IS 'election_info.final (final-vote tally).';
COMMENT ON COLUMN nano.blocks.local_timestamp IS
    'sideband.local_timestamp: when the node inserted the block (second precision).';
COMMENT ON COLUMN nano.blocks.linked_account IS
    'include_linked_account: send -> destination, receive -> source account; NULL for "0".';
COMMENT ON COLUMN nano.blocks.source IS 'ledgertap source that first stored the row.';
COMMENT ON COLUMN nano.blocks.node_time IS 'Envelope time of the message the row came from.';

CREATE TABLE nano.election_votes (
    hash           char(64)       NOT NULL CHECK (nano.is_hash(hash)),
    representative text           NOT NULL CHECK (nano.is_address(representative)),
    timestamp      numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(timestamp)),
    weight         numeric(39, 0) NOT NULL CHECK (ledgertap.is_u128(weight)),
    source         text           NOT NULL,
    received_at    timestamptz    NOT NULL,
    PRIMARY KEY (hash, representative)
);
COMMENT ON TABLE nano.election_votes IS
    'Votes of a block''s election as reported in confirmation election_info.votes '
    '(include_election_info_with_votes). Key: (hash, representative). Merge: the vote with the '
    'greater timestamp wins (a final vote, 2^64-1, beats any other). Citus: distribution column '
    'hash (co-located with nano.blocks).';
COMMENT ON COLUMN nano.election_votes.timestamp IS
    'Vote timestamp, u64: ms since epoch with the low 4 bits cleared, or 2^64-1 for a final vote.';
COMMENT ON COLUMN nano.election_votes.weight IS 'Representative weight, raw (u128).';

-- votes -------------------------------------------------------------------------------------------

CREATE TABLE nano.votes (
    representative text           NOT NULL CHECK (nano.is_address(representative)),
    signature      char(128)      NOT NULL CHECK (signature ~ '^[0-9A-F]{128}$'),
    timestamp      numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(timestamp)),
    is_final       boolean        NOT NULL,
    duration_code  smallint       CHECK (duration_code BETWEEN 0 AND 15),
    type           text           NOT NULL
                                  CHECK (type IN ('vote', 'replay', 'indeterminate', 'ignored')),
    source         text           NOT NULL,
    node_time      timestamptz,
    received_at    timestamptz    NOT NULL,
    PRIMARY KEY (representative, signature),
    CONSTRAINT votes_final_is_max_timestamp CHECK (is_final = (timestamp = 18446744073709551615))
);
CREATE INDEX votes_received_at_idx ON nano.votes (received_at);
COMMENT ON TABLE nano.votes IS
    'One row per distinct vote from the vote topic. Key: (representative, signature); the '
    'signature covers the hashes and timestamp, so a re-broadcast is the same row. Merge: first '
    'receipt wins (received_at and node_time keep the earliest, type prefers vote over replay '
    'over indeterminate). Citus: distribution column representative.';
COMMENT ON COLUMN nano.votes.signature IS
    'Vote signature: the node sends it as a decimal number; stored as 128 uppercase hex.';
COMMENT ON COLUMN nano.votes.timestamp IS 'u64 vote timestamp; 2^64-1 for final votes.';
COMMENT ON COLUMN nano.votes.duration_code IS
    '4-bit duration code: the vote lasts 2^(code+4) ms. NULL before node V23.';

CREATE TABLE nano.vote_blocks (
    representative text     NOT NULL,
    signature      char(128) NOT NULL,
    hash           char(64) NOT NULL CHECK (nano.is_hash(hash)),
    PRIMARY KEY (representative, signature, hash)
);
CREATE INDEX vote_blocks_hash_idx ON nano.vote_blocks (hash);
COMMENT ON TABLE nano.vote_blocks IS
    'The block hashes a vote covers (1..255 per vote). Key: (representative, signature, hash). '
    'Merge: insert, do nothing on conflict. Citus: distribution column representative '
    '(co-located with nano.votes).';

-- elections, unconfirmed blocks ------------------------------------------------------------------

CREATE TABLE nano.elections (
    hash        char(64)    NOT NULL CHECK (nano.is_hash(hash)),
    event       text        NOT NULL CHECK (event IN ('started', 'stopped')),
    time        timestamptz NOT NULL,
    source      text        NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (hash, event, time)
);
CREATE INDEX elections_time_idx ON nano.elections (time);
COMMENT ON TABLE nano.elections IS
    'started_election and stopped_election events. Key: (hash, event, time), time being the '
    'node''s envelope time (an election can start and stop more than once). Merge: insert, do '
    'nothing on conflict. Citus: distribution column hash.';

CREATE TABLE nano.unconfirmed_blocks (
    hash            char(64)       PRIMARY KEY CHECK (nano.is_hash(hash)),
    account         text           NOT NULL CHECK (nano.is_address(account)),
    previous        char(64)       NOT NULL CHECK (nano.is_hash(previous)),
    type            text           NOT NULL
                                   CHECK (type IN ('state', 'send', 'receive', 'open', 'change')),
    subtype         text           NOT NULL CHECK (subtype IN ('send', 'receive', 'change', 'epoch')),
    representative  text           CHECK (nano.is_address(representative)),
    balance         numeric(39, 0) CHECK (ledgertap.is_u128(balance)),
    link            char(64)       CHECK (nano.is_hash(link)),
    link_as_account text           CHECK (nano.is_address(link_as_account)),
    signature       char(128)      NOT NULL CHECK (signature ~ '^[0-9A-F]{128}$'),
    work            char(16)       NOT NULL CHECK (work ~ '^[0-9a-f]{16}$'),
    first_seen_at   timestamptz    NOT NULL,
    source          text           NOT NULL,
    received_at     timestamptz    NOT NULL
);
CREATE INDEX unconfirmed_blocks_account_idx ON nano.unconfirmed_blocks (account);
CREATE INDEX unconfirmed_blocks_first_seen_at_idx ON nano.unconfirmed_blocks (first_seen_at);
COMMENT ON TABLE nano.unconfirmed_blocks IS
    'Blocks from new_unconfirmed_block: inserted into the node''s ledger, not confirmed, possibly '
    'rolled back later (two forks may share a previous). Never read as confirmed. Key: hash. '
    'Merge: first_seen_at and received_at keep the earliest value. Citus: distribution column '
    'hash (co-located with nano.blocks).';
COMMENT ON COLUMN nano.unconfirmed_blocks.first_seen_at IS
    'Node envelope time of the first notification: the start of confirmation latency.';
COMMENT ON COLUMN nano.unconfirmed_blocks.subtype IS
    'Always present on this topic; legacy blocks show change.';

-- telemetry ---------------------------------------------------------------------------------------

CREATE TABLE nano.telemetry (
    node_id             text           NOT NULL CHECK (node_id ~ '^node_[13][13456789abcdefghijkmnopqrstuwxyz]{59}$'),
    timestamp           timestamptz    NOT NULL,
    address             text           NOT NULL,
    port                integer        NOT NULL CHECK (port BETWEEN 0 AND 65535),
    block_count         numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(block_count)),
    cemented_count      numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(cemented_count)),
    unchecked_count     numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(unchecked_count)),
    account_count       numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(account_count)),
    bandwidth_cap       numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(bandwidth_cap)),
    peer_count          bigint         NOT NULL CHECK (peer_count >= 0),
    protocol_version    smallint       NOT NULL CHECK (protocol_version BETWEEN 0 AND 255),
    uptime              numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(uptime)),
    genesis_block       char(64)       NOT NULL CHECK (nano.is_hash(genesis_block)),
    major_version       smallint       NOT NULL CHECK (major_version BETWEEN 0 AND 255),
    minor_version       smallint       NOT NULL CHECK (minor_version BETWEEN 0 AND 255),
    patch_version       smallint       NOT NULL CHECK (patch_version BETWEEN 0 AND 255),
    pre_release_version smallint       NOT NULL CHECK (pre_release_version BETWEEN 0 AND 255),
    maker               smallint       NOT NULL CHECK (maker BETWEEN 0 AND 255),
    active_difficulty   char(16)       NOT NULL CHECK (active_difficulty ~ '^[0-9a-f]{16}$'),
    signature           char(128)      CHECK (signature ~ '^[0-9A-F]{128}$'),
    source              text           NOT NULL,
    node_time           timestamptz,
    received_at         timestamptz    NOT NULL,
    PRIMARY KEY (node_id, timestamp)
);
CREATE INDEX telemetry_received_at_idx ON nano.telemetry (received_at);
COMMENT ON TABLE nano.telemetry IS
    'Telemetry packets the node accepted from its peers (self-reported, may be forged). Key: '
    '(node_id, timestamp), the peer''s own signed timestamp. Merge: insert, do nothing on '
    'conflict. Citus: distribution column node_id.';
COMMENT ON COLUMN nano.telemetry.timestamp IS 'The peer''s telemetry timestamp (ms precision).';
COMMENT ON COLUMN nano.telemetry.address IS 'Peer endpoint as sent, e.g. ::ffff:139.180.168.194.';
COMMENT ON COLUMN nano.telemetry.uptime IS 'Seconds.';
COMMENT ON COLUMN nano.telemetry.maker IS '0 = Nano Foundation node, 1 = NF pruned node.';

-- work, bootstrap, active_difficulty -------------------------------------------------------------

CREATE TABLE nano.work (
    hash              char(64)    NOT NULL CHECK (nano.is_hash(hash)),
    time              timestamptz NOT NULL,
    success           boolean     NOT NULL,
    reason            text        NOT NULL DEFAULT '' CHECK (reason IN ('', 'cancelled', 'failure')),
    duration_ms       bigint      CHECK (duration_ms >= 0),
    version           text,
    difficulty        char(16)    CHECK (difficulty ~ '^[0-9a-f]{16}$'),
    multiplier        text,
    result_source     text,
    result_work       char(16)    CHECK (result_work ~ '^[0-9a-f]{16}$'),
    result_difficulty char(16)    CHECK (result_difficulty ~ '^[0-9a-f]{16}$'),
    result_multiplier text,
    bad_peers         text[]      NOT NULL DEFAULT '{}',
    source            text        NOT NULL,
    received_at       timestamptz NOT NULL,
    PRIMARY KEY (hash, time),
    CONSTRAINT work_result_only_on_success CHECK (success OR result_work IS NULL)
);
COMMENT ON TABLE nano.work IS
    'Work generation results from the work topic. Key: (hash, time): the request root and the '
    'envelope time. Merge: insert, do nothing on conflict. Citus: distribution column hash.';
COMMENT ON COLUMN nano.work.hash IS 'request.hash: the root the work was generated for.';
COMMENT ON COLUMN nano.work.multiplier IS 'request.multiplier as sent (decimal text, exact).';
COMMENT ON COLUMN nano.work.result_source IS 'ip:port of the work peer, or local.';

CREATE TABLE nano.bootstrap (
    id           text           NOT NULL CHECK (id <> ''),
    reason       text           NOT NULL CHECK (reason IN ('started', 'exited')),
    mode         text,
    total_blocks numeric(20, 0) CHECK (ledgertap.is_u64(total_blocks)),
    duration_s   bigint         CHECK (duration_s >= 0),
    time         timestamptz    NOT NULL,
    source       text           NOT NULL,
    received_at  timestamptz    NOT NULL,
    PRIMARY KEY (id, reason)
);
COMMENT ON TABLE nano.bootstrap IS
    'Legacy bootstrap attempts (bootstrap topic; silent on node V28+). Key: (id, reason). Merge: '
    'insert, do nothing on conflict. Citus: reference table (tiny).';

CREATE TABLE nano.active_difficulty (
    time                    timestamptz NOT NULL PRIMARY KEY,
    multiplier              text        NOT NULL,
    network_current         char(16)    NOT NULL CHECK (network_current ~ '^[0-9a-f]{16}$'),
    network_minimum         char(16)    NOT NULL CHECK (network_minimum ~ '^[0-9a-f]{16}$'),
    network_receive_current char(16)    CHECK (network_receive_current ~ '^[0-9a-f]{16}$'),
    network_receive_minimum char(16)    CHECK (network_receive_minimum ~ '^[0-9a-f]{16}$'),
    source                  text        NOT NULL,
    received_at             timestamptz NOT NULL
);
COMMENT ON TABLE nano.active_difficulty IS
    'active_difficulty topic (node V20-V21 only). Key: time (envelope time). Merge: insert, do '
    'nothing on conflict. Citus: reference table (tiny).';

-- per-account progress (gap detection) -----------------------------------------------------------

CREATE TABLE nano.accounts (
    account              text        PRIMARY KEY CHECK (nano.is_address(account)),
    confirmed_height     bigint      NOT NULL CHECK (confirmed_height >= 0),
    confirmed_frontier   char(64)    CHECK (nano.is_hash(confirmed_frontier)),
    history_start_height bigint      NOT NULL DEFAULT 1 CHECK (history_start_height >= 1),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_frontier_when_stored CHECK (
        confirmed_frontier IS NOT NULL OR confirmed_height < history_start_height)
);
COMMENT ON TABLE nano.accounts IS
    'The gap detector''s per-account frontier: every height from history_start_height to '
    'confirmed_height is stored in nano.blocks, and confirmed_frontier is the block at '
    'confirmed_height. Committed with the blocks it describes. Key: account. Merge: '
    'confirmed_height (with its frontier) only moves forward; history_start_height only moves '
    'down (backfill reached further back). Citus: distribution column account.';
COMMENT ON COLUMN nano.accounts.history_start_height IS
    'Lowest height ledgertap intends to hold (1, or where history starts when the account was '
    'first seen mid-chain and backfill to the open block is not wanted).';
