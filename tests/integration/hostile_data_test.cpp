// Hostile data end to end: a Nano node (a scripted WebSocket server in the test) sends telemetry
// whose free-text field (address) carries tabs, newlines, backslashes, quotes, "\.", SQL, valid
// multi-byte UTF-8, NUL (\u0000), a lone surrogate (\ud800) and raw invalid UTF-8, and whose
// numbers are 2^64-1, 2^64, 2^128-1, -1, 400 digits, 1e5 and 0x10. Through ledgertap-ingest into
// PostgreSQL: every storable string is stored byte for byte with its row's other columns in
// place, every other one is refused as a counted dead letter naming why (PostgreSQL text cannot
// hold NUL, and ledgertap never rewrites a field it stores), the tables still exist, and the rest
// of the stream is stored. Solana runs from a normal ledgertap-sim alongside.

#include "tests/support/hostile_ws_server.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

long long count(const std::string& conninfo, const std::string& sql) {
    return std::stoll(query_scalar(conninfo, sql).value_or("0"));
}

/// A V22 telemetry message; `address_json` and `block_count_json` are inserted as JSON text.
std::string telemetry(
    std::uint64_t timestamp, const std::string& address_json, const std::string& block_count_json) {
    return R"({"topic":"telemetry","time":"1594654710305","message":{"block_count":)"
           + block_count_json
           + R"(,"cemented_count":"51571901","unchecked_count":"0","account_count":"1376750",)"
             R"("bandwidth_cap":"10485760","peer_count":"261","protocol_version":"18",)"
             R"("uptime":"1223618","genesis_block":)"
             R"("991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948",)"
             R"("major_version":"21","minor_version":"0","patch_version":"0",)"
             R"("pre_release_version":"0","maker":"0","timestamp":")"
           + std::to_string(timestamp)
           + R"(","active_difficulty":"ffffffc000000000","database_backend":"lmdb",)"
             R"("node_id":"node_3cczh431wuh5gg64jen6a658xewpx7eiyfqn7f8gpdcfp786s7xdb51kr1rp",)"
             R"("signature":"C9429FBC069F15E9AE552FB80500B4BA0F0CF2E25DD6C6D2018FA1D96DC4353A75E4A86872E54E7B2BFF06526719076E792DA3C83F1B2FD40244804EAC324C00",)"
             R"("address":)"
           + address_json + R"(,"port":"7075"}})";
}

struct text_case {
    std::string json;   ///< the address as JSON text
    std::string stored; ///< what the column must hold
};

struct refused_case {
    std::string address_json;
    std::string block_count_json;
    std::string reason; ///< ledgertap.rejected_messages.reason
    std::string detail; ///< the start of its detail
};

} // namespace

