#pragma once

namespace ledgertap {

inline constexpr const char* version = "0.1.0";

} // namespace ledgertap
