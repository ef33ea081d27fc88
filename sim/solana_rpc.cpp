#include "sim/solana_rpc.hpp"

#include <algorithm>
#include <utility>

namespace ledgertap::sim {

namespace {

constexpr std::string_view commitment_below_confirmed
    = "Method does not support commitment below `confirmed`";

solana_rpc_error custom(int code, std::string message, std::string data = {}) {
    return solana_rpc_error{code, std::move(message), std::move(data)};
}

solana_rpc_error block_not_available(std::uint64_t slot) {
    return custom(
        solana_errc::block_not_available, "Block not available for slot " + std::to_string(slot));
}

solana_rpc_error slot_skipped(std::uint64_t slot) {
    return custom(
        solana_errc::slot_skipped,
        "Slot " + std::to_string(slot)
            + " was skipped, or missing due to ledger jump to recent snapshot");
}

solana_rpc_error cleaned_up(std::uint64_t slot, std::uint64_t first) {
    return custom(
        solana_errc::block_cleaned_up,
        "Block " + std::to_string(slot)
            + " cleaned up, does not exist on node. First available block: "
            + std::to_string(first));
}

solana_rpc_error min_context_not_reached(std::uint64_t context_slot) {
    return custom(
        solana_errc::min_context_slot_not_reached,
        "Minimum context slot has not been reached",
        R"({"contextSlot":)" + std::to_string(context_slot) + "}");
}

std::string u64_array(const std::vector<std::uint64_t>& values) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        solana_json::append_u64(out, values[i]);
    }
    out += ']';
    return out;
}

template<class T>
bool take(std::variant<T, solana_rpc_error>&& r, T& out, solana_rpc_error& err) {
    if (auto* e = std::get_if<solana_rpc_error>(&r)) {
        err = std::move(*e);
        return false;
    }
    out = std::move(std::get<T>(r));
    return true;
}

} // namespace

std::string solana_version_json(const solana_version_info& info) {
    std::string out = R"({"solana-core":)";
    solana_json::append_string(out, info.core);
    out += R"(,"feature-set":)";
    solana_json::append_u64(out, info.feature_set);
    out += '}';
    return out;
}

solana_rpc::solana_rpc(
    solana_chain& chain,
    solana_encoder& encoder,
    const solana_levels& levels,
    solana_version_info version)
  : chain_(chain)
  , encoder_(encoder)
  , levels_(levels)
  , version_(std::move(version)) {}

std::string solana_rpc::handle(std::string_view body) {
    auto reply = solana_handle_jsonrpc(body, [this](const solana_call& c) { return call(c); });
    return reply ? std::move(*reply) : std::string{};
}

solana_outcome solana_rpc::call(const solana_call& call) {
    const std::string& m = call.method;
    if (m == "getSlot") {
        return get_slot(call, false);
    }
    if (m == "getBlockHeight") {
        return get_slot(call, true);
    }
    if (m == "getBlocks") {
        return get_blocks(call);
    }
    if (m == "getBlocksWithLimit") {
        return get_blocks_with_limit(call);
    }
    if (m == "getBlock") {
        return get_block(call);
    }
    if (m == "getBlockTime") {
        return get_block_time(call);
    }
    if (m == "getSignatureStatuses") {
        return get_signature_statuses(call);
    }
    if (m == "getLatestBlockhash") {
        return get_latest_blockhash(call);
    }
    if (m == "getFirstAvailableBlock" || m == "minimumLedgerSlot") {
        if (auto e = solana_positional::expect_none(call)) {
            return *e;
        }
        std::string out;
        solana_json::append_u64(out, chain_.first_slot());
        return out;
    }
    if (m == "getVersion") {
        if (auto e = solana_positional::expect_none(call)) {
            return *e;
        }
        return solana_version_json(version_);
    }
    if (m == "getHealth") {
        if (auto e = solana_positional::expect_none(call)) {
            return *e;
        }
        return std::string(R"("ok")");
    }
    return solana_rpc_error{solana_errc::method_not_found, "Method not found", {}};
}