TEST_CASE("hostile data: Nano telemetry strings and numbers are stored exactly or refused with a "
          "reason") {
    const std::vector<text_case> stored{
        {R"("tab\there")", "tab\there"},
        {R"("new\nline\rcr")", "new\nline\rcr"},
        {R"("back\\slash \\. \\N \\\\")", "back\\slash \\. \\N \\\\"},
        {R"j("quotes ' \" '')")j", "quotes ' \" '')"},
        {R"j("'); DROP TABLE nano.blocks; --")j", "'); DROP TABLE nano.blocks; --"},
        {R"("\\.")", "\\."},
        {"\"\xC3\xBCn\xC3\xAF\xE2\x82\xAC\xF0\x9F\x98\x80\"",
         "\xC3\xBCn\xC3\xAF\xE2\x82\xAC\xF0\x9F\x98\x80"},
        {R"("\u00fc \ud83d\ude00")", "\xC3\xBC \xF0\x9F\x98\x80"},
    };
    const std::vector<refused_case> refused{
        {R"("nul\u0000byte")", R"("1")", "bad_field", "message.address: contains a NUL character"},
        {"\"raw\ttab\"",
         R"("1")",
         "malformed_json",
         "Invalid escape character in string."}, // JSON forbids it raw
        {R"("lone \ud800 surrogate")",
         R"("1")",
         "malformed_json",
         "The surrogate pair in string is invalid."},
        {"\"raw \xFF\xFE byte\"", R"("1")", "malformed_json", "Invalid encoding in string."},
        {"\"raw \xC3 cut\"", R"("1")", "malformed_json", "Invalid encoding in string."},
        {R"("a")",
         R"("18446744073709551616")",
         "bad_field",
         "message.block_count: not a decimal u64"}, // 2^64
        {R"("a")",
         R"("340282366920938463463374607431768211455")",
         "bad_field",
         "message.block_count: not a decimal u64"}, // 2^128-1
        {R"("a")", R"("-1")", "bad_field", "message.block_count: not a decimal u64"},
        {R"("a")",
         "\"" + std::string(400, '9') + "\"",
         "bad_field",
         "message.block_count: not a decimal u64"},
        {R"("a")", R"("1e5")", "bad_field", "message.block_count: not a decimal u64"},
        {R"("a")", R"("0x10")", "bad_field", "message.block_count: not a decimal u64"},
        {R"("a")",
         "18446744073709551615",
         "bad_field",
         "message.block_count: expected a string, got number"},
    };

    std::vector<std::string> frames;
    constexpr std::uint64_t t0 = 1700000000000;
    std::uint64_t ts = t0;
    for (const auto& c : stored) {
        // Stored cases alternate with refused ones so a refusal visibly costs nothing else.
        frames.push_back(telemetry(ts++, c.json, R"("18446744073709551615")"));
    }
    for (const auto& c : refused) {
        frames.push_back(telemetry(ts++, c.address_json, c.block_count_json));
    }
    const std::uint64_t last_ok = ts++;
    frames.push_back(telemetry(last_ok, R"("after")", R"("0")"));
    // A raw NUL byte inside the frame (not JSON-escaped).
    frames.push_back(telemetry(ts++, std::string{"\"nul\0raw\"", 9}, R"("1")"));
    const std::uint64_t very_last = ts++;
    frames.push_back(telemetry(very_last, R"("the end")", R"("2")"));

    hostile_server server{attack::script, 0, frames};
    sim_runner sim{{"--slot-ms", "100", "--duration", "60"}};
    REQUIRE(sim.ready());
    scratch_database db{"hostile"};
    db.migrate();
    const auto dir = make_temp_dir("hostile_ingest");
    {
        std::ofstream f{dir + "/ledgertap.toml"};
        f << "[nano]\nws_url = \"" << server.url()
          << "\"\n[solana]\nws_url = \"ws://127.0.0.1:" << sim.ports().solana_ws
          << "\"\nrpc_url = \"http://127.0.0.1:" << sim.ports().solana_rpc << "\"\n";
    }
    child_process ingest{
        {ingest_executable(), "--db", db.conninfo(), "--config", dir + "/ledgertap.toml"},
        dir + "/ingest"};
    server.go();
    const auto rejected = [&] {
        return count(
            db.conninfo(),
            "SELECT count(*) FROM ledgertap.rejected_messages WHERE source = 'nano'");
    };
    const std::size_t expect_rejected = refused.size() + 1;
    CHECK(wait_until(
        [&] {
            return count(
                       db.conninfo(),
                       "SELECT count(*) FROM nano.telemetry WHERE address = 'the end'")
                       == 1
                   && rejected() == static_cast<long long>(expect_rejected);
        },
        30s));
    INFO(ingest.stderr_text().substr(0, 6000));
    INFO(
        "dead letters: "
        << query_scalar(
               db.conninfo(),
               "SELECT string_agg(reason || ': ' || detail, E'\\n' ORDER BY received_at) FROM "
               "ledgertap.rejected_messages")
               .value_or(""));

    // Stored byte for byte, columns in place (port and block_count follow the address).
    std::uint64_t t = t0;
    for (const auto& c : stored) {
        INFO("address JSON " << c.json);
        const auto where
            = " FROM nano.telemetry WHERE (extract(epoch FROM timestamp) * 1000)::bigint = "
              + std::to_string(t++);
        const auto got = query_scalar(
            db.conninfo(), "SELECT encode(convert_to(address, 'UTF8'), 'hex')" + where);
        std::string want_hex;
        for (const unsigned char ch : c.stored) {
            constexpr const char* digits = "0123456789abcdef";
            want_hex += digits[ch >> 4U];
            want_hex += digits[ch & 15U];
        }
        CHECK(got.value_or("(no row)") == want_hex);
        CHECK(query_scalar(db.conninfo(), "SELECT port::text" + where).value_or("") == "7075");
        CHECK(
            query_scalar(db.conninfo(), "SELECT block_count::text" + where).value_or("")
            == "18446744073709551615");
        CHECK(
            query_scalar(db.conninfo(), "SELECT cemented_count::text" + where).value_or("")
            == "51571901");
    }
    // Nothing of a refused message is stored; each is a dead letter with its reason.
    CHECK(
        count(db.conninfo(), "SELECT count(*) FROM nano.telemetry")
        == static_cast<long long>(stored.size() + 2));
    // One dead letter per refused message, each saying why (counts per reason and detail).
    std::map<std::string, long long> expected;
    for (const auto& c : refused) {
        ++expected[c.reason + ": " + c.detail];
    }
    ++expected["malformed_json: NUL byte at offset"];
    for (const auto& [why, n] : expected) {
        INFO("dead letter " << why);
        const auto colon = why.find(": ");
        CHECK(
            count(
                db.conninfo(),
                "SELECT count(*) FROM ledgertap.rejected_messages WHERE source = 'nano' AND reason "
                "= '"
                    + why.substr(0, colon) + "' AND starts_with(detail, '" + why.substr(colon + 2)
                    + "')")
            == n);
    }
    CHECK(rejected() == static_cast<long long>(expect_rejected));
    // Dead-letter payloads are text: a raw NUL or invalid byte shows as U+FFFD there.
    CHECK(
        count(
            db.conninfo(),
            "SELECT count(*) FROM ledgertap.rejected_messages WHERE payload LIKE '%nul' || "
            "chr(65533) || 'raw%'")
        == 1);
    CHECK(
        count(
            db.conninfo(),
            "SELECT count(*) FROM ledgertap.rejected_messages WHERE payload LIKE '%raw ' || "
            "chr(65533) || chr(65533) "
            "|| ' byte%'")
        == 1);
    // The rest of the stream went on, the tables are all there, the injected SQL stayed text.
    CHECK(
        count(
            db.conninfo(),
            "SELECT count(*) FROM nano.telemetry WHERE address = 'after' AND block_count = 0")
        == 1);
    CHECK(
        query_scalar(db.conninfo(), "SELECT to_regclass('nano.blocks')::text").value_or("")
        == "nano.blocks");
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.slots") > 0);
    CHECK(ingest.running());
    ingest.terminate();
    CHECK(ingest.wait(30s) == 0);
    server.stop();
    std::filesystem::remove_all(dir);
}

} // namespace ledgertap::test

