// Nano WebSocket decoder: every topic from fixtures (tests/data/nano/ws_*.json, taken from
// protocols/nano.md and the node docs), then hostile input. Only the public decoder is used.

#include "schema/codec.hpp"
#include "schema/nano.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>

namespace schema = ledgertap::schema;
namespace nano = ledgertap::schema::nano;
using Catch::Matchers::Contains;
using schema::decode_errc;

namespace {

std::string fixture(const std::string& name) {
    const std::string path = std::string(LEDGERTAP_TEST_DATA_DIR) + "/nano/" + name;
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Concatenation without operator+ (GCC 12 -O3 reports a false -Wrestrict on "lit" + string).
std::string concat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (const auto part : parts) {
        out.append(part);
    }
    return out;
}

/// `text` with the first occurrence of `from` replaced by `to` (which must occur).
std::string with(std::string text, std::string_view from, std::string_view to) {
    const auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    text.replace(pos, from.size(), to);
    return text;
}

template<typename T>
T decode_as(std::string_view text) {
    auto result = nano::decode_ws_message(text);
    if (!result.ok()) {
        FAIL("decode failed: " << result.error().detail);
    }
    REQUIRE(std::holds_alternative<T>(result.value()));
    return std::get<T>(result.value());
}

schema::decode_error error_of(std::string_view text) {
    auto result = nano::decode_ws_message(text);
    REQUIRE_FALSE(result.ok());
    return result.error();
}

/// Expects a bad_field error whose detail names `field`.
void expect_bad_field(std::string_view text, const std::string& field) {
    const auto error = error_of(text);
    CHECK(error.code == decode_errc::bad_field);
    CHECK_THAT(error.detail, Contains(field));
}

constexpr const char* docs_hash
    = "0E889F83E28152A70E87B92D846CA3D8966F3AEEC65E11B25F7B4E6760C57CA3";
constexpr const char* docs_account
    = "nano_1tgkjkq9r96zd3pkr7edj8e4qbu3wr3ps6ettzse8hmoa37nurua7faupjhc";
constexpr const char* genesis = "nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3";
constexpr const char* signature_hex = "D5C332587B1A4DEA35B6F03B0A9BEB45C5BBE582060B0252C313CF411F72"
                                      "478721F8E7DA83A779BA5006D571266F32"
                                      "BDE34C1447247F417F8F12101D3ADAF705";

const std::string genesis_open_fields
    = R"("type": "open", )"
      R"("source": "E89208DD038FBB269987689621D52292AE9C35941A7484756ECCED92A65093BA", )"
      R"("representative": "xrb_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3", )"
      R"("account": "xrb_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3")";

/// A confirmation for a legacy block (message.account = `account`).
std::string legacy_confirmation(
    const std::string& account, const std::string& hash, const std::string& block_fields) {
    return R"({"topic": "confirmation", "time": "1", "message": {"account": ")" + account
           + R"(", "amount": "0", "hash": ")" + hash
           + R"(", "confirmation_type": "inactive", "block": {)" + block_fields
           + R"(, "work": "0000000000000001", "signature": ")" + signature_hex + R"("}}})";
}

} // namespace

// ---- confirmation ---------------------------------------------------------------------------

TEST_CASE("nano ws: confirmation: node docs sample decodes and its hash verifies", "[nano][ws]") {
    const auto c = decode_as<nano::confirmation>(fixture("ws_confirmation_docs.json"));
    CHECK(c.time_ms == 1564935350664ULL);
    CHECK(c.account == docs_account);
    CHECK(schema::format_u128(c.amount) == "15621963968634827029081574961");
    CHECK(c.hash == docs_hash);
    CHECK(c.type == nano::confirmation_type::active_quorum);
    REQUIRE(c.election_info);
    CHECK(c.election_info->duration_ms == 546);
    CHECK(c.election_info->time_ms == 1564935348219ULL);
    CHECK(schema::format_u128(c.election_info->tally) == "42535295865117307936387010521258262528");
    CHECK_FALSE(c.election_info->final_tally);
    CHECK(c.election_info->blocks == 1U);
    CHECK(c.election_info->voters == 52U);
    CHECK(c.election_info->request_count == 1U);
    CHECK_FALSE(c.election_info->votes);
    CHECK_FALSE(c.sideband);
    CHECK_FALSE(c.linked_account);
    REQUIRE(c.block);
    const auto& b = *c.block;
    CHECK(b.type == nano::block_type::state);
    CHECK(b.subtype == nano::block_subtype::send);
    CHECK(b.hash == docs_hash);
    CHECK(b.account == docs_account);
    CHECK(b.previous == "4E9003ABD469D1F58A70518234016797FA654B494A2627B8583052629A91689E");
    CHECK(b.representative == "nano_3rw4un6ys57hrb39sy1qx8qy5wukst1iiponztrz9qiz6qqa55kxzx4491or");
    REQUIRE(b.balance);
    CHECK(*b.balance == 0);
    CHECK(b.link == "3098F4C0D1D8BD889AF078CDFF81E982B8EFA6D6D8FAE954CF0CDC7A256C3F8B");
    CHECK(b.link_as_account == "nano_1e6rym1f5p7xj4fh1y8fzy1ym1orxymffp9tx7cey58whakprhwdzuk533th");
    CHECK(b.signature == signature_hex);
    CHECK(b.work == "c950fc037d61e372");
    CHECK_FALSE(b.is_open());
}

