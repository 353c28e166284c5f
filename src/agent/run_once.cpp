#include "agent/run_once.hpp"

#include "agent/effects/certificate_store.hpp"
#include "agent/effects/issuer.hpp"
#include "agent/setup/settings.hpp"
#include "agent/setup/startup_inputs.hpp"
#include "observe/log.hpp"
#include "util/time_format.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include <iostream>
#include <memory>
#include <tuple>

namespace gic::agent {
namespace {

// pilot-agent's retry interceptor: 5 attempts, 100/200/400/800 ms, +-10 %.
constexpr int once_attempts = 5;
constexpr util::BackoffPolicy once_backoff{std::chrono::milliseconds(100), 2.0, std::chrono::milliseconds(800), 0.1};

int fail(std::string const& message) {
    std::cerr << "gen-istio-cert: " << message << "\n";
    return 1;
}

// Runs `issue` while a GET of the Secret sets up the API connection (TCP, TLS, the first request):
// the key generation and the CA call overlap that round trip, and the write that follows finds a
// warm keep-alive connection and starts from that answer instead of reading again (a Secret changed
// in between is a conflict, read again). With --output-dir there is no connection to prepare.
boost::asio::awaitable<IssueOutcome<IssueResult>> issue_with_warm_connection(SecretStore* secret_store,
                                                                              boost::asio::awaitable<IssueOutcome<IssueResult>> issue) {
    if (secret_store == nullptr) co_return co_await std::move(issue);
    using namespace boost::asio::experimental::awaitable_operators;
    co_return co_await (secret_store->read_ahead() && std::move(issue));
}

// Releasing the last hold on the CA's channel shuts gRPC down: its threads are woken and joined,
// a few milliseconds that used to sit between the CA's answer and the Secret's write. Released on
// the worker, it overlaps the write instead.
auto release_ca_connection(std::shared_ptr<void const> connection) {
    return [connection = std::move(connection)]() mutable {
        connection.reset();
        return true;
    };
}

}  // namespace

boost::asio::awaitable<int> run_once(Options options) {
    auto executor = co_await boost::asio::this_coro::executor;
    // Mints a token (TokenRequest) and reads the root ConfigMap when nothing is mounted.
    kube::ClientOptions const client_options;
    auto inputs = co_await prepare_startup_inputs(options, client_options);
    auto const spiffe_id = inputs.identity.spiffe_id();

    istio::CaClient ca(executor, ca_client_config(options, inputs.roots));
    // The CA's TCP and TLS handshakes run on gRPC's threads while the key is generated and the API
    // connection is made; released once the issue is over, as a call would release the channel.
    auto ca_connection = ca.connect_ahead();
    std::unique_ptr<CertificateStore> store;
    SecretStore* secret_store = nullptr;
    if (options.output_dir.empty()) {
        auto secrets = std::make_unique<SecretStore>(*inputs.client, inputs.target, util::system_clock());
        secret_store = secrets.get();
        store = std::move(secrets);
    } else {
        store = std::make_unique<DirectoryStore>(options.output_dir, util::system_clock());
    }

    observe::log_info("issuer", "requesting certificate",
                      {{"identity", spiffe_id},
                       {"ca", options.ca_address},
                       {"key_algorithm", std::string(pki::key_algorithm_name(options.key_algorithm))}});
    auto const token_reader = agent::token_reader(inputs.token_source);
    // Arguments are named: g++ 12 mishandles braced temporaries inside a co_await expression.
    util::Worker keygen_worker;  // the key is generated off the loop; joined when --once returns
    IssueParams const params{inputs.identity, options.key_algorithm, options.cert_ttl, inputs.roots.certs, nullptr,
                             generate_on(keygen_worker)};
    auto issued = co_await issue_with_warm_connection(secret_store,
                                                      issue_certificate(ca, util::system_clock(), params, token_reader, once_attempts, once_backoff));
    if (!issued) {
        // A flag to fix (the mesh's trust domain) is a configuration error: exit 2.
        if (issued.error().kind == IssueFailure::misconfigured) throw ConfigError(issued.error().error.message);
        co_return fail(issued.error().error.message);
    }

    auto const& leaf = issued->issued.chain.leaf();
    SecretWriteContext const write_context{spiffe_id, inputs.roots.certs, replica_name()};
    using namespace boost::asio::experimental::awaitable_operators;
    auto write = store->write(issued->issued, write_context);
    auto release = keygen_worker.run(release_ca_connection(std::move(ca_connection)));
    auto written = co_await (std::move(write) && std::move(release));
    auto const& outcome = std::get<0>(written);
    if (!outcome) co_return fail(outcome.error().message);
    if (*outcome == WriteOutcome::kept_newer) {
        std::cout << store->describe() << " already holds a newer valid certificate for " << spiffe_id
                  << "; it was kept (issued serial=" << leaf.serial_hex() << " was discarded)\n";
        co_return 0;
    }
    std::cout << "issued " << spiffe_id << " serial=" << leaf.serial_hex()
              << " not-after=" << util::format_rfc3339(leaf.not_after()) << " written to ";
    if (options.output_dir.empty()) {
        std::cout << store->describe() << " (" << write_outcome_name(*outcome) << ")\n";
    } else {
        auto const& dir = options.output_dir;
        std::cout << dir << " (tls.crt, tls.key, ca.crt)\n"
                  << "  inspect: openssl x509 -in " << dir << "/tls.crt -noout -text\n"
                  << "  connect: openssl s_client -connect <mesh-service>:<port> -alpn istio -cert " << dir
                  << "/tls.crt -key " << dir << "/tls.key -CAfile " << dir << "/ca.crt\n";
    }
    co_return 0;
}

}  // namespace gic::agent
