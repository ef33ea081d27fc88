// ledgertap-sim: serves a simulated Nano node and a simulated Solana node on loopback ports until
// --duration elapses or SIGTERM/SIGINT arrives; then writes the truth file and exits 0. Bad flags
// exit 2; a port that cannot be bound exits 1.

#include "sim/nano_node.hpp"
#include "sim/options.hpp"
#include "sim/server.hpp"
#include "sim/solana_node.hpp"
#include "sim/truth.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <pthread.h>
#include <signal.h>
#include <string>

namespace {

constexpr int exit_runtime_error = 1;

bool write_ports_file(const std::string& path, const ledgertap::sim::server& srv) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        if (!out) {
            return false;
        }
        out << "{\"nano_ws\":" << srv.port("nano_ws") << ",\"nano_rpc\":" << srv.port("nano_rpc")
            << ",\"solana_ws\":" << srv.port("solana_ws")
            << ",\"solana_rpc\":" << srv.port("solana_rpc") << "}\n";
        out.flush();
        if (!out) {
            return false;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    return !ec;
}

int run(const ledgertap::sim::options& opts) {
    using ledgertap::sim::server;

    // Only this thread takes SIGTERM/SIGINT (sigtimedwait below); block them before any thread
    // exists so the service thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    std::unique_ptr<ledgertap::sim::truth_writer> truth;
    try {
        truth = std::make_unique<ledgertap::sim::truth_writer>(opts.truth_file);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ledgertap-sim: --truth: %s\n", e.what());
        return exit_runtime_error;
    }

    server srv(opts.host);
    if (!opts.tls_cert_file.empty()) {
        srv.set_tls({opts.tls_cert_file, opts.tls_key_file});
    }
    std::unique_ptr<ledgertap::sim::nano_node> nano;
    if (opts.nano_enabled()) {
        nano = std::make_unique<ledgertap::sim::nano_node>(opts, srv, *truth);
    }
    std::unique_ptr<ledgertap::sim::solana_node> solana;
    if (opts.solana_enabled()) {
        solana = std::make_unique<ledgertap::sim::solana_node>(opts, srv, *truth);
    }
    try {
        srv.start();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ledgertap-sim: %s\n", e.what());
        return exit_runtime_error;
    }
    if (nano) {
        nano->start();
    }
    if (solana) {
        solana->start();
    }
    if (!opts.ports_file.empty() && !write_ports_file(opts.ports_file, srv)) {
        std::fprintf(
            stderr, "ledgertap-sim: --ports-file: cannot write %s\n", opts.ports_file.c_str());
        srv.stop();
        return exit_runtime_error;
    }
    std::printf(
        "ledgertap-sim listening: nano_ws=%u nano_rpc=%u solana_ws=%u solana_rpc=%u\n",
        srv.port("nano_ws"),
        srv.port("nano_rpc"),
        srv.port("solana_ws"),
        srv.port("solana_rpc"));
    std::fflush(stdout);

    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started
                          + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(opts.duration_s));
    while (srv.running()) {
        if (opts.duration_s > 0 && std::chrono::steady_clock::now() >= deadline) {
            spdlog::info("sim: --duration elapsed");
            break;
        }
        timespec wait{0, 200 * 1000 * 1000};
        const int sig = sigtimedwait(&stop_signals, nullptr, &wait);
        if (sig == SIGTERM || sig == SIGINT) {
            spdlog::info("sim: signal {}; stopping", sig);
            break;
        }
        truth->flush();
    }
    srv.stop();
    if (nano) {
        nano->stop();
    }
    if (solana) {
        solana->stop();
    }
    truth->close();
    return 0;
}

} // namespace

int main(int argc, char* argv[]) {
    const auto outcome = ledgertap::sim::parse_options(argc, argv);
    if (!outcome.opts) {
        std::fputs(outcome.message.c_str(), outcome.exit_code == 0 ? stdout : stderr);
        return outcome.exit_code;
    }
    // Logs go to stderr; stdout carries only the "listening" line.
    spdlog::set_default_logger(spdlog::stderr_color_mt("ledgertap-sim"));
    spdlog::set_level(spdlog::level::from_str(outcome.opts->log_level));
    try {
        return run(*outcome.opts);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ledgertap-sim: %s\n", e.what());
        return exit_runtime_error;
    }
}
