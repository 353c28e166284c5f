#pragma once
// Exponential backoff with jitter, kept free of I/O so that it can be tested without waiting.

#include <chrono>
#include <cstdint>
#include <random>

namespace gic::util {

struct BackoffPolicy {
    std::chrono::milliseconds initial{500};
    double multiplier = 2.0;
    std::chrono::milliseconds max{60'000};
    double jitter = 0.1;  // each delay is scaled by a factor in [1 - jitter, 1 + jitter]
};

class Backoff {
public:
    explicit Backoff(BackoffPolicy policy, std::uint64_t seed = std::random_device{}());
    // The delay before the next attempt; grows until policy.max.
    std::chrono::milliseconds next();
    void reset() { current_ = policy_.initial; }

private:
    BackoffPolicy policy_;
    std::chrono::milliseconds current_;
    std::mt19937_64 rng_;
};

}  // namespace gic::util
