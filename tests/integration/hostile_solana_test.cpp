// Hostile data end to end, Solana: a PubSub node (a scripted WebSocket server in the test that
// answers ingest's subscriptions) and an RPC node (a scripted HTTP JSON-RPC server) send program
// log lines, memo lines, transaction errors, slot errors, reward types and parsed account data
// carrying tabs, newlines, backslashes, quotes, braces and commas (array-literal syntax), "NULL",
// SQL, multi-byte UTF-8, control characters and NUL (\u0000); the rest of each message is a
// real block or notification. Through ledgertap-ingest (feed client or backfill, decoder, COPY
// encoder, staging merges) into PostgreSQL: every string is stored byte for byte, except that
// each NUL, which PostgreSQL text and jsonb cannot hold, is stored as U+FFFD and counted
// (ledgertap_text_replaced_total), so one program's log line cannot drop a confirmed block.
// Frames that are not valid JSON (raw invalid UTF-8, a lone surrogate), wrong types, identities
// that are not base58 and slots PostgreSQL's bigint cannot hold are refused with a counted reason,
// and everything after them is stored. A malformed getBlock answer is counted and never advances
// the finalized watermark past its slot.

#include "tests/support/hostile_ws_server.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json_rpc_server.hpp"
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

std::string hex(const std::string& bytes) {
    constexpr const char* digits = "0123456789abcdef";
    std::string out;
    for (const unsigned char c : bytes) {
        out += digits[c >> 4U];
        out += digits[c & 15U];
    }
    return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
}

const std::string fffd = "\xEF\xBF\xBD";

struct text_case {
    std::string json;   ///< as the node sends it (JSON text)
    std::string stored; ///< what the column must hold
};

/// Log lines (and a memo line as the memo program logs it).
const std::vector<text_case>& hostile_lines() {
    static const std::vector<text_case> lines{
        {R"("tab\there")", "tab\there"},
        {R"("new\nline\rcr")", "new\nline\rcr"},
        {R"("back\\slash \\. \\N \\\\")", "back\\slash \\. \\N \\\\"},
        {R"j("quotes ' \" '')")j", "quotes ' \" '')"},
        {R"j("'); DROP TABLE solana.transactions; --")j", "'); DROP TABLE solana.transactions; --"},
        {R"("{braces},\"commas\",NULL")", "{braces},\"commas\",NULL"},
        {R"("NULL")", "NULL"},
        {R"("")", ""},
        {R"("\u00fc \ud83d\ude00")", "\xC3\xBC \xF0\x9F\x98\x80"},
        {"\"raw \xE2\x82\xAC \xF0\x9F\x98\x80\"", "raw \xE2\x82\xAC \xF0\x9F\x98\x80"},
        {R"("nul\u0000byte\u0000")", "nul" + fffd + "byte" + fffd},
        {R"("ctl\u0001\u001f\u007f")", "ctl\x01\x1f\x7f"},
        {"\"Program log: Memo (len 12): \\\"\xE2\x82\xAC'; --\\\"\"",
         "Program log: Memo (len 12): \"\xE2\x82\xAC'; --\""},
    };
    return lines;
}

std::string lines_json() {
    std::string out;
    for (const auto& l : hostile_lines()) {
        out += (out.empty() ? "" : ",") + l.json;
    }
    return out;
}

/// An error value with NUL, quotes, a backslash, a tab and SQL in its string.
const std::string hostile_err_json
    = R"({"InstructionError":[0,{"BorshIoError":"nul\u0000 \"q\" \\ tab\t '); DROP TABLE solana.logs; --"}]})";
const std::string hostile_err_stored
    = "nul" + fffd + " \"q\" \\ tab\t '); DROP TABLE solana.logs; --";
/// A reward type that would break out of its JSON string if pasted in unescaped.
const std::string hostile_reward_json = R"("Fee\",\"injected\":\"1")";
const std::string hostile_reward_stored = R"(Fee","injected":"1)";

