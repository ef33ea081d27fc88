// Solana HTTP JSON-RPC response decoders (protocols/solana.md §2). The block reader is shared with
// the PubSub decoder (schema/solana.cpp, detail::read_block).

#include "schema/solana_rpc.hpp"

#include "schema/json.hpp"

#include <rapidjson/document.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ledgertap::schema::solana {

namespace {

template<typename T, typename Read>
decode_result<rpc_reply<T>> decode_reply(std::string_view body, Read read) noexcept {
    try {
        auto document = json::parse_document(body);
        if (!document) {
            return document.error();
        }
        json::errors errs;
        const auto root = json::object::root(document.value(), errs);
        if (!root) {
            return errs.error();
        }
        if (const rapidjson::Value* version = root->find("jsonrpc"); version != nullptr) {
            if (!version->IsString()
                || std::string_view(version->GetString(), version->GetStringLength()) != "2.0") {
                return decode_error{decode_errc::unexpected_shape, "jsonrpc: not \"2.0\""};
            }
        }
        if (root->has("error")) {
            auto error = detail::read_rpc_error(*root);
            if (!error || errs.failed()) {
                return errs.error();
            }
            const auto id = error->request_id;
            return rpc_reply<T>{id, std::variant<T, rpc_error>(std::in_place_index<1>, std::move(*error))};
        }
        if (!root->has("result")) {
            return decode_error{
                decode_errc::unexpected_shape, "neither a result nor an error response"};
        }
        bool id_ok = true;
        const auto id = detail::read_request_id(*root, &id_ok);
        if (!id_ok) {
            return errs.error();
        }
        std::optional<T> value = read(*root);
        if (!value || errs.failed()) {
            return errs.error();
        }
        return rpc_reply<T>{id, std::variant<T, rpc_error>(std::in_place_index<0>, std::move(*value))};
    } catch (const std::bad_alloc&) {
        return decode_error{decode_errc::too_large, "out of memory"};
    } catch (const std::exception& e) {
        return decode_error{decode_errc::bad_field, std::string("internal error: ") + e.what()};
    } catch (...) {
        return decode_error{decode_errc::bad_field, "internal error"};
    }
}

std::optional<std::uint64_t> read_u64_result(const json::object& root) {
    return root.number_u64("result");
}

std::optional<std::vector<std::uint64_t>> read_slot_list(const json::object& root) {
    const auto slots = root.child_array("result");
    if (!slots) {
        return std::nullopt;
    }
    std::vector<std::uint64_t> out;
    out.reserve(slots->size());
    for (std::size_t i = 0; i < slots->size(); ++i) {
        const rapidjson::Value& element = slots->at(i);
        if (!element.IsUint64()) {
            slots->fail(
                i, element.IsNumber() ? std::string("not an integer in 0..2^64-1")
                                      : std::string("expected an unsigned integer, got ")
                                            + json::type_name(element));
            return std::nullopt;
        }
        const std::uint64_t slot = element.GetUint64();
        if (!out.empty() && slot <= out.back()) {
            slots->fail(i, "slots not strictly ascending");
            return std::nullopt;
        }
        out.push_back(slot);
    }
    return out;
}

std::optional<std::optional<block>> read_block_result(const json::object& root) {
    if (root.is_null("result")) {
        return std::optional<block>{};
    }
    const auto value = root.child("result");
    if (!value) {
        return std::nullopt;
    }
    auto result = detail::read_block(*value);
    if (!result) {
        return std::nullopt;
    }
    return std::optional<block>{std::move(*result)};
}

std::optional<std::optional<std::int64_t>> read_block_time_result(const json::object& root) {
    if (root.is_null("result")) {
        return std::optional<std::int64_t>{};
    }
    const auto time = root.number_i64("result");
    if (!time) {
        return std::nullopt;
    }
    return std::optional<std::int64_t>{*time};
}

struct commitment_name {
    std::string_view name;
    commitment level;
};

constexpr std::array<commitment_name, 3> commitment_names = {{
    {"processed", commitment::processed},
    {"confirmed", commitment::confirmed},
    {"finalized", commitment::finalized},
}};

std::optional<signature_status> read_signature_status(const json::object& obj) {
    signature_status out;
    const auto slot = obj.number_u64("slot");
    if (obj.has("confirmations") && !obj.is_null("confirmations")) {
        out.confirmations = obj.number_u64("confirmations");
    }
    out.err = detail::error_text(obj, "err", true);
    if (obj.has("confirmationStatus") && !obj.is_null("confirmationStatus")) {
        const auto status = obj.string("confirmationStatus");
        if (!status) {
            return std::nullopt;
        }
        for (const auto& entry : commitment_names) {
            if (entry.name == *status) {
                out.confirmation_status = entry.level;
            }
        }
        if (!out.confirmation_status) {
            obj.fail("confirmationStatus", "not processed, confirmed or finalized");
            return std::nullopt;
        }
    }
    if (!slot || obj.errs().failed()) {
        return std::nullopt;
    }
    out.slot = *slot;
    return out;
}

std::optional<signature_statuses> read_signature_statuses(const json::object& root) {
    const auto result = root.child("result");
    if (!result) {
        return std::nullopt;
    }
    const auto context = result->child("context");
    const auto value = result->child_array("value");
    if (!context || !value) {
        return std::nullopt;
    }
    signature_statuses out;
    const auto slot = context->number_u64("slot");
    if (const auto api_version = context->optional_string("apiVersion")) {
        out.api_version = std::string(*api_version);
    }
    if (!slot || result->errs().failed()) {
        return std::nullopt;
    }
    out.context_slot = *slot;
    out.value.reserve(value->size());
    for (std::size_t i = 0; i < value->size(); ++i) {
        if (value->at(i).IsNull()) {
            out.value.emplace_back();
            continue;
        }
        const auto entry = value->object_at(i);
        if (!entry) {
            return std::nullopt;
        }
        auto status = read_signature_status(*entry);
        if (!status) {
            return std::nullopt;
        }
        out.value.emplace_back(std::move(*status));
    }
    return out;
}

std::optional<version_info> read_version_result(const json::object& root) {
    const auto result = root.child("result");
    if (!result) {
        return std::nullopt;
    }
    return detail::read_version(*result);
}

struct code_name {
    std::int64_t code;
    const char* name;
};

constexpr std::array<code_name, 17> code_names = {{
    {rpc_code::parse_error, "parse_error"},
    {rpc_code::invalid_request, "invalid_request"},
    {rpc_code::method_not_found, "method_not_found"},
    {rpc_code::invalid_params, "invalid_params"},
    {rpc_code::internal_error, "internal_error"},
    {rpc_code::block_cleaned_up, "block_cleaned_up"},
    {rpc_code::send_transaction_preflight_failure, "send_transaction_preflight_failure"},
    {rpc_code::block_not_available, "block_not_available"},
    {rpc_code::node_unhealthy, "node_unhealthy"},
    {rpc_code::slot_skipped, "slot_skipped"},
    {rpc_code::long_term_storage_slot_skipped, "long_term_storage_slot_skipped"},
    {rpc_code::transaction_history_not_available, "transaction_history_not_available"},
    {rpc_code::block_status_not_yet_available, "block_status_not_yet_available"},
    {rpc_code::unsupported_transaction_version, "unsupported_transaction_version"},
    {rpc_code::min_context_slot_not_reached, "min_context_slot_not_reached"},
    {rpc_code::epoch_rewards_period_active, "epoch_rewards_period_active"},
    {rpc_code::long_term_storage_unreachable, "long_term_storage_unreachable"},
}};

} // namespace

