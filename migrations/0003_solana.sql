-- 0003_solana: tables for a Solana RPC node's PubSub subscriptions and HTTP backfill, in schema
-- `solana`.
--
-- Keys, hashes and signatures are stored as base58 text (what users paste into explorers).
-- Lamports and rent epochs are numeric(20,0): u64, and rentEpoch is 2^64-1 for every rent-exempt
-- account, which overflows bigint. Slots, heights and counts are bigint (far below 2^63). Node
-- timestamps (ms) and block times (s) are timestamptz. Transaction errors are jsonb as the node
-- sends them ("AccountNotFound" or {"InstructionError": [0, {"Custom": 1}]}).
--
-- Every table carries `source` (ledgertap.sources.name) and `received_at`. Transactions are keyed
-- by (slot, signature): the same signature can appear in blocks of two forks.

CREATE SCHEMA solana;
COMMENT ON SCHEMA solana IS 'Solana node data: slots, blocks, transactions, logs, accounts, votes.';

CREATE FUNCTION solana.is_pubkey(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN value ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$';
COMMENT ON FUNCTION solana.is_pubkey(text) IS
    'The shape of base58 text of 32 bytes (public keys, blockhashes).';

CREATE FUNCTION solana.is_signature(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN value ~ '^[1-9A-HJ-NP-Za-km-z]{64,88}$';
COMMENT ON FUNCTION solana.is_signature(text) IS 'The shape of base58 text of 64 bytes.';

CREATE FUNCTION solana.slot_status_rank(status text) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE status
        WHEN 'processed' THEN 1
        WHEN 'confirmed' THEN 2
        WHEN 'dead' THEN 3
        WHEN 'finalized' THEN 4
        WHEN 'skipped' THEN 4
        WHEN 'orphaned' THEN 4
        ELSE 0
    END;
COMMENT ON FUNCTION solana.slot_status_rank(text) IS
    'Order in which a slot''s status may move: NULL (seen only) 0 < processed 1 < confirmed 2 < '
    'dead 3 < finalized = skipped = orphaned 4. The rank-4 states are final verdicts of the '
    'finalized chain and never replace one another.';

CREATE FUNCTION solana.commitment_rank(commitment text) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE commitment
        WHEN 'processed' THEN 1
        WHEN 'confirmed' THEN 2
        WHEN 'finalized' THEN 3
        ELSE 0
    END;
COMMENT ON FUNCTION solana.commitment_rank(text) IS
    'processed 1 < confirmed 2 < finalized 3; merges keep the row of the higher commitment.';

-- slots -------------------------------------------------------------------------------------------

CREATE TABLE solana.slots (
    slot                        bigint      PRIMARY KEY CHECK (slot >= 0),
    parent                      bigint      CHECK (parent >= 0),
    status                      text        CHECK (status IN (
                                                'processed', 'confirmed', 'finalized',
                                                'skipped', 'dead', 'orphaned')),
    status_rank                 smallint    NOT NULL
                                            GENERATED ALWAYS AS (solana.slot_status_rank(status)) STORED,
    first_shred_at              timestamptz,
    created_bank_at             timestamptz,
    completed_at                timestamptz,
    frozen_at                   timestamptz,
    optimistic_at               timestamptz,
    rooted_at                   timestamptz,
    dead_error                  text,
    num_transaction_entries     bigint      CHECK (num_transaction_entries >= 0),
    num_successful_transactions bigint      CHECK (num_successful_transactions >= 0),
    num_failed_transactions     bigint      CHECK (num_failed_transactions >= 0),
    max_transactions_per_entry  bigint      CHECK (max_transactions_per_entry >= 0),
    source                      text        NOT NULL,
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT slots_parent_before_slot CHECK (parent IS NULL OR parent < slot)
);
CREATE INDEX slots_first_shred_at_idx ON solana.slots (first_shred_at);
CREATE INDEX slots_status_idx ON solana.slots (status, slot);
COMMENT ON TABLE solana.slots IS
    'One row per slot, merged from slotNotification, every slotsUpdatesNotification kind, '
    'rootNotification and backfill verdicts. Key: slot. Merge: status changes only when the new '
    'status_rank is greater (a late confirmed never overwrites finalized); each *_at column '
    'keeps the earliest time seen (least); parent, dead_error and the frozen stats keep the first '
    'non-NULL value. Citus: distribution column slot.';
COMMENT ON COLUMN solana.slots.status IS
    'processed (bank created), confirmed (optimistic confirmation), finalized (on the finalized '
    'chain), skipped (no block on the finalized chain, proven by parent linkage), dead (replay '
    'marked it invalid), orphaned (a block was seen but is not on the finalized chain); NULL '
    'while only shreds were seen.';
COMMENT ON COLUMN solana.slots.status_rank IS
    'Generated from status by solana.slot_status_rank(); do not insert it. In a merge compare '
    'excluded.status_rank with the stored one.';
COMMENT ON COLUMN solana.slots.first_shred_at IS 'slotsUpdates firstShredReceived timestamp.';
COMMENT ON COLUMN solana.slots.created_bank_at IS 'slotsUpdates createdBank timestamp.';
COMMENT ON COLUMN solana.slots.completed_at IS 'slotsUpdates completed (all shreds stored).';
COMMENT ON COLUMN solana.slots.frozen_at IS 'slotsUpdates frozen (replay finished).';
COMMENT ON COLUMN solana.slots.optimistic_at IS 'slotsUpdates optimisticConfirmation timestamp.';
COMMENT ON COLUMN solana.slots.rooted_at IS 'slotsUpdates root timestamp (the node''s root).';
COMMENT ON COLUMN solana.slots.dead_error IS 'slotsUpdates dead err text.';

-- blocks, transactions, logs ---------------------------------------------------------------------

CREATE TABLE solana.blocks (
    slot               bigint      PRIMARY KEY CHECK (slot >= 0),
    blockhash          text        NOT NULL CHECK (solana.is_pubkey(blockhash)),
    previous_blockhash text        NOT NULL CHECK (solana.is_pubkey(previous_blockhash)),
    parent_slot        bigint      NOT NULL CHECK (parent_slot >= 0),
    block_time         timestamptz,
    block_height       bigint      CHECK (block_height >= 0),
    transaction_count  integer     CHECK (transaction_count >= 0),
    rewards            jsonb,
    commitment         text        NOT NULL CHECK (commitment IN ('processed', 'confirmed', 'finalized')),
    origin             text        NOT NULL CHECK (origin IN ('websocket', 'rpc_backfill')),
    source             text        NOT NULL,
    received_at        timestamptz NOT NULL,
    inserted_at        timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX blocks_block_time_idx ON solana.blocks (block_time);
COMMENT ON TABLE solana.blocks IS
    'One row per block (blockNotification or getBlock). Key: slot. Merge: the row with the '
    'higher commitment replaces the stored one (solana.commitment_rank); at equal commitment '
    'contents are kept and NULL columns filled; origin becomes websocket once any source saw the '
    'block live. Citus: distribution column slot.';
COMMENT ON COLUMN solana.blocks.block_time IS 'blockTime (unix seconds); NULL when the node has none.';
COMMENT ON COLUMN solana.blocks.transaction_count IS
    'Transactions in the block, when the transactionDetails level delivered them.';
COMMENT ON COLUMN solana.blocks.commitment IS 'Commitment the block was fetched or notified at.';

CREATE TABLE solana.transactions (
    slot                   bigint           NOT NULL CHECK (slot >= 0),
    signature              text             NOT NULL CHECK (solana.is_signature(signature)),
    index                  integer          CHECK (index >= 0),
    err                    jsonb,
    fee                    numeric(20, 0)   CHECK (ledgertap.is_u64(fee)),
    compute_units_consumed bigint           CHECK (compute_units_consumed >= 0),
    version                text             CHECK (version = 'legacy' OR version ~ '^[0-9]+$'),
    is_vote                boolean,
    pre_balances           numeric(20, 0)[] CHECK (0 <= ALL (pre_balances) AND 18446744073709551615 >= ALL (pre_balances)),
    post_balances          numeric(20, 0)[] CHECK (0 <= ALL (post_balances) AND 18446744073709551615 >= ALL (post_balances)),
    log_messages           text[],
    origin                 text             NOT NULL CHECK (origin IN ('websocket', 'rpc_backfill')),
    source                 text             NOT NULL,
    received_at            timestamptz      NOT NULL,
    PRIMARY KEY (slot, signature)
);
CREATE INDEX transactions_signature_idx ON solana.transactions (signature);
COMMENT ON TABLE solana.transactions IS
    'Transactions of stored blocks. Key: (slot, signature) (first signature of the '
    'transaction). Merge: contents are immutable per (slot, signature); NULL columns are filled '
    'from a later, more detailed copy. Citus: distribution column slot (co-located with '
    'solana.blocks).';
COMMENT ON COLUMN solana.transactions.index IS 'Position of the transaction in its block.';
COMMENT ON COLUMN solana.transactions.err IS 'TransactionError as JSON; NULL on success.';
COMMENT ON COLUMN solana.transactions.fee IS 'Fee in lamports.';
COMMENT ON COLUMN solana.transactions.version IS 'legacy, or the message version number (0).';
COMMENT ON COLUMN solana.transactions.log_messages IS
    'meta.logMessages; text cannot hold NUL, so the writer escapes it.';

CREATE TABLE solana.logs (
    slot        bigint      NOT NULL CHECK (slot >= 0),
    signature   text        NOT NULL CHECK (solana.is_signature(signature)),
    err         jsonb,
    logs        text[]      NOT NULL,
    commitment  text        CHECK (commitment IN ('processed', 'confirmed', 'finalized')),
    source      text        NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (slot, signature)
);
CREATE INDEX logs_signature_idx ON solana.logs (signature);
COMMENT ON TABLE solana.logs IS
    'logsNotification results. Key: (slot, signature), slot being context.slot. Merge: the row '
    'of the higher commitment wins, otherwise the first one is kept. Citus: distribution column '
    'slot.';
COMMENT ON COLUMN solana.logs.logs IS 'Log lines; text cannot hold NUL, so the writer escapes it.';

-- accounts ----------------------------------------------------------------------------------------

CREATE TABLE solana.account_updates (
    pubkey         text           NOT NULL CHECK (solana.is_pubkey(pubkey)),
    slot           bigint         NOT NULL CHECK (slot >= 0),
    write_version  bigint         NOT NULL DEFAULT 0 CHECK (write_version >= 0),
    lamports       numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(lamports)),
    owner          text           NOT NULL CHECK (solana.is_pubkey(owner)),
    executable     boolean        NOT NULL,
    rent_epoch     numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(rent_epoch)),
    space          bigint         CHECK (space >= 0),
    data           bytea,
    data_encoding  text           NOT NULL
                                  CHECK (data_encoding IN ('binary', 'base58', 'base64',
                                                           'base64+zstd', 'jsonParsed')),
    data_json      jsonb,
    data_too_large boolean        NOT NULL DEFAULT false,
    program        text           CHECK (solana.is_pubkey(program)),
    source         text           NOT NULL,
    received_at    timestamptz    NOT NULL,
    PRIMARY KEY (pubkey, slot)
);
CREATE INDEX account_updates_slot_idx ON solana.account_updates (slot);
COMMENT ON TABLE solana.account_updates IS
    'Account states from accountNotification and programNotification, one per (pubkey, slot): '
    'the node coalesces writes within a slot. Key: (pubkey, slot), slot being context.slot. '
    'Merge: the greater write_version wins, otherwise the first row is kept. Citus: '
    'distribution column pubkey.';
COMMENT ON COLUMN solana.account_updates.lamports IS 'Balance in lamports (u64).';
COMMENT ON COLUMN solana.account_updates.rent_epoch IS
    'u64; 18446744073709551615 for rent-exempt accounts.';
COMMENT ON COLUMN solana.account_updates.data IS
    'Account data bytes decoded from the wire encoding; for base64+zstd the still-compressed '
    'zstd bytes; NULL for jsonParsed (see data_json) and when the node sent no data.';
COMMENT ON COLUMN solana.account_updates.data_encoding IS 'Encoding the node used on the wire.';
COMMENT ON COLUMN solana.account_updates.data_json IS 'jsonParsed data, as sent.';
COMMENT ON COLUMN solana.account_updates.data_too_large IS
    'The node answered "error: data too large for bs58 encoding" instead of the data.';
COMMENT ON COLUMN solana.account_updates.program IS
    'The program of the programSubscribe that delivered it; NULL for accountSubscribe.';

CREATE TABLE solana.accounts (
    pubkey         text           PRIMARY KEY CHECK (solana.is_pubkey(pubkey)),
    slot           bigint         NOT NULL CHECK (slot >= 0),
    write_version  bigint         NOT NULL DEFAULT 0 CHECK (write_version >= 0),
    lamports       numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(lamports)),
    owner          text           NOT NULL CHECK (solana.is_pubkey(owner)),
    executable     boolean        NOT NULL,
    rent_epoch     numeric(20, 0) NOT NULL CHECK (ledgertap.is_u64(rent_epoch)),
    space          bigint         CHECK (space >= 0),
    data           bytea,
    data_encoding  text           NOT NULL
                                  CHECK (data_encoding IN ('binary', 'base58', 'base64',
                                                           'base64+zstd', 'jsonParsed')),
    data_json      jsonb,
    data_too_large boolean        NOT NULL DEFAULT false,
    source         text           NOT NULL,
    received_at    timestamptz    NOT NULL,
    updated_at     timestamptz    NOT NULL DEFAULT now()
);
CREATE INDEX accounts_owner_idx ON solana.accounts (owner);
COMMENT ON TABLE solana.accounts IS
    'Current state of every watched account. Key: pubkey. Merge: moves forward only, replacing '
    'the row when (slot, write_version) is greater than the stored pair. Citus: distribution '
    'column pubkey (co-located with solana.account_updates).';

