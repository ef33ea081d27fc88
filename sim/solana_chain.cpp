#include "sim/solana_chain.hpp"

#include "sim/solana_random.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace ledgertap::sim {

namespace {

// Independent random streams, so that e.g. the transaction count of a slot does not depend on
// whether its leader window was skipped.
enum class stream : std::uint64_t {
    window = 1,
    fork,
    count,
    block,
    blockhash,
    pool,
    validator,
    signature,
    signature_key,
    lamports,
    token_amount,
    account_data,
    program,
    reward,
    dead,
};

std::uint64_t key_of(std::uint64_t seed, stream s, std::uint64_t a, std::uint64_t b = 0) {
    return mix(mix(mix(seed, static_cast<std::uint64_t>(s)), a), b);
}

schema::bytes32 random_key(std::uint64_t seed, stream s, std::uint64_t a, std::uint64_t b = 0) {
    prng r{key_of(seed, s, a, b)};
    schema::bytes32 out{};
    r.fill(out);
    return out;
}

schema::bytes32 decode_key(std::string_view text) {
    schema::bytes32 out{};
    const auto bytes = schema::base58_decode(text);
    if (!bytes || bytes->size() != out.size()) {
        std::abort(); // a constant below is wrong: a programming error, caught by every test
    }
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
}

constexpr std::uint64_t window_slots = 4; // a leader's consecutive slots
constexpr std::size_t min_pool = 12;
constexpr std::uint64_t signature_index_bits = 18;
constexpr std::uint64_t signature_which_bits = 2;
constexpr std::uint64_t lamports_per_signature = 5000;
constexpr std::uint64_t two_pow_53 = std::uint64_t{1} << 53U;
constexpr std::uint64_t token_account_lamports = 2'039'280;
constexpr std::uint64_t bpf_program_lamports = 1'141'440;
constexpr std::uint64_t token_program_lamports = 934'087'680;
constexpr std::uint32_t default_compute_limit = 200'000;
constexpr std::uint32_t vote_compute_units = 2100;
constexpr std::uint8_t tower_sync_discriminant = 14;
constexpr std::uint8_t set_compute_unit_price = 3;
constexpr std::uint8_t token_transfer = 3;
constexpr std::size_t token_owner_offset = 32;
constexpr std::size_t token_amount_offset = 64;
constexpr std::size_t token_state_offset = 108;
constexpr std::size_t token_account_len = 165;
constexpr std::uint8_t token_decimals = 6;

enum class pool_role { payer, program0_large, program1_huge, token, program_small };

pool_role role_of(std::size_t index) {
    switch (index % 6) {
    case 1:
        return pool_role::program0_large;
    case 2:
        return pool_role::program1_huge;
    case 4:
        return pool_role::token;
    case 5:
        return pool_role::program_small;
    default:
        return pool_role::payer;
    }
}

void put_u64(std::vector<std::uint8_t>& out, std::uint64_t value) {
    for (unsigned i = 0; i < 8; ++i) {
        out.push_back(static_cast<std::uint8_t>(value >> (8U * i)));
    }
}

void write_u64(std::vector<std::uint8_t>& out, std::size_t offset, std::uint64_t value) {
    for (unsigned i = 0; i < 8; ++i) {
        out[offset + i] = static_cast<std::uint8_t>(value >> (8U * i));
    }
}

std::string program_line(const std::string& program, std::string_view what) {
    std::string line = "Program ";
    line += program;
    line += ' ';
    line += what;
    return line;
}

std::string consumed_line(const std::string& program, std::uint64_t used, std::uint64_t limit) {
    return "Program " + program + " consumed " + std::to_string(used) + " of "
           + std::to_string(limit) + " compute units";
}

} // namespace

// ---- solana_transaction ------------------------------------------------------------------------

const schema::bytes32& solana_transaction::key(std::size_t index) const noexcept {
    if (index < account_keys.size()) {
        return account_keys[index];
    }
    index -= account_keys.size();
    if (index < loaded_writable.size()) {
        return loaded_writable[index];
    }
    return loaded_readonly[index - loaded_writable.size()];
}

bool solana_transaction::is_signer(std::size_t index) const noexcept {
    return index < num_required_signatures;
}

