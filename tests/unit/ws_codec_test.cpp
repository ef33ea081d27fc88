// The RFC 6455 client codec feed_client runs over its raw connections: the handshake, the frames a
// server may send (whole, cut anywhere, fragmented, with control frames between fragments) and
// every violation a client must fail the connection on.

#include "ingest/ws_codec.hpp"
#include "tests/support/ws_frames.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <random>
#include <string>
#include <vector>

namespace ws = ledgertap::ingest::ws;

namespace {

/// An unmasked server frame.
std::string server_frame(unsigned first_byte, std::string_view payload) {
    return ledgertap::test::ws_frame_header((first_byte & 0x80U) != 0, first_byte & 0x7FU, payload.size())
        + std::string{payload};
}

/// What a sink saw: whole messages (reassembled from pieces) and control frames, in order.
struct recorder final : ws::frame_sink {
    std::vector<std::string> events; // "T:<text>", "B:<bytes>", "ping:<payload>", ...
    std::string current;
    bool current_binary = false;
    bool in_message = false;
    int pieces = 0;
    int stop_after = -1; // return false from the n-th callback

    bool next() { return stop_after < 0 || --stop_after > 0; }

    bool on_payload(std::string_view bytes, bool binary, bool first, bool last) override {
        ++pieces;
        CHECK(first == !in_message); // first exactly at the start of a message
        if (first) {
            current.clear();
            current_binary = binary;
            in_message = true;
        }
        CHECK(binary == current_binary);
        current.append(bytes);
        if (last) {
            events.push_back((current_binary ? "B:" : "T:") + current);
            in_message = false;
        }
        return next();
    }
    bool on_control(ws::opcode op, std::string_view payload) override {
        const char* name = op == ws::opcode::ping ? "ping:" : op == ws::opcode::pong ? "pong:" : "close:";
        events.push_back(name + std::string{payload});
        return next();
    }
};

std::string unmask(std::string_view frame, std::size_t header) {
    std::string out{frame.substr(header + 4)};
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = static_cast<char>(out[i] ^ frame[header + i % 4]);
    }
    return out;
}

} // namespace

