#include "schema/version.hpp"

#include <cstdio>

int main() {
    std::printf("ledgertap-sim %s\n", ledgertap::version);
    return 0;
}
