#pragma once

// The header of an unmasked (server) WebSocket frame, RFC 6455 §5.2: for the test servers and for
// tests that feed ws_codec's reader frames a server would send.

#include <cstdint>
#include <string>

namespace ledgertap::test {

inline std::string ws_frame_header(bool fin, unsigned opcode, std::uint64_t len) {
    std::string h;
    h.push_back(static_cast<char>((fin ? 0x80U : 0U) | opcode));
    if (len < 126) {
        h.push_back(static_cast<char>(len));
    } else if (len <= 0xFFFF) {
        h.push_back(static_cast<char>(126));
        h.push_back(static_cast<char>(len >> 8U));
        h.push_back(static_cast<char>(len & 0xFFU));
    } else {
        h.push_back(static_cast<char>(127));
        for (int i = 7; i >= 0; --i) {
            h.push_back(static_cast<char>((len >> (8U * static_cast<unsigned>(i))) & 0xFFU));
        }
    }
    return h;
}

} // namespace ledgertap::test
