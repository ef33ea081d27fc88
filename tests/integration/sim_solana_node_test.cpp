// The simulated Solana node, driven in-process over loopback with a plain libwebsockets client and
// libcurl: every subscription and unsubscribe, Agave's error codes and messages, the 4 KiB inbound
// limit, u64 exactness, commitment progression, the HTTP methods, and the truth file.

#include "schema/codec.hpp"
#include "sim/server.hpp"
#include "sim/solana_chain.hpp"
#include "sim/solana_node.hpp"
#include "sim/truth.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <time.h>
#include <vector>

namespace ledgertap::sim {
namespace {

using namespace std::chrono_literals;
using test::ws_client;

constexpr auto wait_long = 8000ms;

solana_node_config fast_config() {
    solana_node_config c;
    c.slot_time = 20ms;
    c.confirm_depth = 2;
    c.finalize_depth = 6;
    c.history_slots = 12;
    c.chain.seed = 77;
    c.chain.min_transactions = 4;
    c.chain.max_transactions = 12;
    c.chain.skip_rate = 0.1;
    c.chain.fork_rate = 0.08;
    return c;
}

rapidjson::Document parse(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    INFO(text.substr(0, 400));
    REQUIRE_FALSE(doc.HasParseError());
    return doc;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = wait_long) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) {
            return true;
        }
        std::this_thread::sleep_for(5ms);
    }
    return pred();
}

/// A server with one Solana node on loopback, and a truth file.
class fixture {
public:
    explicit fixture(solana_node_config config = fast_config()) {
        dir_ = test::make_temp_dir("sim-solana");
        truth_path_ = dir_ + "/truth.jsonl";
        truth_ = std::make_unique<truth_writer>(truth_path_);
        server_ = std::make_unique<server>("127.0.0.1");
        node_ = std::make_unique<solana_node>(std::move(config), *server_, *truth_);
        server_->start();
        node_->start();
    }
    fixture(const fixture&) = delete;
    fixture& operator=(const fixture&) = delete;
    fixture(fixture&&) = delete;
    fixture& operator=(fixture&&) = delete;
    ~fixture() {
        stop();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    void stop() {
        if (stopped_) {
            return;
        }
        stopped_ = true;
        server_->stop();
        node_->stop();
        truth_->close();
    }

    [[nodiscard]] std::uint16_t ws_port() const { return server_->port("solana_ws"); }
    [[nodiscard]] std::string rpc_url() const {
        return "http://127.0.0.1:" + std::to_string(server_->port("solana_rpc")) + "/";
    }
    [[nodiscard]] std::unique_ptr<ws_client> connect() const {
        auto c = std::make_unique<ws_client>("127.0.0.1", ws_port());
        REQUIRE(c->connected());
        return c;
    }

    /// One HTTP JSON-RPC call; the whole reply document.
    [[nodiscard]] rapidjson::Document rpc(
        const std::string& method, const std::string& params = "[]") const {
        const auto r = test::http_post(
            rpc_url(),
            R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}");
        REQUIRE(r.ok);
        REQUIRE(r.status == 200);
        return parse(r.body);
    }
    [[nodiscard]] std::uint64_t slot(const std::string& commitment) const {
        const auto doc = rpc("getSlot", R"([{"commitment":")" + commitment + R"("}])");
        return doc["result"].GetUint64();
    }

    [[nodiscard]] solana_node& node() { return *node_; }
    [[nodiscard]] server& srv() { return *server_; }
    [[nodiscard]] truth_writer& truth() { return *truth_; }
    [[nodiscard]] const std::string& truth_path() const { return truth_path_; }

private:
    std::string dir_;
    std::string truth_path_;
    std::unique_ptr<truth_writer> truth_;
    std::unique_ptr<server> server_;
    std::unique_ptr<solana_node> node_;
    bool stopped_ = false;
};

/// Sends a request with `id` and returns the reply (the message ending in "id":<id>}).
rapidjson::Document call(
    ws_client& c, std::uint64_t id, const std::string& method, const std::string& params = "[]") {
    c.send_text(
        R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method
        + R"(","params":)" + params + "}");
    const auto m = c.next_containing("\"id\":" + std::to_string(id) + "}", wait_long);
    REQUIRE(m);
    return parse(m->data);
}

std::uint64_t subscribe(
    ws_client& c, std::uint64_t id, const std::string& method, const std::string& params = "[]") {
    const auto doc = call(c, id, method, params);
    INFO(method << " " << params);
    REQUIRE(doc.HasMember("result"));
    REQUIRE(doc["result"].IsUint64());
    return doc["result"].GetUint64();
}

void check_error(const rapidjson::Document& doc, int code, const std::string& message) {
    REQUIRE(doc.HasMember("error"));
    CHECK(doc["error"]["code"].GetInt() == code);
    CHECK(std::string(doc["error"]["message"].GetString()) == message);
}

/// Collects notifications of `method` until `enough` returns true or time runs out.
std::vector<rapidjson::Document> notifications(
    ws_client& c,
    const std::string& method,
    std::size_t count,
    std::chrono::milliseconds timeout = wait_long) {
    std::vector<rapidjson::Document> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
        const auto m = c.next(50ms);
        if (!m || m->binary) {
            continue;
        }
        if (m->data.find("\"method\":\"" + method + "\"") == std::string::npos) {
            continue;
        }
        out.push_back(parse(m->data));
    }
    return out;
}

std::vector<rapidjson::Document> truth_records(const std::string& path) {
    std::vector<rapidjson::Document> out;
    std::istringstream in(test::read_file(path));
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) {
            out.push_back(parse(line));
        }
    }
    return out;
}

std::string kind_of(const rapidjson::Document& d) {
    return d["kind"].GetString();
}

/// "[" + the number (built by appending: GCC 12 -O3 warns falsely on "literal" + std::string&&).
std::string open_list(std::uint64_t value) {
    std::string out = "[";
    out += std::to_string(value);
    return out;
}

/// A key of the node's chain (a twin chain built from the same parameters is identical).
std::string b58(const schema::bytes32& key) {
    return schema::base58_encode(key);
}

// ---- ids, sharing, unsubscribe
// ---------------------------------------------------------------------

TEST_CASE(
    "subscription ids come from a node-wide counter and identical params share one",
    "[sim][solana_node]") {
    auto config = fast_config();
    config.pubsub.first_subscription_id = 9007199254740993ULL; // 2^53 + 1: not a double
    fixture f(std::move(config));
    auto a = f.connect();
    auto b = f.connect();
    const solana_chain twin(fast_config().chain);
    const std::string key = b58(twin.pool()[1].pubkey);

    const std::uint64_t slot_a = subscribe(*a, 1, "slotSubscribe");
    CHECK(slot_a == 9007199254740993ULL);
    CHECK(subscribe(*b, 1, "slotSubscribe") == slot_a); // another connection, same params
    CHECK(subscribe(*a, 2, "slotSubscribe") == slot_a); // twice on one connection
    const std::uint64_t acct = subscribe(*a, 3, "accountSubscribe", R"([")" + key + R"("])");
    CHECK(acct == slot_a + 1);
    // Defaults are applied before comparing: explicit finalized + binary is the same subscription.
    CHECK(
        subscribe(
            *b,
            4,
            "accountSubscribe",
            R"([")" + key + R"(",{"commitment":"finalized","encoding":"binary"}])")
        == acct);
    CHECK(
        subscribe(*a, 5, "accountSubscribe", R"([")" + key + R"(",{"encoding":"base64"}])")
        == acct + 1);
    // The raw reply text carries the id exactly.
    a->send_text(R"({"jsonrpc":"2.0","id":6,"method":"rootSubscribe"})");
    const auto raw = a->next_containing("\"id\":6}", wait_long);
    REQUIRE(raw);
    CHECK(raw->data == R"({"jsonrpc":"2.0","result":9007199254740996,"id":6})");
    // Notifications carry it exactly too.
    const auto n = a->next_containing("rootNotification", wait_long);
    REQUIRE(n);
    CHECK(n->data.find("\"subscription\":9007199254740996}") != std::string::npos);
}

