// Codec tests: exact integers, hex, blake2b, Nano addresses and block hashes. The hash and address
// vectors are the verified ones of protocols/nano.md §2.3–2.5.

#include "schema/codec.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <random>
#include <string>
#include <vector>

namespace codec = ledgertap::schema;
namespace nano = ledgertap::schema::nano;
using codec::u128;

namespace {

codec::bytes32 hex32(std::string_view text) {
    const auto value = codec::parse_hex32(text);
    REQUIRE(value.has_value());
    return *value;
}

codec::bytes32 key_of(std::string_view address) {
    const auto value = nano::decode_account(address);
    REQUIRE(value.has_value());
    return *value;
}

std::string hex(const codec::bytes32& bytes) {
    return codec::hex_upper(bytes);
}

constexpr u128 u128_max = ~static_cast<u128>(0);

} // namespace

TEST_CASE("codec: parse_u64 accepts the full range and nothing else", "[codec]") {
    CHECK(codec::parse_u64("0") == 0U);
    CHECK(codec::parse_u64("1") == 1U);
    CHECK(codec::parse_u64("18446744073709551615") == 18446744073709551615ULL);
    CHECK_FALSE(codec::parse_u64("18446744073709551616"));  // 2^64
    CHECK_FALSE(codec::parse_u64("99999999999999999999"));  // 20 digits, too big
    CHECK_FALSE(codec::parse_u64("100000000000000000000")); // 21 digits
    CHECK_FALSE(codec::parse_u64(""));
    CHECK_FALSE(codec::parse_u64("01"));
    CHECK_FALSE(codec::parse_u64("00"));
    CHECK_FALSE(codec::parse_u64("+1"));
    CHECK_FALSE(codec::parse_u64("-1"));
    CHECK_FALSE(codec::parse_u64(" 1"));
    CHECK_FALSE(codec::parse_u64("1 "));
    CHECK_FALSE(codec::parse_u64("1.0"));
    CHECK_FALSE(codec::parse_u64("1e3"));
    CHECK_FALSE(codec::parse_u64("0x10"));
    CHECK_FALSE(codec::parse_u64(std::string(400, '9')));
    CHECK_FALSE(codec::parse_u64(std::string_view("1\0", 2)));
}

TEST_CASE("codec: parse_i64 accepts int64 and a leading minus only", "[codec]") {
    CHECK(codec::parse_i64("0") == 0);
    CHECK(codec::parse_i64("-1") == -1);
    CHECK(codec::parse_i64("9223372036854775807") == INT64_MAX);
    CHECK(codec::parse_i64("-9223372036854775808") == INT64_MIN);
    CHECK_FALSE(codec::parse_i64("9223372036854775808"));
    CHECK_FALSE(codec::parse_i64("-9223372036854775809"));
    CHECK_FALSE(codec::parse_i64("+5"));
    CHECK_FALSE(codec::parse_i64("-"));
    CHECK_FALSE(codec::parse_i64("-0"));
    CHECK_FALSE(codec::parse_i64("-01"));
    CHECK_FALSE(codec::parse_i64("--1"));
    CHECK_FALSE(codec::parse_i64(""));
}

TEST_CASE("codec: parse_u128 accepts 0..2^128-1 exactly", "[codec]") {
    CHECK(codec::parse_u128("0") == u128{0});
    CHECK(codec::parse_u128("340282366920938463463374607431768211455") == u128_max);
    CHECK_FALSE(codec::parse_u128("340282366920938463463374607431768211456")); // 2^128
    CHECK_FALSE(codec::parse_u128("999999999999999999999999999999999999999")); // 39 digits, too big
    CHECK_FALSE(codec::parse_u128("1000000000000000000000000000000000000000")); // 40 digits
    CHECK_FALSE(codec::parse_u128(std::string(400, '1')));
    CHECK_FALSE(codec::parse_u128(""));
    CHECK_FALSE(codec::parse_u128("00"));
    CHECK_FALSE(codec::parse_u128("0123"));
    CHECK_FALSE(codec::parse_u128("-1"));
    CHECK_FALSE(codec::parse_u128("+1"));
    CHECK_FALSE(codec::parse_u128("1a"));
    const u128 two_pow_64 = static_cast<u128>(1) << 64U;
    CHECK(codec::parse_u128("18446744073709551616") == two_pow_64);
}

