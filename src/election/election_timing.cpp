#include "election/election_timing.hpp"

#include <algorithm>

namespace gic::election {

using std::chrono::milliseconds;

milliseconds jittered(milliseconds base, double max_factor, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> dist(0.0, max_factor);
    return milliseconds(base.count() + std::int64_t(double(base.count()) * dist(rng)));
}

SteadyTime acquire_retry_at(bool failed, SteadyTime now, milliseconds retry_delay) {
    return failed ? now + retry_delay : SteadyTime::max();
}

SteadyTime next_acquire_at(ElectionState const& state, SteadyTime now, SteadyTime retry_at, bool changed_since_attempt) {
    bool const after_failure = retry_at != SteadyTime::max();
    if (after_failure && !changed_since_attempt) return retry_at;
    return std::min(state.chance_at(now), retry_at);
}

SteadyTime renew_deadline_at(SteadyTime last_success_sent, ElectorConfig const& config) {
    return last_success_sent + config.retry_period + config.renew_deadline;
}

SteadyTime next_renew_round_at(SteadyTime now, ElectorConfig const& config) { return now + config.retry_period; }

SteadyTime renew_retry_at(SteadyTime now, SteadyTime deadline, ElectorConfig const& config) {
    return std::min(now + config.retry_period, deadline);
}

bool renew_given_up(SteadyTime now, SteadyTime deadline) { return now >= deadline; }

milliseconds release_budget(ElectorConfig const& config) { return std::min(config.renew_deadline, max_release_budget); }

}  // namespace gic::election
