#include "sim/nano_node.hpp"

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace ledgertap::sim {

namespace {

using nano::bytes32;
using nano::confirmation_kind;
using nano::u128;

constexpr std::size_t max_vote_hashes = 255;
constexpr std::size_t recent_limit = 64;
constexpr std::size_t firehose_batch = 128;
constexpr std::uint32_t peer_count = 16;
constexpr std::uint32_t final_quorum_voters = 6;
constexpr std::chrono::milliseconds vote_period{100};
constexpr std::chrono::milliseconds telemetry_period{2000};
constexpr std::chrono::milliseconds work_period{3000};
constexpr std::chrono::milliseconds housekeeping_period{100};
constexpr std::uint64_t reorder_max_age_ms = 250;
constexpr std::chrono::milliseconds held_timeout_delay{3000};
/// --frame-rate: how often the pacer releases the notifications that have come due.
constexpr std::chrono::microseconds pace_period{1000};
/// --frame-rate: the most release slots a late pacer makes up for at once.
constexpr std::chrono::milliseconds max_pace_backlog{500};

std::uint64_t steady_us() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

constexpr std::array<std::string_view, nano_node::topic_count> topic_names{
    "confirmation",
    "started_election",
    "stopped_election",
    "vote",
    "ack",
    "work",
    "bootstrap",
    "telemetry",
    "new_unconfirmed_block"};

std::optional<nano_node::topic> to_topic(std::string_view name) {
    for (std::size_t i = 0; i < topic_names.size(); ++i) {
        if (topic_names[i] == name) {
            return static_cast<nano_node::topic>(i);
        }
    }
    return std::nullopt;
}

std::size_t topic_index(nano_node::topic t) {
    return static_cast<std::size_t>(t);
}

std::uint8_t kind_bit(confirmation_kind kind) {
    switch (kind) {
    case confirmation_kind::active_quorum:
        return 1;
    case confirmation_kind::active_confirmation_height:
        return 2;
    case confirmation_kind::inactive:
        return 4;
    }
    return 0;
}

// ---- property-tree reading of client messages ----------------------------------------------

std::string ptree_text(const rapidjson::Value& v) {
    if (v.IsString()) {
        return {v.GetString(), v.GetStringLength()};
    }
    if (v.IsBool()) {
        return v.GetBool() ? "true" : "false";
    }
    if (v.IsNull()) {
        return "null";
    }
    return {};
}

const rapidjson::Value* member(const rapidjson::Value& obj, std::string_view key) {
    if (!obj.IsObject()) {
        return nullptr;
    }
    const auto it = obj.FindMember(rapidjson::StringRef(key.data(), key.size()));
    return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string get_text(const rapidjson::Value& obj, std::string_view key) {
    const rapidjson::Value* v = member(obj, key);
    return v == nullptr ? std::string() : ptree_text(*v);
}

bool get_bool(const rapidjson::Value& obj, std::string_view key, bool fallback) {
    const rapidjson::Value* v = member(obj, key);
    if (v == nullptr) {
        return fallback;
    }
    const std::string text = ptree_text(*v);
    if (text == "true" || text == "1") {
        return true;
    }
    if (text == "false" || text == "0") {
        return false;
    }
    return fallback;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x))
                      == std::tolower(static_cast<unsigned char>(y));
           });
}

/// The children of a ptree node as address texts (an array's elements; nothing for a scalar).
void for_each_child_text(
    const rapidjson::Value& v, const std::function<void(const std::string&)>& fn) {
    if (v.IsArray()) {
        for (const auto& element : v.GetArray()) {
            fn(ptree_text(element));
        }
    } else if (v.IsObject()) {
        for (const auto& m : v.GetObject()) {
            fn(ptree_text(m.value));
        }
    }
}

nano_node::confirmation_subscription parse_confirmation_options(const rapidjson::Value* options) {
    nano_node::confirmation_subscription sub;
    if (options == nullptr) {
        return sub;
    }
    sub.has_options = true;
    const rapidjson::Value& o = *options;
    const std::string type = get_text(o, "confirmation_type");
    if (iequals(type, "active")) {
        sub.types = 3;
    } else if (iequals(type, "active_quorum")) {
        sub.types = 1;
    } else if (iequals(type, "active_confirmation_height")) {
        sub.types = 2;
    } else if (iequals(type, "inactive")) {
        sub.types = 4;
    } else {
        sub.types = 7;
    }
    sub.view.include_block = get_bool(o, "include_block", true);
    sub.view.election_info = get_bool(o, "include_election_info", false);
    sub.view.with_votes = get_bool(o, "include_election_info_with_votes", false);
    sub.view.sideband = get_bool(o, "include_sideband_info", false);
    sub.view.linked_account = get_bool(o, "include_linked_account", false);
    if (get_bool(o, "all_local_accounts", false)) {
        sub.account_filtering = true; // the simulated node has no wallets: no local accounts
    }
    if (const rapidjson::Value* accounts = member(o, "accounts")) {
        sub.account_filtering = true;
        for_each_child_text(*accounts, [&sub](const std::string& text) {
            if (const auto key = schema::nano::decode_account(text)) {
                sub.accounts.insert(*key);
            }
        });
    }
    return sub;
}