TEST_CASE("codec: format_u128 round-trips", "[codec]") {
    CHECK(codec::format_u128(0) == "0");
    CHECK(codec::format_u128(u128_max) == "340282366920938463463374607431768211455");
    for (const char* text :
         {"1",
          "10",
          "15621963968634827029081574961",
          "42535295865117307936387010521258262528",
          "18446744073709551615",
          "18446744073709551616"}) {
        const auto value = codec::parse_u128(text);
        REQUIRE(value);
        CHECK(codec::format_u128(*value) == text);
    }
}

TEST_CASE(
    "codec: the chunked u128 parser and formatter agree with digit-by-digit arithmetic",
    "[codec]") {
    // The plain algorithms, one 128-bit step per digit, as the reference.
    const auto reference_format = [](u128 v) {
        std::string out;
        do {
            out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
            v /= 10;
        } while (v != 0);
        return out;
    };
    const auto reference_parse = [](const std::string& text) -> std::optional<u128> {
        u128 v = 0;
        for (const char c : text) {
            const auto digit = static_cast<u128>(c - '0');
            if (v > (u128_max - digit) / 10) {
                return std::nullopt;
            }
            v = v * 10 + digit;
        }
        return v;
    };
    std::vector<u128> values{0, 1, 9, u128_max, u128_max - 1};
    // Around every power of ten: where a 19-digit chunk boundary needs zero padding.
    for (u128 p = 1; p <= u128_max / 10; p *= 10) {
        values.insert(values.end(), {p - 1, p, p + 1, p * 10 - 1});
    }
    std::mt19937_64 rng{20261206};
    for (int i = 0; i < 20000; ++i) {
        const u128 wide = (static_cast<u128>(rng()) << 64U) | rng();
        values.push_back(wide >> (rng() % 128)); // every magnitude
    }
    for (const u128 v : values) {
        const std::string text = reference_format(v);
        CAPTURE(text);
        REQUIRE(codec::format_u128(v) == text);
        REQUIRE(codec::parse_u128(text) == v);
    }
    // 39-digit strings on both sides of 2^128-1, and random ones, against the reference.
    std::vector<std::string> texts{
        "340282366920938463463374607431768211455",
        "340282366920938463463374607431768211456",
        "340282366920938463463374607431768211460",
        "339999999999999999999999999999999999999",
        "400000000000000000000000000000000000000"};
    for (int i = 0; i < 2000; ++i) {
        std::string t(39, '0');
        t[0] = static_cast<char>('1' + rng() % 4); // 1..4: below and above the bound
        for (std::size_t k = 1; k < t.size(); ++k) {
            t[k] = static_cast<char>('0' + rng() % 10);
        }
        texts.push_back(t);
    }
    for (const auto& t : texts) {
        CAPTURE(t);
        CHECK(codec::parse_u128(t) == reference_parse(t));
    }
}

TEST_CASE("codec: hex encoders and strict fixed-length parsers", "[codec]") {
    const std::uint8_t bytes[] = {0x00, 0x0f, 0xab, 0xff};
    CHECK(codec::hex_upper(bytes) == "000FABFF");
    CHECK(codec::hex_lower(bytes) == "000fabff");
    CHECK(codec::hex_upper({}).empty());

    const std::string upper = "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948";
    std::string lower = "991cf190094c00f0b68e2e5f75f6bee95a2e0bd93ceaa4a6734db9f19b728948";
    REQUIRE(codec::parse_hex32(upper));
    CHECK(codec::parse_hex32(lower) == codec::parse_hex32(upper));
    CHECK(hex(*codec::parse_hex32(lower)) == upper);
    CHECK_FALSE(codec::parse_hex32(upper.substr(1))); // 63 digits
    CHECK_FALSE(codec::parse_hex32(upper + "0"));     // 65 digits
    CHECK_FALSE(codec::parse_hex32(""));
    lower[10] = 'g';
    CHECK_FALSE(codec::parse_hex32(lower));
    CHECK_FALSE(codec::parse_hex32(std::string(64, ' ')));

    const std::string sig128 = std::string(126, 'A') + "0f";
    REQUIRE(codec::parse_hex64(sig128));
    CHECK(codec::hex_upper(*codec::parse_hex64(sig128)) == std::string(126, 'A') + "0F");
    CHECK_FALSE(codec::parse_hex64(sig128.substr(2)));
    CHECK_FALSE(codec::parse_hex64(sig128 + "00"));
}

