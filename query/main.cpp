#include "schema/version.hpp"

#include <cstdio>

int main() {
    std::printf("ledgertap-query %s\n", ledgertap::version);
    return 0;
}