namespace ledgertap::test {
namespace {

/// The legacy send of tests/data/nano/ws_confirmation_legacy_send.json (the decoder checks its
/// hash against its contents, so every case is this one block) with "amount" = `amount_json`.
constexpr const char* legacy_send_hash
    = "A170D51B94E00371ACE76E35AC81DC9405D5D04D4CEBC399AEACE07AE05DD293";

std::string confirmation(const std::string& amount_json) {
    return R"({"topic":"confirmation","time":"1564935350664","message":{)"
           R"("account":"nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3",)"
           R"("amount":)"
           + amount_json + R"(,"hash":")" + legacy_send_hash
           + R"(","confirmation_type":"inactive","block":{"type":"send",)"
             R"("previous":"991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948",)"
             R"("destination":"xrb_13ezf4od79h1tgj9aiu4djzcmmguendtjfuhwfukhuucboua8cpoihmh8byo",)"
             R"("balance":"FD89D89D89D89D89D89D89D89D89D89D","work":"3c82cc724905ee95",)"
             R"("signature":"5B11B17DB9C8FE0CC58CAC6A6EECEF9CB122DA8A81C6D3DB1B5EE3AB065AA8F8CB1D6765C8EB91B58530C5FF5987AD95E6D34BB57F44257E20795EE412E61600"}}})";
}

} // namespace

TEST_CASE("hostile data: Nano confirmation amounts at 2^128-1 are stored exactly and beyond are "
          "refused") {
    const std::vector<std::pair<std::string, std::string>> refused{
        {R"("340282366920938463463374607431768211456")", "2^128"},
        {R"("-1")", "negative"},
        {"\"" + std::string(400, '9') + "\"", "400 digits"},
        {R"("1e5")", "exponent"},
        {R"("0x10")", "hex"},
        {"340282366920938463463374607431768211455", "a JSON number"},
    };
    // The refused ones first, then the stored one: a refusal stores nothing of the block.
    std::vector<std::string> frames;
    for (const auto& r : refused) {
        frames.push_back(confirmation(r.first));
    }
    frames.push_back(confirmation(R"("340282366920938463463374607431768211455")"));
    hostile_server server{attack::script, 0, frames};
    scratch_database db{"hostile_amt"};
    db.migrate();
    const auto dir = make_temp_dir("hostile_amt");
    {
        std::ofstream f{dir + "/ledgertap.toml"};
        f << "[nano]\nws_url = \"" << server.url() << "\"\n";
    }
    child_process ingest{
        {ingest_executable(), "--db", db.conninfo(), "--config", dir + "/ledgertap.toml"},
        dir + "/ingest"};
    server.go();
    const auto amount = [&] {
        return query_scalar(
                   db.conninfo(),
                   std::string{
                       "SELECT coalesce((SELECT amount::text FROM nano.blocks WHERE hash = '"}
                       + legacy_send_hash + "'), '')")
            .value_or("");
    };
    CHECK(wait_until([&] { return !amount().empty(); }, 30s));
    INFO(ingest.stderr_text().substr(0, 6000));
    INFO(
        "dead letters: " << query_scalar(
                                db.conninfo(),
                                "SELECT string_agg(reason || ': ' || detail, E'\\n') FROM "
                                "ledgertap.rejected_messages")
                                .value_or(""));
    CHECK(amount() == "340282366920938463463374607431768211455");
    CHECK(
        count(
            db.conninfo(),
            "SELECT count(*) FROM ledgertap.rejected_messages WHERE source = 'nano' AND reason = "
            "'bad_field' "
            "AND starts_with(detail, 'message.amount: ')")
        == static_cast<long long>(refused.size()));
    CHECK(
        count(db.conninfo(), "SELECT count(*) FROM ledgertap.rejected_messages")
        == static_cast<long long>(refused.size()));
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks") == 1);
    ingest.terminate();
    CHECK(ingest.wait(30s) == 0);
    server.stop();
    std::filesystem::remove_all(dir);
}

} // namespace ledgertap::test
