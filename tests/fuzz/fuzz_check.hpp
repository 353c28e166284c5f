#pragma once
// An invariant a fuzz target checks: when it does not hold, print what and abort, so libFuzzer
// saves the input as a crash artifact and the run fails.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                         \
    do {                                                                                              \
        if (!(condition)) {                                                                           \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                             \
        }                                                                                             \
    } while (false)
