#pragma once

// The simulated Solana node's HTTP JSON-RPC: getSlot, getBlockHeight, getBlocks,
// getBlocksWithLimit, getBlock, getBlockTime, getFirstAvailableBlock, minimumLedgerSlot,
// getSignatureStatuses, getLatestBlockhash, getVersion and getHealth, with Agave's limits, clamps
// and error codes (protocols/solana.md §2). Pure: body in, body out, over the node's chain and
// commitment levels. Used on the service thread only.

#include "sim/solana_chain.hpp"
#include "sim/solana_frames.hpp"
#include "sim/solana_jsonrpc.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledgertap::sim {

/// The node's commitment levels: each the highest block at that level (nullopt: none yet).
struct solana_levels {
    std::optional<std::uint64_t> processed;
    std::optional<std::uint64_t> confirmed;
    std::optional<std::uint64_t> finalized;

    [[nodiscard]] std::optional<std::uint64_t> at(solana_commitment c) const noexcept {
        switch (c) {
        case solana_commitment::processed:
            return processed;
        case solana_commitment::confirmed:
            return confirmed;
        case solana_commitment::finalized:
            return finalized;
        }
        return finalized;
    }
};

struct solana_version_info {
    std::string core = "2.2.16";
    std::uint32_t feature_set = 3294202862U;
};

/// `{"solana-core":"2.2.16","feature-set":3294202862}`
[[nodiscard]] std::string solana_version_json(const solana_version_info& info);

/// Agave's getBlocks/getBlocksWithLimit range limit.
inline constexpr std::uint64_t max_get_blocks_range = 500'000;
/// getSignatureStatuses: most signatures per call, and the status-cache window in slots.
inline constexpr std::size_t max_signature_statuses = 256;
inline constexpr std::uint64_t status_cache_slots = 300;

class solana_rpc {
public:
    /// Everything referenced must outlive the rpc.
    solana_rpc(
        solana_chain& chain,
        solana_encoder& encoder,
        const solana_levels& levels,
        solana_version_info version);

    /// One request body (object or batch); the reply body ("" when only notifications came).
    [[nodiscard]] std::string handle(std::string_view body);
    /// One call.
    [[nodiscard]] solana_outcome call(const solana_call& call);

private:
    [[nodiscard]] solana_outcome get_slot(const solana_call& call, bool height);
    [[nodiscard]] solana_outcome get_blocks(const solana_call& call);
    [[nodiscard]] solana_outcome get_blocks_with_limit(const solana_call& call);
    [[nodiscard]] solana_outcome get_block(const solana_call& call);
    [[nodiscard]] solana_outcome get_block_time(const solana_call& call);
    [[nodiscard]] solana_outcome get_signature_statuses(const solana_call& call);
    [[nodiscard]] solana_outcome get_latest_blockhash(const solana_call& call);

    solana_chain& chain_;
    solana_encoder& encoder_;
    const solana_levels& levels_;
    solana_version_info version_;
};

} // namespace ledgertap::sim
