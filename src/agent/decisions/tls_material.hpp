#pragma once
// The three PEM documents we store (kubernetes.io/tls layout) and how to read them back.

#include "pki/chain.hpp"
#include "pki/key.hpp"
#include "util/error.hpp"

#include <chrono>
#include <span>
#include <string>
#include <vector>

namespace gic::agent {

struct TlsMaterial {
    std::string chain_pem;  // tls.crt: leaf then intermediates
    std::string key_pem;    // tls.key: PKCS#8
    std::string roots_pem;  // ca.crt: the root bundle
};

// A certificate with its key, issued by the CA or read back from storage.
struct KeyedChain {
    pki::IssuedChain chain;
    pki::PrivateKey key;

    TlsMaterial material() const { return {chain.chain_pem(), key.to_pkcs8_pem(), chain.roots_pem()}; }
};

// Parses stored material. The error names the key (tls.crt, tls.key, ca.crt) that is missing or bad.
// Certificates encoded like one of `known` are those objects, not decoded again (pki::parse_pem_bundle).
Result<KeyedChain> parse_tls_material(TlsMaterial const& material, std::span<pki::Certificate const> known = {});

// Why a stored certificate cannot be kept, or nothing when it is a valid certificate for
// `spiffe_id` whose key matches and that chains to `trusted_roots` at `now`.
Result<void> check_stored(KeyedChain const& stored, std::string const& spiffe_id,
                          std::vector<pki::Certificate> const& trusted_roots, std::chrono::system_clock::time_point now);

// True when `stored` must not be replaced by `candidate`: it is valid (check_stored) and was issued
// later (its notBefore is later), i.e. another writer renewed after we did. Never go back in time.
bool stored_is_newer(KeyedChain const& stored, KeyedChain const& candidate, std::string const& spiffe_id,
                     std::vector<pki::Certificate> const& trusted_roots, std::chrono::system_clock::time_point now);

// stored_is_newer on stored material that may not even parse, decoding no more than the answer
// needs: the stored leaf first, since one issued no later than `candidate` is replaced whatever
// the rest holds; only a later one has its whole chain, roots and key parsed and checked (the
// leaf and `trusted_roots` are not decoded twice). False when the material does not parse.
// Decoding is what costs (OpenSSL 3.0: millions of instructions a certificate or key), and
// --once always meets a stored certificate older than the one it just got.
bool stored_material_is_newer(TlsMaterial const& stored, KeyedChain const& candidate, std::string const& spiffe_id,
                              std::vector<pki::Certificate> const& trusted_roots,
                              std::chrono::system_clock::time_point now);

}  // namespace gic::agent
