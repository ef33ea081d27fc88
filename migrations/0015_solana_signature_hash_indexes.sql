-- 0015_solana_signature_hash_indexes: the signature lookup indexes of solana.transactions and
-- solana.logs become hash indexes (issue #9).
--
-- These two indexes answer one question, "where is the transaction with this signature", always
-- by equality (a signature is a random 64-byte value in base58, so nobody asks for a range or a
-- prefix of them). As B-trees they stored every 88-character signature a second time and took
-- each new one at a random leaf page, which made them the most expensive part of writing either
-- table. A hash index keeps a 4-byte hash code per row and answers the same equality lookups.
-- Measured on the 2-core development machine, 20 batches of 5,000 firehose rows merged into
-- tables of 200,000 (medians of 3): solana.logs 8.2 -> 6.2 ms per 1,000 rows, solana.transactions
-- 9.5 -> 7.2; each index shrank from 31 MB to 6.5 MB.
--
-- Hash indexes are crash-safe and replicated since PostgreSQL 10. They cannot enforce uniqueness
-- (the primary keys (slot, signature) still do), serve ORDER BY signature, or answer
-- `signature LIKE 'abc%'`; an operator who needs those creates a B-tree next to it
-- (docs/operations.md). The index names stay.

DROP INDEX IF EXISTS solana.transactions_signature_idx;
CREATE INDEX transactions_signature_idx ON solana.transactions USING hash (signature);

DROP INDEX IF EXISTS solana.logs_signature_idx;
CREATE INDEX logs_signature_idx ON solana.logs USING hash (signature);
