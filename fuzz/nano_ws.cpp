// libFuzzer target: the Nano WebSocket decoder (schema::nano::decode_ws_message) on arbitrary
// frames. Properties: it never throws (noexcept: a throw would terminate), a decoded confirmation,
// vote or block carries well-formed hashes and accounts, and a failure always names its reason.

#include "fuzz/fuzz_check.hpp"
#include "schema/codec.hpp"
#include "schema/nano.hpp"

#include <type_traits>
#include <variant>

namespace schema = ledgertap::schema;
namespace nano = ledgertap::schema::nano;
using ledgertap::fuzz::is_hex;

namespace {

void check_account(const std::string& address) {
    LEDGERTAP_FUZZ_CHECK(nano::decode_account(address).has_value());
}

void check_block(const nano::block& block) {
    LEDGERTAP_FUZZ_CHECK(is_hex(block.hash, 64));
    LEDGERTAP_FUZZ_CHECK(is_hex(block.signature, 128));
    check_account(block.account);
    if (block.representative) {
        check_account(*block.representative);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto result = nano::decode_ws_message(ledgertap::fuzz::as_text(data, size));
    if (!result) {
        LEDGERTAP_FUZZ_CHECK(!result.error().detail.empty());
        return 0;
    }
    std::visit(
        [](const auto& message) {
            using T = std::decay_t<decltype(message)>;
            if constexpr (std::is_same_v<T, nano::confirmation>) {
                LEDGERTAP_FUZZ_CHECK(is_hex(message.hash, 64));
                check_account(message.account);
                if (message.block) {
                    check_block(*message.block);
                }
            } else if constexpr (std::is_same_v<T, nano::vote>) {
                LEDGERTAP_FUZZ_CHECK(!message.blocks.empty() && message.blocks.size() <= 255);
                LEDGERTAP_FUZZ_CHECK(is_hex(message.signature, 128));
                LEDGERTAP_FUZZ_CHECK(message.is_final == (message.timestamp == UINT64_MAX));
                check_account(message.account);
                for (const auto& hash : message.blocks) {
                    LEDGERTAP_FUZZ_CHECK(is_hex(hash, 64));
                }
            } else if constexpr (std::is_same_v<T, nano::unconfirmed_block>) {
                check_block(message.block);
            } else if constexpr (std::is_same_v<T, nano::election>) {
                LEDGERTAP_FUZZ_CHECK(is_hex(message.hash, 64));
            }
        },
        result.value());
    return 0;
}