TEST_CASE("nano ws: confirmation: votes, final tally, sideband and linked_account", "[nano][ws]") {
    const auto c = decode_as<nano::confirmation>(fixture("ws_confirmation_full.json"));
    REQUIRE(c.election_info);
    REQUIRE(c.election_info->final_tally);
    CHECK(
        schema::format_u128(*c.election_info->final_tally)
        == "42535295865117307936387010521258262528");
    REQUIRE(c.election_info->votes);
    REQUIRE(c.election_info->votes->size() == 2);
    const auto& first = c.election_info->votes->at(0);
    CHECK(
        first.representative
        == "nano_3rw4un6ys57hrb39sy1qx8qy5wukst1iiponztrz9qiz6qqa55kxzx4491or");
    CHECK(first.timestamp == std::numeric_limits<std::uint64_t>::max());
    CHECK(first.hash == docs_hash);
    CHECK(schema::format_u128(first.weight) == "4253529586511730793638701052125826252");
    CHECK(c.election_info->votes->at(1).timestamp == 1564935348208ULL);
    REQUIRE(c.sideband);
    CHECK(c.sideband->height == 123456);
    CHECK(c.sideband->local_timestamp == 1700000000);
    CHECK(c.linked_account == "nano_1e6rym1f5p7xj4fh1y8fzy1ym1orxymffp9tx7cey58whakprhwdzuk533th");
}

TEST_CASE(
    "nano ws: confirmation: inactive, empty votes, xrb_ and case are normalised", "[nano][ws]") {
    const auto c = decode_as<nano::confirmation>(fixture("ws_confirmation_inactive_no_votes.json"));
    CHECK(c.type == nano::confirmation_type::inactive);
    CHECK(c.account == docs_account);
    CHECK(c.hash == docs_hash);
    REQUIRE(c.election_info);
    REQUIRE(c.election_info->votes);
    CHECK(c.election_info->votes->empty());
    CHECK(c.election_info->tally == 0);
    REQUIRE(c.block);
    CHECK(c.block->account == docs_account);
    CHECK(
        c.block->representative
        == "nano_3rw4un6ys57hrb39sy1qx8qy5wukst1iiponztrz9qiz6qqa55kxzx4491or");
    CHECK(c.block->work == "c950fc037d61e372");
    CHECK_FALSE(c.linked_account); // "0" means none
}

TEST_CASE(
    "nano ws: confirmation: include_block=false and message-level linked_account", "[nano][ws]") {
    const auto c = decode_as<nano::confirmation>(fixture("ws_confirmation_no_block.json"));
    CHECK(c.type == nano::confirmation_type::active_confirmation_height);
    CHECK_FALSE(c.block);
    CHECK_FALSE(c.election_info);
    CHECK(c.hash == docs_hash);
    CHECK(c.linked_account == "nano_1e6rym1f5p7xj4fh1y8fzy1ym1orxymffp9tx7cey58whakprhwdzuk533th");
}

TEST_CASE("nano ws: confirmation: legacy send takes its account from the message", "[nano][ws]") {
    const auto c = decode_as<nano::confirmation>(fixture("ws_confirmation_legacy_send.json"));
    REQUIRE(c.block);
    const auto& b = *c.block;
    CHECK(b.type == nano::block_type::send);
    CHECK(b.subtype == nano::block_subtype::none);
    CHECK(b.hash == "A170D51B94E00371ACE76E35AC81DC9405D5D04D4CEBC399AEACE07AE05DD293");
    CHECK(b.account == genesis);
    CHECK(b.previous == "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948");
    REQUIRE(b.balance);
    CHECK(schema::format_u128(*b.balance) == "337010421085160209006996005437231978653");
    CHECK(b.link_as_account == "nano_13ezf4od79h1tgj9aiu4djzcmmguendtjfuhwfukhuucboua8cpoihmh8byo");
    CHECK(b.link == schema::hex_upper(*nano::decode_account(*b.link_as_account)));
    CHECK_FALSE(b.representative);
}