bool solana_transaction::is_writable(std::size_t index) const noexcept {
    if (index < num_required_signatures) {
        return index < static_cast<std::size_t>(num_required_signatures - num_readonly_signed);
    }
    if (index < account_keys.size()) {
        return index < account_keys.size() - num_readonly_unsigned;
    }
    return index < account_keys.size() + loaded_writable.size();
}

bool solana_transaction::mentions(const schema::bytes32& k) const noexcept {
    const auto has = [&k](const std::vector<schema::bytes32>& keys) {
        return std::find(keys.begin(), keys.end(), k) != keys.end();
    };
    return has(account_keys) || has(loaded_writable) || has(loaded_readonly);
}

bool solana_block::has_v0() const noexcept {
    return std::any_of(transactions.begin(), transactions.end(), [](const solana_transaction& tx) {
        return tx.v0;
    });
}

std::string_view to_string(solana_slot_kind kind) noexcept {
    switch (kind) {
    case solana_slot_kind::block:
        return "block";
    case solana_slot_kind::skipped:
        return "skipped";
    case solana_slot_kind::dead:
        return "dead";
    }
    return "unknown";
}

// ---- solana_chain ------------------------------------------------------------------------------

struct solana_chain::block_state {
    std::vector<std::uint64_t> lamports;
    std::vector<std::uint64_t> token_amounts;
    std::vector<bool> modified;
};

