#pragma once

// Hand-written fakes for the interfaces the pipeline owns. They record what they saw and replay
// scripted outcomes, failures included.

#include "ingest/sink.hpp"

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace ledgertap::test {

/// A sink that records every batch and answers with scripted outcomes (then `ok` forever), or
/// with `decide(batch)` when set, e.g. to reject batches that contain a poisoned message.
class recording_sink final : public ingest::sink {
public:
    std::deque<ingest::write_status> script;
    std::function<ingest::write_status(std::span<const ingest::row_group>)> decide;

    [[nodiscard]] ingest::write_result write(std::span<const ingest::row_group> batch) noexcept override {
        std::lock_guard lock{mutex_};
        ++attempts_;
        ingest::write_status status = ingest::write_status::ok;
        if (!script.empty()) {
            status = script.front();
            script.pop_front();
        } else if (decide) {
            status = decide(batch);
        }
        if (status == ingest::write_status::ok) {
            std::vector<std::string> origins;
            for (const auto& g : batch) {
                committed_.push_back(g.origin);
                origins.push_back(g.origin);
            }
            batches_.push_back(std::move(origins));
        }
        return {status, status == ingest::write_status::ok ? "" : "scripted failure"};
    }

    [[nodiscard]] std::vector<std::string> committed() const {
        std::lock_guard lock{mutex_};
        return committed_;
    }
    /// The origins of each committed batch, in commit order.
    [[nodiscard]] std::vector<std::vector<std::string>> committed_batches() const {
        std::lock_guard lock{mutex_};
        return batches_;
    }
    [[nodiscard]] int attempts() const {
        std::lock_guard lock{mutex_};
        return attempts_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> committed_;
    std::vector<std::vector<std::string>> batches_;
    int attempts_ = 0;
};

} // namespace ledgertap::test
