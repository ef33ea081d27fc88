// Exact integers, hex, blake2b, Nano addresses and block hashes. Base58/base64 live in base58.cpp.
// Every parser is strict (exact lengths, no signs or leading zeros where the header says so) and
// returns std::nullopt on bad input; nothing here throws for any input.

#include "schema/codec.hpp"

#include <algorithm>
#include <limits>
#include <sodium.h>

namespace ledgertap::schema {

namespace {

constexpr std::size_t max_u64_digits = 20;
constexpr std::size_t max_u128_digits = 39;
constexpr std::size_t max_u512_digits = 155; // 2^512-1 has 155 decimal digits.
constexpr std::size_t u64_chunk_digits = 19;
constexpr std::uint64_t u64_chunk_base = 10'000'000'000'000'000'000ULL; // 10^19

constexpr char hex_digits_upper[] = "0123456789ABCDEF";
constexpr char hex_digits_lower[] = "0123456789abcdef";

/// For each byte value, the digit it stands for in `alphabet` (case-sensitive), or -1. The
/// decoders below run per character of every hash, key and address, so a lookup, not a search.
[[nodiscard]] constexpr std::array<std::int8_t, 256> digit_table(std::string_view alphabet) {
    std::array<std::int8_t, 256> table{};
    table.fill(-1);
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    }
    return table;
}

constexpr auto hex_table = [] {
    auto table = digit_table(hex_digits_lower);
    for (char c = 'A'; c <= 'F'; ++c) {
        table[static_cast<unsigned char>(c)] = static_cast<std::int8_t>(c - 'A' + 10);
    }
    return table;
}();

/// Value of one hex digit in either case, or -1.
[[nodiscard]] constexpr int hex_value(char c) noexcept {
    return hex_table[static_cast<unsigned char>(c)];
}

[[nodiscard]] constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

/// Digits only, at least one, at most max_digits, no leading zero unless the text is "0".
[[nodiscard]] bool is_strict_decimal(std::string_view text, std::size_t max_digits) noexcept {
    if (text.empty() || text.size() > max_digits) {
        return false;
    }
    if (text.size() > 1 && text.front() == '0') {
        return false;
    }
    return std::all_of(text.begin(), text.end(), is_digit);
}

std::string hex_encode(std::span<const std::uint8_t> bytes, const char* digits) {
    std::string out(bytes.size() * 2, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = digits[bytes[i] >> 4U];
        out[2 * i + 1] = digits[bytes[i] & 0x0fU];
    }
    return out;
}

template<std::size_t N>
std::optional<std::array<std::uint8_t, N>> parse_hex_fixed(std::string_view text) {
    if (text.size() != 2 * N) {
        return std::nullopt;
    }
    std::array<std::uint8_t, N> out{};
    for (std::size_t i = 0; i < N; ++i) {
        const int hi = hex_value(text[2 * i]);
        const int lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
    }
    return out;
}

std::array<std::uint8_t, 16> u128_big_endian(u128 value) {
    std::array<std::uint8_t, 16> out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[out.size() - 1 - i] = static_cast<std::uint8_t>(value & 0xffU);
        value >>= 8U;
    }
    return out;
}

// ---- Nano address base32 -----------------------------------------------------------------------

constexpr std::string_view nano_alphabet = "13456789abcdefghijkmnopqrstuwxyz";
constexpr std::size_t address_chars = 60;
/// 60 base32 characters hold 300 bits; the buffer is 38 bytes (304 bits) big-endian: 4 spare zero
/// bits, 4 bits that must be zero, the 32-byte key, then the 5-byte checksum.
constexpr std::size_t address_buffer_bytes = 38;
constexpr std::size_t checksum_bytes = 5;

constexpr auto nano_table = digit_table(nano_alphabet);

[[nodiscard]] int nano_char_value(char c) noexcept {
    return nano_table[static_cast<unsigned char>(c)];
}

/// blake2b-40 of the key, bytes reversed (the node reads the digest as a little-endian integer).
std::array<std::uint8_t, checksum_bytes> account_checksum(const bytes32& key) {
    std::array<std::uint8_t, checksum_bytes> digest{};
    const std::span<const std::uint8_t> part(key);
    blake2b(digest, std::span(&part, 1));
    std::reverse(digest.begin(), digest.end());
    return digest;
}

} // namespace

