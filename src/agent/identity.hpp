#pragma once
// The workload identity a certificate is issued for.

#include "util/error.hpp"

#include <string>

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

// Kubernetes rules: a namespace is a DNS-1123 label, a service-account name a DNS-1123 subdomain;
// the trust domain is a lower-case DNS-like name (SPIFFE: [a-z0-9.-_]). The error names the flag.
Result<void> validate_identity(WorkloadIdentity const& identity);

}  // namespace gic::agent
