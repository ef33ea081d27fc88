// The deployment files, checked without a container engine: compose.yaml (and the real-nodes
// override) through `docker-compose config -q` and the structure issue 8 asks for
// (scripts/compose-test --static), the Dockerfile's shape, and the systemd unit's restart and
// stop policy. The stack itself runs for real in scripts/compose-test (compose-check).

#include "ingest/config.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

const std::string source_dir{LEDGERTAP_SOURCE_DIR};

struct run_result {
    int code = -1;
    std::string out;
    std::string err;
};

[[nodiscard]] run_result compose_static(const std::vector<std::string>& files) {
    std::vector<std::string> argv{"/bin/bash", source_dir + "/scripts/compose-test", "--static"};
    argv.insert(argv.end(), files.begin(), files.end());
    child_process p(argv);
    const auto code = p.wait(120s);
    return {code.value_or(-1), p.stdout_text(), p.stderr_text()};
}

/// compose.yaml with `from` replaced by `to` (which must occur), written to a temporary file.
[[nodiscard]] std::string mutated_compose(const std::string& from, const std::string& to) {
    std::string text = read_file(source_dir + "/compose.yaml");
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    const std::string path = make_temp_dir("compose") + "/compose.yaml";
    std::ofstream{path} << text;
    return path;
}

/// `Key=value` lines of a systemd unit (the last one wins, as for systemd's single-value keys).
[[nodiscard]] std::map<std::string, std::string> unit_keys(const std::string& text) {
    std::map<std::string, std::string> out;
    std::istringstream in{text};
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line.front() == '#' || line.front() == '[') {
            continue;
        }
        const auto eq = line.find('=');
        if (eq != std::string::npos) {
            out[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return out;
}

TEST_CASE("compose: compose.yaml and the real-nodes override pass docker-compose config and the structure check",
    "[compose]") {
    const auto r = compose_static({});
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("all on 127.0.0.1"));
}

TEST_CASE("compose: the structure check refuses a port published on every interface", "[compose]") {
    const auto bad = mutated_compose("\"127.0.0.1:${LEDGERTAP_DB_PORT", "\"${LEDGERTAP_DB_PORT");
    const auto r = compose_static({bad});
    std::filesystem::remove_all(std::filesystem::path{bad}.parent_path());
    INFO("stderr: " << r.err);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("db: published port") && Catch::Contains("must bind to 127.0.0.1"));
}

TEST_CASE("compose: the structure check refuses an ingest that does not wait for migrate", "[compose]") {
    const auto bad = mutated_compose("condition: service_completed_successfully", "condition: service_started");
    const auto r = compose_static({bad});
    std::filesystem::remove_all(std::filesystem::path{bad}.parent_path());
    INFO("stderr: " << r.err);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("ingest: must depend on a completed migrate"));
}

TEST_CASE("compose: the structure check refuses a database that would collate keys through a locale",
    "[compose]") {
    const auto bad = mutated_compose("--lc-collate=C ", "");
    const auto r = compose_static({bad});
    std::filesystem::remove_all(std::filesystem::path{bad}.parent_path());
    INFO("stderr: " << r.err);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("db: POSTGRES_INITDB_ARGS must set --lc-collate=C"));
}

TEST_CASE("compose: docker-compose config -q refuses a misspelt key", "[compose]") {
    const auto bad = mutated_compose("stop_grace_period: 30s", "stop_grace_perod: 30s");
    const auto r = compose_static({bad});
    std::filesystem::remove_all(std::filesystem::path{bad}.parent_path());
    INFO("stderr: " << r.err);
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("stop_grace_perod"));
}

TEST_CASE("compose: the Dockerfile builds on bookworm-slim without tests and runs as a non-root user",
    "[compose]") {
    const std::string dockerfile = read_file(source_dir + "/Dockerfile");
    REQUIRE_FALSE(dockerfile.empty());
    std::vector<std::string> from;
    std::string user;
    std::istringstream in{dockerfile};
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("FROM ", 0) == 0) {
            from.push_back(line);
        }
        if (line.rfind("USER ", 0) == 0) {
            user = line.substr(5);
        }
    }
    REQUIRE(from.size() == 2);
    for (const auto& f : from) {
        CHECK_THAT(f, Catch::StartsWith("FROM debian:bookworm-slim"));
    }
    CHECK_THAT(dockerfile, Catch::Contains("-DLEDGERTAP_TESTS=OFF") && Catch::Contains("cmake --install"));
    CHECK_FALSE(user.empty());
    CHECK(user.rfind("root", 0) != 0);
    CHECK(user.rfind("0", 0) != 0);
    // The runtime stage copies the installed migrations where `migrate` looks for them.
    CHECK_THAT(dockerfile, Catch::Contains("/usr/local/share/ledgertap/"));
    // The image is built from sources only: .dockerignore keeps build trees out.
    const std::string ignore = read_file(source_dir + "/.dockerignore");
    CHECK_THAT(ignore, Catch::StartsWith("#") && Catch::Contains("\n*\n") && !Catch::Contains("!build"));
}

TEST_CASE("compose: the systemd unit restarts on failure but not on a configuration error, and waits for the flush",
    "[compose]") {
    const auto keys = unit_keys(read_file(source_dir + "/deploy/ledgertap-ingest.service"));
    REQUIRE_FALSE(keys.empty());
    CHECK(keys.count("ExecStart") == 1);
    CHECK_THAT(keys.at("ExecStart"), Catch::Contains("ledgertap-ingest --config"));
    CHECK_THAT(keys.at("ExecStartPre"), Catch::Contains("ledgertap-ingest migrate"));
    CHECK(keys.at("Restart") == "on-failure");
    CHECK(keys.at("RestartPreventExitStatus") == "2"); // main.cpp: 2 = usage or configuration error
    CHECK(keys.at("KillSignal") == "SIGTERM");
    CHECK(keys.at("User") != "root");
    const std::string stop = keys.at("TimeoutStopSec");
    REQUIRE(stop.size() > 1);
    REQUIRE(stop.back() == 's');
    const auto stop_s = std::chrono::seconds{std::stoll(stop.substr(0, stop.size() - 1))};
    // Longer than the writer's default flush deadline, so systemd never SIGKILLs a flush.
    CHECK(stop_s > std::chrono::duration_cast<std::chrono::seconds>(ingest::writer_config{}.shutdown_timeout));
}

} // namespace
} // namespace ledgertap::test