TEST_CASE("nano ws: confirmation: legacy open, receive and change blocks", "[nano][ws]") {
    SECTION("open (live genesis)") {
        const auto c = decode_as<nano::confirmation>(legacy_confirmation(
            genesis,
            "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948",
            genesis_open_fields));
        REQUIRE(c.block);
        CHECK(c.block->type == nano::block_type::open);
        CHECK(c.block->is_open());
        CHECK(c.block->account == genesis);
        CHECK(c.block->representative == genesis);
        CHECK(c.block->previous == std::string(64, '0'));
        CHECK(c.block->link == "E89208DD038FBB269987689621D52292AE9C35941A7484756ECCED92A65093BA");
        CHECK_FALSE(c.block->balance);
    }
    SECTION("receive") {
        const auto c = decode_as<nano::confirmation>(legacy_confirmation(
            docs_account,
            "49876A7B00159C2F6EEB33BEAEE07FC637F4A29DD9631DFFD3DA015DE2165FE6",
            R"("type": "receive", )"
            R"("previous": "67022ABE190D5C1E42F32F14EEBD3E25A36CA26B00BF1D038AE86055CCD105F5", )"
            R"("source": "ED9554BD4D0F3BDCC8A7BDED5DEF09C503F4E94EF3698047441EFBBCC0D241F7")"));
        REQUIRE(c.block);
        CHECK(c.block->type == nano::block_type::receive);
        CHECK(c.block->account == docs_account);
        CHECK(c.block->link == "ED9554BD4D0F3BDCC8A7BDED5DEF09C503F4E94EF3698047441EFBBCC0D241F7");
        CHECK_FALSE(c.block->representative);
    }
    SECTION("change") {
        const auto c = decode_as<nano::confirmation>(legacy_confirmation(
            docs_account,
            "654FA425CEBFC9E7726089E4EDE7A105462D93DBC915FFB70B50909920A7D286",
            R"("type": "change", )"
            R"("previous": "F958305C0FF0551421D4ABEDCCF302079D020A0A3833E33F185E2B0415D4567A", )"
            R"("representative": "xrb_18gmu6engqhgtjnppqam181o5nfhj4sdtgyhy36dan3jr9spt84rzwmktafc")"));
        REQUIRE(c.block);
        CHECK(c.block->type == nano::block_type::change);
        CHECK(c.block->link == std::string(64, '0'));
        CHECK(
            c.block->representative
            == "nano_18gmu6engqhgtjnppqam181o5nfhj4sdtgyhy36dan3jr9spt84rzwmktafc");
    }
    SECTION("legacy open whose account differs from message.account is rejected") {
        expect_bad_field(
            legacy_confirmation(
                docs_account,
                "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948",
                genesis_open_fields),
            "message.block.account");
    }
}

TEST_CASE("nano ws: confirmation: inconsistent or malformed fields are rejected", "[nano][ws]") {
    const std::string docs = fixture("ws_confirmation_docs.json");
    SECTION("hash mismatch") {
        expect_bad_field(
            with(
                docs,
                "0E889F83E28152A70E87B92D846CA3D8966F3AEEC65E11B25F7B4E6760C57CA3",
                "0E889F83E28152A70E87B92D846CA3D8966F3AEEC65E11B25F7B4E6760C57CA4"),
            "message.hash: does not match");
    }
    SECTION("a changed balance changes the computed hash") {
        expect_bad_field(with(docs, R"("balance": "0")", R"("balance": "1")"), "message.hash");
    }
    SECTION("number where a string is required") {
        expect_bad_field(
            with(docs, R"("balance": "0")", R"("balance": 0)"), "message.block.balance");
        expect_bad_field(
            with(
                docs,
                R"("amount": "15621963968634827029081574961")",
                R"("amount": 15621963968634827029081574961)"),
            "message.amount");
        expect_bad_field(
            with(docs, R"("time": "1564935350664")", R"("time": 1564935350664)"), "time");
        expect_bad_field(
            with(docs, R"("voters": "52")", R"("voters": true)"), "message.election_info.voters");
    }
    SECTION("missing fields") {
        expect_bad_field(
            with(
                docs,
                R"("previous": "4E9003ABD469D1F58A70518234016797FA654B494A2627B8583052629A91689E",)",
                ""),
            "message.block.previous: missing");
        expect_bad_field(
            with(docs, R"("confirmation_type": "active_quorum",)", ""),
            "message.confirmation_type: missing");
        expect_bad_field(with(docs, R"("duration": "546",)", ""), "message.election_info.duration");
        expect_bad_field(with(docs, R"("time": "1564935350664",)", ""), "time: missing");
    }
    SECTION("message must be an object") {
        expect_bad_field(R"({"topic": "confirmation", "time": "1", "message": "x"})", "message");
    }
    SECTION("huge numbers") {
        expect_bad_field(
            with(docs, "15621963968634827029081574961", "340282366920938463463374607431768211456"),
            "message.amount");
        expect_bad_field(with(docs, "1564935350664", "18446744073709551616"), "time");
        expect_bad_field(with(docs, "1564935350664", std::string(400, '9')), "time");
        expect_bad_field(
            with(docs, R"("balance": "0")", R"("balance": "-1")"), "message.block.balance");
        expect_bad_field(
            with(docs, R"("balance": "0")", R"("balance": "00")"), "message.block.balance");
    }
    SECTION("wrong-length hex") {
        expect_bad_field(
            with(
                docs,
                "4E9003ABD469D1F58A70518234016797FA654B494A2627B8583052629A91689E",
                "4E9003ABD469D1F58A70518234016797FA654B494A2627B8583052629A91689"),
            "message.block.previous");
        expect_bad_field(with(docs, "1D3ADAF705\"", "1D3ADAF70\""), "message.block.signature");
        expect_bad_field(with(docs, "c950fc037d61e372", "c950fc037d61e3720"), "message.block.work");
        expect_bad_field(with(docs, "c950fc037d61e372", ""), "message.block.work");
        expect_bad_field(with(docs, "c950fc037d61e372", "c950fc037d61e37g"), "message.block.work");
    }
    SECTION("bad address checksums") {
        expect_bad_field(
            with(
                docs,
                R"("account": "nano_1tgkjkq9r96zd3pkr7edj8e4qbu3wr3ps6ettzse8hmoa37nurua7faupjhc")",
                R"("account": "nano_1tgkjkq9r96zd3pkr7edj8e4qbu3wr3ps6ettzse8hmoa37nurua7faupjhd")"),
            "message.account");
        expect_bad_field(with(docs, "xzx4491or", "xzx4491ot"), "message.block.representative");
    }
    SECTION("link_as_account must encode link") {
        expect_bad_field(
            with(
                docs, "nano_1e6rym1f5p7xj4fh1y8fzy1ym1orxymffp9tx7cey58whakprhwdzuk533th", genesis),
            "message.block.link_as_account");
    }
    SECTION("block account must equal message account") {
        const std::string block_account
            = R"("account": "nano_1tgkjkq9r96zd3pkr7edj8e4qbu3wr3ps6ettzse8hmoa37nurua7faupjhc",
      "previous")";
        expect_bad_field(
            with(
                docs, block_account, std::string(R"("account": ")") + genesis + R"(", "previous")"),
            "message.hash"); // the account is hashed, so the hash check fires first
    }
    SECTION("unknown enumerations") {
        expect_bad_field(
            with(docs, R"("active_quorum")", R"("quorum")"), "message.confirmation_type");
        expect_bad_field(
            with(docs, R"("subtype": "send")", R"("subtype": "sent")"), "message.block.subtype");
        expect_bad_field(
            with(docs, R"("type": "state")", R"("type": "utx")"), "message.block.type");
    }
    SECTION("votes must be an array or \"\"") {
        const std::string full = fixture("ws_confirmation_full.json");
        const auto pos = full.find(R"("votes": [)");
        REQUIRE(pos != std::string::npos);
        expect_bad_field(
            with(full, R"("votes": [)", R"("votes": "x", "ignored": [)"),
            "message.election_info.votes");
        expect_bad_field(
            with(
                full,
                R"("timestamp": "18446744073709551615")",
                R"("timestamp": "18446744073709551616")"),
            "message.election_info.votes[0].timestamp");
    }
    SECTION("linked_account must be an address or \"0\"") {
        const std::string full = fixture("ws_confirmation_full.json");
        expect_bad_field(
            with(full, R"("linked_account": "nano_1e6rym)", R"("linked_account": "nano_1e6ryn)"),
            "message.block.linked_account");
    }
}

