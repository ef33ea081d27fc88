#include "query/duration.hpp"

#include "schema/codec.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledgertap::query {

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    if (text.size() < 2) {
        return std::nullopt;
    }
    std::int64_t unit_seconds = 0;
    switch (text.back()) {
    case 's':
        unit_seconds = 1;
        break;
    case 'm':
        unit_seconds = 60;
        break;
    case 'h':
        unit_seconds = 3600;
        break;
    case 'd':
        unit_seconds = 86400;
        break;
    default:
        return std::nullopt;
    }
    const auto count = schema::parse_u64(text.substr(0, text.size() - 1));
    if (!count || *count == 0) {
        return std::nullopt;
    }
    const auto limit = static_cast<std::uint64_t>(max_duration.count() / unit_seconds);
    if (*count > limit) {
        return std::nullopt;
    }
    return std::chrono::seconds{static_cast<std::int64_t>(*count) * unit_seconds};
}

std::string pg_interval(std::chrono::seconds duration) {
    return fmt::format("{} seconds", duration.count());
}

std::string format_duration(std::chrono::seconds duration) {
    const std::int64_t s = duration.count();
    if (s != 0 && s % 86400 == 0) {
        return fmt::format("{}d", s / 86400);
    }
    if (s != 0 && s % 3600 == 0) {
        return fmt::format("{}h", s / 3600);
    }
    if (s != 0 && s % 60 == 0) {
        return fmt::format("{}m", s / 60);
    }
    return fmt::format("{}s", s);
}

} // namespace ledgertap::query
