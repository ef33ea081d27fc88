// libFuzzer target: the Nano address codec (schema/codec.hpp nano::decode_account, encode_account,
// normalize_account). Properties, for arbitrary text: an accepted address re-encodes to its
// canonical spelling (prefix `nano_`/`node_`, same 60 characters) and decodes back to the same key;
// and for the input's first 32 bytes as a key, decode(encode(key)) == key.

#include "fuzz/fuzz_check.hpp"
#include "schema/codec.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace schema = ledgertap::schema;
namespace nano = ledgertap::schema::nano;

namespace {

/// The 60 base32 characters after the prefix (`nano_`, `xrb_`, `nano-`, `xrb-`, `node_`).
std::string_view body_of(std::string_view address) {
    return address.substr(address.size() - 60);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = ledgertap::fuzz::as_text(data, size);

    const auto key = nano::decode_account(text);
    const auto normalized = nano::normalize_account(text);
    LEDGERTAP_FUZZ_CHECK(key.has_value() == normalized.has_value());
    if (key) {
        LEDGERTAP_FUZZ_CHECK(text.size() >= 64);
        const std::string encoded = nano::encode_account(*key);
        LEDGERTAP_FUZZ_CHECK(encoded == *normalized);
        LEDGERTAP_FUZZ_CHECK(encoded.size() == 65);
        LEDGERTAP_FUZZ_CHECK(body_of(encoded) == body_of(text));
        LEDGERTAP_FUZZ_CHECK(nano::decode_account(encoded) == key);
    }
    // A node id is accepted only with allow_node_id, and an account address is accepted either way.
    const auto node = nano::decode_account(text, true);
    if (key) {
        LEDGERTAP_FUZZ_CHECK(node == key);
    }
    if (node && !key) {
        LEDGERTAP_FUZZ_CHECK(text.substr(0, 5) == "node_");
        LEDGERTAP_FUZZ_CHECK(nano::encode_account(*node, "node_") == text);
    }

    // Arbitrary keys round-trip through both prefixes.
    if (size >= 32) {
        schema::bytes32 raw{};
        std::memcpy(raw.data(), data, raw.size());
        const std::string account = nano::encode_account(raw);
        LEDGERTAP_FUZZ_CHECK(nano::decode_account(account) == raw);
        LEDGERTAP_FUZZ_CHECK(nano::decode_account(nano::encode_account(raw, "node_"), true) == raw);
        LEDGERTAP_FUZZ_CHECK(!nano::decode_account(nano::encode_account(raw, "node_")).has_value());
    }
    return 0;
}
