// base58 (Bitcoin alphabet, Solana keys and signatures) and base64 (RFC 4648) codec tests.

#include "schema/codec.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace ledgertap::schema {
namespace {

std::vector<std::uint8_t> from_hex(std::string_view hex) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoul(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

std::vector<std::uint8_t> bytes_of(std::string_view text) {
    return {text.begin(), text.end()};
}

/// Textbook byte-at-a-time base58, independent of the limb arithmetic under test.
std::string reference_base58(const std::vector<std::uint8_t>& bytes) {
    constexpr std::string_view alphabet =
        "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    std::vector<std::uint8_t> digits; // little-endian base58 digits
    for (const std::uint8_t byte : bytes) {
        unsigned carry = byte;
        for (auto& digit : digits) {
            carry += static_cast<unsigned>(digit) * 256U;
            digit = static_cast<std::uint8_t>(carry % 58U);
            carry /= 58U;
        }
        while (carry != 0) {
            digits.push_back(static_cast<std::uint8_t>(carry % 58U));
            carry /= 58U;
        }
    }
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && bytes[i] == 0; ++i) {
        out.push_back('1');
    }
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        out.push_back(alphabet[*it]);
    }
    return out;
}

struct vector_case {
    std::string_view hex;
    std::string_view text;
};

