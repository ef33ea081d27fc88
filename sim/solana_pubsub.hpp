#pragma once

// The simulated Solana node's PubSub logic (protocols/solana.md §1): every *Subscribe and
// *Unsubscribe method with Agave's parameters, defaults, errors and id sharing, and the
// notifications each chain event produces at each commitment level. No sockets: requests come in
// as text per session, replies and notifications leave through a solana_pubsub_output, which
// the node implements (faults, truth counts). Service thread only.

#include "sim/server.hpp"
#include "sim/solana_chain.hpp"
#include "sim/solana_frames.hpp"
#include "sim/solana_jsonrpc.hpp"
#include "sim/solana_rpc.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ledgertap::sim {

struct solana_pubsub_config {
    /// --rpc-pubsub-enable-block-subscription; when false block(Un)subscribe is -32601.
    bool enable_block_subscription = true;
    /// --rpc-pubsub-enable-vote-subscription; when false vote(Un)subscribe is -32601.
    bool enable_vote_subscription = true;
    /// The node-wide id counter starts here (tests start it above 2^53).
    std::uint64_t first_subscription_id = 0;
    /// Agave's max_active_subscriptions.
    std::size_t max_subscriptions = 1'000'000;
    solana_version_info version;
};

/// Where PubSub output goes.
class solana_pubsub_output {
public:
    solana_pubsub_output() = default;
    solana_pubsub_output(const solana_pubsub_output&) = delete;
    solana_pubsub_output& operator=(const solana_pubsub_output&) = delete;
    solana_pubsub_output(solana_pubsub_output&&) = delete;
    solana_pubsub_output& operator=(solana_pubsub_output&&) = delete;
    virtual ~solana_pubsub_output() = default;

    /// The reply to a request of `session` (not subject to notification faults).
    virtual void reply(std::uint64_t session, std::string text) = 0;
    /// A notification; the same frame goes to every session sharing the subscription.
    virtual void notify(std::uint64_t session, const ws_frame& frame, std::string_view method) = 0;
};

enum class solana_sub_kind : std::uint8_t {
    slot,
    slots_updates,
    root,
    vote,
    block,
    logs,
    account,
    program,
    signature,
};

/// Subscriptions and notifications. Lifecycle: construct over the node's chain, encoder and
/// levels (all must outlive it); open()/close() sessions; feed requests with handle(); report chain
/// events in order with slot_produced() (after levels.processed moved), slot_confirmed() and
/// slot_rooted(). Not thread-safe.
class solana_pubsub {
public:
    solana_pubsub(
        solana_pubsub_config config,
        solana_chain& chain,
        solana_encoder& encoder,
        const solana_levels& levels,
        solana_pubsub_output& output);

    void open(std::uint64_t session);
    /// Removes the session from every subscription (subscriptions nobody holds disappear).
    void close(std::uint64_t session);
    /// One complete request text (UTF-8 and size already checked by the caller).
    void handle(std::uint64_t session, std::string_view text);

    /// A slot was produced (block or dead; skipped slots produce nothing).
    void slot_produced(const solana_slot& slot, std::uint64_t now_ms);
    /// Blocks became confirmed, ascending; the last one is the trigger (the slot gossip saw an
    /// optimistic confirmation for). The others were confirmed implicitly as its ancestors: they
    /// get no optimisticConfirmation update, but their confirmed-level data is notified and
    /// blockSubscribe catches up over them.
    void slot_confirmed(std::span<const std::uint64_t> blocks, std::uint64_t now_ms);
    /// A block became rooted / finalized.
    void slot_rooted(std::uint64_t slot, std::uint64_t now_ms);

    [[nodiscard]] std::size_t subscription_count() const noexcept { return subs_.size(); }
    /// True when the session holds a block or logs subscription (a firehose consumer).
    [[nodiscard]] bool streams_blocks_or_logs(std::uint64_t session) const;

private:
    enum class logs_filter : std::uint8_t { all, all_with_votes, mentions };
    enum class filter_kind : std::uint8_t { data_size, memcmp, token_account_state };
    struct program_filter {
        filter_kind kind = filter_kind::data_size;
        std::uint64_t data_size = 0;
        std::size_t offset = 0;
        std::vector<std::uint8_t> bytes;
    };
    struct subscription {
        std::uint64_t id = 0;
        solana_sub_kind kind = solana_sub_kind::slot;
        std::string key;
        solana_commitment commitment = solana_commitment::finalized;
        std::set<std::uint64_t> sessions;
        schema::bytes32 pubkey{}; ///< account, program, logs/block mentions
        solana_account_encoding encoding = solana_account_encoding::binary;
        std::optional<solana_data_slice> slice;
        std::vector<program_filter> filters;
        logs_filter logs = logs_filter::all;
        schema::bytes64 signature{};
        std::optional<solana_tx_location> location;
        bool enable_received = false;
        bool received_sent = false;
        solana_block_config block;
        std::uint64_t last_notified = 0; ///< blockSubscribe: 0 = nothing notified yet
    };

    [[nodiscard]] solana_outcome dispatch(std::uint64_t session, const solana_call& call);
    [[nodiscard]] solana_outcome subscribe(std::uint64_t session, subscription sub);
    [[nodiscard]] solana_outcome unsubscribe(std::uint64_t session, const solana_call& call);
    [[nodiscard]] solana_outcome parse_account(const solana_call& call, subscription& sub);
    [[nodiscard]] solana_outcome parse_program(const solana_call& call, subscription& sub);
    [[nodiscard]] solana_outcome parse_logs(const solana_call& call, subscription& sub);
    [[nodiscard]] solana_outcome parse_signature(const solana_call& call, subscription& sub);
    [[nodiscard]] solana_outcome parse_block(const solana_call& call, subscription& sub);

    void emit(subscription& sub, std::string_view method, std::string_view result);
    void emit_frame(subscription& sub, std::string_view method, std::string&& buffer);
    void notify_level(solana_commitment level, std::uint64_t slot);
    void notify_blocks(solana_commitment level, std::uint64_t trigger);
    void remove(std::uint64_t id);
    [[nodiscard]] bool matches(const subscription& sub, const solana_account_state& account) const;
    [[nodiscard]] bool any(solana_sub_kind kind) const noexcept;

    solana_pubsub_config config_;
    solana_chain& chain_;
    solana_encoder& encoder_;
    const solana_levels& levels_;
    solana_pubsub_output& output_;
    std::uint64_t next_id_;
    std::map<std::uint64_t, subscription> subs_;
    std::unordered_map<std::string, std::uint64_t> by_key_;
    std::map<std::uint64_t, std::set<std::uint64_t>> sessions_; ///< session -> subscription ids
    std::array<std::size_t, 9> kind_counts_{};
};

} // namespace ledgertap::sim
