// Resource limits under attack: ledgertap-ingest with BOTH sources, Nano pointed at a hostile
// WebSocket server inside the test and Solana at a normal ledgertap-sim. The hostile server sends
// (a) a 1 GiB message, as one frame and as fragments, (b) a flood of tiny frames, (c) continuation
// fragments whose FIN never comes. Nothing of the 1 GiB is ever held by the sender (it is streamed
// from one 1 MiB buffer). Each case asserts ingest's peak RSS (VmHWM) stays bounded, the Solana
// source keeps storing slots during and after the attack, the hostile connection is counted
// (rejected_messages / disconnect) and ingest does not crash. Figures: docs/hardening.md.

#include "tests/support/hostile_ws_server.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

long long count(const std::string& conninfo, const std::string& sql) {
    return std::stoll(query_scalar(conninfo, sql).value_or("0"));
}

/// VmHWM / VmRSS of a process in KiB (0 when unreadable).
long long proc_status_kib(pid_t pid, const std::string& key) {
    std::ifstream f{"/proc/" + std::to_string(pid) + "/status"};
    std::string line;
    while (std::getline(f, line)) {
        if (line.starts_with(key + ":")) {
            return std::stoll(line.substr(key.size() + 1));
        }
    }
    return 0;
}

struct attack_rig {
    sim_runner sim{{"--slot-ms", "100", "--duration", "120"}};
    scratch_database db{"attack"};
    std::string dir = make_temp_dir("attack_ingest");
    std::unique_ptr<child_process> ingest;

    void start(const std::string& hostile_url, std::size_t nano_max, const std::string& extra_config = "") {
        REQUIRE(sim.ready());
        // Under ASan, freed memory waits in a quarantine of up to 256 MiB by default, which the
        // faster ingest refuses a flood the sooner fills: VmHWM would measure ASan, not ingest.
        const char* asan = std::getenv("ASAN_OPTIONS");
        const std::string options = std::string{asan != nullptr ? asan : ""} + ":quarantine_size_mb=16";
        ::setenv("ASAN_OPTIONS", options.c_str(), 1);
        db.migrate();
        {
            std::ofstream f{dir + "/ledgertap.toml"};
            f << "[nano]\nws_url = \"" << hostile_url << "\"\nmax_message_bytes = " << nano_max
              << "\n[solana]\nws_url = \"ws://127.0.0.1:" << sim.ports().solana_ws
              << "\"\nrpc_url = \"http://127.0.0.1:" << sim.ports().solana_rpc << "\"\n"
              << extra_config;
        }
        ingest = std::make_unique<child_process>(
            std::vector<std::string>{ingest_executable(), "--db", db.conninfo(), "--config",
                dir + "/ledgertap.toml", "--metrics-addr", "127.0.0.1:0"},
            dir + "/ingest");
    }
    /// A counter or gauge series from ingest's /metrics (-1 when absent).
    [[nodiscard]] double metric(const std::string& series) const {
        return scrape_metric(ingest->stderr_text(), series);
    }
    [[nodiscard]] long long slots() const {
        return count(db.conninfo(), "SELECT count(*) FROM solana.slots");
    }
    [[nodiscard]] long long rejected(const std::string& reason) const {
        return count(
            db.conninfo(),
            "SELECT count(*) FROM ledgertap.rejected_messages WHERE source = 'nano' AND reason = '"
                + reason + "'");
    }
    [[nodiscard]] long long hwm_kib() const { return proc_status_kib(ingest->pid(), "VmHWM"); }
    void wait_solana_running() {
        REQUIRE(wait_until([&] { return slots() > 5; }, 30s));
    }
    /// Solana keeps storing slots for `window` after the attack.
    void check_other_source_after(std::chrono::milliseconds window) {
        const auto before = slots();
        CHECK(wait_until([&] { return slots() > before + 3; }, window));
        CHECK(ingest->running());
    }
    void stop() {
        ingest->terminate();
        const auto rc = ingest->wait(30s);
        INFO(ingest->stderr_text().substr(0, 6000));
        CHECK(rc == 0);
        std::filesystem::remove_all(dir);
    }
};