solana_outcome solana_rpc::get_slot(const solana_call& call, bool height) {
    auto p = solana_positional::from(call, 0, 1);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    const auto& args = std::get<solana_positional>(p);
    solana_config_reader config(args.at(0), "RpcContextConfig");
    const auto commitment = config.commitment().value_or(solana_commitment::finalized);
    const auto min_context = config.u64("minContextSlot");
    if (config.error()) {
        return *config.error();
    }
    const std::uint64_t slot = levels_.at(commitment).value_or(chain_.first_slot());
    if (min_context && slot < *min_context) {
        return min_context_not_reached(slot);
    }
    std::string out;
    if (height) {
        const solana_slot* s = chain_.find(slot);
        solana_json::append_u64(out, s != nullptr ? s->block_height : 0);
    } else {
        solana_json::append_u64(out, slot);
    }
    return out;
}

solana_outcome solana_rpc::get_blocks(const solana_call& call) {
    auto p = solana_positional::from(call, 1, 3);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    const auto& args = std::get<solana_positional>(p);
    solana_rpc_error err;
    std::uint64_t start = 0;
    if (!take(read_u64_param(args.at(0)), start, err)) {
        return err;
    }
    // The second positional is the end slot or the config (RpcBlocksConfigWrapper, untagged).
    std::optional<std::uint64_t> end;
    const rapidjson::Value* config_value = args.at(2);
    if (const rapidjson::Value* second = args.at(1); second != nullptr) {
        if (second->IsObject()) {
            if (args.at(2) != nullptr) {
                return invalid_params(
                    "data did not match any variant of untagged enum RpcBlocksConfigWrapper");
            }
            config_value = second;
        } else if (second->IsUint64()) {
            end = second->GetUint64();
        } else {
            return invalid_params(
                "data did not match any variant of untagged enum RpcBlocksConfigWrapper");
        }
    }
    solana_config_reader config(config_value, "RpcContextConfig");
    const auto commitment = config.commitment().value_or(solana_commitment::finalized);
    const auto min_context = config.u64("minContextSlot");
    if (config.error()) {
        return *config.error();
    }
    if (commitment == solana_commitment::processed) {
        return custom(solana_errc::invalid_params, std::string(commitment_below_confirmed));
    }
    const auto upper = levels_.at(commitment);
    if (commitment == solana_commitment::finalized && min_context
        && upper.value_or(0) < *min_context) {
        return min_context_not_reached(upper.value_or(0));
    }
    if (!upper) {
        return std::string("[]");
    }
    const std::uint64_t default_end
        = start > UINT64_MAX - max_get_blocks_range ? UINT64_MAX : start + max_get_blocks_range;
    const std::uint64_t last = std::min(end.value_or(default_end), *upper);
    if (last < start) {
        return std::string("[]");
    }
    if (last - start > max_get_blocks_range) {
        return custom(
            solana_errc::invalid_params,
            "Slot range too large; max " + std::to_string(max_get_blocks_range));
    }
    return u64_array(chain_.blocks_in(start, last));
}

solana_outcome solana_rpc::get_blocks_with_limit(const solana_call& call) {
    auto p = solana_positional::from(call, 2, 3);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    const auto& args = std::get<solana_positional>(p);
    solana_rpc_error err;
    std::uint64_t start = 0;
    std::uint64_t limit = 0;
    if (!take(read_u64_param(args.at(0)), start, err)
        || !take(read_u64_param(args.at(1), "usize"), limit, err)) {
        return err;
    }
    solana_config_reader config(args.at(2), "RpcContextConfig");
    const auto commitment = config.commitment().value_or(solana_commitment::finalized);
    const auto min_context = config.u64("minContextSlot");
    if (config.error()) {
        return *config.error();
    }
    if (commitment == solana_commitment::processed) {
        return custom(solana_errc::invalid_params, std::string(commitment_below_confirmed));
    }
    if (limit > max_get_blocks_range) {
        return custom(
            solana_errc::invalid_params,
            "Limit too large; max " + std::to_string(max_get_blocks_range));
    }
    const auto upper = levels_.at(commitment);
    if (commitment == solana_commitment::finalized && min_context
        && upper.value_or(0) < *min_context) {
        return min_context_not_reached(upper.value_or(0));
    }
    if (!upper || limit == 0 || *upper < start) {
        return std::string("[]");
    }
    return u64_array(chain_.blocks_in(start, *upper, static_cast<std::size_t>(limit)));
}

