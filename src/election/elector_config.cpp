#include "election/elector_config.hpp"

#include "util/duration.hpp"
#include "util/name_rules.hpp"

namespace gic::election {

using std::chrono::milliseconds;

namespace {

// Go's duration text, except that a fraction of a second is shown in ms, not dropped.
std::string text(milliseconds d) {
    if (d % milliseconds(1000) == milliseconds(0)) return util::format_go_duration(d);
    return std::to_string(d.count()) + "ms";
}

}  // namespace

milliseconds lease_request_timeout(milliseconds renew_deadline) {
    return std::max(milliseconds(1000), renew_deadline / 2);
}

kube::ClientOptions lease_client_options(ElectorConfig const& config) {
    kube::ClientOptions options;
    // validate_timings() leaves room for this timeout in the lease duration.
    options.request_timeout = lease_request_timeout(config.renew_deadline);
    options.max_retries = 0;
    options.observer = config.request_observer;
    return options;
}

Result<void> validate_timings(milliseconds lease_duration, milliseconds renew_deadline, milliseconds retry_period) {
    if (retry_period.count() <= 0) return make_error("--retry-period", "must be greater than zero");
    if (renew_deadline.count() <= 0) return make_error("--renew-deadline", "must be greater than zero");
    if (lease_duration.count() <= 0) return make_error("--lease-duration", "must be greater than zero");
    if (retry_period < min_retry_period)
        return make_error("--retry-period", "must be at least " + text(min_retry_period) + " (each period is a Lease request)");
    if (lease_duration % milliseconds(1000) != milliseconds(0))
        return make_error("--lease-duration", "must be a whole number of seconds (the Lease records leaseDurationSeconds)");
    if (lease_duration > max_lease_duration)
        return make_error("--lease-duration",
                          "must be at most " + text(max_lease_duration) + " (followers wait that long for a lost leader)");
    if (lease_duration <= renew_deadline) return make_error("--lease-duration", "must be greater than --renew-deadline");
    if (double(renew_deadline.count()) <= 1.2 * double(retry_period.count()))
        return make_error("--renew-deadline", "must be greater than 1.2 x --retry-period");
    // A leader gives up --retry-period + --renew-deadline after its last successful renewal was
    // sent (client-go's renew loop); followers take over --lease-duration after the API server
    // recorded it, which is later. The Lease must cover the leader's whole reach.
    if (lease_duration < retry_period + renew_deadline) {
        auto const need = std::chrono::ceil<std::chrono::seconds>(retry_period + renew_deadline);
        return make_error("--lease-duration",
                          "must be at least --retry-period plus --renew-deadline (" + text(retry_period) + " + " +
                              text(renew_deadline) + "), use " + text(need) +
                              " or more: a leader keeps trying to renew that long after its last renewal, "
                              "followers wait the lease duration");
    }
    return {};
}

Result<void> validate(ElectorConfig const& c) {
    if (c.lease_name.empty()) return make_error("leader election", "the Lease name (--leader-election-id) is empty");
    if (c.lease_namespace.empty())
        return make_error("leader election", "the Lease namespace (--leader-election-namespace) is empty");
    if (auto bad = util::name_violation(util::lease_name, c.lease_name); !bad.empty())
        return make_error("--leader-election-id", bad);
    if (auto bad = util::name_violation(util::namespace_name, c.lease_namespace); !bad.empty())
        return make_error("--leader-election-namespace", bad);
    if (c.identity.empty()) return make_error("leader election", "the identity is empty");
    return validate_timings(c.lease_duration, c.renew_deadline, c.retry_period);
}

std::string default_lease_name(std::string const& sa_name) { return sa_name + ".gen-istio-cert.teg.tetrate.io"; }

}  // namespace gic::election
