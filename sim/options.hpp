#pragma once

// Every ledgertap-sim flag, for both chains, with its default. parse_options() is the one loader
// (CLI11); nothing else reads argv.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace ledgertap::sim {

enum class chain_selection : std::uint8_t { nano, solana, both };

/// `--outage START_S:LENGTH_S`: seconds after start, and how long connections are refused.
struct outage_window {
    double start_s = 0.0;
    double length_s = 0.0;
};

struct options {
    // ---- network ------------------------------------------------------------------------------
    std::string host = "127.0.0.1";  ///< --host: listen address (IPv4 or IPv6 literal)
    std::uint16_t nano_ws_port = 0;  ///< --nano-ws-port (0 = kernel picks; a real node uses 7078)
    std::uint16_t nano_rpc_port = 0; ///< --nano-rpc-port (0 = kernel picks; a real node uses 7076)
    std::uint16_t solana_ws_port
        = 0; ///< --solana-ws-port (0 = kernel picks; a real node uses 8900)
    std::uint16_t solana_rpc_port
        = 0; ///< --solana-rpc-port (0 = kernel picks; a real node uses 8899)
    /// --ports-file: JSON {"nano_ws":…,"nano_rpc":…,"solana_ws":…,"solana_rpc":…} written
    /// atomically (temp file + rename) once every port listens; disabled chains are 0.
    std::string ports_file;
    /// --tls-cert / --tls-key: PEM certificate and private key; when given, every endpoint serves
    /// TLS only (wss://, https://). Both or neither.
    std::string tls_cert_file;
    std::string tls_key_file;

    // ---- run ----------------------------------------------------------------------------------
    chain_selection chain = chain_selection::both; ///< --chain nano|solana|both
    std::uint64_t seed = 1;                        ///< --seed: same seed -> identical chains
    double rate = 10.0;                            ///< --rate: Nano confirmations per second (> 0)
    /// --frame-rate: Nano WebSocket notifications per second over all topics, exactly (paced by
    /// the node; blocks are produced on demand to fill the budget); 0 = off, --rate paces.
    /// Excludes --rate and --firehose. See sim/README.md.
    double frame_rate = 0.0;
    double duration_s = 0.0; ///< --duration: seconds; 0 = until SIGTERM/SIGINT
    /// --produce-for: seconds during which new blocks are produced; 0 = the whole run. After it
    /// the chains stand still (pending elections still confirm) while WebSocket and RPC keep
    /// serving, so a client can catch up before --duration ends.
    double produce_for_s = 0.0;
    std::string truth_file;         ///< --truth: JSON Lines ground truth; empty = none
    std::string log_level = "info"; ///< --log-level: trace|debug|info|warn|error|off

    // ---- Nano ledger --------------------------------------------------------------------------
    std::uint32_t nano_accounts = 32; ///< --nano-accounts: simulated accounts (>= 3)
    std::uint32_t history = 64;       ///< --history: confirmed blocks that predate any client
    /// --firehose: Nano confirmations as fast as each client reads (honours TCP backpressure);
    /// votes, telemetry and other topics pause while it runs.
    bool firehose = false;

    // ---- Solana chain -------------------------------------------------------------------------
    std::uint32_t slot_ms = 400; ///< --slot-ms: milliseconds per Solana slot (> 0)
    /// --solana-tx-per-block: mean transactions per block (each block draws from N/2 .. 3N/2).
    std::uint32_t solana_tx_per_block = 8;
    /// --solana-exact-tx-per-block: every block has exactly --solana-tx-per-block transactions
    /// (so a benchmark can size one block's frame).
    bool solana_exact_tx_per_block = false;
    /// --solana-disable-block-subscribe: block(Un)subscribe answer -32601 "Method not found", as
    /// a validator without --rpc-pubsub-enable-block-subscription does.
    bool solana_disable_block_subscribe = false;
    /// --solana-disable-vote-subscribe: vote(Un)subscribe answer -32601, as a validator without
    /// --rpc-pubsub-enable-vote-subscription does.
    bool solana_disable_vote_subscribe = false;

    // ---- faults (both chains) -----------------------------------------------------------------
    double drop = 0.0;      ///< --drop: fraction of notifications not sent (data stays on RPC)
    double duplicate = 0.0; ///< --duplicate: fraction re-sent (Nano: as active_confirmation_height)
    std::uint32_t reorder = 0; ///< --reorder: shuffle notifications within windows of this size
    /// --disconnect-every: drop the TCP connection (no close frame) after N messages; 0 = never.
    std::uint64_t disconnect_every = 0;
    std::optional<outage_window> outage; ///< --outage START_S:LENGTH_S
    /// --malformed-every: every Nth message is replaced by, in rotation, invalid JSON, a binary
    /// frame, an oversized frame; 0 = never.
    std::uint64_t malformed_every = 0;
    /// --oversized-bytes: size of the oversized frame (default 17 MiB: above the 16 MiB a Nano
    /// node itself accepts).
    std::size_t oversized_bytes = std::size_t{17} * 1024 * 1024;
    std::uint32_t rpc_delay_ms = 0; ///< --rpc-delay-ms: delay every RPC answer
    double rpc_error_rate = 0.0; ///< --rpc-error-rate: fraction of RPC calls answered with an error

    [[nodiscard]] bool nano_enabled() const { return chain != chain_selection::solana; }
    [[nodiscard]] bool solana_enabled() const { return chain != chain_selection::nano; }
};

struct parse_outcome {
    /// Set when the program should run; otherwise exit with exit_code after printing message.
    std::optional<options> opts;
    int exit_code = 0;   ///< 0 for --help/--version, 2 for a bad flag or value
    std::string message; ///< help text, or "ledgertap-sim: <flag>: <problem>" (for stderr)
};

/// Parses argv. Never throws, never prints.
[[nodiscard]] parse_outcome parse_options(int argc, const char* const* argv);

} // namespace ledgertap::sim
