#pragma once

// The ledgertap-query command line, as a function so tests can run it in-process.
//
//   ledgertap-query COMMAND [ARG] [--db URL] [--since DURATION] [--limit N]
//                   [--format table|json|csv] [--section NAME]
//   ledgertap-query report --out FILE.html [--db URL] [--since DURATION]
//
// Commands: latency, gaps, status, block HASH, account ADDRESS, slot N, slots, votes, telemetry,
// report. The database comes from --db, else $LEDGERTAP_DB, else libpq's defaults (PG* variables,
// service files); the session is read-only.

#include <ostream>
#include <string>
#include <vector>

namespace ledgertap::query {

inline constexpr int exit_ok = 0;
/// The database could not be reached or a query failed (one line on stderr, no password).
inline constexpr int exit_failure = 1;
/// A usage error: unknown command, bad hash, address, slot, duration, limit, format or section.
inline constexpr int exit_usage = 2;
/// `block`, `account` or `slot` named something the database does not hold.
inline constexpr int exit_not_found = 3;

/// Runs the command line `args` (without the program name). Results go to `out`, errors and
/// the report's confirmation line to `err` and `out` respectively. Returns the exit code.
[[nodiscard]] int run_cli(
    const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace ledgertap::query
