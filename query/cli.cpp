#include "query/cli.hpp"

#include "ingest/db.hpp"
#include "query/commands.hpp"
#include "query/duration.hpp"
#include "query/output.hpp"
#include "query/report.hpp"
#include "query/session.hpp"
#include "schema/codec.hpp"
#include "schema/version.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::query {

namespace {

constexpr std::string_view program = "ledgertap-query";
constexpr std::uint64_t max_limit = 100000;
constexpr std::size_t max_shown_input = 80;

struct command_info {
    std::string_view name;
    std::string_view help;
};

constexpr std::array<command_info, 10> commands{{
    {"latency", "Nano confirmation latency and Solana slot latency: percentiles, per minute"},
    {"gaps", "gaps per source; open and recent gaps"},
    {"status", "per source: connected, last message, lag, gaps; watermarks, rows per table"},
    {"block", "a Nano block by hash: confirmation, latency, elections, votes"},
    {"account", "a Nano account: height, balance, recent blocks"},
    {"slot", "a Solana slot: status, timings, block, transactions"},
    {"slots", "Solana slots: skip rate, transactions per block and second, recent slots"},
    {"votes", "Nano and Solana vote summaries, most active voters"},
    {"telemetry", "Nano peers: cemented-count spread, versions, peers"},
    {"report", "write a self-contained HTML report with charts (--out FILE.html)"},
}};

/// Options that take a value, for finding the command word before CLI11 parses.
constexpr std::array<std::string_view, 6> value_options{
    "--db", "--since", "--limit", "--format", "--section", "--out"};

struct cli_args {
    std::string db;
    std::string since = "1h";
    std::string limit = "20";
    std::string format = "table";
    std::string section;
    std::string target;
    std::string out_file;
};

[[nodiscard]] bool is_command(std::string_view word) {
    return std::any_of(
        commands.begin(), commands.end(), [&](const command_info& c) { return c.name == word; });
}

[[nodiscard]] std::string command_list() {
    std::string names;
    for (const auto& c : commands) {
        if (!names.empty()) {
            names += ", ";
        }
        names += c.name;
    }
    return names;
}

/// User input quoted in an error: printable and bounded.
[[nodiscard]] std::string shown(std::string_view text) {
    std::string out;
    for (const char c : text.substr(0, max_shown_input)) {
        const auto u = static_cast<unsigned char>(c);
        out += u < 0x20U || u == 0x7FU ? '?' : c;
    }
    if (text.size() > max_shown_input) {
        out += "...";
    }
    return out;
}

/// The first word that is neither an option nor an option's value; std::nullopt when none.
/// Help and version requests are left to CLI11.
[[nodiscard]] std::optional<std::string> command_word(
    const std::vector<std::string>& args, bool& wants_help) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help" || a == "--version") {
            wants_help = true;
            continue;
        }
        if (a.starts_with("-")) {
            const bool takes_value = a.find('=') == std::string::npos
                                     && std::find(value_options.begin(), value_options.end(), a)
                                            != value_options.end();
            if (takes_value) {
                ++i;
            }
            continue;
        }
        return a;
    }
    return std::nullopt;
}

int usage_error(std::ostream& err, const std::string& message) {
    err << program << ": error: " << message << "\n";
    return exit_usage;
}

[[nodiscard]] const section* find_section(
    const std::vector<section>& sections, std::string_view name) {
    for (const auto& s : sections) {
        if (s.name == name) {
            return &s;
        }
    }
    return nullptr;
}

int write_report(
    session& db,
    const command_options& options,
    const std::string& path,
    std::ostream& out,
    std::ostream& err) {
    const report_data data = collect_report(db, options);
    const std::string html = render_report_html(data, ledgertap::version);
    std::ofstream file{path, std::ios::binary | std::ios::trunc};
    if (file) {
        file.write(html.data(), static_cast<std::streamsize>(html.size()));
        file.close();
    }
    if (!file) {
        err << program << ": error: cannot write the report to " << shown(path) << ": "
            << std::strerror(errno) << "\n"; // NOLINT(concurrency-mt-unsafe)
        return exit_failure;
    }
    out << fmt::format(
        "wrote {} ({} bytes): Nano and Solana charts, gaps, sources\n", path, html.size());
    return exit_ok;
}

