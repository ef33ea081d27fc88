// The schema after all migrations, checked against the public contract of DESIGN.md (relation and
// column names users build on) and the schema brief (natural keys, exact types, CHECKs). The lists
// below are written out by hand on purpose: a migration that renames or drops a contract column
// must fail here.

#include "tests/support/pg.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <pqxx/pqxx>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ledgertap::test {
namespace {

struct relation_spec {
    std::string name; ///< schema.relation
    std::vector<std::string> columns;
};

// The lists are data, laid out by hand.
// clang-format off
// Tables: DESIGN.md "Public contract" columns, then what the migrations brief adds for ingest.
const std::vector<relation_spec>& contract_tables() {
    static const std::vector<relation_spec> tables{
        {"nano.blocks",
         {"hash", "account", "previous", "height", "type", "subtype", "representative", "balance",
          "link", "amount", "signature", "work", "confirmed_at", "confirmation_type",
          "election_duration_ms", "origin",
          // brief
          "received_at", "node_time", "election_time", "election_tally", "election_final_tally",
          "election_blocks", "election_voters", "election_request_count", "local_timestamp",
          "linked_account", "link_as_account", "source", "inserted_at", "updated_at"}},
        {"nano.election_votes", {"hash", "representative", "timestamp", "weight"}},
        {"nano.votes",
         {"representative", "timestamp", "is_final", "type", "received_at",
          // brief
          "signature", "duration_code", "node_time", "id"}},
        {"nano.vote_blocks", {"vote_id", "hash"}},
        {"nano.elections", {"hash", "event", "time", "received_at"}},
        {"nano.unconfirmed_blocks",
         {"hash", "account", "first_seen_at",
          // brief
          "previous", "type", "subtype", "representative", "balance", "link", "signature", "work",
          "received_at"}},
        {"nano.telemetry",
         {"node_id", "address", "port", "block_count", "cemented_count", "peer_count",
          "major_version", "received_at",
          // every telemetry field (nano.md 1.8)
          "timestamp", "unchecked_count", "account_count", "bandwidth_cap", "protocol_version",
          "uptime", "genesis_block", "minor_version", "patch_version", "pre_release_version",
          "maker", "active_difficulty", "signature"}},
        {"nano.work", {"hash", "time", "success", "reason", "duration_ms", "received_at"}},
        {"nano.bootstrap", {"id", "reason", "mode", "total_blocks", "duration_s", "time"}},
        {"nano.active_difficulty", {"time", "multiplier", "network_current", "network_minimum"}},
        {"nano.accounts",
         {"account", "confirmed_height", "confirmed_frontier", "history_start_height",
          "updated_at"}},
        {"solana.slots",
         {"slot", "parent", "status", "first_shred_at", "created_bank_at", "completed_at",
          "frozen_at", "optimistic_at", "rooted_at", "dead_error",
          // brief
          "status_rank", "num_transaction_entries", "num_successful_transactions",
          "num_failed_transactions", "max_transactions_per_entry", "updated_at"}},
        {"solana.blocks",
         {"slot", "blockhash", "previous_blockhash", "parent_slot", "block_time", "block_height",
          "transaction_count", "origin",
          // brief
          "commitment", "received_at"}},
        {"solana.transactions",
         {"slot", "signature", "index", "err", "fee",
          // brief
          "compute_units_consumed", "version", "is_vote", "pre_balances", "post_balances",
          "log_messages", "received_at"}},
        {"solana.logs", {"slot", "signature", "err", "logs"}},
        {"solana.account_updates",
         {"pubkey", "slot", "lamports", "owner", "executable", "rent_epoch", "data",
          // brief
          "space", "data_encoding", "received_at"}},
        {"solana.accounts",
         {"pubkey", "slot", "lamports", "owner", "executable", "rent_epoch", "data"}},
        {"solana.signatures", {"signature", "slot", "err"}},
        {"solana.votes",
         {"vote_pubkey", "signature", "hash", "slots", "timestamp", "received_at"}},
        {"ledgertap.sources", {"name", "chain", "ws_url", "rpc_url", "last_message_at"}},
        {"ledgertap.connections",
         {"id", "source", "url", "opened_at", "closed_at", "close_code", "close_reason",
          "messages_received"}},
        {"ledgertap.gaps",
         {"id", "chain", "source", "kind", "account", "first_slot", "last_slot", "detected_at",
          "status", "attempts", "recovered", "filled_at", "last_error",
          // brief
          "anchor_hash", "updated_at"}},
        {"ledgertap.watermarks", {"source", "key", "value", "updated_at"}},
        {"ledgertap.rejected_messages",
         {"id", "source", "chain", "received_at", "reason", "detail", "size_bytes", "payload",
          "truncated"}},
        {"ledgertap.schema_migrations", {"version", "name", "checksum", "applied_at"}},
    };
    return tables;
}

const std::vector<relation_spec>& contract_views() {
    static const std::vector<relation_spec> views{
        {"nano.confirmation_latency",
         {"hash", "confirmation_type", "first_seen_at", "confirmed_at", "latency_ms",
          "election_duration_ms"}},
        {"nano.confirmation_latency_per_minute",
         {"minute", "confirmation_type", "count", "p50_ms", "p90_ms", "p99_ms"}},
        {"solana.slot_latency",
         {"slot", "first_shred_at", "created_bank_at", "frozen_at", "optimistic_at", "rooted_at",
          "shred_to_bank_ms", "bank_to_frozen_ms", "frozen_to_optimistic_ms",
          "optimistic_to_root_ms", "shred_to_optimistic_ms", "shred_to_root_ms"}},
        {"solana.slot_latency_per_minute",
         {"minute", "count", "optimistic_p50_ms", "optimistic_p90_ms", "optimistic_p99_ms",
          "root_p50_ms", "root_p90_ms", "root_p99_ms"}},
        {"ledgertap.coverage",
         {"chain", "source", "rows_stored", "watermarks", "open_gaps", "filled_gaps"}},
    };
    return views;
}

/// Natural primary keys, in key order: idempotent upserts depend on them.
const std::map<std::string, std::string>& primary_keys() {
    static const std::map<std::string, std::string> keys{
        {"nano.blocks", "hash"},
        {"nano.election_votes", "hash,representative"},
        {"nano.votes", "representative,signature"},
        {"nano.vote_blocks", "hash,vote_id"},
        {"nano.elections", "hash,event,time"},
        {"nano.unconfirmed_blocks", "hash"},
        {"nano.telemetry", "node_id,timestamp"},
        {"nano.work", "hash,time"},
        {"nano.bootstrap", "id,reason"},
        {"nano.active_difficulty", "time"},
        {"nano.accounts", "account"},
        {"solana.slots", "slot"},
        {"solana.blocks", "slot"},
        {"solana.transactions", "slot,signature"},
        {"solana.logs", "slot,signature"},
        {"solana.account_updates", "pubkey,slot"},
        {"solana.accounts", "pubkey"},
        {"solana.signatures", "signature,slot"},
        {"solana.votes", "vote_pubkey,signature"},
        {"ledgertap.sources", "name"},
        {"ledgertap.connections", "id"},
        {"ledgertap.gaps", "id"},
        {"ledgertap.watermarks", "source,key"},
        {"ledgertap.rejected_messages", "id"},
        {"ledgertap.schema_migrations", "version"},
    };
    return keys;
}

/// Exact types (format_type) of the columns whose type is part of the contract.
const std::vector<std::pair<std::string, std::string>>& exact_types() {
    static const std::vector<std::pair<std::string, std::string>> types{
        {"nano.blocks.hash", "character(64)"},
        {"nano.blocks.previous", "character(64)"},
        {"nano.blocks.signature", "character(128)"},
        {"nano.blocks.work", "character(16)"},
        {"nano.blocks.balance", "numeric(39,0)"},
        {"nano.blocks.amount", "numeric(39,0)"},
        {"nano.blocks.election_tally", "numeric(39,0)"},
        {"nano.blocks.height", "bigint"},
        {"nano.blocks.confirmed_at", "timestamp with time zone"},
        {"nano.election_votes.timestamp", "numeric(20,0)"},
        {"nano.election_votes.weight", "numeric(39,0)"},
        {"nano.votes.timestamp", "numeric(20,0)"},
        {"nano.votes.signature", "character(128)"},
        {"nano.telemetry.block_count", "numeric(20,0)"},
        {"nano.telemetry.cemented_count", "numeric(20,0)"},
        {"nano.unconfirmed_blocks.balance", "numeric(39,0)"},
        {"solana.slots.slot", "bigint"},
        {"solana.slots.status_rank", "smallint"},
        {"solana.account_updates.lamports", "numeric(20,0)"},
        {"solana.account_updates.rent_epoch", "numeric(20,0)"},
        {"solana.account_updates.data", "bytea"},
        {"solana.accounts.rent_epoch", "numeric(20,0)"},
        {"solana.transactions.fee", "numeric(20,0)"},
        {"solana.transactions.err", "jsonb"},
        {"solana.transactions.pre_balances", "numeric(20,0)[]"},
        {"solana.transactions.post_balances", "numeric(20,0)[]"},
        {"solana.transactions.log_messages", "text[]"},
        {"solana.logs.logs", "text[]"},
        {"solana.votes.slots", "bigint[]"},
        {"ledgertap.watermarks.value", "numeric(20,0)"},
    };
    return types;
}

// clang-format on

constexpr const char* schemas_sql = "('nano', 'solana', 'ledgertap')";

[[nodiscard]] std::set<std::string> columns_of(
    const std::string& conninfo, const std::string& rel) {
    const auto dot = rel.find('.');
    pqxx::connection conn{conninfo};
    pqxx::work tx{conn};
    const pqxx::result r = tx.exec_params(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND "
        "table_name = $2",
        rel.substr(0, dot),
        rel.substr(dot + 1));
    std::set<std::string> out;
    for (const auto& row : r) {
        out.insert(row[0].as<std::string>());
    }
    return out;
}

[[nodiscard]] std::optional<std::string> relation_kind(
    const std::string& conninfo, const std::string& rel) {
    return query_scalar(
        conninfo,
        fmt::format(
            "SELECT CASE relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' "
            "ELSE relkind::text END FROM pg_class WHERE oid = to_regclass('{}')",
            rel));
}

/// A migrated scratch database, shared by the read-only checks of this file.
[[nodiscard]] const scratch_database& migrated() {
    static const scratch_database db{"contract"};
    static const std::size_t applied = db.migrate();
    REQUIRE(applied > 0);
    return db;
}

// --- row builders for the write tests ------------------------------------------------------------

using row_values = std::map<std::string, std::string>; // column -> SQL literal

[[nodiscard]] std::string insert_sql(const std::string& table, const row_values& values) {
    std::string cols;
    std::string vals;
    for (const auto& [c, v] : values) {
        cols += (cols.empty() ? "" : ", ") + c;
        vals += (vals.empty() ? "" : ", ") + v;
    }
    return fmt::format("INSERT INTO {} ({}) VALUES ({})", table, cols, vals);
}

[[nodiscard]] row_values with(row_values base, const row_values& changes) {
    for (const auto& [c, v] : changes) {
        base[c] = v;
    }
    return base;
}

const std::string account = "'nano_1tgkjkq9r96zd3pkr7edj8e4qbu3wr3ps6ettzse8hmoa37nurua7faupjhc'";
const std::string pubkey = "'Vote111111111111111111111111111111111111111'";
const std::string signature58
    = "'5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW'";

[[nodiscard]] row_values nano_block(const std::string& hash_char) {
    return {
        {"hash", "repeat('" + hash_char + "', 64)"},
        {"account", account},
        {"previous", "repeat('0', 64)"},
        {"type", "'state'"},
        {"subtype", "'send'"},
        {"balance", "0"},
        {"signature", "repeat('B', 128)"},
        {"work", "'c950fc037d61e372'"},
        {"origin", "'websocket'"},
        {"source", "'nano'"},
        {"received_at", "now()"},
    };
}

[[nodiscard]] row_values nano_vote(const std::string& sig_char) {
    return {
        {"representative", account},
        {"signature", "repeat('" + sig_char + "', 128)"},
        {"timestamp", "1554995525136"},
        {"is_final", "false"},
        {"type", "'vote'"},
        {"source", "'nano'"},
        {"received_at", "now()"},
    };
}

[[nodiscard]] row_values account_update(long slot) {
    return {
        {"pubkey", pubkey},
        {"slot", std::to_string(slot)},
        {"lamports", "1"},
        {"owner", "'11111111111111111111111111111111'"},
        {"executable", "false"},
        {"rent_epoch", "0"},
        {"data_encoding", "'base64'"},
        {"source", "'solana'"},
        {"received_at", "now()"},
    };
}

/// The SQLSTATE `sql` fails with, or "" when it succeeds.
[[nodiscard]] std::string sqlstate_of(const std::string& conninfo, const std::string& sql) {
    try {
        exec_sql(conninfo, sql);
    } catch (const pqxx::sql_error& e) {
        return e.sqlstate();
    }
    return "";
}

constexpr const char* check_violation = "23514";

// --- tests ---------------------------------------------------------------------------------------

TEST_CASE(
    "every contract table and column exists after the migrations",
    "[integration][schema][contract]") {
    const auto& db = migrated();
    for (const auto& t : contract_tables()) {
        CAPTURE(t.name);
        CHECK(relation_kind(db.conninfo(), t.name) == std::optional<std::string>{"table"});
        const auto present = columns_of(db.conninfo(), t.name);
        for (const auto& c : t.columns) {
            CAPTURE(c);
            CHECK(present.count(c) == 1);
        }
    }
}

TEST_CASE(
    "every analytics view and its columns exist after the migrations",
    "[integration][schema][contract]") {
    const auto& db = migrated();
    for (const auto& v : contract_views()) {
        CAPTURE(v.name);
        CHECK(relation_kind(db.conninfo(), v.name) == std::optional<std::string>{"view"});
        const auto present = columns_of(db.conninfo(), v.name);
        for (const auto& c : v.columns) {
            CAPTURE(c);
            CHECK(present.count(c) == 1);
        }
        // A view that cannot run (a broken reference, a type error) fails here.
        CHECK(query_scalar(db.conninfo(), "SELECT count(*) FROM " + v.name).has_value());
    }
}

TEST_CASE("tables are keyed on their natural keys", "[integration][schema][contract]") {
    const auto& db = migrated();
    for (const auto& [table, key] : primary_keys()) {
        CAPTURE(table);
        CHECK(
            query_scalar(
                db.conninfo(),
                fmt::format(
                    "SELECT string_agg(a.attname, ',' ORDER BY k.ord) "
                    "FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) "
                    "WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON "
                    "a.attrelid = i.indrelid AND a.attnum = k.attnum "
                    "WHERE i.indrelid = '{}'::regclass AND i.indisprimary",
                    table))
            == std::optional<std::string>{key});
    }
    // No table of ours is left without a key.
    CHECK(
        query_scalar(
            db.conninfo(),
            fmt::format(
                "SELECT string_agg(c.oid::regclass::text, ', ') FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname IN {} AND NOT EXISTS "
                "(SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND "
                "i.indisprimary)",
                schemas_sql))
        == std::nullopt);
}

TEST_CASE(
    "exact types: numeric for u64/u128, timestamptz for times, nothing through double",
    "[integration][schema][contract]") {
    const auto& db = migrated();
    for (const auto& [column, type] : exact_types()) {
        CAPTURE(column);
        const auto last_dot = column.rfind('.');
        CHECK(
            query_scalar(
                db.conninfo(),
                fmt::format(
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = '{}'::regclass AND attname = '{}'",
                    column.substr(0, last_dot),
                    column.substr(last_dot + 1)))
            == std::optional<std::string>{type});
    }
    const std::string offending_columns = fmt::format(
        "SELECT string_agg(c.table_schema || '.' || c.table_name || '.' || c.column_name, ', ') "
        "FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, "
        "table_name) WHERE t.table_type = 'BASE TABLE' AND c.table_schema IN {} AND c.data_type "
        "IN ",
        schemas_sql);
    CHECK(
        query_scalar(db.conninfo(), offending_columns + "('timestamp without time zone')")
        == std::nullopt);
    CHECK(
        query_scalar(db.conninfo(), offending_columns + "('double precision', 'real')")
        == std::nullopt);
}

TEST_CASE("every table and view is documented with COMMENT ON", "[integration][schema][contract]") {
    const auto& db = migrated();
    CHECK(
        query_scalar(
            db.conninfo(),
            fmt::format(
                "SELECT string_agg(c.oid::regclass::text, ', ') FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind "
                "IN ('r', 'v') AND n.nspname IN {} AND "
                "obj_description(c.oid, 'pg_class') IS NULL",
                schemas_sql))
        == std::nullopt);
    // Tables state their key, merge rule and Citus distribution.
    CHECK(
        query_scalar(
            db.conninfo(),
            fmt::format(
                "SELECT string_agg(c.oid::regclass::text, ', ') FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind "
                "= 'r' AND n.nspname IN {} AND NOT (obj_description(c.oid, "
                "'pg_class') LIKE '%Key:%' AND obj_description(c.oid, "
                "'pg_class') LIKE '%Citus:%')",
                schemas_sql))
        == std::nullopt);
}

TEST_CASE(
    "u128 and u64 extremes round-trip exactly and one past them is refused",
    "[integration][schema][types]") {
    scratch_database db{"types"};
    REQUIRE(db.migrate() > 0);
    const std::string u128_max = "340282366920938463463374607431768211455";
    const std::string u128_over = "340282366920938463463374607431768211456";
    const std::string u64_max = "18446744073709551615";
    const std::string u64_over = "18446744073709551616";

    exec_sql(
        db.conninfo(),
        insert_sql(
            "nano.blocks", with(nano_block("A"), {{"balance", u128_max}, {"amount", u128_max}})));
    CHECK(
        query_scalar(db.conninfo(), "SELECT balance::text || ' ' || amount::text FROM nano.blocks")
        == u128_max + " " + u128_max);

    exec_sql(
        db.conninfo(),
        insert_sql(
            "nano.votes", with(nano_vote("C"), {{"timestamp", u64_max}, {"is_final", "true"}})));
    CHECK(query_scalar(db.conninfo(), "SELECT timestamp::text FROM nano.votes") == u64_max);

    exec_sql(
        db.conninfo(),
        insert_sql(
            "solana.account_updates",
            with(account_update(7), {{"lamports", u64_max}, {"rent_epoch", u64_max}})));
    CHECK(
        query_scalar(
            db.conninfo(),
            "SELECT lamports::text || ' ' || rent_epoch::text FROM solana.account_updates")
        == u64_max + " " + u64_max);

    exec_sql(
        db.conninfo(),
        fmt::format(
            "INSERT INTO solana.transactions (slot, signature, pre_balances, "
            "post_balances, origin, source, received_at) VALUES (7, {}, "
            "ARRAY[{}, 0]::numeric[], ARRAY[1]::numeric[], 'websocket', 'solana', now())",
            signature58,
            u64_max));
    CHECK(
        query_scalar(db.conninfo(), "SELECT pre_balances::text FROM solana.transactions")
        == "{" + u64_max + ",0}");

    CHECK(
        sqlstate_of(
            db.conninfo(),
            insert_sql("nano.blocks", with(nano_block("D"), {{"balance", u128_over}})))
        == check_violation);
    CHECK(
        sqlstate_of(
            db.conninfo(),
            insert_sql("nano.votes", with(nano_vote("E"), {{"timestamp", u64_over}})))
        == check_violation);
    CHECK(
        sqlstate_of(
            db.conninfo(),
            insert_sql(
                "solana.account_updates", with(account_update(8), {{"rent_epoch", u64_over}})))
        == check_violation);
    CHECK(
        sqlstate_of(
            db.conninfo(),
            insert_sql("solana.account_updates", with(account_update(9), {{"lamports", "-1"}})))
        == check_violation);
}

TEST_CASE(
    "CHECK constraints refuse values outside the enumerations and formats",
    "[integration][schema][checks]") {
    scratch_database db{"checks"};
    REQUIRE(db.migrate() > 0);

    // The base rows are valid, so each refusal below is the changed column's doing.
    REQUIRE(sqlstate_of(db.conninfo(), insert_sql("nano.blocks", nano_block("A"))).empty());
    REQUIRE(sqlstate_of(db.conninfo(), insert_sql("nano.votes", nano_vote("C"))).empty());
    REQUIRE(sqlstate_of(db.conninfo(), insert_sql("solana.account_updates", account_update(1)))
                .empty());

    const std::vector<std::pair<std::string, std::string>> refused{
        {"nano.blocks origin",
         insert_sql("nano.blocks", with(nano_block("1"), {{"origin", "'bogus'"}}))},
        {"nano.blocks type",
         insert_sql("nano.blocks", with(nano_block("2"), {{"type", "'sendx'"}}))},
        {"nano.blocks confirmation_type",
         insert_sql("nano.blocks", with(nano_block("3"), {{"confirmation_type", "'quorum'"}}))},
        {"nano.blocks lowercase hash", insert_sql("nano.blocks", with(nano_block("a"), {}))},
        {"nano.blocks bad account",
         insert_sql("nano.blocks", with(nano_block("4"), {{"account", "'xrb_1111'"}}))},
        {"nano.blocks uppercase work",
         insert_sql("nano.blocks", with(nano_block("5"), {{"work", "'C950FC037D61E372'"}}))},
        {"nano.blocks subtype on legacy",
         insert_sql("nano.blocks", with(nano_block("6"), {{"type", "'send'"}}))},
        {"nano.votes type", insert_sql("nano.votes", with(nano_vote("D"), {{"type", "'final'"}}))},
        {"nano.votes is_final without max timestamp",
         insert_sql("nano.votes", with(nano_vote("E"), {{"is_final", "true"}}))},
        {"nano.elections event",
         "INSERT INTO nano.elections (hash, event, time, source, received_at) VALUES "
         "(repeat('A', 64), 'confirmed', now(), 'nano', now())"},
        {"solana.slots status",
         "INSERT INTO solana.slots (slot, status, source) VALUES (1, 'rooted', 'solana')"},
        {"solana.blocks origin",
         fmt::format(
             "INSERT INTO solana.blocks (slot, blockhash, previous_blockhash, parent_slot, "
             "commitment, origin, source, received_at) VALUES (2, {0}, {0}, 1, "
             "'finalized', 'gossip', 'solana', now())",
             pubkey)},
        {"solana.blocks commitment",
         fmt::format(
             "INSERT INTO solana.blocks (slot, blockhash, previous_blockhash, parent_slot, "
             "commitment, origin, source, received_at) VALUES (3, {0}, {0}, 2, 'max', "
             "'websocket', 'solana', now())",
             pubkey)},
        {"solana.account_updates encoding",
         insert_sql(
             "solana.account_updates", with(account_update(2), {{"data_encoding", "'hex'"}}))},
        {"solana.account_updates base58 with 0",
         insert_sql(
             "solana.account_updates",
             with(
                 account_update(3),
                 {{"pubkey", "'0ote111111111111111111111111111111111111111'"}}))},
        {"ledgertap.gaps status",
         "INSERT INTO ledgertap.gaps (chain, source, kind, first_slot, last_slot, status) VALUES "
         "('solana', 'solana', 'solana_slot_range', 1, 2, 'done')"},
        {"ledgertap.gaps reversed range",
         "INSERT INTO ledgertap.gaps (chain, source, kind, first_slot, last_slot) VALUES "
         "('solana', 'solana', 'solana_slot_range', 5, 2)"},
        {"ledgertap.sources chain",
         "INSERT INTO ledgertap.sources (name, chain) VALUES ('x', 'bitcoin')"},
    };
    for (const auto& [what, sql] : refused) {
        CAPTURE(what, sql);
        CHECK(sqlstate_of(db.conninfo(), sql) == check_violation);
    }
}

TEST_CASE(
    "the cheap format checks of 0008 and 0013 accept exactly what the original regexes accepted",
    "[integration][schema][checks]") {
    const auto& db = migrated();
    // Each candidate is judged by the new function and by the regex it replaced (0002, 0003);
    // any disagreement is listed. Candidates sit on every edge: length, case, alphabet, prefix.
    const std::string hex64 = std::string(63, 'A') + "F";
    const std::string address = "nano_1" + std::string(58, '3') + "x";
    const std::string vote_key = "Vote111111111111111111111111111111111111111";
    const std::string candidates = fmt::format(
        "VALUES ('{0}'), ('{0}0'), ('{1}'), (lower('{0}')), ('{1}G'), ('{1} '), ('{1}é'), (''), "
        "('{2}'), (replace('{2}', 'nano_1', 'nano_3')), (replace('{2}', 'nano_1', 'nano_2')), "
        "(replace('{2}', 'nano_1', 'xrb_1')), (replace('{2}', 'x', '0')), "
        "(replace('{2}', 'x', 'l')), (replace('{2}', 'x', 'X')), ('{2}1'), "
        "(replace('{2}', 'nano_', 'node_')), ('{3}'), ('{3}0'), (replace('{3}', 'V', 'I')), "
        "(left('{3}', 31)), (left('{3}', 32)), ('{3}{3}'), ('{3}{3}{3}'), "
        "(repeat('1', 64)), (repeat('1', 88)), (repeat('1', 89)), ('abcdef0123456789'), "
        "('ABCDEF0123456789'), ('abcdef012345678'), ('legacy'), ('0'), ('12'), ('-1'), ('1a'), "
        "('{0}{0}'), (lower('{0}{0}'))",
        hex64, hex64.substr(0, 63), address, vote_key);
    const auto disagreements = query_scalar(
        db.conninfo(),
        fmt::format(
            "SELECT string_agg(format('%s(%L)', f, v), ', ') FROM ({}) c(v), LATERAL (VALUES "
            "('is_hash', nano.is_hash(v), v ~ '^[0-9A-F]{{64}}$'), "
            "('is_address', nano.is_address(v), "
            "v ~ '^nano_[13][13456789abcdefghijkmnopqrstuwxyz]{{59}}$'), "
            "('is_node_id', nano.is_node_id(v), "
            "v ~ '^node_[13][13456789abcdefghijkmnopqrstuwxyz]{{59}}$'), "
            "('is_pubkey', solana.is_pubkey(v), v ~ '^[1-9A-HJ-NP-Za-km-z]{{32,44}}$'), "
            "('is_signature', solana.is_signature(v), v ~ '^[1-9A-HJ-NP-Za-km-z]{{64,88}}$'), "
            "('hex128 upper', ledgertap.is_hex(v, 128, true), v ~ '^[0-9A-F]{{128}}$'), "
            "('hex64 upper', ledgertap.is_hex(v, 64, true), v ~ '^[0-9A-F]{{64}}$'), "
            "('hex16 lower', ledgertap.is_hex(v, 16, false), v ~ '^[0-9a-f]{{16}}$'), "
            "('version', v = 'legacy' OR (v <> '' AND v !~ '[^0-9]'), "
            "v = 'legacy' OR v ~ '^[0-9]+$'), "
            // The char(n) overloads of 0013 against the regex on the cast-to-text value that
            // the constraints checked before (padding stripped).
            "('is_hash char(64)', nano.is_hash(v::char(64)), "
            "(v::char(64))::text ~ '^[0-9A-F]{{64}}$'), "
            "('hex128 upper char(128)', ledgertap.is_hex(v::char(128), 128, true), "
            "(v::char(128))::text ~ '^[0-9A-F]{{128}}$'), "
            "('hex16 lower char(16)', ledgertap.is_hex(v::char(16), 16, false), "
            "(v::char(16))::text ~ '^[0-9a-f]{{16}}$')) t(f, fast, original) "
            "WHERE fast IS DISTINCT FROM original",
            candidates));
    CHECK(disagreements == std::nullopt);
    // And the candidates do exercise both outcomes of every check.
    CHECK(
        query_scalar(
            db.conninfo(),
            fmt::format(
                "SELECT count(*) FILTER (WHERE nano.is_hash(v)) || '/' || count(*) FILTER (WHERE "
                "nano.is_address(v)) || '/' || count(*) FILTER (WHERE solana.is_pubkey(v)) || "
                "'/' || count(*) FILTER (WHERE ledgertap.is_hex(v, 16, false)) || '/' || "
                "count(*) FILTER (WHERE solana.is_signature(v)) || '/' || count(*) FILTER "
                "(WHERE nano.is_node_id(v)) || '/' || count(*) FILTER (WHERE "
                "nano.is_hash(v::char(64))) || '/' || count(*) FILTER (WHERE "
                "ledgertap.is_hex(v::char(128), 128, true)) || '/' || count(*) FROM ({}) c(v)",
                candidates))
        == "2/2/2/1/6/1/6/1/37");
}

TEST_CASE(
    "solana.slots.status_rank is derived from status and orders the statuses",
    "[integration][schema][checks]") {
    scratch_database db{"rank"};
    REQUIRE(db.migrate() > 0);
    exec_sql(
        db.conninfo(),
        "INSERT INTO solana.slots (slot, status, source) VALUES (1, NULL, 's'), "
        "(2, 'processed', 's'), (3, 'confirmed', 's'), (4, 'dead', 's'), (5, 'finalized', 's'), "
        "(6, 'skipped', 's'), (7, 'orphaned', 's')");
    CHECK(
        query_scalar(
            db.conninfo(),
            "SELECT string_agg(status_rank::text, ',' ORDER BY slot) FROM solana.slots")
        == std::optional<std::string>{"0,1,2,3,4,4,4"});
    // Generated: the writer cannot set it (SQLSTATE 428C9, generated_always).
    CHECK(
        sqlstate_of(
            db.conninfo(),
            "INSERT INTO solana.slots (slot, status_rank, source) VALUES "
            "(9, 4, 's')")
        == "428C9");
    // A merge guarded by the rank refuses to move a finalized slot back to confirmed.
    const std::string merge
        = "INSERT INTO solana.slots AS s (slot, status, source) VALUES (5, 'confirmed', 's') "
          "ON CONFLICT (slot) DO UPDATE SET status = excluded.status "
          "WHERE excluded.status_rank > s.status_rank";
    exec_sql(db.conninfo(), merge);
    CHECK(
        query_scalar(db.conninfo(), "SELECT status FROM solana.slots WHERE slot = 5")
        == std::optional<std::string>{"finalized"});
}

TEST_CASE(
    "the analytics views compute latencies from the stored times", "[integration][schema][views]") {
    scratch_database db{"views"};
    REQUIRE(db.migrate() > 0);
    exec_sql(
        db.conninfo(),
        insert_sql(
            "nano.unconfirmed_blocks",
            {{"hash", "repeat('A', 64)"},
             {"account", account},
             {"previous", "repeat('0', 64)"},
             {"type", "'state'"},
             {"subtype", "'send'"},
             {"signature", "repeat('B', 128)"},
             {"work", "'c950fc037d61e372'"},
             {"first_seen_at", "'2026-01-01 00:00:00+00'"},
             {"source", "'nano'"},
             {"received_at", "now()"}}));
    exec_sql(
        db.conninfo(),
        insert_sql(
            "nano.blocks",
            with(
                nano_block("A"),
                {{"confirmed_at", "'2026-01-01 00:00:00.250+00'"},
                 {"confirmation_type", "'active_quorum'"}})));
    CHECK(
        query_scalar(db.conninfo(), "SELECT latency_ms FROM nano.confirmation_latency")
        == std::optional<std::string>{"250"});
    CHECK(
        query_scalar(
            db.conninfo(),
            "SELECT count || ' ' || p50_ms FROM nano.confirmation_latency_per_minute "
            "WHERE confirmation_type = 'active_quorum'")
        == std::optional<std::string>{"1 250"});

    exec_sql(
        db.conninfo(),
        "INSERT INTO solana.slots (slot, status, source, first_shred_at, optimistic_at, "
        "rooted_at) VALUES (10, 'finalized', 's', '2026-01-01 00:00:00+00', "
        "'2026-01-01 00:00:00.400+00', '2026-01-01 00:00:13+00')");
    CHECK(
        query_scalar(
            db.conninfo(),
            "SELECT shred_to_optimistic_ms || ' ' || shred_to_root_ms FROM "
            "solana.slot_latency WHERE slot = 10")
        == std::optional<std::string>{"400 13000"});

    exec_sql(
        db.conninfo(),
        "INSERT INTO ledgertap.sources (name, chain) VALUES ('s', 'solana');"
        "INSERT INTO ledgertap.gaps (chain, source, kind, first_slot, last_slot) VALUES "
        "('solana', 's', 'solana_slot_range', 5, 9);"
        "INSERT INTO ledgertap.watermarks (source, key, value) VALUES "
        "('s', 'finalized_slot', 18446744073709551615)");
    CHECK(
        query_scalar(
            db.conninfo(),
            "SELECT open_gaps || ' ' || missing || ' ' || (watermarks->>'finalized_slot') "
            "FROM ledgertap.coverage WHERE source = 's'")
        == std::optional<std::string>{"1 5 18446744073709551615"});
}

} // namespace
} // namespace ledgertap::test
