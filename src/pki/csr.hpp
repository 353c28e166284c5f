#pragma once
// The CSR exactly as pilot-agent builds it: empty subject (one O="" RDN, no CN), one URI SAN in a
// critical extension, signed with SHA-256 (SHA-384 for P-384), PEM "CERTIFICATE REQUEST".

#include "pki/key.hpp"
#include "util/error.hpp"

#include <string>
#include <string_view>

namespace gic::pki {

Result<std::string> make_csr_pem(PrivateKey const& key, std::string_view spiffe_uri);

}  // namespace gic::pki