TEST_CASE(
    "every unsubscribe answers true once, then Invalid subscription id.", "[sim][solana_node]") {
    fixture f;
    auto c = f.connect();
    auto other = f.connect();
    const solana_chain twin(fast_config().chain);
    const std::string key = b58(twin.pool()[1].pubkey);
    const std::string program = b58(twin.well_known().sim_programs[0]);
    const std::string sig = schema::base58_encode(schema::bytes64{{7}});
    const std::vector<std::pair<std::string, std::string>> methods = {
        {"slot", "[]"},
        {"slotsUpdates", "[]"},
        {"root", "[]"},
        {"vote", "[]"},
        {"block", R"(["all",{"commitment":"confirmed"}])"},
        {"logs", R"(["all"])"},
        {"account", "[\"" + key + "\"]"},
        {"program", "[\"" + program + "\"]"},
        {"signature", "[\"" + sig + "\"]"},
    };
    std::uint64_t id = 10;
    for (const auto& [base, params] : methods) {
        INFO(base);
        const std::uint64_t sub = subscribe(*c, ++id, base + "Subscribe", params);
        // Another connection cannot remove it.
        check_error(
            call(*other, ++id, base + "Unsubscribe", open_list(sub) + "]"),
            -32602,
            "Invalid subscription id.");
        const auto ok = call(*c, ++id, base + "Unsubscribe", open_list(sub) + "]");
        REQUIRE(ok.HasMember("result"));
        CHECK(ok["result"].IsTrue());
        check_error(
            call(*c, ++id, base + "Unsubscribe", open_list(sub) + "]"),
            -32602,
            "Invalid subscription id.");
    }
    // The method's kind is not checked: slotUnsubscribe removes an account subscription.
    const std::uint64_t acct = subscribe(*c, ++id, "accountSubscribe", "[\"" + key + "\"]");
    CHECK(call(*c, ++id, "slotUnsubscribe", open_list(acct) + "]")["result"].IsTrue());
    check_error(
        call(*c, ++id, "slotUnsubscribe", R"(["x"])"),
        -32602,
        R"(Invalid params: invalid type: string "x", expected u64.)");
}

TEST_CASE(
    "block and vote subscriptions answer Method not found when disabled", "[sim][solana_node]") {
    auto config = fast_config();
    config.pubsub.enable_block_subscription = false;
    config.pubsub.enable_vote_subscription = false;
    fixture f(std::move(config));
    auto c = f.connect();
    check_error(call(*c, 1, "blockSubscribe", R"(["all"])"), -32601, "Method not found");
    check_error(call(*c, 2, "blockUnsubscribe", "[0]"), -32601, "Method not found");
    check_error(call(*c, 3, "voteSubscribe"), -32601, "Method not found");
    check_error(call(*c, 4, "voteUnsubscribe", "[0]"), -32601, "Method not found");
    CHECK(subscribe(*c, 5, "slotSubscribe") == 0);
}

TEST_CASE("the node subscription limit refuses new subscriptions", "[sim][solana_node]") {
    auto config = fast_config();
    config.pubsub.max_subscriptions = 2;
    fixture f(std::move(config));
    auto c = f.connect();
    (void)subscribe(*c, 1, "slotSubscribe");
    (void)subscribe(*c, 2, "rootSubscribe");
    CHECK(subscribe(*c, 3, "rootSubscribe") == 1); // shared: not a new one
    check_error(
        call(*c, 4, "slotsUpdatesSubscribe"),
        -32603,
        "Internal Error: Subscription refused. Node subscription limit reached");
}

// ---- errors
// -------------------------------------------------------------------------------------------

TEST_CASE("malformed requests get jsonrpc-core's errors", "[sim][solana_node]") {
    fixture f;
    auto c = f.connect();
    SECTION("parse error has id null") {
        c->send_text("{not json");
        const auto m = c->next(wait_long);
        REQUIRE(m);
        CHECK(
            m->data
            == R"({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null})");
    }
    SECTION("invalid requests") {
        c->send_text("42");
        auto m = c->next(wait_long);
        REQUIRE(m);
        CHECK(
            m->data
            == R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request"},"id":null})");
        c->send_text(R"({"jsonrpc":"2.0","id":1.5,"method":"getVersion"})");
        m = c->next(wait_long);
        REQUIRE(m);
        CHECK(
            m->data
            == R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid request"},"id":null})");
        c->send_text(R"({"id":3,"method":"getVersion"})");
        m = c->next(wait_long);
        REQUIRE(m);
        CHECK(
            m->data
            == R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Unsupported JSON-RPC protocol version"},"id":3})");
    }
    SECTION("unknown methods, ping with an id, and ping without one") {
        check_error(call(*c, 1, "fooSubscribe"), -32601, "Method not found");
        check_error(call(*c, 2, "ping"), -32601, "Method not found");
        // kit's keep-alive is a notification: no reply at all, so the next message is getVersion's.
        c->send_text(R"({"jsonrpc":"2.0","method":"ping"})");
        c->send_text(R"({"jsonrpc":"2.0","id":"v","method":"getVersion"})");
        const auto m = c->next(wait_long);
        REQUIRE(m);
        const auto doc = parse(m->data);
        CHECK(std::string(doc["id"].GetString()) == "v");
        CHECK(doc["result"].HasMember("solana-core"));
        CHECK(doc["result"]["feature-set"].IsUint64());
    }
    SECTION("batches are answered as arrays") {
        c->send_text(
            R"([{"jsonrpc":"2.0","id":1,"method":"getVersion"},{"jsonrpc":"2.0","method":"ping"},{"jsonrpc":"2.0","id":2,"method":"nope"}])");
        const auto m = c->next(wait_long);
        REQUIRE(m);
        const auto doc = parse(m->data);
        REQUIRE(doc.IsArray());
        REQUIRE(doc.Size() == 2);
        CHECK(doc[0]["id"].GetUint64() == 1);
        CHECK(doc[1]["error"]["code"].GetInt() == -32601);
    }
    SECTION("invalid params") {
        const std::string sig = schema::base58_encode(schema::bytes64{{1}});
        check_error(
            call(*c, 1, "accountSubscribe", R"(["nope"])"),
            -32602,
            "Invalid Request: Invalid pubkey provided");
        check_error(
            call(*c, 2, "programSubscribe", R"(["0OIl"])"),
            -32602,
            "Invalid Request: Invalid pubkey provided");
        check_error(
            call(*c, 3, "signatureSubscribe", R"(["abc"])"),
            -32602,
            "Invalid Request: Invalid signature provided");
        check_error(
            call(*c, 4, "accountSubscribe", "[]"),
            -32602,
            "`params` should have at least 1 argument(s)");
        check_error(
            call(*c, 5, "accountSubscribe", R"([1])"),
            -32602,
            "Invalid params: invalid type: integer `1`, expected a string.");
        check_error(
            call(
                *c,
                6,
                "accountSubscribe",
                R"(["11111111111111111111111111111111",{"commitment":"max"}])"),
            -32602,
            "Invalid params: unknown variant `max`, expected one of `processed`, `confirmed`, "
            "`finalized`.");
        check_error(call(*c, 7, "slotSubscribe", "[1]"), -32602, "No parameters were expected");
        check_error(
            call(
                *c,
                8,
                "signatureSubscribe",
                "[\"" + sig + R"(",{"enableReceivedNotification":"yes"}])"),
            -32602,
            R"(Invalid params: invalid type: string "yes", expected a boolean.)");
        check_error(
            call(*c, 9, "accountSubscribe", R"(["11111111111111111111111111111111",{},3])"),
            -32602,
            "Expected from 1 to 2 parameters.");
    }
}

TEST_CASE(
    "logsSubscribe and blockSubscribe reject bad filters with Agave's messages",
    "[sim][solana_node]") {
    fixture f;
    auto c = f.connect();
    const std::string k = "11111111111111111111111111111111";
    check_error(
        call(*c, 1, "logsSubscribe", R"([{"mentions":[")" + k + R"(",")" + k + R"("]}])"),
        -32602,
        "Invalid Request: Only 1 address supported");
    check_error(
        call(*c, 2, "logsSubscribe", R"([{"mentions":[]}])"),
        -32602,
        "Invalid Request: Only 1 address supported");
    check_error(
        call(*c, 3, "logsSubscribe", R"([{"mentions":["bad"]}])"),
        -32602,
        "Invalid Request: Invalid mentions provided");
    check_error(
        call(*c, 4, "logsSubscribe", R"(["everything"])"),
        -32602,
        "Invalid params: unknown variant `everything`, expected one of `all`, `allWithVotes`, "
        "`mentions`.");
    check_error(
        call(*c, 5, "blockSubscribe", R"(["all",{"commitment":"processed"}])"),
        -32602,
        "Method does not support commitment below `confirmed`");
    check_error(
        call(*c, 6, "blockSubscribe", R"([{"mentionsAccountOrProgram":"bad"}])"),
        -32602,
        "Invalid Request: Invalid mentions_account_or_program provided");
    check_error(
        call(*c, 7, "blockSubscribe", R"(["all",{"encoding":"xml"}])"),
        -32602,
        "Invalid params: unknown variant `xml`, expected one of `binary`, `base64`, `base58`, "
        "`json`, `jsonParsed`.");
    check_error(
        call(*c, 8, "blockSubscribe", R"(["all",{"transactionDetails":"most"}])"),
        -32602,
        "Invalid params: unknown variant `most`, expected one of `full`, `signatures`, `none`, "
        "`accounts`.");
    std::string five = "[";
    for (int i = 0; i < 5; ++i) {
        five += std::string(i == 0 ? "" : ",") + R"({"dataSize":)" + std::to_string(i) + "}";
    }
    five += "]";
    check_error(
        call(*c, 9, "programSubscribe", "[\"" + k + R"(",{"filters":)" + five + "}]"),
        -32602,
        "Invalid params: Too many filters provided; max 4.");
    const std::string big(176, '2');
    check_error(
        call(
            *c,
            10,
            "programSubscribe",
            "[\"" + k + R"(",{"filters":[{"memcmp":{"offset":0,"bytes":")" + big + R"("}}]}])"),
        -32602,
        "Invalid params: Invalid param: DataTooLarge.");
    check_error(
        call(
            *c,
            11,
            "programSubscribe",
            "[\"" + k + R"(",{"filters":[{"memcmp":{"offset":0,"bytes":"abl"}}]}])"),
        -32602,
        "Invalid params: Invalid param: Base58DecodeError(InvalidCharacter { character: 'l', "
        "index: 2 }).");
}

