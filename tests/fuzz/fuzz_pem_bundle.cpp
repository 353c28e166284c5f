// PEM bundles and certificates (tls.crt, ca.crt, the root ConfigMap, --root-cert-path), parsed
// and then read the way the agent reads them (SANs, validity, serial, names, CA flags).
// Invariant: a parsed bundle re-encodes to PEM that parses back to the same certificates.

#include "fuzz_check.hpp"
#include "pki/certificate.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

// Every fact the agent reads from a certificate it did not make.
void read_everything(gic::pki::Certificate const& cert) {
    (void)cert.uri_sans();
    (void)cert.dns_sans();
    (void)cert.ip_sans();
    (void)cert.not_before();
    (void)cert.not_after();
    (void)cert.serial_hex();
    (void)cert.subject();
    (void)cert.issuer();
    (void)cert.is_ca();
    (void)cert.is_self_signed();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const input(reinterpret_cast<char const*>(data), size);

    auto certs = gic::pki::parse_pem_bundle(input);
    if (!certs) {
        FUZZ_CHECK(!certs.error().message.empty());
        return 0;
    }
    FUZZ_CHECK(!certs->empty());
    for (auto const& cert : *certs) read_everything(cert);

    auto const again = gic::pki::parse_pem_bundle(gic::pki::to_pem_bundle(*certs));
    FUZZ_CHECK(again && again->size() == certs->size());
    for (std::size_t i = 0; i < certs->size(); ++i) {
        FUZZ_CHECK((*again)[i].fingerprint_sha256() == (*certs)[i].fingerprint_sha256());
    }

    auto const one = gic::pki::Certificate::from_pem(input);
    FUZZ_CHECK(one.has_value() == (certs->size() == 1));
    return 0;
}