TEST_CASE(
    "codec: parse_hex_u64 takes 1..16 digits, format_hex_u64 pads to 16 lowercase", "[codec]") {
    CHECK(codec::parse_hex_u64("0") == 0U);
    CHECK(codec::parse_hex_u64("c950fc037d61e372") == 0xc950fc037d61e372ULL);
    CHECK(codec::parse_hex_u64("C950FC037D61E372") == 0xc950fc037d61e372ULL);
    CHECK(codec::parse_hex_u64("ffffffffffffffff") == UINT64_MAX);
    CHECK(codec::parse_hex_u64("0000000000000001") == 1U);
    CHECK_FALSE(codec::parse_hex_u64(""));
    CHECK_FALSE(codec::parse_hex_u64("10000000000000000")); // 17 digits
    CHECK_FALSE(codec::parse_hex_u64("-1"));
    CHECK_FALSE(codec::parse_hex_u64("0x1"));
    CHECK(codec::format_hex_u64(1) == "0000000000000001");
    CHECK(codec::format_hex_u64(0xfffffff800000000ULL) == "fffffff800000000");
}

TEST_CASE("codec: parse_hex_u128 takes exactly 32 digits, big-endian", "[codec]") {
    CHECK(
        codec::parse_hex_u128("FD89D89D89D89D89D89D89D89D89D89D")
        == codec::parse_u128("337010421085160209006996005437231978653"));
    CHECK(
        codec::parse_hex_u128("0000000C9F2C9CD04674EDEA40000000")
        == codec::parse_u128("1000000000000000000000000000000"));
    CHECK(codec::parse_hex_u128("ffffffffffffffffffffffffffffffff") == u128_max);
    CHECK_FALSE(codec::parse_hex_u128("FD89D89D89D89D89D89D89D89D89D89"));
    CHECK_FALSE(codec::parse_hex_u128("FD89D89D89D89D89D89D89D89D89D89D0"));
    CHECK(
        codec::format_hex_u128(*codec::parse_u128("337010421085160209006996005437231978653"))
        == "FD89D89D89D89D89D89D89D89D89D89D");
    CHECK(codec::format_hex_u128(0) == std::string(32, '0'));
}