// ---- vote -------------------------------------------------------------------------------------

TEST_CASE("nano ws: vote: decimal signature becomes 128 hex", "[nano][ws]") {
    const auto v = decode_as<nano::vote>(fixture("ws_vote.json"));
    CHECK(v.time_ms == 1554995525343ULL);
    CHECK(v.account == "nano_1n5aisgwmq1oibg8c7aerrubboccp3mfcjgm8jaas1fwhxmcndaf4jrt75fy");
    const std::string decimal = "195070079691489370565778994490610764248034312430520291015247152045"
                                "04568817225459678295023696"
                                "30995363643731706156278026749554294222131169148120786048025353";
    const auto bytes = nano::parse_decimal_u512(decimal);
    REQUIRE(bytes);
    CHECK(v.signature == schema::hex_upper(*bytes));
    CHECK(v.signature.size() == 128);
    CHECK(nano::format_decimal_u512(*schema::parse_hex64(v.signature)) == decimal);
    CHECK(v.timestamp == 1554995525136ULL);
    CHECK_FALSE(v.is_final);
    CHECK(v.duration == 9);
    REQUIRE(v.blocks.size() == 1);
    CHECK(v.blocks[0] == "6FB9DE5D7908DEB8A2EA391AEA95041587CBF3420EF8A606F1489FECEE75C869");
    CHECK(v.type == nano::vote_type::vote);
}

TEST_CASE("nano ws: vote: final vote, replay, several hashes", "[nano][ws]") {
    const auto v = decode_as<nano::vote>(fixture("ws_vote_final.json"));
    CHECK(v.is_final);
    CHECK(v.timestamp == std::numeric_limits<std::uint64_t>::max());
    CHECK(v.duration == 15);
    CHECK(v.signature == std::string(128, '0'));
    CHECK(v.blocks.size() == 2);
    CHECK(v.type == nano::vote_type::replay);
}

TEST_CASE("nano ws: vote: V21 form with only sequence and no duration", "[nano][ws]") {
    const auto v = decode_as<nano::vote>(fixture("ws_vote_v21.json"));
    CHECK(v.timestamp == 855471574);
    CHECK_FALSE(v.duration);
    CHECK(v.type == nano::vote_type::replay);
}