constexpr std::size_t mib = std::size_t{1} << 20U;
// The honest bound on the attack's cost, as growth over the process's pre-attack peak: the
// reassembly buffer never exceeds max_message_bytes, but std::string growth holds the old and the
// new buffer for a moment (up to 1.5 x the limit); on top come libwebsockets' rx buffer, the
// writer queue and, under ASan, the allocator's quarantine of freed memory (16 MiB here, see
// attack_rig::start) (figures in docs/hardening.md).
constexpr long long margin_kib = 256 * 1024;

/// Streams a `gib`-byte message at Nano. A 1 GiB one under the default 16 MiB limit: ingest reads
/// ~80 MiB of it (the limit + 64 MiB) and then closes the connection. A message up to 4 x the
/// limit is read and discarded whole and the connection kept (LEDGERTAP_ATTACK_FULL_GIB=1 runs
/// that with 1 GiB and a 256 MiB limit: ~25 s under ASan, so by default 256 MiB and 64 MiB).
void run_big(attack kind, std::size_t nano_max, std::uint64_t gib) {
    const bool read_whole = gib <= 4 * nano_max;
    hostile_server server{kind, gib};
    attack_rig rig;
    rig.start(server.url(), nano_max);
    rig.wait_solana_running();
    const auto base = rig.hwm_kib();
    server.go();
    const auto slots_before = rig.slots();
    // Done when the 1 GiB went through or ingest ended the connection.
    REQUIRE(wait_until([&] { return server.attack_done(); }, 60s, 20ms));
    const auto slots_during = rig.slots() - slots_before;
    const auto peak = rig.hwm_kib();
    WARN(
        "big message figures (max_message_bytes "
        << nano_max << "): sent " << server.bytes_sent() << " bytes, VmHWM " << base << " -> "
        << peak << " KiB, solana slots stored meanwhile " << slots_during);
    CHECK(peak - base < static_cast<long long>(nano_max / 1024 * 3 / 2) + margin_kib);
    if (read_whole) {
        // All of it read and refused as one counted message; the connection stays up.
        CHECK(server.bytes_sent() >= gib);
        CHECK(server.dropped_by_peer() == 0);
        CHECK(wait_until(
            [&] {
                return count(
                           rig.db.conninfo(),
                           "SELECT count(*) FROM ledgertap.rejected_messages WHERE source = 'nano' "
                           "AND reason = 'oversized' AND size_bytes = "
                               + std::to_string(gib))
                       == 1;
            },
            20s));
        // Streaming took seconds; the other source kept storing meanwhile.
        CHECK(slots_during > 0);
    } else {
        CHECK(server.bytes_sent() > 4 * nano_max); // cut off past the limit + 64 MiB
        CHECK(server.dropped_by_peer() == 1);
        CHECK(wait_until([&] { return rig.rejected("oversized") == 1; }, 20s));
    }
    rig.check_other_source_after(15s);
    rig.stop();
}

} // namespace

TEST_CASE("attack: a huge single frame under 4x the limit is read whole and discarded with memory "
          "bounded") {
    const bool full = std::getenv("LEDGERTAP_ATTACK_FULL_GIB") != nullptr;
    run_big(attack::big_frame, (full ? 256 : 64) * mib, std::uint64_t{full ? 1024U : 256U} * mib);
}

TEST_CASE("attack: a 1 GiB single frame is cut off past 4x max_message_bytes") {
    run_big(attack::big_frame, 16 * mib, std::uint64_t{1} << 30U);
}

TEST_CASE("attack: a 1 GiB message in 1 MiB fragments is cut off past 4x max_message_bytes") {
    run_big(attack::big_fragmented, 16 * mib, std::uint64_t{1} << 30U);
}

