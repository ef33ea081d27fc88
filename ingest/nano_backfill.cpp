#include "ingest/nano_backfill.hpp"

#include "schema/codec.hpp"
#include "schema/nano_rpc.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

namespace ledgertap::ingest {

namespace nano = schema::nano;

namespace {

const std::string zero_hash(64, '0');
constexpr std::uint32_t max_attempts = 20;
constexpr std::size_t max_walk = 1'000'000; // blocks one gap may need before we call it unfillable

std::string json_hashes(const std::vector<std::string>& hashes) {
    std::string out = "[";
    for (std::size_t i = 0; i < hashes.size(); ++i) {
        out += (i == 0 ? "\"" : ",\"") + hashes[i] + "\"";
    }
    return out + "]";
}

std::uint64_t to_u64(const pg_value& v) {
    return v ? schema::parse_u64(*v).value_or(0) : 0;
}

} // namespace

nano_backfill::nano_backfill(nano_config nano, backfill_config cfg, std::string conninfo, nano_tables tables,
    gap_tables gaps, bounded_queue& queue, metrics_registry& metrics)
    : nano_(std::move(nano)), cfg_(cfg), tables_(tables), gaps_(gaps), queue_(queue), db_(std::move(conninfo)),
      rpc_(nano_.rpc_url, rpc_options{cfg.rpc_timeout, cfg.rpc_retries, std::chrono::milliseconds{200},
                              std::chrono::milliseconds{5000}, cfg.rpc_rate_limit, nano_.max_response_bytes,
                              nano_.tls_insecure, nano_.tls_ca_file, "nano.max_response_bytes"}),
      m_blocks_(metrics.get_counter("ledgertap_backfill_rows_total", {{"source", nano_.name}},
          "Rows recovered over RPC by the backfiller")),
      m_rpc_errors_(metrics.get_counter("ledgertap_backfill_rpc_errors_total", {{"source", nano_.name}},
          "RPC calls of the backfiller that failed after retries")),
      m_open_gaps_(metrics.get_gauge("ledgertap_open_gaps", {{"source", nano_.name}},
          "Gaps open or being filled")) {}

void nano_backfill::stop() noexcept {
    stopping_.store(true);
    wake_.notify_all();
}

void nano_backfill::request_reconcile() noexcept {
    reconcile_requested_.store(true);
    wake_.notify_all();
}

bool nano_backfill::wait(std::chrono::milliseconds d) {
    std::unique_lock lock{mutex_};
    wake_.wait_for(lock, d, [&] { return stopping_.load() || reconcile_requested_.load(); });
    return !stopping_.load();
}

std::vector<std::string> nano_backfill::stored_among(const std::vector<std::string>& hashes) {
    // char(64)[], the column's type: as text[] the comparison casts every stored hash and scans.
    std::vector<std::string> out;
    if (hashes.empty()) {
        return out;
    }
    for (auto& r : db_.query("SELECT hash FROM nano.blocks WHERE hash = ANY($1::char(64)[])", {pg_text_array(hashes)})) {
        out.push_back(*r[0]);
    }
    return out;
}

std::optional<std::vector<nano::block_info>> nano_backfill::fetch_blocks(const std::vector<std::string>& hashes,
    std::string& error) {
    std::vector<nano::block_info> out;
    for (std::size_t i = 0; i < hashes.size(); i += cfg_.nano_batch) {
        const std::vector<std::string> part(hashes.begin() + static_cast<std::ptrdiff_t>(i),
            hashes.begin() + static_cast<std::ptrdiff_t>(std::min(hashes.size(), i + cfg_.nano_batch)));
        const auto body = fmt::format(R"({{"action":"blocks_info","json_block":"true","include_not_found":"true",)"
                                      R"("include_linked_account":"true","hashes":{}}})", json_hashes(part));
        const auto resp = rpc_.post(body);
        if (!resp.ok) {
            m_rpc_errors_.inc();
            error = "blocks_info: " + resp.error;
            return std::nullopt;
        }
        auto decoded = nano::decode_blocks_info(resp.body);
        if (!decoded) {
            error = "blocks_info: " + decoded.error().detail;
            return std::nullopt;
        }
        if (decoded.value().is_error()) {
            error = "blocks_info: node error: " + decoded.value().error().message;
            return std::nullopt;
        }
        auto& r = decoded.value().result();
        if (!r.blocks_not_found.empty()) {
            error = fmt::format("blocks_info: node has no block {}", r.blocks_not_found.front());
            return std::nullopt;
        }
        for (auto& b : r.blocks) {
            out.push_back(std::move(b));
        }
    }
    return out;
}

void nano_backfill::queue_blocks(const std::vector<nano::block_info>& blocks, std::vector<row> progress,
    const std::string& origin) {
    row_group g;
    g.origin = origin;
    const auto received = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch()).count());
    for (const auto& b : blocks) {
        nano_block_facts f;
        f.block = &b.contents;
        f.hash = b.hash;
        f.account = b.block_account;
        f.height = b.height;
        f.amount = b.amount;
        f.account_balance = b.balance;
        f.local_timestamp_s = b.local_timestamp;
        f.linked_account = b.linked_account;
        f.origin = nano_origin::rpc_backfill;
        f.received_ms = received;
        auto m = map_nano_block(tables_, f, nano_.name);
        if (!m.error.empty()) {
            spdlog::error("nano backfill {}: cannot store block {}: {}", nano_.name, b.hash, m.error);
            continue;
        }
        for (auto& r : m.rows) {
            g.rows.push_back(std::move(r));
        }
    }
    for (auto& r : progress) {
        g.rows.push_back(std::move(r));
    }
    m_blocks_.inc(blocks.size());
    recovered_.fetch_add(blocks.size());
    queue_.push_wait(std::move(g));
}

