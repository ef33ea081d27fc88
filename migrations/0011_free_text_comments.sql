-- 0011_free_text_comments: say what ingest stores for NUL in free text (issue #10).
--
-- 0003 said the writer "escapes" NUL in log lines; in fact, until this release, a message with a
-- NUL in any stored string was refused whole, so one program logging "\0" cost ledgertap the whole
-- confirmed block. ingest now stores free text that programs or nodes fill (log lines, memos,
-- error values, slot errors, parsed account data) with each NUL byte (or invalid UTF-8 byte,
-- which a conforming node never sends) replaced by U+FFFD, and counts each such field in
-- ledgertap_text_replaced_total{source}. Identity fields (hashes, signatures, keys, addresses)
-- are never rewritten: a message with NUL there is refused as a dead letter. Comments only.

COMMENT ON COLUMN solana.transactions.log_messages IS
    'meta.logMessages, byte for byte, except that text cannot hold NUL: each NUL is stored as U+FFFD '
    '(counted in ledgertap_text_replaced_total).';
COMMENT ON COLUMN solana.transactions.err IS
    'meta.err as the node sent it (TransactionError JSON); jsonb cannot hold \u0000, stored as \ufffd.';
COMMENT ON COLUMN solana.logs.logs IS
    'Log lines, byte for byte, except that text cannot hold NUL: each NUL is stored as U+FFFD '
    '(counted in ledgertap_text_replaced_total).';
COMMENT ON COLUMN solana.logs.err IS
    'value.err as the node sent it (TransactionError JSON); jsonb cannot hold \u0000, stored as \ufffd.';
COMMENT ON COLUMN solana.signatures.err IS
    'value.err as the node sent it; jsonb cannot hold \u0000, stored as \ufffd.';
COMMENT ON COLUMN solana.slots.dead_error IS
    'slotsUpdates dead err text; each NUL stored as U+FFFD.';
COMMENT ON COLUMN solana.account_updates.data_json IS
    'jsonParsed account data; jsonb cannot hold \u0000, stored as \ufffd.';
COMMENT ON COLUMN solana.accounts.data_json IS
    'jsonParsed account data; jsonb cannot hold \u0000, stored as \ufffd.';
