#pragma once
// What an elector needs to know: the Lease, its own identity and client-go's three timings.

#include "kube/client.hpp"
#include "util/error.hpp"

#include <chrono>
#include <string>

namespace gic::election {

struct ElectorConfig {
    std::string lease_namespace;
    std::string lease_name;
    std::string identity;
    std::chrono::milliseconds lease_duration{15'000};
    std::chrono::milliseconds renew_deadline{10'000};
    std::chrono::milliseconds retry_period{2'000};
    // Told about every Lease request (for the agent's metrics); may be empty.
    kube::ClientOptions::RequestObserver request_observer;
};

// Bounds of the timings beyond client-go's rules.
inline constexpr std::chrono::milliseconds min_retry_period{100};  // each period is an API request
inline constexpr std::chrono::milliseconds max_lease_duration{std::chrono::hours(1)};

// The timeout of one Lease request: client-go's leader-election client timeout,
// max(1 s, renewDeadline / 2).
std::chrono::milliseconds lease_request_timeout(std::chrono::milliseconds renew_deadline);

// The options of the kube::Client dedicated to the Lease (the agent builds it; a Lease request
// never waits behind a Secret write): client-go's leader-election client timeout, no retries (the
// election loop retries within its own deadlines), and the config's request observer.
kube::ClientOptions lease_client_options(ElectorConfig const& config);

// The timing rules; the error names the flag. client-go's NewLeaderElector rules (all positive,
// LeaseDuration > RenewDeadline > JitterFactor 1.2 x RetryPeriod), and, because the Lease records
// leaseDurationSeconds in whole seconds and what it says must never be shorter than what the
// leader acts on:
//   - the lease duration is a whole number of seconds (a fraction is rejected, never rounded);
//   - it is at least renew deadline + lease_request_timeout(renew deadline): the leader counts its
//     renew deadline from the answer to its last successful update, and the API server may have
//     recorded that update up to one request timeout earlier, which is when followers start
//     counting the lease duration;
//   - retry period >= 100 ms, lease duration <= 1 h.
Result<void> validate_timings(std::chrono::milliseconds lease_duration, std::chrono::milliseconds renew_deadline,
                              std::chrono::milliseconds retry_period);

// validate_timings, and the Lease's namespace and name are valid Kubernetes names, the identity
// present. The error names the field.
Result<void> validate(ElectorConfig const& config);

// The default Lease name for a service account: `<sa-name>.gen-istio-cert.teg.tetrate.io`.
std::string default_lease_name(std::string const& sa_name);

}  // namespace gic::election
