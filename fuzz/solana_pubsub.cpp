// libFuzzer target: the Solana PubSub decoder (schema::solana::decode_pubsub_message) on arbitrary
// frames. Properties: it never throws, a decoded block has base58 hashes and signatures of the
// right sizes and transactions numbered in order, and a failure always names its reason.

#include "fuzz/fuzz_check.hpp"
#include "fuzz/solana_checks.hpp"
#include "schema/solana.hpp"

#include <type_traits>
#include <variant>

namespace schema = ledgertap::schema;
namespace solana = ledgertap::schema::solana;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto result = solana::decode_pubsub_message(ledgertap::fuzz::as_text(data, size));
    if (!result) {
        LEDGERTAP_FUZZ_CHECK(!result.error().detail.empty());
        return 0;
    }
    std::visit(
        [](const auto& message) {
            using T = std::decay_t<decltype(message)>;
            if constexpr (std::is_same_v<T, solana::block_notification>) {
                if (message.value) {
                    ledgertap::fuzz::check_solana_block(*message.value);
                }
            } else if constexpr (std::is_same_v<T, solana::logs_notification>) {
                LEDGERTAP_FUZZ_CHECK(schema::is_base58_of_size(message.signature, 64));
            } else if constexpr (std::is_same_v<T, solana::program_notification>) {
                LEDGERTAP_FUZZ_CHECK(schema::is_base58_of_size(message.pubkey, 32));
            }
        },
        result.value());
    return 0;
}
