#include "agent/run_once.hpp"

#include "agent/input_files.hpp"
#include "agent/issuer.hpp"
#include "agent/output_dir.hpp"
#include "agent/secret_writer.hpp"
#include "agent/startup.hpp"
#include "istio/ca_client.hpp"
#include "kube/client.hpp"
#include "observe/log.hpp"
#include "util/time_format.hpp"

#include <boost/asio/this_coro.hpp>

#include <iostream>

namespace gic::agent {
namespace {

// pilot-agent's retry interceptor: 5 attempts, 100/200/400/800 ms, +-10 %.
constexpr int once_attempts = 5;
constexpr util::BackoffPolicy once_backoff{std::chrono::milliseconds(100), 2.0, std::chrono::milliseconds(800), 0.1};

template <class T>
T or_config_error(Result<T> r) {
    if (!r) throw ConfigError(r.error().message);
    return std::move(*r);
}

std::string outcome_word(WriteOutcome o) {
    switch (o) {
        case WriteOutcome::created: return "created";
        case WriteOutcome::updated: return "updated";
        case WriteOutcome::kept_newer: return "kept";
    }
    return "";
}

}  // namespace

boost::asio::awaitable<int> run_once(Options options) {
    auto executor = co_await boost::asio::this_coro::executor;
    auto const token_what = std::string("Istio token (--istio-token-path)");

    // Startup checks: every input is read once before anything goes on the wire.
    auto token = or_config_error(read_token_file(options.istio_token_path, token_what));
    auto identity = or_config_error(resolve_identity(options, token));
    auto roots = or_config_error(read_root_bundle(options.root_cert_path));
    std::optional<kube::RestConfig> kube_config;
    SecretTarget target;
    if (options.output_dir.empty()) {
        kube_config = or_config_error(select_kube_config(options));
        target = {options.output_secret_namespace.empty() ? identity.namespace_ : options.output_secret_namespace,
                  options.output_secret};
    }
    auto const spiffe_id = identity.spiffe_id();

    istio::CaClient ca(executor, istio::CaClientConfig{options.ca_address, effective_ca_tls_server_name(options), roots.pem,
                                                       options.cluster_name, options.ca_call_timeout});
    observe::log_info("issuer", "requesting certificate",
                      {{"identity", spiffe_id},
                       {"ca", options.ca_address},
                       {"key_algorithm", std::string(pki::key_algorithm_name(options.key_algorithm))}});
    auto token_reader = [&] { return read_token_file(options.istio_token_path, token_what); };
    auto issued = co_await issue_certificate(ca, IssueParams{identity, options.key_algorithm, options.cert_ttl, roots.certs},
                                             token_reader, once_attempts, once_backoff);
    if (!issued) {
        std::cerr << "gen-istio-cert: " << issued.error().error.message << "\n";
        co_return 1;
    }
    auto const& leaf = issued->issued.chain.leaf();
    auto summary = "issued " + spiffe_id + " serial=" + leaf.serial_hex() + " not-after=" + util::format_rfc3339(leaf.not_after());

    if (!options.output_dir.empty()) {
        auto written = write_output_dir(options.output_dir, issued->issued.material());
        if (!written) {
            std::cerr << "gen-istio-cert: " << written.error().message << "\n";
            co_return 1;
        }
        std::cout << summary << " written to " << options.output_dir << " (tls.crt, tls.key, ca.crt)\n"
                  << "  try: curl --cert " << options.output_dir << "/tls.crt --key " << options.output_dir
                  << "/tls.key --cacert " << options.output_dir << "/ca.crt https://<mesh-service>\n";
        co_return 0;
    }

    kube::Client client(executor, *kube_config);
    auto outcome = co_await write_tls_secret(client, target, issued->issued,
                                             SecretWriteContext{spiffe_id, roots.certs, replica_name()});
    if (!outcome) {
        std::cerr << "gen-istio-cert: " << outcome.error().message << "\n";
        co_return 1;
    }
    if (*outcome == WriteOutcome::kept_newer) {
        std::cout << "Secret " << target.display() << " already holds a newer valid certificate for " << spiffe_id
                  << "; it was kept (issued serial=" << leaf.serial_hex() << " was discarded)\n";
        co_return 0;
    }
    std::cout << summary << " written to Secret " << target.display() << " (" << outcome_word(*outcome) << ")\n";
    co_return 0;
}

}  // namespace gic::agent
