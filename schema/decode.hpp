#pragma once

// What every decoder returns. Decoders are pure: no I/O, no logging, no clock, and no exception
// escapes them for any input (they are fuzzed). Expected failures come back as values.

#include <string>
#include <utility>
#include <variant>

namespace ledgertap::schema {

enum class decode_errc {
    malformed_json,   ///< Not JSON at all (or truncated).
    unexpected_shape, ///< Valid JSON, but not a message type we know.
    bad_field,        ///< A known message with a missing, mistyped or out-of-range field.
    too_large,        ///< Over a configured size limit.
};

[[nodiscard]] constexpr const char* to_string(decode_errc code) noexcept {
    switch (code) {
    case decode_errc::malformed_json:
        return "malformed_json";
    case decode_errc::unexpected_shape:
        return "unexpected_shape";
    case decode_errc::bad_field:
        return "bad_field";
    case decode_errc::too_large:
        return "too_large";
    }
    return "unknown";
}

struct decode_error {
    decode_errc code = decode_errc::malformed_json;
    std::string detail; ///< Names the field and the problem, e.g. "message.block.balance: not a u128".
};

/// Either a decoded value or the reason it could not be decoded.
template<typename T>
class decode_result {
public:
    decode_result(T value) : v_(std::move(value)) {}              // NOLINT(google-explicit-constructor)
    decode_result(decode_error error) : v_(std::move(error)) {}   // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
    [[nodiscard]] explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] T& value() { return std::get<0>(v_); }
    [[nodiscard]] const T& value() const { return std::get<0>(v_); }
    [[nodiscard]] const decode_error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, decode_error> v_;
};

} // namespace ledgertap::schema
