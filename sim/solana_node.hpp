#pragma once

// The simulated Solana node: a PubSub WebSocket endpoint ("solana_ws") and an HTTP JSON-RPC
// endpoint ("solana_rpc") over one deterministic chain (sim/solana_chain.hpp) that advances one
// slot per --slot-ms, with commitment processed -> confirmed -> finalized, and the fault injection
// of `options` applied per connection. See sim/README.md.

#include "sim/options.hpp"
#include "sim/server.hpp"
#include "sim/solana_chain.hpp"
#include "sim/solana_frames.hpp"
#include "sim/solana_pubsub.hpp"
#include "sim/solana_rpc.hpp"
#include "sim/truth.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::sim {

/// Everything the Solana node can be told. solana_node_config_from() maps the CLI options; tests
/// fill one directly (depths, rates and the id counter have no flag yet).
struct solana_node_config {
    std::string ws_name = "solana_ws";
    std::string rpc_name = "solana_rpc";
    std::uint16_t ws_port = 0; ///< 0 = let the kernel pick
    std::uint16_t rpc_port = 0;
    solana_chain_params chain;
    std::chrono::microseconds slot_time{400'000};
    std::uint32_t confirm_depth = 2;   ///< slots from processed to confirmed
    std::uint32_t finalize_depth = 32; ///< slots from processed to finalized (>= confirm_depth)
    std::uint32_t history_slots = 64;  ///< slots produced before any client can connect
    solana_pubsub_config pubsub;
    /// Blocks of 1,000-2,000 transactions, produced as fast as block/logs subscribers read.
    bool firehose = false;
    // Faults (same meaning as the CLI flags).
    double drop = 0.0;
    double duplicate = 0.0;
    std::uint32_t reorder = 0;
    std::uint64_t disconnect_every = 0;
    std::optional<outage_window> outage;
    std::uint64_t malformed_every = 0;
    std::size_t oversized_bytes = std::size_t{17} * 1024 * 1024;
    std::chrono::milliseconds rpc_delay{0};
    double rpc_error_rate = 0.0;
    std::uint64_t fault_seed = 1;
};

[[nodiscard]] solana_node_config solana_node_config_from(const options& opts);

/// Incoming PubSub messages above this close the connection (Agave's soketto limit).
inline constexpr std::size_t solana_max_inbound_bytes = 4096;

/// Lifecycle (as nano_node): construct before server::start() (adds the two endpoints and
/// produces the history), start() after server::start() (schedules the slots on the service
/// thread), server::stop(), then stop() (writes the summary truth record). Every callback runs on
/// the server's service thread. Owns its chain; does not own the server or the truth writer,
/// which must outlive it, and the server must be stopped before the node is destroyed (it holds
/// a pointer to this handler).
class solana_node final
  : public ws_handler
  , private solana_pubsub_output {
public:
    solana_node(const options& opts, server& srv, truth_writer& truth);
    solana_node(solana_node_config config, server& srv, truth_writer& truth);
    solana_node(const solana_node&) = delete;
    solana_node& operator=(const solana_node&) = delete;
    solana_node(solana_node&&) = delete;
    solana_node& operator=(solana_node&&) = delete;
    ~solana_node() override;

    void start();
    void stop();

    /// Thread-safe snapshots of the commitment levels (0 until the level exists).
    [[nodiscard]] std::uint64_t finalized_slot() const noexcept { return finalized_.load(); }
    [[nodiscard]] std::uint64_t processed_slot() const noexcept { return processed_.load(); }
    /// Service thread only, or after server::stop().
    [[nodiscard]] solana_chain& chain() noexcept { return chain_; }
    [[nodiscard]] const solana_node_config& config() const noexcept { return config_; }

    // ws_handler
    [[nodiscard]] bool accept_connection() override;
    void on_open(ws_session& session) override;
    void on_message(ws_session& session, std::string_view message) override;
    void on_writable(ws_session& session) override;
    void on_oversized(ws_session& session) override;
    void on_close(ws_session& session) override;

private:
    struct session_state {
        ws_session* ws = nullptr;
        std::uint64_t id = 0;
        std::uint64_t opened_ms = 0;
        std::mt19937_64 rng;
        std::uint64_t frames = 0;
        std::uint64_t since_malformed = 0;
        std::uint32_t malformed_rotation = 0;
        std::vector<ws_frame> reorder_buffer;
        std::chrono::steady_clock::time_point reorder_since{};
        std::map<std::string, std::uint64_t, std::less<>> sent; ///< notifications by method
        std::uint64_t replies = 0;
        std::uint64_t dropped = 0;
        std::uint64_t duplicated = 0;
        std::uint64_t reordered = 0;
        std::uint64_t malformed = 0;
        bool firehose = false;       ///< a block/logs consumer in firehose mode
        bool firehose_ready = false; ///< drained since the last firehose slot
        std::string end = "client";
    };

    // solana_pubsub_output
    void reply(std::uint64_t session, std::string text) override;
    void notify(std::uint64_t session, const ws_frame& frame, std::string_view method) override;

    void step();
    void tick();
    void firehose_step();
    void flush_reorder(session_state& st);
    void emit(session_state& st, const ws_frame& frame);
    void send_malformed(session_state& st);
    void count_frame(session_state& st);
    void write_truth_slot(std::uint64_t slot);
    [[nodiscard]] http_reply rpc_error_reply(std::string_view body);
    [[nodiscard]] session_state* state_of(std::uint64_t id);
    [[nodiscard]] std::uint64_t now_ms() const;
    [[nodiscard]] double uniform(std::mt19937_64& rng) const;

    solana_node_config config_;
    server& server_;
    truth_writer& truth_;
    solana_chain chain_;
    solana_encoder encoder_;
    solana_levels levels_;
    solana_pubsub pubsub_;
    solana_rpc rpc_;
    std::map<std::uint64_t, std::unique_ptr<session_state>> sessions_;
    std::optional<ws_frame> oversized_frame_;
    std::vector<std::uint64_t> pending_confirmed_; ///< implicitly confirmed, not yet triggered
    std::uint64_t truth_blocks_ = 0;
    std::uint64_t truth_skipped_ = 0;
    std::uint64_t truth_orphaned_ = 0;
    std::uint64_t rpc_errors_ = 0;
    std::chrono::steady_clock::time_point started_{};
    std::chrono::steady_clock::time_point next_tick_{};
    std::atomic<std::uint64_t> finalized_{0};
    std::atomic<std::uint64_t> processed_{0};
    bool outage_active_ = false;
    bool running_ = false;
    bool stopped_ = false;
};

} // namespace ledgertap::sim
