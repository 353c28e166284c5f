#include "agent/run_continuous.hpp"

#include "agent/certificate_store.hpp"
#include "agent/input_watcher.hpp"
#include "agent/rotator.hpp"
#include "agent/startup.hpp"
#include "agent/startup_inputs.hpp"
#include "election/event_recorder.hpp"
#include "election/identity.hpp"
#include "election/leader_elector.hpp"
#include "observe/log.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include <memory>

namespace gic::agent {

namespace {

// The Lease: --leader-election-id (default <sa-name>.gen-istio-cert.teg.tetrate.io) in
// --leader-election-namespace (default: the output Secret's namespace).
election::ElectorConfig elector_config(Options const& options, StartupInputs const& inputs) {
    election::ElectorConfig config;
    config.lease_namespace =
        options.leader_election_namespace.empty() ? inputs.target.namespace_ : options.leader_election_namespace;
    config.lease_name = options.leader_election_id.empty() ? election::default_lease_name(inputs.identity.service_account)
                                                           : options.leader_election_id;
    config.identity = election::make_identity(replica_name());
    config.lease_duration = options.lease_duration;
    config.renew_deadline = options.renew_deadline;
    config.retry_period = options.retry_period;
    return config;
}

}  // namespace

boost::asio::awaitable<void> run_continuous(Options options) {
    using namespace boost::asio::experimental::awaitable_operators;
    auto executor = co_await boost::asio::this_coro::executor;
    auto inputs = load_startup_inputs(options);

    RootBundleSource roots(options.root_cert_path, inputs.roots);
    istio::CaClient ca(executor, ca_client_config(options, inputs.roots));
    std::unique_ptr<kube::Client> client;
    std::unique_ptr<CertificateStore> store;
    if (options.output_dir.empty()) {
        client = std::make_unique<kube::Client>(executor, *inputs.kube_config);
        store = std::make_unique<SecretStore>(*client, inputs.target);
    } else {
        store = std::make_unique<DirectoryStore>(options.output_dir);
    }

    RotatorConfig config;
    config.identity = inputs.identity;
    config.algorithm = options.key_algorithm;
    config.ttl = options.cert_ttl;
    config.renewal.ratio = options.renew_ratio;
    config.writer = replica_name();
    Rotator rotator(executor, config, ca, roots, *store, [&options] { return read_istio_token(options); });

    observe::log_info("agent", "running", {{"identity", inputs.identity.spiffe_id()}, {"store", store->describe()},
                                           {"ca", options.ca_address}, {"replica", config.writer}});
    WatchedInputs const watched{options.istio_token_path, roots, ca, rotator};
    if (!options.leader_elect || !options.output_dir.empty()) {
        // One writer by configuration: no Lease.
        auto both = rotator.run() && watch_inputs(watched);
        co_await std::move(both);
        co_return;
    }
    // Only the leader runs the Rotator; a new term starts it again with the reuse check.
    auto const elector_settings = elector_config(options, inputs);
    election::EventRecorder events(executor, *inputs.kube_config, elector_settings.identity);
    election::LeaderElector elector(executor, *inputs.kube_config, elector_settings, &events);
    observe::log_info("agent", "leader election",
                      {{"lease", elector_settings.lease_namespace + "/" + elector_settings.lease_name},
                       {"identity", elector_settings.identity}});
    election::LeaderElector::Guarded guarded = [&rotator] { return rotator.run(); };
    // Both run until cancelled (SIGTERM): the Rotator stops first, then the Lease is released.
    auto both = elector.run(guarded) && watch_inputs(watched);
    co_await std::move(both);
}

}  // namespace gic::agent