-- signatures, votes -------------------------------------------------------------------------------

CREATE TABLE solana.signatures (
    signature           text        NOT NULL CHECK (solana.is_signature(signature)),
    slot                bigint      NOT NULL CHECK (slot >= 0),
    err                 jsonb,
    confirmation_status text        NOT NULL
                                    CHECK (confirmation_status IN (
                                        'received', 'processed', 'confirmed', 'finalized')),
    confirmations       bigint      CHECK (confirmations >= 0),
    source              text        NOT NULL,
    received_at         timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (signature, slot)
);
COMMENT ON TABLE solana.signatures IS
    'Signature statuses from signatureNotification and getSignatureStatuses. Key: (signature, '
    'slot). Merge: confirmation_status only moves forward (received < processed < confirmed < '
    'finalized) and err comes with the status that replaced it. Citus: distribution column '
    'signature.';
COMMENT ON COLUMN solana.signatures.confirmation_status IS
    'received: the node saw the transaction (receivedSignature), not yet in a bank.';

CREATE TABLE solana.votes (
    vote_pubkey text        NOT NULL CHECK (solana.is_pubkey(vote_pubkey)),
    signature   text        NOT NULL CHECK (solana.is_signature(signature)),
    hash        text        NOT NULL CHECK (solana.is_pubkey(hash)),
    slots       bigint[]    NOT NULL,
    timestamp   timestamptz,
    source      text        NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (vote_pubkey, signature)
);
CREATE INDEX votes_received_at_idx ON solana.votes (received_at);
COMMENT ON TABLE solana.votes IS
    'Gossip votes from voteNotification (pre-consensus; may never land). Key: (vote_pubkey, '
    'signature). Merge: insert, do nothing on conflict. Citus: distribution column vote_pubkey.';
COMMENT ON COLUMN solana.votes.hash IS 'Bank hash voted for.';
COMMENT ON COLUMN solana.votes.slots IS 'Slots the vote covers.';
COMMENT ON COLUMN solana.votes.timestamp IS 'Vote timestamp (unix seconds), NULL when absent.';
