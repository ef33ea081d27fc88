#pragma once

// The simulated Nano node's HTTP JSON RPC: block_info, blocks_info, chain, successors,
// account_info, account_history, accounts_frontiers, block_account, block_count,
// confirmation_history, block_confirm and version, answered as a V28 node does (property-tree
// pretty JSON, every scalar a string, "" for empty arrays, errors as HTTP 200 {"error": …}).
// Runs on the service thread over the node's ledger; the handler itself never blocks.

#include "sim/nano_ledger.hpp"
#include "sim/server.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace ledgertap::sim::nano {

class rpc {
public:
    /// `chain` must outlive the rpc. `on_block_confirm` is called for `block_confirm` on a
    /// known block (the node re-notifies it as active_confirmation_height).
    rpc(const ledger& chain,
        std::function<std::uint64_t()> now_ms,
        std::function<void(std::uint32_t index)> on_block_confirm = {});

    /// One request body in, one reply out (always HTTP 200 with JSON).
    [[nodiscard]] http_reply handle(std::string_view body) const;

    /// The body a real node sends for application errors: {"error": message}, pretty printed.
    [[nodiscard]] static std::string error_body(std::string_view message);

private:
    const ledger& chain_;
    std::function<std::uint64_t()> now_ms_;
    std::function<void(std::uint32_t)> on_block_confirm_;
};

} // namespace ledgertap::sim::nano
