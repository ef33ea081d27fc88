#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ledgertap::ingest {

/// A configuration problem, always naming the key (`writer.batch_max_age_ms`) and what is accepted.
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct nano_config {
    std::string name = "nano";  ///< Source name in tables, logs and metrics.
    std::string ws_url;         ///< Empty: the Nano source is off.
    std::string rpc_url;        ///< HTTP RPC, for backfill.
    std::size_t max_message_bytes = std::size_t{16} << 20U;
    /// Dead letters stored per second (burst: one second's worth); more are counted and logged only.
    std::size_t max_dead_letters_per_second = 1000;
    std::chrono::seconds ping_interval{30};  ///< Application `ping` action.
    std::chrono::seconds ack_timeout{10};    ///< A topic not acked by then is logged as unsupported.
    std::chrono::seconds stall_timeout{0};   ///< Reconnect after this long without any message (0 = off).
    std::chrono::milliseconds reconnect_initial{250};
    std::chrono::milliseconds reconnect_max{30000};
    bool election_votes = false;             ///< include_election_info_with_votes (large messages).
    bool votes = true;                       ///< Subscribe to `vote` (replays and indeterminate too).
    /// Largest HTTP RPC response body accepted; a larger one fails the call (nothing of it is used).
    std::size_t max_response_bytes = std::size_t{256} << 20U;
    /// PEM file of the CAs trusted for wss:// and https:// instead of the system store; empty = system store.
    std::string tls_ca_file;
    bool tls_insecure = false;
};

struct solana_config {
    std::string name = "solana";
    std::string ws_url;
    std::string rpc_url;
    std::size_t max_message_bytes = std::size_t{64} << 20U;
    std::size_t max_dead_letters_per_second = 1000; ///< As nano_config's, over all shards.
    std::string commitment = "confirmed";       ///< blockSubscribe commitment: confirmed | finalized.
    std::string block_encoding = "base64";      ///< json | jsonParsed | base64 | base58.
    std::string transaction_details = "full";   ///< full | accounts | signatures | none.
    std::string logs_filter = "allWithVotes";   ///< all | allWithVotes.
    std::vector<std::string> accounts;          ///< accountSubscribe, base58.
    std::vector<std::string> programs;          ///< programSubscribe, base58.
    std::vector<std::string> signatures;        ///< signatureSubscribe, base58.
    std::size_t max_subscriptions_per_connection = 100;
    std::chrono::seconds keepalive_interval{15};
    std::chrono::seconds stall_timeout{30};
    std::chrono::milliseconds reconnect_initial{250};
    std::chrono::milliseconds reconnect_max{30000};
    std::size_t max_response_bytes = std::size_t{256} << 20U; ///< As in nano_config.
    std::string tls_ca_file;                                  ///< As in nano_config.
    bool tls_insecure = false;
};

struct writer_config {
    std::size_t batch_max_messages = 5000;
    std::size_t batch_max_bytes = std::size_t{8} << 20U;
    std::chrono::milliseconds batch_max_age{200};
    std::size_t queue_high_water_bytes = std::size_t{64} << 20U;
    std::size_t queue_low_water_bytes = std::size_t{16} << 20U;
    std::chrono::milliseconds retry_initial{100};
    std::chrono::milliseconds retry_max{10000};
    std::chrono::milliseconds shutdown_timeout{20000};
    bool synchronous_commit = true;
};

struct backfill_config {
    bool enabled = true;
    std::chrono::milliseconds rpc_timeout{10000};
    std::uint32_t rpc_retries = 5;
    double rpc_rate_limit = 50.0; ///< Requests per second per node (0 = unlimited).
    std::size_t nano_batch = 1000;
    std::string nano_unknown_account_policy = "record"; ///< record | backfill.
    std::size_t solana_concurrency = 4;
    /// Where the Solana watermark starts on a database that has none: "current" (the finalized
    /// slot at first start: no history), "first_available" (the node's whole ledger), or a slot.
    std::string solana_start = "current";
    std::size_t solana_max_slots_per_round = 2000;
    std::chrono::seconds reconcile_interval{30};
};

struct config {
    std::string database;  ///< conninfo or URL; empty: LEDGERTAP_DB, then libpq's PG* defaults.
    nano_config nano;
    solana_config solana;
    writer_config writer;
    backfill_config backfill;
    std::string metrics_addr; ///< host:port for /metrics, /healthz, /readyz; empty = off.
    std::string log_level = "info";
    std::string log_format = "text"; ///< text | json
};

/// Parses a TOML document into `base` (defaults, or what earlier layers set). Every key is checked:
/// an unknown key, a wrong type or an out-of-range value throws config_error naming the key.
void apply_toml(config& base, const std::string& toml_text, const std::string& origin);

/// Reads and applies a TOML file; throws config_error naming the file when it cannot be read.
void apply_toml_file(config& base, const std::string& path);

/// Cross-field checks (URLs parse, low < high water, ...). Throws config_error naming the key.
void validate(const config& c);

/// The effective configuration as TOML, with any password masked.
[[nodiscard]] std::string to_toml(const config& c);

} // namespace ledgertap::ingest
