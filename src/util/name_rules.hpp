#pragma once
// The rules a name must keep before the agent puts it into a request path, a Lease, a SPIFFE ID
// or a gRPC header. Kubernetes names follow the API server's own validators, so a name that
// passes here is one the API server accepts, and nothing in it can change a URL's path or a
// header's meaning ('/', '%', CR, LF, NUL never pass).

#include <cstddef>
#include <string>
#include <string_view>

namespace gic::util {

// One rule: what the value names (for messages), the rule in words, and the check.
struct NameRule {
    char const* kind;  // "namespace name"
    char const* rule;  // "a DNS-1123 label: ..."
    // Why `value` breaks the rule ("" when it keeps it).
    std::string (*problem)(std::string_view value);
};

// Namespaces: apimachinery ValidateNamespaceName = NameIsDNSLabel -> IsDNS1123Label.
extern NameRule const namespace_name;
// Secrets: core ValidateSecretName = NameIsDNSSubdomain -> IsDNS1123Subdomain.
extern NameRule const secret_name;
// Leases: coordination ValidateLease passes NameIsDNSSubdomain -> IsDNS1123Subdomain.
extern NameRule const lease_name;
// ServiceAccounts: apimachinery ValidateServiceAccountName (NameIsDNSSubdomain), after the
// registry's path.IsValidPathSegmentName (not ".", "..", no '/' or '%').
extern NameRule const service_account_name;
// A DNS host name as TLS and gRPC's :authority carry it: a DNS-1123 subdomain in which upper-case
// letters are allowed too (DNS names are case-insensitive; apimachinery IsDNS1123SubdomainCaseless).
extern NameRule const host_name;
// SPIFFE-ID.md section 2.1: [a-z0-9.-_] only (so no port, no user info), at most 255 bytes.
extern NameRule const spiffe_trust_domain;
// A gRPC ASCII metadata value (the clusterid header): printable ASCII, no leading or trailing
// space, at most 253 characters; empty is allowed (istiod then uses its own cluster).
extern NameRule const grpc_header_value;

// "" when `value` keeps `rule`; else `"VALUE" is not a valid KIND: PROBLEM (RULE)`, one line.
std::string name_violation(NameRule const& rule, std::string_view value);

// `value` made safe for a one-line message: bytes outside printable ASCII (and '"', '\') escaped
// as \xNN, cut after `shown` characters (then "..." follows).
std::string escaped(std::string_view value, std::size_t shown = 80);
// escaped(value) in double quotes.
std::string quoted(std::string_view value);

}  // namespace gic::util
