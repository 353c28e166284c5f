#include "election/elector_config.hpp"

namespace gic::election {

using std::chrono::milliseconds;

Result<void> validate(ElectorConfig const& c) {
    if (c.lease_name.empty()) return make_error("leader election", "the Lease name (--leader-election-id) is empty");
    if (c.lease_namespace.empty())
        return make_error("leader election", "the Lease namespace (--leader-election-namespace) is empty");
    if (c.identity.empty()) return make_error("leader election", "the identity is empty");
    if (c.retry_period.count() <= 0) return make_error("--retry-period", "must be greater than zero");
    if (c.lease_duration < milliseconds(1000))
        return make_error("--lease-duration", "must be at least 1s (the Lease records whole seconds)");
    if (c.lease_duration <= c.renew_deadline)
        return make_error("--lease-duration", "must be greater than --renew-deadline");
    if (double(c.renew_deadline.count()) <= 1.2 * double(c.retry_period.count()))
        return make_error("--renew-deadline", "must be greater than 1.2 x --retry-period");
    return {};
}

std::string default_lease_name(std::string const& sa_name) { return sa_name + ".gen-istio-cert.teg.tetrate.io"; }

}  // namespace gic::election