TEST_CASE("nano ws: vote: hostile fields", "[nano][ws]") {
    const std::string vote = fixture("ws_vote.json");
    const std::string hash = "\"6FB9DE5D7908DEB8A2EA391AEA95041587CBF3420EF8A606F1489FECEE75C869\"";
    std::string many = hash;
    for (int i = 1; i < 256; ++i) {
        many += ", " + hash;
    }
    expect_bad_field(with(vote, hash, many), "message.blocks: expected 1..255 hashes, got 256");
    std::string max_ok = hash;
    for (int i = 1; i < 255; ++i) {
        max_ok += ", " + hash;
    }
    CHECK(decode_as<nano::vote>(with(vote, hash, max_ok)).blocks.size() == 255);
    expect_bad_field(
        with(vote, "[\n            " + hash + "\n        ]", "\"\""), "message.blocks");
    expect_bad_field(with(vote, "[\n            " + hash + "\n        ]", "[]"), "message.blocks");
    expect_bad_field(with(vote, hash, "{\"type\": \"state\"}"), "message.blocks[0]");
    expect_bad_field(with(vote, hash, "\"6FB9\""), "message.blocks[0]");
    expect_bad_field(with(vote, R"("duration": "9")", R"("duration": "16")"), "message.duration");
    expect_bad_field(with(vote, R"("type": "vote")", R"("type": "Vote")"), "message.type");
    expect_bad_field(
        with(
            vote,
            "\"195070079691489370565778994490610764248034312430520291015247152045045688172254596782"
            "9502369630995363643731706156278026749554294222131169148120786048025353\"",
            std::string("\"") + signature_hex + "\""),
        "message.signature");
    expect_bad_field(
        with(
            vote,
            "\"195070079691489370565778994490610764248034312430520291015247152045045688172254596782"
            "9502369630995363643731706156278026749554294222131169148120786048025353\"",
            concat({"\"", std::string(155, '9'), "\""})),
        "message.signature");
    const std::string no_time = with(
        with(vote, R"("sequence": "1554995525136",)", ""), R"("timestamp": "1554995525136",)", "");
    expect_bad_field(no_time, "message.timestamp: missing");
}

// ---- elections, telemetry ---------------------------------------------------------------------

TEST_CASE("nano ws: started_election and stopped_election", "[nano][ws]") {
    const auto started = decode_as<nano::election>(fixture("ws_started_election.json"));
    CHECK(started.event == nano::election_event::started);
    CHECK(started.time_ms == 1674765709226ULL);
    CHECK(started.hash == "FD8639F0AD19895B1A3A430DD5B4DCA5A2F713E7DD1CC8DCD5E90D5AE2BCA835");
    const auto stopped = decode_as<nano::election>(fixture("ws_stopped_election.json"));
    CHECK(stopped.event == nano::election_event::stopped);
    CHECK(stopped.hash == "FA6D344ECAB2C5E1C04E62B2BC6EE072938DD47530AB26E0D5A9A384302FBEB3");
    expect_bad_field(
        with(fixture("ws_stopped_election.json"), R"("hash": ")", R"("hash": "Z)"), "message.hash");
}

TEST_CASE("nano ws: telemetry: current sample with newer fields", "[nano][ws]") {
    const auto t = decode_as<nano::telemetry>(fixture("ws_telemetry.json"));
    CHECK(t.time_ms == 1594654710305ULL);
    CHECK(t.block_count == 51571901);
    CHECK(t.cemented_count == 51571901);
    CHECK(t.unchecked_count == 0);
    CHECK(t.account_count == 1376750);
    CHECK(t.bandwidth_cap == 10485760);
    CHECK(t.peer_count == 261);
    CHECK(t.protocol_version == 18);
    CHECK(t.uptime == 1223618);
    CHECK(t.genesis_block == "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948");
    CHECK(t.major_version == 21);
    CHECK(t.minor_version == 0);
    CHECK(t.patch_version == 0);
    CHECK(t.pre_release_version == 0);
    CHECK(t.maker == 0);
    CHECK(t.timestamp == 1594654710521ULL);
    CHECK(t.active_difficulty == "ffffffc000000000");
    CHECK(t.node_id == "node_3cczh431wuh5gg64jen6a658xewpx7eiyfqn7f8gpdcfp786s7xdb51kr1rp");
    CHECK(t.signature.size() == 128);
    CHECK(t.address == "::ffff:139.180.168.194");
    CHECK(t.port == 7075);
    CHECK(t.database_backend == "lmdb");
    CHECK(t.confirmation_latency_ms_p99 == "1205");
    CHECK(t.bootstrap_status == "idle");
}

TEST_CASE("nano ws: telemetry: V21.0 sample with a hex node_id", "[nano][ws]") {
    const auto t = decode_as<nano::telemetry>(fixture("ws_telemetry_v21.json"));
    CHECK(t.node_id == "node_1pf6acwmriu49ts71erc88rojoyzkzqukfktqd83o71pkt9xss8dhimaoqoo");
    CHECK_FALSE(t.active_difficulty);
    CHECK_FALSE(t.database_backend);
    CHECK(t.port == 54000);
}