/// The base64/full fixture block, its third transaction's log lines and error made hostile (its
/// second already logs "nul\u0000inside" and control characters), its first reward type too.
std::string hostile_block_json(const std::string& fixture) {
    std::string s = read_file(std::string(LEDGERTAP_TEST_DATA_DIR) + "/solana/" + fixture);
    replace_all(s, R"("Program log: Error: slippage")", lines_json());
    replace_all(s, R"({"InstructionError":[0,{"Custom":6001}]})", hostile_err_json);
    replace_all(s, R"("rewardType":"Fee")", R"("rewardType":)" + hostile_reward_json);
    return s;
}

constexpr std::uint64_t rpc_slot = 250000123; // the fixture's slot, served by getBlock
constexpr std::uint64_t ws_slot = 250000200;  // the same block moved, sent as a notification

std::string ws_block_frame() {
    std::string s = hostile_block_json("block_notification_base64_full.json");
    // context.slot is the block's slot, value.slot the slot that triggered the notification.
    replace_all(s, "250000125", std::to_string(ws_slot));
    replace_all(s, std::to_string(rpc_slot), std::to_string(ws_slot + 2));
    replace_all(s, "250000122", std::to_string(ws_slot - 1)); // parentSlot
    replace_all(s, "4kS9qwACWe7j63AHycgjf7KhZbhEGQb4ghvQvL8Voprq", "11111111111111111111111111111111");
    replace_all(s, "9007199254740999}", "@SUB:blockSubscribe@}"); // the fixture's subscription id
    return s;
}

const std::string signature
    = "5h6xBEauJ3PK6SWCZ1PGjBvj8vDdWG3KpwATGy1ARAXFSDwt8GFXM7W5Ncn16wmqokgpiKRLuS83KUxyZyv2sUYv";

std::string logs_frame(std::uint64_t slot, const std::string& sig, const std::string& err, const std::string& logs) {
    return R"({"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":)"
           + std::to_string(slot) + R"(},"value":{"signature":")" + sig + R"(","err":)" + err
           + R"(,"logs":[)" + logs + R"(]}},"subscription":@SUB:logsSubscribe@}})";
}

std::string slot_frame(const std::string& slot_json) {
    return R"({"jsonrpc":"2.0","method":"slotNotification","params":{"result":{"parent":1,"root":0,"slot":)"
           + slot_json + R"(},"subscription":@SUB:slotSubscribe@}})";
}

const std::string program_id = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
const std::string account_key = "H4vnBqifaSACnKa7acsxstsY1iV1bvJNxsCY7enrd1hq";

struct refused_case {
    std::string frame;
    std::string reason;
    std::string detail; ///< the start of the dead letter's detail
};

} // namespace