// ---- exact decimal integers ------------------------------------------------------------------

std::optional<std::uint64_t> parse_u64(std::string_view text) {
    if (!is_strict_decimal(text, max_u64_digits)) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    for (const char c : text) {
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (max - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
    }
    return value;
}

std::optional<std::int64_t> parse_i64(std::string_view text) {
    const bool negative = !text.empty() && text.front() == '-';
    const std::string_view digits = negative ? text.substr(1) : text;
    if (negative && digits == "0") {
        return std::nullopt; // "-0" is not a canonical integer.
    }
    const auto magnitude = parse_u64(digits);
    if (!magnitude) {
        return std::nullopt;
    }
    constexpr auto max_positive
        = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!negative) {
        if (*magnitude > max_positive) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(*magnitude);
    }
    if (*magnitude > max_positive + 1) {
        return std::nullopt;
    }
    if (*magnitude == max_positive + 1) {
        return std::numeric_limits<std::int64_t>::min();
    }
    return -static_cast<std::int64_t>(*magnitude);
}

// u128 arithmetic is a library call per division, so both directions work in chunks of 19
// decimal digits (the most a u64 holds): two 128-bit divisions per number instead of one per digit.

std::optional<u128> parse_u128(std::string_view text) {
    if (!is_strict_decimal(text, max_u128_digits)) {
        return std::nullopt;
    }
    // Fewer than 39 digits cannot overflow; 39 digits fit when not above 2^128-1, which for
    // digit strings of equal length is a comparison of the text.
    constexpr std::string_view max_text = "340282366920938463463374607431768211455";
    if (text.size() == max_text.size() && text > max_text) {
        return std::nullopt;
    }
    const auto chunk_value = [](std::string_view digits) {
        std::uint64_t v = 0;
        for (const char c : digits) {
            v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        return v;
    };
    // The leading chunk takes what is left over from whole chunks of 19.
    std::size_t head = text.size() % u64_chunk_digits;
    if (head == 0) {
        head = u64_chunk_digits;
    }
    u128 value = chunk_value(text.substr(0, head));
    for (std::size_t at = head; at < text.size(); at += u64_chunk_digits) {
        value = value * u64_chunk_base + chunk_value(text.substr(at, u64_chunk_digits));
    }
    return value;
}

std::string format_u128(u128 value) {
    std::array<char, max_u128_digits> buffer{};
    char* const end = buffer.data() + buffer.size();
    char* begin = end;
    while (value >= u64_chunk_base) {
        begin = put_decimal_digits(begin, static_cast<std::uint64_t>(value % u64_chunk_base), u64_chunk_digits);
        value /= u64_chunk_base;
    }
    // The leading chunk without its zero padding.
    const auto head = static_cast<std::uint64_t>(value);
    std::size_t head_digits = 1;
    for (std::uint64_t rest = head / 10; rest != 0; rest /= 10) {
        ++head_digits;
    }
    begin = put_decimal_digits(begin, head, head_digits);
    return {begin, end};
}

// ---- hex --------------------------------------------------------------------------------------

int hex_digit_value(char c) noexcept { return hex_value(c); }

std::string hex_upper(std::span<const std::uint8_t> bytes) {
    return hex_encode(bytes, hex_digits_upper);
}

std::string hex_lower(std::span<const std::uint8_t> bytes) {
    return hex_encode(bytes, hex_digits_lower);
}

std::optional<bytes32> parse_hex32(std::string_view text) {
    return parse_hex_fixed<32>(text);
}

std::optional<bytes64> parse_hex64(std::string_view text) {
    return parse_hex_fixed<64>(text);
}

std::optional<std::uint64_t> parse_hex_u64(std::string_view text) {
    if (text.empty() || text.size() > 16) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (const char c : text) {
        const int v = hex_value(c);
        if (v < 0) {
            return std::nullopt;
        }
        value = (value << 4U) | static_cast<std::uint64_t>(v);
    }
    return value;
}

std::optional<u128> parse_hex_u128(std::string_view text) {
    const auto bytes = parse_hex_fixed<16>(text);
    if (!bytes) {
        return std::nullopt;
    }
    u128 value = 0;
    for (const std::uint8_t b : *bytes) {
        value = (value << 8U) | b;
    }
    return value;
}

std::string format_hex_u64(std::uint64_t value) {
    std::string out(16, '0');
    for (std::size_t i = 0; i < 16; ++i) {
        out[15 - i] = hex_digits_lower[value & 0x0fU];
        value >>= 4U;
    }
    return out;
}

std::string format_hex_u128(u128 value) {
    return hex_upper(u128_big_endian(value));
}

// ---- blake2b ----------------------------------------------------------------------------------

void blake2b(std::span<std::uint8_t> out, std::span<const std::span<const std::uint8_t>> parts) {
    crypto_generichash_state state;
    // Only fails for digest sizes outside 1..64, a programmer error; the output stays zeroed then.
    std::fill(out.begin(), out.end(), std::uint8_t{0});
    if (out.empty() || out.size() > crypto_generichash_BYTES_MAX) {
        return;
    }
    if (crypto_generichash_init(&state, nullptr, 0, out.size()) != 0) {
        return;
    }
    for (const auto part : parts) {
        crypto_generichash_update(&state, part.data(), part.size());
    }
    crypto_generichash_final(&state, out.data(), out.size());
}

// ---- Nano -------------------------------------------------------------------------------------

namespace nano {

namespace {

bytes32 hash_of(std::initializer_list<std::span<const std::uint8_t>> parts) {
    bytes32 out{};
    blake2b(out, std::span(parts.begin(), parts.size()));
    return out;
}

/// Strips an accepted prefix; returns the 60-character body or nullopt.
std::optional<std::string_view> address_body(std::string_view address, bool allow_node_id) {
    constexpr std::string_view prefixes[] = {"nano_", "nano-", "xrb_", "xrb-"};
    for (const auto prefix : prefixes) {
        if (address.substr(0, prefix.size()) == prefix) {
            return address.substr(prefix.size());
        }
    }
    if (allow_node_id && address.substr(0, 5) == "node_") {
        return address.substr(5);
    }
    return std::nullopt;
}

} // namespace

std::optional<bytes32> decode_account(std::string_view address, bool allow_node_id) {
    const auto body = address_body(address, allow_node_id);
    if (!body || body->size() != address_chars) {
        return std::nullopt;
    }
    if (body->front() != '1' && body->front() != '3') {
        return std::nullopt;
    }
    // 60 digits of 5 bits are 300 bits: 4 zero bits of padding (the first digit is 1 or 3, so
    // 0000x), then the 256-bit key and the 40-bit checksum. Stream the bits out a byte at a time.
    std::array<std::uint8_t, address_buffer_bytes - 1> bytes{}; // key, then checksum
    std::uint32_t bits = static_cast<std::uint32_t>(nano_char_value(body->front()));
    unsigned pending = 1; // bits of the first digit that belong to the key
    std::size_t out = 0;
    for (const char c : body->substr(1)) {
        const int v = nano_char_value(c);
        if (v < 0) {
            return std::nullopt;
        }
        bits = (bits << 5U) | static_cast<std::uint32_t>(v);
        pending += 5;
        if (pending >= 8) {
            pending -= 8;
            bytes[out++] = static_cast<std::uint8_t>(bits >> pending);
            bits &= (1U << pending) - 1U;
        }
    }
    bytes32 key{};
    std::copy_n(bytes.begin(), key.size(), key.begin());
    const auto expected = account_checksum(key);
    if (!std::equal(expected.begin(), expected.end(), bytes.begin() + key.size())) {
        return std::nullopt;
    }
    return key;
}

std::string encode_account(const bytes32& public_key, std::string_view prefix) {
    std::array<std::uint8_t, address_buffer_bytes> buffer{};
    std::copy(public_key.begin(), public_key.end(), buffer.begin() + 1);
    const auto check = account_checksum(public_key);
    std::copy(check.begin(), check.end(), buffer.begin() + 1 + public_key.size());

    std::string out(prefix);
    out.resize(prefix.size() + address_chars);
    // Digit k (from the right) is bits [5k, 5k+5) of the 304-bit big-endian number.
    for (std::size_t k = 0; k < address_chars; ++k) {
        const std::size_t bit = 5 * k;
        const std::size_t byte = buffer.size() - 1 - bit / 8;
        unsigned wide = buffer[byte];
        if (byte > 0) {
            wide |= static_cast<unsigned>(buffer[byte - 1]) << 8U;
        }
        const unsigned digit = (wide >> (bit % 8)) & 0x1fU;
        out[prefix.size() + address_chars - 1 - k] = nano_alphabet[digit];
    }
    return out;
}

std::optional<std::string> normalize_account(std::string_view address) {
    const auto key = decode_account(address);
    if (!key) {
        return std::nullopt;
    }
    return encode_account(*key);
}

bytes32 state_block_hash(
    const bytes32& account,
    const bytes32& previous,
    const bytes32& representative,
    u128 balance,
    const bytes32& link) {
    bytes32 preamble{};
    preamble.back() = 6; // block_type::state as a 32-byte big-endian number.
    const auto balance_bytes = u128_big_endian(balance);
    return hash_of({preamble, account, previous, representative, balance_bytes, link});
}

bytes32 send_block_hash(const bytes32& previous, const bytes32& destination, u128 balance) {
    const auto balance_bytes = u128_big_endian(balance);
    return hash_of({previous, destination, balance_bytes});
}

bytes32 receive_block_hash(const bytes32& previous, const bytes32& source) {
    return hash_of({previous, source});
}

bytes32 open_block_hash(
    const bytes32& source, const bytes32& representative, const bytes32& account) {
    return hash_of({source, representative, account});
}

bytes32 change_block_hash(const bytes32& previous, const bytes32& representative) {
    return hash_of({previous, representative});
}

std::uint64_t work_value(std::uint64_t nonce, const bytes32& root) {
    std::array<std::uint8_t, 8> nonce_bytes{};
    for (std::size_t i = 0; i < nonce_bytes.size(); ++i) {
        nonce_bytes[i] = static_cast<std::uint8_t>((nonce >> (8 * i)) & 0xffU);
    }
    std::array<std::uint8_t, 8> digest{};
    const std::span<const std::uint8_t> parts[] = {nonce_bytes, root};
    blake2b(digest, parts);
    std::uint64_t value = 0;
    for (std::size_t i = digest.size(); i-- > 0;) {
        value = (value << 8U) | digest[i];
    }
    return value;
}

std::optional<bytes64> parse_decimal_u512(std::string_view text) {
    if (!is_strict_decimal(text, max_u512_digits)) {
        return std::nullopt;
    }
    bytes64 value{};
    for (const char c : text) {
        // value = value * 10 + digit, from the least significant byte up.
        unsigned carry = static_cast<unsigned>(c - '0');
        for (std::size_t i = value.size(); i-- > 0;) {
            const unsigned wide = static_cast<unsigned>(value[i]) * 10U + carry;
            value[i] = static_cast<std::uint8_t>(wide & 0xffU);
            carry = wide >> 8U;
        }
        if (carry != 0) {
            return std::nullopt; // Over 2^512-1.
        }
    }
    return value;
}

std::string format_decimal_u512(const bytes64& value) {
    bytes64 rest = value;
    std::string out;
    const auto is_zero = [&rest] {
        return std::all_of(rest.begin(), rest.end(), [](std::uint8_t b) { return b == 0; });
    };
    while (!is_zero()) {
        // rest /= 10, keeping the remainder, from the most significant byte down.
        unsigned remainder = 0;
        for (auto& b : rest) {
            const unsigned wide = (remainder << 8U) | b;
            b = static_cast<std::uint8_t>(wide / 10U);
            remainder = wide % 10U;
        }
        out.push_back(static_cast<char>('0' + remainder));
    }
    if (out.empty()) {
        return "0";
    }
    std::reverse(out.begin(), out.end());
    return out;
}

} // namespace nano

} // namespace ledgertap::schema
