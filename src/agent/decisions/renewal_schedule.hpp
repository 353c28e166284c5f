#pragma once
// When to renew, as Istio computes it (istio-ca-protocol.md section 6):
//   ratio' = ratio +- U(0, jitter)   (sign chosen at random, clamped to [0, 1])
//   renew at NotAfter - ratio' * (NotAfter - created)
// where `created` is the local receive time of a certificate we were just issued, or its NotBefore
// (plus istiod's two-minute back-dating) for one read back from storage.

#include <chrono>
#include <random>

namespace gic::agent {

struct RenewalPolicy {
    double ratio = 0.5;
    double jitter = 0.01;
};

class RenewalSchedule {
public:
    explicit RenewalSchedule(RenewalPolicy policy, std::uint64_t seed = std::random_device{}());

    // Draws a jittered ratio and returns the wall-clock renewal time.
    std::chrono::system_clock::time_point renew_at(std::chrono::system_clock::time_point created,
                                                   std::chrono::system_clock::time_point not_after);

    // The creation time of a stored certificate: NotBefore + 2 minutes, which undoes istiod's
    // clock-skew back-dating, but never later than NotAfter.
    static std::chrono::system_clock::time_point created_from_not_before(std::chrono::system_clock::time_point not_before,
                                                                         std::chrono::system_clock::time_point not_after);

private:
    RenewalPolicy policy_;
    std::mt19937_64 rng_;
};

// How long to sleep before looking again: the time left until `renew_at`, but never more than
// `max_sleep`, so that a suspended VM or a wall-clock jump is noticed within `max_sleep`.
std::chrono::milliseconds sleep_before_renewal(std::chrono::system_clock::time_point renew_at,
                                               std::chrono::system_clock::time_point now, std::chrono::milliseconds max_sleep);

}  // namespace gic::agent
