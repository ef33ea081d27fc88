#include "sim/solana_jsonrpc.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace ledgertap::sim {

namespace {

std::string id_text(const rapidjson::Value& id) {
    if (id.IsNull()) {
        return "null";
    }
    std::string out;
    if (id.IsUint64()) {
        solana_json::append_u64(out, id.GetUint64());
    } else {
        solana_json::append_string(out, std::string_view(id.GetString(), id.GetStringLength()));
    }
    return out;
}

/// jsonrpc-core's Id: null, a u64 or a string.
bool valid_id(const rapidjson::Value& id) {
    return id.IsNull() || id.IsUint64() || id.IsString();
}

std::optional<std::string> handle_one(
    const rapidjson::Value& request, const solana_method_handler& handler) {
    if (!request.IsObject()) {
        return solana_error("null", solana_errc::invalid_request, "Invalid request");
    }
    const auto id_it = request.FindMember("id");
    const bool notification = id_it == request.MemberEnd();
    std::string id = "null";
    if (!notification) {
        if (!valid_id(id_it->value)) {
            return solana_error("null", solana_errc::invalid_request, "Invalid request");
        }
        id = id_text(id_it->value);
    }
    const auto version = request.FindMember("jsonrpc");
    const auto method = request.FindMember("method");
    const auto params = request.FindMember("params");
    const bool bad_version
        = version != request.MemberEnd()
          && (!version->value.IsString()
              || std::string_view(version->value.GetString(), version->value.GetStringLength())
                     != "2.0");
    const bool bad_method = method == request.MemberEnd() || !method->value.IsString();
    const bool bad_params = params != request.MemberEnd() && !params->value.IsArray()
                            && !params->value.IsObject() && !params->value.IsNull();
    if (bad_version || bad_method || bad_params) {
        return solana_error(id, solana_errc::invalid_request, "Invalid request");
    }
    if (notification) {
        return std::nullopt; // e.g. kit's {"jsonrpc":"2.0","method":"ping"} keep-alive
    }
    if (version == request.MemberEnd()) {
        return solana_error(
            id, solana_errc::invalid_request, "Unsupported JSON-RPC protocol version");
    }
    solana_call call;
    call.id_json = std::move(id);
    call.method.assign(method->value.GetString(), method->value.GetStringLength());
    if (params != request.MemberEnd() && !params->value.IsNull()) {
        call.params = &params->value;
    }
    try {
        return solana_reply(call, handler(call));
    } catch (const std::exception&) {
        return solana_error(call.id_json, solana_errc::internal_error, "Internal error");
    }
}

std::string quoted_debug(std::string_view text) {
    std::string out;
    solana_json::append_string(out, text);
    return out;
}

} // namespace

std::string solana_reply(const solana_call& call, const solana_outcome& outcome) {
    if (const auto* result = std::get_if<std::string>(&outcome)) {
        return solana_result(call.id_json, *result);
    }
    const auto& err = std::get<solana_rpc_error>(outcome);
    return solana_error(call.id_json, err.code, err.message, err.data_json);
}

std::optional<std::string> solana_handle_jsonrpc(
    std::string_view text, const solana_method_handler& handler) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError()) {
        return solana_error("null", solana_errc::parse_error, "Parse error");
    }
    if (!doc.IsArray()) {
        return handle_one(doc, handler);
    }
    if (doc.Empty()) {
        return solana_error("null", solana_errc::invalid_request, "Invalid request");
    }
    std::string out = "[";
    bool any = false;
    for (const auto& request : doc.GetArray()) {
        auto reply = handle_one(request, handler);
        if (!reply) {
            continue;
        }
        if (any) {
            out += ',';
        }
        out += *reply;
        any = true;
    }
    if (!any) {
        return std::nullopt;
    }
    out += ']';
    return out;
}

bool valid_utf8(std::string_view text) noexcept {
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if ((c & 0xE0U) == 0xC0U) {
            len = 2;
            cp = c & 0x1FU;
        } else if ((c & 0xF0U) == 0xE0U) {
            len = 3;
            cp = c & 0x0FU;
        } else if ((c & 0xF8U) == 0xF0U) {
            len = 4;
            cp = c & 0x07U;
        } else {
            return false;
        }
        if (i + len > n) {
            return false;
        }
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xC0U) != 0x80U) {
                return false;
            }
            cp = (cp << 6U) | (cc & 0x3FU);
        }
        const bool overlong
            = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
        if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}

