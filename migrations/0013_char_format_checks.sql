-- 0013_char_format_checks: the format CHECKs of char(n) columns read the column as it is, and
-- every format check measures bytes instead of counting characters (issue #9).
--
-- The CHECKs were half of what inserting a nano.blocks row costs. Measured on the 2-core
-- development machine, INSERT ... SELECT of 100,000 firehose rows into a copy of nano.blocks:
-- 1.6 s with every constraint and index, 0.8 s without the CHECKs, 0.16 s with neither. Most
-- of it was not the regex: a char(n) column reached nano.is_hash(text) and ledgertap.is_hex(text,
-- ...) through a `::text` cast, which copies the value to strip the padding, and the function,
-- once inlined into the constraint, evaluates its argument twice (once for length(), once for the
-- regex). length() itself counts UTF-8 characters. Three hash checks on one row: 2.5 us with
-- is_hash(hash::text), 0.7 us with the overload below; four address checks: 2.7 -> 1.8 us.
--
-- The new bodies accept exactly what the old ones accepted
-- (tests/integration/schema_contract_test.cpp compares them value by value):
--   * octet_length instead of length: every accepted character is ASCII, so wherever the
--     character class matches, bytes and characters are the same count, and wherever it does
--     not, the result is false either way.
--   * an address is one anchored pattern without a counted repetition ('{59}' made the regex
--     engine slow, see 0008); the length test fixes the count.
--   * the bpchar overloads see the padded value: char(64) stores 'AB' as 'AB' and 62 spaces,
--     which the character class refuses, as the text version refused 'AB' after the cast had
--     stripped the spaces.
--
-- The constraints that cast a char(n) column to text are re-created to call the overloads: added
-- NOT VALID (no scan under the ACCESS EXCLUSIVE lock), then validated (a scan under a lock that
-- lets reads and writes go on). Rows already stored passed the equivalent check.

CREATE OR REPLACE FUNCTION ledgertap.is_hex(value text, digits integer, upper_case boolean)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN octet_length(value) = digits
        AND CASE WHEN upper_case THEN value !~ '[^0-9A-F]' ELSE value !~ '[^0-9a-f]' END;

CREATE FUNCTION ledgertap.is_hex(value bpchar, digits integer, upper_case boolean)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN octet_length(value) = digits
        AND CASE WHEN upper_case THEN value !~ '[^0-9A-F]' ELSE value !~ '[^0-9a-f]' END;
COMMENT ON FUNCTION ledgertap.is_hex(bpchar, integer, boolean) IS
    'Exactly `digits` hex digits, upper case (A-F) or lower case (a-f) only; for char(n) columns '
    '(padding spaces are not hex digits).';

CREATE OR REPLACE FUNCTION nano.is_hash(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN octet_length(value) = 64 AND value !~ '[^0-9A-F]';

CREATE FUNCTION nano.is_hash(value bpchar) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN octet_length(value) = 64 AND value !~ '[^0-9A-F]';
COMMENT ON FUNCTION nano.is_hash(bpchar) IS
    '64 uppercase hex digits (block hash, link, root); for char(64) columns.';

-- nano_ or node_ + '1' or '3' + 59 characters of the Nano base32 alphabet (no 0, 2, l, v).
CREATE OR REPLACE FUNCTION nano.is_address(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN octet_length(value) = 65 AND value ~ '^nano_[13][13456789a-km-uw-z]*$';

CREATE OR REPLACE FUNCTION nano.is_node_id(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN octet_length(value) = 65 AND value ~ '^node_[13][13456789a-km-uw-z]*$';

CREATE OR REPLACE FUNCTION solana.is_pubkey(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN octet_length(value) BETWEEN 32 AND 44 AND value !~ '[^1-9A-HJ-NP-Za-km-z]';

CREATE OR REPLACE FUNCTION solana.is_signature(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN octet_length(value) BETWEEN 64 AND 88 AND value !~ '[^1-9A-HJ-NP-Za-km-z]';

-- char(n) columns: the same constraint names, now calling the bpchar overloads.
ALTER TABLE nano.blocks
    DROP CONSTRAINT blocks_hash_check,
    DROP CONSTRAINT blocks_previous_check,
    DROP CONSTRAINT blocks_link_check,
    DROP CONSTRAINT blocks_signature_check,
    DROP CONSTRAINT blocks_work_check,
    ADD CONSTRAINT blocks_hash_check CHECK (nano.is_hash(hash)) NOT VALID,
    ADD CONSTRAINT blocks_previous_check CHECK (nano.is_hash(previous)) NOT VALID,
    ADD CONSTRAINT blocks_link_check CHECK (nano.is_hash(link)) NOT VALID,
    ADD CONSTRAINT blocks_signature_check CHECK (ledgertap.is_hex(signature, 128, true)) NOT VALID,
    ADD CONSTRAINT blocks_work_check CHECK (ledgertap.is_hex(work, 16, false)) NOT VALID;
ALTER TABLE nano.blocks VALIDATE CONSTRAINT blocks_hash_check;
ALTER TABLE nano.blocks VALIDATE CONSTRAINT blocks_previous_check;
ALTER TABLE nano.blocks VALIDATE CONSTRAINT blocks_link_check;
ALTER TABLE nano.blocks VALIDATE CONSTRAINT blocks_signature_check;
ALTER TABLE nano.blocks VALIDATE CONSTRAINT blocks_work_check;

ALTER TABLE nano.unconfirmed_blocks
    DROP CONSTRAINT unconfirmed_blocks_hash_check,
    DROP CONSTRAINT unconfirmed_blocks_previous_check,
    DROP CONSTRAINT unconfirmed_blocks_link_check,
    DROP CONSTRAINT unconfirmed_blocks_signature_check,
    DROP CONSTRAINT unconfirmed_blocks_work_check,
    ADD CONSTRAINT unconfirmed_blocks_hash_check CHECK (nano.is_hash(hash)) NOT VALID,
    ADD CONSTRAINT unconfirmed_blocks_previous_check CHECK (nano.is_hash(previous)) NOT VALID,
    ADD CONSTRAINT unconfirmed_blocks_link_check CHECK (nano.is_hash(link)) NOT VALID,
    ADD CONSTRAINT unconfirmed_blocks_signature_check
        CHECK (ledgertap.is_hex(signature, 128, true)) NOT VALID,
    ADD CONSTRAINT unconfirmed_blocks_work_check CHECK (ledgertap.is_hex(work, 16, false)) NOT VALID;
ALTER TABLE nano.unconfirmed_blocks VALIDATE CONSTRAINT unconfirmed_blocks_hash_check;
ALTER TABLE nano.unconfirmed_blocks VALIDATE CONSTRAINT unconfirmed_blocks_previous_check;
ALTER TABLE nano.unconfirmed_blocks VALIDATE CONSTRAINT unconfirmed_blocks_link_check;
ALTER TABLE nano.unconfirmed_blocks VALIDATE CONSTRAINT unconfirmed_blocks_signature_check;
ALTER TABLE nano.unconfirmed_blocks VALIDATE CONSTRAINT unconfirmed_blocks_work_check;

ALTER TABLE nano.election_votes
    DROP CONSTRAINT election_votes_hash_check,
    ADD CONSTRAINT election_votes_hash_check CHECK (nano.is_hash(hash)) NOT VALID;
ALTER TABLE nano.election_votes VALIDATE CONSTRAINT election_votes_hash_check;

ALTER TABLE nano.elections
    DROP CONSTRAINT elections_hash_check,
    ADD CONSTRAINT elections_hash_check CHECK (nano.is_hash(hash)) NOT VALID;
ALTER TABLE nano.elections VALIDATE CONSTRAINT elections_hash_check;

ALTER TABLE nano.votes
    DROP CONSTRAINT votes_signature_check,
    ADD CONSTRAINT votes_signature_check CHECK (ledgertap.is_hex(signature, 128, true)) NOT VALID;
ALTER TABLE nano.votes VALIDATE CONSTRAINT votes_signature_check;

ALTER TABLE nano.vote_blocks
    DROP CONSTRAINT vote_blocks_hash_check,
    ADD CONSTRAINT vote_blocks_hash_check CHECK (nano.is_hash(hash)) NOT VALID;
ALTER TABLE nano.vote_blocks VALIDATE CONSTRAINT vote_blocks_hash_check;

ALTER TABLE nano.accounts
    DROP CONSTRAINT accounts_confirmed_frontier_check,
    ADD CONSTRAINT accounts_confirmed_frontier_check
        CHECK (nano.is_hash(confirmed_frontier)) NOT VALID;
ALTER TABLE nano.accounts VALIDATE CONSTRAINT accounts_confirmed_frontier_check;

ALTER TABLE nano.telemetry
    DROP CONSTRAINT telemetry_genesis_block_check,
    DROP CONSTRAINT telemetry_signature_check,
    DROP CONSTRAINT telemetry_active_difficulty_check,
    ADD CONSTRAINT telemetry_genesis_block_check CHECK (nano.is_hash(genesis_block)) NOT VALID,
    ADD CONSTRAINT telemetry_signature_check CHECK (ledgertap.is_hex(signature, 128, true)) NOT VALID,
    ADD CONSTRAINT telemetry_active_difficulty_check
        CHECK (ledgertap.is_hex(active_difficulty, 16, false)) NOT VALID;
ALTER TABLE nano.telemetry VALIDATE CONSTRAINT telemetry_genesis_block_check;
ALTER TABLE nano.telemetry VALIDATE CONSTRAINT telemetry_signature_check;
ALTER TABLE nano.telemetry VALIDATE CONSTRAINT telemetry_active_difficulty_check;

ALTER TABLE nano.work
    DROP CONSTRAINT work_hash_check,
    DROP CONSTRAINT work_difficulty_check,
    DROP CONSTRAINT work_result_difficulty_check,
    DROP CONSTRAINT work_result_work_check,
    ADD CONSTRAINT work_hash_check CHECK (nano.is_hash(hash)) NOT VALID,
    ADD CONSTRAINT work_difficulty_check CHECK (ledgertap.is_hex(difficulty, 16, false)) NOT VALID,
    ADD CONSTRAINT work_result_difficulty_check
        CHECK (ledgertap.is_hex(result_difficulty, 16, false)) NOT VALID,
    ADD CONSTRAINT work_result_work_check CHECK (ledgertap.is_hex(result_work, 16, false)) NOT VALID;
ALTER TABLE nano.work VALIDATE CONSTRAINT work_hash_check;
ALTER TABLE nano.work VALIDATE CONSTRAINT work_difficulty_check;
ALTER TABLE nano.work VALIDATE CONSTRAINT work_result_difficulty_check;
ALTER TABLE nano.work VALIDATE CONSTRAINT work_result_work_check;

ALTER TABLE nano.active_difficulty
    DROP CONSTRAINT active_difficulty_network_current_check,
    DROP CONSTRAINT active_difficulty_network_minimum_check,
    DROP CONSTRAINT active_difficulty_network_receive_current_check,
    DROP CONSTRAINT active_difficulty_network_receive_minimum_check,
    ADD CONSTRAINT active_difficulty_network_current_check
        CHECK (ledgertap.is_hex(network_current, 16, false)) NOT VALID,
    ADD CONSTRAINT active_difficulty_network_minimum_check
        CHECK (ledgertap.is_hex(network_minimum, 16, false)) NOT VALID,
    ADD CONSTRAINT active_difficulty_network_receive_current_check
        CHECK (ledgertap.is_hex(network_receive_current, 16, false)) NOT VALID,
    ADD CONSTRAINT active_difficulty_network_receive_minimum_check
        CHECK (ledgertap.is_hex(network_receive_minimum, 16, false)) NOT VALID;
ALTER TABLE nano.active_difficulty VALIDATE CONSTRAINT active_difficulty_network_current_check;
ALTER TABLE nano.active_difficulty VALIDATE CONSTRAINT active_difficulty_network_minimum_check;
ALTER TABLE nano.active_difficulty
    VALIDATE CONSTRAINT active_difficulty_network_receive_current_check;
ALTER TABLE nano.active_difficulty
    VALIDATE CONSTRAINT active_difficulty_network_receive_minimum_check;