TEST_CASE("hostile data: Solana log lines, memos, errors and parsed accounts from PubSub and "
          "getBlock are stored exactly, NUL as U+FFFD, or refused with a reason") {
    const std::string dead_err_json = R"("error: nul\u0000 \"x\" \\ \t'; --")";
    const std::string dead_err_stored = "error: nul" + fffd + " \"x\" \\ \t'; --";
    const std::string parsed_json
        = R"({"parsed":{"info":{"name":"pad\u0000\u0000","uri":"'); DROP TABLE solana.accounts; --"},"type":"mint"},"program":"spl-token","space":82})";

    std::vector<std::string> frames;
    frames.push_back(ws_block_frame());
    frames.push_back(logs_frame(ws_slot, signature, hostile_err_json, lines_json()));
    frames.push_back(
        R"({"jsonrpc":"2.0","method":"slotsUpdatesNotification","params":{"result":{"err":)"
        + dead_err_json
        + R"(,"slot":250000150,"timestamp":1718000000123,"type":"dead"},"subscription":@SUB:slotsUpdatesSubscribe@}})");
    frames.push_back(
        R"({"jsonrpc":"2.0","method":"programNotification","params":{"result":{"context":{"slot":250000201},"value":{"pubkey":")"
        + account_key + R"(","account":{"data":)" + parsed_json
        + R"(,"executable":false,"lamports":18446744073709551615,"owner":")" + program_id
        + R"(","rentEpoch":18446744073709551615,"space":82}}},"subscription":@SUB:programSubscribe@}})");
    const std::vector<refused_case> refused{
        {logs_frame(1, signature, "null", "\"raw \xFF\xFE byte\""), "malformed_json", "Invalid encoding in string."},
        {logs_frame(1, signature, "null", "\"a\xC3\""), "malformed_json", "Invalid encoding in string."},
        {logs_frame(1, signature, "null", R"("lone \ud800 surrogate")"),
         "malformed_json",
         "The surrogate pair in string is invalid."},
        {logs_frame(1, signature, "null", R"("a",7)"), "bad_field", "params.result.value.logs[1]: expected a string"},
        {logs_frame(1, "'); DROP TABLE solana.logs; --", "null", R"("a")"),
         "bad_field",
         "params.result.value.signature: not base58 of 64 bytes"},
        {slot_frame("-1"), "bad_field", "params.result.slot: "},
        {slot_frame(std::string(400, '9')), "malformed_json", "Number too big to be stored in double."},
        {slot_frame("1e5"), "bad_field", "params.result.slot: "},
        {slot_frame(R"("5")"), "bad_field", "params.result.slot: "},
        // A u64 the protocol allows but no Solana slot reaches, and bigint cannot hold.
        {slot_frame("18446744073709551615"), "database_rejected", ""},
    };
    for (const auto& r : refused) {
        frames.push_back(r.frame);
    }
    constexpr std::uint64_t end_slot = 250000300;
    frames.push_back(slot_frame(std::to_string(end_slot)));

    hostile_server pubsub{attack::jsonrpc_script, 0, frames};
    const std::string rpc_block = [] {
        // getBlock's answer: the hostile block with the id the request used.
        auto s = hostile_block_json("get_block_base64_full.json");
        replace_all(s, R"("id":7)", R"("id":1)");
        return s;
    }();
    json_rpc_server rpc{[&](const std::string& method, const std::string& body) -> std::string {
        if (method == "getSlot") {
            return R"({"jsonrpc":"2.0","result":)" + std::to_string(rpc_slot + 1) + R"(,"id":1})";
        }
        if (method == "getBlocks") {
            return R"({"jsonrpc":"2.0","result":[)" + std::to_string(rpc_slot) + ","
                   + std::to_string(rpc_slot + 1) + R"(],"id":1})";
        }
        if (method == "getBlock" && body.find(std::to_string(rpc_slot) + ",") != std::string::npos) {
            return rpc_block;
        }
        if (method == "getBlock") {
            // The next block, with raw invalid UTF-8 in a log line: not JSON, never stored.
            return R"({"jsonrpc":"2.0","result":{"blockhash":"11111111111111111111111111111111","logMessages":[")"
                   "\xFF\xFE"
                   R"("]},"id":1})";
        }
        return R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1})";
    }};

    scratch_database db{"hostile_sol"};
    db.migrate();
    const auto dir = make_temp_dir("hostile_sol");
    {
        std::ofstream f{dir + "/ledgertap.toml"};
        f << "[solana]\nws_url = \"" << pubsub.url() << "\"\nrpc_url = \"" << rpc.url()
          << "\"\nprograms = [\"" << program_id << "\"]\nstall_timeout_s = 0\n"
          << "[backfill]\nsolana_start = \"" << rpc_slot << "\"\n";
    }
    child_process ingest{
        {ingest_executable(), "--db", db.conninfo(), "--config", dir + "/ledgertap.toml",
         "--metrics-addr", "127.0.0.1:0"},
        dir + "/ingest"};
    pubsub.go();
    const auto rejected = [&] {
        return count(db.conninfo(), "SELECT count(*) FROM ledgertap.rejected_messages WHERE source = 'solana'");
    };
    const auto stored_at = [&](std::uint64_t slot) {
        return count(db.conninfo(), "SELECT count(*) FROM solana.transactions WHERE slot = " + std::to_string(slot));
    };
    CHECK(wait_until(
        [&] {
            return count(db.conninfo(), "SELECT count(*) FROM solana.slots WHERE slot = " + std::to_string(end_slot)) == 1
                   && rejected() == static_cast<long long>(refused.size()) && stored_at(rpc_slot) == 4
                   && rpc.requests("getBlock") >= 2;
        },
        40s));
    INFO(ingest.stderr_text().substr(0, 8000));
    INFO("dead letters: " << query_scalar(db.conninfo(),
                                 "SELECT string_agg(reason || ': ' || detail, E'\\n' ORDER BY received_at) FROM "
                                 "ledgertap.rejected_messages")
                                 .value_or(""));

    // Blocks from both paths: all four transactions, the hostile lines byte for byte.
    for (const auto& [slot, origin] : std::vector<std::pair<std::uint64_t, std::string>>{
             {ws_slot, "websocket"}, {rpc_slot, "rpc_backfill"}}) {
        INFO("block at slot " << slot << " from " << origin);
        const auto tx = [&](int index, const std::string& expr) {
            return query_scalar(db.conninfo(), "SELECT " + expr + " FROM solana.transactions WHERE slot = "
                                                   + std::to_string(slot) + " AND index = " + std::to_string(index))
                .value_or("(no row)");
        };
        CHECK(stored_at(slot) == 4);
        CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.blocks WHERE slot = " + std::to_string(slot)
                                       + " AND origin = '" + origin + "'")
              == 1);
        const auto& lines = hostile_lines();
        CHECK(tx(2, "array_length(log_messages, 1)") == std::to_string(lines.size() + 2));
        for (std::size_t i = 0; i < lines.size(); ++i) {
            INFO("log line JSON " << lines[i].json);
            CHECK(tx(2, "encode(convert_to(log_messages[" + std::to_string(i + 2) + "], 'UTF8'), 'hex')")
                  == hex(lines[i].stored));
        }
        CHECK(tx(2, "count(*) FILTER (WHERE log_messages[8] IS NULL)") == "0"); // "NULL" stayed text
        CHECK(tx(2, "encode(convert_to(err->'InstructionError'->1->>'BorshIoError', 'UTF8'), 'hex')")
              == hex(hostile_err_stored));
        // The fixture's own line: NUL, BEL, US, quote, backslash, tab.
        CHECK(tx(1, "encode(convert_to(log_messages[2], 'UTF8'), 'hex')")
              == hex("Program log: nul" + fffd + "inside, bell\x07, unit\x1f, quote \" backslash \\ tab\t"));
        CHECK(tx(1, "log_messages[3]") == "Program log: caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x98\x80");
        CHECK(tx(1, "fee::text || ' ' || pre_balances[3]::text") == "15000 9000000000000000000");
        const auto reward = query_scalar(db.conninfo(), "SELECT (rewards->0->>'rewardType') || '|' || "
                                                        "(rewards->0 ? 'injected')::text || '|' || "
                                                        "jsonb_array_length(rewards) FROM solana.blocks WHERE slot = "
                                                            + std::to_string(slot));
        CHECK(reward.value_or("(no row)") == hostile_reward_stored + "|false|3");
    }

    // logsNotification: every line, the error, the NULs replaced.
    const auto logs_where = " FROM solana.logs WHERE slot = " + std::to_string(ws_slot) + " AND signature = '"
                            + signature + "'";
    CHECK(query_scalar(db.conninfo(), "SELECT array_length(logs, 1)" + logs_where).value_or("")
          == std::to_string(hostile_lines().size()));
    for (std::size_t i = 0; i < hostile_lines().size(); ++i) {
        INFO("logs line JSON " << hostile_lines()[i].json);
        CHECK(query_scalar(db.conninfo(),
                  "SELECT encode(convert_to(logs[" + std::to_string(i + 1) + "], 'UTF8'), 'hex')" + logs_where)
                  .value_or("")
              == hex(hostile_lines()[i].stored));
    }
    CHECK(query_scalar(db.conninfo(),
              "SELECT encode(convert_to(err->'InstructionError'->1->>'BorshIoError', 'UTF8'), 'hex')" + logs_where)
              .value_or("")
          == hex(hostile_err_stored));

    // slotsUpdates dead: the error text; programNotification jsonParsed: NULs replaced, u64 exact.
    CHECK(query_scalar(db.conninfo(),
              "SELECT encode(convert_to(dead_error, 'UTF8'), 'hex') FROM solana.slots WHERE slot = 250000150")
              .value_or("")
          == hex(dead_err_stored));
    CHECK(query_scalar(db.conninfo(), "SELECT (data_json->'parsed'->'info'->>'name') || '|' || "
                                      "(data_json->'parsed'->'info'->>'uri') || '|' || lamports || '|' || rent_epoch "
                                      "FROM solana.accounts WHERE pubkey = '"
                                          + account_key + "'")
              .value_or("(no row)")
          == "pad" + fffd + fffd + "|'); DROP TABLE solana.accounts; --|18446744073709551615|18446744073709551615");

    // Replacements are counted: per block the fixture line, the hostile NUL line, the error (6 or
    // more with the account's two rows); the logs notification's lines and error.
    CHECK(scrape_metric(ingest.stderr_text(), "ledgertap_text_replaced_total{source=\"solana\"}") >= 9);

    // One dead letter per refused frame, each saying why.
    std::map<std::string, long long> expected;
    for (const auto& r : refused) {
        ++expected[r.reason + ": " + r.detail];
    }
    for (const auto& [why, n] : expected) {
        INFO("dead letter " << why);
        const auto colon = why.find(": ");
        CHECK(count(db.conninfo(),
                  "SELECT count(*) FROM ledgertap.rejected_messages WHERE source = 'solana' AND reason = '"
                      + why.substr(0, colon) + "' AND starts_with(detail, '" + why.substr(colon + 2) + "')")
              == n);
    }
    CHECK(rejected() == static_cast<long long>(refused.size()));

    // The malformed getBlock answer: counted, its slot not stored, the watermark held before it.
    CHECK(stored_at(rpc_slot + 1) == 0);
    CHECK(wait_until([&] { return scrape_metric(ingest.stderr_text(), "ledgertap_backfill_rpc_errors_total{source=\"solana\"}") >= 1; }, 10s));
    // The gauge shows the watermark a backfill round starts from, so it reaches rpc_slot at the
    // round after the one that stored it; it never passes the malformed slot.
    CHECK(wait_until([&] { return scrape_metric(ingest.stderr_text(), "ledgertap_solana_finalized_watermark{source=\"solana\"}") == static_cast<double>(rpc_slot); }, 10s));
    CHECK(query_scalar(db.conninfo(), "SELECT value FROM ledgertap.watermarks WHERE source = 'solana' AND key = 'finalized_slot'").value_or("")
        == std::to_string(rpc_slot));

    // The SQL stayed text; the tables are all there.
    for (const auto* table : {"solana.transactions", "solana.logs", "solana.accounts"}) {
        CHECK(query_scalar(db.conninfo(), std::string("SELECT to_regclass('") + table + "')::text").value_or("")
              == table);
    }
    CHECK(ingest.running());
    ingest.terminate();
    CHECK(ingest.wait(30s) == 0);
    pubsub.stop();
    rpc.stop();
    std::filesystem::remove_all(dir);
}

} // namespace ledgertap::test
