#pragma once
// Real certificates for agent unit tests: a root, and leaves issued for a fresh key.

#include "agent/decisions/tls_material.hpp"
#include "test_ca.hpp"

#include <chrono>
#include <string>

namespace gic::test {

// The wall time virtual-time tests start at: now, in whole seconds (certificates carry whole
// seconds, so a renewal computed from one lands on the same instant the test computes).
inline std::chrono::system_clock::time_point now_in_whole_seconds() {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// A self-signed ECDSA root valid for a year.
inline emu::CertificateAuthority make_root(std::string const& name = "root") {
    return emu::CertificateAuthority::create_root("cluster.local", name, pki::KeyAlgorithm::ecdsa_p256, std::chrono::hours(24 * 365));
}

// A leaf for `spiffe_id` issued by `ca` for a new key, as the CA would return it ([leaf, root]).
inline agent::KeyedChain issue(emu::CertificateAuthority const& ca, std::string const& spiffe_id,
                               std::chrono::seconds ttl = std::chrono::hours(24)) {
    auto key = pki::PrivateKey::generate(pki::KeyAlgorithm::ecdsa_p256);
    auto csr = pki::make_csr_pem(key, spiffe_id).value();
    auto leaf = ca.sign_workload(csr, spiffe_id, ttl).value();
    auto chain = pki::split_ca_response({leaf.to_pem(), ca.cert().to_pem()}).value();
    return agent::KeyedChain{std::move(chain), std::move(key)};
}

}  // namespace gic::test
