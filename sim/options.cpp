#include "sim/options.hpp"

#include "schema/version.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <exception>
#include <string_view>
#include <system_error>

namespace ledgertap::sim {

namespace {

constexpr int exit_usage = 2;

std::optional<double> parse_seconds(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    double value = 0.0;
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    if (result.ec != std::errc{} || result.ptr != end || !std::isfinite(value) || value < 0.0) {
        return std::nullopt;
    }
    return value;
}

std::string validate_outage(const std::string& text) {
    const auto colon = text.find(':');
    if (colon == std::string::npos) {
        return "expected START_S:LENGTH_S (seconds), got '" + text + "'";
    }
    const auto start = parse_seconds(std::string_view(text).substr(0, colon));
    const auto length = parse_seconds(std::string_view(text).substr(colon + 1));
    if (!start || !length) {
        return "expected START_S:LENGTH_S with non-negative numbers, got '" + text + "'";
    }
    if (*length <= 0.0) {
        return "LENGTH_S must be greater than 0, got '" + text + "'";
    }
    return {};
}

} // namespace

parse_outcome parse_options(int argc, const char* const* argv) {
    options opts;
    CLI::App app{
        "ledgertap-sim: a protocol-faithful Nano and Solana node simulator with fault injection",
        "ledgertap-sim"};
    app.set_version_flag("--version", std::string("ledgertap-sim ") + ledgertap::version);
    // A later occurrence of a flag overrides an earlier one.
    app.option_defaults()->always_capture_default()->multi_option_policy(
        CLI::MultiOptionPolicy::TakeLast);

    app.add_option("--host", opts.host, "Listen address (IPv4 or IPv6 literal)");
    app.add_option(
        "--nano-ws-port", opts.nano_ws_port, "Nano WebSocket port (0 = pick a free one)");
    app.add_option("--nano-rpc-port", opts.nano_rpc_port, "Nano RPC port (0 = pick a free one)");
    app.add_option(
        "--solana-ws-port", opts.solana_ws_port, "Solana PubSub port (0 = pick a free one)");
    app.add_option(
        "--solana-rpc-port", opts.solana_rpc_port, "Solana RPC port (0 = pick a free one)");
    app.add_option(
        "--ports-file",
        opts.ports_file,
        "Write the chosen ports as JSON to FILE (atomically) once listening");
    app.add_option(
           "--tls-cert",
           opts.tls_cert_file,
           "PEM certificate: serve TLS (wss://, https://) on every endpoint; needs --tls-key")
        ->check(CLI::ExistingFile);
    app.add_option("--tls-key", opts.tls_key_file, "PEM private key of --tls-cert")
        ->check(CLI::ExistingFile);

    std::string chain = "both";
    app.add_option("--chain", chain, "Which node(s) to simulate")
        ->check(CLI::IsMember({"nano", "solana", "both"}));
    app.add_option("--seed", opts.seed, "Seed of the synthetic chains");
    auto* rate = app.add_option("--rate", opts.rate, "Nano confirmations per second")
                     ->check(CLI::Range(1e-3, 1e7));
    auto* frame_rate
        = app.add_option(
                 "--frame-rate",
                 opts.frame_rate,
                 "Nano notifications per second over all topics, exactly: a client subscribed to "
                 "every topic receives N frames/s; blocks (and their elections, votes and "
                 "confirmations) are produced on demand to fill the budget, telemetry and work "
                 "count in it (0 = off: --rate paces). Excludes --rate and --firehose")
              ->check(CLI::Range(0.0, 1e6));
    frame_rate->excludes(rate);
    app.add_option("--duration", opts.duration_s, "Seconds to run (0 = until SIGTERM/SIGINT)")
        ->check(CLI::Range(0.0, 1e9));
    app.add_option(
           "--produce-for",
           opts.produce_for_s,
           "Seconds of block production (0 = the whole run); then the chains stand still while "
           "the nodes keep serving")
        ->check(CLI::Range(0.0, 1e9));
    app.add_option("--truth", opts.truth_file, "Write the ground truth (JSON Lines) to FILE");
    app.add_option("--log-level", opts.log_level, "Log level")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

    app.add_option("--nano-accounts", opts.nano_accounts, "Simulated Nano accounts")
        ->check(CLI::Range(3U, 1000000U));
    app.add_option("--history", opts.history, "Confirmed Nano blocks that predate any client")
        ->check(CLI::Range(0U, 10000000U));
    app.add_flag(
           "--firehose",
           opts.firehose,
           "Send Nano confirmations as fast as each client reads (honours backpressure)")
        ->excludes(frame_rate);

    app.add_option("--slot-ms", opts.slot_ms, "Milliseconds per Solana slot")
        ->check(CLI::Range(1U, 600000U));
    app.add_option(
           "--solana-tx-per-block", opts.solana_tx_per_block, "Transactions per Solana block")
        ->check(CLI::Range(0U, 100000U));
    app.add_flag(
        "--solana-exact-tx-per-block",
        opts.solana_exact_tx_per_block,
        "Every Solana block has exactly --solana-tx-per-block transactions (default: drawn from "
        "N/2 to 3N/2)");
    app.add_flag(
        "--solana-disable-block-subscribe",
        opts.solana_disable_block_subscribe,
        "Answer blockSubscribe/blockUnsubscribe with -32601 Method not found (a validator "
        "without --rpc-pubsub-enable-block-subscription)");
    app.add_flag(
        "--solana-disable-vote-subscribe",
        opts.solana_disable_vote_subscribe,
        "Answer voteSubscribe/voteUnsubscribe with -32601 Method not found (a validator without "
        "--rpc-pubsub-enable-vote-subscription)");

    app.add_option("--drop", opts.drop, "Fraction of notifications to drop")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--duplicate", opts.duplicate, "Fraction of notifications to send twice")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--reorder", opts.reorder, "Shuffle notifications within windows of N")
        ->check(CLI::Range(0U, 100000U));
    app.add_option(
        "--disconnect-every",
        opts.disconnect_every,
        "Drop the TCP connection (no close frame) after every N messages (0 = never)");
    std::string outage;
    app.add_option(
           "--outage",
           outage,
           "START_S:LENGTH_S: refuse and close connections in that window; the chain moves on")
        ->check(CLI::Validator(validate_outage, "START_S:LENGTH_S"));
    app.add_option(
        "--malformed-every",
        opts.malformed_every,
        "Every Nth message is invalid JSON, a binary frame or an oversized frame (0 = never)");
    app.add_option("--oversized-bytes", opts.oversized_bytes, "Size of the oversized frame")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
    app.add_option("--rpc-delay-ms", opts.rpc_delay_ms, "Delay every RPC answer by MS")
        ->check(CLI::Range(0U, 600000U));
    app.add_option(
           "--rpc-error-rate", opts.rpc_error_rate, "Fraction of RPC calls answered with an error")
        ->check(CLI::Range(0.0, 1.0));

