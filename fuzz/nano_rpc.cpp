// libFuzzer target: every Nano RPC reply decoder (schema/nano_rpc.hpp) on the same arbitrary body.
// Properties: none throws; a decoded block_info is the requested block; chain/successors hashes
// are 64 hex digits; a failure always names its reason.

#include "schema/nano_rpc.hpp"

#include "fuzz/fuzz_check.hpp"
#include "schema/codec.hpp"

#include <strings.h>

namespace nano = ledgertap::schema::nano;
using ledgertap::fuzz::is_hex;

namespace {

/// The hash of tests/data/nano/rpc_block_info.json, so the seed's reply verifies.
constexpr std::string_view requested_hash
    = "87434F8041869A01C8F6F263B87972D7BA443A72E0A97D7A3FD0CCC2358FD6F9";

template<typename R>
bool failed_or_ok(const R& result) {
    if (!result) {
        LEDGERTAP_FUZZ_CHECK(!result.error().detail.empty());
        return false;
    }
    return !result.value().is_error();
}

void check_hashes(const nano::block_hashes& hashes) {
    for (const auto& hash : hashes.blocks) {
        LEDGERTAP_FUZZ_CHECK(is_hex(hash, 64));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = ledgertap::fuzz::as_text(data, size);

    if (const auto r = nano::decode_block_info(text, requested_hash); failed_or_ok(r)) {
        const auto& info = r.value().result();
        LEDGERTAP_FUZZ_CHECK(info.hash.size() == requested_hash.size());
        LEDGERTAP_FUZZ_CHECK(strncasecmp(info.hash.data(), requested_hash.data(), 64) == 0);
        LEDGERTAP_FUZZ_CHECK(nano::decode_account(info.block_account).has_value());
    }
    if (const auto r = nano::decode_blocks_info(text); failed_or_ok(r)) {
        for (const auto& info : r.value().result().blocks) {
            LEDGERTAP_FUZZ_CHECK(is_hex(info.hash, 64));
            LEDGERTAP_FUZZ_CHECK(is_hex(info.contents.hash, 64));
            LEDGERTAP_FUZZ_CHECK(strncasecmp(info.hash.data(), info.contents.hash.data(), 64) == 0);
        }
    }
    if (const auto r = nano::decode_chain(text); failed_or_ok(r)) {
        check_hashes(r.value().result());
    }
    if (const auto r = nano::decode_successors(text); failed_or_ok(r)) {
        check_hashes(r.value().result());
    }
    (void)failed_or_ok(nano::decode_account_info(text));
    (void)failed_or_ok(nano::decode_account_history(text));
    (void)failed_or_ok(nano::decode_block_count(text));
    (void)failed_or_ok(nano::decode_version(text));
    (void)failed_or_ok(nano::decode_confirmation_history(text));
    return 0;
}