TEST_CASE("codec: blake2b matches known digests for several sizes", "[codec]") {
    // blake2b-40 of 32 zero bytes (python: hashlib.blake2b(bytes(32), digest_size=5)).
    const codec::bytes32 zeros{};
    std::array<std::uint8_t, 5> digest5{};
    const std::span<const std::uint8_t> part(zeros);
    codec::blake2b(digest5, std::span(&part, 1));
    CHECK(codec::hex_lower(digest5) == "d652a31a7c");
    // Splitting the input into parts does not change the digest.
    std::array<std::uint8_t, 32> whole{};
    std::array<std::uint8_t, 32> split{};
    const std::uint8_t abc[] = {'a', 'b', 'c'};
    const std::span<const std::uint8_t> one[] = {abc};
    const std::span<const std::uint8_t> two[]
        = {std::span(abc).first(1), std::span(abc).subspan(1)};
    codec::blake2b(whole, one);
    codec::blake2b(split, two);
    CHECK(whole == split);
    // blake2b-256("abc"), RFC 7693 style reference value.
    CHECK(
        codec::hex_lower(whole)
        == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST_CASE("codec: Nano address vectors", "[codec][nano]") {
    const std::string genesis = "nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3";
    const auto genesis_key
        = hex32("E89208DD038FBB269987689621D52292AE9C35941A7484756ECCED92A65093BA");
    CHECK(nano::encode_account(genesis_key) == genesis);
    CHECK(nano::decode_account(genesis) == genesis_key);

    const codec::bytes32 zero{};
    const std::string burn = "nano_1111111111111111111111111111111111111111111111111111hifc8npp";
    CHECK(nano::encode_account(zero) == burn);
    CHECK(nano::decode_account(burn) == zero);

    const auto key0 = hex32("19D3D919475DEED4696B5D13018151D1AF88B2BD3BCFF048B45031C1F36D1858");
    CHECK(
        nano::encode_account(key0)
        == "nano_18gmu6engqhgtjnppqam181o5nfhj4sdtgyhy36dan3jr9spt84rzwmktafc");
    CHECK(
        nano::decode_account("xrb_18gmu6engqhgtjnppqam181o5nfhj4sdtgyhy36dan3jr9spt84rzwmktafc")
        == key0);

    // Every accepted prefix decodes to the same key; normalize gives nano_.
    for (const char* prefix : {"nano_", "nano-", "xrb_", "xrb-"}) {
        const std::string address = std::string(prefix) + genesis.substr(5);
        CHECK(nano::decode_account(address) == genesis_key);
        CHECK(nano::normalize_account(address) == genesis);
    }
}

TEST_CASE("codec: Nano address rejections", "[codec][nano]") {
    const std::string genesis = "nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3";
    // Checksum failure: last character changed.
    CHECK_FALSE(
        nano::decode_account("nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr4"));
    // A key character changed: checksum no longer matches.
    CHECK_FALSE(
        nano::decode_account("nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuoh3r"));
    // Uppercase is invalid.
    std::string upper = genesis;
    for (std::size_t i = 5; i < upper.size(); ++i) {
        upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
    }
    CHECK_FALSE(nano::decode_account(upper));
    CHECK_FALSE(nano::decode_account("NANO_" + genesis.substr(5)));
    // Characters outside the alphabet (0, 2, l, v).
    for (const char bad : {'0', '2', 'l', 'v', '_', ' '}) {
        std::string address = genesis;
        address[20] = bad;
        CHECK_FALSE(nano::decode_account(address));
    }
    // First character must be 1 or 3.
    std::string first = genesis;
    first[5] = '4';
    CHECK_FALSE(nano::decode_account(first));
    // Wrong lengths, unknown or missing prefix.
    CHECK_FALSE(nano::decode_account(genesis.substr(0, genesis.size() - 1)));
    CHECK_FALSE(nano::decode_account(genesis + "1"));
    CHECK_FALSE(nano::decode_account(""));
    CHECK_FALSE(nano::decode_account("nano_"));
    CHECK_FALSE(nano::decode_account(genesis.substr(5)));
    CHECK_FALSE(nano::decode_account("ban_" + genesis.substr(5)));
    CHECK_FALSE(nano::normalize_account(first));
    // node_ only when asked for.
    const std::string node_id = "node_" + genesis.substr(5);
    CHECK_FALSE(nano::decode_account(node_id));
    CHECK(nano::decode_account(node_id, true) == nano::decode_account(genesis));
    CHECK(nano::encode_account(*nano::decode_account(genesis), "node_") == node_id);
}

TEST_CASE("codec: Nano addresses of random keys round-trip, and any changed digit is refused",
    "[codec][nano]") {
    std::mt19937_64 rng{20261206};
    for (int i = 0; i < 2000; ++i) {
        codec::bytes32 key{};
        for (auto& b : key) {
            b = static_cast<std::uint8_t>(rng());
        }
        const std::string address = nano::encode_account(key);
        REQUIRE(nano::decode_account(address) == key);
        // One digit of the key or checksum part replaced by another digit of the alphabet.
        std::string changed = address;
        const std::size_t at = 6 + static_cast<std::size_t>(rng() % 59);
        const std::string alphabet = "13456789abcdefghijkmnopqrstuwxyz";
        changed[at] = alphabet[(alphabet.find(changed[at]) + 1 + rng() % 31) % 32];
        CAPTURE(address, changed);
        CHECK_FALSE(nano::decode_account(changed));
    }
}

TEST_CASE("codec: Nano telemetry node_id decodes with allow_node_id", "[codec][nano]") {
    const auto key = nano::decode_account(
        "node_3cczh431wuh5gg64jen6a658xewpx7eiyfqn7f8gpdcfp786s7xdb51kr1rp", true);
    REQUIRE(key);
    CHECK(
        nano::encode_account(*key, "node_")
        == "node_3cczh431wuh5gg64jen6a658xewpx7eiyfqn7f8gpdcfp786s7xdb51kr1rp");
}

TEST_CASE("codec: Nano legacy block hash vectors", "[codec][nano]") {
    const auto genesis_key
        = key_of("xrb_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3");
    const auto genesis_source
        = hex32("E89208DD038FBB269987689621D52292AE9C35941A7484756ECCED92A65093BA");
    CHECK(
        hex(nano::open_block_hash(genesis_source, genesis_key, genesis_key))
        == "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948");

    const auto balance = codec::parse_hex_u128("FD89D89D89D89D89D89D89D89D89D89D");
    REQUIRE(balance);
    CHECK(codec::format_u128(*balance) == "337010421085160209006996005437231978653");
    const auto destination
        = key_of("xrb_13ezf4od79h1tgj9aiu4djzcmmguendtjfuhwfukhuucboua8cpoihmh8byo");
    CHECK(
        hex(nano::send_block_hash(
            hex32("991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948"),
            destination,
            *balance))
        == "A170D51B94E00371ACE76E35AC81DC9405D5D04D4CEBC399AEACE07AE05DD293");

    CHECK(
        hex(nano::open_block_hash(
            hex32("A170D51B94E00371ACE76E35AC81DC9405D5D04D4CEBC399AEACE07AE05DD293"),
            key_of("nano_1awsn43we17c1oshdru4azeqjz9wii41dy8npubm4rg11so7dx3jtqgoeahy"),
            key_of("nano_13ezf4od79h1tgj9aiu4djzcmmguendtjfuhwfukhuucboua8cpoihmh8byo")))
        == "90D0C16AC92DD35814E84BFBCC739A039615D0A42A76EF44ADAEF1D99E9F8A35");

    CHECK(
        hex(nano::receive_block_hash(
            hex32("67022ABE190D5C1E42F32F14EEBD3E25A36CA26B00BF1D038AE86055CCD105F5"),
            hex32("ED9554BD4D0F3BDCC8A7BDED5DEF09C503F4E94EF3698047441EFBBCC0D241F7")))
        == "49876A7B00159C2F6EEB33BEAEE07FC637F4A29DD9631DFFD3DA015DE2165FE6");

    CHECK(
        hex(nano::change_block_hash(
            hex32("F958305C0FF0551421D4ABEDCCF302079D020A0A3833E33F185E2B0415D4567A"),
            key_of("xrb_18gmu6engqhgtjnppqam181o5nfhj4sdtgyhy36dan3jr9spt84rzwmktafc")))
        == "654FA425CEBFC9E7726089E4EDE7A105462D93DBC915FFB70B50909920A7D286");
}

TEST_CASE("codec: Nano state block hash vectors", "[codec][nano]") {
    const auto account = key_of("xrb_3igf8hd4sjshoibbbkeitmgkp1o6ug4xads43j6e4gqkj5xk5o83j8ja9php");
    const auto rep = key_of("xrb_3p1asma84n8k84joneka776q4egm5wwru3suho9wjsfyuem8j95b3c78nw8j");
    const codec::bytes32 zero{};
    CHECK(
        hex(nano::state_block_hash(
            account,
            zero,
            rep,
            1,
            hex32("1EF0AD02257987B48030CC8D38511D3B2511672F33AF115AD09E18A86A8355A8")))
        == "FC5A7FB777110A858052468D448B2DF22B648943C097C0608D1E2341007438B0");

    const auto balance = codec::parse_u128("3000000000000000000000000000001");
    REQUIRE(balance);
    CHECK(
        hex(nano::state_block_hash(
            account,
            hex32("597395E83BD04DF8EF30AF04234EAAFE0606A883CF4AEAD2DB8196AAF5C4444F"),
            rep,
            *balance,
            key_of("xrb_1q3hqecaw15cjt7thbtxu3pbzr1eihtzzpzxguoc37bj1wc5ffoh7w74gi6p")))
        == "128106287002E595F479ACD615C818117FCB3860EC112670557A2467386249D4");

    CHECK(
        hex(nano::state_block_hash(
            account,
            hex32("128106287002E595F479ACD615C818117FCB3860EC112670557A2467386249D4"),
            key_of("xrb_1anrzcuwe64rwxzcco8dkhpyxpi8kd7zsjc1oeimpc3ppca4mrjtwnqposrs"),
            *balance,
            zero))
        == "2A322FD5ACAF50C057A8CF5200A000CF1193494C79C786B579E0B4A7D10E5A1E");
}

TEST_CASE("codec: Nano docs sample block hashes", "[codec][nano]") {
    // websockets.md confirmation sample.
    CHECK(
        hex(nano::state_block_hash(
            key_of("nano_1tgkjkq9r96zd3pkr7edj8e4qbu3wr3ps6ettzse8hmoa37nurua7faupjhc"),
            hex32("4E9003ABD469D1F58A70518234016797FA654B494A2627B8583052629A91689E"),
            key_of("nano_3rw4un6ys57hrb39sy1qx8qy5wukst1iiponztrz9qiz6qqa55kxzx4491or"),
            0,
            hex32("3098F4C0D1D8BD889AF078CDFF81E982B8EFA6D6D8FAE954CF0CDC7A256C3F8B")))
        == "0E889F83E28152A70E87B92D846CA3D8966F3AEEC65E11B25F7B4E6760C57CA3");
    CHECK(
        nano::encode_account(
            hex32("3098F4C0D1D8BD889AF078CDFF81E982B8EFA6D6D8FAE954CF0CDC7A256C3F8B"))
        == "nano_1e6rym1f5p7xj4fh1y8fzy1ym1orxymffp9tx7cey58whakprhwdzuk533th");

    // rpc-protocol.md blocks_info sample.
    CHECK(
        hex(nano::state_block_hash(
            key_of("nano_1ipx847tk8o46pwxt5qjdbncjqcbwcc1rrmqnkztrfjy5k7z4imsrata9est"),
            hex32("CE898C131AAEE25E05362F247760F8A3ACF34A9796A5AE0D9204E86B0637965E"),
            key_of("nano_1stofnrxuz3cai7ze75o174bpm7scwj9jn3nxsn8ntzg784jf1gzn1jjdkou"),
            *codec::parse_u128("5606157000000000000000000000000000000"),
            hex32("5D1AA8A45F8736519D707FCB375976A7F9AF795091021D7E9C7548D6F45DD8D5")))
        == "87434F8041869A01C8F6F263B87972D7BA443A72E0A97D7A3FD0CCC2358FD6F9");

    // websockets.md new_unconfirmed_block sample.
    const auto tip = key_of("nano_1tipnanogsu7q59pnie3qfc4w378wm43fg4ksqc8wmnnfnizrq1xrpt5geho");
    const auto previous = hex32("C05B995C518530876CF8AB876FD93577955A51D05971A19CDE243514B5A25F47");
    CHECK(
        hex(nano::state_block_hash(
            tip,
            previous,
            tip,
            *codec::parse_u128("117650323123112288832984294209891"),
            hex32("B5BE5A8ECFA6B37EF72B871A78522C7D70AB1163CC21818C017FB8FDC1C8181A")))
        == "8FFD259D1C512D950EE6478C80EF01BE72DCF6AABAE3CFAECAE69BCF40BB4C02");
    // Its work value on root = previous (§2.5).
    CHECK(nano::work_value(0x64277ffb135de20cULL, previous) == 0xfffffffa780aff94ULL);
}

TEST_CASE("codec: 512-bit decimal round trip", "[codec][nano]") {
    const std::string vote_signature = "19507007969148937056577899449061076424803431243052029101524"
                                       "71520450456881722545967829502369630995363643731706156"
                                       "278026749554294222131169148120786048025353";
    const auto bytes = nano::parse_decimal_u512(vote_signature);
    REQUIRE(bytes);
    CHECK(nano::format_decimal_u512(*bytes) == vote_signature);

    codec::bytes64 zero{};
    CHECK(nano::format_decimal_u512(zero) == "0");
    CHECK(nano::parse_decimal_u512("0") == zero);

    codec::bytes64 one{};
    one.back() = 1;
    CHECK(nano::parse_decimal_u512("1") == one);
    codec::bytes64 two_pow_64{};
    two_pow_64[55] = 1;
    CHECK(nano::parse_decimal_u512("18446744073709551616") == two_pow_64);

    codec::bytes64 max{};
    max.fill(0xff);
    const std::string max_text = nano::format_decimal_u512(max);
    CHECK(max_text.size() == 155);
    CHECK(nano::parse_decimal_u512(max_text) == max);
    // 2^512 (max + 1) overflows.
    std::string over = max_text;
    over.back()
        = static_cast<char>(over.back() + 1); // ...095 -> ...096 (no carry: last digit is 5)
    CHECK_FALSE(nano::parse_decimal_u512(over));
    CHECK_FALSE(nano::parse_decimal_u512(std::string(156, '1')));
    CHECK_FALSE(nano::parse_decimal_u512(""));
    CHECK_FALSE(nano::parse_decimal_u512("01"));
    CHECK_FALSE(nano::parse_decimal_u512("-1"));
    CHECK_FALSE(nano::parse_decimal_u512("12a"));
}