    parse_outcome outcome;
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        outcome.message = app.help();
        return outcome;
    } catch (const CLI::CallForAllHelp&) {
        outcome.message = app.help("", CLI::AppFormatMode::All);
        return outcome;
    } catch (const CLI::CallForVersion& e) {
        outcome.message = std::string(e.what()) + "\n";
        return outcome;
    } catch (const CLI::ParseError& e) {
        outcome.exit_code = exit_usage;
        outcome.message = std::string("ledgertap-sim: ") + e.what()
                          + "\nRun with --help for more information.\n";
        return outcome;
    } catch (const std::exception& e) {
        outcome.exit_code = exit_usage;
        outcome.message = std::string("ledgertap-sim: ") + e.what() + "\n";
        return outcome;
    }

    if (chain == "nano") {
        opts.chain = chain_selection::nano;
    } else if (chain == "solana") {
        opts.chain = chain_selection::solana;
    } else {
        opts.chain = chain_selection::both;
    }
    if (!outage.empty()) {
        const auto colon = outage.find(':');
        opts.outage = outage_window{
            parse_seconds(std::string_view(outage).substr(0, colon)).value_or(0.0),
            parse_seconds(std::string_view(outage).substr(colon + 1)).value_or(0.0)};
    }
    if (opts.tls_cert_file.empty() != opts.tls_key_file.empty()) {
        outcome.exit_code = exit_usage;
        outcome.message = opts.tls_cert_file.empty()
                              ? "ledgertap-sim: --tls-key: needs --tls-cert as well\n"
                              : "ledgertap-sim: --tls-cert: needs --tls-key as well\n";
        return outcome;
    }
    if (opts.host.empty()) {
        outcome.exit_code = exit_usage;
        outcome.message = "ledgertap-sim: --host: must not be empty\n";
        return outcome;
    }
    outcome.opts = std::move(opts);
    return outcome;
}

} // namespace ledgertap::sim