TEST_CASE("nano ws: telemetry: ranges and formats", "[nano][ws]") {
    const std::string t = fixture("ws_telemetry.json");
    expect_bad_field(
        with(t, R"("port": "7075")", R"("port": "65536")"), "message.port: out of range");
    expect_bad_field(
        with(t, R"("major_version": "21")", R"("major_version": "256")"), "message.major_version");
    expect_bad_field(
        with(t, R"("peer_count": "261")", R"("peer_count": "4294967296")"), "message.peer_count");
    expect_bad_field(with(t, "kr1rp\"", "kr1rq\""), "message.node_id");
    expect_bad_field(
        with(t, R"("address": "::ffff:139.180.168.194")", R"("address": "")"), "message.address");
    expect_bad_field(
        with(t, R"("block_count": "51571901")", R"("block_count": 51571901)"),
        "message.block_count");
    // Unknown extra keys of any type are ignored.
    const auto extra = decode_as<nano::telemetry>(with(
        t,
        R"("maker": "0",)",
        R"("maker": "0", "future_field": {"x": [1, 2]}, "confirmation_latency_ms_p50": 254,)"));
    CHECK_FALSE(extra.confirmation_latency_ms_p50);
}

// ---- new_unconfirmed_block ----------------------------------------------------------------------

TEST_CASE("nano ws: new_unconfirmed_block: V28 top-level hash verified", "[nano][ws]") {
    const auto u = decode_as<nano::unconfirmed_block>(fixture("ws_new_unconfirmed_block.json"));
    CHECK(u.time_ms == 1766522219507ULL);
    CHECK(u.hash == "8FFD259D1C512D950EE6478C80EF01BE72DCF6AABAE3CFAECAE69BCF40BB4C02");
    CHECK(u.block.hash == u.hash);
    CHECK(u.block.subtype == nano::block_subtype::send);
    CHECK(u.block.account == "nano_1tipnanogsu7q59pnie3qfc4w378wm43fg4ksqc8wmnnfnizrq1xrpt5geho");
    CHECK(u.block.work == "64277ffb135de20c");
    CHECK(schema::format_u128(*u.block.balance) == "117650323123112288832984294209891");
}

TEST_CASE("nano ws: new_unconfirmed_block: V21 form gets its hash computed", "[nano][ws]") {
    const auto u = decode_as<nano::unconfirmed_block>(fixture("ws_new_unconfirmed_block_v21.json"));
    CHECK(u.hash == "1D08850B16FF9B49490F4E2403A7ED0B09D028D36D6C9EA08F7EDCCB36ADAF93");
    CHECK(u.block.subtype == nano::block_subtype::receive);
}

TEST_CASE("nano ws: new_unconfirmed_block: hostile", "[nano][ws]") {
    const std::string u = fixture("ws_new_unconfirmed_block.json");
    expect_bad_field(
        with(
            u,
            "8FFD259D1C512D950EE6478C80EF01BE72DCF6AABAE3CFAECAE69BCF40BB4C02",
            "8FFD259D1C512D950EE6478C80EF01BE72DCF6AABAE3CFAECAE69BCF40BB4C03"),
        "hash: does not match");
    expect_bad_field(
        with(
            u,
            R"(,
        "subtype": "send")",
            ""),
        "message.subtype: missing");
    expect_bad_field(with(u, R"("hash": "8FFD)", R"("hash": "8FF)"), "hash");
    const auto legacy = decode_as<nano::unconfirmed_block>(
        R"({"topic": "new_unconfirmed_block", "time": "5", "message": {"type": "receive", )"
        R"("previous": "67022ABE190D5C1E42F32F14EEBD3E25A36CA26B00BF1D038AE86055CCD105F5", )"
        R"("source": "ED9554BD4D0F3BDCC8A7BDED5DEF09C503F4E94EF3698047441EFBBCC0D241F7", )"
        R"("work": "0000000000000001", "signature": ")"
        + std::string(signature_hex) + R"(", "subtype": "change"}})");
    CHECK(legacy.hash == "49876A7B00159C2F6EEB33BEAEE07FC637F4A29DD9631DFFD3DA015DE2165FE6");
    CHECK(legacy.block.account.empty());
    CHECK(legacy.block.subtype == nano::block_subtype::change);
}

// ---- work, bootstrap, active_difficulty, ack
// ------------------------------------------------------