TEST_CASE("messages above 4 KiB and invalid UTF-8 close the connection", "[sim][solana_node]") {
    fixture f;
    SECTION("a request just under the limit is answered") {
        auto c = f.connect();
        std::string padded = R"({"jsonrpc":"2.0","id":1,"method":"getVersion","pad":")";
        padded += std::string(4000 - padded.size() - 2, 'p') + "\"}";
        REQUIRE(padded.size() <= 4096);
        c->send_text(padded);
        CHECK(c->next_containing("solana-core", wait_long));
    }
    SECTION("a request above it ends the connection without a JSON-RPC error") {
        auto c = f.connect();
        std::string padded = R"({"jsonrpc":"2.0","id":1,"method":"getVersion","pad":")";
        padded += std::string(4200, 'p') + "\"}";
        c->send_text(padded);
        REQUIRE(c->wait_closed(wait_long));
        CHECK_FALSE(c->close_info().close_frame);
        CHECK_FALSE(c->next(100ms));
    }
    SECTION("invalid UTF-8") {
        auto c = f.connect();
        c->send_text("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getVersion\",\"x\":\"\xC3\x28\"}");
        REQUIRE(c->wait_closed(wait_long));
        CHECK_FALSE(c->close_info().close_frame);
    }
}

// ---- notifications
// -----------------------------------------------------------------------------------

TEST_CASE(
    "slot, slotsUpdates and root notifications follow commitment progression",
    "[sim][solana_node]") {
    auto config = fast_config();
    config.chain.fork_rate = 0.25; // dead slots soon
    fixture f(std::move(config));
    auto c = f.connect();
    const std::uint64_t slot_sub = subscribe(*c, 1, "slotSubscribe");
    const std::uint64_t updates_sub = subscribe(*c, 2, "slotsUpdatesSubscribe");
    const std::uint64_t root_sub = subscribe(*c, 3, "rootSubscribe");

    std::map<std::uint64_t, std::vector<std::string>> events; // slot -> update types, in order
    std::vector<std::uint64_t> roots;
    std::size_t slot_notifications = 0;
    std::set<std::string> seen;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline
           && (roots.size() < 15 || seen.count("dead") == 0
               || seen.count("optimisticConfirmation") == 0)) {
        const auto m = c->next(50ms);
        if (!m) {
            continue;
        }
        const auto doc = parse(m->data);
        if (!doc.HasMember("method")) {
            continue;
        }
        const std::string method = doc["method"].GetString();
        const auto& params = doc["params"];
        if (method == "slotNotification") {
            CHECK(params["subscription"].GetUint64() == slot_sub);
            const auto& r = params["result"];
            CHECK(r["parent"].GetUint64() < r["slot"].GetUint64());
            CHECK(r["root"].GetUint64() < r["slot"].GetUint64());
            ++slot_notifications;
        } else if (method == "slotsUpdatesNotification") {
            CHECK(params["subscription"].GetUint64() == updates_sub);
            const auto& r = params["result"];
            const std::string type = r["type"].GetString();
            seen.insert(type);
            CHECK(r["timestamp"].IsUint64());
            if (type == "createdBank") {
                CHECK(r["parent"].GetUint64() < r["slot"].GetUint64());
            } else {
                CHECK_FALSE(r.HasMember("parent"));
            }
            if (type == "frozen") {
                CHECK(r["stats"].HasMember("numTransactionEntries"));
                CHECK(r["stats"].HasMember("numSuccessfulTransactions"));
                CHECK(r["stats"].HasMember("numFailedTransactions"));
                CHECK(r["stats"].HasMember("maxTransactionsPerEntry"));
            }
            if (type == "dead") {
                CHECK(std::string(r["err"].GetString()).rfind("error: ", 0) == 0);
            }
            events[r["slot"].GetUint64()].push_back(type);
        } else if (method == "rootNotification") {
            CHECK(params["subscription"].GetUint64() == root_sub);
            roots.push_back(params["result"].GetUint64());
        }
    }
    CHECK(slot_notifications > 10);
    for (const char* type :
         {"firstShredReceived",
          "createdBank",
          "completed",
          "frozen",
          "optimisticConfirmation",
          "root",
          "dead"}) {
        INFO(type);
        CHECK(seen.count(type) == 1);
    }
    REQUIRE(roots.size() >= 15);
    CHECK(std::is_sorted(roots.begin(), roots.end()));
    CHECK(std::adjacent_find(roots.begin(), roots.end()) == roots.end());
    // Per slot seen from its start: createdBank, then frozen, then optimisticConfirmation (unless
    // it was confirmed implicitly as an ancestor: no update), then root; a dead slot never
    // confirms.
    std::size_t full = 0;
    for (const auto& [slot, types] : events) {
        const auto pos = [&types](const std::string& t) {
            return std::find(types.begin(), types.end(), t) - types.begin();
        };
        const auto n = static_cast<std::ptrdiff_t>(types.size());
        if (pos("dead") < n) {
            CHECK(pos("optimisticConfirmation") == n);
            CHECK(pos("root") == n);
            CHECK(pos("createdBank") < pos("dead"));
            continue;
        }
        if (pos("createdBank") < n && pos("root") < n) {
            CHECK(pos("createdBank") < pos("frozen"));
            CHECK(pos("frozen") < pos("root"));
            if (pos("optimisticConfirmation") < n) {
                CHECK(pos("frozen") < pos("optimisticConfirmation"));
                CHECK(pos("optimisticConfirmation") < pos("root"));
                ++full;
            }
        }
    }
    CHECK(full > 5);
    // A root notification means the RPC finalized level has reached that slot too.
    CHECK(f.slot("finalized") >= roots.back());
}

TEST_CASE(
    "blockSubscribe renders confirmed and finalized blocks and catches up over ancestors",
    "[sim][solana_node]") {
    fixture f;
    auto c = f.connect();
    const std::uint64_t fin = subscribe(
        *c,
        1,
        "blockSubscribe",
        R"(["all",{"encoding":"json","transactionDetails":"signatures","maxSupportedTransactionVersion":0,"showRewards":true}])");
    const auto blocks = notifications(*c, "blockNotification", 12);
    REQUIRE(blocks.size() == 12);
    std::optional<std::uint64_t> prev_slot;
    std::string prev_hash;
    for (const auto& doc : blocks) {
        const auto& result = doc["params"]["result"];
        CHECK(doc["params"]["subscription"].GetUint64() == fin);
        const std::uint64_t slot = result["context"]["slot"].GetUint64();
        CHECK_FALSE(result["context"].HasMember("apiVersion")); // PubSub contexts have none
        const auto& value = result["value"];
        CHECK(value["slot"].GetUint64() == slot);
        CHECK(value["err"].IsNull());
        const auto& block = value["block"];
        CHECK(block.HasMember("signatures"));
        CHECK(block.HasMember("rewards"));
        CHECK_FALSE(block.HasMember("transactions"));
        // Consecutive finalized notifications are consecutive blocks of the chain.
        if (prev_slot) {
            CHECK(block["parentSlot"].GetUint64() == *prev_slot);
            CHECK(std::string(block["previousBlockhash"].GetString()) == prev_hash);
        }
        prev_slot = slot;
        prev_hash = block["blockhash"].GetString();
        // The same block over HTTP.
        const auto http = f.rpc(
            "getBlock",
            open_list(slot)
                + R"(,{"transactionDetails":"signatures","maxSupportedTransactionVersion":0}])");
        CHECK(std::string(http["result"]["blockhash"].GetString()) == prev_hash);
        CHECK(http["result"]["signatures"].Size() == block["signatures"].Size());
    }
}

