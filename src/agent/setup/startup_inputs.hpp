#pragma once
// Everything read once at startup, before anything goes on the wire. A failure is a
// configuration error (gic::ConfigError, exit 2) whose message names the flag, file, kubeconfig
// context, exec command or RBAC permission to fix.

#include "agent/inputs/configmap_roots.hpp"
#include "agent/decisions/identity.hpp"
#include "agent/inputs/mounted_files.hpp"
#include "agent/inputs/minted_token_source.hpp"
#include "agent/setup/options.hpp"
#include "agent/effects/secret_writer.hpp"
#include "agent/inputs/token_source.hpp"
#include "istio/ca_client.hpp"
#include "kube/client.hpp"
#include "kube/rest_config.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

namespace gic::agent {

struct StartupInputs {
    WorkloadIdentity identity;
    RootBundle roots;
    std::optional<kube::RestConfig> kube_config;  // absent when the API is not needed (--output-dir with mounts)
    SecretTarget target;                          // the output Secret (without --output-dir)

    // The API client made at startup (whenever kube_config is set): use it for the Secret too.
    std::shared_ptr<kube::Client> client;
    // The token for the CA: the mounted file, or minted_token.
    std::shared_ptr<TokenSource> token_source;
    // Set when the token is minted with TokenRequest: its keep_fresh() must run for as long as
    // the agent does (continuous mode), or the token expires after about an hour. Uses `client`.
    std::shared_ptr<MintedTokenSource> minted_token;
    // Set when the roots come from ConfigMap istio-ca-root-cert (no --root-cert-path file): call
    // reload() when it changes. Uses `client`.
    std::shared_ptr<ConfigMapRootSource> configmap_roots;
};

// Every mode. Runs on the agent's io_context without blocking it (exec plugins, TokenRequest and
// the ConfigMap read are asynchronous):
//   - token: --istio-token-path when the file exists and belongs to the target identity; else a
//     token minted with TokenRequest for --sa-namespace/--sa-name (audience istio-ca, 1 h);
//   - roots: --root-cert-path when the file exists; else ConfigMap istio-ca-root-cert in the
//     target's namespace;
//   - Kubernetes: loaded (select_kube_config, exec plugin run once) when minting, reading the
//     ConfigMap or writing a Secret needs it.
// `client_options` configure the API client made here (its request observer feeds the metrics);
// pass a named object (g++ 12 destroys a temporary or a defaulted argument of a coroutine twice).
// Throws ConfigError.
boost::asio::awaitable<StartupInputs> prepare_startup_inputs(Options const& options,
                                                             kube::ClientOptions const& client_options);

istio::CaClientConfig ca_client_config(Options const& options, RootBundle const& roots);

// Reads --istio-token-path (trimmed); used before every CA call.
Result<std::string> read_istio_token(Options const& options);

}  // namespace gic::agent