TEST_CASE("ws: the accept key is RFC 6455's worked example, and keys are fresh 16-byte nonces") {
    CHECK(ws::accept_for("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    const auto a = ws::new_key();
    const auto b = ws::new_key();
    CHECK(a != b);
    REQUIRE(a.size() == 24);
    unsigned char raw[24];
    CHECK(EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(a.data()), 24) == 18); // 16 + padding
    CHECK(a.substr(22) == "==");
}

TEST_CASE("ws: the upgrade request asks for version 13 with the key, host and path") {
    const auto r = ws::upgrade_request("[::1]:7078", "/ws?x=1", "KEY");
    CHECK(r.starts_with("GET /ws?x=1 HTTP/1.1\r\nHost: [::1]:7078\r\n"));
    CHECK(r.find("\r\nUpgrade: websocket\r\n") != std::string::npos);
    CHECK(r.find("\r\nConnection: Upgrade\r\n") != std::string::npos);
    CHECK(r.find("\r\nSec-WebSocket-Key: KEY\r\n") != std::string::npos);
    CHECK(r.find("\r\nSec-WebSocket-Version: 13\r\n") != std::string::npos);
    CHECK(r.ends_with("\r\n\r\n"));
    CHECK(ws::upgrade_request("h:1", "", "K").starts_with("GET / HTTP/1.1\r\n"));
}

TEST_CASE("ws: the upgrade reply is accepted only when it is a correct 101") {
    const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
    const std::string good = "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
                             "connection: keep-alive, Upgrade\r\nSEC-WEBSOCKET-ACCEPT:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    using st = ws::upgrade_reply::status;

    SECTION("accepted, with frame bytes after the head left for the reader; incomplete before the blank line") {
        const auto frames = server_frame(0x81, "hi");
        const auto r = ws::read_upgrade_reply(good + frames, key);
        CHECK(r.state == st::accepted);
        CHECK(r.head_bytes == good.size());
        for (std::size_t cut = 0; cut < good.size(); ++cut) {
            CHECK(ws::read_upgrade_reply(std::string_view{good}.substr(0, cut), key).state == st::incomplete);
        }
    }
    auto refused = [&](const std::string& reply) {
        const auto r = ws::read_upgrade_reply(reply, key);
        CHECK(r.state == st::refused);
        return r.error;
    };
    SECTION("refusals say why") {
        CHECK(refused("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            == "the node answered the WebSocket upgrade with HTTP 404 Not Found");
        CHECK(refused("HTTP/1.0 101 Switching Protocols\r\n\r\n").find("is not HTTP/1.1") != std::string::npos);
        std::string wrong = good;
        wrong.replace(wrong.find("s3pP"), 4, "AAAA");
        CHECK(refused(wrong) == "the upgrade reply's Sec-WebSocket-Accept does not match the key sent");
        std::string no_upgrade = good;
        no_upgrade.replace(no_upgrade.find("WebSocket"), 9, "h2c");
        CHECK(refused(no_upgrade) == "the upgrade reply lacks 'Upgrade: websocket'");
        std::string no_connection = good;
        no_connection.replace(no_connection.find("keep-alive, Upgrade"), 19, "close");
        CHECK(refused(no_connection) == "the upgrade reply lacks 'Connection: upgrade'");
        std::string no_accept = good;
        no_accept.erase(no_accept.find("SEC-WEBSOCKET-ACCEPT"), std::string_view{"SEC-WEBSOCKET-ACCEPT:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"}.size());
        CHECK(refused(no_accept) == "the upgrade reply lacks Sec-WebSocket-Accept");
        std::string ext = good;
        ext.insert(ext.size() - 2, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
        CHECK(refused(ext).find("extension that was not offered") != std::string::npos);
        std::string proto = good;
        proto.insert(proto.size() - 2, "Sec-WebSocket-Protocol: chat\r\n");
        CHECK(refused(proto).find("subprotocol that was not offered") != std::string::npos);
        std::string no_colon = good;
        no_colon.insert(no_colon.size() - 2, "garbage\x01line\r\n");
        CHECK(refused(no_colon) == "a header line of the upgrade reply has no colon: 'garbage?line'");
    }
    SECTION("a head that never ends is refused at 16 KiB, not buffered forever") {
        std::string endless = "HTTP/1.1 101 Switching Protocols\r\n";
        while (endless.size() < ws::max_reply_head) {
            endless += "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        }
        CHECK(ws::read_upgrade_reply(endless.substr(0, ws::max_reply_head - 1), key).state == st::incomplete);
        CHECK(refused(endless).find("16 KiB") != std::string::npos);
    }
}

TEST_CASE("ws: client frames are masked, with RFC 6455's example and every length encoding") {
    const auto hello = ws::client_frame(ws::opcode::text, "Hello", {0x37, 0xfa, 0x21, 0x3d});
    CHECK(hello == std::string{"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11});

    struct row {
        std::size_t size;
        std::size_t header;
        unsigned char len7;
    };
    for (const auto r : {row{0, 2, 0}, row{125, 2, 125}, row{126, 4, 126}, row{65535, 4, 126}, row{65536, 10, 127}}) {
        const std::string payload(r.size, 'x');
        const auto f = ws::client_frame(ws::opcode::binary, payload);
        INFO(r.size);
        CHECK(static_cast<unsigned char>(f[0]) == 0x82);
        CHECK(static_cast<unsigned char>(f[1]) == (0x80U | r.len7));
        CHECK(f.size() == r.header + 4 + r.size);
        CHECK(unmask(f, r.header) == payload);
    }
    // Two frames of the same payload differ: each has its own random mask.
    CHECK(ws::client_frame(ws::opcode::text, "same") != ws::client_frame(ws::opcode::text, "same"));
}

TEST_CASE("ws: a close payload is the code and at most 123 bytes of reason, cut on a UTF-8 boundary") {
    CHECK(ws::close_payload(1001, "bye") == std::string{"\x03\xe9" "bye", 5});
    const std::string long_reason = std::string(122, 'a') + "\xc3\xa9" + "tail"; // é straddles byte 123
    const auto p = ws::close_payload(1000, long_reason);
    CHECK(p.size() == 2 + 122);
    CHECK(ws::close_payload(1000, std::string(200, 'b')).size() == 125);
}

TEST_CASE("ws: the reader reassembles RFC 6455's example frames, whole or a byte at a time") {
    std::string stream;
    stream += server_frame(0x81, "Hello");                                   // single text frame
    stream += server_frame(0x01, "Hel") + server_frame(0x89, "p") + server_frame(0x80, "lo"); // ping inside
    stream += server_frame(0x82, std::string(256, '\x01'));                  // 16-bit length
    stream += server_frame(0x82, std::string(65536, '\x02'));                // 64-bit length
    stream += server_frame(0x8A, "");                                        // empty pong
    stream += server_frame(0x81, "");                                        // empty text message
    stream += server_frame(0x01, "") + server_frame(0x00, "") + server_frame(0x80, "x"); // empty fragments
    stream += server_frame(0x88, std::string{"\x03\xe8" "done", 6});
    const std::vector<std::string> expected{"T:Hello", "ping:p", "T:Hello", "B:" + std::string(256, '\x01'),
        "B:" + std::string(65536, '\x02'), "pong:", "T:", "T:x", "close:" + std::string{"\x03\xe8" "done", 6}};

    SECTION("whole: an unfragmented message is one piece") {
        ws::frame_reader reader;
        recorder rec;
        CHECK(reader.feed(stream, rec) == ws::frame_reader::status::ok);
        CHECK(rec.events == expected);
        CHECK_FALSE(reader.in_message());
    }
    SECTION("a byte at a time") {
        ws::frame_reader reader;
        recorder rec;
        for (const char c : stream) {
            REQUIRE(reader.feed(std::string_view{&c, 1}, rec) == ws::frame_reader::status::ok);
        }
        CHECK(rec.events == expected);
    }
}

TEST_CASE("ws: random messages, fragmented and cut at random, come out as they went in") {
    std::mt19937 rng{20261206};
    for (int round = 0; round < 200; ++round) {
        std::string stream;
        std::vector<std::string> expected;
        const int messages = 1 + static_cast<int>(rng() % 8);
        for (int m = 0; m < messages; ++m) {
            const bool binary = rng() % 4 == 0;
            const std::size_t size = rng() % 3 == 0 ? rng() % 70000 : rng() % 300;
            std::string body(size, '\0');
            for (auto& c : body) {
                c = static_cast<char>(rng());
            }
            expected.push_back((binary ? "B:" : "T:") + body);
            // Fragments of random sizes, with pings between some of them.
            std::size_t at = 0;
            bool first = true;
            do {
                const std::size_t n = std::min(body.size() - at, static_cast<std::size_t>(rng() % (size + 2)));
                const bool fin = at + n == body.size() && rng() % 3 != 0;
                const unsigned op = first ? (binary ? 2U : 1U) : 0U;
                stream += server_frame((fin ? 0x80U : 0U) | op, std::string_view{body}.substr(at, n));
                at += n;
                first = false;
                if (!fin && rng() % 4 == 0) {
                    const std::string ping = "p" + std::to_string(round);
                    stream += server_frame(0x89, ping);
                    expected.insert(expected.end() - 1, "ping:" + ping);
                }
                if (fin) {
                    break;
                }
            } while (true);
        }
        ws::frame_reader reader;
        recorder rec;
        std::string_view rest = stream;
        while (!rest.empty()) {
            const std::size_t n = std::min(rest.size(), 1 + static_cast<std::size_t>(rng() % 9000));
            REQUIRE(reader.feed(rest.substr(0, n), rec) == ws::frame_reader::status::ok);
            rest.remove_prefix(n);
        }
        INFO("round " << round);
        REQUIRE(rec.events.size() == expected.size());
        CHECK(rec.events == expected);
    }
}

TEST_CASE("ws: every violation a client must fail on fails the reader, with the reason") {
    auto error_of = [](const std::string& bytes) {
        ws::frame_reader reader;
        recorder rec;
        const auto st = reader.feed(bytes, rec);
        CHECK(st == ws::frame_reader::status::failed);
        // Failed stays failed.
        CHECK(reader.feed(server_frame(0x81, "ok"), rec) == ws::frame_reader::status::failed);
        return reader.error();
    };
    CHECK(error_of(server_frame(0xC1, "x")) == "reserved bits set without a negotiated extension");
    CHECK(error_of(server_frame(0x91, "x")) == "reserved bits set without a negotiated extension");
    CHECK(error_of(std::string{"\x81\x81\x00\x00\x00\x00x", 7}) == "a masked frame from the server");
    CHECK(error_of(server_frame(0x83, "x")) == "unknown opcode 3");
    CHECK(error_of(server_frame(0x8B, "x")) == "unknown opcode 11");
    CHECK(error_of(server_frame(0x09, "x")) == "a fragmented control frame");
    CHECK(error_of(server_frame(0x89, std::string(126, 'p'))) == "a control frame longer than 125 bytes");
    CHECK(error_of(server_frame(0x88, "x")) == "a close frame with a one-byte payload");
    CHECK(error_of(server_frame(0x80, "x")) == "a continuation frame with no message to continue");
    CHECK(error_of(server_frame(0x01, "a") + server_frame(0x81, "b")) == "a new message before the previous one ended");
    CHECK(error_of(std::string{"\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10}) == "a frame length with its top bit set");
    // What came before the violation was delivered.
    ws::frame_reader reader;
    recorder rec;
    CHECK(reader.feed(server_frame(0x81, "fine") + server_frame(0xF1, ""), rec) == ws::frame_reader::status::failed);
    CHECK(rec.events == std::vector<std::string>{"T:fine"});
}

TEST_CASE("ws: a sink that returns false stops the reader where it is") {
    ws::frame_reader reader;
    recorder rec;
    rec.stop_after = 2;
    const auto stream = server_frame(0x81, "one") + server_frame(0x81, "two") + server_frame(0x81, "three");
    CHECK(reader.feed(stream, rec) == ws::frame_reader::status::stopped);
    CHECK(rec.events == std::vector<std::string>{"T:one", "T:two"});
}
