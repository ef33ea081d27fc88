// Transport security, through the real simulator serving TLS (ledgertap-sim --tls-cert/--tls-key)
// and the real ledgertap-ingest: wss:// and https:// verify the node's certificate by default,
// against OpenSSL's system store; tls_ca_file trusts a private CA instead, with the host name still
// checked; tls_insecure turns checking off and says so loudly. The certificates are made at test
// time with the openssl CLI in a temporary directory (a throwaway CA, a certificate for 127.0.0.1
// and localhost, and one for another host name from the same CA); no key is ever committed.

#include "ingest/rpc_client.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/pg.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace ledgertap::test {
namespace {

using namespace std::chrono_literals;

/// Runs the openssl CLI; REQUIREs that it succeeds.
void openssl(const std::string& dir, std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/openssl");
    child_process p{args, dir + "/openssl"};
    const auto rc = p.wait(60s);
    INFO(p.stderr_text());
    REQUIRE(rc == 0);
}

/// A throwaway PKI in a temporary directory: a CA, a server certificate for IP 127.0.0.1 and DNS
/// localhost, and a certificate for DNS wrong.example only, both signed by that CA.
struct test_pki {
    std::string dir = make_temp_dir("tls_pki");
    std::string ca = dir + "/ca.pem";
    std::string cert = dir + "/server.pem";
    std::string key = dir + "/server.key";
    std::string wrong_cert = dir + "/wrong.pem";
    std::string wrong_key = dir + "/wrong.key";

    test_pki() {
        const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
        auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
            a.insert(a.end(), b.begin(), b.end());
            return a;
        };
        openssl(dir, with({"req", "-x509"}, with(ec, {"-keyout", dir + "/ca.key", "-out", ca, "-days", "2", "-subj",
                                                   "/CN=ledgertap test CA", "-addext",
                                                   "basicConstraints=critical,CA:TRUE", "-addext",
                                                   "keyUsage=critical,keyCertSign,cRLSign"})));
        issue("server", "subjectAltName=IP:127.0.0.1,DNS:localhost", ec);
        issue("wrong", "subjectAltName=DNS:wrong.example", ec);
    }
    ~test_pki() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    test_pki(const test_pki&) = delete;
    test_pki& operator=(const test_pki&) = delete;
    test_pki(test_pki&&) = delete;
    test_pki& operator=(test_pki&&) = delete;

private:
    void issue(const std::string& name, const std::string& san, std::vector<std::string> req) {
        {
            std::ofstream ext{dir + "/" + name + ".ext"};
            ext << san << "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
        }
        req.insert(req.begin(), "req");
        const std::vector<std::string> files{"-keyout", dir + "/" + name + ".key", "-out", dir + "/" + name + ".csr",
            "-subj", "/CN=" + name};
        req.insert(req.end(), files.begin(), files.end());
        openssl(dir, req);
        openssl(dir, {"x509", "-req", "-in", dir + "/" + name + ".csr", "-CA", ca, "-CAkey", dir + "/ca.key",
                         "-CAcreateserial", "-out", dir + "/" + name + ".pem", "-days", "2", "-extfile",
                         dir + "/" + name + ".ext"});
    }
};

/// The value of one Prometheus series line (`name{labels} value`), or -1.
double metric(const std::string& text, const std::string& series) {
    const auto pos = text.find("\n" + series + " ");
    if (pos == std::string::npos) {
        return -1;
    }
    return std::stod(text.substr(pos + series.size() + 2));
}

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) {
        ++n;
    }
    return n;
}

long long count(const std::string& conninfo, const std::string& sql) {
    return std::stoll(query_scalar(conninfo, sql).value_or("0"));
}

/// ledgertap-sim serving TLS with `cert`/`key`.
struct tls_sim {
    std::string dir = make_temp_dir("tls_sim");
    child_process process;
    sim_ports ports;