void nano_backfill::fill(const gap_row& gap) {
    const auto started = std::chrono::steady_clock::now();
    auto fail = [&](const std::string& why, bool permanent) {
        const auto attempts = gap.attempts + 1;
        const bool give_up = permanent || attempts >= max_attempts;
        spdlog::warn("nano backfill {}: gap {} on {} ({}..{}): {}{}", nano_.name, gap.id, gap.account, gap.first,
            gap.last, why, give_up ? " — marked unfillable" : "; will retry");
        row_group g;
        g.origin = nano_.name + "/backfill";
        g.rows.push_back(row_for_gap_update(gaps_, {gap.id, give_up ? "unfillable" : "open", attempts, gap.recovered, why}));
        queue_.push_wait(std::move(g));
    };
    const auto anchor_rows = db_.query("SELECT previous FROM nano.blocks WHERE hash = $1", {gap.anchor});
    if (anchor_rows.empty() || !anchor_rows[0][0]) {
        fail("anchor block " + gap.anchor + " is not stored", true);
        return;
    }
    std::string cursor = *anchor_rows[0][0];
    std::vector<std::string> missing; // newest first
    bool first_call = true;
    while (missing.size() < max_walk && !stopping_.load()) {
        const std::size_t want = cfg_.nano_batch + (first_call ? 0 : 1);
        const auto resp = rpc_.post(fmt::format(R"({{"action":"chain","block":"{}","count":"{}"}})", cursor, want));
        if (!resp.ok) {
            m_rpc_errors_.inc();
            fail("chain: " + resp.error, false);
            return;
        }
        auto decoded = nano::decode_chain(resp.body);
        if (!decoded || decoded.value().is_error()) {
            fail("chain: " + (decoded ? decoded.value().error().message : decoded.error().detail), false);
            return;
        }
        auto hashes = decoded.value().result().blocks;
        if (!first_call && !hashes.empty()) {
            hashes.erase(hashes.begin()); // the cursor itself, already collected
        }
        if (first_call && hashes.empty()) {
            fail("node does not know block " + cursor + " (pruned, or a different network?)", true);
            return;
        }
        first_call = false;
        const auto stored = stored_among(hashes);
        const std::set<std::string> stored_set(stored.begin(), stored.end());
        bool joined = false;
        for (const auto& h : hashes) {
            if (stored_set.contains(h)) {
                joined = true;
                break;
            }
            missing.push_back(h);
        }
        if (joined || hashes.size() + 1 < want || hashes.empty()) {
            break; // joined a stored block, or the chain ended at the open block
        }
        cursor = hashes.back();
    }
    if (missing.empty()) {
        // Everything arrived in the meantime (late or reordered delivery).
        row_group g;
        g.origin = nano_.name + "/backfill";
        g.rows.push_back(row_for_gap_update(gaps_, {gap.id, "filled", gap.attempts + 1, gap.recovered, std::nullopt}));
        queue_.push_wait(std::move(g));
        return;
    }
    std::reverse(missing.begin(), missing.end()); // oldest first
    std::string error;
    auto blocks = fetch_blocks(missing, error);
    if (!blocks) {
        fail(error, false);
        return;
    }
    // Verify: every block confirmed, on the gap's account, linked previous-to-hash, heights
    // contiguous, ending just below the anchor.
    std::sort(blocks->begin(), blocks->end(), [](const auto& a, const auto& b) { return a.height < b.height; });
    for (std::size_t i = 0; i < blocks->size(); ++i) {
        const auto& b = (*blocks)[i];
        if (!b.confirmed) {
            fail("node reports block " + b.hash + " as not confirmed", false);
            return;
        }
        if (b.block_account != gap.account) {
            fail("block " + b.hash + " belongs to " + b.block_account, true);
            return;
        }
        if (i > 0 && (b.contents.previous != (*blocks)[i - 1].hash || b.height != (*blocks)[i - 1].height + 1)) {
            fail("backfilled chain is not linked at block " + b.hash, true);
            return;
        }
    }
    if (blocks->back().hash != *anchor_rows[0][0]) {
        fail("backfilled chain does not end at the anchor's previous block", true);
        return;
    }
    for (std::size_t i = 0; i < blocks->size(); i += cfg_.nano_batch) {
        const std::vector<nano::block_info> part(blocks->begin() + static_cast<std::ptrdiff_t>(i),
            blocks->begin() + static_cast<std::ptrdiff_t>(std::min(blocks->size(), i + cfg_.nano_batch)));
        const bool last = i + cfg_.nano_batch >= blocks->size();
        std::vector<row> progress;
        progress.push_back(row_for_gap_update(gaps_, {gap.id, last ? "filled" : "filling", gap.attempts + 1,
            gap.recovered + std::min(blocks->size(), i + cfg_.nano_batch), std::nullopt}));
        queue_blocks(part, std::move(progress), nano_.name + "/backfill");
    }
    const double secs = std::max(1e-3, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    spdlog::info("nano backfill {}: filled gap {} on {}: {} blocks (heights {}..{}) in {:.2f}s, {:.0f} blocks/s; "
                 "{} recovered since start",
        nano_.name, gap.id, gap.account, blocks->size(), blocks->front().height, blocks->back().height, secs,
        static_cast<double>(blocks->size()) / secs, recovered_.load());
}

void nano_backfill::reconcile_history() {
    const auto resp = rpc_.post(R"({"action":"confirmation_history"})");
    if (!resp.ok) {
        m_rpc_errors_.inc();
        spdlog::warn("nano backfill {}: confirmation_history: {}", nano_.name, resp.error);
        return;
    }
    auto decoded = nano::decode_confirmation_history(resp.body);
    if (!decoded || decoded.value().is_error()) {
        spdlog::warn("nano backfill {}: confirmation_history: {}", nano_.name,
            decoded ? decoded.value().error().message : decoded.error().detail);
        return;
    }
    std::vector<std::string> hashes;
    for (const auto& c : decoded.value().result().confirmations) {
        hashes.push_back(c.hash);
    }
    const auto stored = stored_among(hashes);
    const std::set<std::string> stored_set(stored.begin(), stored.end());
    std::vector<std::string> missing;
    for (const auto& h : hashes) {
        if (!stored_set.contains(h)) {
            missing.push_back(h);
        }
    }
    if (missing.empty()) {
        return;
    }
    std::string error;
    auto blocks = fetch_blocks(missing, error);
    if (!blocks) {
        spdlog::warn("nano backfill {}: {}", nano_.name, error);
        return;
    }
    std::erase_if(*blocks, [](const auto& b) { return !b.confirmed; });
    spdlog::info("nano backfill {}: {} recently cemented blocks were missing (confirmation_history); "
                 "loading them, their predecessors follow as gaps", nano_.name, blocks->size());
    // Interior gaps below these are opened by the writer's gap detection in the same transaction.
    queue_blocks(*blocks, {}, nano_.name + "/reconcile");
}

void nano_backfill::reconcile_accounts() {
    constexpr std::size_t per_round = 500;
    const auto rows = db_.query(
        // Quiet accounts only: an account still receiving confirmations gets them over the
        // WebSocket (or through interior-gap detection); a tail gap is one that went quiet.
        "SELECT account, confirmed_height, confirmed_frontier FROM nano.accounts "
        "WHERE updated_at < now() - interval '3 seconds' ORDER BY account LIMIT $1 OFFSET $2",
        {std::to_string(per_round), std::to_string(account_cursor_)});
    account_cursor_ = rows.size() < per_round ? 0 : account_cursor_ + rows.size();
    for (const auto& r : rows) {
        if (stopping_.load()) {
            return;
        }
        const std::string account = *r[0];
        const std::uint64_t ours = to_u64(r[1]);
        const auto resp = rpc_.post(fmt::format(R"({{"action":"account_info","account":"{}"}})", account));
        if (!resp.ok) {
            m_rpc_errors_.inc();
            continue;
        }
        auto info = nano::decode_account_info(resp.body);
        if (!info || info.value().is_error()) {
            continue;
        }
        const auto node_height = info.value().result().confirmed_height;
        if (node_height <= ours || !r[2]) {
            continue;
        }
        // Tail gap: (ours, node_height]. Walk successors from our frontier.
        const auto succ = rpc_.post(fmt::format(R"({{"action":"successors","block":"{}","count":"{}"}})", *r[2],
            node_height - ours + 1));
        if (!succ.ok) {
            m_rpc_errors_.inc();
            continue;
        }
        auto hashes = nano::decode_successors(succ.body);
        if (!hashes || hashes.value().is_error() || hashes.value().result().blocks.size() < 2) {
            continue;
        }
        std::vector<std::string> missing(hashes.value().result().blocks.begin() + 1, hashes.value().result().blocks.end());
        std::string error;
        auto blocks = fetch_blocks(missing, error);
        if (!blocks) {
            spdlog::warn("nano backfill {}: tail of {}: {}", nano_.name, account, error);
            continue;
        }
        std::erase_if(*blocks, [](const auto& b) { return !b.confirmed; });
        if (blocks->empty()) {
            continue;
        }
        spdlog::info("nano backfill {}: tail gap on {}: heights {}..{} confirmed while disconnected; loading {} blocks",
            nano_.name, account, ours + 1, node_height, blocks->size());
        std::vector<row> progress;
        progress.push_back(row_for_gap_insert(gaps_, {"nano", nano_.name, "nano_account_tail", account, ours + 1,
            node_height, *r[2], "filled", blocks->size()}));
        queue_blocks(*blocks, std::move(progress), nano_.name + "/reconcile");
    }
}

void nano_backfill::reconcile() {
    reconcile_history();
    reconcile_accounts();
}

void nano_backfill::run() {
    if (nano_.rpc_url.empty()) {
        spdlog::warn("nano backfill {}: no nano.rpc_url configured; gaps will be recorded but not filled", nano_.name);
        return;
    }
    auto last_reconcile = std::chrono::steady_clock::now();
    while (!stopping_.load()) {
        try {
            const auto now = std::chrono::steady_clock::now();
            if (reconcile_requested_.exchange(false) || now - last_reconcile >= cfg_.reconcile_interval) {
                last_reconcile = now;
                reconcile();
            }
            const auto rows = db_.query(
                "SELECT id, kind, account, first_slot, last_slot, anchor_hash, attempts, recovered FROM ledgertap.gaps "
                "WHERE chain = 'nano' AND source = $1 AND status IN ('open', 'filling') AND kind = 'nano_account_chain' "
                "ORDER BY detected_at LIMIT 100",
                {nano_.name});
            m_open_gaps_.set(static_cast<double>(rows.size()));
            for (const auto& r : rows) {
                if (stopping_.load()) {
                    break;
                }
                gap_row g;
                g.id = static_cast<std::int64_t>(to_u64(r[0]));
                g.kind = r[1].value_or("");
                g.account = r[2].value_or("");
                g.first = to_u64(r[3]);
                g.last = to_u64(r[4]);
                g.anchor = r[5].value_or("");
                g.attempts = static_cast<std::uint32_t>(to_u64(r[6]));
                g.recovered = to_u64(r[7]);
                fill(g);
            }
            if (!rows.empty()) {
                // Let the writer commit what was queued before looking at the gaps again.
                wait(std::chrono::milliseconds{500});
                continue;
            }
        } catch (const std::exception& e) {
            spdlog::warn("nano backfill {}: {}; retrying", nano_.name, e.what());
        }
        wait(std::chrono::milliseconds{1000});
    }
}

} // namespace ledgertap::ingest
