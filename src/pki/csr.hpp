#pragma once
// The CSR exactly as pilot-agent builds it: empty subject (one O="" RDN, no CN), one URI SAN in a
// critical extension, signed with SHA-256 (SHA-384 for P-384), PEM "CERTIFICATE REQUEST".

#include "pki/key.hpp"
#include "util/error.hpp"

#include <string>
#include <string_view>

namespace gic::pki {

// Checks the shape spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>; the error quotes
// the identity and says which part is wrong.
Result<void> validate_spiffe_id(std::string_view spiffe_uri);

// Errors: an identity that fails validate_spiffe_id.
Result<std::string> make_csr_pem(PrivateKey const& key, std::string_view spiffe_uri);

}  // namespace gic::pki
