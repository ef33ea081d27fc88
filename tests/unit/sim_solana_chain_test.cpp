#include "schema/codec.hpp"
#include "sim/solana_chain.hpp"
#include "sim/solana_frames.hpp"
#include "sim/solana_random.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace ledgertap::sim {
namespace {

solana_chain_params busy_params(std::uint64_t seed) {
    solana_chain_params p;
    p.seed = seed;
    p.skip_rate = 0.15;
    p.fork_rate = 0.05;
    return p;
}

std::string block_json(solana_chain& chain, solana_encoder& enc, std::uint64_t slot) {
    const auto block = chain.block(slot);
    REQUIRE(block != nullptr);
    solana_block_config config;
    config.max_supported_version = 0;
    std::string out;
    REQUIRE(enc.append_block(out, *block, config));
    return out;
}

TEST_CASE("permute and unpermute are inverse bijections", "[sim][solana_chain]") {
    prng r{42};
    for (int i = 0; i < 10000; ++i) {
        const std::uint64_t v = r.next();
        CHECK(unpermute(permute(v)) == v);
        CHECK(permute(unpermute(v)) == v);
    }
    CHECK(unpermute(permute(0)) == 0);
    CHECK(unpermute(permute(UINT64_MAX)) == UINT64_MAX);
}

TEST_CASE("the same seed gives the same chain, a different seed another", "[sim][solana_chain]") {
    solana_chain a{busy_params(7)};
    solana_chain b{busy_params(7)};
    solana_chain c{busy_params(8)};
    for (int i = 0; i < 1500; ++i) {
        const solana_slot& sa = a.advance();
        const solana_slot& sb = b.advance();
        (void)c.advance();
        REQUIRE(sa.slot == sb.slot);
        CHECK(sa.kind == sb.kind);
        CHECK(sa.parent_slot == sb.parent_slot);
        CHECK(sa.blockhash == sb.blockhash);
        CHECK(sa.previous_blockhash == sb.previous_blockhash);
        CHECK(sa.block_height == sb.block_height);
        CHECK(sa.block_time == sb.block_time);
        CHECK(sa.transaction_count == sb.transaction_count);
    }
    solana_encoder ea{a};
    solana_encoder eb{b};
    solana_encoder ec{c};
    std::size_t compared = 0;
    std::size_t differ = 0;
    for (std::uint64_t s = a.first_slot(); s < a.first_slot() + 1500; s += 37) {
        if (!a.is_block(s)) {
            continue;
        }
        CHECK(block_json(a, ea, s) == block_json(b, eb, s));
        ++compared;
        if (c.is_block(s) && block_json(c, ec, s) != block_json(a, ea, s)) {
            ++differ;
        }
    }
    CHECK(compared > 20);
    CHECK(differ > 0);
    CHECK(a.find(a.first_slot())->blockhash != c.find(c.first_slot())->blockhash);
}

TEST_CASE(
    "every block links to the previous block and skipped slots are exactly the gaps",
    "[sim][solana_chain]") {
    solana_chain chain{busy_params(3)};
    constexpr int slots = 4000;
    for (int i = 0; i < slots; ++i) {
        (void)chain.advance();
    }
    const std::uint64_t first = chain.first_slot();
    REQUIRE(chain.tip() == first + slots - 1);
    REQUIRE(chain.is_block(first));

    std::size_t skipped = 0;
    std::size_t dead = 0;
    const solana_slot* prev = chain.find(first);
    for (std::uint64_t s = first + 1; s <= *chain.tip(); ++s) {
        const solana_slot* cur = chain.find(s);
        REQUIRE(cur != nullptr);
        REQUIRE(cur->slot == s);
        if (cur->kind == solana_slot_kind::skipped) {
            ++skipped;
            continue;
        }
        if (cur->kind == solana_slot_kind::dead) {
            ++dead;
            CHECK(cur->parent_slot == prev->slot); // forked from the same parent
            continue;
        }
        CHECK(cur->parent_slot == prev->slot);
        CHECK(cur->previous_blockhash == prev->blockhash);
        CHECK(cur->block_height == prev->block_height + 1);
        CHECK(cur->block_time >= prev->block_time);
        // Everything strictly between the two blocks is a gap.
        for (std::uint64_t g = prev->slot + 1; g < s; ++g) {
            CHECK(chain.find(g)->kind != solana_slot_kind::block);
        }
        prev = cur;
    }
    CHECK(skipped > 100);
    CHECK(dead > 50);

    // blocks_in agrees with the slot kinds.
    const auto blocks = chain.blocks_in(first, *chain.tip());
    std::size_t expected = 0;
    for (std::uint64_t s = first; s <= *chain.tip(); ++s) {
        expected += chain.is_block(s) ? 1 : 0;
    }
    CHECK(blocks.size() == expected);
    CHECK(std::is_sorted(blocks.begin(), blocks.end()));
    CHECK(chain.blocks_in(first, *chain.tip(), 10).size() == 10);
}

TEST_CASE("skipped slots come in runs that end with their leader window", "[sim][solana_chain]") {
    solana_chain chain{busy_params(11)};
    for (int i = 0; i < 3000; ++i) {
        (void)chain.advance();
    }
    std::size_t runs_longer_than_one = 0;
    for (std::uint64_t s = chain.first_slot(); s + 1 <= *chain.tip(); ++s) {
        const solana_slot* cur = chain.find(s);
        if (cur->kind != solana_slot_kind::skipped) {
            continue;
        }
        if (s % 4 != 3) {
            // Not the last slot of its window: the next one is skipped too.
            CHECK(chain.find(s + 1)->kind == solana_slot_kind::skipped);
            ++runs_longer_than_one;
        }
    }
    CHECK(runs_longer_than_one > 50);
}

TEST_CASE("commitment levels trail the tip and only move forward", "[sim][solana_chain]") {
    solana_chain chain{busy_params(5)};
    CHECK_FALSE(chain.committed_block(0));
    std::optional<std::uint64_t> last_root;
    std::optional<std::uint64_t> last_confirmed;
    for (int i = 0; i < 500; ++i) {
        (void)chain.advance();
        const auto processed = chain.committed_block(0);
        const auto confirmed = chain.committed_block(2);
        const auto root = chain.committed_block(8);
        REQUIRE(processed);
        CHECK(chain.is_block(*processed));
        if (root) {
            CHECK(*root <= *chain.tip() - 8);
            CHECK(chain.is_block(*root));
            REQUIRE(confirmed);
            CHECK(*root <= *confirmed);
            if (last_root) {
                CHECK(*root >= *last_root);
            }
            last_root = root;
        }
        if (confirmed) {
            CHECK(*confirmed <= *processed);
            if (last_confirmed) {
                CHECK(*confirmed >= *last_confirmed);
            }
            last_confirmed = confirmed;
        }
    }
    CHECK(last_root);
}

TEST_CASE("signatures encode where their transaction lives", "[sim][solana_chain]") {
    solana_chain chain{busy_params(9)};
    for (int i = 0; i < 200; ++i) {
        (void)chain.advance();
    }
    std::size_t checked = 0;
    for (const std::uint64_t s : chain.blocks_in(chain.first_slot(), *chain.tip())) {
        const auto block = chain.block(s);
        REQUIRE(block);
        for (std::uint32_t i = 0; i < block->transactions.size(); ++i) {
            const auto& tx = block->transactions[i];
            const auto loc = chain.locate_signature(tx.signatures[0]);
            REQUIRE(loc);
            CHECK(loc->slot == s);
            CHECK(loc->index == i);
            CHECK(schema::base58_encode(tx.signatures[0]) == tx.signature_b58);
            ++checked;
            schema::bytes64 other = tx.signatures[0];
            other[40] ^= 1U;
            CHECK_FALSE(chain.locate_signature(other));
        }
    }
    CHECK(checked > 1000);
    CHECK_FALSE(chain.locate_signature(schema::bytes64{}));
}

TEST_CASE("blocks carry realistic transactions", "[sim][solana_chain]") {
    solana_chain chain{busy_params(13)};
    for (int i = 0; i < 300; ++i) {
        (void)chain.advance();
    }
    std::size_t votes = 0;
    std::size_t users = 0;
    std::size_t failed = 0;
    std::size_t custom = 0;
    std::size_t v0 = 0;
    std::size_t big = 0;
    std::size_t inner = 0;
    std::size_t escapes = 0;
    std::set<std::uint64_t> signatures_seen;
    for (const std::uint64_t s : chain.blocks_in(chain.first_slot(), *chain.tip())) {
        const auto block = chain.block(s);
        REQUIRE(block->transactions.size() == block->info.transaction_count);
        CHECK(
            block->stats.num_successful_transactions + block->stats.num_failed_transactions
            == block->transactions.size());
        for (const auto& tx : block->transactions) {
            REQUIRE(tx.signatures.size() == tx.num_required_signatures);
            REQUIRE(tx.pre_balances.size() == tx.key_count());
            REQUIRE(tx.post_balances.size() == tx.key_count());
            CHECK(tx.recent_blockhash == block->info.previous_blockhash);
            CHECK(tx.fee >= 5000);
            CHECK(tx.pre_balances[0] - tx.post_balances[0] >= tx.fee);
            for (const auto& ix : tx.instructions) {
                CHECK(ix.program_id_index < tx.account_keys.size()); // programs are static keys
                for (const auto a : ix.accounts) {
                    CHECK(a < tx.key_count());
                }
            }
            CHECK(tx.is_signer(0));
            CHECK(tx.is_writable(0));
            CHECK_FALSE(tx.is_writable(tx.account_keys.size() - 1)); // a program id
            std::uint64_t head = 0;
            for (int b = 0; b < 8; ++b) {
                head = (head << 8U) | tx.signatures[0][b];
            }
            signatures_seen.insert(head);
            votes += tx.is_vote ? 1 : 0;
            users += tx.is_vote ? 0 : 1;
            failed += tx.failed() ? 1 : 0;
            custom += tx.err_json == R"({"InstructionError":[1,{"Custom":6001}]})"
                              || tx.err_json == R"({"InstructionError":[0,{"Custom":6001}]})"
                          ? 1
                          : 0;
            v0 += tx.v0 ? 1 : 0;
            inner += tx.inner_instructions.empty() ? 0 : 1;
            for (const auto b : tx.pre_balances) {
                big += b > (std::uint64_t{1} << 53U) ? 1 : 0;
            }
            for (const auto& line : tx.log_messages) {
                escapes += line.find('"') != std::string::npos ? 1 : 0;
            }
            if (tx.v0) {
                CHECK(tx.lookups.size() == 1);
                CHECK(tx.loaded_writable.size() == tx.lookups[0].writable_indexes.size());
            }
        }
    }
    CHECK(votes > users);
    CHECK(users > 300);
    CHECK(failed > 20);
    CHECK(custom > 10);
    CHECK(v0 > 50);
    CHECK(big > 10);
    CHECK(inner > 20);
    CHECK(escapes > 2);
    CHECK(signatures_seen.size() == votes + users); // first 8 bytes already distinct
}

TEST_CASE("accounts change with blocks and keep their traits", "[sim][solana_chain]") {
    solana_chain chain{busy_params(17)};
    for (int i = 0; i < 200; ++i) {
        (void)chain.advance();
    }
    std::size_t big = 0;
    std::size_t huge_data = 0;
    std::size_t program_owned = 0;
    for (const std::uint64_t s : chain.blocks_in(chain.first_slot(), *chain.tip())) {
        const auto block = chain.block(s);
        for (const auto& acct : block->modified_accounts) {
            const auto it = std::find_if(
                chain.pool().begin(), chain.pool().end(), [&acct](const solana_pool_account& p) {
                    return p.pubkey == acct.pubkey;
                });
            REQUIRE(it != chain.pool().end());
            CHECK(acct.owner == it->owner);
            CHECK(acct.data.size() == it->data_len);
            CHECK(std::equal(it->data_prefix.begin(), it->data_prefix.end(), acct.data.begin()));
            CHECK(acct.rent_epoch == UINT64_MAX);
            big += acct.lamports > (std::uint64_t{1} << 53U) ? 1 : 0;
            huge_data += acct.data.size() > 128 ? 1 : 0;
            const auto& programs = chain.well_known().sim_programs;
            program_owned
                += std::find(programs.begin(), programs.end(), acct.owner) != programs.end() ? 1
                                                                                             : 0;
        }
    }
    CHECK(big > 10);
    CHECK(huge_data > 10);
    CHECK(program_owned > 50);
    // One program owns accounts of two different sizes (dataSize filters matter).
    std::set<std::size_t> sizes;
    for (const auto& p : chain.pool()) {
        if (p.owner == chain.well_known().sim_programs[0]) {
            sizes.insert(p.data_len);
        }
    }
    CHECK(sizes.size() >= 2);
}

} // namespace
} // namespace ledgertap::sim
