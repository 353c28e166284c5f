#include "observe/metrics.hpp"

namespace gic::observe {
namespace {

double unix_seconds(std::chrono::system_clock::time_point t) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

double unix_seconds_or_zero(std::optional<std::chrono::system_clock::time_point> t) { return t ? unix_seconds(*t) : 0.0; }

}  // namespace

std::vector<double> const& ca_duration_buckets() {
    static std::vector<double> const bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    return bounds;
}

TargetMetrics::TargetMetrics(AgentMetrics& metrics, std::string secret) : metrics_(&metrics), secret_(std::move(secret)) {}

void TargetMetrics::renewal_succeeded() {
    metrics_->renewals_.with({secret_, std::string(renewal_result_success)}).inc();
}

void TargetMetrics::renewal_failed(std::string_view result) { metrics_->renewals_.with({secret_, std::string(result)}).inc(); }

AgentMetrics::AgentMetrics(std::string_view version)
    : not_after_(registry_.gauge("gen_istio_cert_certificate_not_after_seconds",
                                 "NotAfter of the certificate in the Secret, as a Unix timestamp.", {"secret"})),
      last_success_(registry_.gauge("gen_istio_cert_last_successful_renewal_seconds",
                                    "When a newly issued certificate was last written, as a Unix timestamp.", {"secret"})),
      renewals_(registry_.counter("gen_istio_cert_renewals_total", "Certificate issuances by outcome.", {"secret", "result"})),
      ca_duration_(registry_.histogram("gen_istio_cert_ca_request_duration_seconds",
                                       "Duration of CreateCertificate calls to the Istio CA.", ca_duration_buckets())),
      ca_requests_(registry_.counter("gen_istio_cert_ca_requests_total", "CreateCertificate calls by gRPC status code.", {"code"})),
      kube_requests_(registry_.counter("gen_istio_cert_kube_requests_total",
                                       "Kubernetes API requests by verb, resource and HTTP status code (0: no response).",
                                       {"verb", "resource", "code"})),
      leader_(registry_.gauge("gen_istio_cert_leader", "1 while this replica is the writer (holds the leader election Lease, or runs without election), else 0.")),
      leader_transitions_(registry_.counter("gen_istio_cert_leader_transitions_total",
                                            "Times this replica gained or lost leadership.")),
      token_reloads_(registry_.counter("gen_istio_cert_token_reloads_total", "Changes of the Istio token file seen.")),
      root_reloads_(registry_.counter("gen_istio_cert_root_reloads_total", "Reloads of the mesh root bundle.")),
      build_info_(registry_.gauge("gen_istio_cert_build_info", "Build information; the value is always 1.", {"version"})) {
    build_info_.with({std::string(version)}).set(1);
}

TargetMetrics AgentMetrics::target(std::string secret) {
    // A target's gauges are exposed from the start (0: nothing known yet).
    not_after_.with({secret});
    last_success_.with({secret});
    return TargetMetrics(*this, std::move(secret));
}

void AgentMetrics::read_from(std::function<MetricReadings()> source) { source_ = std::move(source); }

std::string AgentMetrics::expose() {
    if (source_) show(source_());
    return registry_.expose();
}

void AgentMetrics::show(MetricReadings const& readings) {
    leader_.with({}).set(readings.leader ? 1.0 : 0.0);
    // A counter only goes up: it follows the count it is shown.
    auto& transitions = leader_transitions_.with({});
    auto const shown = static_cast<double>(readings.leader_transitions);
    if (shown > transitions.value()) transitions.inc(shown - transitions.value());
    for (auto const& [secret, target] : readings.targets) {
        not_after_.with({secret}).set(unix_seconds_or_zero(target.certificate_not_after));
        last_success_.with({secret}).set(unix_seconds_or_zero(target.last_successful_renewal));
    }
}

void AgentMetrics::ca_request(std::string_view code, std::chrono::nanoseconds took) {
    ca_requests_.with({std::string(code)}).inc();
    ca_duration_.with({}).observe(seconds(took));
}

void AgentMetrics::kube_request(std::string_view verb, std::string_view resource, int code, std::chrono::nanoseconds) {
    kube_requests_.with({std::string(verb), std::string(resource), std::to_string(code)}).inc();
}

std::function<void(std::string_view, std::string_view, int, std::chrono::nanoseconds)> kube_request_observer(
    std::shared_ptr<AgentMetrics> metrics) {
    return [metrics = std::move(metrics)](std::string_view verb, std::string_view resource, int code,
                                          std::chrono::nanoseconds took) {
        metrics->kube_request(verb, resource, code, took);
    };
}

void AgentMetrics::token_reloaded() { token_reloads_.with({}).inc(); }
void AgentMetrics::root_reloaded() { root_reloads_.with({}).inc(); }

}  // namespace gic::observe
