// ledgertap-ingest: the command line. Parses the public contract's flags and dispatches to a mode:
// `migrate` applies the database migrations and exits; without a subcommand the ingest daemon
// runs (run_ingest_mode below).
//
// Exit codes: 0 success; 1 a failure, reported as one line on stderr with passwords redacted;
// 2 a usage or configuration error (the message names the key).

#include "ingest/app.hpp"
#include "ingest/config.hpp"
#include "ingest/db.hpp"
#include "ingest/migrate.hpp"
#include "schema/version.hpp"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

/// libpq waits forever on an unanswered TCP connect unless told otherwise; a conninfo's own
/// connect_timeout, or a PGCONNECT_TIMEOUT the user set, still wins.
constexpr const char* default_connect_timeout_s = "10";

/// Every flag of the public contract, as given on the command line; empty means "not given".
struct cli_options {
    std::string config_file;
    std::string db;
    std::string nano_ws;
    std::string nano_rpc;
    std::string solana_ws;
    std::string solana_rpc;
    std::string metrics_addr;
    std::string migrations_dir; ///< migrate --migrations
    std::string log_format;
    std::string log_level;
    bool print_config = false;
};

[[nodiscard]] std::optional<std::string> given(const std::string& value) {
    if (value.empty()) {
        return std::nullopt;
    }
    return value;
}

[[nodiscard]] int run_migrate_mode(const cli_options& options) {
    std::string configured_db;
    if (!options.config_file.empty()) {
        try {
            ledgertap::ingest::config cfg;
            ledgertap::ingest::apply_toml_file(cfg, options.config_file);
            configured_db = cfg.database;
        } catch (const ledgertap::ingest::config_error& e) {
            fmt::print(stderr, "ledgertap-ingest migrate: configuration error: {}\n", e.what());
            return exit_usage;
        }
    }
    const ledgertap::ingest::conninfo_choice db = ledgertap::ingest::resolve_conninfo(
        given(options.db.empty() ? configured_db : options.db));
    try {
        std::optional<std::filesystem::path> flag_dir;
        if (!options.migrations_dir.empty()) {
            flag_dir = std::filesystem::path{options.migrations_dir};
        }
        const std::filesystem::path dir = ledgertap::ingest::resolve_migrations_dir(flag_dir);
        // Before any thread exists, so setenv cannot race.
        setenv("PGCONNECT_TIMEOUT", default_connect_timeout_s, 0); // NOLINT(concurrency-mt-unsafe)
        const ledgertap::ingest::migrate_report report
            = ledgertap::ingest::apply_migrations(db.conninfo, dir);
        for (const auto& m : report.applied) {
            fmt::print("applied {}\n", m.file_name);
        }
        if (report.up_to_date()) {
            fmt::print(
                "database is up to date ({} migrations applied earlier)\n", report.already_applied);
        } else {
            fmt::print(
                "database is up to date ({} applied now, {} earlier)\n",
                report.applied.size(),
                report.already_applied);
        }
        if (report.collation_warning) {
            fmt::print(stderr, "ledgertap-ingest migrate: warning: {}\n", *report.collation_warning);
        }
        return exit_ok;
    } catch (const std::exception& e) {
        // migrate_error messages are already redacted; anything else goes through safe_message.
        fmt::print(
            stderr,
            "ledgertap-ingest migrate: error: {}\n",
            ledgertap::ingest::safe_message(e.what(), db.conninfo));
        return exit_failure;
    }
}

/// Defaults, then the TOML file, then the flags: each layer overrides the one before.
[[nodiscard]] ledgertap::ingest::config effective_config(const cli_options& options) {
    ledgertap::ingest::config cfg;
    if (!options.config_file.empty()) {
        ledgertap::ingest::apply_toml_file(cfg, options.config_file);
    }
    auto set = [](std::string& target, const std::string& flag) {
        if (!flag.empty()) {
            target = flag;
        }
    };
    set(cfg.database, options.db);
    set(cfg.nano.ws_url, options.nano_ws);
    set(cfg.nano.rpc_url, options.nano_rpc);
    set(cfg.solana.ws_url, options.solana_ws);
    set(cfg.solana.rpc_url, options.solana_rpc);
    set(cfg.metrics_addr, options.metrics_addr);
    if (!options.log_format.empty()) {
        ledgertap::ingest::apply_toml(
            cfg, fmt::format("[log]\nformat = \"{}\"\n", options.log_format), "--log-format");
    }
    if (!options.log_level.empty()) {
        ledgertap::ingest::apply_toml(
            cfg, fmt::format("[log]\nlevel = \"{}\"\n", options.log_level), "--log-level");
    }
    return cfg;
}

