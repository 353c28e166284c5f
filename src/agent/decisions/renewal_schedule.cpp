#include "agent/decisions/renewal_schedule.hpp"

#include "util/time_bounds.hpp"

#include <algorithm>

namespace gic::agent {

RenewalSchedule::RenewalSchedule(RenewalPolicy policy, std::uint64_t seed) : policy_(policy), rng_(seed) {}

std::chrono::system_clock::time_point RenewalSchedule::renew_at(std::chrono::system_clock::time_point created,
                                                                std::chrono::system_clock::time_point not_after) {
    // Clamped so that not_after - created cannot overflow, whatever the caller passes.
    created = util::clamp_time(created);
    not_after = util::clamp_time(not_after);
    std::uniform_real_distribution<double> magnitude(0.0, policy_.jitter);
    std::bernoulli_distribution negative(0.5);
    double ratio = policy_.ratio + (negative(rng_) ? -1.0 : 1.0) * magnitude(rng_);
    ratio = std::clamp(ratio, 0.0, 1.0);
    auto life = not_after - created;
    if (life.count() < 0) return not_after;
    auto grace = std::chrono::duration_cast<std::chrono::system_clock::duration>(life * ratio);
    return not_after - grace;
}

std::chrono::system_clock::time_point RenewalSchedule::created_from_not_before(
    std::chrono::system_clock::time_point not_before, std::chrono::system_clock::time_point not_after) {
    return std::min(util::clamp_time(not_before) + std::chrono::minutes(2), not_after);
}

std::chrono::milliseconds sleep_before_renewal(std::chrono::system_clock::time_point renew_at,
                                               std::chrono::system_clock::time_point now, std::chrono::milliseconds max_sleep) {
    renew_at = util::clamp_time(renew_at);
    now = util::clamp_time(now);
    if (renew_at <= now) return std::chrono::milliseconds(0);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(renew_at - now);
    // Round up so that we wake at or just after the renewal time, not just before it.
    if (std::chrono::system_clock::duration(left) < renew_at - now) left += std::chrono::milliseconds(1);
    return std::min(left, max_sleep);
}

}  // namespace gic::agent
