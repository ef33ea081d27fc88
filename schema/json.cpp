#include "schema/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>

namespace ledgertap::schema::json {

namespace {

// No kParseFullPrecisionFlag: RapidJSON 1.1.0's full-precision strtod (Debian bookworm) reads out
// of bounds and crashes on a fraction of a few hundred zeros (`0.000…0`), and turns `0E61` or
// 18446744073709551615616 into garbage doubles (found by fuzzing, docs/hardening.md). Fields
// read as numbers accept exact integers only; a double only reaches compact JSON kept verbatim
// (jsonParsed data, err values), where normal precision is at most an ulp or so off.
constexpr unsigned parse_flags = rapidjson::kParseIterativeFlag
                                 | rapidjson::kParseValidateEncodingFlag;

/// Rejects raw NUL bytes and measures nesting outside strings, before RapidJSON sees the text.
/// Most of a node's message is string contents (hashes, keys, addresses), so a string is skipped
/// with memchr to its closing quote rather than a byte at a time; the first problem in text order
/// is the one reported, as a byte-wise scan would (tests/unit/json_test.cpp compares the two).
std::optional<decode_error> prescan(std::string_view text, std::size_t max_depth) {
    const char* const begin = text.data();
    const auto* nul = static_cast<const char*>(std::memchr(begin, '\0', text.size()));
    // The scan stops at the first NUL: whatever comes first, a nesting error or the NUL, wins.
    const std::size_t end = nul != nullptr ? static_cast<std::size_t>(nul - begin) : text.size();
    const auto at_end = [&]() -> std::optional<decode_error> {
        if (nul == nullptr) {
            return std::nullopt;
        }
        return decode_error{decode_errc::malformed_json, "NUL byte at offset " + std::to_string(end)};
    };
    std::size_t depth = 0;
    for (std::size_t i = 0; i < end; ++i) {
        const char c = text[i];
        if (c == '"') {
            // Skip to the closing quote: the next '"' not escaped by a backslash.
            ++i;
            for (;;) {
                const auto* quote = static_cast<const char*>(std::memchr(begin + i, '"', end - i));
                const std::size_t stop = quote != nullptr ? static_cast<std::size_t>(quote - begin) : end;
                const auto* backslash = static_cast<const char*>(std::memchr(begin + i, '\\', stop - i));
                if (backslash == nullptr) {
                    if (quote == nullptr) {
                        return at_end(); // unterminated: RapidJSON says so
                    }
                    i = stop;
                    break;
                }
                i = static_cast<std::size_t>(backslash - begin) + 2; // the escape and its character
                if (i >= end) {
                    return at_end();
                }
            }
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                return decode_error{
                    decode_errc::too_large,
                    "JSON nesting deeper than " + std::to_string(max_depth) + " at offset "
                        + std::to_string(i)};
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return at_end();
}

} // namespace

decode_result<rapidjson::Document> parse_document(
    std::string_view text, std::size_t max_depth) noexcept {
    if (text.empty()) {
        return decode_error{decode_errc::malformed_json, "empty input"};
    }
    if (auto error = prescan(text, max_depth)) {
        return std::move(*error);
    }
    rapidjson::Document document;
    document.Parse<parse_flags>(text.data(), text.size());
    if (document.HasParseError()) {
        return decode_error{
            decode_errc::malformed_json,
            std::string(rapidjson::GetParseError_En(document.GetParseError())) + " at offset "
                + std::to_string(document.GetErrorOffset())};
    }
    return document;
}

std::string to_compact_string(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    return {buffer.GetString(), buffer.GetSize()};
}

std::string quote(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20U) {
            constexpr const char* digits = "0123456789abcdef";
            out += "\\u00";
            out.push_back(digits[(static_cast<unsigned char>(c) >> 4U) & 0xFU]);
            out.push_back(digits[static_cast<unsigned char>(c) & 0xFU]);
        } else {
            out.push_back(c);
        }
    }
    return out + "\"";
}

const char* type_name(const rapidjson::Value& value) noexcept {
    switch (value.GetType()) {
    case rapidjson::kNullType:
        return "null";
    case rapidjson::kFalseType:
        return "false";
    case rapidjson::kTrueType:
        return "true";
    case rapidjson::kObjectType:
        return "object";
    case rapidjson::kArrayType:
        return "array";
    case rapidjson::kStringType:
        return "string";
    case rapidjson::kNumberType:
        return "number";
    }
    return "unknown";
}

// ---- errors -------------------------------------------------------------------------------------

void errors::fail(decode_errc code, std::string detail) {
    if (!first_) {
        first_ = decode_error{code, std::move(detail)};
    }
}

decode_error errors::error() const {
    if (first_) {
        return *first_;
    }
    return decode_error{decode_errc::bad_field, "unknown error"};
}

// ---- object -------------------------------------------------------------------------------------

object::object(const rapidjson::Value& value, std::string path, errors& errs)
  : value_(&value)
  , path_(std::move(path))
  , errors_(&errs) {}

std::optional<object> object::root(const rapidjson::Value& value, errors& errs) {
    if (!value.IsObject()) {
        errs.fail(
            decode_errc::unexpected_shape,
            std::string("expected a JSON object, got ") + type_name(value));
        return std::nullopt;
    }
    return object(value, "", errs);
}

std::string object::path_of(std::string_view key) const {
    if (path_.empty()) {
        return std::string(key);
    }
    std::string out = path_;
    out.push_back('.');
    out.append(key);
    return out;
}

const rapidjson::Value* object::find(std::string_view key) const noexcept {
    const rapidjson::Value name(
        rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size())));
    const auto it = value_->FindMember(name);
    if (it == value_->MemberEnd()) {
        return nullptr;
    }
    return &it->value;
}

