#pragma once

// The simulated Solana ledger: a deterministic chain of slots generated from a seed. Pure: no I/O,
// no clock, no threads. The node (sim/solana_node.hpp) advances it on a timer and turns what it
// produces into PubSub notifications and HTTP JSON-RPC answers (sim/solana_frames.hpp).
//
// Model. Slots are numbered from `first_slot` up. Every slot is exactly one of:
//   block    on the finalized chain; its parent is the previous block, its previous_blockhash that
//            block's blockhash, its block_height one more than that block's;
//   skipped  the leader produced nothing (runs up to the end of a 4-slot leader window);
//   dead     a minority-fork slot: the node created a bank for it and then marked it dead. It never
//            finalizes, and the next block's parent jumps over it.
// Commitment is derived from the tip (the last produced slot): a block is confirmed once the tip is
// `confirm_depth` slots past it and finalized (rooted) once it is `finalize_depth` slots past it,
// so roots are ascending. Everything depends only on the parameters, never on time: the same seed
// gives the same chain, slot for slot and byte for byte.

#include "schema/codec.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::sim {

/// What a chain looks like. Defaults give a mainnet-like chain at a light transaction rate.
struct solana_chain_params {
    std::uint64_t seed = 1;
    std::uint64_t first_slot = 330'000'000; ///< Also the first available block.
    std::uint64_t first_block_height = 308'000'000;
    std::int64_t first_block_time = 1'750'000'000; ///< Unix seconds of first_slot.
    /// Nominal slot time used for block_time only (the real pace is the node's business), so the
    /// chain's content does not depend on how fast it is replayed.
    std::uint32_t nominal_slot_ms = 400;
    double skip_rate = 0.04;            ///< Probability that a leader window loses a run of slots.
    double fork_rate = 0.02;            ///< Probability that a slot is a dead minority-fork slot.
    std::uint32_t min_transactions = 6; ///< Per block, votes included.
    std::uint32_t max_transactions = 30;
    double vote_fraction = 0.7;       ///< Share of vote transactions in a block.
    double failed_fraction = 0.1;     ///< Share of non-vote transactions that fail with an `err`.
    double v0_fraction = 0.4;         ///< Share of non-vote transactions with version 0.
    std::uint32_t pool_accounts = 24; ///< Accounts that non-vote transactions touch (>= 12).
    std::uint32_t validators = 16;
};

enum class solana_slot_kind : std::uint8_t { block, skipped, dead };

/// One produced slot. For skipped slots only `slot` and `kind` are meaningful.
struct solana_slot {
    std::uint64_t slot = 0;
    solana_slot_kind kind = solana_slot_kind::skipped;
    std::uint64_t parent_slot = 0;        ///< block, dead: the block it builds on.
    schema::bytes32 blockhash{};          ///< block (dead: the hash its bank had).
    schema::bytes32 previous_blockhash{}; ///< block, dead: the parent's blockhash.
    std::uint64_t block_height = 0;       ///< block only.
    std::int64_t block_time = 0;          ///< block, dead.
    std::uint32_t transaction_count = 0;  ///< block only.
};

struct solana_instruction {
    std::uint8_t program_id_index = 0;
    std::vector<std::uint8_t> accounts;
    std::vector<std::uint8_t> data;
    std::optional<std::uint32_t> stack_height; ///< null for top-level instructions (as Agave).
};

struct solana_inner_instructions {
    std::uint8_t index = 0; ///< The top-level instruction they ran under.
    std::vector<solana_instruction> instructions;
};

struct solana_lookup {
    schema::bytes32 account_key{};
    std::vector<std::uint8_t> writable_indexes;
    std::vector<std::uint8_t> readonly_indexes;
};

struct solana_token_balance {
    std::uint8_t account_index = 0;
    schema::bytes32 mint{};
    schema::bytes32 owner{};
    std::uint64_t amount = 0;
    std::uint8_t decimals = 0;
};

