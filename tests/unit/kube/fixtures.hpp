#pragma once
// Shared test material: a CA and certificates made once per process, PEM as text.

#include "test_ca.hpp"

#include <string>

namespace gic::kube::test {

struct Pki {
    emu::CertificateAuthority ca;
    emu::IssuedCert server;  // DNS localhost + kubernetes.default.svc, IP 127.0.0.1
    emu::IssuedCert client;  // CN=admin, O=system:masters
    emu::CertificateAuthority other_ca;

    std::string ca_pem() const { return ca.cert().to_pem(); }
};

Pki const& pki();

}  // namespace gic::kube::test