void object::fail(std::string_view key, std::string_view problem) const {
    errors_->fail(decode_errc::bad_field, path_of(key).append(": ").append(problem));
}

const rapidjson::Value* object::typed(
    std::string_view key,
    bool required,
    bool (rapidjson::Value::*check)() const,
    const char* expected) const {
    const rapidjson::Value* member = find(key);
    if (member == nullptr) {
        if (required) {
            fail(key, "missing");
        }
        return nullptr;
    }
    if (!(member->*check)()) {
        fail(key, std::string("expected ") + expected + ", got " + type_name(*member));
        return nullptr;
    }
    return member;
}

std::optional<std::string_view> object::string(std::string_view key) const {
    const auto* member = typed(key, true, &rapidjson::Value::IsString, "a string");
    if (member == nullptr) {
        return std::nullopt;
    }
    const std::string_view text(member->GetString(), member->GetStringLength());
    if (text.find('\0') != std::string_view::npos) {
        fail(key, "contains a NUL character");
        return std::nullopt;
    }
    return text;
}

std::optional<std::string_view> object::optional_string(std::string_view key) const {
    if (!has(key)) {
        return std::nullopt;
    }
    return string(key);
}

std::optional<std::uint64_t> object::number_u64(std::string_view key) const {
    const auto* member = typed(key, true, &rapidjson::Value::IsNumber, "an unsigned integer");
    if (member == nullptr) {
        return std::nullopt;
    }
    if (!member->IsUint64()) {
        fail(key, "not an integer in 0..2^64-1");
        return std::nullopt;
    }
    return member->GetUint64();
}

std::optional<std::uint64_t> object::optional_number_u64(std::string_view key) const {
    if (!has(key)) {
        return std::nullopt;
    }
    return number_u64(key);
}

std::optional<std::int64_t> object::number_i64(std::string_view key) const {
    const auto* member = typed(key, true, &rapidjson::Value::IsNumber, "an integer");
    if (member == nullptr) {
        return std::nullopt;
    }
    if (!member->IsInt64()) {
        fail(key, "not an integer in the int64 range");
        return std::nullopt;
    }
    return member->GetInt64();
}

std::optional<std::int64_t> object::optional_number_i64(std::string_view key) const {
    if (!has(key)) {
        return std::nullopt;
    }
    return number_i64(key);
}

std::optional<bool> object::boolean(std::string_view key) const {
    const auto* member = typed(key, true, &rapidjson::Value::IsBool, "a boolean");
    if (member == nullptr) {
        return std::nullopt;
    }
    return member->GetBool();
}

std::optional<bool> object::optional_boolean(std::string_view key) const {
    if (!has(key)) {
        return std::nullopt;
    }
    return boolean(key);
}

bool object::is_null(std::string_view key) const noexcept {
    const auto* member = find(key);
    return member != nullptr && member->IsNull();
}

std::optional<object> object::child(std::string_view key) const {
    const auto* member = typed(key, true, &rapidjson::Value::IsObject, "an object");
    if (member == nullptr) {
        return std::nullopt;
    }
    return object(*member, path_of(key), *errors_);
}

std::optional<object> object::optional_child(std::string_view key) const {
    if (!has(key)) {
        return std::nullopt;
    }
    return child(key);
}

std::optional<array> object::child_array(std::string_view key) const {
    const auto* member = typed(key, true, &rapidjson::Value::IsArray, "an array");
    if (member == nullptr) {
        return std::nullopt;
    }
    return array(member, path_of(key), *errors_);
}

std::optional<array> object::optional_child_array(std::string_view key) const {
    if (!has(key)) {
        return std::nullopt;
    }
    return child_array(key);
}

std::optional<array> object::array_or_empty(std::string_view key) const {
    const auto* member = find(key);
    if (member == nullptr) {
        fail(key, "missing");
        return std::nullopt;
    }
    if (member->IsArray()) {
        return array(member, path_of(key), *errors_);
    }
    if (member->IsString() && member->GetStringLength() == 0) {
        return array(nullptr, path_of(key), *errors_);
    }
    fail(key, std::string("expected an array or \"\", got ") + type_name(*member));
    return std::nullopt;
}

std::optional<array> object::optional_array_or_empty(std::string_view key) const {
    if (!has(key)) {
        return std::nullopt;
    }
    return array_or_empty(key);
}

// ---- array --------------------------------------------------------------------------------------

array::array(const rapidjson::Value* value, std::string path, errors& errs)
  : value_(value)
  , path_(std::move(path))
  , errors_(&errs) {}

std::size_t array::size() const noexcept {
    return value_ == nullptr ? 0 : value_->Size();
}

std::string array::path_at(std::size_t index) const {
    return path_ + "[" + std::to_string(index) + "]";
}

const rapidjson::Value& array::at(std::size_t index) const {
    return (*value_)[static_cast<rapidjson::SizeType>(index)];
}

void array::fail(std::size_t index, std::string_view problem) const {
    errors_->fail(decode_errc::bad_field, path_at(index).append(": ").append(problem));
}

std::optional<std::string_view> array::string_at(std::size_t index) const {
    const auto& element = at(index);
    if (!element.IsString()) {
        fail(index, std::string("expected a string, got ") + type_name(element));
        return std::nullopt;
    }
    const std::string_view text(element.GetString(), element.GetStringLength());
    if (text.find('\0') != std::string_view::npos) {
        fail(index, "contains a NUL character");
        return std::nullopt;
    }
    return text;
}

std::optional<object> array::object_at(std::size_t index) const {
    const auto& element = at(index);
    if (!element.IsObject()) {
        fail(index, std::string("expected an object, got ") + type_name(element));
        return std::nullopt;
    }
    return object(element, path_at(index), *errors_);
}

} // namespace ledgertap::schema::json
