-- Included by bench/explain-fill-*.sql (scripts/explain): format-valid synthetic values.
-- Helpers (temporary: they vanish with the session).
-- 64 upper hex digits, unique per (i, salt).
CREATE FUNCTION pg_temp.h64(i bigint, salt text) RETURNS text LANGUAGE sql IMMUTABLE
    RETURN upper(md5(salt || i::text) || md5(i::text || salt));
-- A nano_ address: 'nano_1' + 59 characters of the Nano base32 alphabet.
CREATE FUNCTION pg_temp.addr(i bigint) RETURNS text LANGUAGE sql IMMUTABLE
    RETURN 'nano_1' || substr(translate(md5('a' || i::text) || md5(i::text || 'a'),
                                        '0123456789abcdef', '13456789abcdefgh'), 1, 59);

-- base58-only text: hex digits mapped into the base58 alphabet (no 0, O, I, l).
CREATE FUNCTION pg_temp.b58(i bigint, salt text) RETURNS text LANGUAGE sql IMMUTABLE
    RETURN translate(md5(salt || i::text), '0123456789abcdef', '123456789ABCDEFG');
