#pragma once

// RapidJSON helpers shared by the schema decoders (Nano and Solana): a parse that cannot overflow
// the stack, and path-aware field readers whose errors name the full field path
// ("message.block.balance: not a u128"). Internal to schema/: other modules use the typed decoders.
//
// Reading model: an `errors` object remembers the FIRST failure; every reader returns std::nullopt
// when the field is missing or mistyped and records why. Later reads keep working (and may record
// nothing), so a decoder can read all fields and check `errors::failed()` once at the end. Readers
// never call a RapidJSON Get*() without checking the type first.

#include "schema/decode.hpp"

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ledgertap::schema::json {

/// Deepest nesting parse_document() accepts. Real node messages nest 4–10 levels.
inline constexpr std::size_t default_max_depth = 64;

/// Parses one JSON document. Rejects: empty input, invalid JSON or UTF-8, trailing content, any raw
/// NUL byte (RapidJSON would otherwise stop at it silently), and nesting deeper than `max_depth`
/// (too_large). Parsing is iterative, so hostile nesting cannot overflow the stack.
[[nodiscard]] decode_result<rapidjson::Document> parse_document(
    std::string_view text, std::size_t max_depth = default_max_depth) noexcept;

/// Compact JSON text of a value (for dead letters and raw columns). Only for values of documents
/// from parse_document(), whose depth is bounded (serialisation recurses).
[[nodiscard]] std::string to_compact_string(const rapidjson::Value& value);

/// `text` as a JSON string literal: quotes, backslashes and control characters escaped.
[[nodiscard]] std::string quote(std::string_view text);

/// "object", "array", "string", "number", "true", "false" or "null".
[[nodiscard]] const char* type_name(const rapidjson::Value& value) noexcept;

/// The first error met while reading one message.
class errors {
public:
    /// Records `detail` unless an earlier error was recorded.
    void fail(decode_errc code, std::string detail);
    [[nodiscard]] bool failed() const noexcept { return first_.has_value(); }
    /// The first error (bad_field "unknown error" if none was recorded).
    [[nodiscard]] decode_error error() const;

private:
    std::optional<decode_error> first_;
};

class array;

/// A JSON object plus its path from the document root. Cheap to copy; refers to the document and
/// to the `errors`, which must outlive it.
class object {
public:
    /// `value` must be an object (use root() or child() to get one from unchecked JSON).
    object(const rapidjson::Value& value, std::string path, errors& errs);

    /// The document root as an object; records unexpected_shape when it is not one.
    [[nodiscard]] static std::optional<object> root(const rapidjson::Value& value, errors& errs);

    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    /// Path of a member: "key" at the root, "parent.key" below it.
    [[nodiscard]] std::string path_of(std::string_view key) const;
    [[nodiscard]] const rapidjson::Value& value() const noexcept { return *value_; }
    [[nodiscard]] errors& errs() const noexcept { return *errors_; }

    /// The member's value, or nullptr when absent. Records nothing.
    [[nodiscard]] const rapidjson::Value* find(std::string_view key) const noexcept;
    [[nodiscard]] bool has(std::string_view key) const noexcept { return find(key) != nullptr; }

    /// Records bad_field "<path.key>: <problem>".
    void fail(std::string_view key, std::string_view problem) const;

    // ---- strings (Nano sends every scalar as one) -------------------------------------------
    /// Required string member. Strings containing a NUL character are rejected.
    [[nodiscard]] std::optional<std::string_view> string(std::string_view key) const;
    /// Absent -> nullopt without an error; present but not a string -> error.
    [[nodiscard]] std::optional<std::string_view> optional_string(std::string_view key) const;

    /// Required string converted by `parse` (string_view -> std::optional<T>); `what` names the
    /// expected format in the error ("not <what>").
    template<typename Parse>
    [[nodiscard]] auto parsed(std::string_view key, Parse&& parse, std::string_view what) const
        -> decltype(parse(std::string_view{})) {
        const auto text = string(key);
        if (!text) {
            return std::nullopt;
        }
        return convert(key, *text, std::forward<Parse>(parse), what);
    }
    /// Like parsed(), but an absent member gives nullopt without an error.
    template<typename Parse>
    [[nodiscard]] auto optional_parsed(std::string_view key, Parse&& parse, std::string_view what)
        const -> decltype(parse(std::string_view{})) {
        const auto text = optional_string(key);
        if (!text) {
            return std::nullopt;
        }
        return convert(key, *text, std::forward<Parse>(parse), what);
    }

    // ---- JSON numbers and booleans (Solana) ------------------------------------------------
    /// A JSON integer in 0..2^64-1 (exact; never through double).
    [[nodiscard]] std::optional<std::uint64_t> number_u64(std::string_view key) const;
    [[nodiscard]] std::optional<std::uint64_t> optional_number_u64(std::string_view key) const;
    [[nodiscard]] std::optional<std::int64_t> number_i64(std::string_view key) const;
    [[nodiscard]] std::optional<std::int64_t> optional_number_i64(std::string_view key) const;
    [[nodiscard]] std::optional<bool> boolean(std::string_view key) const;
    [[nodiscard]] std::optional<bool> optional_boolean(std::string_view key) const;
    /// True when the member is present and JSON null.
    [[nodiscard]] bool is_null(std::string_view key) const noexcept;

    // ---- containers ------------------------------------------------------------------------
    /// Required object member.
    [[nodiscard]] std::optional<object> child(std::string_view key) const;
    /// Absent -> nullopt without an error; present but not an object -> error.
    [[nodiscard]] std::optional<object> optional_child(std::string_view key) const;
    /// Required JSON array.
    [[nodiscard]] std::optional<array> child_array(std::string_view key) const;
    [[nodiscard]] std::optional<array> optional_child_array(std::string_view key) const;
    /// Required array that may also be the empty string "" (how Nano writes an empty array).
    [[nodiscard]] std::optional<array> array_or_empty(std::string_view key) const;
    /// Like array_or_empty(), but absent -> nullopt without an error.
    [[nodiscard]] std::optional<array> optional_array_or_empty(std::string_view key) const;

private:
    template<typename Parse>
    auto convert(std::string_view key, std::string_view text, Parse&& parse, std::string_view what)
        const -> decltype(parse(std::string_view{})) {
        auto value = parse(text);
        if (!value) {
            fail(key, std::string("not ").append(what));
        }
        return value;
    }

    [[nodiscard]] const rapidjson::Value* typed(
        std::string_view key,
        bool required,
        bool (rapidjson::Value::*check)() const,
        const char* expected) const;

    const rapidjson::Value* value_;
    std::string path_;
    errors* errors_;
};

/// A JSON array (or Nano's "" empty array) plus its path. Elements are read with the same rules
/// as object members; their paths are "parent.key[i]".
class array {
public:
    /// `value` null means an empty array.
    array(const rapidjson::Value* value, std::string path, errors& errs);

    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    [[nodiscard]] std::string path_at(std::size_t index) const;
    /// Element `index` (< size()).
    [[nodiscard]] const rapidjson::Value& at(std::size_t index) const;
    [[nodiscard]] errors& errs() const noexcept { return *errors_; }

    /// Records bad_field "<path[index]>: <problem>".
    void fail(std::size_t index, std::string_view problem) const;
    [[nodiscard]] std::optional<std::string_view> string_at(std::size_t index) const;
    template<typename Parse>
    [[nodiscard]] auto parsed_at(std::size_t index, Parse&& parse, std::string_view what) const
        -> decltype(parse(std::string_view{})) {
        const auto text = string_at(index);
        if (!text) {
            return std::nullopt;
        }
        auto value = parse(*text);
        if (!value) {
            fail(index, std::string("not ").append(what));
        }
        return value;
    }
    [[nodiscard]] std::optional<object> object_at(std::size_t index) const;

private:
    const rapidjson::Value* value_;
    std::string path_;
    errors* errors_;
};

} // namespace ledgertap::schema::json
