// Base58 (Bitcoin alphabet, as Solana uses for keys, signatures and hashes) and base64 (RFC 4648
// standard alphabet, padded). Declared in schema/codec.hpp; the rest of codec.hpp is codec.cpp.
//
// Base58 is a big-number encoding, so both directions are quadratic in the length. The loops work
// on 32-bit limbs and five base58 digits at a time (58^5 < 2^32), which keeps a 1,232-byte
// transaction at roughly 10^5 limb operations.

#include "schema/codec.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::schema {

namespace {

constexpr std::string_view base58_alphabet =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::uint32_t base58_radix = 58;
constexpr std::size_t base58_group = 5;                 // digits per limb step
constexpr std::uint64_t base58_group_radix = 656356768; // 58^5
constexpr std::int8_t invalid_digit = -1;

constexpr std::array<std::int8_t, 256> make_base58_table() {
    std::array<std::int8_t, 256> table{};
    for (auto& entry : table) {
        entry = invalid_digit;
    }
    for (std::size_t i = 0; i < base58_alphabet.size(); ++i) {
        table[static_cast<unsigned char>(base58_alphabet[i])] = static_cast<std::int8_t>(i);
    }
    return table;
}

constexpr std::array<std::int8_t, 256> base58_table = make_base58_table();

constexpr std::uint64_t pow58(std::size_t exponent) {
    std::uint64_t value = 1;
    for (std::size_t i = 0; i < exponent; ++i) {
        value *= base58_radix;
    }
    return value;
}

/// Longest base58 text a value of `size` bytes can have: one '1' per zero byte at most, and
/// log(256)/log(58) < 1.3658 characters per byte otherwise.
constexpr std::size_t max_base58_length(std::size_t size) { return size * 13658 / 10000 + 1; }

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_base64_table() {
    std::array<std::int8_t, 256> table{};
    for (auto& entry : table) {
        entry = invalid_digit;
    }
    for (std::size_t i = 0; i < base64_alphabet.size(); ++i) {
        table[static_cast<unsigned char>(base64_alphabet[i])] = static_cast<std::int8_t>(i);
    }
    return table;
}

constexpr std::array<std::int8_t, 256> base64_table = make_base64_table();

} // namespace

// ---- base58 -------------------------------------------------------------------------------------

std::string base58_encode(std::span<const std::uint8_t> bytes) {
    std::size_t zeros = 0;
    while (zeros < bytes.size() && bytes[zeros] == 0) {
        ++zeros;
    }
    const std::span<const std::uint8_t> rest = bytes.subspan(zeros);

    // Little-endian limbs in base 58^5, fed one input byte at a time.
    std::vector<std::uint32_t> limbs;
    limbs.reserve(rest.size() / 3 + 1);
    for (const std::uint8_t byte : rest) {
        std::uint64_t carry = byte;
        for (auto& limb : limbs) {
            carry += static_cast<std::uint64_t>(limb) << 8U;
            limb = static_cast<std::uint32_t>(carry % base58_group_radix);
            carry /= base58_group_radix;
        }
        while (carry != 0) {
            limbs.push_back(static_cast<std::uint32_t>(carry % base58_group_radix));
            carry /= base58_group_radix;
        }
    }

    // Digits, least significant first, then trimmed of the zero digits above the top.
    std::string reversed;
    reversed.reserve(limbs.size() * base58_group);
    for (const std::uint32_t limb : limbs) {
        std::uint32_t value = limb;
        for (std::size_t i = 0; i < base58_group; ++i) {
            reversed.push_back(base58_alphabet[value % base58_radix]);
            value /= base58_radix;
        }
    }
    while (!reversed.empty() && reversed.back() == base58_alphabet[0]) {
        reversed.pop_back();
    }

    std::string out(zeros, base58_alphabet[0]);
    out.append(reversed.rbegin(), reversed.rend());
    return out;
}