TEST_CASE(
    "confirmed blockSubscribe catches up over implicitly confirmed ancestors",
    "[sim][solana_node]") {
    fixture f;
    auto c = f.connect();
    auto updates = f.connect();
    (void)subscribe(*updates, 1, "slotsUpdatesSubscribe");
    (void)subscribe(
        *c,
        1,
        "blockSubscribe",
        R"(["all",{"commitment":"confirmed","transactionDetails":"none","maxSupportedTransactionVersion":0}])");
    const auto blocks = notifications(*c, "blockNotification", 40, 10s);
    REQUIRE(blocks.size() == 40);
    std::set<std::uint64_t> optimistic;
    for (const auto& m : updates->collect(300ms)) {
        if (m.data.find("optimisticConfirmation") != std::string::npos) {
            optimistic.insert(parse(m.data)["params"]["result"]["slot"].GetUint64());
        }
    }
    std::size_t implicit = 0;
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        const auto& value = blocks[i]["params"]["result"]["value"];
        const auto& prev = blocks[i - 1]["params"]["result"]["value"];
        // No block of the chain is left out, even those confirmed without an update of their own.
        CHECK(value["block"]["parentSlot"].GetUint64() == prev["slot"].GetUint64());
        CHECK(
            std::string(value["block"]["previousBlockhash"].GetString())
            == prev["block"]["blockhash"].GetString());
        if (!optimistic.empty() && value["slot"].GetUint64() > *optimistic.begin()
            && value["slot"].GetUint64() < *optimistic.rbegin()
            && optimistic.count(value["slot"].GetUint64()) == 0) {
            ++implicit;
        }
    }
    CHECK(implicit > 0); // one block in eight, over about 40
}

TEST_CASE(
    "blockSubscribe defaults: base64, full details, no rewards, v0 needs "
    "maxSupportedTransactionVersion",
    "[sim][solana_node]") {
    fixture f;
    auto c = f.connect();
    SECTION("defaults") {
        (void)subscribe(
            *c,
            1,
            "blockSubscribe",
            R"(["all",{"commitment":"confirmed","maxSupportedTransactionVersion":0}])");
        const auto blocks = notifications(*c, "blockNotification", 2);
        REQUIRE(blocks.size() == 2);
        const auto& block = blocks[0]["params"]["result"]["value"]["block"];
        CHECK_FALSE(block.HasMember("rewards"));
        REQUIRE(block["transactions"].Size() > 0);
        const auto& tx = block["transactions"][0];
        REQUIRE(tx["transaction"].IsArray());
        CHECK(std::string(tx["transaction"][1].GetString()) == "base64");
        CHECK(tx.HasMember("version"));
        const auto bytes = schema::base64_decode(tx["transaction"][0].GetString());
        REQUIRE(bytes);
        REQUIRE(bytes->size() > 65);
        CHECK((*bytes)[0] >= 1);
    }
    SECTION("without maxSupportedTransactionVersion blocks with v0 transactions fail") {
        (void)subscribe(*c, 1, "blockSubscribe", R"(["all",{"commitment":"confirmed"}])");
        const auto blocks = notifications(*c, "blockNotification", 6);
        REQUIRE(blocks.size() == 6);
        std::size_t failed = 0;
        for (const auto& doc : blocks) {
            const auto& value = doc["params"]["result"]["value"];
            if (value["block"].IsNull()) {
                ++failed;
                CHECK(value["err"]["UnsupportedTransactionVersion"].GetUint() == 0);
            } else {
                // Legacy-only blocks are sent, without "version" fields.
                CHECK_FALSE(value["block"]["transactions"][0].HasMember("version"));
            }
        }
        CHECK(failed > 0);
    }
    SECTION("mentionsAccountOrProgram keeps only mentioning transactions") {
        const solana_chain twin(fast_config().chain);
        (void)subscribe(
            *c,
            1,
            "blockSubscribe",
            R"([{"mentionsAccountOrProgram":")" + b58(twin.well_known().vote_program)
                + R"("},{"commitment":"confirmed","encoding":"json","maxSupportedTransactionVersion":0}])");
        const auto blocks = notifications(*c, "blockNotification", 3);
        REQUIRE(blocks.size() == 3);
        for (const auto& doc : blocks) {
            for (const auto& tx :
                 doc["params"]["result"]["value"]["block"]["transactions"].GetArray()) {
                const auto& keys = tx["transaction"]["message"]["accountKeys"];
                bool has_vote = false;
                for (const auto& k : keys.GetArray()) {
                    has_vote |= std::string(k.GetString())
                                == "Vote111111111111111111111111111111111111111";
                }
                CHECK(has_vote);
            }
        }
    }
}

TEST_CASE(
    "logsSubscribe: all skips votes, allWithVotes has them, mentions filters",
    "[sim][solana_node]") {
    fixture f;
    const solana_chain twin(fast_config().chain);
    const std::string vote = "Vote111111111111111111111111111111111111111";
    const std::string program = b58(twin.well_known().sim_programs[1]);
    const auto logs_of = [](const rapidjson::Document& d) {
        std::string all;
        for (const auto& l : d["params"]["result"]["value"]["logs"].GetArray()) {
            all += l.GetString();
            all += '\n';
        }
        return all;
    };
    SECTION("all") {
        auto c = f.connect();
        (void)subscribe(*c, 1, "logsSubscribe", R"(["all",{"commitment":"processed"}])");
        const auto logs = notifications(*c, "logsNotification", 30);
        REQUIRE(logs.size() == 30);
        std::size_t failed = 0;
        for (const auto& d : logs) {
            CHECK(logs_of(d).find(vote) == std::string::npos);
            const auto& value = d["params"]["result"]["value"];
            CHECK(schema::is_base58_of_size(value["signature"].GetString(), 64));
            if (!value["err"].IsNull()) {
                ++failed;
            }
        }
        CHECK(failed > 0); // 10 % of 30 non-vote transactions, give or take
    }
    SECTION("allWithVotes") {
        auto c = f.connect();
        (void)subscribe(*c, 1, "logsSubscribe", R"(["allWithVotes",{"commitment":"confirmed"}])");
        const auto logs = notifications(*c, "logsNotification", 30);
        REQUIRE(logs.size() == 30);
        CHECK(std::any_of(logs.begin(), logs.end(), [&](const auto& d) {
            return logs_of(d).find(vote) != std::string::npos;
        }));
    }
    SECTION("mentions") {
        auto c = f.connect();
        (void)subscribe(
            *c,
            1,
            "logsSubscribe",
            R"([{"mentions":[")" + program + R"("]},{"commitment":"processed"}])");
        const auto logs = notifications(*c, "logsNotification", 5);
        REQUIRE(logs.size() == 5);
        for (const auto& d : logs) {
            CHECK(logs_of(d).find(program) != std::string::npos);
        }
    }
}

TEST_CASE(
    "accountSubscribe: legacy base58 default, the 128-byte error, exact u64s",
    "[sim][solana_node]") {
    fixture f;
    const solana_chain twin(fast_config().chain);
    // Pool index 2 has 200 bytes of data, index 0 is a system account above 2^53 lamports,
    // index 1 a 96-byte program account.
    const auto& pool = twin.pool();
    REQUIRE(pool[2].data_len == 200);
    REQUIRE(pool[0].big_lamports);
    auto c = f.connect();
    const std::uint64_t huge = subscribe(
        *c,
        1,
        "accountSubscribe",
        "[\"" + b58(pool[2].pubkey) + R"(",{"commitment":"processed"}])");
    const std::uint64_t big = subscribe(
        *c,
        2,
        "accountSubscribe",
        "[\"" + b58(pool[0].pubkey) + R"(",{"commitment":"processed","encoding":"base64"}])");
    const std::uint64_t small = subscribe(
        *c,
        3,
        "accountSubscribe",
        "[\"" + b58(pool[1].pubkey) + R"(",{"commitment":"processed"}])");
    std::set<std::uint64_t> pending = {huge, big, small};
    const auto deadline = std::chrono::steady_clock::now() + wait_long;
    while (!pending.empty() && std::chrono::steady_clock::now() < deadline) {
        const auto m = c->next(50ms);
        if (!m || m->data.find("accountNotification") == std::string::npos) {
            continue;
        }
        const auto doc = parse(m->data);
        const std::uint64_t sub = doc["params"]["subscription"].GetUint64();
        const auto& value = doc["params"]["result"]["value"];
        CHECK(doc["params"]["result"]["context"]["slot"].IsUint64());
        REQUIRE(value["rentEpoch"].IsUint64());
        CHECK(value["rentEpoch"].GetUint64() == 18446744073709551615ULL);
        CHECK(m->data.find("\"rentEpoch\":18446744073709551615") != std::string::npos);
        if (sub == huge) {
            REQUIRE(value["data"].IsString());
            CHECK(
                std::string(value["data"].GetString())
                == "error: data too large for bs58 encoding");
            CHECK(value["space"].GetUint64() == 200);
        } else if (sub == big) {
            CHECK(value["lamports"].GetUint64() > (std::uint64_t{1} << 53U));
            CHECK(std::string(value["data"][1].GetString()) == "base64");
            CHECK(std::string(value["owner"].GetString()) == "11111111111111111111111111111111");
        } else if (sub == small) {
            REQUIRE(value["data"].IsString()); // bare legacy base58
            const auto data = schema::base58_decode(value["data"].GetString());
            REQUIRE(data);
            CHECK(data->size() == 96);
            CHECK(
                std::equal(pool[1].data_prefix.begin(), pool[1].data_prefix.end(), data->begin()));
        }
        pending.erase(sub);
    }
    CHECK(pending.empty());
}

