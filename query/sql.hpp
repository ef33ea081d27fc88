#pragma once

// SQL shared by the commands and the report (query/commands.cpp, query/report.cpp). Parameters:
// $1 the --since interval, $2 a row limit.

namespace ledgertap::query::sql {

inline constexpr const char* nano_summary = R"(
SELECT confirmation_type, confirmations, with_latency, per_second, latency_p50_ms, latency_p90_ms,
       latency_p99_ms, latency_max_ms, election_p50_ms, election_p90_ms, election_p99_ms
FROM nano.confirmation_summary(now() - $1::interval)
ORDER BY confirmation_type = 'all', confirmation_type)";

inline constexpr const char* gaps = R"(
SELECT id, chain, source, kind, account, first_slot, last_slot, last_slot - first_slot + 1 AS size,
       status, attempts, recovered, detected_at, filled_at, last_error
FROM ledgertap.gaps
WHERE status IN ('open', 'filling') OR detected_at >= now() - $1::interval
   OR filled_at >= now() - $1::interval
ORDER BY status IN ('open', 'filling') DESC, detected_at DESC, id DESC
LIMIT $2::bigint)";

inline constexpr const char* telemetry_summary = R"(
SELECT * FROM nano.telemetry_spread(now() - $1::interval))";

inline constexpr const char* telemetry_versions = R"(
SELECT * FROM nano.telemetry_versions(now() - $1::interval) ORDER BY peers DESC, version)";

} // namespace ledgertap::query::sql
