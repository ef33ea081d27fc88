#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::ingest {

/// The PostgreSQL types a staging column may have, as their binary COPY form needs them.
enum class wire_type : std::uint8_t {
    text,          ///< text, varchar, char(n)
    jsonb,
    bytea,
    boolean,
    int2,          ///< smallint
    int4,          ///< integer
    int8,          ///< bigint
    numeric,       ///< numeric, numeric(p,s): integers only (no fraction, no exponent)
    timestamptz,
    text_array,    ///< text[]
    int8_array,    ///< bigint[]
    numeric_array, ///< numeric(p,s)[]
};

/// The wire type of a staging column declared as `sql_type` ("numeric(39,0)", "text[]", …), or
/// nullopt when binary COPY of that type is not supported here.
[[nodiscard]] std::optional<wire_type> wire_type_of(std::string_view sql_type) noexcept;

/// The 19 bytes every binary COPY stream starts with: signature, flags 0, no header extension.
inline constexpr std::string_view binary_copy_header{"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", 19};
/// The file trailer: a field count of -1.
inline constexpr std::string_view binary_copy_trailer{"\xff\xff", 2};

/// Re-encodes COPY text lines (copy_row's, or PostgreSQL's own COPY TO output) as tuples of
/// PostgreSQL's binary COPY format for a table whose columns have the given types.
///
/// Why: the writer's one database backend is the pipeline's bottleneck, and in text COPY it spent
/// half of each staged row's time splitting the line and running the types' input functions
/// (timestamptz and numeric above all). Binary tuples need neither; the parsing moves to ingest's
/// writer thread, which is otherwise idle, and it is of one known format, so it is cheap.
///
/// Text in: fields split at tabs, `\N` for NULL, COPY's backslash escapes (as PostgreSQL reads
/// them). Values as PostgreSQL writes them with DateStyle ISO and TimeZone UTC: timestamps
/// `YYYY-MM-DD HH:MM:SS[.ffffff]+00`, `infinity`/`-infinity`; booleans `t`/`f`; bytea `\x…`;
/// array literals `{…}` (quoted or bare elements, NULL). Anything else is refused with a reason,
/// never guessed at: the caller makes the row fail as a data error, so its message is
/// dead-lettered alone. Ranges PostgreSQL checks on receipt (numeric precision, text encoding)
/// are left to it; the rest (integer widths, timestamp range, calendar dates) are checked here,
/// with PostgreSQL's own limits.
class binary_copy_encoder {
public:
    explicit binary_copy_encoder(std::vector<wire_type> columns) : columns_(std::move(columns)) {}

    /// Appends the tuple for `line` (one COPY text line, its '\n' optional) to `out`. On failure
    /// `out` is left as it was and the reason is returned ("column 3 (int2): …").
    [[nodiscard]] std::optional<std::string> append_tuple(std::string_view line, std::string& out);

private:
    std::vector<wire_type> columns_;
    std::string field_; ///< the current field, unescaped (reused)
};

} // namespace ledgertap::ingest
