#include "ingest/solana_backfill.hpp"

#include "ingest/pipeline_tables.hpp"
#include "ingest/source_book.hpp"
#include "schema/codec.hpp"
#include "schema/solana_rpc.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

namespace ledgertap::ingest {

namespace sol = schema::solana;

namespace {

constexpr std::uint64_t max_range = 500000;
constexpr const char* watermark_key = "finalized_slot";

std::uint64_t to_u64(const pg_value& v) {
    return v ? schema::parse_u64(*v).value_or(0) : 0;
}

/// Whether a getBlock error means "not yet" (retry later) rather than anything about the slot.
bool not_yet(std::int64_t code) {
    return code == sol::rpc_code::block_not_available || code == sol::rpc_code::block_status_not_yet_available
        || code == sol::rpc_code::node_unhealthy || code == sol::rpc_code::min_context_slot_not_reached
        || code == sol::rpc_code::long_term_storage_unreachable || code == sol::rpc_code::epoch_rewards_period_active;
}

} // namespace

solana_backfill::solana_backfill(solana_config sol, backfill_config cfg, std::string conninfo, solana_tables tables,
    gap_tables gaps, bounded_queue& queue, metrics_registry& metrics)
    : sol_(std::move(sol)), cfg_(cfg), tables_(tables), gaps_(gaps), queue_(queue), db_(std::move(conninfo)),
      m_blocks_(metrics.get_counter("ledgertap_backfill_rows_total", {{"source", sol_.name}},
          "Rows recovered over RPC by the backfiller")),
      m_rpc_errors_(metrics.get_counter("ledgertap_backfill_rpc_errors_total", {{"source", sol_.name}},
          "RPC calls of the backfiller that failed after retries")),
      m_replaced_(text_replaced_counter(metrics, sol_.name)),
      m_watermark_(metrics.get_gauge("ledgertap_solana_finalized_watermark", {{"source", sol_.name}},
          "Every slot up to this one is stored at finalized or proven skipped")) {
    const std::size_t n = std::max<std::size_t>(1, cfg_.solana_concurrency);
    // The rate limit is per node: share it across the concurrent clients.
    const double per_client = cfg_.rpc_rate_limit > 0 ? cfg_.rpc_rate_limit / static_cast<double>(n) : 0;
    for (std::size_t i = 0; i < n; ++i) {
        rpc_.push_back(std::make_unique<rpc_client>(sol_.rpc_url,
            rpc_options{cfg_.rpc_timeout, cfg_.rpc_retries, std::chrono::milliseconds{200},
                std::chrono::milliseconds{5000}, per_client, sol_.max_response_bytes, sol_.tls_insecure,
                sol_.tls_ca_file, "solana.max_response_bytes"}));
    }
}

solana_backfill::~solana_backfill() = default;

void solana_backfill::stop() noexcept {
    stopping_.store(true);
    wake_.notify_all();
}

void solana_backfill::request_round() noexcept {
    requested_.store(true);
    wake_.notify_all();
}

bool solana_backfill::wait(std::chrono::milliseconds d) {
    std::unique_lock lock{mutex_};
    wake_.wait_for(lock, d, [&] { return stopping_.load() || requested_.load(); });
    requested_.store(false);
    return !stopping_.load();
}

std::optional<std::uint64_t> solana_backfill::load_watermark(std::string& anchor_detail) {
    const auto rows = db_.query("SELECT value, detail FROM ledgertap.watermarks WHERE source = $1 AND key = $2",
        {sol_.name, std::string{watermark_key}});
    if (rows.empty()) {
        return std::nullopt;
    }
    anchor_detail = rows[0][1].value_or("");
    return to_u64(rows[0][0]);
}

std::optional<std::uint64_t> solana_backfill::initial_watermark() {
    auto& rpc = *rpc_.front();
    if (cfg_.solana_start == "first_available") {
        const auto r = rpc.post(R"({"jsonrpc":"2.0","id":1,"method":"getFirstAvailableBlock","params":[]})");
        if (!r.ok) {
            return std::nullopt;
        }
        auto d = sol::decode_get_first_available_block(r.body);
        if (!d || d.value().is_error()) {
            return std::nullopt;
        }
        const auto first = d.value().result();
        return first == 0 ? 0 : first - 1;
    }
    if (const auto n = schema::parse_u64(cfg_.solana_start)) {
        return *n == 0 ? 0 : *n - 1;
    }
    const auto r = rpc.post(R"({"jsonrpc":"2.0","id":1,"method":"getSlot","params":[{"commitment":"finalized"}]})");
    if (!r.ok) {
        return std::nullopt;
    }
    auto d = sol::decode_get_slot(r.body);
    if (!d || d.value().is_error()) {
        return std::nullopt;
    }
    return d.value().result();
}

bool solana_backfill::round() {
    const auto started = std::chrono::steady_clock::now();
    std::string anchor;
    auto w = load_watermark(anchor);
    if (queued_watermark_ && (!w || *queued_watermark_ > *w)) {
        w = queued_watermark_;
        anchor = queued_anchor_;
    }
    if (!w) {
        w = initial_watermark();
        if (!w) {
            spdlog::warn("solana backfill {}: cannot reach {} to start the watermark; retrying", sol_.name, sol_.rpc_url);
            return false;
        }
        spdlog::info("solana backfill {}: starting the finalized watermark at slot {} (backfill.solana_start = {})",
            sol_.name, *w, cfg_.solana_start);
        row_group g;
        g.origin = sol_.name + "/backfill";
        g.rows.push_back(row_for_watermark(gaps_, sol_.name, watermark_key, *w, std::string{}));
        queue_.push_wait(std::move(g));
        queued_watermark_ = *w;
        queued_anchor_.clear();
        return true;
    }
    m_watermark_.set(static_cast<double>(*w));
    auto& rpc = *rpc_.front();
    const auto slot_resp = rpc.post(R"({"jsonrpc":"2.0","id":1,"method":"getSlot","params":[{"commitment":"finalized"}]})");
    if (!slot_resp.ok) {
        m_rpc_errors_.inc();
        return false;
    }
    auto fin = sol::decode_get_slot(slot_resp.body);
    if (!fin || fin.value().is_error()) {
        return false;
    }
    highest_finalized_ = std::max(highest_finalized_, fin.value().result()); // never regress
    const std::uint64_t f = highest_finalized_;
    if (f <= *w) {
        return false;
    }
    const std::uint64_t a = *w + 1;
    const std::uint64_t b = std::min({f, *w + max_range, *w + cfg_.solana_max_slots_per_round});
    const auto blocks_resp = rpc.post(fmt::format(
        R"({{"jsonrpc":"2.0","id":1,"method":"getBlocks","params":[{},{},{{"commitment":"finalized"}}]}})", a, b));
    if (!blocks_resp.ok) {
        m_rpc_errors_.inc();
        return false;
    }
    auto listed = sol::decode_get_blocks(blocks_resp.body);
    if (!listed || listed.value().is_error()) {
        spdlog::warn("solana backfill {}: getBlocks({}, {}): {}", sol_.name, a, b,
            listed ? listed.value().error().message : listed.error().detail);
        return false;
    }
    auto slots = listed.value().result();
    std::erase_if(slots, [&](std::uint64_t s) { return s < a || s > b; });
    std::sort(slots.begin(), slots.end());
    if (slots.empty()) {
        return false; // nothing provable yet (only slots up to the highest listed are trusted)
    }

    // What is stored already for these slots, and which slots in the range this node had seen.
    std::map<std::uint64_t, known_block> stored;
    for (const auto& r : db_.query(
             "SELECT slot, blockhash, previous_blockhash, parent_slot, commitment FROM solana.blocks "
             "WHERE slot BETWEEN $1 AND $2",
             {std::to_string(a), std::to_string(slots.back())})) {
        known_block k{to_u64(r[0]), r[1].value_or(""), r[2].value_or(""), to_u64(r[3]), r[4].value_or("")};
        stored[k.slot] = k;
    }
    std::set<std::uint64_t> seen_slots;
    for (const auto& r : db_.query("SELECT slot FROM solana.slots WHERE slot BETWEEN $1 AND $2 AND status_rank BETWEEN 1 AND 3",
             {std::to_string(a), std::to_string(slots.back())})) {
        seen_slots.insert(to_u64(r[0]));
    }
    // Blocks to fetch: listed and not stored. Fetch in parallel, in order of slot.
    std::vector<std::uint64_t> to_fetch;
    for (const auto s : slots) {
        if (!stored.contains(s)) {
            to_fetch.push_back(s);
        }
    }
    std::map<std::uint64_t, sol::block> fetched;
    std::map<std::uint64_t, std::string> fetch_error;
    std::mutex fm;
    std::atomic<std::size_t> next{0};
    auto worker = [&](rpc_client& client) {
        while (!stopping_.load()) {
            const std::size_t i = next.fetch_add(1);
            if (i >= to_fetch.size()) {
                return;
            }
            const auto s = to_fetch[i];
            const auto resp = client.post(fmt::format(
                R"({{"jsonrpc":"2.0","id":1,"method":"getBlock","params":[{},{{"commitment":"finalized","encoding":"base64",)"
                R"("transactionDetails":"full","rewards":true,"maxSupportedTransactionVersion":0}}]}})", s));
            std::lock_guard lock{fm};
            if (!resp.ok) {
                fetch_error[s] = resp.error;
                if (resp.too_large || resp.tls_failure) {
                    // Configuration, not weather: say so every time, retrying will not help.
                    m_rpc_errors_.inc();
                    spdlog::warn("solana backfill {}: getBlock({}): {}", sol_.name, s, resp.error);
                }
                continue;
            }
            auto d = sol::decode_get_block(resp.body);
            if (!d) {
                // Not weather either: the node answered something that is not a block. Counted and
                // said once per slot; the watermark waits before it, and later rounds ask again.
                fetch_error[s] = d.error().detail;
                m_rpc_errors_.inc();
                if (last_malformed_slot_ != s) {
                    last_malformed_slot_ = s;
                    spdlog::warn("solana backfill {}: getBlock({}) answered with an unusable reply ({}); "
                                 "not advancing past it",
                        sol_.name, s, d.error().detail);
                }
            } else if (d.value().is_error()) {
                const auto& e = d.value().error();
                fetch_error[s] = fmt::format("{} {}", e.code, e.message);
                if (!not_yet(e.code)) {
                    spdlog::warn("solana backfill {}: getBlock({}) failed: {} {}", sol_.name, s, e.code, e.message);
                }
            } else if (!d.value().result()) {
                fetch_error[s] = "null result";
            } else {
                fetched[s] = std::move(*d.value().result());
            }
        }
    };
    {
        std::vector<std::thread> threads;
        const std::size_t n = std::min(rpc_.size(), std::max<std::size_t>(1, to_fetch.size()));
        for (std::size_t i = 0; i < n; ++i) {
            threads.emplace_back(worker, std::ref(*rpc_[i]));
        }
        for (auto& t : threads) {
            t.join();
        }
    }

    // Walk the listed blocks in order from the watermark's anchor, checking linkage.
    std::optional<known_block> prev;
    const auto colon = anchor.find(':');
    if (colon != std::string::npos) {
        if (const auto ps = schema::parse_u64(anchor.substr(0, colon))) {
            prev = known_block{*ps, anchor.substr(colon + 1), "", 0, "finalized"};
        }
    }
    std::uint64_t verified_to = *w;
    std::string verified_anchor = anchor;
    std::vector<row> rows;
    std::uint64_t recovered = 0;
    std::uint64_t first_recovered = 0;
    std::uint64_t last_recovered = 0;
    std::uint64_t skipped = 0;
    const auto received = now_ms();
    for (const auto s : slots) {
        known_block cur;
        const sol::block* full = nullptr;
        if (const auto it = fetched.find(s); it != fetched.end()) {
            full = &it->second;
            cur = {s, full->blockhash, full->previous_blockhash, full->parent_slot, "finalized"};
        } else if (const auto st = stored.find(s); st != stored.end()) {
            cur = st->second;
        } else {
            spdlog::debug("solana backfill {}: slot {} not available yet ({}); round stops here", sol_.name, s,
                fetch_error.contains(s) ? fetch_error[s] : "not fetched");
            break;
        }
        if (prev && prev->slot >= a - 1) {
            const bool linked = cur.parent_slot == prev->slot && (prev->blockhash.empty() || cur.previous_blockhash == prev->blockhash);
            if (!linked && cur.parent_slot > prev->slot && cur.parent_slot < s) {
                spdlog::warn("solana backfill {}: block {} has parent {} which getBlocks did not list; retrying later",
                    sol_.name, s, cur.parent_slot);
                break;
            }
            if (!linked) {
                spdlog::error("solana backfill {}: finalized block {} does not link to {} (parent {}, previous {} vs {}); "
                              "not advancing",
                    sol_.name, s, prev->slot, cur.parent_slot, cur.previous_blockhash, prev->blockhash);
                break;
            }
        }
        // Every slot strictly between the previous finalized block and this one is skipped, or
        // orphaned when this node had a bank for it.
        const std::uint64_t from = prev ? prev->slot + 1 : a;
        for (std::uint64_t k = std::max(from, a); k < s; ++k) {
            slot_fact fact;
            fact.slot = k;
            fact.status = seen_slots.contains(k) ? "orphaned" : "skipped";
            for (auto& r : map_slot_fact(tables_, fact, sol_.name).rows) {
                rows.push_back(std::move(r));
            }
            ++skipped;
        }
        if (full != nullptr) {
            auto m = map_solana_block(tables_, s, *full, "finalized", solana_origin::rpc_backfill, sol_.name, received);
            if (!m.error.empty()) {
                spdlog::error("solana backfill {}: block {} cannot be stored: {}", sol_.name, s, m.error);
                break;
            }
            m_replaced_.inc(m.replaced);
            for (auto& r : m.rows) {
                rows.push_back(std::move(r));
            }
            if (recovered == 0) {
                first_recovered = s;
            }
            last_recovered = s;
            ++recovered;
        } else if (cur.commitment != "finalized") {
            // Stored from the WebSocket at a lower commitment and linked into the finalized chain.
            sol::block upgrade;
            upgrade.blockhash = cur.blockhash;
            upgrade.previous_blockhash = cur.previous_blockhash;
            upgrade.parent_slot = cur.parent_slot;
            upgrade.details = sol::transaction_details::none;
            for (auto& r : map_solana_block(tables_, s, upgrade, "finalized", solana_origin::websocket, sol_.name, received).rows) {
                if (r.table != tables_.transactions) {
                    rows.push_back(std::move(r));
                }
            }
        } else {
            slot_fact fact;
            fact.slot = s;
            fact.status = "finalized";
            fact.parent = cur.parent_slot;
            for (auto& r : map_slot_fact(tables_, fact, sol_.name).rows) {
                rows.push_back(std::move(r));
            }
        }
        prev = cur;
        verified_to = s;
        verified_anchor = fmt::format("{}:{}", s, cur.blockhash);
    }
    if (verified_to == *w) {
        return false;
    }
    // Queue in groups; the last one carries the watermark (and the gap record), so it commits
    // with, or after, every row it covers.
    constexpr std::size_t rows_per_group = 4000;
    for (std::size_t i = 0; i < rows.size(); i += rows_per_group) {
        row_group g;
        g.origin = sol_.name + "/backfill";
        const auto end = std::min(rows.size(), i + rows_per_group);
        for (std::size_t k = i; k < end; ++k) {
            g.rows.push_back(std::move(rows[k]));
        }
        if (end == rows.size()) {
            g.rows.push_back(row_for_watermark(gaps_, sol_.name, watermark_key, verified_to, verified_anchor));
            if (recovered > 0) {
                g.rows.push_back(row_for_gap_insert(gaps_, {"solana", sol_.name, "solana_missing_blocks", std::nullopt,
                    first_recovered, last_recovered, std::nullopt, "filled", recovered}));
            }
        }
        queue_.push_wait(std::move(g));
    }
    if (rows.empty()) {
        row_group g;
        g.origin = sol_.name + "/backfill";
        g.rows.push_back(row_for_watermark(gaps_, sol_.name, watermark_key, verified_to, verified_anchor));
        queue_.push_wait(std::move(g));
    }
    queued_watermark_ = verified_to;
    queued_anchor_ = verified_anchor;
    m_blocks_.inc(recovered);
    recovered_.fetch_add(recovered);
    if (recovered > 0 || skipped > 0) {
        const double secs =
            std::max(1e-3, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        spdlog::info("solana backfill {}: slots {}..{} verified against the finalized chain: {} blocks loaded over RPC "
                     "({:.0f} blocks/s), {} skipped/orphaned slots marked, {} slots behind the finalized tip {}",
            sol_.name, a, verified_to, recovered, static_cast<double>(recovered) / secs, skipped, f - verified_to, f);
    }
    return true;
}

void solana_backfill::run() {
    if (sol_.rpc_url.empty()) {
        spdlog::warn("solana backfill {}: no solana.rpc_url configured; completeness is not checked", sol_.name);
        return;
    }
    while (!stopping_.load()) {
        bool progressed = false;
        try {
            progressed = round();
        } catch (const std::exception& e) {
            spdlog::warn("solana backfill {}: {}; retrying", sol_.name, e.what());
        }
        // After progress, give the writer a moment to commit the watermark, then go on.
        if (!wait(progressed ? std::chrono::milliseconds{300} : std::chrono::milliseconds{2000})) {
            break;
        }
    }
}

} // namespace ledgertap::ingest
