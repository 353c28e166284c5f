#include "agent/decisions/tls_material.hpp"

namespace gic::agent {

Result<KeyedChain> parse_tls_material(TlsMaterial const& material, std::span<pki::Certificate const> known) {
    if (material.chain_pem.empty()) return make_error("tls.crt is empty");
    if (material.key_pem.empty()) return make_error("tls.key is empty");
    if (material.roots_pem.empty()) return make_error("ca.crt is empty");
    auto chain = pki::parse_pem_bundle(material.chain_pem, known);
    if (!chain) return wrap_error("tls.crt", chain.error());
    auto roots = pki::parse_pem_bundle(material.roots_pem, known);
    if (!roots) return wrap_error("ca.crt", roots.error());
    auto key = pki::PrivateKey::from_pem(material.key_pem);
    if (!key) return wrap_error("tls.key", key.error());
    return KeyedChain{pki::IssuedChain{std::move(*chain), std::move(*roots)}, std::move(*key)};
}

Result<void> check_stored(KeyedChain const& stored, std::string const& spiffe_id,
                          std::vector<pki::Certificate> const& trusted_roots, std::chrono::system_clock::time_point now) {
    return pki::validate_issued(stored.chain, stored.key, spiffe_id, trusted_roots, now);
}

bool stored_is_newer(KeyedChain const& stored, KeyedChain const& candidate, std::string const& spiffe_id,
                     std::vector<pki::Certificate> const& trusted_roots, std::chrono::system_clock::time_point now) {
    if (!check_stored(stored, spiffe_id, trusted_roots, now)) return false;
    return stored.chain.leaf().not_before() > candidate.chain.leaf().not_before();
}

bool stored_material_is_newer(TlsMaterial const& stored, KeyedChain const& candidate, std::string const& spiffe_id,
                              std::vector<pki::Certificate> const& trusted_roots,
                              std::chrono::system_clock::time_point now) {
    auto leaf = pki::parse_first_pem_certificate(stored.chain_pem);
    if (!leaf || leaf->not_before() <= candidate.chain.leaf().not_before()) return false;
    std::vector<pki::Certificate> known = trusted_roots;
    known.push_back(std::move(*leaf));
    auto parsed = parse_tls_material(stored, known);
    return parsed && stored_is_newer(*parsed, candidate, spiffe_id, trusted_roots, now);
}

}  // namespace gic::agent
