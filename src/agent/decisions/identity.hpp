#pragma once
// The workload identity a certificate is issued for.

#include "util/error.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace gic::agent {

struct WorkloadIdentity {
    std::string trust_domain;
    std::string namespace_;
    std::string service_account;

    // spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>
    std::string spiffe_id() const;
    // <namespace>/<service-account>, for messages.
    std::string short_name() const { return namespace_ + "/" + service_account; }
};

// The trust domain of `uri` when it is `expected`'s namespace and service account under another
// trust domain: a mesh whose trustDomain is not --trust-domain. nullopt otherwise.
std::optional<std::string> other_trust_domain(std::string_view uri, WorkloadIdentity const& expected);

// Kubernetes rules: a namespace is a DNS-1123 label, a service-account name a DNS-1123 subdomain
// (and a path segment); the trust domain a SPIFFE trust domain (util/name_rules.hpp). The error
// names the flag.
Result<void> validate_identity(WorkloadIdentity const& identity);

// The same rules for the names read from a token's claims (used when --sa-namespace or --sa-name
// is empty), so that a forged or odd token cannot put '/', '..' or CR/LF into a request path.
// The error names the claim; the caller names the token.
Result<void> validate_claimed_names(std::string const& namespace_, std::string const& service_account);

}  // namespace gic::agent
