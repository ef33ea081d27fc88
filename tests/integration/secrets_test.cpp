// The database password never leaves the process: not in /metrics, /healthz or /readyz, not in the
// text or JSON logs (with data flowing, with bad frames dead-lettered, with a database that refuses
// the connection), not in --print-config, and not in ledgertap-query's errors; both for a password
// in the URL and for one in PGPASSWORD. And the way to keep it out of `ps` too: LEDGERTAP_DB.
// The test cluster trusts local connections, so a password in the URL still connects.

#include "tests/support/http_client.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

const std::string url_password = "Url-S3cret-pw";
const std::string env_password = "Env-S3cret-pw";

/// Sets an environment variable for the lifetime of the guard (children inherit it).
class env_guard {
public:
    env_guard(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            old_ = old;
        }
        REQUIRE(setenv(name, value.c_str(), 1) == 0);
    }
    ~env_guard() {
        if (old_) {
            setenv(name_, old_->c_str(), 1);
        } else {
            unsetenv(name_);
        }
    }
    env_guard(const env_guard&) = delete;
    env_guard& operator=(const env_guard&) = delete;
    env_guard(env_guard&&) = delete;
    env_guard& operator=(env_guard&&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

/// A postgresql:// URL with a password for `dbname` on the test server, over TCP 127.0.0.1.
std::string url_with_password(const std::string& dbname) {
    PGconn* c = PQconnectdb(test_server_conninfo().c_str());
    REQUIRE(PQstatus(c) == CONNECTION_OK);
    const std::string port = PQport(c);
    const std::string user = PQuser(c);
    PQfinish(c);
    return fmt::format("postgresql://{}:{}@127.0.0.1:{}/{}", user, url_password, port, dbname);
}

void check_clean(const std::string& what, const std::string& text) {
    INFO(what << ":\n" << text.substr(0, 3000));
    CHECK(text.find(url_password) == std::string::npos);
    CHECK(text.find(env_password) == std::string::npos);
}

std::string cmdline(pid_t pid) {
    std::string s = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    for (auto& c : s) {
        if (c == '\0') {
            c = ' ';
        }
    }
    return s;
}

std::string query_binary() {
    return std::string{LEDGERTAP_BINARY_DIR} + "/query/ledgertap-query";
}

} // namespace

TEST_CASE("secrets: the password is in no endpoint body and no JSON log line while data flows") {
    scratch_database db{"secrets_flow"};
    db.migrate();
    const auto dir = make_temp_dir("secrets");
    child_process sim{{sim_executable(), "--chain", "nano", "--rate", "80", "--malformed-every", "40",
                          "--oversized-bytes", "20000000", "--duration", "40", "--ports-file", dir + "/ports.json",
                          "--log-level", "warn"},
        dir + "/sim"};
    const auto ports = read_ports_file(dir + "/ports.json", 20s);
    REQUIRE(ports);
    const env_guard pgpassword{"PGPASSWORD", env_password};
    // The Solana URL has nothing behind it: connection errors are logged all along.
    child_process ingest{{ingest_executable(), "--db", url_with_password(db.name()), "--log-format", "json",
                             "--log-level", "debug", "--nano-ws", "ws://127.0.0.1:" + std::to_string(ports->nano_ws),
                             "--nano-rpc", "http://127.0.0.1:" + std::to_string(ports->nano_rpc), "--solana-ws",
                             "ws://127.0.0.1:1", "--metrics-addr", "127.0.0.1:0"},
        dir + "/ingest"};
    int port = 0;
    REQUIRE(wait_until([&] {
        std::smatch m;
        const auto log = ingest.stderr_text();
        if (std::regex_search(log, m, std::regex{"/readyz on port ([0-9]+)"})) {
            port = std::stoi(m[1]);
        }
        return port != 0;
    }, 20s));
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    REQUIRE(wait_until([&] {
        return std::stoll(query_scalar(db.conninfo(), "SELECT count(*) FROM ledgertap.rejected_messages").value_or("0")) > 0
               && std::stoll(query_scalar(db.conninfo(), "SELECT count(*) FROM nano.blocks").value_or("0")) > 0;
    }, 30s));
    for (const std::string path : {"/metrics", "/healthz", "/readyz", "/nope"}) {
        const auto r = http_get(base + path);
        CHECK(r.ok);
        check_clean(path + " body", r.body);
        check_clean(path + " headers", r.headers);
    }
    CHECK(http_get(base + "/readyz").status == 200);
    // A dead letter holds the frame and its reason, never connection details.
    check_clean("dead letters", query_scalar(db.conninfo(),
        "SELECT coalesce(string_agg(coalesce(detail, '') || coalesce(payload, ''), ''), '') "
        "FROM ledgertap.rejected_messages").value_or(""));
    // ps shows the password given with --db: that is why LEDGERTAP_DB exists (next test).
    CHECK(cmdline(ingest.pid()).find(url_password) != std::string::npos);
    ingest.terminate();
    REQUIRE(ingest.wait(30s) == 0);
    const auto log = ingest.stderr_text();
    check_clean("json log", log);
    std::size_t lines = 0;
    for (std::size_t start = 0; start < log.size();) {
        auto end = log.find('\n', start);
        end = end == std::string::npos ? log.size() : end;
        const auto line = log.substr(start, end - start);
        start = end + 1;
        if (line.empty()) {
            continue;
        }
        rapidjson::Document d;
        d.Parse(line.c_str(), line.size());
        INFO(line);
        CHECK_FALSE(d.HasParseError());
        ++lines;
    }
    CHECK(lines > 5);
    // The database the writer logged is there, without its password.
    CHECK(log.find("writer: database postgresql://") != std::string::npos);
}

