#include "agent/run_continuous.hpp"

#include "agent/agent_state.hpp"
#include "agent/decisions/agent_views.hpp"
#include "agent/effects/certificate_store.hpp"
#include "agent/inputs/mounted_file_watch.hpp"
#include "agent/inputs/configmap_roots_watch.hpp"
#include "agent/rotator.hpp"
#include "agent/setup/settings.hpp"
#include "agent/setup/startup_inputs.hpp"
#include "agent/stored_certificate_check.hpp"
#include "election/event_recorder.hpp"
#include "election/identity.hpp"
#include "election/leader_elector.hpp"
#include "observe/health.hpp"
#include "observe/log.hpp"
#include "observe/metrics.hpp"
#include "util/clock.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include <chrono>
#include <exception>
#include <memory>

namespace gic::agent {

namespace {

using boost::asio::awaitable;

// Queued Events get this long to be posted when the agent stops, after the Lease release (which has
// 400 ms): with an unreachable API the process still exits well within a second of SIGTERM. A
// reachable API takes an Event in milliseconds.
constexpr std::chrono::milliseconds event_drain_budget{200};

// The Lease: --leader-election-id (default <sa-name>.gen-istio-cert.teg.tetrate.io) in
// --leader-election-namespace (default: the output Secret's namespace).
election::ElectorConfig elector_config(Options const& options, StartupInputs const& inputs,
                                       kube::ClientOptions::RequestObserver observer) {
    election::ElectorConfig config;
    config.lease_namespace =
        options.leader_election_namespace.empty() ? inputs.target.namespace_ : options.leader_election_namespace;
    config.lease_name = options.leader_election_id.empty() ? election::default_lease_name(inputs.identity.service_account)
                                                           : options.leader_election_id;
    config.identity = election::make_identity(replica_name());
    config.lease_duration = options.lease_duration;
    config.renew_deadline = options.renew_deadline;
    config.retry_period = options.retry_period;
    config.request_observer = std::move(observer);
    return config;
}

// What Events about the Secret refer to (with its uid, as kubectl describe looks them up).
election::ObjectReference secret_reference(SecretStore const& store) {
    auto const& seen = store.last_seen();
    return {"Secret", "v1", store.target().namespace_, store.target().name, seen.uid, seen.resource_version};
}

// The metrics' gauges read the agent state (and, through it, the elector) while this lives: the
// metrics themselves outlive run_continuous (see the Event recorder), the state and elector do not.
class GaugesView {
public:
    GaugesView(observe::AgentMetrics& metrics, std::function<observe::MetricReadings()> source) : metrics_(metrics) {
        metrics_.read_from(std::move(source));
    }
    ~GaugesView() { metrics_.read_from({}); }
    GaugesView(GaugesView const&) = delete;
    GaugesView& operator=(GaugesView const&) = delete;

private:
    observe::AgentMetrics& metrics_;
};

awaitable<void> keep_token_fresh(MintedTokenSource* minted) {
    if (minted != nullptr) co_await minted->keep_fresh();
}

awaitable<void> follow_roots_from_api(kube::Client* client, std::string namespace_, RootBundleSource& roots,
                                      std::function<void()> roots_changed) {
    if (client != nullptr) co_await follow_root_configmap(*client, std::move(namespace_), roots, std::move(roots_changed));
}

}  // namespace

awaitable<void> run_continuous(Options options, std::string version) {
    using namespace boost::asio::experimental::awaitable_operators;
    auto executor = co_await boost::asio::this_coro::executor;
    // Shared with the request observers: the Event recorder may still post (and report) queued
    // Events after this coroutine has returned.
    auto const shared_metrics = std::make_shared<observe::AgentMetrics>(version);
    auto& metrics = *shared_metrics;
    kube::ClientOptions::RequestObserver const observe_request = observe::kube_request_observer(shared_metrics);
    kube::ClientOptions client_options;
    client_options.observer = observe_request;
    // Mints a token (TokenRequest) and reads the root ConfigMap when nothing is mounted.
    auto inputs = co_await prepare_startup_inputs(options, client_options);
    auto const spiffe_id = inputs.identity.spiffe_id();

    RootBundleSource roots = inputs.configmap_roots
                                 ? RootBundleSource(inputs.configmap_roots->describe(), inputs.roots, false)
                                 : RootBundleSource(options.root_cert_path, inputs.roots);
    istio::CaClient ca(executor, ca_client_config(options, inputs.roots));

    std::unique_ptr<CertificateStore> store;
    SecretStore* secret_store = nullptr;
    if (options.output_dir.empty()) {
        auto secret = std::make_unique<SecretStore>(*inputs.client, inputs.target, util::system_clock());
        secret_store = secret.get();
        store = std::move(secret);
    } else {
        store = std::make_unique<DirectoryStore>(options.output_dir, util::system_clock());
    }
    auto const target_label = secret_store ? inputs.target.display() : options.output_dir;
    auto const target_metrics = metrics.target(target_label);
    // What this replica knows; the probes and the metrics' gauges are views of it.
    AgentState state;

    // Events about the Secret; they never block or fail the work (see EventRecorder).
    // The recorder has a client of its own (an Event never waits behind a Lease renewal), handed
    // over because a post cut off at shutdown still completes on the loop after this returns.
    std::unique_ptr<election::EventRecorder> events;
    if (secret_store != nullptr) {
        auto events_client = std::make_shared<kube::Client>(executor, *inputs.kube_config,
                                                            election::event_client_options(observe_request));
        events = std::make_unique<election::EventRecorder>(executor, std::move(events_client), util::system_clock(),
                                                           "gen-istio-cert");
    }

    RotatorConfig config;
    config.identity = inputs.identity;
    config.algorithm = options.key_algorithm;
    config.ttl = options.cert_ttl;
    config.renewal.ratio = options.renew_ratio;
    config.writer = replica_name();
    config.metrics = target_metrics;
    config.state = &state;
    if (events) {
        config.on_event = [&recorder = *events, secret_store](RotationEvent const& event) {
            bool const issued = event.kind == RotationEvent::Kind::issued;
            recorder.record(secret_reference(*secret_store), issued ? election::event_normal : election::event_warning,
                            issued ? "CertificateIssued" : "CertificateIssueFailed", event.message);
        };
    }
    Rotator rotator(executor, config, ca, roots, *store, token_reader(inputs.token_source), util::system_clock());
    auto roots_changed = [&] {
        metrics.root_reloaded();
        ca.rebuild_channel(roots.current().pem);
        rotator.roots_changed();
    };

    // With several replicas only the Lease holder writes; --output-dir has one writer by definition.
    // The Lease has a client of its own too, so a renewal never queues behind another request.
    std::unique_ptr<kube::Client> lease_client;
    std::unique_ptr<election::LeaderElector> elector;
    if (options.leader_elect && secret_store != nullptr) {
        auto settings = elector_config(options, inputs, observe_request);
        lease_client = std::make_unique<kube::Client>(executor, *inputs.kube_config,
                                                      election::lease_client_options(settings));
        elector = std::make_unique<election::LeaderElector>(executor, *lease_client, util::system_clock(),
                                                            std::move(settings), events.get());
        observe::log_info("agent", "leader election",
                          {{"lease", elector->config().lease_namespace + "/" + elector->config().lease_name},
                           {"identity", elector->config().identity}});
        // Leading, its terms and the Lease renewals are the elector's facts: read where it keeps them.
        state.follow_election([&elector, lease_duration = options.lease_duration] {
            return election_facts(elector->status(), lease_duration);
        });
    }
    GaugesView const gauges(metrics, [&state, target_label] { return metric_readings(state.facts(), target_label); });

    StoredCertificateCheck readiness(executor, util::system_clock(), *store, roots, spiffe_id, state);
    observe::ObservabilityOptions observability_options;
    observability_options.metrics_bind_address = options.metrics_bind_address;
    observability_options.health_probe_bind_address = options.health_probe_bind_address;
    observability_options.ready = [&readiness] { return readiness.ready(); };
    observability_options.lease_healthy = [&state] { return liveness(state.facts(), util::system_clock().wall_now()); };
    // Binds now: a busy or malformed address is a configuration error before any work starts.
    observe::ObservabilityServer observability(executor, observability_options, metrics);

    observe::log_info("agent", "running", {{"identity", spiffe_id}, {"store", store->describe()},
                                           {"ca", options.ca_address}, {"roots", roots.origin()},
                                           {"token", inputs.token_source->describe()}, {"replica", config.writer}});

    WatchedInputs const watched{inputs.minted_token ? std::string() : options.istio_token_path, roots, roots_changed,
                                &metrics};
    kube::Client* const configmap_client = inputs.configmap_roots ? inputs.client.get() : nullptr;
    // Only the leader runs the Rotator; a new term starts it again with the reuse check.
    election::LeaderElector::Guarded guarded = [&rotator] { return rotator.run(); };
    auto writer = elector ? elector->run(guarded) : rotator.run();
    // All run until cancelled (SIGTERM): the Rotator stops first, then a held Lease is released
    // (within its own budget), then queued Events get theirs.
    auto everything = std::move(writer) && watch_inputs(watched) && keep_token_fresh(inputs.minted_token.get()) &&
                      follow_roots_from_api(configmap_client, inputs.identity.namespace_, roots, roots_changed) &&
                      readiness.run() && observability.run();
    std::exception_ptr ended;
    try {
        co_await std::move(everything);
    } catch (...) {
        ended = std::current_exception();
    }
    if (events) {
        // The stop has been delivered; what follows is bounded by its own deadline.
        co_await boost::asio::this_coro::reset_cancellation_state();
        co_await events->finish(util::system_clock().steady_now() + event_drain_budget);
    }
    if (ended) std::rethrow_exception(ended);
}

}  // namespace gic::agent
