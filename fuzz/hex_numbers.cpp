// libFuzzer target: the hash and number codecs of schema/codec.hpp (hex32/hex64 block hashes and
// signatures, hex u64/u128, strict decimal u64/i64/u128/u512). Properties: whatever a parser
// accepts formats back to the canonical spelling of the input (same digits, the formatter's case),
// and arbitrary values round-trip through format then parse.

#include "fuzz/fuzz_check.hpp"
#include "schema/codec.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

namespace schema = ledgertap::schema;
namespace nano = ledgertap::schema::nano;

namespace {

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(std::toupper(c));
    });
    return out;
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = ledgertap::fuzz::as_text(data, size);

    if (const auto h = schema::parse_hex32(text)) {
        LEDGERTAP_FUZZ_CHECK(schema::hex_upper(*h) == upper(text));
        LEDGERTAP_FUZZ_CHECK(schema::hex_lower(*h) == lower(text));
    }
    if (const auto h = schema::parse_hex64(text)) {
        LEDGERTAP_FUZZ_CHECK(schema::hex_upper(*h) == upper(text));
    }
    if (const auto v = schema::parse_hex_u64(text)) {
        LEDGERTAP_FUZZ_CHECK(text.size() >= 1 && text.size() <= 16);
        const std::string padded = std::string(16 - text.size(), '0') + lower(text);
        LEDGERTAP_FUZZ_CHECK(schema::format_hex_u64(*v) == padded);
    }
    if (const auto v = schema::parse_hex_u128(text)) {
        LEDGERTAP_FUZZ_CHECK(schema::format_hex_u128(*v) == upper(text));
    }
    if (const auto v = schema::parse_u64(text)) {
        LEDGERTAP_FUZZ_CHECK(std::to_string(*v) == text);
    }
    if (const auto v = schema::parse_i64(text)) {
        LEDGERTAP_FUZZ_CHECK(std::to_string(*v) == text);
    }
    if (const auto v = schema::parse_u128(text)) {
        LEDGERTAP_FUZZ_CHECK(schema::format_u128(*v) == text);
    }
    if (const auto v = nano::parse_decimal_u512(text)) {
        LEDGERTAP_FUZZ_CHECK(nano::format_decimal_u512(*v) == text);
    }

    // Arbitrary values: the input's leading bytes as integers and as a 64-byte number.
    if (size >= 16) {
        std::uint64_t a = 0;
        std::uint64_t b = 0;
        std::memcpy(&a, data, 8);
        std::memcpy(&b, data + 8, 8);
        const schema::u128 wide = (static_cast<schema::u128>(a) << 64U) | b;
        LEDGERTAP_FUZZ_CHECK(schema::parse_u64(std::to_string(a)) == a);
        LEDGERTAP_FUZZ_CHECK(
            schema::parse_i64(std::to_string(static_cast<std::int64_t>(a)))
            == static_cast<std::int64_t>(a));
        LEDGERTAP_FUZZ_CHECK(schema::parse_hex_u64(schema::format_hex_u64(a)) == a);
        LEDGERTAP_FUZZ_CHECK(schema::parse_u128(schema::format_u128(wide)) == wide);
        LEDGERTAP_FUZZ_CHECK(schema::parse_hex_u128(schema::format_hex_u128(wide)) == wide);
    }
    if (size >= 64) {
        schema::bytes64 raw{};
        std::memcpy(raw.data(), data, raw.size());
        LEDGERTAP_FUZZ_CHECK(nano::parse_decimal_u512(nano::format_decimal_u512(raw)) == raw);
        LEDGERTAP_FUZZ_CHECK(schema::parse_hex64(schema::hex_lower(raw)) == raw);
    }
    return 0;
}
