#pragma once
// The decisions of istiod's KubeJWTAuthenticator (security/pkg/server/ca/authenticate/kubeauth),
// without I/O: bearer token extraction, cluster selection from `clusterid`, and reading the
// TokenReview result. Reasons are istiod's own words; they go to the log, never to the client.

#include "token_reviewer.hpp"
#include "util/error.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gic::emu::istiod {

// security.ExtractBearerToken: the first `authorization` value with the exact "Bearer " prefix.
// Errors: "target JWT extraction error: no HTTP authorization header exists",
//         "target JWT extraction error: no bearer token exists in HTTP authorization header".
Result<std::string> extract_bearer_token(std::vector<std::string> const& authorization_values);

// security.ExtractClusterID: the value when the header was sent exactly once, else "".
std::string extract_cluster_id(std::vector<std::string> const& clusterid_values);

// Local cluster when the claimed id is empty or istiod's own; there are no remote clusters.
// Error: `client claims to be in cluster "X", but we only know about local cluster "Kubernetes" and remote clusters []`.
Result<void> select_cluster(std::string const& claimed, std::string const& local_cluster_id);

struct ServiceAccount {
    std::string namespace_;
    std::string name;
};

// tokenreview.ValidateK8sJwt + KubeJWTAuthenticator.authenticate: errors are
// `failed to validate the JWT from cluster "X": <reason>` or `failed to parse the JWT; ...`.
Result<ServiceAccount> service_account_from_review(TokenReviewResult const& review, std::string const& claimed_cluster);

// spiffe://<trust-domain>/ns/<ns>/sa/<sa>
std::string spiffe_id(std::string const& trust_domain, ServiceAccount const& account);

}  // namespace gic::emu::istiod