TEST_CASE("nano ws: work: success and cancelled", "[nano][ws]") {
    const auto ok = decode_as<nano::work>(fixture("ws_work_success.json"));
    CHECK(ok.success);
    CHECK(ok.reason.empty());
    CHECK(ok.duration_ms == 306);
    CHECK(ok.request.version == "work_1");
    CHECK(ok.request.hash == "3ECE2684044C0EAF2CA6B1C72F11AFC5B5A75C00CFF993FB17B6E75F78ABF175");
    CHECK(ok.request.difficulty == "ffffff999999999a");
    CHECK(ok.request.multiplier == "10.000000000009095");
    REQUIRE(ok.result);
    CHECK(ok.result->source == "192.168.1.101:7000");
    CHECK(ok.result->work == "4352c6e222703c57");
    CHECK(ok.result->difficulty == "ffffffd2ca03b921");
    CHECK(ok.result->multiplier == "22.649415016750655");
    CHECK(ok.bad_peers.empty());

    const auto cancelled = decode_as<nano::work>(fixture("ws_work_cancelled.json"));
    CHECK_FALSE(cancelled.success);
    CHECK(cancelled.reason == "cancelled");
    CHECK_FALSE(cancelled.request.version);
    CHECK_FALSE(cancelled.result);
    REQUIRE(cancelled.bad_peers.size() == 1);
    CHECK(cancelled.bad_peers[0] == "192.168.1.101:7000");

    const std::string w = fixture("ws_work_success.json");
    expect_bad_field(with(w, R"("success": "true")", R"("success": true)"), "message.success");
    expect_bad_field(with(w, R"("success": "true")", R"("success": "yes")"), "message.success");
    expect_bad_field(with(w, R"("10.000000000009095")", R"("ten")"), "message.request.multiplier");
    expect_bad_field(with(w, R"("bad_peers": "")", R"("bad_peers": "x")"), "message.bad_peers");
    expect_bad_field(with(w, R"("bad_peers": "")", R"("bad_peers": [1])"), "message.bad_peers[0]");
    expect_bad_field(
        with(w, R"("work": "4352c6e222703c57")", R"("work": "4352c6e222703c57ff")"),
        "message.result.work");
}

TEST_CASE("nano ws: bootstrap: started, exited, escaped slash", "[nano][ws]") {
    const auto started = decode_as<nano::bootstrap>(fixture("ws_bootstrap_started.json"));
    CHECK(started.reason == nano::bootstrap_reason::started);
    CHECK(started.id == "C9FF2347C4DF512A7F6B514CC4A0F79A");
    CHECK(started.mode == "legacy");
    CHECK_FALSE(started.total_blocks);
    const auto exited = decode_as<nano::bootstrap>(fixture("ws_bootstrap_exited.json"));
    CHECK(exited.reason == nano::bootstrap_reason::exited);
    CHECK(exited.total_blocks == 1000000U);
    CHECK(exited.duration_s == 500U);
    // The node escapes '/' as "\/".
    const auto escaped = decode_as<nano::bootstrap>(
        with(fixture("ws_bootstrap_started.json"), R"("legacy")", R"("legacy\/lazy")"));
    CHECK(escaped.mode == "legacy/lazy");
    expect_bad_field(
        with(fixture("ws_bootstrap_started.json"), R"("started")", R"("begun")"), "message.reason");
}

TEST_CASE("nano ws: active_difficulty (V20-V21)", "[nano][ws]") {
    const auto a = decode_as<nano::active_difficulty>(fixture("ws_active_difficulty.json"));
    CHECK(a.time_ms == 1561661736065ULL);
    CHECK(a.network_minimum == "ffffffc000000000");
    CHECK(a.network_current == "ffffffc81644d01f");
    CHECK(a.multiplier == "1.144635159892734");
    CHECK_FALSE(a.network_receive_current);
    const std::string text = fixture("ws_active_difficulty.json");
    const auto receive = decode_as<nano::active_difficulty>(with(
        text,
        R"("multiplier")",
        R"("network_receive_current": "FFFFFFC000000000", "network_receive_minimum": "1", "multiplier")"));
    CHECK(receive.network_receive_current == "ffffffc000000000");
    CHECK(receive.network_receive_minimum == "0000000000000001");
    expect_bad_field(
        with(text, R"("ffffffc81644d01f")", R"("ffffffc81644d01f0")"), "message.network_current");
    expect_bad_field(
        with(text, R"("1.144635159892734")", R"(1.144635159892734)"), "message.multiplier");
    expect_bad_field(
        with(text, R"("1.144635159892734")", R"("1.1.4")"), "message.multiplier: not a decimal");
    expect_bad_field(
        with(text, R"("network_minimum": "ffffffc000000000",)", ""),
        "message.network_minimum: missing");
}

TEST_CASE("nano ws: ack: subscribe with id, pong without", "[nano][ws]") {
    const auto sub = decode_as<nano::ack>(fixture("ws_ack_subscribe.json"));
    CHECK(sub.action == nano::ack_action::subscribe);
    CHECK(sub.id == "ledgertap-confirmation-1");
    CHECK(sub.time_ms == 1564935350664ULL);
    const auto pong = decode_as<nano::ack>(fixture("ws_ack_pong.json"));
    CHECK(pong.action == nano::ack_action::pong);
    CHECK_FALSE(pong.id);
    CHECK(
        decode_as<nano::ack>(R"({"ack": "unsubscribe", "time": "1"})").action
        == nano::ack_action::unsubscribe);
    CHECK(
        decode_as<nano::ack>(R"({"ack": "update", "time": "1"})").action
        == nano::ack_action::update);
    expect_bad_field(R"({"ack": "ping", "time": "1"})", "ack");
    expect_bad_field(R"({"ack": "subscribe"})", "time: missing");
    expect_bad_field(R"({"ack": true, "time": "1"})", "ack");
    expect_bad_field(R"({"ack": "pong", "time": "1", "id": 7})", "id");
}