solana_outcome solana_rpc::get_block(const solana_call& call) {
    auto p = solana_positional::from(call, 1, 2);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    const auto& args = std::get<solana_positional>(p);
    solana_rpc_error err;
    std::uint64_t slot = 0;
    if (!take(read_u64_param(args.at(0)), slot, err)) {
        return err;
    }
    solana_block_config render; // getBlock defaults: json, full, rewards
    solana_commitment commitment = solana_commitment::finalized;
    if (const rapidjson::Value* second = args.at(1); second != nullptr) {
        if (second->IsString()) { // legacy form: [slot, "encoding"]
            const auto e = parse_tx_encoding(
                std::string_view(second->GetString(), second->GetStringLength()));
            if (!e) {
                return invalid_params(
                    "data did not match any variant of untagged enum RpcEncodingConfigWrapper");
            }
            render.encoding = *e;
        } else if (second->IsObject()) {
            solana_config_reader config(second, "RpcBlockConfig");
            render.encoding = config.tx_encoding().value_or(solana_tx_encoding::json);
            render.details = config.tx_details().value_or(solana_tx_details::full);
            render.rewards = config.boolean("rewards").value_or(true);
            commitment = config.commitment().value_or(solana_commitment::finalized);
            if (const auto v = config.u64("maxSupportedTransactionVersion", "u8")) {
                render.max_supported_version = static_cast<std::uint8_t>(*v);
            }
            if (config.error()) {
                return *config.error();
            }
        } else {
            return invalid_params(
                "data did not match any variant of untagged enum RpcEncodingConfigWrapper");
        }
    }
    if (commitment == solana_commitment::processed) {
        return custom(solana_errc::invalid_params, std::string(commitment_below_confirmed));
    }
    if (slot < chain_.first_slot()) {
        return cleaned_up(slot, chain_.first_slot());
    }
    const auto root = levels_.finalized;
    bool serve = false;
    if (root && slot <= *root) {
        if (!chain_.is_block(slot)) {
            return slot_skipped(slot);
        }
        serve = true;
    } else if (
        commitment == solana_commitment::confirmed && levels_.confirmed
        && slot <= *levels_.confirmed && chain_.is_block(slot)) {
        serve = true;
    }
    if (!serve) {
        return block_not_available(slot);
    }
    const auto block = chain_.block(slot);
    std::string out;
    out.reserve(std::size_t{2048} * block->transactions.size() + 512);
    if (!encoder_.append_block(out, *block, render)) {
        return custom(
            solana_errc::unsupported_transaction_version,
            "Transaction version (0) is not supported by the requesting client. Please try the "
            "request again with the following configuration parameter: "
            "\"maxSupportedTransactionVersion\": 0");
    }
    return out;
}

solana_outcome solana_rpc::get_block_time(const solana_call& call) {
    auto p = solana_positional::from(call, 1, 1);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    const auto& args = std::get<solana_positional>(p);
    solana_rpc_error err;
    std::uint64_t slot = 0;
    if (!take(read_u64_param(args.at(0)), slot, err)) {
        return err;
    }
    if (slot < chain_.first_slot()) {
        return cleaned_up(slot, chain_.first_slot());
    }
    const auto root = levels_.finalized;
    if (root && slot <= *root && !chain_.is_block(slot)) {
        return slot_skipped(slot);
    }
    if (!chain_.is_block(slot) || !levels_.processed || slot > *levels_.processed) {
        return block_not_available(slot);
    }
    std::string out;
    solana_json::append_i64(out, chain_.find(slot)->block_time);
    return out;
}

