// The simulated Nano ledger: deterministic from the seed, hashes and addresses that the codecs
// accept, receives that reference real sends, balances that add up.

#include "schema/codec.hpp"
#include "sim/nano_ledger.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <vector>

namespace ledgertap::sim::nano {
namespace {

std::vector<bytes32> hashes_of(std::uint64_t seed, int count) {
    ledger chain(seed, 16);
    std::vector<bytes32> out;
    for (int i = 0; i < count; ++i) {
        out.push_back(chain.at(chain.generate(1700000000)).hash);
    }
    return out;
}

bytes32 recompute(const ledger& chain, const block& b) {
    const bytes32& account = chain.key(b.account);
    switch (b.type) {
    case block_type::state:
        return schema::nano::state_block_hash(
            account, b.previous, b.representative, b.balance, b.link);
    case block_type::send:
        return schema::nano::send_block_hash(b.previous, b.link, b.balance);
    case block_type::receive:
        return schema::nano::receive_block_hash(b.previous, b.link);
    case block_type::open:
        return schema::nano::open_block_hash(b.link, b.representative, account);
    case block_type::change:
        return schema::nano::change_block_hash(b.previous, b.representative);
    }
    return {};
}

TEST_CASE(
    "the same seed gives the same chain and another seed a different one", "[sim][nano][ledger]") {
    CHECK(hashes_of(5, 300) == hashes_of(5, 300));
    CHECK(hashes_of(5, 300) != hashes_of(6, 300));
}

TEST_CASE(
    "every generated block has a correct hash, valid addresses and consistent links",
    "[sim][nano][ledger]") {
    ledger chain(3, 12);
    std::set<std::string> types;
    std::set<std::string> subtypes;
    for (int i = 0; i < 2000; ++i) {
        chain.generate(1700000000);
    }
    bool near_max = false;
    for (std::uint32_t i = 0; i < chain.size(); ++i) {
        const block& b = chain.at(i);
        INFO("block " << i);
        CHECK(recompute(chain, b) == b.hash);
        CHECK(chain.find(b.hash) == i);
        types.insert(std::string(to_string(b.type)));
        subtypes.insert(std::string(to_string(b.subtype)));
        const auto& acct = chain.accounts()[b.account];
        CHECK(schema::nano::decode_account(acct.address) == acct.key);
        CHECK(acct.chain[b.height - 1] == i);
        if (b.height > 1) {
            CHECK(chain.at(acct.chain[b.height - 2]).hash == b.previous);
        } else {
            CHECK(b.previous == bytes32{});
        }
        if (b.source_index >= 0) {
            const block& source = chain.at(static_cast<std::uint32_t>(b.source_index));
            CHECK(source.hash == b.link);
            CHECK(source.amount == b.amount);
            CHECK(source.receive_index == i);
            CHECK(source.link == acct.key); // the send was addressed to this account
        }
        if (b.type == block_type::state && b.subtype == block_subtype::epoch) {
            CHECK((b.link == epoch_v1_link() || b.link == epoch_v2_link()));
            CHECK(b.amount == 0);
        }
        near_max = near_max || b.balance > (~u128{0}) / 4;
    }
    CHECK(near_max);
    CHECK(types == std::set<std::string>{"change", "open", "receive", "send", "state"});
    CHECK(subtypes == std::set<std::string>{"", "change", "epoch", "receive", "send"});
    // Supply is conserved: balances plus unreceived sends add up to the genesis amount.
    u128 total = 0;
    for (std::uint32_t a = 0; a < chain.accounts().size(); ++a) {
        total += chain.accounts()[a].balance + chain.receivable_total(a, false);
    }
    CHECK(total == ~u128{0});
}

TEST_CASE(
    "unconfirmed dependencies come previous-first and include the source send",
    "[sim][nano][ledger]") {
    ledger chain(9, 8);
    std::vector<std::uint32_t> all;
    for (int i = 0; i < 200; ++i) {
        all.push_back(chain.generate(1700000000));
    }
    // Confirm nothing; the dependencies of the last block must be in an order where each one's own
    // dependencies come before it.
    const std::uint32_t last = all.back();
    const auto deps = chain.unconfirmed_dependencies(last);
    std::set<std::uint32_t> done;
    for (const std::uint32_t d : deps) {
        const block& b = chain.at(d);
        if (b.height > 1) {
            CHECK(done.contains(chain.accounts()[b.account].chain[b.height - 2]));
        }
        if (b.source_index >= 0) {
            CHECK(done.contains(static_cast<std::uint32_t>(b.source_index)));
        }
        done.insert(d);
    }
    for (const std::uint32_t d : deps) {
        chain.confirm(d, confirmation_kind::inactive, 1, {});
    }
    chain.confirm(last, confirmation_kind::active_quorum, 2, {});
    CHECK(chain.unconfirmed_dependencies(last).empty());
    CHECK(chain.cemented() == deps.size() + 1);
}

TEST_CASE("decimal formats u128 exactly like the codec", "[sim][nano][ledger]") {
    const std::vector<u128> values{
        0,
        1,
        9,
        10,
        18446744073709551615ULL,
        u128{18446744073709551615ULL} + 1,
        u128{10000000000000000000ULL} * 10000000000000000000ULL,
        u128{10000000000000000000ULL} * 10000000000000000000ULL - 1,
        ~u128{0},
        (~u128{0}) / 3,
        u128{1} << 100U};
    for (const u128 v : values) {
        CHECK(decimal(v) == schema::format_u128(v));
    }
    CHECK(decimal(~u128{0}) == "340282366920938463463374607431768211455");
}

TEST_CASE("forks share the previous block and never enter the ledger", "[sim][nano][ledger]") {
    ledger chain(4, 8);
    std::uint32_t index = 0;
    for (int i = 0; i < 100; ++i) {
        index = chain.generate(1700000000);
    }
    while (chain.at(index).height < 2 || chain.at(index).type != block_type::state) {
        index = chain.generate(1700000000);
    }
    const block fork = chain.make_fork(index, 77);
    CHECK(fork.previous == chain.at(index).previous);
    CHECK(fork.hash != chain.at(index).hash);
    CHECK(recompute(chain, fork) == fork.hash);
    CHECK_FALSE(chain.find(fork.hash).has_value());
}

} // namespace
} // namespace ledgertap::sim::nano