std::optional<std::vector<std::uint8_t>> base58_decode(std::string_view text) {
    std::size_t ones = 0;
    while (ones < text.size() && text[ones] == base58_alphabet[0]) {
        ++ones;
    }
    const std::string_view rest = text.substr(ones);

    // Little-endian 32-bit limbs; the first group is short so every later group is 5 digits.
    std::vector<std::uint32_t> limbs;
    limbs.reserve(rest.size() * 3 / 4 / 4 + 1);
    std::size_t pos = 0;
    std::size_t group = rest.size() % base58_group;
    if (group == 0) {
        group = base58_group;
    }
    while (pos < rest.size()) {
        std::uint64_t chunk = 0;
        for (std::size_t i = 0; i < group; ++i) {
            const std::int8_t digit = base58_table[static_cast<unsigned char>(rest[pos + i])];
            if (digit == invalid_digit) {
                return std::nullopt;
            }
            chunk = chunk * base58_radix + static_cast<std::uint64_t>(digit);
        }
        const std::uint64_t multiplier = pow58(group);
        std::uint64_t carry = chunk;
        for (auto& limb : limbs) {
            carry += static_cast<std::uint64_t>(limb) * multiplier;
            limb = static_cast<std::uint32_t>(carry);
            carry >>= 32U;
        }
        while (carry != 0) {
            limbs.push_back(static_cast<std::uint32_t>(carry));
            carry >>= 32U;
        }
        pos += group;
        group = base58_group;
    }

    std::vector<std::uint8_t> out(ones, 0);
    out.reserve(ones + limbs.size() * 4);
    bool leading = true;
    for (auto it = limbs.rbegin(); it != limbs.rend(); ++it) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            const auto byte = static_cast<std::uint8_t>(*it >> static_cast<unsigned>(shift));
            if (leading && byte == 0) {
                continue;
            }
            leading = false;
            out.push_back(byte);
        }
    }
    return out;
}

bool is_base58_of_size(std::string_view text, std::size_t size) {
    if (text.empty() || text.size() > max_base58_length(size)) {
        return false;
    }
    const auto decoded = base58_decode(text);
    return decoded.has_value() && decoded->size() == size;
}

// ---- base64 -------------------------------------------------------------------------------------

std::string base64_encode(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t triple = (static_cast<std::uint32_t>(bytes[i]) << 16U)
            | (static_cast<std::uint32_t>(bytes[i + 1]) << 8U) | bytes[i + 2];
        out.push_back(base64_alphabet[(triple >> 18U) & 0x3FU]);
        out.push_back(base64_alphabet[(triple >> 12U) & 0x3FU]);
        out.push_back(base64_alphabet[(triple >> 6U) & 0x3FU]);
        out.push_back(base64_alphabet[triple & 0x3FU]);
    }
    const std::size_t left = bytes.size() - i;
    if (left == 1) {
        const std::uint32_t triple = static_cast<std::uint32_t>(bytes[i]) << 16U;
        out.push_back(base64_alphabet[(triple >> 18U) & 0x3FU]);
        out.push_back(base64_alphabet[(triple >> 12U) & 0x3FU]);
        out.append("==");
    } else if (left == 2) {
        const std::uint32_t triple = (static_cast<std::uint32_t>(bytes[i]) << 16U)
            | (static_cast<std::uint32_t>(bytes[i + 1]) << 8U);
        out.push_back(base64_alphabet[(triple >> 18U) & 0x3FU]);
        out.push_back(base64_alphabet[(triple >> 12U) & 0x3FU]);
        out.push_back(base64_alphabet[(triple >> 6U) & 0x3FU]);
        out.push_back('=');
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') {
        padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
    }
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 4 * 3);
    const std::size_t data_chars = text.size() - padding;
    std::uint32_t accumulator = 0;
    unsigned bits = 0;
    for (std::size_t i = 0; i < data_chars; ++i) {
        const std::int8_t digit = base64_table[static_cast<unsigned char>(text[i])];
        if (digit == invalid_digit) {
            return std::nullopt; // also rejects '=' before the end
        }
        accumulator = (accumulator << 6U) | static_cast<std::uint32_t>(digit);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(accumulator >> bits));
            accumulator &= (1U << bits) - 1U;
        }
    }
    // Canonical form only: the bits left over beside the padding must be zero (RFC 4648 3.5).
    if (accumulator != 0) {
        return std::nullopt;
    }
    return out;
}

} // namespace ledgertap::schema
