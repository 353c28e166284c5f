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
// share one registry.
//
// The gauges (and leader_transitions_total, a count of the writer's edges) are a view: they are
// set from what the agent knows (MetricReadings, read from its source at each exposition), never
// written on their own. The other counters and the histogram count events as they happen.
//
// Thread Safety: io_context thread only.

#include "observe/metrics_registry.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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

// What the gauges show about one target.
struct TargetReadings {
    std::optional<std::chrono::system_clock::time_point> certificate_not_after;     // none known: 0
    std::optional<std::chrono::system_clock::time_point> last_successful_renewal;   // none yet: 0
};

// What the gauges show, as the agent knows it at the moment of an exposition.
struct MetricReadings {
    bool leader = false;                      // this replica is the writer
    std::uint64_t leader_transitions = 0;     // times it became or stopped being the writer
    std::map<std::string, TargetReadings> targets;  // by `secret` label
};

// The counters of one target (one Secret). Cheap to copy; refers into the AgentMetrics it came from.
class TargetMetrics {
public:
    // A newly issued certificate was written.
    void renewal_succeeded();
    void renewal_failed(std::string_view result);

    std::string const& secret() const { return secret_; }
    AgentMetrics& agent() const { return *metrics_; }

private:
    friend class AgentMetrics;
    TargetMetrics(AgentMetrics& metrics, std::string secret);
    AgentMetrics* metrics_;
    std::string secret_;
};

class AgentMetrics {
public:
    explicit AgentMetrics(std::string_view version);
    AgentMetrics(AgentMetrics const&) = delete;
    AgentMetrics& operator=(AgentMetrics const&) = delete;

    // The target's gauges show 0 until the readings say otherwise.
    TargetMetrics target(std::string secret);

    // Where the gauges read what the agent knows; called at each exposition. Until it is set they
    // show 0.
    void read_from(std::function<MetricReadings()> source);

    // `code`: the gRPC status name ("OK", "UNAVAILABLE", ...).
    void ca_request(std::string_view code, std::chrono::nanoseconds took);
    void kube_request(std::string_view verb, std::string_view resource, int code, std::chrono::nanoseconds took);

    void token_reloaded();
    void root_reloaded();

    Registry& registry() { return registry_; }
    // Reads the source, then renders every family.
    std::string expose();

private:
    friend class TargetMetrics;
    void show(MetricReadings const& readings);

    Registry registry_;
    std::function<MetricReadings()> source_;
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

// What kube::ClientOptions::observer takes. It shares ownership of `metrics`: a client may still
// report after its owner is gone (the Event recorder posts queued Events after shutdown).
std::function<void(std::string_view, std::string_view, int, std::chrono::nanoseconds)> kube_request_observer(
    std::shared_ptr<AgentMetrics> metrics);

// Upper bounds of ca_request_duration_seconds (the default CA call deadline is 30 s).
std::vector<double> const& ca_duration_buckets();

}  // namespace gic::observe