/// One transaction with its status meta, as stored in a block.
struct solana_transaction {
    std::vector<schema::bytes64> signatures;
    std::string signature_b58; ///< signatures[0], base58 (cached: logs, statuses, blocks use it).
    std::uint8_t num_required_signatures = 0;
    std::uint8_t num_readonly_signed = 0;
    std::uint8_t num_readonly_unsigned = 0;
    std::vector<schema::bytes32> account_keys; ///< Static keys.
    schema::bytes32 recent_blockhash{};
    std::vector<solana_instruction> instructions;
    bool v0 = false;
    std::vector<solana_lookup> lookups;           ///< v0 only.
    std::vector<schema::bytes32> loaded_writable; ///< Resolved through the lookups.
    std::vector<schema::bytes32> loaded_readonly;
    // Status meta.
    std::string err_json; ///< TransactionError as compact JSON; empty when the tx succeeded.
    std::uint64_t fee = 0;
    std::vector<std::uint64_t> pre_balances; ///< One per key: static, loaded writable, readonly.
    std::vector<std::uint64_t> post_balances;
    std::vector<solana_inner_instructions> inner_instructions;
    std::vector<std::string> log_messages;
    std::vector<solana_token_balance> pre_token_balances;
    std::vector<solana_token_balance> post_token_balances;
    std::uint64_t compute_units_consumed = 0;
    bool is_vote = false;
    // Vote transactions: what the vote says (voteSubscribe).
    std::vector<std::uint64_t> vote_slots;
    schema::bytes32 vote_hash{};
    std::optional<std::int64_t> vote_timestamp;

    [[nodiscard]] bool failed() const noexcept { return !err_json.empty(); }
    /// Number of keys: static plus loaded.
    [[nodiscard]] std::size_t key_count() const noexcept {
        return account_keys.size() + loaded_writable.size() + loaded_readonly.size();
    }
    /// Key `index` over static, loaded writable, loaded readonly.
    [[nodiscard]] const schema::bytes32& key(std::size_t index) const noexcept;
    [[nodiscard]] bool is_signer(std::size_t index) const noexcept;
    [[nodiscard]] bool is_writable(std::size_t index) const noexcept;
    /// True when `key` is among the static or loaded keys.
    [[nodiscard]] bool mentions(const schema::bytes32& key) const noexcept;
};

/// State of a pool account after a slot that modified it.
struct solana_account_state {
    schema::bytes32 pubkey{};
    std::uint64_t lamports = 0;
    std::vector<std::uint8_t> data;
    schema::bytes32 owner{};
    bool executable = false;
    std::uint64_t rent_epoch = UINT64_MAX; ///< Rent-exempt: u64::MAX, as on mainnet.
};

/// Stats carried by the `frozen` slots update.
struct solana_frozen_stats {
    std::uint64_t num_transaction_entries = 0;
    std::uint64_t num_successful_transactions = 0;
    std::uint64_t num_failed_transactions = 0;
    std::uint64_t max_transactions_per_entry = 0;
};

/// A block slot's full content.
struct solana_block {
    solana_slot info;
    std::vector<solana_transaction> transactions;
    schema::bytes32 leader{}; ///< Receives the block's one `Fee` reward.
    std::int64_t reward_lamports = 0;
    std::uint64_t reward_post_balance = 0;
    /// Pool accounts modified by this block (pool indexes, ascending) and their state after it.
    std::vector<solana_account_state> modified_accounts;
    solana_frozen_stats stats;

    [[nodiscard]] bool has_v0() const noexcept;
};

/// A pool account's fixed traits.
struct solana_pool_account {
    schema::bytes32 pubkey{};
    schema::bytes32 owner{};
    std::size_t data_len = 0;
    bool big_lamports = false; ///< Balances above 2^53.
    /// Stable prefix of the data (discriminator + authority) for memcmp filters; the rest of the
    /// data changes with every modification.
    std::vector<std::uint8_t> data_prefix;
};

/// Where a generated signature lives.
struct solana_tx_location {
    std::uint64_t slot = 0;
    std::uint32_t index = 0;
};

/// Well-known program and sysvar ids.
struct solana_well_known {
    schema::bytes32 system_program{};
    schema::bytes32 vote_program{};
    schema::bytes32 compute_budget_program{};
    schema::bytes32 token_program{};
    schema::bytes32 lookup_table{};            ///< The address lookup table v0 transactions use.
    std::vector<schema::bytes32> sim_programs; ///< Synthetic programs owning pool accounts.
    schema::bytes32 token_mint{};
};

/// A deterministic Solana chain.
///
/// Lifecycle: construct from parameters, call advance() to produce slots one by one. Not
/// thread-safe (the node uses it from the lws service thread only); block() keeps a small cache of
/// generated blocks, so even const-looking reads mutate it. Produced slots stay in memory (about
/// 100 bytes each); block content is regenerated on demand, so memory does not grow with the number
/// of transactions.
class solana_chain {
public:
    explicit solana_chain(solana_chain_params params);

    [[nodiscard]] const solana_chain_params& params() const noexcept { return params_; }

    /// Produces the next slot (first_slot on the first call) and returns it.
    const solana_slot& advance();

