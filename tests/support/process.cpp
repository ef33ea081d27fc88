#include "tests/support/process.hpp"

#include <rapidjson/document.h>

#include <cstdlib>
#include <filesystem>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace ledgertap::test {

namespace {

int decode_status(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

} // namespace

std::string make_temp_dir(const std::string& tag) {
    std::string pattern = "/tmp/ledgertap-" + tag + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    return pattern;
}

void stretch_sim_run(std::vector<std::string>& argv) {
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
        if (argv[i] == "--duration" && test_time_scale() > 1.0) {
            argv[i + 1] = std::to_string(std::stod(argv[i + 1]) * test_time_scale());
        }
    }
}

std::string sim_executable() {
    // scripts/tsan points this at an uninstrumented build: the simulator is the load, not the
    // code under test, and a ThreadSanitizer simulator is too slow to feed the tests' volumes.
    if (const char* other = std::getenv("LEDGERTAP_SIM_EXECUTABLE"); other != nullptr && *other != '\0') {
        return other;
    }
    return std::string(LEDGERTAP_BINARY_DIR) + "/sim/ledgertap-sim";
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

child_process::child_process(std::vector<std::string> argv, std::string capture_prefix) {
    if (argv.empty()) {
        throw std::invalid_argument("child_process: empty argv");
    }
    if (capture_prefix.empty()) {
        owned_dir_ = make_temp_dir("child");
        capture_prefix = owned_dir_ + "/out";
    }
    stdout_path_ = capture_prefix + ".stdout";
    stderr_path_ = capture_prefix + ".stderr";
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (auto& a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
        const int out = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out >= 0) {
            ::dup2(out, STDOUT_FILENO);
        }
        if (err >= 0) {
            ::dup2(err, STDERR_FILENO);
        }
        ::execv(args[0], args.data());
        ::_exit(127);
    }
}

child_process::~child_process() {
    if (pid_ > 0 && !status_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    if (!owned_dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(owned_dir_, ec);
    }
}

bool child_process::running() {
    if (status_) {
        return false;
    }
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        status_ = decode_status(status);
        return false;
    }
    return true;
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + scaled(timeout);
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
}

void child_process::terminate() {
    if (running()) {
        ::kill(pid_, SIGTERM);
    }
}

void child_process::kill() {
    if (running()) {
        ::kill(pid_, SIGKILL);
    }
}

std::string child_process::stdout_text() const {
    return read_file(stdout_path_);
}
std::string child_process::stderr_text() const {
    return read_file(stderr_path_);
}

std::optional<sim_ports> read_ports_file(
    const std::string& path, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const std::string text = read_file(path);
        rapidjson::Document doc;
        doc.Parse(text.c_str());
        if (!doc.HasParseError() && doc.IsObject()) {
            sim_ports ports;
            const auto get = [&doc](const char* key) -> std::uint16_t {
                const auto it = doc.FindMember(key);
                return it != doc.MemberEnd() && it->value.IsUint()
                           ? static_cast<std::uint16_t>(it->value.GetUint())
                           : 0;
            };
            ports.nano_ws = get("nano_ws");
            ports.nano_rpc = get("nano_rpc");
            ports.solana_ws = get("solana_ws");
            ports.solana_rpc = get("solana_rpc");
            return ports;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

} // namespace ledgertap::test

namespace ledgertap::test {

sim_runner::sim_runner(
    const std::vector<std::string>& flags, std::chrono::milliseconds startup_timeout)
  : dir_(make_temp_dir("sim"))
  , truth_path_(dir_ + "/truth.jsonl") {
    std::vector<std::string> argv{
        sim_executable(),
        "--ports-file",
        dir_ + "/ports.json",
        "--truth",
        truth_path_,
        "--log-level",
        "warn"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    stretch_sim_run(argv);
    process_ = std::make_unique<child_process>(std::move(argv), dir_ + "/sim");
    ports_ = read_ports_file(dir_ + "/ports.json", startup_timeout);
}

sim_runner::~sim_runner() {
    process_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::string sim_runner::nano_rpc_url() const {
    return "http://127.0.0.1:" + std::to_string(ports_ ? ports_->nano_rpc : 0) + "/";
}

std::optional<int> sim_runner::stop(std::chrono::milliseconds timeout) {
    process_->terminate();
    return process_->wait(timeout);
}

} // namespace ledgertap::test