    tls_sim(const std::string& cert, const std::string& key, const std::string& chain,
        std::vector<std::string> extra = {})
        : process{[&] {
              std::vector<std::string> a{sim_executable(), "--chain", chain, "--tls-cert", cert, "--tls-key", key,
                  "--ports-file", dir + "/ports.json", "--duration", "60", "--log-level", "warn"};
              a.insert(a.end(), extra.begin(), extra.end());
              return a;
          }(),
              dir + "/sim"} {
        const auto p = read_ports_file(dir + "/ports.json", 20s);
        INFO(process.stderr_text());
        REQUIRE(p);
        ports = *p;
    }
    [[nodiscard]] std::string nano_ws() const { return "wss://127.0.0.1:" + std::to_string(ports.nano_ws); }
    [[nodiscard]] std::string nano_rpc() const { return "https://127.0.0.1:" + std::to_string(ports.nano_rpc); }
    [[nodiscard]] std::string solana_ws() const { return "wss://127.0.0.1:" + std::to_string(ports.solana_ws); }
    [[nodiscard]] std::string solana_rpc() const {
        return "https://127.0.0.1:" + std::to_string(ports.solana_rpc);
    }
};

/// ledgertap-ingest with a TOML file and the metrics endpoint on a kernel-picked port.
struct ingest_run {
    std::string dir = make_temp_dir("tls_ingest");
    child_process process;
    std::string metrics_base;

    ingest_run(const std::string& conninfo, const std::string& toml)
        : process{[&] {
              std::ofstream f{dir + "/ledgertap.toml"};
              f << toml;
              f.close();
              return std::vector<std::string>{ingest_executable(), "--db", conninfo, "--config",
                  dir + "/ledgertap.toml", "--metrics-addr", "127.0.0.1:0"};
          }(),
              dir + "/ingest"} {
        int port = 0;
        const bool up = wait_until([&] {
            std::smatch m;
            const auto log = process.stderr_text();
            if (std::regex_search(log, m, std::regex{"/readyz on port ([0-9]+)"})) {
                port = std::stoi(m[1]);
            }
            return port != 0;
        }, 20s);
        INFO(process.stderr_text());
        REQUIRE(up);
        metrics_base = "http://127.0.0.1:" + std::to_string(port);
    }
    [[nodiscard]] std::string log() const { return process.stderr_text(); }
    [[nodiscard]] std::string metrics() const { return http_get(metrics_base + "/metrics").body; }
    /// SIGTERM; REQUIREs a clean exit.
    void stop() {
        process.terminate();
        const auto rc = process.wait(30s);
        INFO(log());
        REQUIRE(rc == 0);
    }
};

std::string nano_section(const tls_sim& sim, const std::string& extra) {
    return "[nano]\nws_url = \"" + sim.nano_ws() + "\"\nrpc_url = \"" + sim.nano_rpc() + "\"\n" + extra;
}

ingest::rpc_response block_count(const std::string& url, ingest::rpc_options o = {}) {
    o.retries = 0;
    o.timeout = 10s;
    ingest::rpc_client c{url, o};
    return c.post(R"({"action":"block_count"})");
}

} // namespace

TEST_CASE("tls: by default wss and https refuse a certificate the system store does not trust") {
    test_pki pki;
    tls_sim sim{pki.cert, pki.key, "nano"};
    scratch_database db{"tls_default"};
    db.migrate();
    ingest_run ingest{db.conninfo(), nano_section(sim, "")};

    // The feed fails every attempt with a line naming the URL and the reason, and keeps trying.
    const std::string ws_line = sim.nano_ws() + ": TLS certificate verification failed: unable to get local "
                                                "issuer certificate (trusted CAs: the system store)";
    CHECK(wait_until([&] { return occurrences(ingest.log(), ws_line) >= 3; }, 30s));
    // The backfiller's RPC client fails the same way, naming its URL.
    const std::string rpc_line = sim.nano_rpc() + ": TLS certificate verification failed: SSL certificate problem: "
                                                  "unable to get local issuer certificate";
    CHECK(wait_until([&] { return ingest.log().find(rpc_line) != std::string::npos; }, 30s));
    INFO(ingest.log().substr(0, 4000));

    // Counted, not connected, nothing stored, and the daemon is alive and answering.
    std::string m;
    CHECK(wait_until([&] {
        m = ingest.metrics();
        return metric(m, "ledgertap_connect_failures_total{source=\"nano\"}") >= 3;
    }, 20s));
    CHECK(metric(m, "ledgertap_source_connected{source=\"nano\"}") == 0);
    CHECK(http_get(ingest.metrics_base + "/healthz").body == "ok\n");
    CHECK(http_get(ingest.metrics_base + "/readyz").status == 503);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections") == 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks") == 0);
    CHECK(ingest.process.running());
    ingest.stop();

    // The RPC client on its own: refused at once (a certificate problem is not retried).
    const auto r = block_count(sim.nano_rpc());
    CHECK_FALSE(r.ok);
    CHECK(r.tls_failure);
    CHECK(r.attempts == 1);
    CHECK(r.error.find(sim.nano_rpc() + ": TLS certificate verification failed") == 0);
}

