-- Deterministic data for the query tool's integration tests, loaded into a migrated scratch
-- database in one transaction. Every time is relative to t0 = the start of the minute 20 minutes
-- before the load (now() is fixed within the transaction), so the data always lies inside
-- `--since 1h` and outside `--since 1m`, and minute buckets are the same on every run.
--
-- Nano: 600 confirmed blocks, one per second from t0 (60 per minute, 10 minutes) on 5 accounts
-- (block i: account i % 5, height i / 5 + 1); type by i % 10: 0-5 active_quorum, 6-8
-- active_confirmation_height, 9 inactive; latency 100 + (i * 37) % 900 ms, except that blocks
-- with i % 50 = 49 were never seen unconfirmed (no latency). One more block is unconfirmed only.
-- Solana: slots 1000..2499, one per 400 ms from t0; every slot with slot % 20 = 7 is skipped (no
-- timestamps, no block); the last 40 slots are only confirmed, the last 5 only processed; slot
-- 900 has only a backfilled block.
-- Addresses are valid nano_ addresses (blake2b checksums), so the CLI accepts them.

CREATE TEMPORARY TABLE fixture_accounts (n integer PRIMARY KEY, address text NOT NULL) ON COMMIT DROP;
INSERT INTO fixture_accounts VALUES
    (0, 'nano_1t9jmyhmwwkjdz3mragb7wy98ykdrkc7say6c47tfuhsjybqhzk9drsg9grz'),
    (1, 'nano_1iiedigoub554srrarf75fw88cti3bo784hktxamxe1oft77sh7u91p39zgw'),
    (2, 'nano_3axkocnrt8brxzbztiowaxnh5ybirctiynk7szphca8r3x9c13bxynkd4isk'),
    (3, 'nano_3q4osxuuwtn8ifzb4m3hwcju8w5peg51t4btwm8itnb5rnh431fjizw88pgg'),
    (4, 'nano_3usi6uo1hq6ep4j5taux44qfan6u36g4sw71s1nttz9dtitty7qqigwhqdj4');

CREATE TEMPORARY TABLE fixture_base ON COMMIT DROP AS
SELECT date_trunc('minute', now()) - interval '20 minutes' AS t0;

-- pipeline ---------------------------------------------------------------------------------------

INSERT INTO ledgertap.sources (name, chain, ws_url, rpc_url, node_version, connected,
                               last_connected_at, last_message_at, messages_received)
SELECT 'nano-test', 'nano', 'ws://127.0.0.1:7078', 'http://127.0.0.1:7076', 'V27.1', true,
       t0, t0 + interval '10 minutes', 1500
FROM fixture_base
UNION ALL
SELECT 'solana-test', 'solana', 'ws://127.0.0.1:8900', 'http://127.0.0.1:8899', '1.18.26', false,
       t0, t0 + interval '10 minutes', 9000
FROM fixture_base;

INSERT INTO ledgertap.connections (source, url, opened_at, closed_at, close_code, close_reason,
                                   messages_received)
SELECT 'nano-test', 'ws://127.0.0.1:7078', t0, NULL, NULL, NULL, 1500 FROM fixture_base
UNION ALL
SELECT 'solana-test', 'ws://127.0.0.1:8900', t0, t0 + interval '10 minutes', 1006,
       'connection dropped', 9000
FROM fixture_base;

-- 12345678901234567890 > 2^63: a u64 watermark must come back exactly.
INSERT INTO ledgertap.watermarks (source, key, value, detail) VALUES
    ('nano-test', 'cemented_count', 12345678901234567890, NULL),
    ('solana-test', 'finalized_slot', 2454, NULL);

INSERT INTO ledgertap.gaps (chain, source, kind, account, first_slot, last_slot, anchor_hash,
                            detected_at, status, attempts, recovered, filled_at, last_error)
SELECT 'nano', 'nano-test', 'nano_account_chain',
       'nano_1iiedigoub554srrarf75fw88cti3bo784hktxamxe1oft77sh7u91p39zgw', 5, 9,
       repeat('AB', 32), t0 + interval '2 minutes', 'open', 0, 0, NULL, NULL
FROM fixture_base
UNION ALL
SELECT 'solana', 'solana-test', 'solana_slot_range', NULL, 1200, 1210, NULL,
       t0 + interval '1 minute', 'filled', 1, 11, t0 + interval '3 minutes', NULL