TEST_CASE("programSubscribe applies dataSize and memcmp filters", "[sim][solana_node]") {
    fixture f;
    const solana_chain twin(fast_config().chain);
    const auto& program = twin.well_known().sim_programs[0]; // owns 96- and 40-byte accounts
    std::vector<std::uint8_t> discriminator;
    for (const auto& p : twin.pool()) {
        if (p.owner == program && p.data_len == 96) {
            discriminator.assign(p.data_prefix.begin(), p.data_prefix.begin() + 8);
            break;
        }
    }
    REQUIRE(discriminator.size() == 8);
    auto c = f.connect();
    const std::uint64_t sized = subscribe(
        *c,
        1,
        "programSubscribe",
        "[\"" + b58(program)
            + R"(",{"commitment":"processed","encoding":"base64","filters":[{"dataSize":40}]}])");
    const std::uint64_t cmp = subscribe(
        *c,
        2,
        "programSubscribe",
        "[\"" + b58(program)
            + R"(",{"commitment":"processed","encoding":"base64","filters":[{"memcmp":{"offset":0,"bytes":")"
            + schema::base64_encode(discriminator) + R"(","encoding":"base64"}}]}])");
    const std::uint64_t all = subscribe(
        *c,
        3,
        "programSubscribe",
        "[\"" + b58(program) + R"(",{"commitment":"processed","encoding":"base64"}])");
    std::map<std::uint64_t, std::set<std::size_t>> sizes;
    const auto notes = notifications(*c, "programNotification", 40);
    REQUIRE(notes.size() == 40);
    for (const auto& d : notes) {
        const auto& account = d["params"]["result"]["value"]["account"];
        CHECK(schema::is_base58_of_size(d["params"]["result"]["value"]["pubkey"].GetString(), 32));
        CHECK(std::string(account["owner"].GetString()) == b58(program));
        const auto data = schema::base64_decode(account["data"][0].GetString());
        REQUIRE(data);
        const std::uint64_t sub = d["params"]["subscription"].GetUint64();
        sizes[sub].insert(data->size());
        if (sub == cmp) {
            CHECK(std::equal(discriminator.begin(), discriminator.end(), data->begin()));
        }
    }
    CHECK(sizes[sized] == std::set<std::size_t>{40});
    CHECK(sizes[cmp] == std::set<std::size_t>{96});
    CHECK(sizes[all].size() == 2);
}

TEST_CASE(
    "signatureSubscribe is one-shot, with an optional received notification",
    "[sim][solana_node]") {
    fixture f;
    // A twin chain knows the signatures of slots the node has not produced yet.
    solana_chain twin(fast_config().chain);
    const std::uint64_t now = f.slot("processed");
    while (twin.tip().value_or(0) < now + 40) {
        (void)twin.advance();
    }
    std::vector<std::uint64_t> future;
    for (const auto s : twin.blocks_in(now + 25, now + 40)) {
        future.push_back(s);
    }
    REQUIRE(future.size() >= 2);
    const auto tx_a = twin.block(future[0])->transactions[0];
    const auto tx_b = twin.block(future[1])->transactions[1];
    auto c = f.connect();
    const std::uint64_t a = subscribe(
        *c,
        1,
        "signatureSubscribe",
        "[\"" + tx_a.signature_b58
            + R"(",{"commitment":"processed","enableReceivedNotification":true}])");
    const std::uint64_t b = subscribe(
        *c,
        2,
        "signatureSubscribe",
        "[\"" + tx_b.signature_b58 + R"(",{"commitment":"finalized"}])");
    const auto notes = notifications(*c, "signatureNotification", 3, 10s);
    REQUIRE(notes.size() == 3);
    CHECK(notes[0]["params"]["subscription"].GetUint64() == a);
    CHECK(notes[0]["params"]["result"]["value"].IsString());
    CHECK(std::string(notes[0]["params"]["result"]["value"].GetString()) == "receivedSignature");
    CHECK(notes[1]["params"]["subscription"].GetUint64() == a);
    CHECK(notes[1]["params"]["result"]["context"]["slot"].GetUint64() == future[0]);
    CHECK(notes[1]["params"]["result"]["value"]["err"].IsNull() == !tx_a.failed());
    CHECK(notes[2]["params"]["subscription"].GetUint64() == b);
    CHECK(notes[2]["params"]["result"]["context"]["slot"].GetUint64() == future[1]);
    // Final notifications remove the subscription.
    check_error(
        call(*c, 3, "signatureUnsubscribe", open_list(a) + "]"),
        -32602,
        "Invalid subscription id.");
    check_error(
        call(*c, 4, "signatureUnsubscribe", open_list(b) + "]"),
        -32602,
        "Invalid subscription id.");
    // A signature that already landed is never notified.
    (void)subscribe(
        *c,
        5,
        "signatureSubscribe",
        "[\"" + tx_a.signature_b58 + R"(",{"commitment":"processed"}])");
    CHECK(notifications(*c, "signatureNotification", 1, 300ms).empty());
}

TEST_CASE("voteSubscribe streams gossip votes", "[sim][solana_node]") {
    fixture f;
    auto c = f.connect();
    const std::uint64_t sub = subscribe(*c, 1, "voteSubscribe");
    const auto votes = notifications(*c, "voteNotification", 5);
    REQUIRE(votes.size() == 5);
    for (const auto& d : votes) {
        CHECK(d["params"]["subscription"].GetUint64() == sub);
        const auto& r = d["params"]["result"];
        CHECK(schema::is_base58_of_size(r["votePubkey"].GetString(), 32));
        CHECK(schema::is_base58_of_size(r["hash"].GetString(), 32));
        CHECK(schema::is_base58_of_size(r["signature"].GetString(), 64));
        CHECK(r["slots"].Size() >= 1);
        CHECK((r["timestamp"].IsNull() || r["timestamp"].IsInt64()));
    }
}

// ---- HTTP
// ------------------------------------------------------------------------------------------------