solana_chain::solana_chain(solana_chain_params params)
  : params_(params) {
    if (params_.max_transactions < params_.min_transactions) {
        params_.max_transactions = params_.min_transactions;
    }
    params_.validators = std::max<std::uint32_t>(params_.validators, 1);
    const std::uint64_t seed = params_.seed;

    known_.system_program = schema::bytes32{};
    known_.vote_program = decode_key("Vote111111111111111111111111111111111111111");
    known_.compute_budget_program = decode_key("ComputeBudget111111111111111111111111111111");
    known_.token_program = decode_key("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
    known_.lookup_table = random_key(seed, stream::program, 100);
    known_.token_mint = random_key(seed, stream::program, 101);
    for (std::uint64_t i = 0; i < 3; ++i) {
        known_.sim_programs.push_back(random_key(seed, stream::program, i));
        program_names_.push_back(schema::base58_encode(known_.sim_programs.back()));
    }
    program_accounts_.resize(known_.sim_programs.size());

    const std::size_t pool_size = std::max<std::size_t>(params_.pool_accounts, min_pool);
    for (std::size_t i = 0; i < pool_size; ++i) {
        solana_pool_account acct;
        acct.pubkey = random_key(seed, stream::pool, i);
        const pool_role role = role_of(i);
        std::size_t program = 0;
        switch (role) {
        case pool_role::payer:
            acct.owner = known_.system_program;
            acct.big_lamports = i % 12 == 0;
            payers_.push_back(i);
            break;
        case pool_role::program0_large:
            program = 0;
            acct.data_len = 96;
            acct.big_lamports = i % 12 == 1;
            break;
        case pool_role::program1_huge:
            program = 1;
            acct.data_len = 200; // above 128 bytes: "error: data too large for bs58 encoding"
            break;
        case pool_role::token:
            acct.owner = known_.token_program;
            acct.data_len = token_account_len;
            token_accounts_.push_back(i);
            break;
        case pool_role::program_small:
            program = (i / 6) % 2 == 0 ? 0 : 2;
            acct.data_len = 40;
            break;
        }
        if (role == pool_role::token) {
            acct.data_prefix.assign(known_.token_mint.begin(), known_.token_mint.end());
            const schema::bytes32 owner = random_key(seed, stream::pool, i, 1);
            acct.data_prefix.insert(acct.data_prefix.end(), owner.begin(), owner.end());
        } else if (role != pool_role::payer) {
            acct.owner = known_.sim_programs[program];
            program_accounts_[program].push_back(i);
            // An 8-byte discriminator shared by accounts of one type, then an authority.
            prng d{key_of(seed, stream::account_data, program, acct.data_len)};
            for (int b = 0; b < 8; ++b) {
                acct.data_prefix.push_back(static_cast<std::uint8_t>(d.next()));
            }
            const std::size_t authority = std::min<std::size_t>(32, acct.data_len - 16);
            prng a{key_of(seed, stream::account_data, 1000 + i)};
            for (std::size_t b = 0; b < authority; ++b) {
                acct.data_prefix.push_back(static_cast<std::uint8_t>(a.next()));
            }
        }
        pool_.push_back(std::move(acct));
    }

    for (std::uint64_t v = 0; v < params_.validators; ++v) {
        identities_.push_back(random_key(seed, stream::validator, v, 0));
        vote_accounts_.push_back(random_key(seed, stream::validator, v, 1));
    }
}

std::optional<std::uint64_t> solana_chain::tip() const noexcept {
    if (slots_.empty()) {
        return std::nullopt;
    }
    return slots_.back().slot;
}

const solana_slot* solana_chain::find(std::uint64_t slot) const noexcept {
    if (slot < params_.first_slot || slot - params_.first_slot >= slots_.size()) {
        return nullptr;
    }
    return &slots_[slot - params_.first_slot];
}

bool solana_chain::is_block(std::uint64_t slot) const noexcept {
    const solana_slot* s = find(slot);
    return s != nullptr && s->kind == solana_slot_kind::block;
}

std::optional<std::uint64_t> solana_chain::block_at_or_before(std::uint64_t slot) const noexcept {
    if (slots_.empty() || slot < params_.first_slot) {
        return std::nullopt;
    }
    std::uint64_t s = std::min(slot, slots_.back().slot);
    while (true) {
        if (slots_[s - params_.first_slot].kind == solana_slot_kind::block) {
            return s;
        }
        if (s == params_.first_slot) {
            return std::nullopt;
        }
        --s;
    }
}

std::vector<std::uint64_t> solana_chain::blocks_in(
    std::uint64_t from, std::uint64_t to, std::size_t limit) const {
    std::vector<std::uint64_t> out;
    if (slots_.empty()) {
        return out;
    }
    from = std::max(from, params_.first_slot);
    to = std::min(to, slots_.back().slot);
    for (std::uint64_t s = from; s <= to && out.size() < limit; ++s) {
        if (slots_[s - params_.first_slot].kind == solana_slot_kind::block) {
            out.push_back(s);
        }
    }
    return out;
}

std::optional<std::uint64_t> solana_chain::committed_block(std::uint64_t depth) const noexcept {
    const auto t = tip();
    if (!t || *t < params_.first_slot + depth) {
        return std::nullopt;
    }
    return block_at_or_before(*t - depth);
}

solana_slot_kind solana_chain::classify(std::uint64_t slot) const {
    if (slot == params_.first_slot) {
        return solana_slot_kind::block;
    }
    const std::uint64_t window = slot / window_slots;
    prng w{key_of(params_.seed, stream::window, window)};
    if (w.unit() < params_.skip_rate) {
        // The leader went quiet from some slot of its window to the end of it.
        const std::uint64_t start = w.below(window_slots);
        if (slot % window_slots >= start) {
            return solana_slot_kind::skipped;
        }
    }
    prng f{key_of(params_.seed, stream::fork, slot)};
    if (f.unit() < params_.fork_rate) {
        return solana_slot_kind::dead;
    }
    return solana_slot_kind::block;
}

std::uint32_t solana_chain::transaction_count(std::uint64_t slot) const {
    prng r{key_of(params_.seed, stream::count, slot)};
    const std::uint32_t span = params_.max_transactions - params_.min_transactions + 1;
    return params_.min_transactions + static_cast<std::uint32_t>(r.below(span));
}

const solana_slot& solana_chain::advance() {
    const std::uint64_t next = slots_.empty() ? params_.first_slot : slots_.back().slot + 1;
    solana_slot s;
    s.slot = next;
    s.kind = classify(next);
    if (s.kind != solana_slot_kind::skipped) {
        if (last_block_) {
            const solana_slot& parent = slots_[*last_block_ - params_.first_slot];
            s.parent_slot = parent.slot;
            s.previous_blockhash = parent.blockhash;
        } else {
            s.parent_slot = next - 1;
            s.previous_blockhash = random_key(params_.seed, stream::blockhash, next - 1);
        }
        s.blockhash = random_key(params_.seed, stream::blockhash, next);
        const std::uint64_t elapsed_ms = (next - params_.first_slot) * params_.nominal_slot_ms;
        s.block_time = params_.first_block_time + static_cast<std::int64_t>(elapsed_ms / 1000);
    }
    if (s.kind == solana_slot_kind::block) {
        s.block_height = last_block_ ? slots_[*last_block_ - params_.first_slot].block_height + 1
                                     : params_.first_block_height;
        s.transaction_count = transaction_count(next);
        last_block_ = next;
    }
    slots_.push_back(s);
    return slots_.back();
}

std::string solana_chain::dead_error(std::uint64_t slot) const {
    static constexpr std::array<std::string_view, 4> errors = {
        "error: InvalidBlock(TooFewTicks)",
        "error: InvalidBlock(TrailingEntry)",
        "error: InvalidBlock(InvalidTickHashCount)",
        "error: InvalidTransaction(AccountNotFound)",
    };
    prng r{key_of(params_.seed, stream::dead, slot)};
    return std::string{errors[r.below(errors.size())]};
}

schema::bytes64 solana_chain::make_signature(
    std::uint64_t slot, std::uint32_t index, std::uint32_t which) const {
    // The first 8 bytes encode (slot, index, which) through a keyed bijection, so that
    // getSignatureStatuses and signatureSubscribe can find a transaction without an index; the
    // rest is noise.
    const std::uint64_t packed = (slot << (signature_index_bits + signature_which_bits))
                                 | (static_cast<std::uint64_t>(index) << signature_which_bits)
                                 | which;
    const std::uint64_t head = permute(packed ^ key_of(params_.seed, stream::signature_key, 0));
    schema::bytes64 sig{};
    for (unsigned i = 0; i < 8; ++i) {
        sig[i] = static_cast<std::uint8_t>(head >> (8U * i));
    }
    prng r{key_of(params_.seed, stream::signature, slot, (std::uint64_t{index} << 2U) | which)};
    r.fill(std::span<std::uint8_t>{sig}.subspan(8));
    return sig;
}

std::optional<solana_tx_location> solana_chain::locate_signature(const schema::bytes64& signature) {
    std::uint64_t head = 0;
    for (unsigned i = 0; i < 8; ++i) {
        head |= static_cast<std::uint64_t>(signature[i]) << (8U * i);
    }
    const std::uint64_t packed = unpermute(head) ^ key_of(params_.seed, stream::signature_key, 0);
    const std::uint64_t which = packed & ((1U << signature_which_bits) - 1U);
    const auto index = static_cast<std::uint32_t>(
        (packed >> signature_which_bits) & ((1U << signature_index_bits) - 1U));
    const std::uint64_t slot = packed >> (signature_index_bits + signature_which_bits);
    if (which != 0 || slot < params_.first_slot || classify(slot) != solana_slot_kind::block
        || index >= transaction_count(slot) || make_signature(slot, index, 0) != signature) {
        return std::nullopt;
    }
    return solana_tx_location{slot, index};
}

std::shared_ptr<const solana_block> solana_chain::block(std::uint64_t slot) {
    const solana_slot* info = find(slot);
    if (info == nullptr || info->kind != solana_slot_kind::block) {
        return nullptr;
    }
    for (const auto& cached : cache_) {
        if (cached->info.slot == slot) {
            return cached;
        }
    }
    auto made = std::make_shared<const solana_block>(generate_block(*info));
    cache_.push_back(made);
    while (cache_.size() > cache_limit_) {
        cache_.pop_front();
    }
    return made;
}

std::uint64_t solana_chain::start_lamports(std::size_t index, std::uint64_t slot) const {
    const solana_pool_account& acct = pool_[index];
    prng r{key_of(params_.seed, stream::lamports, index, slot)};
    if (acct.owner == known_.token_program) {
        return token_account_lamports;
    }
    if (acct.big_lamports) {
        return two_pow_53 + 1'000'000'000'000'000ULL + r.below(1'000'000'000'000'000ULL);
    }
    if (acct.owner == known_.system_program) {
        return 5'000'000'000ULL + r.below(100'000'000'000ULL);
    }
    // Rent-exempt minimum plus something.
    return (128 + acct.data_len) * 6960 + r.below(50'000'000ULL);
}

