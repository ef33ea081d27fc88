// Nano RPC decoders: fixtures tests/data/nano/rpc_*.json (node docs samples and chains whose hashes
// verify), node errors versus malformed responses, and hostile input. Public functions only.

#include "schema/codec.hpp"
#include "schema/nano_rpc.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
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

std::string with(std::string text, std::string_view from, std::string_view to) {
    const auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    text.replace(pos, from.size(), to);
    return text;
}

template<typename T>
const T& result_of(const nano::rpc_result<T>& r) {
    if (!r.ok()) {
        FAIL("decode failed: " << r.error().detail);
    }
    REQUIRE_FALSE(r.value().is_error());
    return r.value().result();
}

template<typename T>
void expect_bad_field(const nano::rpc_result<T>& r, const std::string& field) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == decode_errc::bad_field);
    CHECK_THAT(r.error().detail, Contains(field));
}

constexpr const char* info_hash
    = "87434F8041869A01C8F6F263B87972D7BA443A72E0A97D7A3FD0CCC2358FD6F9";
constexpr const char* info_account
    = "nano_1ipx847tk8o46pwxt5qjdbncjqcbwcc1rrmqnkztrfjy5k7z4imsrata9est";
constexpr const char* genesis = "nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3";
const std::string zeros(64, '0');

} // namespace

// ---- block_info
// ------------------------------------------------------------------------------------

