// libFuzzer target: the COPY text encoder (ingest/copy_row). The input drives a row of text, NULL,
// integer, bytea, text-array, free-text and free-text-array fields. Properties: a finished row is
// one line (its only newline is the last byte) with exactly field_count()-1 unescaped tabs, and a
// simple COPY-text decoder (tests the escapes the encoder must write) gives back every field
// exactly. A strict field that is not storable text marks the row invalid instead; a free-text
// field is always stored, as make_storable(value) (storable, and unchanged when it already was),
// and replaced() counts the fields that changed.

#include "ingest/copy_row.hpp"

#include "fuzz/fuzz_check.hpp"

#include <fuzzer/FuzzedDataProvider.h>
#include <optional>
#include <string>
#include <vector>

namespace ingest = ledgertap::ingest;

namespace {

/// COPY text format, one line without its '\n': fields split on tab, `\N` is NULL, backslash
/// escapes undone. Aborts on an escape the encoder must never write or a raw control line break.
std::vector<std::optional<std::string>> decode_copy_line(std::string_view line) {
    std::vector<std::optional<std::string>> fields;
    std::string field;
    bool is_null = false;
    for (std::size_t i = 0; i <= line.size(); ++i) {
        if (i == line.size() || line[i] == '\t') {
            fields.push_back(is_null ? std::nullopt : std::optional<std::string>(field));
            field.clear();
            is_null = false;
            continue;
        }
        const char c = line[i];
        LEDGERTAP_FUZZ_CHECK(c != '\n' && c != '\r');
        if (c != '\\') {
            field.push_back(c);
            continue;
        }
        LEDGERTAP_FUZZ_CHECK(i + 1 < line.size());
        const char e = line[++i];
        switch (e) {
        case '\\':
            field.push_back('\\');
            break;
        case 't':
            field.push_back('\t');
            break;
        case 'n':
            field.push_back('\n');
            break;
        case 'r':
            field.push_back('\r');
            break;
        case 'N':
            // `\N` alone is NULL; the encoder never writes it inside a value.
            LEDGERTAP_FUZZ_CHECK(field.empty() && (i + 1 == line.size() || line[i + 1] == '\t'));
            is_null = true;
            break;
        default:
            LEDGERTAP_FUZZ_CHECK(false && "unexpected escape");
        }
    }
    return fields;
}

/// The PostgreSQL array literal the encoder writes for text elements.
std::string array_literal(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        out += i == 0 ? "\"" : ",\"";
        for (const char c : values[i]) {
            if (c == '"' || c == '\\') {
                out.push_back('\\');
            }
            out.push_back(c);
        }
        out.push_back('"');
    }
    return out + "}";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    ingest::copy_row row;
    std::vector<std::optional<std::string>> expected;
    bool storable = true;
    std::size_t replaced = 0;

    while (in.remaining_bytes() > 0 && expected.size() < 64) {
        switch (in.ConsumeIntegralInRange<int>(0, 7)) {
        case 0: {
            const auto value = in.ConsumeRandomLengthString(256);
            storable = storable && ingest::is_storable_text(value);
            row.text(value);
            expected.emplace_back(value);
            break;
        }
        case 1:
            row.null();
            expected.emplace_back(std::nullopt);
            break;
        case 2: {
            const auto value = in.ConsumeIntegral<std::uint64_t>();
            row.u64(value);
            expected.emplace_back(std::to_string(value));
            break;
        }
        case 3: {
            const auto value = in.ConsumeIntegral<std::int64_t>();
            row.i64(value);
            expected.emplace_back(std::to_string(value));
            break;
        }
        case 4: {
            const auto value = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<int>(0, 64));
            row.bytes(value);
            std::string hex = "\\x";
            for (const auto b : value) {
                static constexpr char digits[] = "0123456789abcdef";
                hex.push_back(digits[b >> 4U]);
                hex.push_back(digits[b & 0x0FU]);
            }
            expected.emplace_back(hex);
            break;
        }
        case 6: {
            const auto value = in.ConsumeRandomLengthString(256);
            const auto clean = ingest::make_storable(value);
            LEDGERTAP_FUZZ_CHECK(ingest::is_storable_text(clean));
            LEDGERTAP_FUZZ_CHECK((clean == value) == ingest::is_storable_text(value));
            replaced += clean == value ? 0 : 1;
            row.free_text(value);
            expected.emplace_back(clean);
            break;
        }
        case 7: {
            std::vector<std::string> values(in.ConsumeIntegralInRange<std::size_t>(0, 4));
            std::vector<std::string> clean;
            bool changed = false;
            for (auto& v : values) {
                v = in.ConsumeRandomLengthString(64);
                clean.push_back(ingest::make_storable(v));
                changed = changed || clean.back() != v;
            }
            replaced += changed ? 1 : 0;
            row.free_text_array(values);
            expected.emplace_back(array_literal(clean));
            break;
        }
        default: {
            std::vector<std::string> values(in.ConsumeIntegralInRange<std::size_t>(0, 4));
            for (auto& v : values) {
                v = in.ConsumeRandomLengthString(64);
                storable = storable && ingest::is_storable_text(v);
            }
            row.text_array(values);
            expected.emplace_back(array_literal(values));
            break;
        }
        }
    }

    LEDGERTAP_FUZZ_CHECK(row.field_count() == expected.size());
    LEDGERTAP_FUZZ_CHECK(row.ok() == storable);
    LEDGERTAP_FUZZ_CHECK(row.replaced() == replaced);
    const std::string line = row.finish();
    LEDGERTAP_FUZZ_CHECK(!line.empty() && line.back() == '\n');
    if (!storable || expected.empty()) {
        return 0;
    }
    const auto fields = decode_copy_line(std::string_view(line).substr(0, line.size() - 1));
    LEDGERTAP_FUZZ_CHECK(fields == expected);
    return 0;
}
