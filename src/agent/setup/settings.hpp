#pragma once
// Turns flags and the environment into what the agent works with: the identity, the Kubernetes
// configuration, the replica identity. Every failure here is a configuration error (exit 2) whose
// message names the flag or file.

#include "agent/decisions/identity.hpp"
#include "agent/setup/options.hpp"
#include "kube/rest_config.hpp"
#include "util/error.hpp"

#include <optional>
#include <string>

namespace gic::agent {

// Which identity to issue for and which token proves it.
struct IdentityPlan {
    WorkloadIdentity target;
    // The mounted token's service account (--istio-token-path), when a token is mounted.
    std::optional<WorkloadIdentity> mounted;
    // No mounted token, or one for another service account: a token for `target` must be minted
    // with the TokenRequest API before calling the CA.
    bool mint_token = false;
};

// `mounted_token`: the content of --istio-token-path, or nullopt when the file does not exist.
// Without a mounted token both --sa-namespace and --sa-name are required (the error names them).
Result<IdentityPlan> plan_identity(Options const& options, std::optional<std::string> const& mounted_token);

// --kubeconfig (that file), else KUBECONFIG (merged), else in-cluster (token and ca.crt beside
// --sa-token-path), else ~/.kube/config; --context or current-context. An exec plugin is not run
// here (kube::complete_credentials does that, asynchronously).
Result<kube::RestConfig> select_kube_config(Options const& options);

// Refuses to bootstrap mesh trust over an API connection that verifies nothing: with
// insecure-skip-tls-verify, reading the root from ConfigMap istio-ca-root-cert (no file at
// `root_mounted`) or minting the Istio token (plan.mint_token) would let a man-in-the-middle hand
// out its own mesh root and capture the minted mesh credential. Allowed (with a warning) by
// --insecure-allow-bootstrap-over-unverified-api. The error names the risk and that flag.
Result<void> check_bootstrap_trust(kube::RestConfig const& config, IdentityPlan const& plan, bool root_mounted,
                                   Options const& options);

// POD_NAME, else the host name: recorded as the writer of the Secret.
std::string replica_name();

}  // namespace gic::agent