TEST_CASE(
    "nano rpc: block_info: docs sample, hash verified against the requested hash", "[nano][rpc]") {
    const auto r = nano::decode_block_info(fixture("rpc_block_info.json"), info_hash);
    const auto& info = result_of(r);
    CHECK(info.hash == info_hash);
    CHECK(info.block_account == info_account);
    REQUIRE(info.amount);
    CHECK(schema::format_u128(*info.amount) == "30000000000000000000000000000000000");
    CHECK(schema::format_u128(info.balance) == "5606157000000000000000000000000000000");
    CHECK(info.height == 58);
    CHECK(info.local_timestamp == 0);
    CHECK(info.successor == "8D3AB98B301224253750D448B4BD997132400CEDD0A8432F775724F2D9821C72");
    CHECK(info.confirmed);
    CHECK(info.contents.hash == info_hash);
    CHECK(info.contents.type == nano::block_type::state);
    CHECK(info.contents.subtype == nano::block_subtype::send);
    CHECK(info.contents.account == info_account);
    CHECK(info.contents.work == "8a142e07a10996d5");
    CHECK_FALSE(info.receivable);
    CHECK_FALSE(info.linked_account);

    // The requested hash may be lowercase.
    std::string lower = info_hash;
    for (auto& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    CHECK(nano::decode_block_info(fixture("rpc_block_info.json"), lower).ok());
}

TEST_CASE("nano rpc: block_info: contents as a JSON string (json_block=false)", "[nano][rpc]") {
    const auto r
        = nano::decode_block_info(fixture("rpc_block_info_string_contents.json"), info_hash);
    const auto& info = result_of(r);
    CHECK(info.contents.hash == info_hash);
    CHECK(info.contents.subtype == nano::block_subtype::send);
    // A broken JSON string is a clear error naming contents.
    expect_bad_field(
        nano::decode_block_info(
            with(
                fixture("rpc_block_info_string_contents.json"),
                R"(\"type\": \"state\",)",
                R"(\"type\": )"),
            info_hash),
        "contents");
    expect_bad_field(
        nano::decode_block_info(
            with(
                fixture("rpc_block_info_string_contents.json"),
                R"(\"balance\": \"5606157)",
                R"(\"balance\": \"x5606157)"),
            info_hash),
        "contents.balance");
}

TEST_CASE("nano rpc: block_info: verification failures", "[nano][rpc]") {
    const std::string text = fixture("rpc_block_info.json");
    SECTION("returned under another hash") {
        expect_bad_field(
            nano::decode_block_info(
                text, "0000000000000000000000000000000000000000000000000000000000000001"),
            "contents: computed hash 87434F80");
    }
    SECTION("tampered contents") {
        // Unknown extra keys are ignored; a changed hashed field is caught.
        CHECK(nano::decode_block_info(
                  with(
                      text,
                      R"("work": "8a142e07a10996d5")",
                      R"("work": "8a142e07a10996d5", "x": "y")"),
                  info_hash)
                  .ok());
        expect_bad_field(
            nano::decode_block_info(
                with(
                    text,
                    "CE898C131AAEE25E05362F247760F8A3ACF34A9796A5AE0D9204E86B0637965E",
                    "CE898C131AAEE25E05362F247760F8A3ACF34A9796A5AE0D9204E86B0637965F"),
                info_hash),
            "contents: computed hash");
    }
    SECTION("top-level fields inconsistent with contents") {
        expect_bad_field(
            nano::decode_block_info(
                with(
                    text,
                    R"("balance": "5606157000000000000000000000000000000",)",
                    R"("balance": "1",)"),
                info_hash),
            "balance: differs");
        expect_bad_field(
            nano::decode_block_info(
                with(
                    text,
                    std::string(R"("block_account": ")") + info_account,
                    std::string(R"("block_account": ")") + genesis),
                info_hash),
            "block_account: differs");
    }
    SECTION("bad requested hash") {
        expect_bad_field(nano::decode_block_info(text, "87434F80"), "requested hash");
    }
    SECTION("mistyped and missing fields") {
        expect_bad_field(
            nano::decode_block_info(with(text, R"("height": "58")", R"("height": 58)"), info_hash),
            "height");
        expect_bad_field(
            nano::decode_block_info(
                with(text, R"("confirmed": "true")", R"("confirmed": "yes")"), info_hash),
            "confirmed");
        expect_bad_field(
            nano::decode_block_info(
                with(text, R"("subtype": "send")", R"("subtype": "spend")"), info_hash),
            "subtype");
        expect_bad_field(
            nano::decode_block_info(
                with(text, R"("contents": {)", R"("contents": 5, "c": {)"), info_hash),
            "contents: expected an object");
    }
}

TEST_CASE("nano rpc: block_info: node error is a value, not a decode error", "[nano][rpc]") {
    const auto r = nano::decode_block_info(fixture("rpc_error_block_not_found.json"), info_hash);
    REQUIRE(r.ok());
    REQUIRE(r.value().is_error());
    CHECK(r.value().error().message == nano::rpc_message::block_not_found);
    // An `error` that is not a string is a malformed response.
    expect_bad_field(nano::decode_block_info(R"({"error": 5})", info_hash), "error");
}

// ---- blocks_info
// -----------------------------------------------------------------------------------

TEST_CASE(
    "nano rpc: blocks_info: state block with every option, and blocks_not_found", "[nano][rpc]") {
    const auto r = nano::decode_blocks_info(fixture("rpc_blocks_info.json"));
    const auto& info = result_of(r);
    REQUIRE(info.blocks.size() == 1);
    const auto& b = info.blocks[0];
    CHECK(b.hash == info_hash);
    CHECK(b.contents.hash == info_hash);
    CHECK(b.linked_account == "nano_1qato4k7z3spc8gq1zyd8xeqfbzsoxwo36a45ozbrxcatut7up8ohyardu1z");
    CHECK(b.receivable == false);
    CHECK(b.receive_hash == zeros);
    CHECK_FALSE(b.source_account);
    REQUIRE(info.blocks_not_found.size() == 1);
    CHECK(
        info.blocks_not_found[0]
        == "0000000000000000000000000000000000000000000000000000000000000001");
}

TEST_CASE(
    "nano rpc: blocks_info: legacy send (hex balance in contents) and legacy open", "[nano][rpc]") {
    const auto r = nano::decode_blocks_info(fixture("rpc_blocks_info_legacy.json"));
    const auto& info = result_of(r);
    REQUIRE(info.blocks.size() == 2);
    const auto& send = info.blocks[0];
    CHECK(send.contents.type == nano::block_type::send);
    CHECK(send.contents.hash == "A170D51B94E00371ACE76E35AC81DC9405D5D04D4CEBC399AEACE07AE05DD293");
    CHECK(send.contents.account == genesis);
    CHECK(schema::format_u128(send.balance) == "337010421085160209006996005437231978653");
    CHECK(send.contents.subtype == nano::block_subtype::none);
    const auto& open = info.blocks[1];
    CHECK(open.contents.type == nano::block_type::open);
    CHECK(open.contents.hash == "90D0C16AC92DD35814E84BFBCC739A039615D0A42A76EF44ADAEF1D99E9F8A35");
    CHECK(
        open.contents.account
        == "nano_13ezf4od79h1tgj9aiu4djzcmmguendtjfuhwfukhuucboua8cpoihmh8byo");
    CHECK_FALSE(open.confirmed);
    CHECK(open.source_account == genesis);
    CHECK(info.blocks_not_found.empty());
}

TEST_CASE("nano rpc: blocks_info: nothing found, \"\" for blocks", "[nano][rpc]") {
    const auto r = nano::decode_blocks_info(fixture("rpc_blocks_info_none_found.json"));
    const auto& info = result_of(r);
    CHECK(info.blocks.empty());
    REQUIRE(info.blocks_not_found.size() == 2);
    CHECK(info.blocks_not_found[1] == info_hash); // normalised to uppercase
}

TEST_CASE("nano rpc: blocks_info: a block under the wrong key is rejected", "[nano][rpc]") {
    const std::string text = fixture("rpc_blocks_info.json");
    expect_bad_field(
        nano::decode_blocks_info(with(
            text,
            std::string("\"") + info_hash + "\": {",
            R"("87434F8041869A01C8F6F263B87972D7BA443A72E0A97D7A3FD0CCC2358FD6F8": {)")),
        "blocks.87434F8041869A01C8F6F263B87972D7BA443A72E0A97D7A3FD0CCC2358FD6F8.contents");
    expect_bad_field(
        nano::decode_blocks_info(
            with(text, std::string("\"") + info_hash + "\": {", R"("nothex": {)")),
        "blocks.nothex");
    expect_bad_field(
        nano::decode_blocks_info(R"({"blocks": [], "blocks_not_found": ""})"), "blocks");
    expect_bad_field(nano::decode_blocks_info(R"({"blocks": "x"})"), "blocks");
    expect_bad_field(
        nano::decode_blocks_info(R"({"blocks": "", "blocks_not_found": ["01"]})"),
        "blocks_not_found[0]");
    expect_bad_field(
        nano::decode_blocks_info(with(text, R"("receivable": "0")", R"("receivable": "2")")),
        ".receivable");
    expect_bad_field(
        nano::decode_blocks_info(
            with(text, R"("source_account": "0")", R"("source_account": "nano_1")")),
        ".source_account");
    expect_bad_field(nano::decode_blocks_info(R"({"blocks_not_found": ""})"), "blocks: missing");
}

// ---- chain, successors
// ---------------------------------------------------------------------------------

TEST_CASE("nano rpc: chain and successors", "[nano][rpc]") {
    const auto chain = nano::decode_chain(fixture("rpc_chain.json"));
    const auto& hashes = result_of(chain).blocks;
    REQUIRE(hashes.size() == 3);
    CHECK(hashes[0] == "82BD8851DDF66FC9AABF6DACCFAD62578DD86C89F06CE6AEB28FC2A61F96CFDD");
    CHECK(hashes[2] == "FC5A7FB777110A858052468D448B2DF22B648943C097C0608D1E2341007438B0");
    const auto successors = nano::decode_successors(fixture("rpc_successors.json"));
    REQUIRE(result_of(successors).blocks.size() == 1);
    CHECK(
        result_of(successors).blocks[0]
        == "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948");
    CHECK(result_of(nano::decode_chain(fixture("rpc_chain_unknown_block.json"))).blocks.empty());
    const auto invalid = nano::decode_chain(R"({"error": "Invalid count"})");
    REQUIRE(invalid.ok());
    CHECK(invalid.value().error().message == "Invalid count");
    expect_bad_field(nano::decode_chain(R"({"blocks": ["82BD"]})"), "blocks[0]");
    expect_bad_field(nano::decode_chain(R"({"blocks": [5]})"), "blocks[0]");
    expect_bad_field(nano::decode_successors(R"({"blocks": {}})"), "blocks");
    expect_bad_field(nano::decode_successors(R"({})"), "blocks: missing");
}

// ---- account_info
// ----------------------------------------------------------------------------------------

TEST_CASE("nano rpc: account_info: confirmation_height spelling", "[nano][rpc]") {
    const auto r = nano::decode_account_info(fixture("rpc_account_info.json"));
    const auto& a = result_of(r);
    CHECK(a.frontier == "FF84533A571D953A596EA401FD41743AC85D04F406E76FDE4408EAED50B473C5");
    CHECK(a.open_block == "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948");
    CHECK(schema::format_u128(a.balance) == "235580100176034320859259343606608761791");
    CHECK(a.modified_timestamp == 1501793775);
    CHECK(a.block_count == 33);
    CHECK(a.account_version == 1U);
    CHECK(a.confirmed_height == 28);
    CHECK(
        a.confirmed_frontier == "34C70FCA0952E29ADC7BEE6F20381466AE42BD1CFBA4B7DFFE8BD69DF95449EB");
    CHECK(a.representative == genesis);
    REQUIRE(a.receivable);
    CHECK(schema::format_u128(*a.receivable) == "2309370929000000000000000000000000");
    CHECK_FALSE(a.confirmed_balance);
}

TEST_CASE("nano rpc: account_info: include_confirmed spelling", "[nano][rpc]") {
    const auto r = nano::decode_account_info(fixture("rpc_account_info_confirmed.json"));
    const auto& a = result_of(r);
    CHECK(a.confirmed_height == 22966);
    CHECK(
        a.confirmed_frontier == "80A6745762493FA21A22718ABFA4F635656A707B48B3324198AC7F3938DE6D4F");
    REQUIRE(a.confirmed_balance);
    CHECK(
        a.confirmed_representative
        == "nano_1gyeqc6u5j3oaxbe5qy1hyz3q745a318kh8h9ocnpan7fuxnq85cxqboapu5");
    CHECK(a.confirmed_receivable == schema::u128{0});
}

TEST_CASE("nano rpc: account_info: errors", "[nano][rpc]") {
    const auto unopened = nano::decode_account_info(R"({"error": "Account not found"})");
    REQUIRE(unopened.ok());
    CHECK(unopened.value().error().message == nano::rpc_message::account_not_found);
    const std::string text = fixture("rpc_account_info.json");
    expect_bad_field(
        nano::decode_account_info(with(text, R"("confirmation_height" : "28",)", "")),
        "confirmation_height: missing");
    expect_bad_field(
        nano::decode_account_info(
            with(text, R"("confirmation_height" : "28")", R"("confirmation_height" : "34")")),
        "confirmation_height: greater than block_count");
    expect_bad_field(
        nano::decode_account_info(with(text, "ohr3\",\n  \"weight\"", "ohr4\",\n  \"weight\"")),
        "representative");
    expect_bad_field(
        nano::decode_account_info(with(text, R"("block_count": "33")", R"("block_count": "")")),
        "block_count");
}

// ---- account_history
// -------------------------------------------------------------------------------------

TEST_CASE("nano rpc: account_history raw: state chain, hashes recomputed", "[nano][rpc]") {
    const auto r = nano::decode_account_history(fixture("rpc_account_history_raw.json"));
    const auto& h = result_of(r);
    CHECK(h.account == "nano_3igf8hd4sjshoibbbkeitmgkp1o6ug4xads43j6e4gqkj5xk5o83j8ja9php");
    REQUIRE(h.history.size() == 3);
    CHECK_FALSE(h.previous);
    const auto& change = h.history[0];
    CHECK(change.block.hash == "82BD8851DDF66FC9AABF6DACCFAD62578DD86C89F06CE6AEB28FC2A61F96CFDD");
    CHECK(change.block.subtype == nano::block_subtype::change);
    CHECK(change.block.account == h.account);
    CHECK_FALSE(change.counterparty);
    CHECK(change.height == 3);
    CHECK(change.confirmed == false);
    const auto& send = h.history[1];
    CHECK(send.block.subtype == nano::block_subtype::send);
    CHECK(send.counterparty == "nano_1q3hqecaw15cjt7thbtxu3pbzr1eihtzzpzxguoc37bj1wc5ffoh7w74gi6p");
    CHECK(send.block.link_as_account == send.counterparty);
    CHECK(send.linked_account == send.counterparty);
    CHECK(send.block.previous == h.history[2].block.hash);
    CHECK(send.block.work == "0000000000000002");
    const auto& open = h.history[2];
    CHECK(open.block.is_open());
    CHECK(open.block.hash == "FC5A7FB777110A858052468D448B2DF22B648943C097C0608D1E2341007438B0");
    CHECK(open.local_timestamp == 1700000100);
    CHECK_FALSE(open.linked_account);
}

TEST_CASE(
    "nano rpc: account_history raw: legacy send with decimal balance, paging", "[nano][rpc]") {
    const auto r = nano::decode_account_history(fixture("rpc_account_history_legacy.json"));
    const auto& h = result_of(r);
    REQUIRE(h.history.size() == 1);
    CHECK(h.history[0].block.type == nano::block_type::send);
    CHECK(
        h.history[0].block.hash
        == "A170D51B94E00371ACE76E35AC81DC9405D5D04D4CEBC399AEACE07AE05DD293");
    CHECK(h.history[0].block.account == genesis);
    CHECK(h.previous == "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948");
    CHECK_FALSE(h.next);
}

TEST_CASE("nano rpc: account_history raw: legacy open, receive and change entries", "[nano][rpc]") {
    const std::string sig(128, 'A');
    const std::string common
        = R"(, "local_timestamp": "0", "height": "1", "work": "0000000000000001", "signature": ")"
          + sig + "\"}";
    const auto history = [](const std::string& account, const std::string& entry) {
        return R"({"account": ")" + account + R"(", "history": [)" + entry + "]}";
    };
    const auto open = nano::decode_account_history(history(
        genesis,
        R"({"type": "open", "representative": "xrb_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3", )"
        R"("source": "E89208DD038FBB269987689621D52292AE9C35941A7484756ECCED92A65093BA", )"
        R"("hash": "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948")"
            + common));
    CHECK(result_of(open).history.at(0).block.previous == zeros);
    const auto receive = nano::decode_account_history(history(
        info_account,
        R"({"type": "receive", "previous": "67022ABE190D5C1E42F32F14EEBD3E25A36CA26B00BF1D038AE86055CCD105F5", )"
        R"("source": "ED9554BD4D0F3BDCC8A7BDED5DEF09C503F4E94EF3698047441EFBBCC0D241F7", )"
        R"("hash": "49876A7B00159C2F6EEB33BEAEE07FC637F4A29DD9631DFFD3DA015DE2165FE6")"
            + common));
    CHECK(result_of(receive).history.at(0).block.type == nano::block_type::receive);
    const auto change = nano::decode_account_history(history(
        info_account,
        R"({"type": "change", "previous": "F958305C0FF0551421D4ABEDCCF302079D020A0A3833E33F185E2B0415D4567A", )"
        R"("representative": "nano_18gmu6engqhgtjnppqam181o5nfhj4sdtgyhy36dan3jr9spt84rzwmktafc", )"
        R"("hash": "654FA425CEBFC9E7726089E4EDE7A105462D93DBC915FFB70B50909920A7D286")"
            + common));
    CHECK(result_of(change).history.at(0).block.link == zeros);
    // A legacy open hashes the history's account: under another account it does not verify.
    expect_bad_field(
        nano::decode_account_history(history(
            info_account,
            R"({"type": "open", "representative": "xrb_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3", )"
            R"("source": "E89208DD038FBB269987689621D52292AE9C35941A7484756ECCED92A65093BA", )"
            R"("hash": "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948")"
                + common)),
        "history[0].hash: does not match");
}

TEST_CASE("nano rpc: account_history: empty, errors and tampering", "[nano][rpc]") {
    const auto empty = nano::decode_account_history(fixture("rpc_account_history_empty.json"));
    CHECK(result_of(empty).history.empty());
    const auto not_found = nano::decode_account_history(R"({"error": "Account not found"})");
    REQUIRE(not_found.ok());
    CHECK(not_found.value().is_error());

    const std::string text = fixture("rpc_account_history_raw.json");
    expect_bad_field(
        nano::decode_account_history(with(text, R"("balance": "1")", R"("balance": "2")")),
        "history[2].hash: does not match");
    expect_bad_field(
        nano::decode_account_history(with(text, R"("height": "2")", R"("height": 2)")),
        "history[1].height");
    expect_bad_field(
        nano::decode_account_history(with(text, R"("type": "state")", R"("type": "unknown")")),
        "history[0].type: unknown (a pruned block)");
    // A non-raw history (no block fields) is recognisable.
    expect_bad_field(
        nano::decode_account_history(
            R"({"account": "nano_1ipx847tk8o46pwxt5qjdbncjqcbwcc1rrmqnkztrfjy5k7z4imsrata9est", "history": [{"type": "send", "account": "nano_1ipx847tk8o46pwxt5qjdbncjqcbwcc1rrmqnkztrfjy5k7z4imsrata9est", "amount": "1", "local_timestamp": "1", "height": "60", "hash": "80392607E85E73CC3E94B4126F24488EBDFEB174944B890C97E8F36D89591DC5", "confirmed": "true"}]})"),
        "history[0].signature: missing (account_history must be called with raw=true)");
    expect_bad_field(
        nano::decode_account_history(with(text, R"("history": [)", R"("history": "x", "h": [)")),
        "history");
    expect_bad_field(nano::decode_account_history(with(text, "j8ja9php", "j8ja9phq")), "account");
}

// ---- block_count, version, confirmation_history
// ---------------------------------------------------

TEST_CASE("nano rpc: block_count", "[nano][rpc]") {
    const auto r = nano::decode_block_count(fixture("rpc_block_count.json"));
    const auto& c = result_of(r);
    CHECK(c.count == 214104509);
    CHECK(c.unchecked == 10);
    CHECK(c.cemented == 214104500);
    CHECK_FALSE(c.full);
    const auto pruned = nano::decode_block_count(
        R"({"count": "5", "unchecked": "0", "cemented": "5", "full": "3", "pruned": "2"})");
    CHECK(result_of(pruned).pruned == 2U);
    expect_bad_field(
        nano::decode_block_count(R"({"count": "5", "unchecked": "0"})"), "cemented: missing");
    expect_bad_field(
        nano::decode_block_count(
            R"({"count": "18446744073709551616", "unchecked": "0", "cemented": "0"})"),
        "count");
    expect_bad_field(
        nano::decode_block_count(R"({"count": -5, "unchecked": "0", "cemented": "0"})"), "count");
}

TEST_CASE("nano rpc: version", "[nano][rpc]") {
    const auto r = nano::decode_version(fixture("rpc_version.json"));
    const auto& v = result_of(r);
    CHECK(v.node_vendor == "Nano V27.1");
    CHECK(v.network == "live");
    CHECK(
        v.network_identifier == "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948");
    CHECK(v.build_info->find("BOOST 108200") != std::string::npos);
    expect_bad_field(nano::decode_version(R"({"rpc_version": "1"})"), "node_vendor: missing");
    expect_bad_field(
        nano::decode_version(R"({"node_vendor": "Nano V27.1", "network_identifier": "991C"})"),
        "network_identifier");
}

TEST_CASE("nano rpc: confirmation_history", "[nano][rpc]") {
    const auto r = nano::decode_confirmation_history(fixture("rpc_confirmation_history.json"));
    const auto& h = result_of(r);
    CHECK(h.count == 2);
    CHECK(h.average_ms == 5000U);
    REQUIRE(h.confirmations.size() == 2);
    CHECK(
        h.confirmations[0].hash
        == "EA70B32C55C193345D625F766EEA2FCA52D3F2CCE0B3A30838CC543026BB0FEA");
    CHECK(h.confirmations[0].duration_ms == 4000);
    CHECK(h.confirmations[1].voters == 64U);
    CHECK(
        schema::format_u128(*h.confirmations[1].final_tally)
        == "68921714529890443063672782079965877749");
    const auto empty
        = nano::decode_confirmation_history(fixture("rpc_confirmation_history_empty.json"));
    CHECK(result_of(empty).confirmations.empty());
    CHECK_FALSE(result_of(empty).average_ms);
    const auto unknown = nano::decode_confirmation_history(R"({"error": "Invalid block hash"})");
    REQUIRE(unknown.ok());
    CHECK(unknown.value().error().message == nano::rpc_message::invalid_block_hash);
    expect_bad_field(
        nano::decode_confirmation_history(with(
            fixture("rpc_confirmation_history.json"),
            R"("tally": "80394786589602980996311817874549318248")",
            R"("tally": "803947865896029809963118178745493182480")")),
        "confirmations[0].tally");
    expect_bad_field(
        nano::decode_confirmation_history(R"({"confirmations": ""})"),
        "confirmation_stats: missing");
}

// ---- hostile input
// -----------------------------------------------------------------------------------------

TEST_CASE("nano rpc: rpc decoders: hostile input never crashes", "[nano][rpc]") {
    SECTION("empty, truncated, not an object") {
        CHECK(nano::decode_blocks_info("").error().code == decode_errc::malformed_json);
        CHECK(nano::decode_account_info("[]").error().code == decode_errc::unexpected_shape);
        CHECK(nano::decode_block_count("\"x\"").error().code == decode_errc::unexpected_shape);
        const std::string text = fixture("rpc_blocks_info_legacy.json");
        const auto last = text.rfind('}');
        for (std::size_t n = 0; n <= last; ++n) {
            CHECK_FALSE(nano::decode_blocks_info(std::string_view(text).substr(0, n)).ok());
        }
    }
    SECTION("NUL bytes and deep nesting") {
        CHECK(
            nano::decode_chain(std::string(R"({"blocks": ""})") + '\0').error().code
            == decode_errc::malformed_json);
        const std::string deep
            = R"({"blocks": )" + std::string(10000, '[') + std::string(10000, ']') + "}";
        CHECK(nano::decode_chain(deep).error().code == decode_errc::too_large);
    }
    SECTION("a JSON-string contents nested too deep is rejected, not recursed") {
        const std::string text = with(
            fixture("rpc_block_info_string_contents.json"),
            R"("contents": "{)",
            std::string(R"("contents": ")") + std::string(10000, '[') + "{");
        const auto r = nano::decode_block_info(text, info_hash);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == decode_errc::bad_field);
        CHECK_THAT(r.error().detail, Contains("contents: a JSON-string contents that is not JSON"));
        CHECK_THAT(r.error().detail, Contains("nesting"));
    }
}