// ---- envelope and hostile input
// -------------------------------------------------------------------

TEST_CASE("nano ws: envelope: unknown topics and shapes", "[nano][ws]") {
    auto error = error_of(R"({"topic": "confirmations", "time": "1", "message": {}})");
    CHECK(error.code == decode_errc::unexpected_shape);
    CHECK_THAT(error.detail, Contains("confirmations"));
    error = error_of(R"({"time": "1", "message": {}})");
    CHECK(error.code == decode_errc::unexpected_shape);
    for (const char* not_object : {"[]", "\"x\"", "5", "null", "true", "[{\"topic\": \"vote\"}]"}) {
        CHECK(error_of(not_object).code == decode_errc::unexpected_shape);
    }
    expect_bad_field(R"({"topic": 5, "time": "1", "message": {}})", "topic");
    expect_bad_field(R"({"topic": "vote", "time": "1"})", "message: missing");
}

TEST_CASE("nano ws: hostile input never crashes", "[nano][ws]") {
    SECTION("empty and blank input") {
        CHECK(error_of("").code == decode_errc::malformed_json);
        CHECK(error_of("   \n").code == decode_errc::malformed_json);
    }
    SECTION("every truncation of a valid message fails cleanly") {
        const std::string full = fixture("ws_confirmation_full.json");
        // Trailing whitespace does not matter; everything shorter than the last '}' must fail.
        const auto last = full.rfind('}');
        for (std::size_t n = 0; n <= last; ++n) {
            const auto result = nano::decode_ws_message(std::string_view(full).substr(0, n));
            CHECK_FALSE(result.ok());
        }
        CHECK(nano::decode_ws_message(std::string_view(full).substr(0, last + 1)).ok());
    }
    SECTION("NUL bytes") {
        const std::string docs = fixture("ws_confirmation_docs.json");
        CHECK(error_of(docs + std::string(1, '\0')).code == decode_errc::malformed_json);
        CHECK(error_of(docs + std::string("\0garbage", 8)).code == decode_errc::malformed_json);
        std::string inside = docs;
        inside[inside.find("active_quorum")] = '\0';
        CHECK(error_of(inside).code == decode_errc::malformed_json);
        // An escaped NUL is valid JSON but never a valid Nano value.
        expect_bad_field(
            with(docs, R"("active_quorum")", R"("active\u0000quorum")"),
            "message.confirmation_type");
        expect_bad_field(
            with(fixture("ws_bootstrap_started.json"), R"("legacy")", R"("leg\u0000acy")"),
            "message.mode: contains a NUL");
    }
    SECTION("10,000-deep nesting") {
        const std::string deep = std::string(10000, '[') + std::string(10000, ']');
        CHECK(error_of(deep).code == decode_errc::too_large);
        std::string deep_objects;
        for (int i = 0; i < 10000; ++i) {
            deep_objects += R"({"a":)";
        }
        deep_objects += concat({"1", std::string(10000, '}')});
        CHECK(error_of(deep_objects).code == decode_errc::too_large);
        const std::string in_message = concat(
            {R"({"topic": "confirmation", "time": "1", "message": )",
             std::string(10000, '['),
             std::string(10000, ']'),
             "}"});
        CHECK(error_of(in_message).code == decode_errc::too_large);
        // Unbalanced deep nesting (truncated) is also rejected without recursion.
        CHECK_FALSE(nano::decode_ws_message(std::string(100000, '[')).ok());
    }
    SECTION("brackets inside strings do not count as nesting") {
        const auto b = decode_as<nano::bootstrap>(with(
            fixture("ws_bootstrap_started.json"),
            R"("legacy")",
            concat({"\"", std::string(1000, '['), "\\\"", std::string(1000, '{'), "\""})));
        CHECK(b.mode.size() == 2001);
    }
    SECTION("invalid UTF-8 and trailing garbage") {
        CHECK(
            error_of(with(fixture("ws_bootstrap_started.json"), "legacy", "leg\xff\xfe")).code
            == decode_errc::malformed_json);
        CHECK(error_of(fixture("ws_ack_pong.json") + "{}").code == decode_errc::malformed_json);
    }
    SECTION("duplicate keys: the first wins, consistently") {
        const auto a = decode_as<nano::ack>(R"({"ack": "pong", "ack": "subscribe", "time": "1"})");
        CHECK(a.action == nano::ack_action::pong);
    }
}

TEST_CASE("nano ws: a number with hundreds of zeros decodes, found by fuzzing", "[nano][ws]") {
    // RapidJSON's full-precision strtod read out of bounds (a crash without ASan) on this frame.
    const std::string zeros(430, '0');
    CHECK(error_of("{\n \"Hu1cess\":0." + zeros + "}").code == decode_errc::unexpected_shape);
    // In an ignored member of a real message, the message still decodes.
    const auto c = decode_as<nano::confirmation>(with(
        fixture("ws_confirmation_docs.json"), R"("topic")", "\"extra\":0." + zeros + "1,\"topic\""));
    CHECK(c.type == nano::confirmation_type::active_quorum);
}
