#include "ingest/solana_tables.hpp"

#include "ingest/copy_row.hpp"
#include "schema/json.hpp"

#include <fmt/format.h>

namespace ledgertap::ingest {

namespace sol = schema::solana;

namespace {

template<typename T>
void opt(copy_row& r, const std::optional<T>& v) {
    if (!v) {
        r.null();
    } else if constexpr (std::is_same_v<T, std::string>) {
        r.text(*v);
    } else if constexpr (std::is_signed_v<T>) {
        r.i64(static_cast<std::int64_t>(*v));
    } else {
        r.u64(static_cast<std::uint64_t>(*v));
    }
}

void opt_seconds(copy_row& r, const std::optional<std::int64_t>& unix_s) {
    if (unix_s && *unix_s >= 0) {
        r.timestamp_ms(static_cast<std::uint64_t>(*unix_s) * 1000);
    } else {
        r.null();
    }
}

const char* origin_text(solana_origin o) {
    return o == solana_origin::websocket ? "websocket" : "rpc_backfill";
}

} // namespace

solana_tables register_solana_tables(table_set& tables) {
    solana_tables t;
    t.slots = tables.add({"solana.slots", "lt_stage_solana_slots",
        {{"slot", "bigint"}, {"parent", "bigint"}, {"status", "text"}, {"first_shred_at", "timestamptz"},
            {"created_bank_at", "timestamptz"}, {"completed_at", "timestamptz"}, {"frozen_at", "timestamptz"},
            {"optimistic_at", "timestamptz"}, {"rooted_at", "timestamptz"}, {"dead_error", "text"},
            {"num_transaction_entries", "bigint"}, {"num_successful_transactions", "bigint"},
            {"num_failed_transactions", "bigint"}, {"max_transactions_per_entry", "bigint"},
            {"source", "text"}},
        // Several notifications about one slot can share a batch: fold them first (earliest time
        // per column, highest status), then merge forward-only.
        R"(INSERT INTO solana.slots AS s (slot, parent, status, first_shred_at, created_bank_at, completed_at,
    frozen_at, optimistic_at, rooted_at, dead_error, num_transaction_entries, num_successful_transactions,
    num_failed_transactions, max_transactions_per_entry, source)
SELECT slot, max(parent), (array_agg(status ORDER BY solana.slot_status_rank(status) DESC))[1],
    min(first_shred_at), min(created_bank_at), min(completed_at), min(frozen_at), min(optimistic_at),
    min(rooted_at), max(dead_error), max(num_transaction_entries), max(num_successful_transactions),
    max(num_failed_transactions), max(max_transactions_per_entry), min(source)
FROM {staging} GROUP BY slot
ON CONFLICT (slot) DO UPDATE SET
    parent = COALESCE(s.parent, excluded.parent),
    status = CASE WHEN solana.slot_status_rank(excluded.status) > s.status_rank
                  AND s.status_rank < 4 THEN excluded.status ELSE s.status END,
    first_shred_at = LEAST(s.first_shred_at, excluded.first_shred_at),
    created_bank_at = LEAST(s.created_bank_at, excluded.created_bank_at),
    completed_at = LEAST(s.completed_at, excluded.completed_at),
    frozen_at = LEAST(s.frozen_at, excluded.frozen_at),
    optimistic_at = LEAST(s.optimistic_at, excluded.optimistic_at),
    rooted_at = LEAST(s.rooted_at, excluded.rooted_at),
    dead_error = COALESCE(s.dead_error, excluded.dead_error),
    num_transaction_entries = COALESCE(s.num_transaction_entries, excluded.num_transaction_entries),
    num_successful_transactions = COALESCE(s.num_successful_transactions, excluded.num_successful_transactions),
    num_failed_transactions = COALESCE(s.num_failed_transactions, excluded.num_failed_transactions),
    max_transactions_per_entry = COALESCE(s.max_transactions_per_entry, excluded.max_transactions_per_entry),
    updated_at = now()
WHERE (solana.slot_status_rank(excluded.status) > s.status_rank AND s.status_rank < 4)
   OR (s.parent IS NULL AND excluded.parent IS NOT NULL)
   OR excluded.first_shred_at < s.first_shred_at OR (s.first_shred_at IS NULL AND excluded.first_shred_at IS NOT NULL)
   OR excluded.created_bank_at < s.created_bank_at OR (s.created_bank_at IS NULL AND excluded.created_bank_at IS NOT NULL)
   OR excluded.completed_at < s.completed_at OR (s.completed_at IS NULL AND excluded.completed_at IS NOT NULL)
   OR excluded.frozen_at < s.frozen_at OR (s.frozen_at IS NULL AND excluded.frozen_at IS NOT NULL)
   OR excluded.optimistic_at < s.optimistic_at OR (s.optimistic_at IS NULL AND excluded.optimistic_at IS NOT NULL)
   OR excluded.rooted_at < s.rooted_at OR (s.rooted_at IS NULL AND excluded.rooted_at IS NOT NULL)
   OR (s.dead_error IS NULL AND excluded.dead_error IS NOT NULL)
   OR (s.num_transaction_entries IS NULL AND excluded.num_transaction_entries IS NOT NULL))"});
    t.blocks = tables.add({"solana.blocks", "lt_stage_solana_blocks",
        {{"slot", "bigint"}, {"blockhash", "text"}, {"previous_blockhash", "text"}, {"parent_slot", "bigint"},
            {"block_time", "timestamptz"}, {"block_height", "bigint"}, {"transaction_count", "integer"},
            {"rewards", "jsonb"}, {"commitment", "text"}, {"origin", "text"}, {"source", "text"},
            {"received_at", "timestamptz"}},
        R"(INSERT INTO solana.blocks AS b (slot, blockhash, previous_blockhash, parent_slot, block_time,
    block_height, transaction_count, rewards, commitment, origin, source, received_at)
SELECT DISTINCT ON (slot) slot, blockhash, previous_blockhash, parent_slot, block_time, block_height,
    transaction_count, rewards, commitment, origin, source, received_at
FROM {staging} ORDER BY slot, solana.commitment_rank(commitment) DESC, received_at ASC
ON CONFLICT (slot) DO UPDATE SET
    commitment = excluded.commitment,
    blockhash = excluded.blockhash,
    previous_blockhash = excluded.previous_blockhash,
    parent_slot = excluded.parent_slot,
    block_time = COALESCE(excluded.block_time, b.block_time),
    block_height = COALESCE(excluded.block_height, b.block_height),
    transaction_count = COALESCE(excluded.transaction_count, b.transaction_count),
    rewards = COALESCE(excluded.rewards, b.rewards),
    updated_at = now()
WHERE solana.commitment_rank(excluded.commitment) > solana.commitment_rank(b.commitment)
   OR (b.transaction_count IS NULL AND excluded.transaction_count IS NOT NULL)
   OR (b.block_time IS NULL AND excluded.block_time IS NOT NULL))"});
    t.transactions = tables.add({"solana.transactions", "lt_stage_solana_transactions",
        {{"slot", "bigint"}, {"signature", "text"}, {"index", "integer"}, {"err", "jsonb"},
            {"fee", "numeric(20,0)"}, {"compute_units_consumed", "bigint"}, {"version", "text"},
            {"is_vote", "boolean"}, {"pre_balances", "numeric(20,0)[]"}, {"post_balances", "numeric(20,0)[]"},
            {"log_messages", "text[]"}, {"origin", "text"}, {"source", "text"}, {"received_at", "timestamptz"}},
        R"(INSERT INTO solana.transactions AS x (slot, signature, index, err, fee, compute_units_consumed,
    version, is_vote, pre_balances, post_balances, log_messages, origin, source, received_at)
SELECT DISTINCT ON (slot, signature) slot, signature, index, err, fee, compute_units_consumed, version,
    is_vote, pre_balances, post_balances, log_messages, origin, source, received_at
FROM {staging} ORDER BY slot, signature, (fee IS NOT NULL) DESC, received_at ASC
ON CONFLICT (slot, signature) DO UPDATE SET
    index = COALESCE(x.index, excluded.index),
    err = COALESCE(x.err, excluded.err),
    fee = COALESCE(x.fee, excluded.fee),
    compute_units_consumed = COALESCE(x.compute_units_consumed, excluded.compute_units_consumed),
    version = COALESCE(x.version, excluded.version),
    is_vote = COALESCE(x.is_vote, excluded.is_vote),
    pre_balances = COALESCE(x.pre_balances, excluded.pre_balances),
    post_balances = COALESCE(x.post_balances, excluded.post_balances),
    log_messages = COALESCE(x.log_messages, excluded.log_messages)
WHERE (x.fee IS NULL AND excluded.fee IS NOT NULL)
   OR (x.log_messages IS NULL AND excluded.log_messages IS NOT NULL)
   OR (x.index IS NULL AND excluded.index IS NOT NULL))"});
    t.logs = tables.add({"solana.logs", "lt_stage_solana_logs",
        {{"slot", "bigint"}, {"signature", "text"}, {"err", "jsonb"}, {"logs", "text[]"},
            {"commitment", "text"}, {"source", "text"}, {"received_at", "timestamptz"}},
        R"(INSERT INTO solana.logs (slot, signature, err, logs, commitment, source, received_at)
SELECT slot, signature, err, logs, commitment, source, received_at FROM {staging}
ON CONFLICT DO NOTHING)"});
    const std::vector<column> account_cols{{"pubkey", "text"}, {"slot", "bigint"},
        {"lamports", "numeric(20,0)"}, {"owner", "text"}, {"executable", "boolean"},
        {"rent_epoch", "numeric(20,0)"}, {"space", "bigint"}, {"data", "bytea"}, {"data_encoding", "text"},
        {"data_json", "jsonb"}, {"data_too_large", "boolean"}, {"program", "text"}, {"source", "text"},
        {"received_at", "timestamptz"}};
    t.account_updates = tables.add({"solana.account_updates", "lt_stage_solana_account_updates", account_cols,
        R"(INSERT INTO solana.account_updates (pubkey, slot, lamports, owner, executable, rent_epoch, space,
    data, data_encoding, data_json, data_too_large, program, source, received_at)
SELECT DISTINCT ON (pubkey, slot) pubkey, slot, lamports, owner, executable, rent_epoch, space, data,
    data_encoding, data_json, data_too_large, program, source, received_at
FROM {staging} ORDER BY pubkey, slot, received_at DESC
ON CONFLICT DO NOTHING)"});
    t.accounts = tables.add({"solana.accounts", "lt_stage_solana_accounts", account_cols,
        // Current state only moves forward in slot (write_version is 0 from PubSub).
        R"(INSERT INTO solana.accounts AS a (pubkey, slot, lamports, owner, executable, rent_epoch, space,
    data, data_encoding, data_json, data_too_large, source, received_at)
SELECT DISTINCT ON (pubkey) pubkey, slot, lamports, owner, executable, rent_epoch, space, data,
    data_encoding, data_json, data_too_large, source, received_at
FROM {staging} ORDER BY pubkey, slot DESC, received_at DESC
ON CONFLICT (pubkey) DO UPDATE SET
    slot = excluded.slot, lamports = excluded.lamports, owner = excluded.owner,
    executable = excluded.executable, rent_epoch = excluded.rent_epoch, space = excluded.space,
    data = excluded.data, data_encoding = excluded.data_encoding, data_json = excluded.data_json,
    data_too_large = excluded.data_too_large, source = excluded.source, received_at = excluded.received_at,
    updated_at = now()
WHERE excluded.slot > a.slot)"});
    t.signatures = tables.add({"solana.signatures", "lt_stage_solana_signatures",
        {{"signature", "text"}, {"slot", "bigint"}, {"err", "jsonb"}, {"confirmation_status", "text"},
            {"source", "text"}, {"received_at", "timestamptz"}},
        R"(INSERT INTO solana.signatures AS g (signature, slot, err, confirmation_status, source, received_at)
SELECT DISTINCT ON (signature, slot) signature, slot, err, confirmation_status, source, received_at
FROM {staging}
ORDER BY signature, slot, CASE confirmation_status WHEN 'received' THEN 0 ELSE solana.commitment_rank(confirmation_status) END DESC
ON CONFLICT (signature, slot) DO UPDATE SET
    confirmation_status = excluded.confirmation_status, err = excluded.err, updated_at = now()
WHERE (CASE excluded.confirmation_status WHEN 'received' THEN 0 ELSE solana.commitment_rank(excluded.confirmation_status) END)
    > (CASE g.confirmation_status WHEN 'received' THEN 0 ELSE solana.commitment_rank(g.confirmation_status) END))"});
    t.votes = tables.add({"solana.votes", "lt_stage_solana_votes",
        {{"vote_pubkey", "text"}, {"signature", "text"}, {"hash", "text"}, {"slots", "bigint[]"},
            {"timestamp", "timestamptz"}, {"source", "text"}, {"received_at", "timestamptz"}},
        R"(INSERT INTO solana.votes (vote_pubkey, signature, hash, slots, timestamp, source, received_at)
SELECT vote_pubkey, signature, hash, slots, timestamp, source, received_at FROM {staging}
ON CONFLICT DO NOTHING)"});
    return t;
}

mapped_rows map_slot_fact(const solana_tables& t, const slot_fact& f, std::string_view source) {
    copy_row r;
    r.u64(f.slot);
    opt(r, f.parent);
    opt(r, f.status);
    r.timestamp_ms(f.first_shred_ms).timestamp_ms(f.created_bank_ms).timestamp_ms(f.completed_ms)
        .timestamp_ms(f.frozen_ms).timestamp_ms(f.optimistic_ms).timestamp_ms(f.rooted_ms);
    r.free_text(f.dead_error);
    if (f.stats) {
        r.u64(f.stats->num_transaction_entries).u64(f.stats->num_successful_transactions)
            .u64(f.stats->num_failed_transactions).u64(f.stats->max_transactions_per_entry);
    } else {
        r.null().null().null().null();
    }
    r.text(source);
    mapped_rows out;
    if (!r.ok()) {
        out.error = "solana.slots: " + r.error();
        return out;
    }
    out.replaced = r.replaced();
    out.rows.push_back({t.slots, r.finish()});
    return out;
}

mapped_rows map_solana_block(const solana_tables& t, std::uint64_t slot, const sol::block& b,
    std::string_view commitment, solana_origin origin, std::string_view source, std::uint64_t received_ms) {
    mapped_rows out;
    const std::size_t count = b.details == sol::transaction_details::signatures ? b.signatures.size()
                                                                                 : b.transactions.size();
    copy_row r;
    r.u64(slot).text(b.blockhash).text(b.previous_blockhash).u64(b.parent_slot);
    opt_seconds(r, b.block_time);
    opt(r, b.block_height);
    if (b.details == sol::transaction_details::none) {
        r.null();
    } else {
        r.u64(count);
    }
    if (b.rewards) {
        std::string json = "[";
        for (std::size_t i = 0; i < b.rewards->size(); ++i) {
            const auto& rw = (*b.rewards)[i];
            fmt::format_to(std::back_inserter(json), R"({}{{"pubkey":"{}","lamports":{},"postBalance":{},"rewardType":)",
                i == 0 ? "" : ",", rw.pubkey, rw.lamports, rw.post_balance);
            if (rw.reward_type) {
                json += schema::json::quote(*rw.reward_type);
            } else {
                json += "null";
            }
            json += ",\"commission\":";
            json += rw.commission ? std::to_string(*rw.commission) : "null";
            json += '}';
        }
        r.jsonb(json + "]");
    } else {
        r.null();
    }
    r.text(commitment).text(origin_text(origin)).text(source).timestamp_ms(received_ms);
    if (!r.ok()) {
        out.error = "solana.blocks: " + r.error();
        return out;
    }
    out.replaced += r.replaced();
    out.rows.push_back({t.blocks, r.finish()});
    for (const auto& tx : b.transactions) {
        copy_row x;
        x.u64(slot).text(tx.signature).u64(tx.index);
        if (tx.meta) {
            x.jsonb(tx.meta->err);
            x.u64(tx.meta->fee);
            opt(x, tx.meta->compute_units_consumed);
        } else {
            x.null().null().null();
        }
        opt(x, tx.version);
        if (tx.is_vote) {
            x.boolean(*tx.is_vote);
        } else {
            x.null();
        }
        if (tx.meta) {
            x.u64_array(tx.meta->pre_balances).u64_array(tx.meta->post_balances);
            if (tx.meta->log_messages) {
                x.free_text_array(*tx.meta->log_messages);
            } else {
                x.null();
            }
        } else {
            x.null().null().null();
        }
        x.text(origin_text(origin)).text(source).timestamp_ms(received_ms);
        if (!x.ok()) {
            out.rows.clear();
            out.error = fmt::format("solana.transactions {}: {}", tx.signature, x.error());
            return out;
        }
        out.replaced += x.replaced();
        out.rows.push_back({t.transactions, x.finish()});
    }
    for (std::size_t i = 0; i < b.signatures.size(); ++i) {
        copy_row x;
        x.u64(slot).text(b.signatures[i]).u64(i).null().null().null().null().null().null().null().null()
            .text(origin_text(origin)).text(source).timestamp_ms(received_ms);
        out.rows.push_back({t.transactions, x.finish()});
    }
    // The block also tells the slot table its parent and commitment.
    slot_fact f;
    f.slot = slot;
    f.parent = b.parent_slot;
    f.status = std::string{commitment};
    auto s = map_slot_fact(t, f, source);
    out.replaced += s.replaced;
    for (auto& row : s.rows) {
        out.rows.push_back(std::move(row));
    }
    return out;
}

namespace {

void account_row(copy_row& r, std::string_view pubkey, std::uint64_t slot, const sol::account& a,
    const std::optional<std::string>& program, std::string_view source, std::uint64_t received_ms) {
    r.text(pubkey).u64(slot).u64(a.lamports).text(a.owner).boolean(a.executable).u64(a.rent_epoch);
    opt(r, a.space);
    const auto& d = a.data;
    if (d.too_large || d.encoding == sol::account_encoding::json_parsed) {
        r.null();
    } else {
        r.bytes(d.bytes);
    }
    r.text(sol::to_string(d.encoding));
    if (d.encoding == sol::account_encoding::json_parsed) {
        r.jsonb(d.parsed_json);
    } else {
        r.null();
    }
    r.boolean(d.too_large);
    opt(r, program);
    r.text(source).timestamp_ms(received_ms);
}

struct mapper {
    const solana_tables& t;
    const subscription_context& ctx;
    std::string_view source;
    std::uint64_t received_ms;
    mapped_rows out;

    void add(mapped_rows m) {
        if (!m.error.empty()) {
            out.rows.clear();
            out.error = std::move(m.error);
            return;
        }
        out.replaced += m.replaced;
        for (auto& r : m.rows) {
            out.rows.push_back(std::move(r));
        }
    }
    void push(table_id table, copy_row& r, const char* what) {
        if (!r.ok()) {
            out.rows.clear();
            out.error = fmt::format("{}: {}", what, r.error());
            return;
        }
        out.replaced += r.replaced();
        out.rows.push_back({table, r.finish()});
    }

    void operator()(const sol::subscribe_ok&) {}
    void operator()(const sol::unsubscribe_ok&) {}
    void operator()(const sol::version_ok&) {}
    void operator()(const sol::rpc_error&) {}

    void operator()(const sol::slot_notification& n) {
        slot_fact f;
        f.slot = n.slot;
        f.parent = n.parent;
        f.status = "processed";
        f.created_bank_ms = received_ms; // slotNotification fires when the bank is created
        add(map_slot_fact(t, f, source));
    }

    void operator()(const sol::slots_update& u) {
        slot_fact f;
        f.slot = u.slot;
        using k = sol::slots_update_kind;
        switch (u.kind) {
        case k::first_shred_received:
            f.first_shred_ms = u.timestamp_ms;
            break;
        case k::completed:
            f.completed_ms = u.timestamp_ms;
            break;
        case k::created_bank:
            f.created_bank_ms = u.timestamp_ms;
            f.parent = u.parent;
            f.status = "processed";
            break;
        case k::frozen:
            f.frozen_ms = u.timestamp_ms;
            f.stats = u.stats;
            f.status = "processed";
            break;
        case k::dead:
            f.status = "dead";
            f.dead_error = u.err;
            break;
        case k::optimistic_confirmation:
            f.optimistic_ms = u.timestamp_ms;
            f.status = "confirmed";
            break;
        case k::root:
            f.rooted_ms = u.timestamp_ms;
            f.status = "finalized";
            break;
        case k::unknown:
            return; // a future kind: counted by the source, nothing to store
        }
        add(map_slot_fact(t, f, source));
    }

    void operator()(const sol::root_notification& n) {
        slot_fact f;
        f.slot = n.slot;
        f.rooted_ms = received_ms;
        f.status = "finalized";
        add(map_slot_fact(t, f, source));
    }

    void operator()(const sol::vote_notification& v) {
        copy_row r;
        r.text(v.vote_pubkey).text(v.signature).text(v.hash).u64_array(v.slots);
        opt_seconds(r, v.timestamp);
        r.text(source).timestamp_ms(received_ms);
        push(t.votes, r, "solana.votes");
    }

    void operator()(const sol::block_notification& n) {
        if (!n.value) {
            return; // block:null with err: the source records it; backfill fetches the block
        }
        add(map_solana_block(t, n.context_slot, *n.value, ctx.commitment, solana_origin::websocket, source,
            received_ms));
    }

    void operator()(const sol::logs_notification& n) {
        copy_row r;
        r.u64(n.context_slot).text(n.signature).jsonb(n.err).free_text_array(n.logs);
        r.text(ctx.commitment).text(source).timestamp_ms(received_ms);
        push(t.logs, r, "solana.logs");
    }

    void operator()(const sol::account_notification& n) {
        copy_row u;
        account_row(u, ctx.target, n.context_slot, n.account, std::nullopt, source, received_ms);
        copy_row a;
        account_row(a, ctx.target, n.context_slot, n.account, std::nullopt, source, received_ms);
        push(t.account_updates, u, "solana.account_updates");
        push(t.accounts, a, "solana.accounts");
    }

    void operator()(const sol::program_notification& n) {
        copy_row u;
        account_row(u, n.pubkey, n.context_slot, n.account, ctx.target, source, received_ms);
        copy_row a;
        account_row(a, n.pubkey, n.context_slot, n.account, ctx.target, source, received_ms);
        push(t.account_updates, u, "solana.account_updates");
        push(t.accounts, a, "solana.accounts");
    }

    void operator()(const sol::signature_notification& n) {
        copy_row r;
        r.text(ctx.target).u64(n.context_slot).jsonb(n.err);
        r.text(n.state == sol::signature_state::received ? "received" : ctx.commitment)
            .text(source)
            .timestamp_ms(received_ms);
        push(t.signatures, r, "solana.signatures");
    }
};

} // namespace

mapped_rows map_solana_message(const solana_tables& t, const sol::pubsub_message& msg,
    const subscription_context& ctx, std::string_view source, std::uint64_t received_ms) {
    mapper m{t, ctx, source, received_ms, {}};
    std::visit(m, msg);
    return std::move(m.out);
}

} // namespace ledgertap::ingest