FROM fixture_base
UNION ALL
-- An error text with HTML and CSV metacharacters: the report must escape it, CSV must quote it.
SELECT 'solana', 'solana-test', 'solana_slot_range', NULL, 2400, 2410, NULL,
       t0 + interval '9 minutes', 'open', 3, 0, NULL,
       'getBlock timeout, "slow" node <script>alert(1)</script>'
FROM fixture_base;

-- nano -------------------------------------------------------------------------------------------

CREATE TEMPORARY TABLE fixture_blocks ON COMMIT DROP AS
SELECT i,
       upper(md5('block' || i) || md5('hash' || i)) AS hash,
       a.address AS account,
       i / 5 + 1 AS height,
       CASE WHEN i % 10 < 6 THEN 'active_quorum'
            WHEN i % 10 < 9 THEN 'active_confirmation_height'
            ELSE 'inactive' END AS confirmation_type,
       b.t0 + i * interval '1 second' AS confirmed_at,
       (100 + (i * 37) % 900) AS latency_ms
FROM generate_series(0, 599) AS i
JOIN fixture_accounts AS a ON a.n = i % 5
CROSS JOIN fixture_base AS b;

INSERT INTO nano.blocks (hash, account, previous, height, type, subtype, representative, balance,
                         link, amount, signature, work, confirmed_at, confirmation_type,
                         election_duration_ms, origin, source, node_time, received_at)
SELECT f.hash, f.account,
       coalesce(p.hash, repeat('0', 64)),
       f.height, 'state',
       CASE WHEN f.i % 3 = 0 THEN 'send' WHEN f.i % 3 = 1 THEN 'receive' ELSE 'change' END,
       (SELECT address FROM fixture_accounts WHERE n = 0),
       -- the newest block of account 0 holds 2^128-1 raw: amounts must stay exact
       CASE WHEN f.i = 595 THEN 340282366920938463463374607431768211455::numeric
            ELSE (1000000000000000000000000000000 + f.i)::numeric END,
       upper(md5('link' || f.i) || md5('link2' || f.i)),
       CASE WHEN f.i % 3 = 2 THEN 0 ELSE 1000000000000000000000000 * (f.i + 1) END,
       upper(repeat(md5('sig' || f.i), 4)),
       substr(md5('work' || f.i), 1, 16),
       f.confirmed_at, f.confirmation_type,
       CASE WHEN f.confirmation_type = 'active_quorum' THEN 50 + (f.i * 13) % 500 END,
       CASE WHEN f.i % 100 = 99 THEN 'rpc_backfill' ELSE 'websocket' END,
       'nano-test', f.confirmed_at, f.confirmed_at + interval '5 milliseconds'
FROM fixture_blocks AS f
LEFT JOIN fixture_blocks AS p ON p.i = f.i - 5;

INSERT INTO nano.unconfirmed_blocks (hash, account, previous, type, subtype, representative,
                                     balance, link, signature, work, first_seen_at, source,
                                     received_at)
SELECT b.hash, b.account, b.previous, b.type, b.subtype, b.representative, b.balance, b.link,
       b.signature, b.work, f.confirmed_at - f.latency_ms * interval '1 millisecond', 'nano-test',
       f.confirmed_at - f.latency_ms * interval '1 millisecond' + interval '2 milliseconds'
FROM fixture_blocks AS f
JOIN nano.blocks AS b ON b.hash = f.hash
WHERE f.i % 50 <> 49;

-- seen, never confirmed
INSERT INTO nano.unconfirmed_blocks (hash, account, previous, type, subtype, representative,
                                     balance, link, signature, work, first_seen_at, source,
                                     received_at)
SELECT repeat('CD', 32), (SELECT address FROM fixture_accounts WHERE n = 2), repeat('0', 64),
       'state', 'send', NULL, 5, repeat('EF', 32), repeat('12', 64), 'abcdef0123456789',
       t0 + interval '10 minutes', 'nano-test', t0 + interval '10 minutes'
FROM fixture_base;

INSERT INTO nano.elections (hash, event, time, source, received_at)
SELECT f.hash, e.event, f.confirmed_at - e.before, 'nano-test', f.confirmed_at - e.before
FROM fixture_blocks AS f
CROSS JOIN (VALUES ('started', interval '80 milliseconds'),
                   ('stopped', interval '0 milliseconds')) AS e (event, before)
WHERE f.i % 10 = 0;

INSERT INTO nano.election_votes (hash, representative, timestamp, weight, source, received_at)
SELECT f.hash, a.address, 18446744073709551615, 1000000000000000000000000000000000000 + a.n,
       'nano-test', f.confirmed_at