std::uint64_t solana_chain::start_token_amount(std::size_t index, std::uint64_t slot) const {
    prng r{key_of(params_.seed, stream::token_amount, index, slot)};
    return 1'000'000'000ULL + r.below(1'000'000'000'000ULL);
}

void solana_chain::generate_vote(
    solana_transaction& tx, const solana_slot& info, std::uint64_t seed) const {
    prng r{seed};
    const std::size_t v = r.below(identities_.size());
    tx.is_vote = true;
    tx.num_required_signatures = 1;
    tx.num_readonly_signed = 0;
    tx.num_readonly_unsigned = 1;
    tx.account_keys = {identities_[v], vote_accounts_[v], known_.vote_program};
    tx.recent_blockhash = info.previous_blockhash;
    solana_instruction ix;
    ix.program_id_index = 2;
    ix.accounts = {1, 0};
    ix.data = {tower_sync_discriminant, 0, 0, 0};
    put_u64(ix.data, info.parent_slot);
    for (int i = 0; i < 28; ++i) {
        ix.data.push_back(static_cast<std::uint8_t>(r.next()));
    }
    tx.instructions.push_back(std::move(ix));
    tx.fee = lamports_per_signature;
    const std::uint64_t identity_balance = 1'000'000'000ULL + r.below(50'000'000'000ULL);
    const std::uint64_t vote_balance = 27'000'000ULL + r.below(1'000'000'000'000ULL);
    tx.pre_balances = {identity_balance, vote_balance, 1};
    tx.post_balances = {identity_balance - tx.fee, vote_balance, 1};
    const std::string vote = "Vote111111111111111111111111111111111111111";
    tx.log_messages = {program_line(vote, "invoke [1]"), program_line(vote, "success")};
    tx.compute_units_consumed = vote_compute_units;
    tx.vote_slots = {info.parent_slot};
    tx.vote_hash = info.previous_blockhash;
    if (r.unit() < 0.5) {
        tx.vote_timestamp = info.block_time;
    }
}