struct validated {
    command_options options;
    output_format format = output_format::table;
    std::optional<schema::bytes32> hash;
    std::optional<std::string> account;
    std::optional<std::uint64_t> slot;
};

/// Checks every argument before anything connects; returns an error message or std::nullopt.
[[nodiscard]] std::optional<std::string> validate(
    const std::string& command, const cli_args& a, validated& v) {
    const auto since = parse_duration(a.since);
    if (!since) {
        return fmt::format(
            "bad duration '{}' for --since: use a whole number and a unit s, m, h "
            "or d, e.g. 90s, 15m, 2h, 7d",
            shown(a.since));
    }
    v.options.since = *since;
    const auto limit = schema::parse_u64(a.limit);
    if (!limit || *limit == 0 || *limit > max_limit) {
        return fmt::format(
            "bad --limit '{}': use a whole number from 1 to {}", shown(a.limit), max_limit);
    }
    v.options.limit = static_cast<std::int64_t>(*limit);
    const auto format = parse_output_format(a.format);
    if (!format) {
        return fmt::format("bad --format '{}': use table, json or csv", shown(a.format));
    }
    v.format = *format;
    if (command == "block") {
        v.hash = schema::parse_hex32(a.target);
        if (!v.hash) {
            return fmt::format(
                "bad block hash '{}': a Nano block hash is 64 hexadecimal digits", shown(a.target));
        }
    } else if (command == "account") {
        v.account = schema::nano::normalize_account(a.target);
        if (!v.account) {
            return fmt::format(
                "bad account address '{}': expected nano_ (or xrb_) followed by 60 "
                "base32 characters with a valid checksum",
                shown(a.target));
        }
    } else if (command == "slot") {
        v.slot = schema::parse_u64(a.target);
        if (!v.slot
            || *v.slot > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return fmt::format(
                "bad slot '{}': a slot is a whole number from 0 to {}",
                shown(a.target),
                std::numeric_limits<std::int64_t>::max());
        }
    }
    return std::nullopt;
}

[[nodiscard]] command_result dispatch(const std::string& command, session& db, const validated& v) {
    if (command == "latency") {
        return run_latency(db, v.options);
    }
    if (command == "gaps") {
        return run_gaps(db, v.options);
    }
    if (command == "status") {
        return run_status(db, v.options);
    }
    if (command == "block") {
        return run_block(db, *v.hash, v.options);
    }
    if (command == "account") {
        return run_account(db, *v.account, v.options);
    }
    if (command == "slot") {
        return run_slot(db, *v.slot, v.options);
    }
    if (command == "slots") {
        return run_slots(db, v.options);
    }
    if (command == "votes") {
        return run_votes(db, v.options);
    }
    return run_telemetry(db, v.options);
}

/// For an undefined table, function or schema: the database is probably not migrated.
[[nodiscard]] std::string_view migration_hint(std::string_view sqlstate) {
    if (sqlstate == "42P01" || sqlstate == "42883" || sqlstate == "3F000") {
        return " (is the database migrated? run `ledgertap-ingest migrate`)";
    }
    return {};
}