TEST_CASE("tls: the default trust store is OpenSSL's system store (SSL_CERT_FILE moves it)") {
    // Proof that "default" means the system store and not "nothing": point OpenSSL's default
    // store at the test CA (the SSL_CERT_FILE variable) and wss:// connects with no CA option.
    test_pki pki;
    tls_sim sim{pki.cert, pki.key, "nano"};
    scratch_database db{"tls_system"};
    db.migrate();
    REQUIRE(setenv("SSL_CERT_FILE", pki.ca.c_str(), 1) == 0);
    ingest_run ingest{db.conninfo(), "[nano]\nws_url = \"" + sim.nano_ws() + "\"\n"};
    unsetenv("SSL_CERT_FILE");
    CHECK(wait_until([&] { return count(db.conninfo(), "SELECT count(*) FROM nano.blocks") > 0; }, 30s));
    INFO(ingest.log().substr(0, 4000));
    CHECK(ingest.log().find("connected to " + sim.nano_ws()) != std::string::npos);
    CHECK(ingest.log().find("verification failed") == std::string::npos);
    ingest.stop();
}

TEST_CASE("tls: tls_ca_file trusts a private CA for wss and https of both sources, data flows") {
    test_pki pki;
    tls_sim sim{pki.cert, pki.key, "both", {"--rate", "50", "--slot-ms", "100"}};
    scratch_database db{"tls_ca"};
    db.migrate();
    const std::string ca = "tls_ca_file = \"" + pki.ca + "\"\n";
    ingest_run ingest{db.conninfo(),
        nano_section(sim, ca) + "[solana]\nws_url = \"" + sim.solana_ws() + "\"\nrpc_url = \"" + sim.solana_rpc()
            + "\"\n" + ca};
    // WebSocket rows of both chains, and Nano blocks recovered over https (the blocks confirmed
    // before ingest connected come back through confirmation_history and blocks_info).
    CHECK(wait_until([&] {
        return count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE origin = 'websocket'") > 0
               && count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE origin = 'rpc_backfill'") > 0
               && count(db.conninfo(), "SELECT count(*) FROM solana.slots") > 0;
    }, 40s));
    INFO(ingest.log().substr(0, 4000));
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE origin = 'rpc_backfill'") > 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM solana.slots") > 0);
    CHECK(ingest.log().find("connected to " + sim.nano_ws()) != std::string::npos);
    CHECK(ingest.log().find("connected to " + sim.solana_ws()) != std::string::npos);
    CHECK(ingest.log().find("verification failed") == std::string::npos);
    CHECK(ingest.log().find("WITHOUT verifying") == std::string::npos);
    const auto m = ingest.metrics();
    CHECK(metric(m, "ledgertap_source_connected{source=\"nano\"}") == 1);
    ingest.stop();

    ingest::rpc_options o;
    o.ca_file = pki.ca;
    const auto r = block_count(sim.nano_rpc(), o);
    INFO(r.error);
    CHECK(r.ok);
    CHECK(r.body.find("\"count\"") != std::string::npos);
    // Host names are checked by name as well as by address: the certificate also names localhost.
    const auto by_name = block_count("https://localhost:" + std::to_string(sim.ports.nano_rpc), o);
    INFO(by_name.error);
    CHECK(by_name.ok);
}