TEST_CASE("secrets: LEDGERTAP_DB keeps the password out of the process arguments") {
    scratch_database db{"secrets_env"};
    db.migrate();
    const auto dir = make_temp_dir("secrets_env");
    child_process sim{{sim_executable(), "--chain", "nano", "--rate", "50", "--duration", "30", "--ports-file",
                          dir + "/ports.json", "--log-level", "warn"},
        dir + "/sim"};
    const auto ports = read_ports_file(dir + "/ports.json", 20s);
    REQUIRE(ports);
    const env_guard ledgertap_db{"LEDGERTAP_DB", url_with_password(db.name())};
    child_process ingest{{ingest_executable(), "--nano-ws", "ws://127.0.0.1:" + std::to_string(ports->nano_ws)},
        dir + "/ingest"};
    CHECK(wait_until([&] {
        return std::stoll(query_scalar(db.conninfo(), "SELECT count(*) FROM nano.blocks").value_or("0")) > 0;
    }, 30s));
    check_clean("cmdline", cmdline(ingest.pid()));
    ingest.terminate();
    REQUIRE(ingest.wait(30s) == 0);
    check_clean("log", ingest.stderr_text());
}

TEST_CASE("secrets: a database that refuses the daemon is logged without the password, text and JSON") {
    const env_guard pgpassword{"PGPASSWORD", env_password};
    const auto dir = make_temp_dir("secrets_refused");
    child_process sim{{sim_executable(), "--chain", "nano", "--rate", "20", "--duration", "60", "--ports-file",
                          dir + "/ports.json", "--log-level", "warn"},
        dir + "/sim"};
    const auto ports = read_ports_file(dir + "/ports.json", 20s);
    REQUIRE(ports);
    {
        std::ofstream f{dir + "/quick.toml"};
        f << "[writer]\nshutdown_timeout_ms = 500\n"; // what was received cannot be written anyway
    }
    for (const std::string format : {"text", "json"}) {
        // The server answers, but the database does not exist: the writer (which connects once
        // there is something to write) retries and says why.
        child_process ingest{{ingest_executable(), "--db", url_with_password("no_such_db_" + format), "--log-format",
                                 format, "--nano-ws", "ws://127.0.0.1:" + std::to_string(ports->nano_ws),
                                 "--metrics-addr", "127.0.0.1:0", "--config", dir + "/quick.toml"},
            dir + "/ingest_" + format};
        CHECK(wait_until([&] { return ingest.stderr_text().find("does not exist") != std::string::npos; }, 30s));
        std::smatch m;
        const auto log = ingest.stderr_text();
        if (std::regex_search(log, m, std::regex{"/readyz on port ([0-9]+)"})) {
            const std::string base = "http://127.0.0.1:" + m[1].str();
            const auto ready = http_get(base + "/readyz");
            CHECK(ready.status == 503);
            check_clean("/readyz", ready.body);
            check_clean("/metrics", http_get(base + "/metrics").body);
        }
        ingest.terminate();
        CHECK(ingest.wait(40s));
        check_clean(format + " log", ingest.stderr_text());
    }
    // --print-config with the password in the URL and in the environment.
    child_process print{{ingest_executable(), "--print-config", "--db", url_with_password("x"), "--nano-ws",
                            "ws://127.0.0.1:1"},
        dir + "/print"};
    CHECK(print.wait(20s) == 0);
    check_clean("--print-config", print.stdout_text() + print.stderr_text());
    CHECK(print.stdout_text().find(":***@127.0.0.1") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("secrets: ledgertap-query's errors never show the password from the URL or PGPASSWORD") {
    scratch_database bare{"secrets_query"}; // reachable, but never migrated: statements fail
    const env_guard pgpassword{"PGPASSWORD", env_password};
    const auto dir = make_temp_dir("secrets_query");
    struct attempt {
        std::string what;
        std::vector<std::string> args;
        std::optional<std::string> ledgertap_db;
    };
    const std::vector<attempt> attempts{
        {"missing database, --db", {"status", "--db", url_with_password("no_such_db")}, std::nullopt},
        {"missing database, LEDGERTAP_DB", {"latency"}, url_with_password("no_such_db")},
        {"unmigrated database (SQL error)", {"gaps", "--db", url_with_password(bare.name())}, std::nullopt},
        {"unmigrated database, json", {"status", "--format", "json"}, url_with_password(bare.name())},
        {"bad port", {"status", "--db", "postgresql://u:" + url_password + "@127.0.0.1:notaport/x"}, std::nullopt},
        {"key=value with password", {"votes", "--db", "host=127.0.0.1 dbname=no_such_db password=" + url_password},
            std::nullopt},
    };
    int n = 0;
    for (const auto& a : attempts) {
        std::optional<env_guard> env;
        if (a.ledgertap_db) {
            env.emplace("LEDGERTAP_DB", *a.ledgertap_db);
        }
        std::vector<std::string> argv{query_binary()};
        argv.insert(argv.end(), a.args.begin(), a.args.end());
        child_process q{argv, dir + "/q" + std::to_string(n++)};
        const auto rc = q.wait(30s);
        INFO(a.what << "\nstderr: " << q.stderr_text());
        CHECK(rc.has_value());
        CHECK(rc != 0);
        CHECK(q.stderr_text().find("ledgertap-query: error: ") != std::string::npos);
        check_clean(a.what, q.stdout_text() + q.stderr_text());
    }
    std::filesystem::remove_all(dir);
}

} // namespace ledgertap::test
