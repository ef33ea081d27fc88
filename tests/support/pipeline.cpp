#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace ledgertap::test {

namespace {

std::string as_text(const rapidjson::Value& v) {
    if (v.IsNull()) {
        return "";
    }
    if (v.IsString()) {
        return {v.GetString(), v.GetStringLength()};
    }
    if (v.IsUint64()) {
        return std::to_string(v.GetUint64());
    }
    if (v.IsInt64()) {
        return std::to_string(v.GetInt64());
    }
    if (v.IsBool()) {
        return v.GetBool() ? "true" : "false";
    }
    return "?";
}

std::string run_capture(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r"); // NOLINT(cert-env33-c)
    if (p == nullptr) {
        throw std::runtime_error("popen failed: " + cmd);
    }
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) {
        out += buf.data();
    }
    const int rc = ::pclose(p);
    if (rc != 0) {
        throw std::runtime_error("command failed (" + std::to_string(rc) + "): " + cmd + "\n" + out);
    }
    return out;
}

std::string as_owner(const std::string& cmd) {
    return ::geteuid() == 0 ? "runuser -u postgres -- " + cmd : cmd;
}

} // namespace

std::uint64_t sim_truth::nano_sent(const std::string& topic) const {
    std::uint64_t n = 0;
    for (const auto& c : nano_connections) {
        if (const auto it = c.sent.find(topic); it != c.sent.end()) {
            n += it->second;
        }
    }
    return n;
}

sim_truth load_truth(const std::string& path) {
    sim_truth t;
    std::ifstream in{path};
    std::string line;
    while (std::getline(in, line)) {
        rapidjson::Document d;
        d.Parse(line.c_str(), line.size());
        if (d.HasParseError() || !d.IsObject() || !d.HasMember("kind")) {
            continue;
        }
        const std::string kind = d["kind"].GetString();
        if (kind == "nano_block") {
            truth_nano_block b;
            for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
                b.fields[it->name.GetString()] = as_text(it->value);
            }
            t.nano_blocks[b.fields["hash"]] = std::move(b);
        } else if (kind == "nano_connection") {
            truth_nano_connection c;
            if (d.HasMember("sent") && d["sent"].IsObject()) {
                for (auto it = d["sent"].MemberBegin(); it != d["sent"].MemberEnd(); ++it) {
                    c.sent[it->name.GetString()] = it->value.IsUint64() ? it->value.GetUint64() : 0;
                }
            }
            auto num = [&](const char* k) -> std::uint64_t {
                return d.HasMember(k) && d[k].IsUint64() ? d[k].GetUint64() : 0;
            };
            c.dropped = num("dropped");
            c.duplicated = num("duplicated");
            c.malformed = num("malformed");
            t.nano_connections.push_back(std::move(c));
        } else if (kind == "solana_block") {
            truth_solana_block b;
            for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
                b.fields[it->name.GetString()] = as_text(it->value);
            }
            t.solana_blocks[std::stoull(b.fields["slot"])] = std::move(b);
        } else if (kind == "solana_skipped" && d.HasMember("slot")) {
            t.solana_skipped.insert(d["slot"].GetUint64());
        } else if (kind == "solana_orphaned" && d.HasMember("slot")) {
            t.solana_orphaned.insert(d["slot"].GetUint64());
        } else if (kind == "truth_end") {
            t.complete = true;
        }
    }
    return t;
}

std::string ingest_executable() {
    return std::string{LEDGERTAP_BINARY_DIR} + "/ingest/ledgertap-ingest";
}

private_cluster::private_cluster() {
    char tmpl[] = "/tmp/ledgertap-pgp.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    dir_ = tmpl;
    const std::string script = std::string{LEDGERTAP_SOURCE_DIR} + "/tests/scripts/pg-test-cluster.sh";
    const auto out = run_capture("bash -c 'source " + script + " && pg_test_cluster_start " + dir_
        + " >/dev/null && echo $PGPORT $LEDGERTAP_TEST_PG_BIN'");
    std::istringstream is{out};
    is >> port_ >> bin_;
    if (port_ == 0 || bin_.empty()) {
        throw std::runtime_error("private cluster did not start: " + out);
    }
    conninfo_ = "host=" + dir_ + " port=" + std::to_string(port_) + " user=postgres dbname=postgres";
}

private_cluster::~private_cluster() {
    try {
        run_capture(as_owner(bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop >/dev/null 2>&1 || true"));
    } catch (...) {
    }
    std::system(("rm -rf " + dir_).c_str()); // NOLINT(cert-env33-c,concurrency-mt-unsafe)
}

void private_cluster::stop() {
    run_capture(as_owner(bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w stop >/dev/null"));
}

void private_cluster::start() {
    run_capture(as_owner(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 -o \"-F -k " + dir_
        + " -p " + std::to_string(port_) + " -c listen_addresses=127.0.0.1\" start >/dev/null"));
}

} // namespace ledgertap::test