TEST_CASE(
    "every finalized block in the truth file is served by getBlock, skipped slots are -32007 and "
    "absent from getBlocks",
    "[sim][solana_node]") {
    auto config = fast_config();
    config.drop = 0.5; // dropped notifications do not matter: RPC serves everything
    fixture f(std::move(config));
    auto c = f.connect();
    (void)subscribe(*c, 1, "blockSubscribe", R"(["all",{"transactionDetails":"none"}])");
    REQUIRE(wait_until(
        [&] { return f.node().finalized_slot() >= f.node().chain().first_slot() + 120; }, 15s));
    f.truth().flush();
    const auto records = truth_records(f.truth_path());
    std::vector<const rapidjson::Document*> blocks;
    std::vector<std::uint64_t> block_slots;
    std::vector<std::uint64_t> skipped;
    std::set<std::uint64_t> orphaned;
    for (const auto& r : records) {
        if (kind_of(r) == "solana_block") {
            blocks.push_back(&r);
            block_slots.push_back(r["slot"].GetUint64());
        } else if (kind_of(r) == "solana_skipped") {
            skipped.push_back(r["slot"].GetUint64());
        } else if (kind_of(r) == "solana_orphaned") {
            orphaned.insert(r["slot"].GetUint64());
        }
    }
    REQUIRE(blocks.size() > 60);
    REQUIRE(skipped.size() > 5);
    REQUIRE_FALSE(orphaned.empty());
    // Every slot from the first up to the last finalized one is accounted for exactly once.
    const std::uint64_t first = block_slots.front();
    const std::uint64_t last = std::max(block_slots.back(), skipped.back());
    CHECK(block_slots.size() + skipped.size() == last - first + 1);
    for (const auto s : orphaned) {
        CHECK(std::find(skipped.begin(), skipped.end(), s) != skipped.end());
    }

    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const auto& t = *blocks[i];
        const std::uint64_t slot = t["slot"].GetUint64();
        INFO("slot " << slot);
        const auto doc = f.rpc(
            "getBlock",
            open_list(slot)
                + R"(,{"encoding":"json","transactionDetails":"signatures","rewards":false,"maxSupportedTransactionVersion":0}])");
        REQUIRE(doc.HasMember("result"));
        const auto& b = doc["result"];
        CHECK(std::string(b["blockhash"].GetString()) == t["blockhash"].GetString());
        CHECK(
            std::string(b["previousBlockhash"].GetString()) == t["previous_blockhash"].GetString());
        CHECK(b["parentSlot"].GetUint64() == t["parent_slot"].GetUint64());
        CHECK(b["blockTime"].GetInt64() == t["block_time"].GetInt64());
        CHECK(b["blockHeight"].GetUint64() == t["block_height"].GetUint64());
        CHECK(b["signatures"].Size() == t["transaction_count"].GetUint64());
        if (i > 0) { // linkage on the finalized chain
            CHECK(t["parent_slot"].GetUint64() == (*blocks[i - 1])["slot"].GetUint64());
            CHECK(
                std::string(t["previous_blockhash"].GetString())
                == (*blocks[i - 1])["blockhash"].GetString());
        }
    }
    for (const auto slot : skipped) {
        const auto doc
            = f.rpc("getBlock", open_list(slot) + R"(,{"maxSupportedTransactionVersion":0}])");
        check_error(
            doc,
            -32007,
            "Slot " + std::to_string(slot)
                + " was skipped, or missing due to ledger jump to recent snapshot");
        check_error(
            f.rpc("getBlockTime", open_list(slot) + "]"),
            -32007,
            "Slot " + std::to_string(slot)
                + " was skipped, or missing due to ledger jump to recent snapshot");
    }
    const auto listed
        = f.rpc("getBlocks", open_list(first) + "," + std::to_string(block_slots.back()) + "]");
    std::vector<std::uint64_t> got;
    for (const auto& v : listed["result"].GetArray()) {
        got.push_back(v.GetUint64());
    }
    CHECK(got == block_slots);
    const auto limited = f.rpc("getBlocksWithLimit", open_list(first) + ",5]");
    REQUIRE(limited["result"].Size() == 5);
    CHECK(limited["result"][4].GetUint64() == block_slots[4]);
}

TEST_CASE(
    "getBlock distinguishes not-yet-final, skipped, cleaned-up and unsupported versions",
    "[sim][solana_node]") {
    fixture f;
    REQUIRE(wait_until([&] { return f.node().finalized_slot() != 0; }));
    const std::uint64_t first = f.rpc("getFirstAvailableBlock")["result"].GetUint64();
    const std::uint64_t processed = f.slot("processed");
    const std::uint64_t confirmed = f.slot("confirmed");
    const std::uint64_t finalized = f.slot("finalized");
    CHECK(processed >= confirmed);
    CHECK(confirmed >= finalized);
    CHECK(finalized >= first);
    CHECK(f.rpc("minimumLedgerSlot")["result"].GetUint64() == first);

    const std::uint64_t future = processed + 1000;
    check_error(
        f.rpc("getBlock", open_list(future) + "]"),
        -32004,
        "Block not available for slot " + std::to_string(future));
    check_error(
        f.rpc("getBlockTime", open_list(future) + "]"),
        -32004,
        "Block not available for slot " + std::to_string(future));
    check_error(
        f.rpc("getBlock", open_list(first - 1) + "]"),
        -32001,
        "Block " + std::to_string(first - 1)
            + " cleaned up, does not exist on node. First available block: "
            + std::to_string(first));
    check_error(
        f.rpc("getBlock", open_list(first) + R"(,{"commitment":"processed"}])"),
        -32602,
        "Method does not support commitment below `confirmed`");
    // A block between finalized and confirmed: -32004 at finalized, served at confirmed.
    REQUIRE(wait_until([&] { return f.slot("confirmed") > f.slot("finalized") + 1; }));
    const std::uint64_t c2 = f.slot("confirmed");
    const auto at_confirmed = f.rpc(
        "getBlock",
        open_list(c2) + R"(,{"commitment":"confirmed","maxSupportedTransactionVersion":0}])");
    if (f.slot("finalized") < c2) {
        check_error(
            f.rpc("getBlock", open_list(c2) + R"(,{"maxSupportedTransactionVersion":0}])"),
            -32004,
            "Block not available for slot " + std::to_string(c2));
    }
    REQUIRE(at_confirmed.HasMember("result"));
    CHECK(at_confirmed["result"]["transactions"].Size() > 0);
    // The first finalized block with a v0 transaction needs maxSupportedTransactionVersion.
    bool saw_v0 = false;
    for (std::uint64_t s = first; s <= f.slot("finalized") && !saw_v0; ++s) {
        const auto doc = f.rpc(
            "getBlock", open_list(s) + R"(,{"transactionDetails":"none","rewards":false}])");
        if (doc.HasMember("error") && doc["error"]["code"].GetInt() == -32015) {
            saw_v0 = true;
            CHECK(
                std::string(doc["error"]["message"].GetString())
                == "Transaction version (0) is not supported by the requesting client. Please try "
                   "the request again with the following configuration parameter: "
                   "\"maxSupportedTransactionVersion\": 0");
        }
    }
    CHECK(saw_v0);
    // Legacy form [slot, "encoding"] and every encoding parse.
    for (const char* enc : {"json", "jsonParsed", "base64", "base58"}) {
        const auto doc = f.rpc(
            "getBlock",
            open_list(first) + R"(,{"encoding":")" + enc
                + R"(","maxSupportedTransactionVersion":0}])");
        INFO(enc);
        CHECK(doc.HasMember("result"));
    }
}

TEST_CASE("getBlocks clamps to the root and enforces its limits", "[sim][solana_node]") {
    fixture f;
    REQUIRE(wait_until([&] { return f.node().finalized_slot() != 0; }));
    const std::uint64_t first = f.rpc("getFirstAvailableBlock")["result"].GetUint64();
    const std::uint64_t root = f.slot("finalized");
    // The end is clamped to the root (no error for a huge end that the clamp brings in range).
    const auto clamped
        = f.rpc("getBlocks", open_list(first) + "," + std::to_string(first + 10'000'000) + "]");
    REQUIRE(clamped.HasMember("result"));
    CHECK(clamped["result"][clamped["result"].Size() - 1].GetUint64() <= f.slot("finalized"));
    CHECK(clamped["result"][clamped["result"].Size() - 1].GetUint64() >= root);
    check_error(
        f.rpc("getBlocks", "[0," + std::to_string(first) + "]"),
        -32602,
        "Slot range too large; max 500000");
    CHECK(f.rpc("getBlocks", open_list(root + 100) + "]")["result"].Size() == 0);
    check_error(
        f.rpc("getBlocks", open_list(first) + R"(,{"commitment":"processed"}])"),
        -32602,
        "Method does not support commitment below `confirmed`");
    check_error(
        f.rpc("getBlocksWithLimit", open_list(first) + ",500001]"),
        -32602,
        "Limit too large; max 500000");
    // With confirmed, confirmed-but-unrooted blocks are included.
    REQUIRE(wait_until([&] { return f.slot("confirmed") > f.slot("finalized"); }));
    const auto confirmed = f.rpc("getBlocks", open_list(first) + R"(,{"commitment":"confirmed"}])");
    const auto finalized = f.rpc("getBlocks", open_list(first) + R"(,{"commitment":"finalized"}])");
    CHECK(confirmed["result"].Size() >= finalized["result"].Size());
    const auto min_context
        = f.rpc("getBlocks", open_list(first) + R"(,{"minContextSlot":18446744073709551615}])");
    REQUIRE(min_context.HasMember("error"));
    CHECK(min_context["error"]["code"].GetInt() == -32016);
    CHECK(min_context["error"]["data"]["contextSlot"].IsUint64());
}

