#pragma once

// `--since` durations: a positive whole number and a unit, `90s`, `15m`, `2h`, `7d`. Pure.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ledgertap::query {

/// The longest accepted duration (about 100 years), so every value fits a PostgreSQL interval.
inline constexpr std::chrono::seconds max_duration{100LL * 366 * 24 * 3600};

/// `<digits><unit>` with unit s, m, h or d; digits without sign or leading zeros, value > 0 and at
/// most max_duration. std::nullopt for anything else (`0s`, `15`, `1.5h`, `-2m`, `2 h`, `1w`).
[[nodiscard]] std::optional<std::chrono::seconds> parse_duration(std::string_view text);

/// The same duration as a PostgreSQL interval literal, e.g. `900 seconds`.
[[nodiscard]] std::string pg_interval(std::chrono::seconds duration);

/// For people: the largest unit that divides it exactly, `15m`, `2h`, `90s`, `7d`.
[[nodiscard]] std::string format_duration(std::chrono::seconds duration);

} // namespace ledgertap::query
