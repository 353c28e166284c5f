#pragma once
// Turns flags and the environment into what the agent works with: the identity, the Kubernetes
// configuration, the replica identity. Every failure here is a configuration error (exit 2) whose
// message names the flag or file.

#include "agent/identity.hpp"
#include "agent/options.hpp"
#include "kube/rest_config.hpp"
#include "util/error.hpp"

#include <string>

namespace gic::agent {

// The identity from --sa-name/--sa-namespace, completed from the Istio token's claims. When both
// are given and differ from the token's own service account the result is an error: istiod signs
// for the token's service account whatever the CSR says, so the certificate would be for the wrong
// identity.
Result<WorkloadIdentity> resolve_identity(Options const& options, std::string const& istio_token);

// --kubeconfig, else the first file in KUBECONFIG, else in-cluster (token and ca.crt beside
// --sa-token-path), else ~/.kube/config.
Result<kube::RestConfig> select_kube_config(Options const& options);

// POD_NAME, else the host name: recorded as the writer of the Secret.
std::string replica_name();

}  // namespace gic::agent
