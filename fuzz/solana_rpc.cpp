// libFuzzer target: every Solana JSON-RPC reply decoder (schema/solana_rpc.hpp) on the same
// arbitrary body. Properties: none throws; getBlocks slots are strictly ascending; a decoded block
// is well formed (fuzz/solana_checks.hpp); a failure always names its reason.

#include "schema/solana_rpc.hpp"

#include "fuzz/fuzz_check.hpp"
#include "fuzz/solana_checks.hpp"

namespace solana = ledgertap::schema::solana;

namespace {

template<typename R>
bool failed_or_ok(const R& result) {
    if (!result) {
        LEDGERTAP_FUZZ_CHECK(!result.error().detail.empty());
        return false;
    }
    return !result.value().is_error();
}

void check_ascending(const std::vector<std::uint64_t>& slots) {
    for (std::size_t i = 1; i < slots.size(); ++i) {
        LEDGERTAP_FUZZ_CHECK(slots[i - 1] < slots[i]);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = ledgertap::fuzz::as_text(data, size);

    (void)failed_or_ok(solana::decode_get_slot(text));
    if (const auto r = solana::decode_get_blocks(text); failed_or_ok(r)) {
        check_ascending(r.value().result());
    }
    if (const auto r = solana::decode_get_blocks_with_limit(text); failed_or_ok(r)) {
        check_ascending(r.value().result());
    }
    if (const auto r = solana::decode_get_block(text); failed_or_ok(r)) {
        if (r.value().result()) {
            ledgertap::fuzz::check_solana_block(*r.value().result());
        }
    }
    (void)failed_or_ok(solana::decode_get_block_time(text));
    (void)failed_or_ok(solana::decode_get_first_available_block(text));
    (void)failed_or_ok(solana::decode_get_signature_statuses(text));
    (void)failed_or_ok(solana::decode_get_version(text));
    return 0;
}
