#pragma once

// What a query command answers, and how it is printed: named sections of typed columns, rendered
// as an aligned human table, JSON or CSV. Pure: no database, no I/O.
//
// Exactness: cells hold PostgreSQL's own text for each value. JSON and CSV print that text
// unchanged (numeric, including u128 amounts, becomes a JSON string; integers and doubles become
// JSON numbers with PostgreSQL's shortest exact spelling); only the human table rounds doubles
// for display. Times are printed as RFC 3339 UTC (`2024-05-01T12:00:00.123Z`).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::query {

/// How a column's text is to be read, derived from its PostgreSQL type.
enum class column_kind {
    text,    ///< text, char, varchar, interval, arrays, anything else: a JSON string
    integer, ///< int2/int4/int8/oid: a JSON number, right-aligned
    decimal, ///< numeric (u64/u128 amounts): exact decimal text, a JSON string, right-aligned
    real,    ///< float4/float8: a JSON number (NaN/Infinity as strings), rounded in tables only
    boolean, ///< PostgreSQL `t`/`f`: JSON true/false
    time,    ///< timestamptz in UTC: an RFC 3339 string
    json     ///< json/jsonb: embedded as is in JSON
};

struct column {
    std::string name;
    column_kind kind = column_kind::text;
};

/// One cell: PostgreSQL's text for the value, std::nullopt for SQL NULL.
using cell = std::optional<std::string>;

/// Rows of typed columns, as a query returned them.
struct result_table {
    std::vector<column> columns;
    std::vector<std::vector<cell>> rows;

    /// Index of the column called `name`; std::nullopt when there is none.
    [[nodiscard]] std::optional<std::size_t> column_index(std::string_view name) const;
    /// The cell of `row` in column `name`; std::nullopt when the column is missing or NULL.
    [[nodiscard]] cell value(std::size_t row, std::string_view name) const;
};

/// How a section is shaped in JSON and in the human table.
enum class section_shape {
    rows,  ///< a list: a JSON array of objects, a table with a header
    record ///< at most one row: a JSON object (or null), a vertical `field  value` list
};

/// One named part of a command's answer, e.g. `nano_latency` of `latency`.
struct section {
    std::string name;  ///< snake_case: the JSON key and the `--section` name
    std::string title; ///< heading in the human table
    section_shape shape = section_shape::rows;
    result_table table;
};

enum class output_format { table, json, csv };

/// "table", "json" or "csv"; std::nullopt for anything else.
[[nodiscard]] std::optional<output_format> parse_output_format(std::string_view text);

/// The sections in `format`, ending with a newline.
/// - table: each section under its title, columns aligned (numbers right), NULL as `-`, empty
///   lists as `(none)`;
/// - json: one object, a key per section: an array of row objects, or for a record an object
///   (null when it has no row);
/// - csv (RFC 4180): with one section, its header and rows; with several, each section preceded
///   by a line `# <name>` and separated by an empty line. NULL is an empty field, an empty string
///   is `""`.
[[nodiscard]] std::string render(const std::vector<section>& sections, output_format format);

/// `2024-05-01 12:00:00.123+00` (PostgreSQL, TimeZone UTC) as `2024-05-01T12:00:00.123Z`. Text
/// in any other shape is returned unchanged.
[[nodiscard]] std::string rfc3339_from_pg(std::string_view text);

/// `text` as a JSON string literal, quotes included (control characters escaped as \uXXXX).
[[nodiscard]] std::string json_quote(std::string_view text);

} // namespace ledgertap::query
