#pragma once

// The simulated Nano node: a WebSocket endpoint ("nano_ws") speaking the V28 node's protocol with
// its quirks, and an HTTP RPC endpoint ("nano_rpc") over the same deterministic ledger, with the
// fault injection of `options` applied per connection. See sim/README.md.

#include "sim/nano_ledger.hpp"
#include "sim/nano_messages.hpp"
#include "sim/nano_rpc.hpp"
#include "sim/options.hpp"
#include "sim/server.hpp"
#include "sim/truth.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ledgertap::sim {

/// Lifecycle: construct before server::start() (the constructor adds the two endpoints and
/// builds the history), start() after server::start() (schedules the chain on the service
/// thread), server::stop(), then stop() (writes the summary truth record). Everything else runs
/// on the server's service thread. Owns its ledger; does not own the server or the truth writer,
/// which must outlive it.
class nano_node final : public ws_handler {
public:
    nano_node(const options& opts, server& srv, truth_writer& truth);
    nano_node(const nano_node&) = delete;
    nano_node& operator=(const nano_node&) = delete;
    nano_node(nano_node&&) = delete;
    nano_node& operator=(nano_node&&) = delete;
    ~nano_node() override;

    void start();
    void stop();

    /// Service thread only (or after server::stop()).
    [[nodiscard]] const nano::ledger& chain() const { return ledger_; }

    // ws_handler
    [[nodiscard]] bool accept_connection() override;
    void on_open(ws_session& session) override;
    void on_message(ws_session& session, std::string_view message) override;
    void on_writable(ws_session& session) override;
    void on_close(ws_session& session) override;

    enum class topic : std::uint8_t {
        confirmation,
        started_election,
        stopped_election,
        vote,
        ack,
        work,
        bootstrap,
        telemetry,
        new_unconfirmed_block,
    };
    static constexpr std::size_t topic_count = 9;

    /// A session's `confirmation` subscription (the node's confirmation_options).
    struct confirmation_subscription {
        bool has_options = false;
        std::uint8_t types = 7; ///< bit 0 active_quorum, 1 active_confirmation_height, 2 inactive
        nano::confirmation_view view;
        bool account_filtering = false;
        std::unordered_set<nano::bytes32, nano::bytes32_hash> accounts;
    };
    /// A session's `vote` subscription (the node's vote_options).
    struct vote_subscription {
        bool has_options = false;
        bool include_replays = false;
        bool include_indeterminate = false;
        std::unordered_set<nano::bytes32, nano::bytes32_hash> representatives;
    };

private:
    struct session_state {
        ws_session* ws = nullptr;
        std::uint64_t id = 0;
        std::uint64_t opened_ms = 0;
        std::array<bool, topic_count> subscribed{};
        confirmation_subscription confirmation;
        vote_subscription vote;
        std::mt19937_64 rng;
        std::uint64_t frames = 0;
        std::uint64_t since_malformed = 0;
        std::uint32_t malformed_rotation = 0;
        std::vector<std::pair<topic, ws_frame>> reorder_buffer;
        std::uint64_t reorder_since_ms = 0;
        std::array<std::uint64_t, topic_count> sent{};
        std::uint64_t acks = 0;
        std::uint64_t dropped = 0;
        std::uint64_t duplicated = 0;
        std::uint64_t reordered = 0;
        std::uint64_t malformed = 0;
        bool firehose = false;
        std::size_t cursor = 0;
        std::string end = "client";
    };
    struct rep_vote {
        bool voted = false;
        bool final_vote = false;
        std::uint64_t timestamp = 0;
    };
    struct election {
        std::uint32_t index = 0; ///< ledger index (the parent's, for a fork)
        nano::bytes32 hash{};
        bool fork = false;
        std::uint64_t start_ms = 0;
        std::vector<rep_vote> votes; ///< one per representative
    };

    // flow
    void begin();
    void tick();
    /// Produces the next block and starts its flow; false once --produce-for has elapsed.
    bool produce_block();
    /// --frame-rate: runs the flow timers due by now (later()), then releases the notifications
    /// due by now, producing blocks when none wait.
    void pace_tick();
    /// Runs fn on the service thread after delay: an lws timer, or with --frame-rate one of
    /// flow_timers_ (run by pace_tick()).
    void later(std::chrono::microseconds delay, std::function<void()> fn);
    void vote_tick();
    void telemetry_tick();
    void work_tick();
    void housekeeping_tick();
    void start_election(std::uint32_t index);
    void stop_election(std::uint32_t index);
    void confirm_election(std::uint32_t index);
    void held_timeout(std::uint32_t index);
    void cement(std::uint32_t index, nano::confirmation_kind kind);
    void finish(std::uint32_t index, nano::confirmation_kind kind);
    void block_confirm_rpc(std::uint32_t index);
    void firehose_produce();
    void write_truth_block(const nano::block& b);