// Bitcoin's base58 test vectors plus the Solana system program (32 zero bytes).
constexpr vector_case base58_vectors[] = {
    {"", ""},
    {"61", "2g"},
    {"626262", "a3gV"},
    {"636363", "aPEr"},
    {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
    {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
    {"516b6fcd0f", "ABnLTmg"},
    {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
    {"572e4794", "3EFU7m"},
    {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
    {"10c8511e", "Rt5zm"},
    {"00000000000000000000", "1111111111"},
    {"000000287fb4cd", "111233QC4"},
    {"0000000000000000000000000000000000000000000000000000000000000000",
     "11111111111111111111111111111111"},
    {"0761481d357474bb7c4d7624ebd3bdb3d8355e73d11043fc0da3538000000000",
     "Vote111111111111111111111111111111111111111"},
};

TEST_CASE("base58 encodes and decodes the known vectors", "[schema][base58]") {
    for (const auto& vec : base58_vectors) {
        INFO("hex " << vec.hex);
        const auto bytes = from_hex(vec.hex);
        CHECK(base58_encode(bytes) == vec.text);
        const auto decoded = base58_decode(vec.text);
        REQUIRE(decoded.has_value());
        CHECK(*decoded == bytes);
    }
    CHECK(base58_encode(bytes_of("Hello World!")) == "2NEpo7TZRRrLZSi2U");
}

TEST_CASE("base58 keeps leading zero bytes as leading '1's", "[schema][base58]") {
    CHECK(base58_encode(std::vector<std::uint8_t>{0}) == "1");
    CHECK(base58_encode(std::vector<std::uint8_t>{0, 0, 1}) == "112");
    CHECK(base58_decode("1") == std::vector<std::uint8_t>{0});
    CHECK(base58_decode("112") == std::vector<std::uint8_t>{0, 0, 1});
    CHECK(base58_decode("") == std::vector<std::uint8_t>{});
    std::vector<std::uint8_t> key(32, 0);
    key[31] = 1;
    CHECK(base58_encode(key) == std::string(31, '1') + "2");
}

TEST_CASE("base58 round-trips random byte strings and agrees with a reference", "[schema][base58]") {
    std::mt19937 rng(20240611); // fixed seed: deterministic
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> length(0, 300);
    for (int round = 0; round < 300; ++round) {
        std::vector<std::uint8_t> bytes(static_cast<std::size_t>(length(rng)));
        for (auto& b : bytes) {
            b = static_cast<std::uint8_t>(byte(rng));
        }
        // A third of the cases get leading zero bytes.
        if (round % 3 == 0 && !bytes.empty()) {
            bytes[0] = 0;
            if (bytes.size() > 1) {
                bytes[1] = 0;
            }
        }
        const std::string text = base58_encode(bytes);
        INFO("length " << bytes.size() << " text " << text);
        CHECK(text == reference_base58(bytes));
        const auto decoded = base58_decode(text);
        REQUIRE(decoded.has_value());
        CHECK(*decoded == bytes);
    }
}

TEST_CASE("base58 rejects characters outside the alphabet", "[schema][base58]") {
    for (const std::string_view bad : {"0", "O", "I", "l", "2g0", "abcO", "I11", "1l", "+", " 2g",
                                       "2g ", "2g\n", "é"}) {
        INFO(bad);
        CHECK_FALSE(base58_decode(bad).has_value());
    }
    CHECK_FALSE(base58_decode(std::string_view("2g\0", 3)).has_value());
}

TEST_CASE("is_base58_of_size checks the decoded length exactly", "[schema][base58]") {
    const std::string max32 = "JEKNVnkbo3jma5nREBBJCDoXFVeKkD56V3xKrvRmWxFG"; // 32 x 0xff
    const std::string max64 = "67rpwLCuS5DGA8KGZXKsVQ7dnPb9goRLoKfgGbLfQg9WoLUgNY77E2jT11fem3coV9nAk"
                              "guBACzrU1iyZM4B8roQ"; // 64 x 0xff
    CHECK(is_base58_of_size(max32, 32));
    CHECK(is_base58_of_size(max64, 64));
    CHECK(is_base58_of_size("11111111111111111111111111111111", 32));
    CHECK(is_base58_of_size("Vote111111111111111111111111111111111111111", 32));
    CHECK(is_base58_of_size("4uQeVj5tqViQh7yWWGStvkEG1Zmhx6uasJtWCJziofM", 32)); // 0x01 then zeros
    CHECK(is_base58_of_size(std::string(64, '1'), 64));

    CHECK_FALSE(is_base58_of_size("", 32));
    CHECK_FALSE(is_base58_of_size(std::string(31, '1'), 32));
    CHECK_FALSE(is_base58_of_size(std::string(33, '1'), 32));
    CHECK_FALSE(is_base58_of_size(max32 + "1", 32)); // 33 bytes' worth of value
    CHECK_FALSE(is_base58_of_size(max32, 64));
    CHECK_FALSE(is_base58_of_size(max64, 32));
    CHECK_FALSE(is_base58_of_size("Vote11111111111111111111111111111111111111O", 32));
    CHECK_FALSE(is_base58_of_size(std::string(10000, 'z'), 32)); // rejected by length first
}

TEST_CASE("base64 matches the RFC 4648 vectors", "[schema][base64]") {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},       {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        INFO(plain);
        CHECK(base64_encode(bytes_of(plain)) == encoded);
        CHECK(base64_decode(encoded) == bytes_of(plain));
    }
    const std::vector<std::uint8_t> high{0xfb, 0xff, 0xbf};
    CHECK(base64_encode(high) == "+/+/");
    CHECK(base64_decode("+/+/") == high);
}

TEST_CASE("base64 round-trips every length up to 64 bytes", "[schema][base64]") {
    std::vector<std::uint8_t> bytes;
    for (int i = 0; i <= 64; ++i) {
        const auto decoded = base64_decode(base64_encode(bytes));
        REQUIRE(decoded.has_value());
        CHECK(*decoded == bytes);
        bytes.push_back(static_cast<std::uint8_t>(i * 37 + 11));
    }
}

TEST_CASE("base64 rejects malformed and non-canonical text", "[schema][base64]") {
    for (const std::string_view bad : {"Z", "Zg", "Zg=", "Zm9", "Zg===", "====", "A===", "Z===",
                                       "Zg=a", "Z=g=", "Zm 9", "Zm9v\n", "Zm-_", "Zh==", "Zm9=",
                                       "=Zm9"}) {
        INFO(bad);
        CHECK_FALSE(base64_decode(bad).has_value());
    }
    CHECK_FALSE(base64_decode(std::string_view("Zm9\0", 4)).has_value());
}

} // namespace
} // namespace ledgertap::schema
