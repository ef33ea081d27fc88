// libFuzzer target: base58 (Solana keys, signatures, hashes) and base64 (account data,
// transactions) in schema/codec.hpp. Properties: an accepted string re-encodes to itself (both
// codecs are canonical), arbitrary bytes round-trip, and is_base58_of_size agrees with decode.

#include "fuzz/fuzz_check.hpp"
#include "schema/codec.hpp"

#include <algorithm>
#include <span>
#include <vector>

namespace schema = ledgertap::schema;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = ledgertap::fuzz::as_text(data, size);
    const std::span<const std::uint8_t> bytes{data, size};

    const auto decoded58 = schema::base58_decode(text);
    if (decoded58) {
        LEDGERTAP_FUZZ_CHECK(schema::base58_encode(*decoded58) == text);
    }
    for (const std::size_t n : {std::size_t{32}, std::size_t{64}}) {
        LEDGERTAP_FUZZ_CHECK(
            schema::is_base58_of_size(text, n) == (decoded58 && decoded58->size() == n));
    }
    const auto decoded64 = schema::base64_decode(text);
    if (decoded64) {
        LEDGERTAP_FUZZ_CHECK(schema::base64_encode(*decoded64) == text);
    }

    // Arbitrary bytes (base58 is quadratic: keep its input to transaction-sized values).
    const auto head = bytes.first(std::min<std::size_t>(size, 1024));
    const auto round58 = schema::base58_decode(schema::base58_encode(head));
    LEDGERTAP_FUZZ_CHECK(
        round58 && std::equal(round58->begin(), round58->end(), head.begin(), head.end()));
    const auto round64 = schema::base64_decode(schema::base64_encode(bytes));
    LEDGERTAP_FUZZ_CHECK(
        round64 && std::equal(round64->begin(), round64->end(), bytes.begin(), bytes.end()));
    return 0;
}