solana_outcome solana_rpc::get_signature_statuses(const solana_call& call) {
    auto p = solana_positional::from(call, 1, 2);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    const auto& args = std::get<solana_positional>(p);
    const rapidjson::Value* list = args.at(0);
    if (list == nullptr || !list->IsArray()) {
        if (list == nullptr) {
            return invalid_params("invalid type: null, expected a sequence");
        }
        return invalid_type(*list, "a sequence");
    }
    for (const auto& item : list->GetArray()) {
        if (!item.IsString()) {
            return invalid_type(item, "a string");
        }
    }
    solana_config_reader config(args.at(1), "RpcSignatureStatusConfig");
    const bool search_history = config.boolean("searchTransactionHistory").value_or(false);
    if (config.error()) {
        return *config.error();
    }
    if (list->Size() > max_signature_statuses) {
        return custom(
            solana_errc::invalid_params,
            "Too many inputs provided; max " + std::to_string(max_signature_statuses));
    }
    std::vector<std::optional<schema::bytes64>> sigs;
    for (const auto& item : list->GetArray()) {
        const std::string_view text(item.GetString(), item.GetStringLength());
        const auto decoded = schema::base58_decode(text);
        if (!decoded || text.size() > 88) {
            return custom(solana_errc::invalid_params, "Invalid param: Invalid");
        }
        if (decoded->size() != 64) {
            return custom(solana_errc::invalid_params, "Invalid param: WrongSize");
        }
        schema::bytes64 sig{};
        std::copy(decoded->begin(), decoded->end(), sig.begin());
        sigs.emplace_back(sig);
    }
    const std::uint64_t processed = levels_.processed.value_or(0);
    std::string values = "[";
    for (std::size_t i = 0; i < sigs.size(); ++i) {
        if (i != 0) {
            values += ',';
        }
        const auto loc = chain_.locate_signature(*sigs[i]);
        const bool known = loc && levels_.processed && loc->slot <= processed
                           && chain_.is_block(loc->slot)
                           && (search_history || processed - loc->slot <= status_cache_slots);
        if (!known) {
            values += "null";
            continue;
        }
        const auto tx = chain_.transaction(loc->slot, loc->index);
        solana_commitment status = solana_commitment::processed;
        std::optional<std::uint64_t> confirmations;
        if (levels_.finalized && loc->slot <= *levels_.finalized) {
            status = solana_commitment::finalized;
        } else {
            status = levels_.confirmed && loc->slot <= *levels_.confirmed
                         ? solana_commitment::confirmed
                         : solana_commitment::processed;
            confirmations = chain_.blocks_in(loc->slot + 1, processed).size();
        }
        values += encoder_.signature_status(loc->slot, *tx, confirmations, status);
    }
    values += ']';
    return solana_context(processed, values, version_.core);
}

solana_outcome solana_rpc::get_latest_blockhash(const solana_call& call) {
    auto p = solana_positional::from(call, 0, 1);
    if (auto* e = std::get_if<solana_rpc_error>(&p)) {
        return *e;
    }
    const auto& args = std::get<solana_positional>(p);
    solana_config_reader config(args.at(0), "RpcContextConfig");
    const auto commitment = config.commitment().value_or(solana_commitment::finalized);
    (void)config.u64("minContextSlot");
    if (config.error()) {
        return *config.error();
    }
    const auto slot = levels_.at(commitment);
    const solana_slot* s = slot ? chain_.find(*slot) : nullptr;
    if (s == nullptr) {
        return block_not_available(chain_.first_slot());
    }
    std::string value = R"({"blockhash":")";
    value += schema::base58_encode(s->blockhash);
    value += R"(","lastValidBlockHeight":)";
    solana_json::append_u64(value, s->block_height + 150);
    value += '}';
    return solana_context(*slot, value, version_.core);
}

} // namespace ledgertap::sim
