#pragma once

#include "schema/codec.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ledgertap::ingest {

/// Builds one line of PostgreSQL's COPY text format (tab-separated, `\N` for NULL, backslash
/// escapes), field by field, for the staging tables of the batch writer.
///
/// Every value is escaped here, so a tab, newline or backslash inside a node's string can never
/// shift a column or end a row early. PostgreSQL text cannot hold NUL bytes or invalid UTF-8.
/// Identity and structure (`text`, `text_array`): such a value marks the row invalid (see
/// `error()`), and the caller rejects the message with that reason instead of sending a COPY
/// stream the server would refuse as a whole. Free text that anyone may fill (`free_text`,
/// `free_text_array`, `jsonb`: Solana program logs, error values): stored with each such byte
/// replaced by U+FFFD and counted in `replaced()`, because refusing it would let one program's
/// log line drop a whole confirmed block.
///
/// A plain value type; not thread-safe; cheap to move.
class copy_row {
public:
    copy_row() = default;

    copy_row& null();
    copy_row& text(std::string_view value);
    copy_row& text(const std::string& value) { return text(std::string_view{value}); }
    copy_row& text(const char* value) { return text(std::string_view{value}); }
    copy_row& text(const std::optional<std::string>& value);
    copy_row& u64(std::uint64_t value);
    copy_row& u64(std::optional<std::uint64_t> value);
    copy_row& i64(std::int64_t value);
    copy_row& i64(std::optional<std::int64_t> value);
    copy_row& u128(schema::u128 value);
    copy_row& u128(const std::optional<schema::u128>& value);
    copy_row& boolean(bool value);
    copy_row& boolean(std::optional<bool> value);
    /// Milliseconds since the Unix epoch, written as an ISO 8601 UTC timestamp.
    copy_row& timestamp_ms(std::uint64_t ms);
    copy_row& timestamp_ms(std::optional<std::uint64_t> ms);
    /// A PostgreSQL array literal of text elements (`{"a","b"}`), escaped for both layers.
    copy_row& text_array(std::span<const std::string> values);
    /// Free text: NUL bytes and invalid UTF-8 become U+FFFD (counted in `replaced()`), never an
    /// error.
    copy_row& free_text(std::string_view value);
    copy_row& free_text(const std::string& value) { return free_text(std::string_view{value}); }
    copy_row& free_text(const char* value) { return free_text(std::string_view{value}); }
    copy_row& free_text(const std::optional<std::string>& value);
    /// `text_array` of free text, each element made storable like `free_text`.
    copy_row& free_text_array(std::span<const std::string> values);
    /// JSON text for a jsonb column. jsonb cannot hold the escape `\u0000`: each becomes `\ufffd`
    /// (counted in `replaced()`); the text is otherwise kept as given, so it must be valid JSON.
    copy_row& jsonb(std::string_view json);
    copy_row& jsonb(const std::string& json) { return jsonb(std::string_view{json}); }
    copy_row& jsonb(const char* json) { return jsonb(std::string_view{json}); }
    copy_row& jsonb(const std::optional<std::string>& json);
    /// A PostgreSQL array literal of unsigned integers (`{1,2,3}`).
    copy_row& u64_array(std::span<const std::uint64_t> values);
    /// bytea in hex form (`\x0102…`).
    copy_row& bytes(std::span<const std::uint8_t> value);

    /// Why the row cannot be stored (NUL byte or invalid UTF-8 in a field), or empty.
    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    [[nodiscard]] bool ok() const noexcept { return error_.empty(); }
    [[nodiscard]] std::size_t field_count() const noexcept { return fields_; }
    /// How many free-text or jsonb fields were stored with replacements.
    [[nodiscard]] std::size_t replaced() const noexcept { return replaced_; }

    /// The finished line, ending in '\n'. The row is empty afterwards.
    [[nodiscard]] std::string finish();

private:
    void begin_field();
    void append_escaped(std::string_view value);
    /// The array literal of `values` (all storable), COPY-escaped.
    void append_array(std::span<const std::string> values);

    std::string line_;
    std::string error_;
    std::size_t fields_ = 0;
    std::size_t replaced_ = 0;
};

/// True when `value` is valid UTF-8 without NUL bytes, i.e. storable in a PostgreSQL text column.
[[nodiscard]] bool is_storable_text(std::string_view value) noexcept;

/// Replaces bytes PostgreSQL text cannot hold (NUL, invalid UTF-8) with U+FFFD, one per byte.
[[nodiscard]] std::string make_storable(std::string_view bytes);

/// Formats milliseconds since the epoch as `YYYY-MM-DD HH:MM:SS.mmm+00` (years past 9999 with
/// more digits).
[[nodiscard]] std::string format_timestamp_ms(std::uint64_t ms);

/// format_timestamp_ms appended to `out`, without a string of its own.
void append_timestamp_ms(std::string& out, std::uint64_t ms);

} // namespace ledgertap::ingest