const char* rpc_code_name(std::int64_t code) noexcept {
    for (const auto& entry : code_names) {
        if (entry.code == code) {
            return entry.name;
        }
    }
    return "unknown";
}

const char* to_string(commitment level) noexcept {
    for (const auto& entry : commitment_names) {
        if (entry.level == level) {
            return entry.name.data();
        }
    }
    return "unknown";
}

decode_result<rpc_reply<std::uint64_t>> decode_get_slot(std::string_view body) noexcept {
    return decode_reply<std::uint64_t>(body, read_u64_result);
}

decode_result<rpc_reply<std::vector<std::uint64_t>>> decode_get_blocks(
    std::string_view body) noexcept {
    return decode_reply<std::vector<std::uint64_t>>(body, read_slot_list);
}

decode_result<rpc_reply<std::vector<std::uint64_t>>> decode_get_blocks_with_limit(
    std::string_view body) noexcept {
    return decode_reply<std::vector<std::uint64_t>>(body, read_slot_list);
}

decode_result<rpc_reply<std::optional<block>>> decode_get_block(std::string_view body) noexcept {
    return decode_reply<std::optional<block>>(body, read_block_result);
}

decode_result<rpc_reply<std::optional<std::int64_t>>> decode_get_block_time(
    std::string_view body) noexcept {
    return decode_reply<std::optional<std::int64_t>>(body, read_block_time_result);
}

decode_result<rpc_reply<std::uint64_t>> decode_get_first_available_block(
    std::string_view body) noexcept {
    return decode_reply<std::uint64_t>(body, read_u64_result);
}

decode_result<rpc_reply<signature_statuses>> decode_get_signature_statuses(
    std::string_view body) noexcept {
    return decode_reply<signature_statuses>(body, read_signature_statuses);
}

decode_result<rpc_reply<version_info>> decode_get_version(std::string_view body) noexcept {
    return decode_reply<version_info>(body, read_version_result);
}

} // namespace ledgertap::schema::solana
