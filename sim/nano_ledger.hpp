#pragma once

// The simulated Nano ledger: a deterministic chain of blocks from a seed. Accounts, state blocks
// (open, send, receive, change, epoch v1/v2) with correct blake2b hashes and valid addresses, a
// prologue of legacy blocks, receivables that reference real sends, balances in raw up to
// 2^128-1. Pure: no clocks (callers pass times), no I/O. Not thread-safe: the Nano node uses it
// from the service thread only.

#include "schema/codec.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace ledgertap::sim::nano {

using schema::bytes32;
using schema::bytes64;
using schema::u128;

enum class block_type : std::uint8_t { state, send, receive, open, change };
enum class block_subtype : std::uint8_t { none, send, receive, change, epoch };
enum class confirmation_kind : std::uint8_t { active_quorum, active_confirmation_height, inactive };

[[nodiscard]] std::string_view to_string(block_type type);
[[nodiscard]] std::string_view to_string(block_subtype subtype); ///< "" for none
[[nodiscard]] std::string_view to_string(confirmation_kind kind);

/// Election data attached to a block confirmed by its own election (active_quorum).
struct election_summary {
    std::uint64_t duration_ms = 0;
    std::uint64_t time_ms = 0;
    u128 tally = 0;
    u128 final_tally = 0;
    std::uint32_t voters = 0;
    std::uint32_t request_count = 0;
};

struct block {
    bytes32 hash{};
    std::uint32_t account = 0; ///< index into ledger::accounts()
    bytes32 previous{};        ///< zero for opens
    bytes32 representative{};  ///< state/open/change; zero for legacy send/receive
    bytes32 link{};            ///< state link; legacy send: destination; receive/open: source
    u128 balance = 0;          ///< balance after this block (all types)
    u128 amount = 0;           ///< sent or received; 0 for change/epoch
    std::uint64_t work = 0;
    std::uint64_t height = 0;
    std::uint64_t local_timestamp = 0; ///< seconds since epoch when inserted; 0 = very old
    block_type type = block_type::state;
    block_subtype subtype = block_subtype::none;
    bool confirmed = false;
    confirmation_kind how = confirmation_kind::active_quorum;
    std::uint64_t confirmed_ms = 0;
    election_summary election;
    std::int64_t receive_index = -1; ///< for sends: index of the receiving block, -1 if none
    std::int64_t source_index = -1;  ///< for receives/opens: index of the source send
    std::int64_t successor_index = -1;
};

struct account_state {
    bytes32 key{};
    std::string address;              ///< nano_…
    std::vector<std::uint32_t> chain; ///< block indices by height - 1
    u128 balance = 0;
    bytes32 representative{};
    std::uint32_t representative_block = 0; ///< index of the block that set the representative
    std::uint8_t version = 0;               ///< 0 legacy, 1 epoch v1 / state, 2 epoch v2
    std::uint64_t confirmation_height = 0;
    std::deque<std::uint32_t> receivable; ///< unreceived sends to this account (block indices)
    [[nodiscard]] bool opened() const { return !chain.empty(); }
};

struct bytes32_hash {
    [[nodiscard]] std::size_t operator()(const bytes32& b) const noexcept;
};

/// Decimal text of a u128 (as the node's encode_dec), without 128-bit division per digit.
[[nodiscard]] std::string decimal(u128 value);

/// The epoch link payloads ("epoch v1 block", "epoch v2 block", zero padded).
[[nodiscard]] const bytes32& epoch_v1_link();
[[nodiscard]] const bytes32& epoch_v2_link();

class ledger {
public:
    /// `accounts` >= 2. Account 0 is the genesis account (balance 2^128-1 at its open).
    ledger(std::uint64_t seed, std::uint32_t accounts);

    /// Inserts the next block of the deterministic sequence (unconfirmed) and returns its index.
    /// The first blocks are the legacy prologue. `now_s` is only recorded (local_timestamp).
    std::uint32_t generate(std::uint64_t now_s);

    /// A block that forks `index` (same previous, different contents); never inserted.
    [[nodiscard]] block make_fork(std::uint32_t index, std::uint64_t salt) const;

    /// Marks a block confirmed (caller guarantees its dependencies are confirmed first).
    void confirm(
        std::uint32_t index,
        confirmation_kind how,
        std::uint64_t now_ms,
        const election_summary& election);
    /// Unconfirmed dependencies of `index` (previous on its chain, source send), oldest first.
    [[nodiscard]] std::vector<std::uint32_t> unconfirmed_dependencies(std::uint32_t index) const;

    [[nodiscard]] const block& at(std::uint32_t index) const { return blocks_[index]; }
    [[nodiscard]] std::size_t size() const { return blocks_.size(); }
    [[nodiscard]] std::optional<std::uint32_t> find(const bytes32& hash) const;
    [[nodiscard]] const std::vector<account_state>& accounts() const { return accounts_; }
    [[nodiscard]] std::optional<std::uint32_t> find_account(const bytes32& key) const;
    [[nodiscard]] std::uint64_t cemented() const { return cemented_; }
    /// Indices in confirmation order.
    [[nodiscard]] const std::vector<std::uint32_t>& confirmation_order() const { return order_; }
    [[nodiscard]] const bytes32& genesis_hash() const { return blocks_.front().hash; }
    [[nodiscard]] const bytes32& epoch_signer() const { return accounts_.front().key; }
    /// Representative keys (voters); accounts pick their representative among them.
    [[nodiscard]] const std::vector<bytes32>& representatives() const { return representatives_; }

    /// Deterministic plausible signature (128 hex when encoded): blake2b-512(seed, hash).
    [[nodiscard]] bytes64 signature(const block& b) const;
    /// Public key of an account by index.
    [[nodiscard]] const bytes32& key(std::uint32_t account) const { return accounts_[account].key; }
    /// Account owning a block's source (receive/open) or destination (send); nullopt otherwise.
    [[nodiscard]] std::optional<bytes32> linked_account(const block& b) const;
    /// Receivable amount total of an account.
    [[nodiscard]] u128 receivable_total(std::uint32_t account, bool confirmed_only) const;

private:
    std::uint32_t insert(block b);
    std::uint32_t add_legacy_send(
        std::uint32_t from, std::uint32_t to, u128 amount, std::uint64_t t);
    std::uint32_t add_legacy_open(
        std::uint32_t account, std::uint32_t source, const bytes32& rep, std::uint64_t t);
    std::uint32_t add_legacy_receive(std::uint32_t account, std::uint32_t source, std::uint64_t t);
    std::uint32_t add_legacy_change(std::uint32_t account, const bytes32& rep, std::uint64_t t);
    std::uint32_t add_state(
        std::uint32_t account,
        block_subtype subtype,
        const bytes32& rep,
        u128 balance,
        const bytes32& link,
        u128 amount,
        std::int64_t source,
        std::uint64_t t);
    u128 random_amount(u128 balance);
    std::uint64_t next_u64() { return rng_(); }

    std::uint64_t seed_;
    std::mt19937_64 rng_;
    std::vector<account_state> accounts_;
    std::vector<bytes32> representatives_;
    std::deque<block> blocks_; ///< a deque: references stay valid and growth never copies
    std::unordered_map<bytes32, std::uint32_t, bytes32_hash> by_hash_;
    std::unordered_map<bytes32, std::uint32_t, bytes32_hash> account_by_key_;
    std::vector<std::uint32_t> order_;
    std::uint64_t cemented_ = 0;
    std::uint64_t generated_ = 0;
};

} // namespace ledgertap::sim::nano