/// `%*`: the log message escaped as the inside of a JSON string.
class json_message_flag final : public spdlog::custom_flag_formatter {
public:
    void format(
        const spdlog::details::log_msg& msg,
        const std::tm& /*tm*/,
        spdlog::memory_buf_t& dest) override {
        for (const char c : std::string_view{msg.payload.data(), msg.payload.size()}) {
            switch (c) {
            case '"':
                dest.append(std::string_view{"\\\""});
                break;
            case '\\':
                dest.append(std::string_view{"\\\\"});
                break;
            case '\n':
                dest.append(std::string_view{"\\n"});
                break;
            case '\r':
                dest.append(std::string_view{"\\r"});
                break;
            case '\t':
                dest.append(std::string_view{"\\t"});
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    const auto esc = fmt::format(
                        "\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
                    dest.append(std::string_view{esc});
                } else {
                    dest.push_back(c);
                }
            }
        }
    }
    [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
        return spdlog::details::make_unique<json_message_flag>();
    }
};

void configure_logging(const ledgertap::ingest::config& cfg) {
    spdlog::set_level(spdlog::level::from_str(cfg.log_level));
    if (cfg.log_format == "json") {
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<json_message_flag>('*').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","thread":%t,"msg":"%*"})");
        spdlog::set_formatter(std::move(formatter));
    } else {
        spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    }
}

[[nodiscard]] int run_ingest_mode(const cli_options& options) {
    ledgertap::ingest::config cfg;
    try {
        cfg = effective_config(options);
        if (options.print_config) {
            fmt::print("{}", ledgertap::ingest::to_toml(cfg));
            return exit_ok;
        }
        ledgertap::ingest::validate(cfg);
    } catch (const ledgertap::ingest::config_error& e) {
        fmt::print(
            stderr,
            "ledgertap-ingest: configuration error: {}\n",
            ledgertap::ingest::safe_message(e.what(), cfg.database));
        return exit_usage;
    }
    configure_logging(cfg);
    // Before any thread exists, so setenv cannot race.
    setenv("PGCONNECT_TIMEOUT", default_connect_timeout_s, 0); // NOLINT(concurrency-mt-unsafe)
    return ledgertap::ingest::run_ingest(cfg);
}

} // namespace

int main(int argc, char** argv) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("ledgertap-ingest"));

    CLI::App app{"Indexes Nano and Solana node feeds into PostgreSQL.", "ledgertap-ingest"};
    app.set_version_flag("--version", fmt::format("ledgertap-ingest {}", ledgertap::version));

    cli_options options;
    app.add_option("--config", options.config_file, "TOML configuration file")->type_name("FILE");
    app.add_option(
           "--db",
           options.db,
           "PostgreSQL conninfo: a postgresql:// URL or key=value pairs (default: "
           "$LEDGERTAP_DB, else libpq's PG* variables and service file)")
        ->type_name("URL");
    app.add_option("--nano-ws", options.nano_ws, "Nano node WebSocket URL")->type_name("URL");
    app.add_option("--nano-rpc", options.nano_rpc, "Nano node HTTP RPC URL")->type_name("URL");
    app.add_option("--solana-ws", options.solana_ws, "Solana PubSub WebSocket URL")
        ->type_name("URL");
    app.add_option("--solana-rpc", options.solana_rpc, "Solana HTTP RPC URL")->type_name("URL");
    app.add_option(
           "--metrics-addr",
           options.metrics_addr,
           "serve /metrics, /healthz and /readyz on this address")
        ->type_name("HOST:PORT");

    app.add_option(
           "--log-format", options.log_format, "text (default) or json (one object per line)")
        ->type_name("FORMAT");
    app.add_option("--log-level", options.log_level, "trace, debug, info (default), warn, error")
        ->type_name("LEVEL");
    app.add_flag(
        "--print-config",
        options.print_config,
        "print the effective configuration (passwords masked) and exit");

    CLI::App* migrate = app.add_subcommand("migrate", "apply the database migrations and exit");
    migrate
        ->add_option(
            "--migrations",
            options.migrations_dir,
            "migrations directory (default: $LEDGERTAP_MIGRATIONS, else the "
            "installed share/ledgertap/migrations, else the source tree's)")
        ->type_name("DIR");
    // `ledgertap-ingest migrate --db URL` sets the top-level --db.
    migrate->fallthrough();
    app.require_subcommand(0, 1);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // CLI11 may quote an argument it did not expect, e.g. a URL with a password.
        std::string message = e.what();
        for (int i = 1; i < argc; ++i) {
            message = ledgertap::ingest::safe_message(message, argv[i]);
        }
        fmt::print(
            stderr,
            "ledgertap-ingest: error: {}\nRun with --help for more information.\n",
            message);
        return exit_usage;
    }

    if (migrate->parsed()) {
        return run_migrate_mode(options);
    }
    return run_ingest_mode(options);
}
