#pragma once

// Pure codecs shared by the decoders, the simulator and the writer: exact integers, hex, Nano
// addresses and block hashes (blake2b), base58. No I/O, no allocation beyond the returned values,
// no exceptions for bad input (every parse returns std::nullopt instead).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::schema {

__extension__ using u128 = unsigned __int128; ///< Nano raw amounts (up to 2^128-1).

using bytes32 = std::array<std::uint8_t, 32>;
using bytes64 = std::array<std::uint8_t, 64>;

// ---- exact decimal integers ------------------------------------------------------------------

/// Strict unsigned decimal: 1..20 digits, no sign, no leading zeros (except "0"), <= 2^64-1.
[[nodiscard]] std::optional<std::uint64_t> parse_u64(std::string_view text);
/// Strict signed decimal within int64 (a leading '-' allowed, no '+').
[[nodiscard]] std::optional<std::int64_t> parse_i64(std::string_view text);
/// Strict unsigned decimal: 1..39 digits, no leading zeros (except "0"), <= 2^128-1.
[[nodiscard]] std::optional<u128> parse_u128(std::string_view text);
[[nodiscard]] std::string format_u128(u128 value);
/// Writes the low `width` decimal digits of `value`, zero-padded, so that they end just before
/// `end`; returns where they begin. For formatters that fill a fixed buffer from the right.
inline char* put_decimal_digits(char* end, std::uint64_t value, std::size_t width) noexcept {
    for (std::size_t i = 0; i < width; ++i) {
        *--end = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return end;
}

// ---- hex --------------------------------------------------------------------------------------

/// Value of one hex digit in either case, or -1.
[[nodiscard]] int hex_digit_value(char c) noexcept;
[[nodiscard]] std::string hex_upper(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::string hex_lower(std::span<const std::uint8_t> bytes);
/// Exactly 2*N hex digits, either case.
[[nodiscard]] std::optional<bytes32> parse_hex32(std::string_view text);
[[nodiscard]] std::optional<bytes64> parse_hex64(std::string_view text);
/// 1..16 hex digits (Nano work and difficulty values), either case.
[[nodiscard]] std::optional<std::uint64_t> parse_hex_u64(std::string_view text);
/// 32 hex digits, big-endian (legacy send-block balance), either case.
[[nodiscard]] std::optional<u128> parse_hex_u128(std::string_view text);
/// 16 lowercase hex digits, zero-padded (the node's format for work and difficulty).
[[nodiscard]] std::string format_hex_u64(std::uint64_t value);
/// 32 uppercase hex digits, big-endian (legacy send-block balance).
[[nodiscard]] std::string format_hex_u128(u128 value);

// ---- blake2b ----------------------------------------------------------------------------------

/// blake2b with a digest of `out.size()` bytes (1..64) over the concatenation of `parts`.
void blake2b(std::span<std::uint8_t> out, std::span<const std::span<const std::uint8_t>> parts);

// ---- Nano -------------------------------------------------------------------------------------

namespace nano {

/// Decodes `nano_`, `xrb_`, `nano-`, `xrb-` addresses (and `node_` ids when allow_node_id):
/// 60 base32 characters, first character 1 or 3, lowercase alphabet, blake2b-40 checksum.
[[nodiscard]] std::optional<bytes32> decode_account(std::string_view address, bool allow_node_id = false);
/// Encodes a public key as `<prefix>` + 60 base32 characters; prefix is "nano_" or "node_".
[[nodiscard]] std::string encode_account(const bytes32& public_key, std::string_view prefix = "nano_");
/// Re-encodes any accepted address spelling as `nano_…`; nullopt when invalid.
[[nodiscard]] std::optional<std::string> normalize_account(std::string_view address);

[[nodiscard]] bytes32 state_block_hash(
    const bytes32& account, const bytes32& previous, const bytes32& representative, u128 balance,
    const bytes32& link);
[[nodiscard]] bytes32 send_block_hash(const bytes32& previous, const bytes32& destination, u128 balance);
[[nodiscard]] bytes32 receive_block_hash(const bytes32& previous, const bytes32& source);
[[nodiscard]] bytes32 open_block_hash(
    const bytes32& source, const bytes32& representative, const bytes32& account);
[[nodiscard]] bytes32 change_block_hash(const bytes32& previous, const bytes32& representative);

/// Work value of a nonce for a root: blake2b-64 over the nonce (8 bytes little-endian) and root.
[[nodiscard]] std::uint64_t work_value(std::uint64_t nonce, const bytes32& root);

/// 512-bit decimal (vote signatures on the WebSocket `vote` topic) to 64 big-endian bytes.
[[nodiscard]] std::optional<bytes64> parse_decimal_u512(std::string_view text);
[[nodiscard]] std::string format_decimal_u512(const bytes64& value);

} // namespace nano

// ---- base58 (Bitcoin alphabet, as Solana uses) -------------------------------------------------

[[nodiscard]] std::string base58_encode(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::optional<std::vector<std::uint8_t>> base58_decode(std::string_view text);
/// A base58 string that decodes to exactly `size` bytes (32 for keys, 64 for signatures).
[[nodiscard]] bool is_base58_of_size(std::string_view text, std::size_t size);

// ---- base64 (standard alphabet, padded) -------------------------------------------------------

[[nodiscard]] std::string base64_encode(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

} // namespace ledgertap::schema