// ---- serde-like parameter reading ---------------------------------------------------------------

std::string serde_describe(const rapidjson::Value& value) {
    if (value.IsNull()) {
        return "null";
    }
    if (value.IsBool()) {
        return value.GetBool() ? "boolean `true`" : "boolean `false`";
    }
    if (value.IsUint64()) {
        std::string out = "integer `";
        solana_json::append_u64(out, value.GetUint64());
        return out + "`";
    }
    if (value.IsInt64()) {
        std::string out = "integer `";
        solana_json::append_i64(out, value.GetInt64());
        return out + "`";
    }
    if (value.IsNumber()) {
        std::string out = "floating point `";
        solana_json::append_f64(out, value.GetDouble());
        return out + "`";
    }
    if (value.IsString()) {
        return "string "
               + quoted_debug(std::string_view(value.GetString(), value.GetStringLength()));
    }
    if (value.IsArray()) {
        return "sequence";
    }
    return "map";
}

solana_rpc_error invalid_params(std::string message) {
    return solana_rpc_error{solana_errc::invalid_params, "Invalid params: " + message + ".", {}};
}

solana_rpc_error invalid_type(const rapidjson::Value& value, std::string_view expected) {
    return invalid_params(
        "invalid type: " + serde_describe(value) + ", expected " + std::string(expected));
}

std::string unknown_variant(std::string_view got, std::string_view expected_list) {
    return "unknown variant `" + std::string(got) + "`, expected one of "
           + std::string(expected_list);
}

std::variant<solana_positional, solana_rpc_error> solana_positional::from(
    const solana_call& call, std::size_t required, std::size_t max) {
    solana_positional p;
    if (call.params != nullptr) {
        if (!call.params->IsArray()) {
            return solana_rpc_error{solana_errc::invalid_params, "`params` should be an array", {}};
        }
        p.array_ = call.params;
        p.size_ = call.params->Size();
    }
    if (p.size_ < required) {
        return solana_rpc_error{
            solana_errc::invalid_params,
            "`params` should have at least " + std::to_string(required) + " argument(s)",
            {}};
    }
    if (p.size_ > max) {
        return solana_rpc_error{
            solana_errc::invalid_params,
            "Expected from " + std::to_string(required) + " to " + std::to_string(max)
                + " parameters.",
            {}};
    }
    return p;
}

std::optional<solana_rpc_error> solana_positional::expect_none(const solana_call& call) {
    if (call.params == nullptr || (call.params->IsArray() && call.params->Empty())) {
        return std::nullopt;
    }
    return solana_rpc_error{solana_errc::invalid_params, "No parameters were expected", {}};
}

const rapidjson::Value* solana_positional::at(std::size_t i) const noexcept {
    if (array_ == nullptr || i >= size_) {
        return nullptr;
    }
    const rapidjson::Value& v = (*array_)[static_cast<rapidjson::SizeType>(i)];
    return v.IsNull() ? nullptr : &v;
}

solana_config_reader::solana_config_reader(
    const rapidjson::Value* value, std::string_view struct_name) {
    if (value == nullptr || value->IsNull()) {
        return;
    }
    if (!value->IsObject()) {
        error_ = invalid_type(*value, "struct " + std::string(struct_name));
        return;
    }
    object_ = value;
}

void solana_config_reader::fail(solana_rpc_error error) {
    if (!error_) {
        error_ = std::move(error);
    }
}

const rapidjson::Value* solana_config_reader::raw(std::string_view key) const noexcept {
    if (object_ == nullptr) {
        return nullptr;
    }
    const auto it = object_->FindMember(rapidjson::Value(
        rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size()))));
    if (it == object_->MemberEnd() || it->value.IsNull()) {
        return nullptr;
    }
    return &it->value;
}

bool solana_config_reader::has(std::string_view key) const noexcept {
    return raw(key) != nullptr;
}

std::optional<std::string> solana_config_reader::string(std::string_view key) {
    const rapidjson::Value* v = raw(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->IsString()) {
        fail(invalid_type(*v, "a string"));
        return std::nullopt;
    }
    return std::string(v->GetString(), v->GetStringLength());
}