FROM fixture_blocks AS f
CROSS JOIN fixture_accounts AS a
WHERE f.i % 10 = 0 AND a.n < 3;

-- 300 votes, one every 2 s: representative k % 5, every 4th final; vote k covers block 2k.
INSERT INTO nano.votes (representative, signature, timestamp, is_final, duration_code, type,
                        source, node_time, received_at)
SELECT a.address, upper(repeat(md5('vote' || k), 4)),
       CASE WHEN k % 4 = 0 THEN 18446744073709551615
            ELSE (extract(epoch FROM b.t0) * 1000)::bigint + k * 2000 END,
       k % 4 = 0, 12, CASE WHEN k % 10 = 9 THEN 'replay' ELSE 'vote' END, 'nano-test',
       b.t0 + k * interval '2 seconds', b.t0 + k * interval '2 seconds'
FROM generate_series(0, 299) AS k
JOIN fixture_accounts AS a ON a.n = k % 5
CROSS JOIN fixture_base AS b;

INSERT INTO nano.vote_blocks (vote_id, hash)
SELECT v.id, f.hash
FROM generate_series(0, 299) AS k
JOIN fixture_accounts AS a ON a.n = k % 5
JOIN nano.votes AS v ON v.representative = a.address AND v.signature = upper(repeat(md5('vote' || k), 4))
JOIN fixture_blocks AS f ON f.i = 2 * k;

-- 12 peers x 3 reports (at 1, 5 and 9 minutes); the latest decides. Versions: peers 0-5 V27.1.0,
-- 6-9 V26.1.0, 10-11 V28.0.0RC1. Latest cemented count: 50000000 + 1000 * peer.
INSERT INTO nano.telemetry (node_id, timestamp, address, port, block_count, cemented_count,
                            unchecked_count, account_count, bandwidth_cap, peer_count,
                            protocol_version, uptime, genesis_block, major_version, minor_version,
                            patch_version, pre_release_version, maker, active_difficulty,
                            signature, source, node_time, received_at)
SELECT 'node_' || substr(a.address, 6, 55) || repeat(substr('13456789abcdefgh', p + 1, 1), 5),
       b.t0 + r.at, '::ffff:10.0.0.' || p, 7075,
       50000100 + 1000 * p - r.behind, 50000000 + 1000 * p - r.behind, 10 * p, 1000 + p,
       10485760, 100 + p, 19, 3600 * (p + 1), repeat('99', 32),
       CASE WHEN p < 6 THEN 27 WHEN p < 10 THEN 26 ELSE 28 END,
       CASE WHEN p < 10 THEN 1 ELSE 0 END, 0, CASE WHEN p >= 10 THEN 1 ELSE 0 END, 0,
       'fffffff800000000', NULL, 'nano-test', b.t0 + r.at, b.t0 + r.at
FROM generate_series(0, 11) AS p
JOIN fixture_accounts AS a ON a.n = p % 5
CROSS JOIN (VALUES (interval '1 minute', 800), (interval '5 minutes', 400),
                   (interval '9 minutes', 0)) AS r (at, behind)
CROSS JOIN fixture_base AS b;

INSERT INTO nano.accounts (account, confirmed_height, confirmed_frontier, history_start_height)
SELECT f.account, f.height, f.hash, 1
FROM fixture_blocks AS f
WHERE f.i >= 595;

-- solana -----------------------------------------------------------------------------------------

CREATE TEMPORARY TABLE fixture_slots ON COMMIT DROP AS
SELECT s AS slot,
       s % 20 = 7 AS skipped,
       b.t0 + (s - 1000) * interval '400 milliseconds' AS first_shred_at,
       (20 + (s % 7) * 3) AS bank_ms,
       (300 + (s % 11) * 10) AS frozen_ms,
       (150 + (s % 13) * 20) AS optimistic_ms,
       (12000 + (s % 17) * 100) AS root_ms,
       CASE WHEN s >= 2495 THEN 'processed' WHEN s >= 2460 THEN 'confirmed' ELSE 'finalized' END
           AS status
FROM generate_series(1000, 2499) AS s
CROSS JOIN fixture_base AS b;

INSERT INTO solana.slots (slot, parent, status, first_shred_at, created_bank_at, completed_at,
                          frozen_at, optimistic_at, rooted_at, num_transaction_entries,
                          num_successful_transactions, num_failed_transactions,
                          max_transactions_per_entry, source)
SELECT f.slot,
       NULL,
       'skipped', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'solana-test'
