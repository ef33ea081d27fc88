#include "schema/version.hpp"

#include <cstdio>

int main() {
    std::printf("ledgertap-ingest %s\n", ledgertap::version);
    return 0;
}
