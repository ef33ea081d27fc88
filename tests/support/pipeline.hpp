#pragma once

// End-to-end helpers: the simulator's truth file, the ingest executable, a private PostgreSQL
// cluster a test may stop and start, and deadline polling.

#include "tests/support/process.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace ledgertap::test {

/// One confirmed Nano block as the simulator recorded it; every field as text (NULL = "").
struct truth_nano_block {
    std::map<std::string, std::string> fields;
};

struct truth_nano_connection {
    std::map<std::string, std::uint64_t> sent; ///< per topic
    std::uint64_t dropped = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t malformed = 0;
};

struct truth_solana_block {
    std::map<std::string, std::string> fields;
};

/// The JSON Lines truth file of ledgertap-sim --truth.
struct sim_truth {
    std::map<std::string, truth_nano_block> nano_blocks; ///< by hash
    std::vector<truth_nano_connection> nano_connections;
    std::map<std::uint64_t, truth_solana_block> solana_blocks; ///< finalized, by slot
    std::set<std::uint64_t> solana_skipped;
    std::set<std::uint64_t> solana_orphaned;
    bool complete = false; ///< The file ended with its truth_end record.

    [[nodiscard]] std::uint64_t nano_sent(const std::string& topic) const;
};

[[nodiscard]] sim_truth load_truth(const std::string& path);

/// Path of the built ledgertap-ingest.
[[nodiscard]] std::string ingest_executable();

/// Polls `pred` every `step` until it is true or `timeout` (scaled) passes; returns its last value.
inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
    std::chrono::milliseconds step = std::chrono::milliseconds{100}) {
    const auto deadline = std::chrono::steady_clock::now() + scaled(timeout);
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) {
            return true;
        }
        std::this_thread::sleep_for(step);
    }
    return pred();
}

/// A PostgreSQL cluster of the test's own (tests/scripts/pg-test-cluster.sh), so the test may stop
/// and restart it without disturbing other tests. Stopped and removed on destruction.
class private_cluster {
public:
    private_cluster();
    ~private_cluster();
    private_cluster(const private_cluster&) = delete;
    private_cluster& operator=(const private_cluster&) = delete;
    private_cluster(private_cluster&&) = delete;
    private_cluster& operator=(private_cluster&&) = delete;

    /// key=value conninfo of database `postgres` on the cluster.
    [[nodiscard]] const std::string& conninfo() const noexcept { return conninfo_; }
    void stop();  ///< pg_ctl stop -m fast
    void start(); ///< on the same port and socket directory

private:
    std::string dir_;
    std::string bin_;
    int port_ = 0;
    std::string conninfo_;
};

} // namespace ledgertap::test
