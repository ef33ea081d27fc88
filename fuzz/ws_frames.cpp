// libFuzzer target: the WebSocket client codec (ingest/ws_codec) on bytes a hostile node chooses.
// Properties: the frame reader gives the same events and the same verdict however the stream is
// cut (whole, or at the points the input's first bytes pick); every message's pieces are marked
// first/last consistently; a failure has a reason. read_upgrade_reply never reads past its input,
// and an accepted head ends with the blank line.

#include "ingest/ws_codec.hpp"

#include "fuzz/fuzz_check.hpp"

#include <fuzzer/FuzzedDataProvider.h>
#include <string>
#include <vector>

namespace ws = ledgertap::ingest::ws;

namespace {

struct recorder final : ws::frame_sink {
    std::vector<std::string> events;
    std::string message;
    bool in_message = false;

    bool on_payload(std::string_view bytes, bool binary, bool first, bool last) override {
        LEDGERTAP_FUZZ_CHECK(first == !in_message);
        if (first) {
            message.assign(binary ? "B" : "T");
        }
        in_message = !last;
        message.append(bytes);
        if (last) {
            events.push_back(message);
        }
        return true;
    }
    bool on_control(ws::opcode op, std::string_view payload) override {
        LEDGERTAP_FUZZ_CHECK(payload.size() <= 125);
        events.push_back(std::to_string(static_cast<int>(op)) + ":" + std::string{payload});
        return true;
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in{data, size};
    std::vector<std::size_t> cuts;
    const auto n_cuts = in.ConsumeIntegralInRange<std::size_t>(0, 8);
    for (std::size_t i = 0; i < n_cuts; ++i) {
        cuts.push_back(in.ConsumeIntegralInRange<std::size_t>(0, 64));
    }
    const std::string stream = in.ConsumeRemainingBytesAsString();

    ws::frame_reader whole;
    recorder a;
    const auto verdict = whole.feed(stream, a);
    LEDGERTAP_FUZZ_CHECK(verdict != ws::frame_reader::status::stopped);
    LEDGERTAP_FUZZ_CHECK((verdict == ws::frame_reader::status::failed) == !whole.error().empty());

    ws::frame_reader pieces;
    recorder b;
    std::string_view rest = stream;
    auto piecewise = ws::frame_reader::status::ok;
    for (std::size_t i = 0; !rest.empty() && piecewise == ws::frame_reader::status::ok; ++i) {
        const std::size_t n = cuts.empty() ? 1 : std::min(rest.size(), cuts[i % cuts.size()] + 1);
        piecewise = pieces.feed(rest.substr(0, n), b);
        rest.remove_prefix(n);
    }
    LEDGERTAP_FUZZ_CHECK(piecewise == verdict);
    LEDGERTAP_FUZZ_CHECK(pieces.error() == whole.error());
    LEDGERTAP_FUZZ_CHECK(a.events == b.events);
    LEDGERTAP_FUZZ_CHECK(whole.in_message() == pieces.in_message());

    const auto reply = ws::read_upgrade_reply(stream, "dGhlIHNhbXBsZSBub25jZQ==");
    if (reply.state == ws::upgrade_reply::status::accepted) {
        LEDGERTAP_FUZZ_CHECK(reply.head_bytes >= 4 && reply.head_bytes <= stream.size());
        LEDGERTAP_FUZZ_CHECK(stream.compare(reply.head_bytes - 4, 4, "\r\n\r\n") == 0);
    } else if (reply.state == ws::upgrade_reply::status::refused) {
        LEDGERTAP_FUZZ_CHECK(!reply.error.empty());
    }
    return 0;
}