nano_node::vote_subscription parse_vote_options(const rapidjson::Value* options) {
    nano_node::vote_subscription sub;
    if (options == nullptr) {
        return sub;
    }
    sub.has_options = true;
    sub.include_replays = get_bool(*options, "include_replays", false);
    sub.include_indeterminate = get_bool(*options, "include_indeterminate", false);
    if (const rapidjson::Value* reps = member(*options, "representatives")) {
        for_each_child_text(*reps, [&sub](const std::string& text) {
            if (const auto key = schema::nano::decode_account(text)) {
                sub.representatives.insert(*key);
            }
        });
    }
    return sub;
}

ws_frame frame_of(std::string&& buffer) {
    return ws_frame::adopt(std::move(buffer));
}

std::string json_counts(const std::array<std::uint64_t, nano_node::topic_count>& sent) {
    std::string out = "{";
    bool first = true;
    for (std::size_t i = 0; i < sent.size(); ++i) {
        if (!first) {
            out.push_back(',');
        }
        first = false;
        append_json_string(out, topic_names[i]);
        out.push_back(':');
        out.append(std::to_string(sent[i]));
    }
    out.push_back('}');
    return out;
}

} // namespace

// ---- construction ------------------------------------------------------------------------------

nano_node::nano_node(const options& opts, server& srv, truth_writer& truth)
  : opts_(opts)
  , server_(srv)
  , truth_(truth)
  , ledger_(opts.seed, opts.nano_accounts)
  , rpc_(
        ledger_,
        [this] { return now_ms(); },
        [this](std::uint32_t index) { block_confirm_rpc(index); })
  , flow_rng_(opts.seed * 0x9e3779b97f4a7c15ULL + 0x6e616e6fULL) {
    for (std::size_t i = 0; i < ledger_.representatives().size(); ++i) {
        weights_.push_back((u128{1} << 123U) / (i + 1));
    }
    for (std::uint32_t i = 0; i < peer_count; ++i) {
        bytes32 id{};
        std::uint64_t x = opts.seed ^ (0x7065657200000000ULL + i);
        for (std::size_t b = 0; b < id.size(); ++b) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            id[b] = static_cast<std::uint8_t>(x >> 56U);
        }
        peer_ids_.push_back(id);
    }

    // History: blocks that predate every client, all confirmed.
    started_ms_ = now_ms();
    const std::uint64_t history = opts.history;
    for (std::uint64_t i = 0; i < history; ++i) {
        const std::uint64_t age_s = history - i;
        const std::uint64_t t_s = started_ms_ / 1000 > age_s ? started_ms_ / 1000 - age_s : 0;
        const std::uint32_t index = ledger_.generate(t_s);
        nano::election_summary summary;
        summary.duration_ms = 200 + flow_rng_() % 600;
        summary.time_ms = t_s * 1000;
        summary.tally = weights_[0] * 3;
        summary.final_tally = weights_[0] * 2;
        summary.voters = final_quorum_voters;
        summary.request_count = 1;
        ledger_.confirm(index, confirmation_kind::active_quorum, t_s * 1000, summary);
        write_truth_block(ledger_.at(index));
    }

    server_.add(ws_endpoint{"nano_ws", opts.nano_ws_port, this});
    http_endpoint rpc_endpoint;
    rpc_endpoint.name = "nano_rpc";
    rpc_endpoint.port = opts.nano_rpc_port;
    rpc_endpoint.handler = [this](std::string_view body) { return rpc_.handle(body); };
    rpc_endpoint.delay = std::chrono::milliseconds(opts.rpc_delay_ms);
    rpc_endpoint.error_rate = opts.rpc_error_rate;
    rpc_endpoint.error_reply = [](std::string_view) {
        return http_reply{
            200, nano::rpc::error_body("Internal server error in RPC"), "application/json"};
    };
    rpc_endpoint.error_seed = opts.seed ^ 0x727063ULL;
    rpc_endpoint.not_post_reply
        = http_reply{200, nano::rpc::error_body("Can only POST requests"), "application/json"};
    server_.add(std::move(rpc_endpoint));
}

nano_node::~nano_node() = default;

void nano_node::start() {
    server_.post([this] { begin(); });
}

void nano_node::stop() {
    truth_record summary("nano_summary");
    summary.add("blocks", std::uint64_t{ledger_.size()});
    summary.add("cemented", ledger_.cemented());
    summary.add("accounts", std::uint64_t{ledger_.accounts().size()});
    summary.add("genesis", nano::hex(ledger_.genesis_hash()));
    summary.add("seed", opts_.seed);
    truth_.write(summary);
    truth_.flush();
}

