// istiod's CreateCertificate answer, from the protobuf bytes on the wire to the chain the agent
// would write: IstioCertificateResponse parsing, the "fewer than two elements" rule of the CA
// client, pki::split_ca_response, and the path check against the roots the CA sent.
// Invariants: a split chain starts with the first certificate of element 0, holds no self-signed
// certificate after the leaf, and its tls.crt / ca.crt PEM parse back to the same certificates.

#include "ca.pb.h"
#include "fuzz_check.hpp"
#include "pki/chain.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

bool same_certificates(std::vector<gic::pki::Certificate> const& a, std::vector<gic::pki::Certificate> const& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].fingerprint_sha256() != b[i].fingerprint_sha256()) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    istio::v1::auth::IstioCertificateResponse response;
    if (!response.ParseFromArray(data, static_cast<int>(size))) return 0;
    // The CA client rejects a response with fewer than two elements before anything is split.
    if (response.cert_chain_size() < 2) return 0;
    std::vector<std::string> const elements(response.cert_chain().begin(), response.cert_chain().end());

    auto issued = gic::pki::split_ca_response(elements);
    if (!issued) {
        FUZZ_CHECK(!issued.error().message.empty());
        return 0;
    }
    FUZZ_CHECK(!issued->chain.empty());
    FUZZ_CHECK(!issued->roots.empty());
    auto const first = gic::pki::parse_pem_bundle(elements.front());
    FUZZ_CHECK(first && first->front().fingerprint_sha256() == issued->leaf().fingerprint_sha256());
    for (std::size_t i = 1; i < issued->chain.size(); ++i) FUZZ_CHECK(!issued->chain[i].is_self_signed());

    auto const chain_again = gic::pki::parse_pem_bundle(issued->chain_pem());
    FUZZ_CHECK(chain_again && same_certificates(*chain_again, issued->chain));
    auto const roots_again = gic::pki::parse_pem_bundle(issued->roots_pem());
    FUZZ_CHECK(roots_again && same_certificates(*roots_again, issued->roots));

    // The path check, at a time the leaf itself claims to be valid.
    auto const leaf = issued->leaf();
    (void)leaf.uri_sans();
    auto const verified = gic::pki::verify_chain(issued->chain, issued->roots, leaf.not_before());
    FUZZ_CHECK(verified || !verified.error().message.empty());
    return 0;
}