TEST_CASE("tls: a certificate for another host name is refused even when its CA is trusted") {
    test_pki pki;
    tls_sim sim{pki.wrong_cert, pki.wrong_key, "nano"};
    scratch_database db{"tls_wronghost"};
    db.migrate();
    ingest_run ingest{db.conninfo(), nano_section(sim, "tls_ca_file = \"" + pki.ca + "\"\n")};
    const std::string ws_line = sim.nano_ws() + ": TLS certificate verification failed: IP address mismatch "
                                                "(trusted CAs: " + pki.ca + ")";
    CHECK(wait_until([&] { return occurrences(ingest.log(), ws_line) >= 2; }, 30s));
    const std::string rpc_line = sim.nano_rpc() + ": TLS certificate verification failed: SSL: no alternative "
                                                  "certificate subject name matches target host name '127.0.0.1'";
    CHECK(wait_until([&] { return ingest.log().find(rpc_line) != std::string::npos; }, 30s));
    INFO(ingest.log().substr(0, 4000));
    CHECK(metric(ingest.metrics(), "ledgertap_connect_failures_total{source=\"nano\"}") >= 2);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections") == 0);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks") == 0);
    ingest.stop();

    ingest::rpc_options o;
    o.ca_file = pki.ca;
    const auto r = block_count(sim.nano_rpc(), o);
    CHECK_FALSE(r.ok);
    CHECK(r.tls_failure);
    CHECK(r.error.find("no alternative certificate subject name matches") != std::string::npos);
}

TEST_CASE("tls: tls_insecure connects to any certificate and warns at startup and on every connection") {
    test_pki pki;
    // Wrong host name and a CA nobody trusts: only an unchecked connection gets through. The
    // simulator drops the WebSocket every 150 messages, so there are several connections.
    tls_sim sim{pki.wrong_cert, pki.wrong_key, "nano", {"--rate", "100", "--disconnect-every", "150"}};
    scratch_database db{"tls_insecure"};
    db.migrate();
    ingest_run ingest{db.conninfo(), nano_section(sim, "tls_insecure = true\nreconnect_initial_ms = 50\n")};
    const std::string per_connection = "feed nano: connected to " + sim.nano_ws()
                                       + " WITHOUT verifying its TLS certificate (tls_insecure = true)";
    CHECK(wait_until([&] { return occurrences(ingest.log(), per_connection) >= 2; }, 30s));
    CHECK(wait_until([&] {
        return count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE origin = 'rpc_backfill'") > 0
               && count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections") >= 2;
    }, 30s));
    const auto log = ingest.log();
    INFO(log.substr(0, 4000));
    CHECK(occurrences(log, per_connection) >= 2);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM ledgertap.connections") >= 2);
    CHECK(count(db.conninfo(), "SELECT count(*) FROM nano.blocks WHERE origin = 'websocket'") > 0);
    // At startup, before any connection, for the feed and the RPC client.
    const auto startup_ws = log.find("warning feed nano: TLS certificate verification is DISABLED (tls_insecure)");
    const auto startup_rpc
        = log.find("warning rpc " + sim.nano_rpc() + ": TLS certificate verification is DISABLED (tls_insecure)");
    CHECK(startup_ws != std::string::npos);
    CHECK(startup_rpc != std::string::npos);
    CHECK(startup_ws < log.find(per_connection));
    CHECK(log.find("warning rpc " + sim.nano_rpc() + ": connected WITHOUT verifying the TLS certificate")
          != std::string::npos);
    ingest.stop();
}

TEST_CASE("tls: tls_ca_file is checked at startup, naming the key") {
    const auto dir = make_temp_dir("tls_cfg");
    auto run = [&](const std::string& toml) {
        {
            std::ofstream f{dir + "/c.toml"};
            f << toml;
        }
        child_process p{{ingest_executable(), "--config", dir + "/c.toml"}, dir + "/run"};
        const auto rc = p.wait(20s);
        return std::pair{rc.value_or(-1), p.stderr_text()};
    };
    const auto [missing_rc, missing] = run("[solana]\nws_url = \"wss://127.0.0.1:1\"\ntls_ca_file = \"" + dir
                                           + "/nope.pem\"\n");
    CHECK(missing_rc == 2);
    CHECK(missing.find("config key 'solana.tls_ca_file': '" + dir + "/nope.pem' does not exist") != std::string::npos);
    {
        std::ofstream f{dir + "/ca.pem"};
        f << "not used\n";
    }
    const auto [both_rc, both] = run("[nano]\nws_url = \"wss://127.0.0.1:1\"\ntls_insecure = true\ntls_ca_file = \""
                                     + dir + "/ca.pem\"\n");
    CHECK(both_rc == 2);
    CHECK(both.find("config key 'nano.tls_ca_file': has no effect while nano.tls_insecure = true") != std::string::npos);
    std::filesystem::remove_all(dir);
}

} // namespace ledgertap::test
