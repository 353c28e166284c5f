#pragma once
// The kubernetes.io/tls Secret (DESIGN.md section 3) over the typed kube::Secret: building a new
// one, updating an existing one in place (keeping what others put there), and reading our
// material back.

#include "agent/decisions/tls_material.hpp"
#include "kube/secret.hpp"
#include "util/error.hpp"

#include <map>
#include <optional>
#include <string>

namespace gic::agent {

inline constexpr char const* tls_secret_type = "kubernetes.io/tls";
inline constexpr char const* managed_by_label = "app.kubernetes.io/managed-by";
inline constexpr char const* managed_by_value = "gen-istio-cert";
inline constexpr char const* annotation_prefix = "gen-istio-cert.teg.tetrate.io/";

// Annotations describing what is stored (identity, serial, notAfter, which replica wrote it).
std::map<std::string, std::string> describe_annotations(KeyedChain const& issued, std::string const& spiffe_id,
                                                        std::string const& writer);

kube::Secret make_tls_secret(std::string const& namespace_, std::string const& name, TlsMaterial const& material,
                                    std::map<std::string, std::string> const& annotations);

// Sets tls.crt, tls.key and ca.crt, our label and annotations; leaves every other field, data key,
// label and annotation (and metadata.resourceVersion) as it was.
void apply_tls_material(kube::Secret& secret, TlsMaterial const& material,
                        std::map<std::string, std::string> const& annotations);

// The Secret's type ("Opaque" when absent, as the API server defaults it).
std::string secret_type(kube::Secret const& secret);

// Our three keys, base64-decoded; a missing key reads as empty. Error when a value is not base64.
Result<TlsMaterial> read_tls_material(kube::Secret const& secret);

}  // namespace gic::agent