namespace {

template<class T, class Parse>
std::optional<T> read_enum(
    solana_config_reader& r,
    std::string_view key,
    std::string_view enum_name,
    std::string_view variants,
    Parse parse) {
    const rapidjson::Value* v = r.raw(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->IsString()) {
        r.fail(invalid_type(*v, "enum " + std::string(enum_name)));
        return std::nullopt;
    }
    const std::string_view text(v->GetString(), v->GetStringLength());
    auto parsed = parse(text);
    if (!parsed) {
        r.fail(invalid_params(unknown_variant(text, variants)));
    }
    return parsed;
}

} // namespace

std::optional<solana_commitment> solana_config_reader::commitment() {
    return read_enum<solana_commitment>(
        *this,
        "commitment",
        "CommitmentLevel",
        "`processed`, `confirmed`, `finalized`",
        parse_commitment);
}

std::optional<solana_tx_encoding> solana_config_reader::tx_encoding() {
    return read_enum<solana_tx_encoding>(
        *this,
        "encoding",
        "UiTransactionEncoding",
        "`binary`, `base64`, `base58`, `json`, `jsonParsed`",
        parse_tx_encoding);
}

std::optional<solana_account_encoding> solana_config_reader::account_encoding() {
    return read_enum<solana_account_encoding>(
        *this,
        "encoding",
        "UiAccountEncoding",
        "`binary`, `base58`, `base64`, `jsonParsed`, `base64+zstd`",
        parse_account_encoding);
}

std::optional<solana_tx_details> solana_config_reader::tx_details() {
    return read_enum<solana_tx_details>(
        *this,
        "transactionDetails",
        "TransactionDetails",
        "`full`, `signatures`, `none`, `accounts`",
        parse_tx_details);
}

std::optional<bool> solana_config_reader::boolean(std::string_view key) {
    const rapidjson::Value* v = raw(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->IsBool()) {
        fail(invalid_type(*v, "a boolean"));
        return std::nullopt;
    }
    return v->GetBool();
}

std::optional<std::uint64_t> solana_config_reader::u64(
    std::string_view key, std::string_view type) {
    const rapidjson::Value* v = raw(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    auto r = read_u64_param(v, type);
    if (auto* e = std::get_if<solana_rpc_error>(&r)) {
        fail(std::move(*e));
        return std::nullopt;
    }
    return std::get<std::uint64_t>(r);
}

std::optional<solana_data_slice> solana_config_reader::data_slice() {
    const rapidjson::Value* v = raw("dataSlice");
    if (v == nullptr) {
        return std::nullopt;
    }
    solana_config_reader inner(v, "UiDataSliceConfig");
    if (inner.error()) {
        fail(*inner.error());
        return std::nullopt;
    }
    if (!inner.has("offset")) {
        fail(invalid_params("missing field `offset`"));
        return std::nullopt;
    }
    if (!inner.has("length")) {
        fail(invalid_params("missing field `length`"));
        return std::nullopt;
    }
    const auto offset = inner.u64("offset", "usize");
    const auto length = inner.u64("length", "usize");
    if (inner.error()) {
        fail(*inner.error());
        return std::nullopt;
    }
    return solana_data_slice{static_cast<std::size_t>(*offset), static_cast<std::size_t>(*length)};
}

std::variant<std::uint64_t, solana_rpc_error> read_u64_param(
    const rapidjson::Value* value, std::string_view type) {
    if (value == nullptr) {
        return invalid_params("invalid type: null, expected " + std::string(type));
    }
    if (!value->IsUint64()) {
        return invalid_type(*value, type);
    }
    const std::uint64_t v = value->GetUint64();
    if (type == "u8" && v > 255) {
        return invalid_params("invalid value: integer `" + std::to_string(v) + "`, expected u8");
    }
    return v;
}

std::variant<std::string, solana_rpc_error> read_string_param(const rapidjson::Value* value) {
    if (value == nullptr) {
        return invalid_params("invalid type: null, expected a string");
    }
    if (!value->IsString()) {
        return invalid_type(*value, "a string");
    }
    return std::string(value->GetString(), value->GetStringLength());
}

std::optional<schema::bytes32> parse_pubkey(std::string_view text) {
    if (!schema::is_base58_of_size(text, 32)) {
        return std::nullopt;
    }
    const auto bytes = schema::base58_decode(text);
    schema::bytes32 out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
}

std::optional<schema::bytes64> parse_signature(std::string_view text) {
    if (!schema::is_base58_of_size(text, 64)) {
        return std::nullopt;
    }
    const auto bytes = schema::base58_decode(text);
    schema::bytes64 out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
}

} // namespace ledgertap::sim