void solana_chain::generate_user(
    solana_transaction& tx, const solana_slot& info, std::uint64_t seed, block_state& st) const {
    prng r{seed};
    const std::size_t payer = payers_[r.below(payers_.size())];
    std::optional<std::size_t> cosigner;
    if (r.unit() < 0.15) {
        std::size_t other = payers_[r.below(payers_.size())];
        if (other != payer) {
            cosigner = other;
        }
    }
    const std::size_t program = r.below(known_.sim_programs.size());
    const auto& candidates = program_accounts_[program];
    std::vector<std::size_t> targets;
    const std::size_t want = 1 + r.below(std::min<std::size_t>(3, candidates.size()));
    while (targets.size() < want) {
        const std::size_t pick = candidates[r.below(candidates.size())];
        if (std::find(targets.begin(), targets.end(), pick) == targets.end()) {
            targets.push_back(pick);
        }
    }
    const bool budget = r.unit() < 0.6;
    const bool token = token_accounts_.size() >= 2 && r.unit() < 0.3;
    tx.v0 = r.unit() < params_.v0_fraction;
    const bool failed = r.unit() < params_.failed_fraction;
    std::size_t token_from = 0;
    std::size_t token_to = 0;
    if (token) {
        token_from = token_accounts_[r.below(token_accounts_.size())];
        do {
            token_to = token_accounts_[r.below(token_accounts_.size())];
        } while (token_to == token_from);
    }
    std::optional<std::size_t> loaded_readonly;
    if (tx.v0 && r.unit() < 0.5) {
        loaded_readonly = pool_[targets[0]].owner == known_.sim_programs[program]
                              ? program_accounts_[(program + 1) % program_accounts_.size()].front()
                              : targets[0];
    }

    // Keys: writable signers, writable non-signers, read-only non-signers, then loaded ones.
    std::vector<std::size_t> writable_pool; // pool indexes that are writable non-signers
    writable_pool = targets;
    if (token) {
        writable_pool.push_back(token_from);
        writable_pool.push_back(token_to);
    }
    tx.account_keys.push_back(pool_[payer].pubkey);
    if (cosigner) {
        tx.account_keys.push_back(pool_[*cosigner].pubkey);
    }
    tx.num_required_signatures = static_cast<std::uint8_t>(tx.account_keys.size());
    if (!tx.v0) {
        for (const std::size_t i : writable_pool) {
            tx.account_keys.push_back(pool_[i].pubkey);
        }
    }
    const std::size_t readonly_start = tx.account_keys.size();
    if (budget) {
        tx.account_keys.push_back(known_.compute_budget_program);
    }
    tx.account_keys.push_back(known_.sim_programs[program]);
    if (token) {
        tx.account_keys.push_back(known_.token_program);
    }
    tx.num_readonly_unsigned = static_cast<std::uint8_t>(tx.account_keys.size() - readonly_start);
    if (tx.v0) {
        solana_lookup lookup;
        lookup.account_key = known_.lookup_table;
        for (const std::size_t i : writable_pool) {
            lookup.writable_indexes.push_back(static_cast<std::uint8_t>(i));
            tx.loaded_writable.push_back(pool_[i].pubkey);
        }
        if (loaded_readonly) {
            lookup.readonly_indexes.push_back(static_cast<std::uint8_t>(*loaded_readonly));
            tx.loaded_readonly.push_back(pool_[*loaded_readonly].pubkey);
        }
        tx.lookups.push_back(std::move(lookup));
    }
    const auto index_of = [&tx](const schema::bytes32& k) {
        for (std::size_t i = 0; i < tx.key_count(); ++i) {
            if (tx.key(i) == k) {
                return static_cast<std::uint8_t>(i);
            }
        }
        return std::uint8_t{0};
    };

    // Signatures beyond the first.
    for (std::uint32_t s = 1; s < tx.num_required_signatures; ++s) {
        schema::bytes64 sig{};
        r.fill(sig);
        tx.signatures.push_back(sig);
    }
    tx.recent_blockhash = info.previous_blockhash;

    // Instructions.
    std::uint64_t price = 0;
    if (budget) {
        price = 1000 + r.below(100'000);
        solana_instruction ix;
        ix.program_id_index = index_of(known_.compute_budget_program);
        ix.data = {set_compute_unit_price};
        put_u64(ix.data, price);
        tx.instructions.push_back(std::move(ix));
    }
    const auto main_index = static_cast<std::uint8_t>(tx.instructions.size());
    {
        solana_instruction ix;
        ix.program_id_index = index_of(known_.sim_programs[program]);
        ix.accounts.push_back(0);
        for (const std::size_t t : targets) {
            ix.accounts.push_back(index_of(pool_[t].pubkey));
        }
        if (token) {
            ix.accounts.push_back(index_of(pool_[token_from].pubkey));
            ix.accounts.push_back(index_of(pool_[token_to].pubkey));
            ix.accounts.push_back(index_of(known_.token_program));
        }
        if (loaded_readonly) {
            ix.accounts.push_back(index_of(pool_[*loaded_readonly].pubkey));
        }
        const std::size_t len = 8 + r.below(16);
        for (std::size_t b = 0; b < len; ++b) {
            ix.data.push_back(static_cast<std::uint8_t>(r.next()));
        }
        tx.instructions.push_back(std::move(ix));
    }
    const std::uint64_t token_amount = 1 + r.below(1'000'000'000ULL);
    if (token && !failed) {
        solana_inner_instructions inner;
        inner.index = main_index;
        solana_instruction ix;
        ix.program_id_index = index_of(known_.token_program);
        ix.accounts = {
            index_of(pool_[token_from].pubkey), index_of(pool_[token_to].pubkey), std::uint8_t{0}};
        ix.data = {token_transfer};
        put_u64(ix.data, token_amount);
        ix.stack_height = 2;
        inner.instructions.push_back(std::move(ix));
        tx.inner_instructions.push_back(std::move(inner));
    }

    // Outcome and logs.
    const std::string& program_b58 = program_names_[program];
    const std::uint64_t limit = default_compute_limit;
    const std::uint64_t used = 2000 + r.below(150'000);
    tx.compute_units_consumed = used + (budget ? 150 : 0);
    tx.fee = lamports_per_signature * tx.num_required_signatures
             + (price * default_compute_limit + 999'999) / 1'000'000;
    static constexpr std::array<std::string_view, 4> names
        = {"Swap", "Deposit", "Withdraw", "Route"};
    const std::string cb = "ComputeBudget111111111111111111111111111111";
    const std::string tk = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
    if (budget) {
        tx.log_messages.push_back(program_line(cb, "invoke [1]"));
        tx.log_messages.push_back(program_line(cb, "success"));
    }
    tx.log_messages.push_back(program_line(program_b58, "invoke [1]"));
    tx.log_messages.push_back(
        "Program log: Instruction: " + std::string{names[r.below(names.size())]});
    const std::uint64_t err_kind = r.below(10);
    if (failed && err_kind < 7) {
        tx.err_json
            = "{\"InstructionError\":[" + std::to_string(main_index) + ",{\"Custom\":6001}]}";
        tx.log_messages.emplace_back("Program log: Error: slippage tolerance exceeded");
        tx.log_messages.push_back(consumed_line(program_b58, used, limit));
        tx.log_messages.push_back(
            program_line(program_b58, "failed: custom program error: 0x1771"));
    } else if (failed && err_kind < 9) {
        tx.err_json
            = "{\"InstructionError\":[" + std::to_string(main_index) + ",\"InvalidAccountData\"]}";
        tx.log_messages.push_back(consumed_line(program_b58, used, limit));
        tx.log_messages.push_back(
            program_line(program_b58, "failed: invalid account data for instruction"));
    } else {
        if (token && !failed) {
            tx.log_messages.push_back(program_line(tk, "invoke [2]"));
            tx.log_messages.emplace_back("Program log: Instruction: Transfer");
            tx.log_messages.push_back(consumed_line(tk, 4645, limit - used));
            tx.log_messages.push_back(program_line(tk, "success"));
        }
        if (r.unit() < 0.3) {
            std::array<std::uint8_t, 16> event{};
            r.fill(event);
            tx.log_messages.push_back("Program data: " + schema::base64_encode(event));
        }
        if (r.unit() < 0.1) {
            // Characters JSON must escape, and some that it must not.
            tx.log_messages.emplace_back(
                "Program log: memo \"quoted\" back\\slash\ttab caf\xC3\xA9 \xE2\x82\xAC/unit");
        }
        tx.log_messages.push_back(consumed_line(program_b58, used, limit));
        tx.log_messages.push_back(program_line(program_b58, "success"));
        if (failed) { // the program succeeded, the transaction did not
            tx.err_json = "{\"InsufficientFundsForRent\":{\"account_index\":"
                          + std::to_string(index_of(pool_[targets[0]].pubkey)) + "}}";
        }
    }

    // Balances: every key, in key order. The fee is always charged.
    std::uint64_t transfer = 1000 + r.below(10'000'000ULL);
    if (st.lamports[payer] < transfer + tx.fee + 1'000'000'000ULL) {
        transfer = 0; // keep busy payers solvent in firehose-sized blocks
    }
    const bool success = tx.err_json.empty();
    const auto balance_of = [&](const schema::bytes32& k) -> std::uint64_t {
        for (std::size_t i = 0; i < pool_.size(); ++i) {
            if (pool_[i].pubkey == k) {
                return st.lamports[i];
            }
        }
        if (k == known_.token_program) {
            return token_program_lamports;
        }
        if (k == known_.compute_budget_program) {
            return 1;
        }
        return bpf_program_lamports;
    };
    for (std::size_t i = 0; i < tx.key_count(); ++i) {
        tx.pre_balances.push_back(balance_of(tx.key(i)));
    }
    st.lamports[payer] -= tx.fee;
    st.modified[payer] = true;
    if (success) {
        st.lamports[payer] -= transfer;
        st.lamports[targets[0]] += transfer;
        for (const std::size_t t : targets) {
            st.modified[t] = true;
        }
    }
    if (token) {
        const auto add_token = [&](std::vector<solana_token_balance>& out, std::size_t i) {
            solana_token_balance b;
            b.account_index = index_of(pool_[i].pubkey);
            b.mint = known_.token_mint;
            std::copy(
                pool_[i].data_prefix.begin() + token_owner_offset,
                pool_[i].data_prefix.begin() + token_owner_offset + 32,
                b.owner.begin());
            b.amount = st.token_amounts[i];
            b.decimals = token_decimals;
            out.push_back(b);
        };
        add_token(tx.pre_token_balances, token_from);
        add_token(tx.pre_token_balances, token_to);
        if (success) {
            const std::uint64_t moved = std::min(token_amount, st.token_amounts[token_from]);
            st.token_amounts[token_from] -= moved;
            st.token_amounts[token_to] += moved;
            st.modified[token_from] = true;
            st.modified[token_to] = true;
        }
        add_token(tx.post_token_balances, token_from);
        add_token(tx.post_token_balances, token_to);
    }
    for (std::size_t i = 0; i < tx.key_count(); ++i) {
        tx.post_balances.push_back(balance_of(tx.key(i)));
    }
}

std::optional<solana_transaction> solana_chain::transaction(
    std::uint64_t slot, std::uint32_t index) const {
    const solana_slot* info = find(slot);
    if (info == nullptr || info->kind != solana_slot_kind::block
        || index >= info->transaction_count) {
        return std::nullopt;
    }
    prng r{key_of(params_.seed, stream::block, slot)};
    for (std::uint32_t i = 0; i < index; ++i) {
        (void)r.unit();
        (void)r.next();
    }
    block_state st;
    st.lamports.resize(pool_.size());
    st.token_amounts.resize(pool_.size());
    st.modified.assign(pool_.size(), false);
    for (std::size_t i = 0; i < pool_.size(); ++i) {
        st.lamports[i] = start_lamports(i, slot);
        st.token_amounts[i] = start_token_amount(i, slot);
    }
    solana_transaction tx;
    tx.signatures.push_back(make_signature(slot, index, 0));
    const bool vote = r.unit() < params_.vote_fraction;
    const std::uint64_t tx_seed = r.next();
    if (vote) {
        generate_vote(tx, *info, tx_seed);
    } else {
        generate_user(tx, *info, tx_seed, st);
    }
    tx.signature_b58 = schema::base58_encode(tx.signatures[0]);
    return tx;
}

solana_block solana_chain::generate_block(const solana_slot& info) const {
    solana_block b;
    b.info = info;
    const std::uint64_t slot = info.slot;
    block_state st;
    st.lamports.resize(pool_.size());
    st.token_amounts.resize(pool_.size());
    st.modified.assign(pool_.size(), false);
    for (std::size_t i = 0; i < pool_.size(); ++i) {
        st.lamports[i] = start_lamports(i, slot);
        st.token_amounts[i] = start_token_amount(i, slot);
    }

    prng r{key_of(params_.seed, stream::block, slot)};
    b.transactions.resize(info.transaction_count);
    std::uint64_t fees = 0;
    for (std::uint32_t i = 0; i < info.transaction_count; ++i) {
        solana_transaction& tx = b.transactions[i];
        tx.signatures.push_back(make_signature(slot, i, 0));
        const bool vote = r.unit() < params_.vote_fraction;
        const std::uint64_t tx_seed = r.next();
        if (vote) {
            generate_vote(tx, info, tx_seed);
        } else {
            generate_user(tx, info, tx_seed, st);
        }
        tx.signature_b58 = schema::base58_encode(tx.signatures[0]);
        fees += tx.fee;
        if (tx.failed()) {
            ++b.stats.num_failed_transactions;
        } else {
            ++b.stats.num_successful_transactions;
        }
    }
    constexpr std::uint64_t per_entry = 64;
    const std::uint64_t n = info.transaction_count;
    b.stats.num_transaction_entries = (n + per_entry - 1) / per_entry;
    b.stats.max_transactions_per_entry = std::min(n, per_entry);

    b.leader = identities_[(slot / window_slots) % identities_.size()];
    b.reward_lamports = static_cast<std::int64_t>(fees / 2);
    prng rr{key_of(params_.seed, stream::reward, slot)};
    b.reward_post_balance = 10'000'000'000ULL + rr.below(1'000'000'000'000ULL);

    for (std::size_t i = 0; i < pool_.size(); ++i) {
        if (!st.modified[i]) {
            continue;
        }
        const solana_pool_account& acct = pool_[i];
        solana_account_state state;
        state.pubkey = acct.pubkey;
        state.lamports = st.lamports[i];
        state.owner = acct.owner;
        state.data = acct.data_prefix;
        prng d{key_of(params_.seed, stream::account_data, i, slot)};
        while (state.data.size() < acct.data_len) {
            state.data.push_back(static_cast<std::uint8_t>(d.next()));
        }
        if (acct.owner == known_.token_program) {
            std::fill(state.data.begin() + token_amount_offset, state.data.end(), 0);
            write_u64(state.data, token_amount_offset, st.token_amounts[i]);
            state.data[token_state_offset] = 1; // initialized
        }
        b.modified_accounts.push_back(std::move(state));
    }
    return b;
}

} // namespace ledgertap::sim
