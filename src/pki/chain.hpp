#pragma once
// What the Istio CA returns, and the checks made before anything is written.

#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "util/error.hpp"

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gic::pki {

// The CA response split the way pilot-agent reads it: the last element is the root bundle (never
// split by istiod, may hold several roots); every earlier element may hold one or several PEM
// blocks (istiod before 1.26). `chain` is the leaf followed by the intermediates, with any
// self-signed certificate dropped (so [leaf, root] and [leaf, intermediate, root, root] both give
// a chain without roots).
struct IssuedChain {
    std::vector<Certificate> chain;  // chain[0] is the leaf
    std::vector<Certificate> roots;  // the last element of the response

    Certificate const& leaf() const { return chain.front(); }
    std::string chain_pem() const { return to_pem_bundle(chain); }  // tls.crt
    std::string roots_pem() const { return to_pem_bundle(roots); }  // ca.crt
};

// The first certificate of element 0 is the leaf and is always kept.
// Errors: fewer than two elements ("invalid empty CertChain (the CA returned N elements)" as
// pilot-agent says), an element without a certificate or with a broken one (named "cert_chain[i]").
// A certificate whose encoding is one of `known` (the roots the agent trusts) is that object, not
// decoded again (parse_pem_bundle).
Result<IssuedChain> split_ca_response(std::vector<std::string> const& elements,
                                      std::span<Certificate const> known = {});

// Verifies that chain[0] chains through chain[1..] to one of `trusted_roots` at time `at`
// (no purpose check: only the path, names, signatures, CA flags and validity periods;
// X509_V_FLAG_PARTIAL_CHAIN off, so the path must end at one of the roots). The error carries OpenSSL's reason and the
// depth ("certificate chain does not verify against the root bundle: certificate has expired at
// depth 0").
Result<void> verify_chain(std::vector<Certificate> const& chain, std::vector<Certificate> const& trusted_roots,
                          std::chrono::system_clock::time_point at);

// Everything checked before a certificate is written:
//  - the leaf's URI SANs are exactly { expected_spiffe_id };
//  - the leaf's public key is `key`'s;
//  - the chain verifies against `trusted_roots` at `now` (which also rejects expired and
//    not-yet-valid leaves).
// The error names the first check that failed and what was found instead.
Result<void> validate_issued(IssuedChain const& issued, PrivateKey const& key, std::string_view expected_spiffe_id,
                             std::vector<Certificate> const& trusted_roots, std::chrono::system_clock::time_point now);

}  // namespace gic::pki