TEST_CASE("getSignatureStatuses reports commitment per signature", "[sim][solana_node]") {
    fixture f;
    REQUIRE(wait_until([&] { return f.node().finalized_slot() != 0; }));
    const std::uint64_t first = f.rpc("getFirstAvailableBlock")["result"].GetUint64();
    const auto block = f.rpc(
        "getBlock",
        open_list(first)
            + R"(,{"transactionDetails":"signatures","maxSupportedTransactionVersion":0}])");
    const std::string sig = block["result"]["signatures"][0].GetString();
    const std::string unknown = schema::base58_encode(schema::bytes64{{3, 1, 4}});
    const auto doc = f.rpc(
        "getSignatureStatuses",
        R"([[")" + sig + R"(",")" + unknown + R"("],{"searchTransactionHistory":true}])");
    const auto& result = doc["result"];
    CHECK(result["context"]["slot"].IsUint64());
    CHECK(result["context"].HasMember("apiVersion"));
    const auto& v = result["value"];
    REQUIRE(v.Size() == 2);
    CHECK(v[0]["slot"].GetUint64() == first);
    CHECK(v[0]["confirmations"].IsNull());
    CHECK(std::string(v[0]["confirmationStatus"].GetString()) == "finalized");
    CHECK(v[1].IsNull());
    std::string many = "[[";
    for (int i = 0; i < 257; ++i) {
        many += std::string(i == 0 ? "" : ",") + "\"" + sig + "\"";
    }
    many += "]]";
    check_error(f.rpc("getSignatureStatuses", many), -32602, "Too many inputs provided; max 256");
    check_error(f.rpc("getSignatureStatuses", R"([["0"]])"), -32602, "Invalid param: Invalid");
    check_error(f.rpc("getNothing"), -32601, "Method not found");
    const auto version = f.rpc("getVersion");
    CHECK(version["result"].HasMember("solana-core"));
    const auto t = f.rpc("getBlockTime", open_list(first) + "]");
    CHECK(t["result"].IsInt64());
}

TEST_CASE("the same seed gives the same chain, served identically", "[sim][solana_node]") {
    auto config = fast_config();
    config.history_slots = 40;
    config.slot_time = 10s; // frozen: only the history exists
    fixture a(config);
    fixture b(config);
    REQUIRE(a.slot("finalized") == b.slot("finalized"));
    const std::uint64_t first = a.rpc("getFirstAvailableBlock")["result"].GetUint64();
    const auto ha = test::http_post(
        a.rpc_url(),
        R"({"jsonrpc":"2.0","id":1,"method":"getBlocks","params":[)" + std::to_string(first)
            + "]}");
    const auto hb = test::http_post(
        b.rpc_url(),
        R"({"jsonrpc":"2.0","id":1,"method":"getBlocks","params":[)" + std::to_string(first)
            + "]}");
    CHECK(ha.body == hb.body);
    const auto slots = parse(ha.body);
    REQUIRE(slots["result"].Size() > 10);
    for (const auto& s : slots["result"].GetArray()) {
        const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"getBlock","params":[)"
                                 + std::to_string(s.GetUint64())
                                 + R"(,{"encoding":"base64","maxSupportedTransactionVersion":0}]})";
        CHECK(test::http_post(a.rpc_url(), body).body == test::http_post(b.rpc_url(), body).body);
    }
}

// ---- faults
// ----------------------------------------------------------------------------------------------

/// Waits for the truth record of a closed connection (written by on_close).
std::optional<rapidjson::Document> connection_record(fixture& f) {
    std::optional<rapidjson::Document> found;
    (void)wait_until([&] {
        f.truth().flush();
        for (auto& r : truth_records(f.truth_path())) {
            if (kind_of(r) == "solana_connection") {
                found = std::move(r);
                return true;
            }
        }
        return false;
    });
    return found;
}

TEST_CASE(
    "drop loses notifications but not data, and the truth counts them",
    "[sim][solana_node][faults]") {
    auto config = fast_config();
    config.drop = 0.5;
    fixture f(std::move(config));
    std::vector<std::uint64_t> roots;
    {
        auto c = f.connect();
        (void)subscribe(*c, 1, "rootSubscribe");
        const std::uint64_t from = f.slot("finalized");
        REQUIRE(wait_until([&] { return f.slot("finalized") >= from + 60; }));
        for (const auto& d : notifications(*c, "rootNotification", 1000, 300ms)) {
            roots.push_back(d["params"]["result"].GetUint64());
        }
    }
    CHECK(roots.size() > 5);
    CHECK(
        std::adjacent_find(roots.begin(), roots.end(), [](auto a, auto b) { return b > a + 1; })
        != roots.end());
    const auto record = connection_record(f);
    REQUIRE(record);
    const std::uint64_t dropped = (*record)["dropped"].GetUint64();
    CHECK(dropped > 5);
    CHECK((*record)["notifications"]["rootNotification"].GetUint64() >= roots.size() + dropped);
    CHECK(std::string((*record)["end"].GetString()) == "client");
    // Every root the client missed is still served over RPC.
    for (std::size_t i = 1; i < roots.size(); ++i) {
        for (std::uint64_t s = roots[i - 1] + 1; s < roots[i]; ++s) {
            const auto doc = f.rpc(
                "getBlock",
                open_list(s)
                    + R"(,{"transactionDetails":"none","maxSupportedTransactionVersion":0}])");
            CHECK((doc.HasMember("result") || doc["error"]["code"].GetInt() == -32007));
        }
    }
}

TEST_CASE("duplicate sends some notifications twice", "[sim][solana_node][faults]") {
    auto config = fast_config();
    config.duplicate = 0.5;
    fixture f(std::move(config));
    auto c = f.connect();
    (void)subscribe(*c, 1, "rootSubscribe");
    std::vector<std::uint64_t> roots;
    for (const auto& d : notifications(*c, "rootNotification", 40)) {
        roots.push_back(d["params"]["result"].GetUint64());
    }
    REQUIRE(roots.size() == 40);
    CHECK(std::is_sorted(roots.begin(), roots.end()));
    CHECK(std::adjacent_find(roots.begin(), roots.end()) != roots.end());
}

TEST_CASE("reorder shuffles notifications within a window", "[sim][solana_node][faults]") {
    auto config = fast_config();
    config.reorder = 8;
    fixture f(std::move(config));
    auto c = f.connect();
    (void)subscribe(*c, 1, "rootSubscribe");
    std::vector<std::uint64_t> roots;
    for (const auto& d : notifications(*c, "rootNotification", 40)) {
        roots.push_back(d["params"]["result"].GetUint64());
    }
    REQUIRE(roots.size() == 40);
    CHECK_FALSE(std::is_sorted(roots.begin(), roots.end()));
    std::set<std::uint64_t> distinct(roots.begin(), roots.end());
    CHECK(distinct.size() == roots.size()); // nothing lost or doubled
}

TEST_CASE(
    "disconnect-every drops the connection without a close frame after N messages",
    "[sim][solana_node][faults]") {
    auto config = fast_config();
    config.disconnect_every = 25;
    fixture f(std::move(config));
    auto c = f.connect();
    c->send_text(R"({"jsonrpc":"2.0","id":1,"method":"slotsUpdatesSubscribe"})");
    REQUIRE(c->wait_closed(wait_long));
    const auto info = c->close_info();
    CHECK_FALSE(info.close_frame);
    std::size_t messages = 0;
    while (c->next(10ms)) {
        ++messages;
    }
    CHECK(messages == 25); // the reply and 24 notifications
    const auto record = connection_record(f);
    REQUIRE(record);
    CHECK(std::string((*record)["end"].GetString()) == "disconnect_every");
    CHECK((*record)["frames"].GetUint64() == 25);
}

TEST_CASE(
    "an outage drops connections and refuses new ones while the chain moves on",
    "[sim][solana_node][faults]") {
    auto config = fast_config();
    config.outage = outage_window{0.4, 0.8};
    fixture f(std::move(config));
    auto before = f.connect();
    (void)subscribe(*before, 1, "slotSubscribe");
    REQUIRE(before->wait_closed(wait_long));
    CHECK_FALSE(before->close_info().close_frame);
    const std::uint64_t at_start = f.slot("processed");
    ws_client during("127.0.0.1", f.ws_port(), 2000ms);
    CHECK_FALSE(during.connected());
    std::unique_ptr<ws_client> after;
    REQUIRE(wait_until([&] {
        after = std::make_unique<ws_client>("127.0.0.1", f.ws_port(), 500ms);
        return after->connected();
    }));
    CHECK(f.slot("processed") > at_start + 10); // about 0.8 s of slots went by
    (void)subscribe(*after, 1, "slotSubscribe");
    CHECK(after->next_containing("slotNotification", wait_long));
}

