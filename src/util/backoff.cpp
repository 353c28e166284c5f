#include "util/backoff.hpp"

#include <algorithm>

namespace gic::util {

Backoff::Backoff(BackoffPolicy policy, std::uint64_t seed) : policy_(policy), current_(policy.initial), rng_(seed) {}

std::chrono::milliseconds Backoff::next() {
    std::uniform_real_distribution<double> spread(1.0 - policy_.jitter, 1.0 + policy_.jitter);
    auto base = current_;
    auto grown = std::chrono::milliseconds(static_cast<long long>(double(current_.count()) * policy_.multiplier));
    current_ = std::min(grown, policy_.max);
    auto jittered = static_cast<long long>(double(base.count()) * spread(rng_));
    return std::chrono::milliseconds(std::max<long long>(jittered, 0));
}

}  // namespace gic::util
