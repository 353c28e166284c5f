#pragma once
// The agent's metrics (prefix gen_istio_cert_), on a Registry the agent owns:
//
//   certificate_not_after_seconds{secret}        gauge    NotAfter of the stored certificate (Unix time)
//   last_successful_renewal_seconds{secret}      gauge    when a certificate was last written (Unix time)
//   renewals_total{secret,result}                counter  issuance attempts by outcome (renewal_result_*)
//   ca_request_duration_seconds                  histogram CreateCertificate round trips
//   ca_requests_total{code}                      counter  CreateCertificate calls by gRPC status name
//   kube_requests_total{verb,resource,code}      counter  Kubernetes API calls by HTTP status (0: no answer)
//   leader                                       gauge    1 while this replica is the writer (holds
//                                                         the Lease, or runs without leader election)
//   leader_transitions_total                     counter  times this replica became or stopped being leader
//   token_reloads_total                          counter  Istio token file changes seen
//   root_reloads_total                           counter  root bundle reloads
//   build_info{version}                          gauge    always 1
//
// `secret` is "namespace/name" of the Secret (or the --output-dir path), so several targets can
// share one registry. Thread Safety: io_context thread only.

#include "observe/metrics_registry.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace gic::observe {

// Values of renewals_total's `result` label.
inline constexpr std::string_view renewal_result_success = "success";            // written (created or updated)
inline constexpr std::string_view renewal_result_ca_unavailable = "ca_unavailable";  // retriable CA status / transport
inline constexpr std::string_view renewal_result_unauthenticated = "unauthenticated";
inline constexpr std::string_view renewal_result_ca_rejected = "ca_rejected";    // INVALID_ARGUMENT and other final statuses
inline constexpr std::string_view renewal_result_invalid_response = "invalid_response";
inline constexpr std::string_view renewal_result_local_error = "local_error";    // token unreadable, CSR
inline constexpr std::string_view renewal_result_write_failed = "write_failed";  // the store refused it

class AgentMetrics;

// The metrics of one target (one Secret). Cheap to copy; refers into the AgentMetrics it came from.
class TargetMetrics {
public:
    // A valid certificate with this NotAfter is in the store (found there, or just written).
    void certificate_stored(std::chrono::system_clock::time_point not_after);
    // A newly issued certificate was written at `at`.
    void renewal_succeeded(std::chrono::system_clock::time_point at);
    void renewal_failed(std::string_view result);
    // True when the certificate recorded by certificate_stored has not expired at `now`.
    bool has_unexpired_certificate(std::chrono::system_clock::time_point now) const;

    std::string const& secret() const { return secret_; }
    AgentMetrics& agent() const { return *metrics_; }

private:
    friend class AgentMetrics;
    TargetMetrics(AgentMetrics& metrics, std::string secret);
    AgentMetrics* metrics_;
    std::string secret_;
    Gauge* not_after_;
    Gauge* last_success_;
};

class AgentMetrics {
public:
    explicit AgentMetrics(std::string_view version);
    AgentMetrics(AgentMetrics const&) = delete;
    AgentMetrics& operator=(AgentMetrics const&) = delete;

    TargetMetrics target(std::string secret);

    // `code`: the gRPC status name ("OK", "UNAVAILABLE", ...).
    void ca_request(std::string_view code, std::chrono::nanoseconds took);
    void kube_request(std::string_view verb, std::string_view resource, int code, std::chrono::nanoseconds took);

    // Sets the leader gauge; a change of state counts a transition.
    void set_leader(bool leading);
    bool leader() const;
    void token_reloaded();
    void root_reloaded();

    Registry& registry() { return registry_; }
    std::string expose() const { return registry_.expose(); }

private:
    friend class TargetMetrics;
    Registry registry_;
    GaugeFamily& not_after_;
    GaugeFamily& last_success_;
    CounterFamily& renewals_;
    HistogramFamily& ca_duration_;
    CounterFamily& ca_requests_;
    CounterFamily& kube_requests_;
    GaugeFamily& leader_;
    CounterFamily& leader_transitions_;
    CounterFamily& token_reloads_;
    CounterFamily& root_reloads_;
    GaugeFamily& build_info_;
};

// Marks a term of leadership: `leader` is 1 while it lives (a transition counted on each edge).
// Create it where the guarded work starts; it resets the gauge however the term ends.
class LeaderTerm {
public:
    explicit LeaderTerm(AgentMetrics& metrics) : metrics_(metrics) { metrics_.set_leader(true); }
    ~LeaderTerm() { metrics_.set_leader(false); }
    LeaderTerm(LeaderTerm const&) = delete;
    LeaderTerm& operator=(LeaderTerm const&) = delete;

private:
    AgentMetrics& metrics_;
};

// What kube::ClientOptions::observer takes. It shares ownership of `metrics`: a client may still
// report after its owner is gone (the Event recorder posts queued Events after shutdown).
std::function<void(std::string_view, std::string_view, int, std::chrono::nanoseconds)> kube_request_observer(
    std::shared_ptr<AgentMetrics> metrics);

// Upper bounds of ca_request_duration_seconds (the default CA call deadline is 30 s).
std::vector<double> const& ca_duration_buckets();

}  // namespace gic::observe