TEST_CASE("attack: a message whose FIN never comes is cut off and the other source keeps running") {
    constexpr std::size_t nano_max = 1 * mib;
    hostile_server server{attack::endless};
    attack_rig rig;
    rig.start(server.url(), nano_max);
    rig.wait_solana_running();
    const auto base = rig.hwm_kib();
    server.go();
    // ingest must end the message (and the connection) on its own: the server never stops sending.
    REQUIRE(wait_until([&] { return server.dropped_by_peer() > 0; }, 30s, 20ms));
    const auto peak = rig.hwm_kib();
    WARN(
        "endless figures: sent " << server.bytes_sent() << " bytes, VmHWM " << base << " -> "
                                 << peak << " KiB");
    CHECK(peak - base < static_cast<long long>(nano_max / 1024 * 3 / 2) + margin_kib);
    CHECK(wait_until([&] { return rig.rejected("oversized") > 0; }, 20s));
    const auto detail = query_scalar(
        rig.db.conninfo(),
        "SELECT detail FROM ledgertap.rejected_messages WHERE source = 'nano' AND reason = "
        "'oversized' LIMIT 1");
    CHECK(detail.value_or("").find("nano.max_message_bytes = 1048576") != std::string::npos);
    rig.check_other_source_after(15s);
    rig.stop();
}

TEST_CASE("attack: a flood of tiny frames neither grows memory without bound nor starves the other "
          "source") {
    hostile_server server{attack::flood};
    attack_rig rig;
    rig.start(server.url(), 16 * mib);
    rig.wait_solana_running();
    const auto base = rig.hwm_kib();
    server.go();
    const auto frames_at_start = server.frames_sent();
    const auto t0 = std::chrono::steady_clock::now();
    const auto slots_before = rig.slots();
    // The other source keeps storing during the flood.
    CHECK(wait_until([&] { return rig.slots() > slots_before + 10; }, 20s));
    std::this_thread::sleep_for(scaled(3s)); // longer under scripts/tsan: its thresholds are counts
    const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto frames = server.frames_sent() - frames_at_start;
    const auto peak = rig.hwm_kib();
    const auto slots_during = rig.slots() - slots_before;
    WARN(
        "flood figures: solana slots stored during the flood "
        << slots_during << "; " << frames << " frames in " << secs << " s ("
        << static_cast<long long>(static_cast<double>(frames) / secs)
        << "/s accepted by the socket), VmHWM " << base << " -> " << peak << " KiB");
    // The sender offers as fast as TCP takes them; ingest reads (and refuses, counted) as fast as
    // it can, and TCP holds the rest back on the sender's side rather than in ingest's memory.
    CHECK(frames > 10000);
    // Every frame is refused and counted, but the database gets at most
    // nano.max_dead_letters_per_second (default 1,000) of them a second, plus one second's burst.
    const auto refused = rig.metric(
        "ledgertap_rejected_by_reason_total{source=\"nano\",reason=\"unexpected_shape\"}");
    const auto unstored = rig.metric("ledgertap_dead_letters_unstored_total{source=\"nano\"}");
    const auto stored = rig.rejected("unexpected_shape");
    WARN("flood dead letters: " << refused << " refused, " << stored << " stored, " << unstored
                                << " counted only");
    CHECK(refused > 10000);
    CHECK(stored >= 1000);
    CHECK(static_cast<double>(stored) <= 1000.0 * (secs + 5.0));
    CHECK(unstored > 0);
    CHECK(static_cast<double>(stored) + unstored >= refused - 1000.0);
    CHECK(peak - base < margin_kib);
    CHECK(rig.ingest->running());
    server.stop();
    rig.check_other_source_after(15s);
    rig.stop();
}

