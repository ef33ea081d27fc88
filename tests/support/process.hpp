#pragma once

// Child processes for integration tests: spawn an executable with arguments (stdout and stderr
// captured to files), wait for it with a deadline, SIGTERM or SIGKILL it; and read the simulator's
// --ports-file once it appears.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ledgertap::test {

/// $LEDGERTAP_TEST_TIME_SCALE (default 1, at least 1): scripts/tsan sets it, because under
/// ThreadSanitizer ledgertap-ingest runs several times slower; wait_until and child_process::wait
/// stretch their timeouts by it and sim_runner the simulator's --duration. Nothing else (no
/// threshold, no figure, no offered rate) changes.
[[nodiscard]] inline double test_time_scale() {
    const char* text = std::getenv("LEDGERTAP_TEST_TIME_SCALE");
    const double scale = text != nullptr ? std::strtod(text, nullptr) : 1.0;
    return scale > 1.0 ? scale : 1.0;
}

/// `timeout` stretched by test_time_scale().
[[nodiscard]] inline std::chrono::milliseconds scaled(std::chrono::milliseconds timeout) {
    return std::chrono::milliseconds{
        static_cast<std::int64_t>(static_cast<double>(timeout.count()) * test_time_scale())};
}

/// Lifecycle: the constructor forks and execs; the destructor SIGKILLs a child still running and
/// reaps it. Use from one thread.
class child_process {
public:
    /// argv[0] is the executable path. Output goes to `<capture_prefix>.stdout/.stderr`
    /// (in a temporary directory removed by the destructor when empty).
    explicit child_process(std::vector<std::string> argv, std::string capture_prefix = {});
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    child_process(child_process&&) = delete;
    child_process& operator=(child_process&&) = delete;
    ~child_process();

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] bool running();
    /// Exit code (or 128 + signal) once the child has exited, waiting up to `timeout` (scaled by
    /// test_time_scale()).
    [[nodiscard]] std::optional<int> wait(std::chrono::milliseconds timeout);
    void terminate(); ///< SIGTERM
    void kill();      ///< SIGKILL

    [[nodiscard]] std::string stdout_text() const;
    [[nodiscard]] std::string stderr_text() const;

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::string stdout_path_;
    std::string stderr_path_;
    std::string owned_dir_; ///< the temporary capture directory, removed by the destructor
};

struct sim_ports {
    std::uint16_t nano_ws = 0;
    std::uint16_t nano_rpc = 0;
    std::uint16_t solana_ws = 0;
    std::uint16_t solana_rpc = 0;
};

/// Polls for `path` (written atomically by ledgertap-sim --ports-file) until it parses.
[[nodiscard]] std::optional<sim_ports> read_ports_file(
    const std::string& path, std::chrono::milliseconds timeout);

/// ledgertap-sim running as a child process on kernel-picked ports, in a temporary directory
/// that holds its ports file and truth file. `ready()` is false when it did not come up.
class sim_runner {
public:
    /// Extra flags are appended to `--ports-file … --truth … --log-level warn`.
    explicit sim_runner(
        const std::vector<std::string>& flags,
        std::chrono::milliseconds startup_timeout = std::chrono::seconds(10));
    sim_runner(const sim_runner&) = delete;
    sim_runner& operator=(const sim_runner&) = delete;
    sim_runner(sim_runner&&) = delete;
    sim_runner& operator=(sim_runner&&) = delete;
    /// Kills the simulator if it still runs and removes its directory.
    ~sim_runner();
    [[nodiscard]] bool ready() const { return ports_.has_value(); }
    [[nodiscard]] const sim_ports& ports() const { return *ports_; }
    [[nodiscard]] std::string nano_rpc_url() const;
    [[nodiscard]] const std::string& truth_path() const { return truth_path_; }
    [[nodiscard]] child_process& process() { return *process_; }
    /// SIGTERM and wait for exit; returns the exit code.
    std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
    std::string dir_;
    std::string truth_path_;
    std::unique_ptr<child_process> process_;
    std::optional<sim_ports> ports_;
};

/// A fresh temporary directory (removed by the caller when it likes).
[[nodiscard]] std::string make_temp_dir(const std::string& tag);

/// Multiplies the value of a simulator's `--duration` in `argv` by test_time_scale(): a slower
/// ingest needs the node, and its RPC for backfill, for longer. The chain it produces (--rate,
/// --produce-for) is unchanged.
void stretch_sim_run(std::vector<std::string>& argv);

/// Path of the built ledgertap-sim, or $LEDGERTAP_SIM_EXECUTABLE when set (scripts/tsan).
[[nodiscard]] std::string sim_executable();

/// Reads a whole file ("" when missing).
[[nodiscard]] std::string read_file(const std::string& path);

} // namespace ledgertap::test
