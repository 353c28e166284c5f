#include "agent/run_continuous.hpp"

#include "agent/certificate_store.hpp"
#include "agent/input_watcher.hpp"
#include "agent/rotator.hpp"
#include "agent/startup.hpp"
#include "agent/startup_inputs.hpp"
#include "observe/log.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include <memory>

namespace gic::agent {

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
    // Both run until cancelled; if one fails the other is cancelled too.
    co_await (rotator.run() && watch_inputs(watched));
}

}  // namespace gic::agent
