#include "kube/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace gic::kube {

TokenBucket::TokenBucket(double qps, int burst, Clock::time_point now)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(burst_), last_(now) {}

double TokenBucket::tokens_at(Clock::time_point now) const {
    if (qps_ <= 0) return burst_;
    double const elapsed = std::chrono::duration<double>(std::max(now, last_) - last_).count();
    return std::min(burst_, tokens_ + elapsed * qps_);
}

TokenBucket::Clock::duration TokenBucket::reserve(Clock::time_point now) {
    if (qps_ <= 0) return Clock::duration::zero();
    tokens_ = tokens_at(now);
    last_ = std::max(now, last_);
    tokens_ -= 1.0;
    if (tokens_ >= 0) return Clock::duration::zero();
    auto const wait = std::chrono::duration<double>(-tokens_ / qps_);
    return std::chrono::ceil<Clock::duration>(wait);
}

void TokenBucket::cancel_reservation() {
    if (qps_ <= 0) return;
    tokens_ = std::min(burst_, tokens_ + 1.0);
}

}  // namespace gic::kube