TEST_CASE(
    "malformed-every injects invalid JSON, binary and oversized frames",
    "[sim][solana_node][faults]") {
    auto config = fast_config();
    config.malformed_every = 4;
    config.oversized_bytes = 200'000;
    fixture f(std::move(config));
    auto c = f.connect();
    (void)subscribe(*c, 1, "slotsUpdatesSubscribe");
    bool invalid = false;
    bool binary = false;
    bool oversized = false;
    std::size_t good = 0;
    const auto deadline = std::chrono::steady_clock::now() + wait_long;
    while (!(invalid && binary && oversized && good > 10)
           && std::chrono::steady_clock::now() < deadline) {
        const auto m = c->next(50ms);
        if (!m) {
            continue;
        }
        if (m->binary) {
            binary = true;
            continue;
        }
        if (m->data.size() >= 200'000) {
            oversized = true;
            continue;
        }
        rapidjson::Document doc;
        doc.Parse(m->data.data(), m->data.size());
        if (doc.HasParseError()) {
            invalid = true;
        } else {
            ++good;
        }
    }
    CHECK(invalid);
    CHECK(binary);
    CHECK(oversized);
    CHECK(good > 10);
}

TEST_CASE(
    "RPC faults: realistic errors at the configured rate, and delays",
    "[sim][solana_node][faults]") {
    auto config = fast_config();
    config.rpc_error_rate = 0.5;
    config.rpc_delay = 120ms;
    fixture f(std::move(config));
    std::map<std::string, int> kinds;
    for (int i = 0; i < 24; ++i) {
        const auto r
            = test::http_post(f.rpc_url(), R"({"jsonrpc":"2.0","id":7,"method":"getSlot"})");
        REQUIRE(r.ok);
        CHECK(r.elapsed >= 120ms);
        if (r.status != 200) {
            kinds[std::to_string(r.status)]++;
            continue;
        }
        const auto doc = parse(r.body);
        CHECK(doc["id"].GetUint64() == 7);
        kinds[doc.HasMember("error") ? std::to_string(doc["error"]["code"].GetInt()) : "ok"]++;
    }
    CHECK(kinds["ok"] > 0);
    CHECK(kinds["ok"] < 24);
    CHECK(kinds.size() >= 3);
    for (const auto& [kind, n] : kinds) {
        INFO(kind);
        CHECK(
            (kind == "ok" || kind == "503" || kind == "429" || kind == "500" || kind == "-32005"));
    }
}

TEST_CASE(
    "the firehose streams full blocks and logs as fast as the client reads",
    "[sim][solana_node][firehose]") {
    auto config = fast_config();
    config.firehose = true;
    config.slot_time = 1s; // the pace comes from the client, not the timer
    config.history_slots = 8;
    fixture f(std::move(config));
    auto c = f.connect();
    (void)subscribe(
        *c,
        1,
        "blockSubscribe",
        R"(["all",{"commitment":"confirmed","encoding":"base64","transactionDetails":"full","maxSupportedTransactionVersion":0}])");
    (void)subscribe(*c, 2, "logsSubscribe", R"(["allWithVotes",{"commitment":"processed"}])");
    const auto block = c->next_containing("blockNotification", wait_long);
    REQUIRE(block);
    const auto doc = parse(block->data);
    const auto txs = doc["params"]["result"]["value"]["block"]["transactions"].Size();
    CHECK(txs >= 1000);
    CHECK(txs <= 2000);
    const std::uint64_t slot_before = f.slot("processed");
    REQUIRE(wait_until([&] { return f.slot("processed") > slot_before + 3; }, 10s));
}

TEST_CASE(
    "ledgertap-sim --chain solana serves the chain and writes the truth file",
    "[sim][solana_node]") {
    const std::string dir = test::make_temp_dir("sim-solana-cli");
    const std::string ports = dir + "/ports.json";
    const std::string truth = dir + "/truth.jsonl";
    test::child_process sim(
        {test::sim_executable(),
         "--chain",
         "solana",
         "--slot-ms",
         "20",
         "--duration",
         "3",
         "--seed",
         "9",
         "--history",
         "40",
         "--solana-tx-per-block",
         "6",
         "--ports-file",
         ports,
         "--truth",
         truth,
         "--log-level",
         "warn"});
    const auto p = test::read_ports_file(ports, 10s);
    REQUIRE(p);
    CHECK(p->nano_ws == 0);
    REQUIRE(p->solana_rpc != 0);
    const std::string url = "http://127.0.0.1:" + std::to_string(p->solana_rpc) + "/";
    const auto r = test::http_post(
        url,
        R"({"jsonrpc":"2.0","id":1,"method":"getSlot","params":[{"commitment":"finalized"}]})");
    REQUIRE(r.ok);
    CHECK(parse(r.body)["result"].GetUint64() > 330'000'000);
    ws_client c("127.0.0.1", p->solana_ws);
    REQUIRE(c.connected());
    (void)subscribe(c, 1, "slotSubscribe");
    CHECK(c.next_containing("slotNotification", wait_long));
    const auto code = sim.wait(15s);
    REQUIRE(code);
    CHECK(*code == 0);
    std::map<std::string, std::size_t> kinds;
    std::uint64_t max_txs = 0;
    for (const auto& rec : truth_records(truth)) {
        ++kinds[kind_of(rec)];
        if (kind_of(rec) == "solana_block") {
            max_txs = std::max(max_txs, rec["transaction_count"].GetUint64());
        }
    }
    CHECK(kinds["solana_block"] > 50);
    CHECK(kinds["solana_skipped"] > 0);
    CHECK(kinds["solana_connection"] == 1);
    CHECK(kinds["solana_summary"] == 1);
    CHECK(kinds["truth_end"] == 1);
    CHECK(kinds["nano_block"] == 0);
    CHECK(max_txs <= 9); // --solana-tx-per-block 6 gives 3..9
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

/// CPU seconds the server's service thread has used so far.
double service_cpu_seconds(fixture& f) {
    std::promise<double> done;
    auto result = done.get_future();
    f.srv().post([&done] {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        done.set_value(static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9);
    });
    REQUIRE(result.wait_for(5s) == std::future_status::ready);
    return result.get();
}

/// Firehose throughput (hidden; run with "[solana_firehose_bench]" on a Release build). Prints
/// transactions delivered per second for three subscription mixes.
TEST_CASE("firehose throughput", "[.][sim][solana_firehose_bench]") {
    struct mode {
        const char* name;
        std::vector<std::string> subscriptions;
        bool logs_count_txs; ///< every logs notification is one transaction
    };
    const std::vector<mode> modes = {
        {"logsSubscribe allWithVotes (processed)",
         {R"({"jsonrpc":"2.0","id":1,"method":"logsSubscribe","params":["allWithVotes",{"commitment":"processed"}]})"},
         true},
        {"blockSubscribe full base64 (confirmed)",
         {R"({"jsonrpc":"2.0","id":1,"method":"blockSubscribe","params":["all",{"commitment":"confirmed","encoding":"base64","maxSupportedTransactionVersion":0}]})"},
         false},
        {"blockSubscribe full json (confirmed)",
         {R"({"jsonrpc":"2.0","id":1,"method":"blockSubscribe","params":["all",{"commitment":"confirmed","encoding":"json","maxSupportedTransactionVersion":0}]})"},
         false},
    };
    for (const auto& m : modes) {
        auto config = fast_config();
        config.firehose = true;
        config.slot_time = 10s;
        config.history_slots = 8;
        config.finalize_depth = 32;
        fixture f(std::move(config));
        auto c = f.connect();
        c->set_count_only(true);
        for (const auto& s : m.subscriptions) {
            c->send_text(s);
        }
        REQUIRE(wait_until([&] { return c->messages_received() > 2; }));
        const std::uint64_t slot0 = f.node().processed_slot();
        const std::uint64_t msgs0 = c->messages_received();
        const std::uint64_t bytes0 = c->bytes_received();
        const double cpu0 = service_cpu_seconds(f);
        const auto t0 = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(5s);
        const double secs
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double cpu = service_cpu_seconds(f) - cpu0;
        const std::uint64_t msgs = c->messages_received() - msgs0;
        const std::uint64_t bytes = c->bytes_received() - bytes0;
        const std::uint64_t slot1 = f.node().processed_slot();
        c.reset();
        f.stop();
        std::uint64_t txs = 0;
        for (const auto s : f.node().chain().blocks_in(slot0 + 1, slot1)) {
            txs += f.node().chain().find(s)->transaction_count;
        }
        const double delivered
            = m.logs_count_txs ? static_cast<double>(msgs) : static_cast<double>(txs);
        const double tx_rate = delivered / secs;
        WARN(
            m.name << ": " << tx_rate << " tx/s, " << static_cast<double>(msgs) / secs << " msg/s, "
                   << static_cast<double>(bytes) / secs / 1e6 << " MB/s over " << secs << " s ("
                   << (slot1 - slot0) << " slots); service thread " << cpu
                   << " CPU-s = " << delivered / cpu << " tx per CPU-second");
        CHECK(tx_rate > 0);
    }
}

} // namespace
} // namespace ledgertap::sim