    // delivery
    /// With --frame-rate the notification waits in paced_ for its release slot; otherwise it is
    /// delivered at once. Every notification of the node goes through here.
    void publish(std::function<void()> deliver_now);
    void broadcast(topic t, const ws_frame& frame);
    void broadcast_now(topic t, const ws_frame& frame);
    void broadcast_confirmation(
        std::uint32_t index,
        nano::confirmation_kind kind,
        const nano::election_summary& summary,
        const std::vector<nano::vote_entry>& votes);
    void broadcast_confirmation_now(
        std::uint32_t index,
        nano::confirmation_kind kind,
        const nano::election_summary& summary,
        const std::vector<nano::vote_entry>& votes);
    void deliver_vote(const nano::bytes32& key, std::string_view type, const ws_frame& frame);
    void deliver_confirmation(
        session_state& st,
        std::uint32_t index,
        nano::confirmation_kind kind,
        const nano::election_summary& summary,
        const std::vector<nano::vote_entry>& votes,
        std::array<ws_frame, 32>* cache);
    /// Sends the vote of `rep` on `hashes`, one message per 255 hashes. Each message is signed
    /// with the next of `signatures`, drawn (and appended) when there are not enough: passing
    /// the signatures of an earlier call sends the very same votes again, as a replay is.
    void send_vote(
        std::size_t rep,
        std::uint64_t timestamp,
        std::uint8_t duration,
        const std::vector<nano::bytes32>& hashes,
        std::string_view type,
        std::vector<nano::bytes64>& signatures);
    void send_vote(
        std::size_t rep,
        std::uint64_t timestamp,
        std::uint8_t duration,
        const std::vector<nano::bytes32>& hashes,
        std::string_view type) {
        std::vector<nano::bytes64> fresh;
        send_vote(rep, timestamp, duration, hashes, type, fresh);
    }
    void deliver(session_state& st, topic t, const ws_frame& frame);
    void emit(session_state& st, topic t, const ws_frame& frame);
    void flush_reorder(session_state& st);
    void send_direct(session_state& st, const ws_frame& frame);
    void send_malformed(session_state& st);
    void count_frame(session_state& st);
    [[nodiscard]] bool passes(
        const session_state& st, const nano::block& b, nano::confirmation_kind kind) const;

    [[nodiscard]] session_state* state_of(const ws_session& session);

    [[nodiscard]] double uniform(std::mt19937_64& rng) const;
    [[nodiscard]] std::uint64_t now_ms() const;
    [[nodiscard]] std::uint64_t now_s() const { return now_ms() / 1000; }

    const options opts_;
    server& server_;
    truth_writer& truth_;
    nano::ledger ledger_;
    nano::rpc rpc_;
    std::mt19937_64 flow_rng_;
    std::map<std::uint64_t, std::unique_ptr<session_state>> sessions_;
    std::unordered_map<nano::bytes32, election, nano::bytes32_hash> elections_;
    std::unordered_map<std::uint32_t, std::vector<nano::bytes32>> forks_; ///< parent -> fork hashes
    std::unordered_set<std::uint32_t> held_;
    std::vector<nano::bytes32> recently_confirmed_;
    std::vector<nano::u128> weights_;
    std::vector<nano::bytes32> peer_ids_;
    std::optional<ws_frame> oversized_frame_;
    std::uint64_t started_ms_ = 0;
    std::uint64_t next_tick_us_ = 0;
    /// --frame-rate: notifications produced but not yet released, in order.
    std::deque<std::function<void()>> paced_;
    std::uint64_t pace_start_us_ = 0;  ///< steady clock, when pacing began
    std::uint64_t paced_released_ = 0; ///< release slots used (or skipped) since pace_start_us_
    std::multimap<std::uint64_t, std::function<void()>> flow_timers_; ///< due (steady µs) -> fn
    bool pace_behind_warned_ = false;
    std::uint64_t telemetry_round_ = 0;
    std::uint64_t work_round_ = 0;
    bool outage_active_ = false;
    bool running_ = false;
};

} // namespace ledgertap::sim
