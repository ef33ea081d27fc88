#pragma once

// Shared by the libFuzzer targets: a property check that aborts (so libFuzzer records the input as
// a crash) and names the property that failed.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define LEDGERTAP_FUZZ_CHECK(cond)                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);       \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)

namespace ledgertap::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
    return {reinterpret_cast<const char*>(data), size};
}

/// An ok result's string field that must hold a 64-hex block hash.
inline bool is_hex(std::string_view text, std::size_t digits) noexcept {
    if (text.size() != digits) {
        return false;
    }
    for (const char c : text) {
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex) {
            return false;
        }
    }
    return true;
}

} // namespace ledgertap::fuzz
