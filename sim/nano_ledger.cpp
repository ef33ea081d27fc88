#include "sim/nano_ledger.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <stdexcept>

namespace ledgertap::sim::nano {

namespace {

constexpr std::uint32_t representative_count = 16;
constexpr u128 max_u128 = ~u128{0};

bytes32 derive_key(std::string_view label, std::uint64_t seed, std::uint32_t index) {
    std::array<std::uint8_t, 12> tail{};
    for (std::size_t i = 0; i < 8; ++i) {
        tail[i] = static_cast<std::uint8_t>(seed >> (8 * i));
    }
    for (std::size_t i = 0; i < 4; ++i) {
        tail[8 + i] = static_cast<std::uint8_t>(index >> (8 * i));
    }
    bytes32 out{};
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
    const std::span<const std::uint8_t> label_bytes(
        reinterpret_cast<const std::uint8_t*>(label.data()), label.size());
    const std::array<std::span<const std::uint8_t>, 2> parts{
        label_bytes, std::span<const std::uint8_t>(tail)};
    schema::blake2b(out, parts);
    return out;
}

bytes32 make_epoch_link(std::string_view text) {
    bytes32 link{};
    std::memcpy(link.data(), text.data(), std::min(text.size(), link.size()));
    return link;
}

} // namespace

std::string_view to_string(block_type type) {
    switch (type) {
    case block_type::state:
        return "state";
    case block_type::send:
        return "send";
    case block_type::receive:
        return "receive";
    case block_type::open:
        return "open";
    case block_type::change:
        return "change";
    }
    return "state";
}

std::string_view to_string(block_subtype subtype) {
    switch (subtype) {
    case block_subtype::none:
        return "";
    case block_subtype::send:
        return "send";
    case block_subtype::receive:
        return "receive";
    case block_subtype::change:
        return "change";
    case block_subtype::epoch:
        return "epoch";
    }
    return "";
}

std::string_view to_string(confirmation_kind kind) {
    switch (kind) {
    case confirmation_kind::active_quorum:
        return "active_quorum";
    case confirmation_kind::active_confirmation_height:
        return "active_confirmation_height";
    case confirmation_kind::inactive:
        return "inactive";
    }
    return "unknown";
}

std::size_t bytes32_hash::operator()(const bytes32& b) const noexcept {
    std::size_t h = 0;
    std::memcpy(&h, b.data(), sizeof(h));
    return h;
}

std::string decimal(u128 value) {
    constexpr std::uint64_t chunk = 10000000000000000000ULL; // 10^19
    if (value <= u128{~std::uint64_t{0}}) {
        return std::to_string(static_cast<std::uint64_t>(value));
    }
    // value = high * 10^19 + low; high < 2^128 / 10^19 < 2^65, so at most one more split.
    const auto low = static_cast<std::uint64_t>(value % chunk);
    const u128 high = value / chunk;
    std::string out = decimal(high);
    const std::string tail = std::to_string(low);
    out.append(19 - tail.size(), '0');
    out.append(tail);
    return out;
}

const bytes32& epoch_v1_link() {
    static const bytes32 link = make_epoch_link("epoch v1 block");
    return link;
}

const bytes32& epoch_v2_link() {
    static const bytes32 link = make_epoch_link("epoch v2 block");
    return link;
}

ledger::ledger(std::uint64_t seed, std::uint32_t accounts)
  : seed_(seed)
  , rng_(seed ^ 0x6e616e6f6c656467ULL) {
    if (accounts < 3) {
        throw std::invalid_argument("nano ledger needs at least 3 accounts");
    }
    accounts_.resize(accounts);
    for (std::uint32_t i = 0; i < accounts; ++i) {
        accounts_[i].key = derive_key("ledgertap-sim nano account", seed, i);
        accounts_[i].address = schema::nano::encode_account(accounts_[i].key);
        account_by_key_.emplace(accounts_[i].key, i);
    }
    by_hash_.reserve(std::size_t{1} << 20);
    for (std::uint32_t i = 0; i < representative_count; ++i) {
        representatives_.push_back(derive_key("ledgertap-sim nano representative", seed, i));
    }
}

std::optional<std::uint32_t> ledger::find(const bytes32& hash) const {
    const auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::optional<std::uint32_t> ledger::find_account(const bytes32& key) const {
    const auto it = account_by_key_.find(key);
    if (it == account_by_key_.end()) {
        return std::nullopt;
    }
    return it->second;
}

bytes64 ledger::signature(const block& b) const {
    bytes64 out{};
    std::array<std::uint8_t, 8> seed_bytes{};
    for (std::size_t i = 0; i < 8; ++i) {
        seed_bytes[i] = static_cast<std::uint8_t>(seed_ >> (8 * i));
    }
    const std::array<std::span<const std::uint8_t>, 2> parts{
        std::span<const std::uint8_t>(b.hash), std::span<const std::uint8_t>(seed_bytes)};
    schema::blake2b(out, parts);
    return out;
}

std::optional<bytes32> ledger::linked_account(const block& b) const {
    if (b.type == block_type::send
        || (b.type == block_type::state && b.subtype == block_subtype::send)) {
        return b.link;
    }
    if (b.source_index >= 0) {
        return accounts_[blocks_[static_cast<std::size_t>(b.source_index)].account].key;
    }
    return std::nullopt;
}

u128 ledger::receivable_total(std::uint32_t account, bool confirmed_only) const {
    u128 total = 0;
    for (const std::uint32_t index : accounts_[account].receivable) {
        if (!confirmed_only || blocks_[index].confirmed) {
            total += blocks_[index].amount;
        }
    }
    return total;
}

std::uint32_t ledger::insert(block b) {
    const auto index = static_cast<std::uint32_t>(blocks_.size());
    account_state& acct = accounts_[b.account];
    b.height = acct.chain.size() + 1;
    b.work = b.hash[0] | (std::uint64_t{b.hash[7]} << 8U) | (next_u64() & 0xffffffffffff0000ULL);
    if (!acct.chain.empty()) {
        blocks_[acct.chain.back()].successor_index = index;
    }
    acct.chain.push_back(index);
    acct.balance = b.balance;
    if (b.type != block_type::send && b.type != block_type::receive) {
        if (acct.representative != b.representative || acct.chain.size() == 1
            || b.type == block_type::state) {
            acct.representative_block = index;
        }
        acct.representative = b.representative;
    }
    if (b.source_index >= 0) {
        auto& source = blocks_[static_cast<std::size_t>(b.source_index)];
        source.receive_index = index;
        auto& pending = acct.receivable;
        const auto source_index = static_cast<std::uint32_t>(b.source_index);
        if (!pending.empty() && pending.front() == source_index) {
            pending.pop_front(); // the usual case: receives take the oldest receivable
        } else {
            pending.erase(std::remove(pending.begin(), pending.end(), source_index), pending.end());
        }
    }
    const bool is_send = b.type == block_type::send
                         || (b.type == block_type::state && b.subtype == block_subtype::send);
    by_hash_.emplace(b.hash, index);
    blocks_.push_back(b);
    if (is_send) {
        const auto dest = find_account(b.link);
        if (dest) {
            accounts_[*dest].receivable.push_back(index);
        }
    }
    return index;
}

std::uint32_t ledger::add_legacy_send(
    std::uint32_t from, std::uint32_t to, u128 amount, std::uint64_t t) {
    account_state& acct = accounts_[from];
    block b;
    b.type = block_type::send;
    b.account = from;
    b.previous = blocks_[acct.chain.back()].hash;
    b.link = accounts_[to].key;
    b.balance = acct.balance - amount;
    b.amount = amount;
    b.representative = acct.representative; // not part of the block; kept for the ledger state
    b.local_timestamp = t;
    b.hash = schema::nano::send_block_hash(b.previous, b.link, b.balance);
    return insert(b);
}

std::uint32_t ledger::add_legacy_open(
    std::uint32_t account, std::uint32_t source, const bytes32& rep, std::uint64_t t) {
    block b;
    b.type = block_type::open;
    b.account = account;
    b.representative = rep;
    b.link = blocks_[source].hash;
    b.amount = blocks_[source].amount;
    b.balance = b.amount;
    b.source_index = source;
    b.local_timestamp = t;
    b.hash = schema::nano::open_block_hash(b.link, rep, accounts_[account].key);
    return insert(b);
}

std::uint32_t ledger::add_legacy_receive(
    std::uint32_t account, std::uint32_t source, std::uint64_t t) {
    account_state& acct = accounts_[account];
    block b;
    b.type = block_type::receive;
    b.account = account;
    b.previous = blocks_[acct.chain.back()].hash;
    b.link = blocks_[source].hash;
    b.amount = blocks_[source].amount;
    b.balance = acct.balance + b.amount;
    b.representative = acct.representative;
    b.source_index = source;
    b.local_timestamp = t;
    b.hash = schema::nano::receive_block_hash(b.previous, b.link);
    return insert(b);
}

std::uint32_t ledger::add_legacy_change(
    std::uint32_t account, const bytes32& rep, std::uint64_t t) {
    account_state& acct = accounts_[account];
    block b;
    b.type = block_type::change;
    b.account = account;
    b.previous = blocks_[acct.chain.back()].hash;
    b.representative = rep;
    b.balance = acct.balance;
    b.local_timestamp = t;
    b.hash = schema::nano::change_block_hash(b.previous, rep);
    return insert(b);
}

std::uint32_t ledger::add_state(
    std::uint32_t account,
    block_subtype subtype,
    const bytes32& rep,
    u128 balance,
    const bytes32& link,
    u128 amount,
    std::int64_t source,
    std::uint64_t t) {
    account_state& acct = accounts_[account];
    block b;
    b.type = block_type::state;
    b.subtype = subtype;
    b.account = account;
    if (!acct.chain.empty()) {
        b.previous = blocks_[acct.chain.back()].hash;
    }
    b.representative = rep;
    b.balance = balance;
    b.link = link;
    b.amount = amount;
    b.source_index = source;
    b.local_timestamp = t;
    b.hash = schema::nano::state_block_hash(acct.key, b.previous, rep, balance, link);
    if (acct.version == 0) {
        acct.version = 1;
    }
    if (subtype == block_subtype::epoch) {
        acct.version = link == epoch_v2_link() ? 2 : 1;
    }
    return insert(b);
}

u128 ledger::random_amount(u128 balance) {
    if (balance == 0) {
        return 0;
    }
    const std::uint64_t pick = next_u64() % 16;
    if (pick == 0) {
        return balance; // empty the account
    }
    if (pick < 6) {
        const u128 small = (u128{next_u64()} % 1000000U) + 1;
        return std::min(small, balance);
    }
    const u128 divisor = (next_u64() % 999U) + 2;
    const u128 amount = balance / divisor;
    return amount == 0 ? balance : amount;
}

std::uint32_t ledger::generate(std::uint64_t now_s) {
    const std::uint64_t step = generated_++;
    // Legacy prologue: the oldest history, before the state-block era.
    const std::uint64_t old = now_s > 400000000 ? now_s - 400000000 : 0;
    switch (step) {
    case 0: {
        block b;
        b.type = block_type::open;
        b.account = 0;
        b.representative = accounts_[0].key;
        b.link = accounts_[0].key;
        b.balance = max_u128;
        b.amount = max_u128;
        b.local_timestamp = 0;
        b.hash = schema::nano::open_block_hash(b.link, b.representative, accounts_[0].key);
        return insert(b);
    }
    case 1:
        return add_legacy_send(0, 1, max_u128 / 3, 0);
    case 2:
        return add_legacy_open(1, 1, representatives_[0], old);
    case 3:
        return add_legacy_send(0, 2, max_u128 / 5, old);
    case 4:
        return add_legacy_open(2, 3, representatives_[1], old);
    case 5:
        return add_legacy_send(1, 2, u128{1000000000000ULL} * 1000000000000ULL, old);
    case 6:
        return add_legacy_receive(2, 5, old);
    case 7:
        return add_legacy_change(1, representatives_[2], old);
    case 8:
    case 9:
    case 10: {
        const auto account = static_cast<std::uint32_t>(step - 8);
        const account_state& acct = accounts_[account];
        return add_state(
            account,
            block_subtype::epoch,
            acct.representative,
            acct.balance,
            epoch_v1_link(),
            0,
            -1,
            old);
    }
    default:
        break;
    }

    // State era: a random operation.
    for (int attempt = 0; attempt < 16; ++attempt) {
        const std::uint64_t op = next_u64() % 100;
        if (op < 35) {
            std::vector<std::uint32_t> candidates;
            for (std::uint32_t i = 0; i < accounts_.size(); ++i) {
                if (!accounts_[i].receivable.empty()) {
                    candidates.push_back(i);
                }
            }
            if (candidates.empty()) {
                continue;
            }
            const std::uint32_t account = candidates[next_u64() % candidates.size()];
            account_state& acct = accounts_[account];
            const std::uint32_t source = acct.receivable.front();
            const u128 amount = blocks_[source].amount;
            const bytes32 rep = acct.opened()
                                    ? acct.representative
                                    : representatives_[next_u64() % representatives_.size()];
            return add_state(
                account,
                block_subtype::receive,
                rep,
                acct.balance + amount,
                blocks_[source].hash,
                amount,
                source,
                now_s);
        }
        if (op < 80) {
            std::vector<std::uint32_t> funded;
            for (std::uint32_t i = 0; i < accounts_.size(); ++i) {
                if (accounts_[i].opened() && accounts_[i].balance > 0) {
                    funded.push_back(i);
                }
            }
            if (funded.empty()) {
                continue;
            }
            const std::uint32_t from = funded[next_u64() % funded.size()];
            auto to = static_cast<std::uint32_t>(next_u64() % (accounts_.size() - 1));
            if (to >= from) {
                ++to;
            }
            account_state& acct = accounts_[from];
            const u128 amount = random_amount(acct.balance);
            return add_state(
                from,
                block_subtype::send,
                acct.representative,
                acct.balance - amount,
                accounts_[to].key,
                amount,
                -1,
                now_s);
        }
        if (op < 92) {
            std::vector<std::uint32_t> opened;
            for (std::uint32_t i = 0; i < accounts_.size(); ++i) {
                if (accounts_[i].opened()) {
                    opened.push_back(i);
                }
            }
            const std::uint32_t account = opened[next_u64() % opened.size()];
            account_state& acct = accounts_[account];
            bytes32 rep = representatives_[next_u64() % representatives_.size()];
            if (rep == acct.representative) {
                rep = representatives_
                    [(next_u64() % (representatives_.size() - 1) + 1) % representatives_.size()];
            }
            return add_state(
                account, block_subtype::change, rep, acct.balance, bytes32{}, 0, -1, now_s);
        }
        std::vector<std::uint32_t> upgradable;
        for (std::uint32_t i = 0; i < accounts_.size(); ++i) {
            if (accounts_[i].opened() && accounts_[i].version < 2) {
                upgradable.push_back(i);
            }
        }
        if (upgradable.empty()) {
            continue;
        }
        const std::uint32_t account = upgradable[next_u64() % upgradable.size()];
        const account_state& acct = accounts_[account];
        return add_state(
            account,
            block_subtype::epoch,
            acct.representative,
            acct.balance,
            epoch_v2_link(),
            0,
            -1,
            now_s);
    }
    // Fallback (practically unreachable): genesis sends a small amount to account 1.
    account_state& genesis = accounts_[0];
    const u128 amount = std::min<u128>(genesis.balance, 1);
    return add_state(
        0,
        block_subtype::send,
        genesis.representative,
        genesis.balance - amount,
        accounts_[1].key,
        amount,
        -1,
        now_s);
}

block ledger::make_fork(std::uint32_t index, std::uint64_t salt) const {
    block fork = blocks_[index];
    const account_state& acct = accounts_[fork.account];
    fork.type = block_type::state;
    fork.subtype = block_subtype::change;
    fork.representative = representatives_[salt % representatives_.size()];
    if (fork.representative == blocks_[index].representative) {
        fork.representative = representatives_[(salt + 1) % representatives_.size()];
    }
    const u128 previous_balance
        = fork.height > 1 ? blocks_[acct.chain[fork.height - 2]].balance : 0;
    fork.balance = previous_balance;
    fork.link = bytes32{};
    fork.amount = 0;
    fork.source_index = -1;
    fork.receive_index = -1;
    fork.successor_index = -1;
    fork.confirmed = false;
    fork.hash = schema::nano::state_block_hash(
        acct.key, fork.previous, fork.representative, fork.balance, fork.link);
    return fork;
}

void ledger::confirm(
    std::uint32_t index,
    confirmation_kind how,
    std::uint64_t now_ms,
    const election_summary& election) {
    block& b = blocks_[index];
    if (b.confirmed) {
        return;
    }
    b.confirmed = true;
    b.how = how;
    b.confirmed_ms = now_ms;
    b.election = election;
    order_.push_back(index);
    ++cemented_;
    account_state& acct = accounts_[b.account];
    acct.confirmation_height = std::max(acct.confirmation_height, b.height);
}

std::vector<std::uint32_t> ledger::unconfirmed_dependencies(std::uint32_t index) const {
    std::vector<std::uint32_t> out;
    std::vector<std::uint32_t> visiting;
    const std::function<void(std::uint32_t)> visit = [&](std::uint32_t i) {
        const block& b = blocks_[i];
        if (b.height > 1) {
            const std::uint32_t prev = accounts_[b.account].chain[b.height - 2];
            if (!blocks_[prev].confirmed && std::find(out.begin(), out.end(), prev) == out.end()) {
                visit(prev);
                out.push_back(prev);
            }
        }
        if (b.source_index >= 0) {
            const auto source = static_cast<std::uint32_t>(b.source_index);
            if (!blocks_[source].confirmed
                && std::find(out.begin(), out.end(), source) == out.end()) {
                visit(source);
                out.push_back(source);
            }
        }
    };
    visit(index);
    return out;
}

} // namespace ledgertap::sim::nano