[[nodiscard]] std::string not_found_message(const std::string& command, const validated& v) {
    if (command == "block") {
        return fmt::format(
            "block {} not found: neither confirmed nor seen unconfirmed",
            schema::hex_upper(*v.hash));
    }
    if (command == "account") {
        return fmt::format("account {} not found: no block of it is stored", *v.account);
    }
    return fmt::format("slot {} not found: no slot notification and no block stored", *v.slot);
}

} // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    bool wants_help = false;
    const auto word = command_word(args, wants_help);
    if (!wants_help) {
        if (!word) {
            return usage_error(
                err, "no command given; commands: " + command_list() + " (see --help)");
        }
        if (!is_command(*word)) {
            return usage_error(
                err,
                fmt::format("unknown command '{}'; commands: {}", shown(*word), command_list()));
        }
    }

    CLI::App app{
        "Answers questions about a ledgertap database. Read-only: it never writes.",
        std::string{program}};
    app.set_version_flag("--version", fmt::format("{} {}", program, ledgertap::version));
    cli_args a;
    app.add_option(
           "--db",
           a.db,
           "PostgreSQL conninfo: a postgresql:// URL or key=value pairs (default: "
           "$LEDGERTAP_DB, else libpq's PG* variables and service file)")
        ->type_name("URL");
    app.add_option("--since", a.since, "look back this far: 90s, 15m, 2h, 7d (default 1h)")
        ->type_name("DURATION");
    app.add_option("--limit", a.limit, "most rows per list, most minutes per series (default 20)")
        ->type_name("N");
    app.add_option("--format", a.format, "output format (default table)")
        ->type_name("table|json|csv");
    app.add_option("--section", a.section, "print only this section (its JSON key)")
        ->type_name("NAME");
    app.require_subcommand(1);
    for (const auto& c : commands) {
        CLI::App* sub = app.add_subcommand(std::string{c.name}, std::string{c.help});
        sub->fallthrough();
        if (c.name == "block") {
            sub->add_option("HASH", a.target, "block hash, 64 hex digits")->required();
        } else if (c.name == "account") {
            sub->add_option("ADDRESS", a.target, "nano_ account address")->required();
        } else if (c.name == "slot") {
            sub->add_option("N", a.target, "slot number")->required();
        } else if (c.name == "report") {
            sub->add_option("--out", a.out_file, "where to write the HTML page")
                ->required()
                ->type_name("FILE.html");
        }
    }

    std::vector<const char*> argv;
    argv.reserve(args.size() + 1);
    argv.push_back(program.data());
    for (const auto& s : args) {
        argv.push_back(s.c_str());
    }
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e, out, err);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e, out, err);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e, out, err);
    } catch (const CLI::ParseError& e) {
        // CLI11 may quote an argument, e.g. a URL with a password.
        std::string message = e.what();
        for (const auto& s : args) {
            message = ingest::safe_message(message, s);
        }
        return usage_error(err, message + " (see --help)");
    }

    const std::string command = app.get_subcommands().front()->get_name();
    validated v;
    if (const auto problem = validate(command, a, v)) {
        return usage_error(err, *problem);
    }

    std::optional<std::string> db_flag;
    if (!a.db.empty()) {
        db_flag = a.db;
    }
    const ingest::conninfo_choice db_choice = ingest::resolve_conninfo(db_flag);
    try {
        session db{db_choice.conninfo};
        if (command == "report") {
            return write_report(db, v.options, a.out_file, out, err);
        }
        const command_result result = dispatch(command, db, v);
        if (!result.found) {
            err << program << ": " << not_found_message(command, v) << "\n";
            return exit_not_found;
        }
        if (a.section.empty()) {
            out << render(result.sections, v.format);
            return exit_ok;
        }
        const section* only = find_section(result.sections, a.section);
        if (only == nullptr) {
            std::string names;
            for (const auto& s : result.sections) {
                names += names.empty() ? s.name : ", " + s.name;
            }
            return usage_error(
                err,
                fmt::format(
                    "unknown section '{}' of {}; sections: {}", shown(a.section), command, names));
        }
        out << render({*only}, v.format);
        return exit_ok;
    } catch (const database_error& e) {
        err << program << ": error: " << ingest::safe_message(e.what(), db_choice.conninfo)
            << migration_hint(e.sqlstate()) << "\n";
        return exit_failure;
    }
}

} // namespace ledgertap::query
