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

// client-go's rules: lease > renew deadline > 1.2 x retry period, all positive, names and identity
// present, lease duration at least 1 s (it is written in whole seconds). The error names the field.
Result<void> validate(ElectorConfig const& config);

// The default Lease name for a service account: `<sa-name>.gen-istio-cert.teg.tetrate.io`.
std::string default_lease_name(std::string const& sa_name);

}  // namespace gic::election
