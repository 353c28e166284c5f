#pragma once
// Reads the service-account identity out of a Kubernetes service-account JWT. The claims are used
// to name the identity we ask for, never to authorise anything: istiod verifies the token itself
// with a TokenReview.

#include "util/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gic::agent {

struct TokenClaims {
    std::string namespace_;
    std::string service_account;
    std::vector<std::string> audiences;
    std::optional<std::chrono::system_clock::time_point> expires_at;  // `exp`, clamped (util/time_bounds.hpp)
    std::string pod_name;  // when the token is bound to a pod
};

// Accepts bound/projected tokens ("kubernetes.io": {namespace, serviceaccount{name}}), falling back
// to `sub` = system:serviceaccount:<ns>:<sa>, and legacy secret tokens (flat
// kubernetes.io/serviceaccount/* claims). The signature is not checked.
// Errors (one line): not three dot-separated segments, payload not base64url, payload not a JSON
// object, no service-account identity in the claims.
Result<TokenClaims> parse_token_claims(std::string_view jwt);

}  // namespace gic::agent