namespace {

/// A valid V22 telemetry message (stored as a nano.telemetry row).
std::string valid_telemetry() {
    return R"({"topic":"telemetry","time":"1594654710305","message":{"block_count":"5","cemented_count":"5",)"
           R"("unchecked_count":"0","account_count":"3","bandwidth_cap":"10485760","peer_count":"261",)"
           R"("protocol_version":"18","uptime":"1223618","genesis_block":)"
           R"("991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948","major_version":"21",)"
           R"("minor_version":"0","patch_version":"0","pre_release_version":"0","maker":"0",)"
           R"("timestamp":"1594654710300","active_difficulty":"ffffffc000000000","database_backend":"lmdb",)"
           R"("node_id":"node_3cczh431wuh5gg64jen6a658xewpx7eiyfqn7f8gpdcfp786s7xdb51kr1rp",)"
           R"("signature":"C9429FBC069F15E9AE552FB80500B4BA0F0CF2E25DD6C6D2018FA1D96DC4353A75E4A86872E54E7B2BFF06526719076E792DA3C83F1B2FD40244804EAC324C00",)"
           R"("address":"::ffff:1.2.3.4","port":"7075"}})";
}

} // namespace

TEST_CASE("attack: a flood of valid frames the database cannot keep up with pauses only that "
          "source, and the other keeps being read") {
    // Every batch that writes nano.telemetry takes a second more and holds at most 500 messages,
    // so the writer falls far behind the flood and Nano's share of the (4 MiB) queue fills: only
    // Nano's socket may stop being read.
    hostile_server server{attack::flood, 0, {valid_telemetry()}};
    attack_rig rig;
    rig.start(server.url(), 16 * mib,
        "[writer]\nbatch_max_messages = 500\nqueue_high_water_bytes = 4194304\nqueue_low_water_bytes = 1048576\n");
    rig.wait_solana_running();
    exec_sql(rig.db.conninfo(),
        "CREATE FUNCTION public.slow_batch() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN PERFORM pg_sleep(1); RETURN NULL; END$$; "
        "CREATE TRIGGER slow_batch AFTER INSERT ON nano.telemetry FOR EACH STATEMENT "
        "EXECUTE FUNCTION public.slow_batch()");
    const auto base = rig.hwm_kib();
    server.go();
    const auto slots_before = rig.slots();
    const auto t0 = std::chrono::steady_clock::now();
    // Nano's share fills (its feed is paused alone) ...
    const bool nano_paused
        = wait_until([&] { return rig.metric("ledgertap_source_paused{source=\"nano\"}") == 1; }, 30s);
    if (!nano_paused && test_time_scale() > 1.0) {
        // scripts/tsan: its ingest may decode the flood slower than the writer stores it, so the
        // queue never fills; the run still checks the threads for races, and ingest's exit status.
        WARN("valid flood: Nano's share never filled in this slowed build; fairness not checked");
        server.stop();
        rig.stop();
        return;
    }
    CHECK(nano_paused);
    // ... while Solana keeps storing slots at its pace (10 a second).
    // Its rows commit in the slowed batches behind Nano's backlog, so they arrive in bursts:
    // 20 slots (2 s of its production) within 15 s, not within a fixed 6 s.
    const auto slots_at_pause = rig.slots();
    const bool solana_kept_storing = wait_until([&] { return rig.slots() >= slots_at_pause + 20; }, 15s);
    const auto slots_during = rig.slots() - slots_at_pause;
    const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto log = rig.ingest->stderr_text();
    WARN("valid flood figures: " << server.frames_sent() << " frames in " << secs << " s; solana slots "
                                 << rig.slots() - slots_before << " stored since the flood began, "
                                 << slots_during << " while Nano was paused; VmHWM "
                                 << base << " -> " << rig.hwm_kib() << " KiB");
    INFO(log.substr(0, 6000));
    CHECK(log.find("feeds: paused reading nano") != std::string::npos);
    // Never the global pause, which would stop Solana's socket too.
    CHECK(log.find("feeds: paused reading (writer queue above high-water mark)") == std::string::npos);
    CHECK(rig.metric("ledgertap_source_paused{source=\"solana\"}") <= 0);
    CHECK(solana_kept_storing);
    CHECK(rig.hwm_kib() - base < margin_kib);
    server.stop();
    rig.stop();
}

} // namespace ledgertap::test
