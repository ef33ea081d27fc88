// The test runner shared by unit and integration tests: Catch2 v2 with quiet logging, so test
// output shows failures rather than the pipeline's info lines.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>

int main(int argc, char* argv[]) {
    const char* level = std::getenv("LEDGERTAP_TEST_LOG"); // NOLINT(concurrency-mt-unsafe)
    spdlog::set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::warn);
    return Catch::Session().run(argc, argv);
}
