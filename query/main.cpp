// ledgertap-query: read-only answers from the ledgertap database. See query/cli.hpp.

#include "query/cli.hpp"

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

/// libpq waits forever on an unanswered TCP connect unless told otherwise; a conninfo's own
/// connect_timeout, or a PGCONNECT_TIMEOUT the user set, still wins.
constexpr const char* default_connect_timeout_s = "10";

} // namespace

int main(int argc, char** argv) {
    // Before any thread exists, so setenv cannot race.
    setenv("PGCONNECT_TIMEOUT", default_connect_timeout_s, 0); // NOLINT(concurrency-mt-unsafe)
    std::vector<std::string> args;
    args.reserve(argc > 0 ? static_cast<std::size_t>(argc - 1) : 0U);
    for (int i = 1; i < argc; ++i) {
        args.emplace_back(argv[i]);
    }
    const int code = ledgertap::query::run_cli(args, std::cout, std::cerr);
    std::cout.flush();
    return code;
}
