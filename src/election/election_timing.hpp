#pragma once
// When the elector acts, as pure functions of what it knows, so that the coroutines of
// LeaderElector only execute and the rules are tested without waiting (kubernetes-api.md
// section 4; client-go's leaderelection.go acquire and renew loops).

#include "election/election_state.hpp"
#include "election/elector_config.hpp"

#include <chrono>
#include <random>

namespace gic::election {

// client-go's JitterFactor for the acquire loop's retry period.
inline constexpr double acquire_jitter_factor = 1.2;

// A stopping replica gives the Lease release at most this long: a process asked to stop must be
// gone within a second even when the API does not answer (the Lease then expires by itself).
inline constexpr std::chrono::milliseconds max_release_budget{400};

// `base` stretched by a factor drawn from [1, 1 + max_factor) (client-go's wait.Jitter).
std::chrono::milliseconds jittered(std::chrono::milliseconds base, double max_factor, std::mt19937_64& rng);

// A follower's attempt did not acquire the Lease. After a failure (an API error) it tries again
// `retry_delay` later at the latest; when the Lease is merely held by another replica, only the
// Lease itself (its release, its expiry) decides: SteadyTime::max().
SteadyTime acquire_retry_at(bool failed, SteadyTime now, std::chrono::milliseconds retry_delay);

// When a follower tries next, re-evaluated whenever the watch sees a change: when the Lease is
// absent, released or expired by our clock (ElectionState::chance_at), or at its retry time if
// that comes first. After a failed attempt the retry time holds until the watch shows the Lease
// changed: an API that fails at once must not be asked again at once because what we saw last
// (absent, expired) still says "now".
SteadyTime next_acquire_at(ElectionState const& state, SteadyTime now, SteadyTime retry_at, bool changed_since_attempt);

// The leader's renew deadline: client-go gives up RetryPeriod + RenewDeadline after its last
// successful renewal; we count from when that renewal's request was sent, which is no later than
// when the API server recorded it (so the leader never acts past what the Lease promises).
SteadyTime renew_deadline_at(SteadyTime last_success_sent, ElectorConfig const& config);

// When the leader starts its next renewal round after a success at `now`: one retry period later.
SteadyTime next_renew_round_at(SteadyTime now, ElectorConfig const& config);

// After a failed renewal at `now`: the next try one retry period later, but never past the
// deadline, where the round gives up (renew_given_up).
SteadyTime renew_retry_at(SteadyTime now, SteadyTime deadline, ElectorConfig const& config);

// The leader stops leading: the deadline has come without a successful renewal.
bool renew_given_up(SteadyTime now, SteadyTime deadline);

// The time a stopping leader gives its release: max_release_budget, or the renew deadline when
// that is shorter.
std::chrono::milliseconds release_budget(ElectorConfig const& config);

}  // namespace gic::election
