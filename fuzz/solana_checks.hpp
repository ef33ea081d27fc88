#pragma once

// Properties of a decoded Solana block, shared by the PubSub and RPC fuzz targets.

#include "fuzz/fuzz_check.hpp"
#include "schema/codec.hpp"
#include "schema/solana.hpp"

namespace ledgertap::fuzz {

inline void check_solana_block(const schema::solana::block& block) {
    LEDGERTAP_FUZZ_CHECK(schema::is_base58_of_size(block.blockhash, 32));
    LEDGERTAP_FUZZ_CHECK(schema::is_base58_of_size(block.previous_blockhash, 32));
    for (std::size_t i = 0; i < block.transactions.size(); ++i) {
        const auto& tx = block.transactions[i];
        LEDGERTAP_FUZZ_CHECK(tx.index == i);
        LEDGERTAP_FUZZ_CHECK(schema::is_base58_of_size(tx.signature, 64));
    }
    for (const auto& signature : block.signatures) {
        LEDGERTAP_FUZZ_CHECK(schema::is_base58_of_size(signature, 64));
    }
}

} // namespace ledgertap::fuzz