    [[nodiscard]] std::uint64_t first_slot() const noexcept { return params_.first_slot; }
    /// The last produced slot; nullopt before the first advance().
    [[nodiscard]] std::optional<std::uint64_t> tip() const noexcept;
    /// A produced slot, or nullptr.
    [[nodiscard]] const solana_slot* find(std::uint64_t slot) const noexcept;
    /// True when `slot` was produced and is a block.
    [[nodiscard]] bool is_block(std::uint64_t slot) const noexcept;
    /// The highest block slot <= `slot` among produced slots.
    [[nodiscard]] std::optional<std::uint64_t> block_at_or_before(
        std::uint64_t slot) const noexcept;
    /// Block slots in [from, to], ascending, at most `limit` of them.
    [[nodiscard]] std::vector<std::uint64_t> blocks_in(
        std::uint64_t from, std::uint64_t to, std::size_t limit = SIZE_MAX) const;

    /// How many generated blocks block() keeps (default 16).
    void set_cache_size(std::size_t blocks) noexcept {
        cache_limit_ = std::max<std::size_t>(blocks, 1);
    }
    /// Full content of a produced block slot; nullptr for other slots. Cached.
    [[nodiscard]] std::shared_ptr<const solana_block> block(std::uint64_t slot);

    /// Finds the block transaction whose first signature is `signature`, if the chain made it
    /// (produced or not yet produced: the location is encoded in the signature).
    [[nodiscard]] std::optional<solana_tx_location> locate_signature(
        const schema::bytes64& signature);

    [[nodiscard]] const std::vector<solana_pool_account>& pool() const noexcept { return pool_; }
    [[nodiscard]] const solana_well_known& well_known() const noexcept { return known_; }
    /// Vote accounts of the validators (voteNotification votePubkey).
    [[nodiscard]] const std::vector<schema::bytes32>& vote_accounts() const noexcept {
        return vote_accounts_;
    }

    /// Only transaction `index` of block slot `slot` (cheap: no other transaction is built).
    /// Its signatures, instructions, logs and err are exact; its balances are not (they depend on
    /// the transactions before it). nullopt when the slot is not a produced block.
    [[nodiscard]] std::optional<solana_transaction> transaction(
        std::uint64_t slot, std::uint32_t index) const;
    /// Generates a block for `info` without touching the chain (pure; used by block()).
    [[nodiscard]] solana_block generate_block(const solana_slot& info) const;
    /// The error string of a dead slot ("error: ...").
    [[nodiscard]] std::string dead_error(std::uint64_t slot) const;

    /// Commitment helpers: the highest block at least `depth` slots below the tip.
    [[nodiscard]] std::optional<std::uint64_t> committed_block(std::uint64_t depth) const noexcept;

private:
    [[nodiscard]] solana_slot_kind classify(std::uint64_t slot) const;
    [[nodiscard]] std::uint32_t transaction_count(std::uint64_t slot) const;
    [[nodiscard]] schema::bytes64 make_signature(
        std::uint64_t slot, std::uint32_t index, std::uint32_t which) const;
    void generate_vote(solana_transaction& tx, const solana_slot& info, std::uint64_t r) const;
    struct block_state; // running balances while a block is generated (solana_chain.cpp)
    void generate_user(
        solana_transaction& tx, const solana_slot& info, std::uint64_t r, block_state& state) const;
    [[nodiscard]] std::uint64_t start_lamports(std::size_t index, std::uint64_t slot) const;
    [[nodiscard]] std::uint64_t start_token_amount(std::size_t index, std::uint64_t slot) const;

    solana_chain_params params_;
    std::deque<solana_slot> slots_;
    std::optional<std::uint64_t> last_block_;
    std::vector<solana_pool_account> pool_;
    std::vector<schema::bytes32> identities_;
    std::vector<schema::bytes32> vote_accounts_;
    solana_well_known known_;
    std::vector<std::size_t> payers_;         ///< pool indexes owned by the system program
    std::vector<std::size_t> token_accounts_; ///< pool indexes owned by the token program
    std::vector<std::vector<std::size_t>> program_accounts_; ///< per sim program
    std::vector<std::string> program_names_;                 ///< sim programs, base58

    // A few recent blocks, most recent last (blockSubscribe, getBlock and logs hit the same ones).
    std::deque<std::shared_ptr<const solana_block>> cache_;
    std::size_t cache_limit_ = 16;
};

/// "block", "skipped" or "dead".
[[nodiscard]] std::string_view to_string(solana_slot_kind kind) noexcept;

} // namespace ledgertap::sim
