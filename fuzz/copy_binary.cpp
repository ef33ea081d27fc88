// libFuzzer target: the binary COPY encoder (ingest/copy_binary). The first bytes choose one to
// four column types, the rest is a COPY text line. Properties: a refused line leaves the output
// exactly as it was; an accepted one appends one well-formed tuple, read back here field by field
// as PostgreSQL's receive functions would: the column count, every length consumed exactly, each
// type's fixed width, numeric's header and base-10000 digits (normalized: no leading or trailing
// zero digit), booleans 0 or 1, jsonb's version byte, and arrays' dimensions, flags, element type
// and elements.

#include "ingest/copy_binary.hpp"

#include "fuzz/fuzz_check.hpp"

#include <array>
#include <string>
#include <vector>

namespace ingest = ledgertap::ingest;
using ingest::wire_type;

namespace {

constexpr std::array<wire_type, 12> all_types{wire_type::text, wire_type::jsonb, wire_type::bytea,
    wire_type::boolean, wire_type::int2, wire_type::int4, wire_type::int8, wire_type::numeric,
    wire_type::timestamptz, wire_type::text_array, wire_type::int8_array, wire_type::numeric_array};

struct reader {
    std::string_view data;
    std::size_t pos = 0;

    std::uint32_t u32() {
        LEDGERTAP_FUZZ_CHECK(pos + 4 <= data.size());
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            v = (v << 8U) | static_cast<unsigned char>(data[pos++]);
        }
        return v;
    }
    std::uint16_t u16() {
        LEDGERTAP_FUZZ_CHECK(pos + 2 <= data.size());
        const auto v = static_cast<std::uint16_t>((static_cast<unsigned char>(data[pos]) << 8U)
                                                  | static_cast<unsigned char>(data[pos + 1]));
        pos += 2;
        return v;
    }
    std::string_view take(std::size_t n) {
        LEDGERTAP_FUZZ_CHECK(pos + n <= data.size());
        const auto v = data.substr(pos, n);
        pos += n;
        return v;
    }
};

/// One non-NULL value of type `t` of length `len`, checked.
void check_value(reader& r, wire_type t, std::uint32_t len) {
    reader v{r.take(len)};
    switch (t) {
    case wire_type::boolean:
        LEDGERTAP_FUZZ_CHECK(len == 1 && (v.data[0] == 0 || v.data[0] == 1));
        return;
    case wire_type::int2: LEDGERTAP_FUZZ_CHECK(len == 2); return;
    case wire_type::int4: LEDGERTAP_FUZZ_CHECK(len == 4); return;
    case wire_type::int8:
    case wire_type::timestamptz: LEDGERTAP_FUZZ_CHECK(len == 8); return;
    case wire_type::jsonb: LEDGERTAP_FUZZ_CHECK(len >= 1 && v.data[0] == 1); return;
    case wire_type::numeric: {
        const std::uint16_t ndigits = v.u16();
        const std::uint16_t weight = v.u16();
        const std::uint16_t sign = v.u16();
        LEDGERTAP_FUZZ_CHECK(v.u16() == 0); // dscale: integers only
        LEDGERTAP_FUZZ_CHECK(len == 8U + 2U * ndigits);
        LEDGERTAP_FUZZ_CHECK(sign == 0 || (sign == 0x4000 && ndigits > 0));
        LEDGERTAP_FUZZ_CHECK(ndigits > 0 || weight == 0);
        LEDGERTAP_FUZZ_CHECK(ndigits <= weight + 1U);
        for (std::uint16_t i = 0; i < ndigits; ++i) {
            const std::uint16_t d = v.u16();
            LEDGERTAP_FUZZ_CHECK(d < 10000);
            LEDGERTAP_FUZZ_CHECK(d != 0 || (i != 0 && i + 1 != ndigits));
        }
        return;
    }
    case wire_type::text_array:
    case wire_type::int8_array:
    case wire_type::numeric_array: {
        const std::uint32_t ndim = v.u32();
        const std::uint32_t flags = v.u32();
        const std::uint32_t oid = v.u32();
        const wire_type element = t == wire_type::text_array ? wire_type::text
            : t == wire_type::int8_array                    ? wire_type::int8
                                                            : wire_type::numeric;
        LEDGERTAP_FUZZ_CHECK(oid == (t == wire_type::text_array ? 25U : t == wire_type::int8_array ? 20U : 1700U));
        LEDGERTAP_FUZZ_CHECK(ndim <= 1 && flags <= 1);
        std::uint32_t count = 0;
        if (ndim == 1) {
            count = v.u32();
            LEDGERTAP_FUZZ_CHECK(count >= 1 && v.u32() == 1);
        }
        bool saw_null = false;
        for (std::uint32_t i = 0; i < count; ++i) {
            const std::uint32_t n = v.u32();
            if (n == 0xFFFFFFFFU) {
                saw_null = true;
                continue;
            }
            check_value(v, element, n);
        }
        LEDGERTAP_FUZZ_CHECK(saw_null == (flags == 1));
        break;
    }
    default: break; // text, bytea: any bytes
    }
    LEDGERTAP_FUZZ_CHECK(v.pos == v.data.size() || t == wire_type::text || t == wire_type::bytea);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const std::size_t columns = 1 + data[0] % 4;
    if (size < 1 + columns) {
        return 0;
    }
    std::vector<wire_type> types;
    for (std::size_t i = 0; i < columns; ++i) {
        types.push_back(all_types[data[1 + i] % all_types.size()]);
    }
    const auto line = ledgertap::fuzz::as_text(data + 1 + columns, size - 1 - columns);
    ingest::binary_copy_encoder encoder{types};
    std::string out = "before";
    if (encoder.append_tuple(line, out)) {
        LEDGERTAP_FUZZ_CHECK(out == "before");
        return 0;
    }
    reader r{std::string_view{out}.substr(6)};
    LEDGERTAP_FUZZ_CHECK(r.u16() == columns);
    for (const auto t : types) {
        const std::uint32_t len = r.u32();
        if (len != 0xFFFFFFFFU) {
            check_value(r, t, len);
        }
    }
    LEDGERTAP_FUZZ_CHECK(r.pos == r.data.size());
    return 0;
}