FROM fixture_slots AS f
WHERE f.skipped
UNION ALL
SELECT f.slot,
       CASE WHEN (f.slot - 1) % 20 = 7 THEN f.slot - 2 ELSE f.slot - 1 END,
       f.status,
       f.first_shred_at,
       f.first_shred_at + f.bank_ms * interval '1 millisecond',
       f.first_shred_at + (f.bank_ms + f.frozen_ms - 5) * interval '1 millisecond',
       f.first_shred_at + (f.bank_ms + f.frozen_ms) * interval '1 millisecond',
       CASE WHEN f.status <> 'processed' THEN f.first_shred_at
           + (f.bank_ms + f.frozen_ms + f.optimistic_ms) * interval '1 millisecond' END,
       CASE WHEN f.status = 'finalized' THEN f.first_shred_at
           + (f.bank_ms + f.frozen_ms + f.optimistic_ms + f.root_ms) * interval '1 millisecond' END,
       60, 90 + f.slot % 50, 10, 8, 'solana-test'
FROM fixture_slots AS f
WHERE NOT f.skipped;

-- Blocks of every produced slot; transaction_count 100 + slot % 50 (equal to the frozen stats),
-- except slots with slot % 100 = 3, whose transaction_count is missing (frozen stats used).
INSERT INTO solana.blocks (slot, blockhash, previous_blockhash, parent_slot, block_time,
                           block_height, transaction_count, rewards, commitment, origin, source,
                           received_at)
SELECT s.slot,
       translate(md5('bh' || s.slot) || substr(md5('bx' || s.slot), 1, 12), '0', 'z'),
       translate(md5('bh' || s.parent) || substr(md5('bx' || s.parent), 1, 12), '0', 'z'),
       s.parent,
       date_trunc('second', s.first_shred_at),
       s.slot - 900,
       CASE WHEN s.slot % 100 = 3 THEN NULL ELSE 100 + s.slot % 50 END,
       NULL,
       CASE WHEN s.status = 'finalized' THEN 'finalized' ELSE 'confirmed' END,
       'websocket', 'solana-test', s.first_shred_at + interval '1 second'
FROM solana.slots AS s
WHERE s.status <> 'skipped';

-- A backfilled block of slot 900 without any slot notification (no first-shred time): its
-- block_time, t0 + 5 min, places it in the window; 1000 transactions.
INSERT INTO solana.blocks (slot, blockhash, previous_blockhash, parent_slot, block_time,
                           block_height, transaction_count, rewards, commitment, origin, source,
                           received_at)
SELECT 900, translate(md5('bh900') || substr(md5('bx900'), 1, 12), '0', 'z'),
       translate(md5('bh899') || substr(md5('bx899'), 1, 12), '0', 'z'), 899,
       t0 + interval '5 minutes', 0, 1000, NULL, 'finalized', 'rpc_backfill', 'solana-test',
       t0 + interval '9 minutes'
FROM fixture_base;

-- Five transactions of slot 1500, one failed.
INSERT INTO solana.transactions (slot, signature, index, err, fee, compute_units_consumed,
                                 version, is_vote, origin, source, received_at)
SELECT 1500,
       translate(md5('tx' || n) || md5('ty' || n) || substr(md5('tz' || n), 1, 24), '0', 'z'),
       n,
       CASE WHEN n = 3 THEN '{"InstructionError": [0, {"Custom": 1}]}'::jsonb END,
       5000 * (n + 1), 1000 * n, CASE WHEN n = 0 THEN 'legacy' ELSE '0' END, n = 4,
       'websocket', 'solana-test', b.t0 + interval '3 minutes'
FROM generate_series(0, 4) AS n
CROSS JOIN fixture_base AS b;

-- 200 gossip votes, one every 3 s, from 4 vote accounts; vote k covers slots 1000+3k..1001+3k.
INSERT INTO solana.votes (vote_pubkey, signature, hash, slots, timestamp, source, received_at)
SELECT translate(md5('validator' || (k % 4)) || substr(md5('v' || (k % 4)), 1, 12), '0', 'z'),
       translate(md5('vs' || k) || md5('vt' || k) || substr(md5('vu' || k), 1, 24), '0', 'z'),
       translate(md5('vh' || k) || substr(md5('vi' || k), 1, 12), '0', 'z'),
       ARRAY[1000 + 3 * k, 1001 + 3 * k]::bigint[],
       NULL, 'solana-test', b.t0 + k * interval '3 seconds'
FROM generate_series(0, 199) AS k
CROSS JOIN fixture_base AS b;

ANALYZE;
