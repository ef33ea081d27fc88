#pragma once

#include "ingest/config.hpp"

namespace ledgertap::ingest {

/// Runs the ingest daemon with `cfg` until SIGTERM or SIGINT: every configured source on one
/// feed client thread, the batch writer on another, then a drain (stop reading, flush everything
/// received, commit). Returns the process exit code: 0 after a clean drain, 1 when messages could
/// not be written before the shutdown timeout, 2 when the pipeline could not start.
[[nodiscard]] int run_ingest(const config& cfg);

} // namespace ledgertap::ingest