std::uint64_t nano_node::now_ms() const {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

double nano_node::uniform(std::mt19937_64& rng) const {
    return static_cast<double>(rng() >> 11U) * 0x1.0p-53;
}

void nano_node::begin() {
    running_ = true;
    started_ms_ = now_ms();
    if (opts_.frame_rate > 0) {
        pace_start_us_ = steady_us();
        pace_tick();
    } else if (!opts_.firehose) {
        next_tick_us_ = steady_us();
        tick();
    }
    server_.schedule(vote_period, [this] { vote_tick(); });
    server_.schedule(std::chrono::milliseconds(250), [this] { telemetry_tick(); });
    server_.schedule(std::chrono::milliseconds(500), [this] { work_tick(); });
    server_.schedule(housekeeping_period, [this] { housekeeping_tick(); });
    if (opts_.outage) {
        const auto start
            = std::chrono::microseconds(static_cast<std::int64_t>(opts_.outage->start_s * 1e6));
        const auto length
            = std::chrono::microseconds(static_cast<std::int64_t>(opts_.outage->length_s * 1e6));
        server_.schedule(start, [this] {
            outage_active_ = true;
            spdlog::info("sim: nano outage begins");
            for (auto& [id, st] : sessions_) {
                st->end = "outage";
                st->ws->abort();
            }
        });
        server_.schedule(start + length, [this] {
            outage_active_ = false;
            spdlog::info("sim: nano outage ends");
        });
    }
}

// ---- the chain moving on -----------------------------------------------------------------------

void nano_node::tick() {
    if (!produce_block()) {
        return; // --produce-for elapsed: the chain stands still, the node keeps serving
    }
    const auto period_us = static_cast<std::uint64_t>(1e6 / opts_.rate);
    next_tick_us_ += std::max<std::uint64_t>(1, period_us);
    const auto now_us = steady_us();
    const std::uint64_t delay = next_tick_us_ > now_us ? next_tick_us_ - now_us : 1;
    server_.schedule(std::chrono::microseconds(delay), [this] { tick(); });
}

void nano_node::later(std::chrono::microseconds delay, std::function<void()> fn) {
    if (opts_.frame_rate <= 0) {
        server_.schedule(delay, std::move(fn));
        return;
    }
    // Thousands of blocks per second each wait on a timer or two; lws keeps its timers in a
    // sorted list (O(n) insertion), which then takes the whole service thread.
    flow_timers_.emplace(steady_us() + static_cast<std::uint64_t>(delay.count()), std::move(fn));
}

void nano_node::pace_tick() {
    server_.schedule(pace_period, [this] { pace_tick(); });
    const std::uint64_t now_us = steady_us();
    while (!flow_timers_.empty() && flow_timers_.begin()->first <= now_us) {
        const std::function<void()> fn = std::move(flow_timers_.begin()->second);
        flow_timers_.erase(flow_timers_.begin());
        fn();
    }
    // Slot k (k = 0, 1, ...) opens at pace_start_us_ + k / N seconds; every slot up to now is
    // filled with the oldest waiting notification, so the count over any window is N per second
    // give or take one pace_period. When nothing waits, the next block is produced; when even
    // that yields nothing (--produce-for elapsed), the slots are skipped rather than saved up.
    const auto due = static_cast<std::uint64_t>(
        static_cast<double>(now_us - pace_start_us_) * opts_.frame_rate / 1e6);
    // A simulator starved of CPU for more than max_pace_backlog catches up on that much only, so
    // it cannot fall into ever longer catch-up bursts; the frames it could not send are lost.
    const auto backlog_cap = static_cast<std::uint64_t>(
        opts_.frame_rate * std::chrono::duration<double>(max_pace_backlog).count());
    if (due > paced_released_ + backlog_cap) {
        if (!pace_behind_warned_) {
            pace_behind_warned_ = true;
            spdlog::warn(
                "sim: --frame-rate {}: more than {} ms behind (not enough CPU); skipping the "
                "backlog, so fewer frames than asked are sent",
                opts_.frame_rate,
                std::chrono::duration_cast<std::chrono::milliseconds>(max_pace_backlog).count());
        }
        paced_released_ = due - backlog_cap;
    }
    while (paced_released_ < due) {
        if (paced_.empty() && (!produce_block() || paced_.empty())) {
            paced_released_ = due;
            return;
        }
        const std::function<void()> deliver_now = std::move(paced_.front());
        paced_.pop_front();
        deliver_now();
        ++paced_released_;
    }
}

bool nano_node::produce_block() {
    if (opts_.produce_for_s > 0
        && static_cast<double>(now_ms() - started_ms_) >= opts_.produce_for_s * 1000.0) {
        return false;
    }
    const std::uint32_t index = ledger_.generate(now_s());
    const nano::block& b = ledger_.at(index);
    {
        std::string buffer = ws_frame::start_buffer(1024);
        nano::append_new_unconfirmed_block(buffer, ledger_, b, now_ms());
        broadcast(topic::new_unconfirmed_block, frame_of(std::move(buffer)));
    }
    const double fate = uniform(flow_rng_);
    if (fate < 0.07) {
        // Cemented later as a dependency, without an election of its own (inactive).
        held_.insert(index);
        later(held_timeout_delay, [this, index] { held_timeout(index); });
    } else if (fate < 0.14) {
        // Has an election, but is cemented as a dependency (active_confirmation_height).
        held_.insert(index);
        start_election(index);
        later(held_timeout_delay, [this, index] { held_timeout(index); });
    } else if (fate < 0.17) {
        // The election is dropped, restarted, then confirmed.
        start_election(index);
        later(std::chrono::milliseconds(150), [this, index] { stop_election(index); });
        later(std::chrono::milliseconds(400), [this, index] { start_election(index); });
        later(std::chrono::milliseconds(900), [this, index] { confirm_election(index); });
    } else {
        start_election(index);
        const auto delay = std::chrono::milliseconds(250 + flow_rng_() % 200);
        later(delay, [this, index] { confirm_election(index); });
    }
    if (b.type == nano::block_type::state && b.height > 1 && uniform(flow_rng_) < 0.03) {
        // A losing fork joins the election; it is stopped when the winner is confirmed.
        const nano::block fork = ledger_.make_fork(index, flow_rng_());
        election e;
        e.index = index;
        e.hash = fork.hash;
        e.fork = true;
        e.start_ms = now_ms();
        e.votes.resize(ledger_.representatives().size());
        elections_[fork.hash] = std::move(e);
        forks_[index].push_back(fork.hash);
    }
    return true;
}

void nano_node::start_election(std::uint32_t index) {
    const nano::block& b = ledger_.at(index);
    if (b.confirmed || elections_.contains(b.hash)) {
        return;
    }
    election e;
    e.index = index;
    e.hash = b.hash;
    e.start_ms = now_ms();
    e.votes.resize(ledger_.representatives().size());
    elections_[b.hash] = std::move(e);
    std::string buffer = ws_frame::start_buffer(256);
    nano::append_election_event(buffer, "started_election", b.hash, now_ms());
    broadcast(topic::started_election, frame_of(std::move(buffer)));
}

void nano_node::stop_election(std::uint32_t index) {
    const nano::block& b = ledger_.at(index);
    if (b.confirmed || elections_.erase(b.hash) == 0) {
        return;
    }
    std::string buffer = ws_frame::start_buffer(256);
    nano::append_election_event(buffer, "stopped_election", b.hash, now_ms());
    broadcast(topic::stopped_election, frame_of(std::move(buffer)));
}

void nano_node::confirm_election(std::uint32_t index) {
    if (ledger_.at(index).confirmed) {
        return;
    }
    held_.erase(index);
    cement(index, confirmation_kind::active_quorum);
}

void nano_node::held_timeout(std::uint32_t index) {
    if (ledger_.at(index).confirmed || !held_.contains(index)) {
        return;
    }
    held_.erase(index);
    if (!elections_.contains(ledger_.at(index).hash)) {
        start_election(index);
        later(std::chrono::milliseconds(300), [this, index] { confirm_election(index); });
        return;
    }
    confirm_election(index);
}

void nano_node::cement(std::uint32_t index, confirmation_kind kind) {
    for (const std::uint32_t dependency : ledger_.unconfirmed_dependencies(index)) {
        const bool had_election = elections_.contains(ledger_.at(dependency).hash);
        held_.erase(dependency);
        finish(
            dependency,
            had_election ? confirmation_kind::active_confirmation_height
                         : confirmation_kind::inactive);
    }
    finish(index, kind);
}

void nano_node::finish(std::uint32_t index, confirmation_kind kind) {
    const nano::block& b = ledger_.at(index);
    const std::uint64_t now = now_ms();
    nano::election_summary summary;
    std::vector<nano::vote_entry> votes;
    const auto it = elections_.find(b.hash);
    if (kind == confirmation_kind::active_quorum && it != elections_.end()) {
        election& e = it->second;
        // Make sure a quorum of final votes was seen before the confirmation.
        std::uint32_t finals = 0;
        for (const rep_vote& v : e.votes) {
            finals += v.final_vote ? 1U : 0U;
        }
        for (std::size_t rep = 0; rep < e.votes.size() && finals < final_quorum_voters; ++rep) {
            if (!e.votes[rep].final_vote) {
                e.votes[rep].voted = true;
                e.votes[rep].final_vote = true;
                e.votes[rep].timestamp = nano::final_vote_timestamp;
                send_vote(rep, nano::final_vote_timestamp, 15, {b.hash}, "vote");
                ++finals;
            }
        }
        for (std::size_t rep = 0; rep < e.votes.size(); ++rep) {
            const rep_vote& v = e.votes[rep];
            if (!v.voted) {
                continue;
            }
            summary.tally += weights_[rep];
            if (v.final_vote) {
                summary.final_tally += weights_[rep];
            }
            ++summary.voters;
            votes.push_back(
                nano::vote_entry{ledger_.representatives()[rep], v.timestamp, weights_[rep]});
        }
        std::sort(votes.begin(), votes.end(), [](const auto& x, const auto& y) {
            return x.weight > y.weight;
        });
        summary.duration_ms = now - e.start_ms;
        summary.time_ms = now;
        summary.request_count = 1 + static_cast<std::uint32_t>(flow_rng_() % 3);
    } else if (kind == confirmation_kind::active_quorum) {
        kind = confirmation_kind::inactive;
    }
    if (it != elections_.end()) {
        elections_.erase(it);
    }
    ledger_.confirm(index, kind, now, summary);
    write_truth_block(b);
    broadcast_confirmation(index, kind, summary, votes);

    recently_confirmed_.push_back(b.hash);
    if (recently_confirmed_.size() > recent_limit) {
        recently_confirmed_.erase(recently_confirmed_.begin());
    }
    const auto forks = forks_.find(index);
    if (forks != forks_.end()) {
        for (const bytes32& fork : forks->second) {
            elections_.erase(fork);
            std::string buffer = ws_frame::start_buffer(256);
            nano::append_election_event(buffer, "stopped_election", fork, now);
            broadcast(topic::stopped_election, frame_of(std::move(buffer)));
        }
        forks_.erase(forks);
    }
}

void nano_node::block_confirm_rpc(std::uint32_t index) {
    const nano::block& b = ledger_.at(index);
    if (!b.confirmed) {
        start_election(index);
        later(std::chrono::milliseconds(300), [this, index] { confirm_election(index); });
        return;
    }
    // The node re-notifies a confirmed block as active_confirmation_height.
    broadcast_confirmation(index, confirmation_kind::active_confirmation_height, {}, {});
}

void nano_node::vote_tick() {
    server_.schedule(vote_period, [this] { vote_tick(); });
    if (opts_.firehose && elections_.empty()) {
        return;
    }
    const std::uint64_t now = now_ms();
    const std::size_t reps = ledger_.representatives().size();
    for (std::size_t rep = 0; rep < reps; ++rep) {
        std::vector<bytes32> first;
        std::vector<bytes32> finals;
        for (auto& [hash, e] : elections_) {
            if (now < e.start_ms + 30) {
                continue;
            }
            rep_vote& v = e.votes[rep];
            if (e.fork) {
                // A couple of representatives back the fork, once.
                if (!v.voted && rep % 8 == 3 && uniform(flow_rng_) < 0.5) {
                    v.voted = true;
                    v.timestamp = now & ~std::uint64_t{0xf};
                    first.push_back(hash);
                }
                continue;
            }
            if (!v.voted) {
                if (uniform(flow_rng_) < 0.5) {
                    v.voted = true;
                    v.timestamp = now & ~std::uint64_t{0xf};
                    first.push_back(hash);
                }
            } else if (!v.final_vote && uniform(flow_rng_) < 0.5) {
                v.final_vote = true;
                v.timestamp = nano::final_vote_timestamp;
                finals.push_back(hash);
            }
        }
        if (!first.empty()) {
            // A replay is a vote the node has seen before: the same signed vote, delivered again.
            std::vector<nano::bytes64> signatures;
            send_vote(rep, now & ~std::uint64_t{0xf}, 9, first, "vote", signatures);
            if (uniform(flow_rng_) < 0.1) {
                send_vote(rep, now & ~std::uint64_t{0xf}, 9, first, "replay", signatures);
            }
        }
        if (!finals.empty()) {
            send_vote(rep, nano::final_vote_timestamp, 15, finals, "vote");
        }
    }
    if (!recently_confirmed_.empty() && uniform(flow_rng_) < 0.3) {
        const std::size_t rep = flow_rng_() % reps;
        const std::size_t n
            = 1 + flow_rng_() % std::min<std::size_t>(3, recently_confirmed_.size());
        const std::vector<bytes32> hashes(
            recently_confirmed_.end() - static_cast<std::ptrdiff_t>(n), recently_confirmed_.end());
        send_vote(rep, nano::final_vote_timestamp, 15, hashes, "indeterminate");
    }
}

void nano_node::send_vote(
    std::size_t rep,
    std::uint64_t timestamp,
    std::uint8_t duration,
    const std::vector<bytes32>& hashes,
    std::string_view type,
    std::vector<nano::bytes64>& signatures) {
    const bytes32& key = ledger_.representatives()[rep];
    for (std::size_t offset = 0, k = 0; offset < hashes.size(); offset += max_vote_hashes, ++k) {
        const std::size_t n = std::min(max_vote_hashes, hashes.size() - offset);
        if (k == signatures.size()) {
            nano::bytes64 drawn{};
            for (std::size_t i = 0; i < drawn.size(); i += 8) {
                const std::uint64_t x = flow_rng_();
                for (std::size_t j = 0; j < 8; ++j) {
                    drawn[i + j] = static_cast<std::uint8_t>(x >> (8 * j));
                }
            }
            signatures.push_back(drawn);
        }
        const nano::bytes64& signature = signatures[k];
        std::string buffer = ws_frame::start_buffer(600 + 72 * n);
        nano::append_vote(
            buffer,
            key,
            signature,
            timestamp,
            duration,
            std::span<const bytes32>(hashes).subspan(offset, n),
            type,
            now_ms());
        publish([this, key, type = std::string(type), frame = frame_of(std::move(buffer))] {
            deliver_vote(key, type, frame);
        });
    }
}

void nano_node::deliver_vote(const bytes32& key, std::string_view type, const ws_frame& frame) {
    for (auto& [id, st] : sessions_) {
        if (!st->subscribed[topic_index(topic::vote)]) {
            continue;
        }
        const vote_subscription& sub = st->vote;
        if (sub.has_options) {
            if ((type == "replay" && !sub.include_replays)
                || (type == "indeterminate" && !sub.include_indeterminate)) {
                continue;
            }
            if (!sub.representatives.empty() && !sub.representatives.contains(key)) {
                continue;
            }
        }
        deliver(*st, topic::vote, frame);
    }
}

void nano_node::telemetry_tick() {
    server_.schedule(telemetry_period, [this] { telemetry_tick(); });
    const std::uint64_t now = now_ms();
    for (std::uint32_t k = 0; k < 4; ++k) {
        const std::uint64_t peer = (telemetry_round_ * 4 + k) % peer_ids_.size();
        nano::telemetry_view t;
        t.block_count = ledger_.size() + peer % 3;
        t.cemented_count = ledger_.cemented() > peer % 5 ? ledger_.cemented() - peer % 5 : 0;
        t.account_count = ledger_.accounts().size();
        t.peer_count = 200 + static_cast<std::uint32_t>(peer);
        t.uptime_s = 3600 * (peer + 1) + (now - started_ms_) / 1000;
        t.genesis = ledger_.genesis_hash();
        t.node_id = peer_ids_[peer];
        for (std::size_t i = 0; i < t.signature.size(); ++i) {
            t.signature[i] = static_cast<std::uint8_t>(flow_rng_());
        }
        t.address
            = "::ffff:10.7." + std::to_string(peer / 250) + "." + std::to_string(peer % 250 + 1);
        t.port = 7075;
        t.minor_version = static_cast<std::uint8_t>(peer % 3);
        std::string buffer = ws_frame::start_buffer(1100);
        nano::append_telemetry(buffer, t, now);
        broadcast(topic::telemetry, frame_of(std::move(buffer)));
    }
    ++telemetry_round_;
}

void nano_node::work_tick() {
    server_.schedule(work_period, [this] { work_tick(); });
    nano::work_view w;
    const std::uint64_t round = work_round_++;
    w.success = round % 3 != 1;
    w.reason = w.success ? "" : (round % 2 == 0 ? "cancelled" : "failure");
    w.duration_ms = 100 + flow_rng_() % 900;
    for (auto& byte : w.root) {
        byte = static_cast<std::uint8_t>(flow_rng_());
    }
    w.difficulty = 0xfffffff800000000ULL;
    w.multiplier = "1.000000000000000";
    w.source = round % 2 == 0 ? "local" : "192.168.1.101:7000";
    w.work = flow_rng_();
    w.result_difficulty = 0xfffffffa780aff94ULL;
    w.result_multiplier = "1.443932565880426";
    if (!w.success && round % 2 == 1) {
        w.bad_peers = {"192.168.1.102:7000"};
    }
    std::string buffer = ws_frame::start_buffer(700);
    nano::append_work(buffer, w, now_ms());
    broadcast(topic::work, frame_of(std::move(buffer)));
}

void nano_node::housekeeping_tick() {
    server_.schedule(housekeeping_period, [this] { housekeeping_tick(); });
    const std::uint64_t now = now_ms();
    for (auto& [id, st] : sessions_) {
        if (!st->reorder_buffer.empty() && now >= st->reorder_since_ms + reorder_max_age_ms) {
            flush_reorder(*st);
        }
    }
    truth_.flush();
}

void nano_node::firehose_produce() {
    const std::uint64_t now = now_ms();
    const std::uint32_t index = ledger_.generate(now / 1000);
    nano::election_summary summary;
    summary.duration_ms = 100 + (index % 400);
    summary.time_ms = now;
    summary.tally = weights_[0] * 3;
    summary.final_tally = weights_[0] * 2;
    summary.voters = final_quorum_voters;
    summary.request_count = 1;
    ledger_.confirm(index, confirmation_kind::active_quorum, now, summary);
    write_truth_block(ledger_.at(index));
}

void nano_node::write_truth_block(const nano::block& b) {
    if (!truth_.enabled()) {
        return;
    }
    const bool legacy = b.type != nano::block_type::state;
    truth_record r("nano_block");
    r.add("hash", nano::hex(b.hash));
    r.add("account", ledger_.accounts()[b.account].address);
    r.add("previous", nano::hex(b.previous));
    r.add("height", b.height);
    r.add("type", nano::to_string(b.type));
    if (legacy) {
        r.add_raw("subtype", "null");
    } else {
        r.add("subtype", nano::to_string(b.subtype));
    }
    if (b.type == nano::block_type::send || b.type == nano::block_type::receive) {
        r.add_raw("representative", "null");
    } else {
        r.add("representative", nano::address_of(b.representative));
    }
    r.add("balance", nano::decimal(b.balance));
    if (b.type == nano::block_type::change) {
        r.add_raw("link", "null");
    } else {
        r.add("link", nano::hex(b.link));
    }
    r.add("amount", nano::decimal(b.amount));
    r.add("signature", nano::hex(ledger_.signature(b)));
    r.add("work", schema::format_hex_u64(b.work));
    r.add("confirmation_type", nano::to_string(b.how));
    r.add("confirmed_ms", b.confirmed_ms);
    r.add("local_timestamp", b.local_timestamp);
    truth_.write(r);
}

// ---- delivery ----------------------------------------------------------------------------------

bool nano_node::passes(
    const session_state& st, const nano::block& b, confirmation_kind kind) const {
    if (!st.subscribed[topic_index(topic::confirmation)]) {
        return false;
    }
    const confirmation_subscription& sub = st.confirmation;
    if (!sub.has_options) {
        return true;
    }
    if ((sub.types & kind_bit(kind)) == 0) {
        return false;
    }
    if (!sub.account_filtering) {
        return true;
    }
    // The node filters on message.block.link_as_account: no block, or a legacy block, never passes.
    if (!sub.view.include_block || b.type != nano::block_type::state) {
        return false;
    }
    return sub.accounts.contains(ledger_.key(b.account)) || sub.accounts.contains(b.link);
}

void nano_node::publish(std::function<void()> deliver_now) {
    if (opts_.frame_rate > 0) {
        paced_.push_back(std::move(deliver_now));
        return;
    }
    deliver_now();
}

void nano_node::broadcast_confirmation(
    std::uint32_t index,
    confirmation_kind kind,
    const nano::election_summary& summary,
    const std::vector<nano::vote_entry>& votes) {
    if (opts_.frame_rate <= 0) {
        broadcast_confirmation_now(index, kind, summary, votes);
        return;
    }
    publish([this, index, kind, summary, votes] {
        broadcast_confirmation_now(index, kind, summary, votes);
    });
}

void nano_node::broadcast_confirmation_now(
    std::uint32_t index,
    confirmation_kind kind,
    const nano::election_summary& summary,
    const std::vector<nano::vote_entry>& votes) {
    std::array<ws_frame, 32> cache{};
    for (auto& [id, st] : sessions_) {
        if (st->firehose) {
            continue;
        }
        deliver_confirmation(*st, index, kind, summary, votes, &cache);
    }
}

void nano_node::deliver_confirmation(
    session_state& st,
    std::uint32_t index,
    confirmation_kind kind,
    const nano::election_summary& summary,
    const std::vector<nano::vote_entry>& votes,
    std::array<ws_frame, 32>* cache) {
    const nano::block& b = ledger_.at(index);
    if (!passes(st, b, kind)) {
        return;
    }
    const nano::confirmation_view view
        = st.confirmation.has_options ? st.confirmation.view : nano::confirmation_view{};
    const auto build = [&](confirmation_kind k,
                           const nano::election_summary& s,
                           const std::vector<nano::vote_entry>& v) {
        std::string buffer = ws_frame::start_buffer(1400);
        nano::append_confirmation(buffer, ledger_, b, k, s, v, view, now_ms());
        return frame_of(std::move(buffer));
    };
    ws_frame frame;
    if (cache != nullptr) {
        ws_frame& slot = (*cache)[view.key()];
        if (slot.size() == 0) {
            slot = build(kind, summary, votes);
        }
        frame = slot;
    } else {
        frame = build(kind, summary, votes);
    }
    deliver(st, topic::confirmation, frame);
    if (opts_.duplicate > 0.0 && uniform(st.rng) < opts_.duplicate
        && passes(st, b, confirmation_kind::active_confirmation_height)) {
        ++st.duplicated;
        deliver(
            st, topic::confirmation, build(confirmation_kind::active_confirmation_height, {}, {}));
    }
}

void nano_node::broadcast(topic t, const ws_frame& frame) {
    publish([this, t, frame] { broadcast_now(t, frame); });
}

void nano_node::broadcast_now(topic t, const ws_frame& frame) {
    for (auto& [id, st] : sessions_) {
        if (st->subscribed[topic_index(t)]) {
            deliver(*st, t, frame);
        }
    }
}

void nano_node::deliver(session_state& st, topic t, const ws_frame& frame) {
    if (st.ws->closing()) {
        return;
    }
    if (opts_.drop > 0.0 && uniform(st.rng) < opts_.drop) {
        ++st.dropped;
        return;
    }
    if (opts_.reorder > 1) {
        if (st.reorder_buffer.empty()) {
            st.reorder_since_ms = now_ms();
        }
        st.reorder_buffer.emplace_back(t, frame);
        if (st.reorder_buffer.size() >= opts_.reorder) {
            flush_reorder(st);
        }
        return;
    }
    emit(st, t, frame);
}

void nano_node::flush_reorder(session_state& st) {
    std::vector<std::pair<topic, ws_frame>> batch;
    batch.swap(st.reorder_buffer);
    std::shuffle(batch.begin(), batch.end(), st.rng);
    st.reordered += batch.size();
    for (auto& [t, frame] : batch) {
        emit(st, t, frame);
    }
}

void nano_node::emit(session_state& st, topic t, const ws_frame& frame) {
    if (st.ws->closing()) {
        return;
    }
    if (opts_.malformed_every > 0 && ++st.since_malformed >= opts_.malformed_every) {
        st.since_malformed = 0;
        send_malformed(st);
        if (st.ws->closing()) {
            return;
        }
    }
    st.ws->send(frame);
    ++st.sent[topic_index(t)];
    count_frame(st);
}

void nano_node::send_direct(session_state& st, const ws_frame& frame) {
    if (st.ws->closing()) {
        return;
    }
    st.ws->send(frame);
    ++st.acks;
    count_frame(st);
}

void nano_node::send_malformed(session_state& st) {
    const std::uint32_t kind = st.malformed_rotation++ % 3;
    ++st.malformed;
    if (kind == 0) {
        std::string text = "{\n    \"topic\": \"confirmation\",\n    \"time\": \""
                           + std::to_string(now_ms())
                           + "\",\n    \"message\": {\n        \"account\": \"nano_";
        st.ws->send(ws_frame::make(text));
    } else if (kind == 1) {
        std::string bytes;
        for (int i = 0; i < 48; ++i) {
            bytes.push_back(static_cast<char>(st.rng() & 0xffU));
        }
        st.ws->send(ws_frame::make(bytes, ws_frame::kind::binary));
    } else {
        if (!oversized_frame_) {
            std::string buffer = ws_frame::start_buffer(opts_.oversized_bytes);
            const std::string head = "{\n    \"topic\": \"telemetry\",\n    \"time\": \"0\",\n    "
                                     "\"message\": {\n        \"padding\": \"";
            const std::string tail = "\"\n    }\n}\n";
            buffer.append(head);
            const std::size_t fixed = head.size() + tail.size();
            buffer.append(opts_.oversized_bytes > fixed ? opts_.oversized_bytes - fixed : 0, 'x');
            buffer.append(tail);
            oversized_frame_ = frame_of(std::move(buffer));
        }
        st.ws->send(*oversized_frame_);
    }
    count_frame(st);
}

void nano_node::count_frame(session_state& st) {
    ++st.frames;
    if (opts_.disconnect_every > 0 && st.frames % opts_.disconnect_every == 0) {
        st.end = "disconnect_every";
        st.ws->drop();
    }
}

// ---- ws_handler
// ----------------------------------------------------------------------------------

bool nano_node::accept_connection() {
    return !outage_active_;
}

nano_node::session_state* nano_node::state_of(const ws_session& session) {
    const auto it = sessions_.find(session.id());
    return it == sessions_.end() ? nullptr : it->second.get();
}

void nano_node::on_open(ws_session& session) {
    auto st = std::make_unique<session_state>();
    st->ws = &session;
    st->id = session.id();
    st->opened_ms = now_ms();
    st->rng.seed(opts_.seed ^ (session.id() * 0x9e3779b97f4a7c15ULL));
    sessions_[session.id()] = std::move(st);
    if (outage_active_) {
        sessions_[session.id()]->end = "outage";
        session.abort();
    }
}

void nano_node::on_message(ws_session& session, std::string_view message) {
    session_state* st = state_of(session);
    if (st == nullptr) {
        return;
    }
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseNumbersAsStringsFlag>(message.data(), message.size());
    if (doc.HasParseError()) {
        // The node logs "JSON parsing failed", stops reading, and the socket goes away without a
        // close frame once pending writes drain.
        st->end = "client_malformed";
        session.stop_reading();
        session.drop();
        return;
    }
    if (!doc.IsObject()) {
        return;
    }
    std::string action = get_text(doc, "action");
    const std::optional<topic> t = to_topic(get_text(doc, "topic"));
    bool ack = get_bool(doc, "ack", false);
    const std::string id = get_text(doc, "id");
    const rapidjson::Value* options_value = member(doc, "options");
    bool succeeded = false;
    if (action == "subscribe" && t) {
        const std::size_t i = topic_index(*t);
        st->subscribed[i] = true;
        if (*t == topic::confirmation) {
            st->confirmation = parse_confirmation_options(options_value);
            if (opts_.firehose && !st->firehose) {
                st->firehose = true;
                st->cursor = ledger_.confirmation_order().size();
                session.want_writable();
            }
        } else if (*t == topic::vote) {
            st->vote = parse_vote_options(options_value);
        }
        succeeded = true;
    } else if (action == "update") {
        if (t == topic::confirmation && st->subscribed[topic_index(topic::confirmation)]
            && st->confirmation.has_options && options_value != nullptr) {
            confirmation_subscription& sub = st->confirmation;
            const auto update = [&sub](const rapidjson::Value& list, bool insert) {
                sub.account_filtering = true;
                for_each_child_text(list, [&](const std::string& text) {
                    if (const auto key = schema::nano::decode_account(text)) {
                        if (insert) {
                            sub.accounts.insert(*key);
                        } else {
                            sub.accounts.erase(*key);
                        }
                    }
                });
            };
            if (const rapidjson::Value* add = member(*options_value, "accounts_add")) {
                update(*add, true);
            }
            if (const rapidjson::Value* del = member(*options_value, "accounts_del")) {
                update(*del, false);
            }
            succeeded = true;
        }
    } else if (action == "unsubscribe" && t) {
        st->subscribed[topic_index(*t)] = false;
        if (*t == topic::confirmation) {
            st->firehose = false;
        }
        succeeded = true;
    } else if (action == "ping") {
        succeeded = true;
        ack = true;
        action = "pong";
    }
    if (ack && succeeded) {
        std::string buffer = ws_frame::start_buffer(128);
        nano::append_ack(buffer, action, id, now_ms());
        send_direct(*st, frame_of(std::move(buffer)));
    }
}

void nano_node::on_writable(ws_session& session) {
    session_state* st = state_of(session);
    if (st == nullptr || !st->firehose || !running_) {
        return;
    }
    for (std::size_t k = 0; k < firehose_batch && !session.closing(); ++k) {
        if (st->cursor >= ledger_.confirmation_order().size()) {
            firehose_produce();
        }
        const std::uint32_t index = ledger_.confirmation_order()[st->cursor++];
        const nano::block& b = ledger_.at(index);
        deliver_confirmation(*st, index, b.how, b.election, {}, nullptr);
    }
    if (!session.closing()) {
        session.want_writable();
    }
}

void nano_node::on_close(ws_session& session) {
    const auto it = sessions_.find(session.id());
    if (it == sessions_.end()) {
        return;
    }
    const session_state& st = *it->second;
    if (truth_.enabled()) {
        truth_record r("nano_connection");
        r.add("id", st.id);
        r.add("opened_ms", st.opened_ms);
        r.add("closed_ms", now_ms());
        r.add("end", st.end);
        r.add_raw("sent", json_counts(st.sent));
        r.add("acks", st.acks);
        r.add("frames", st.frames);
        r.add("dropped", st.dropped);
        r.add("duplicated", st.duplicated);
        r.add("reordered", st.reordered);
        r.add("malformed", st.malformed);
        r.add("unsent_reorder_buffer", std::uint64_t{st.reorder_buffer.size()});
        truth_.write(r);
    }
    sessions_.erase(it);
}

} // namespace ledgertap::sim
