#pragma once
// Certificate authorities for the emulators: the API server's serving and client certificates,
// istiod's root/intermediate, its serving certificate and the workload leaves it signs.
// Test infrastructure only; the agent never builds certificates.

#include "pki/pki.hpp"
#include "util/error.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace gic::emu {

struct IssuedCert {
    pki::Certificate cert;
    pki::PrivateKey key;
};

class CertificateAuthority {
public:
    // Self-signed CA (basicConstraints critical CA:TRUE, keyCertSign|cRLSign, subject O=<org>, CN=<cn>).
    static CertificateAuthority create_root(std::string const& organization, std::string const& common_name,
                                            pki::KeyAlgorithm algorithm, std::chrono::seconds ttl);
    // The same with a key the caller has (tests reuse keys generated once per process).
    static CertificateAuthority create_root(std::string const& organization, std::string const& common_name,
                                            pki::PrivateKey key, std::chrono::seconds ttl);
    // A CA from existing PEM (a persisted state dir, a plugged cacerts). Errors: unparsable PEM,
    // a key that does not match the certificate, a certificate that is not a CA.
    static Result<CertificateAuthority> from_pem(std::string_view cert_pem, std::string_view key_pem);

    // An intermediate CA signed by this one (for istiod's "plugged" cacerts).
    CertificateAuthority create_intermediate(std::string const& organization, std::string const& common_name,
                                             pki::KeyAlgorithm algorithm, std::chrono::seconds ttl) const;
    CertificateAuthority create_intermediate(std::string const& organization, std::string const& common_name,
                                             pki::PrivateKey key, std::chrono::seconds ttl) const;

    // TLS server certificate with the given DNS and IP SANs (EKU serverAuth), chained to this CA.
    IssuedCert issue_server(std::vector<std::string> const& dns_names, std::vector<std::string> const& ip_addresses,
                            std::chrono::seconds ttl) const;
    // TLS client certificate as Kubernetes reads it: CN = user name, O = groups (EKU clientAuth).
    IssuedCert issue_client(std::string const& user, std::vector<std::string> const& groups,
                            std::chrono::seconds ttl) const;

    // An Istio workload leaf for the CSR's public key, the way istiod builds it: empty subject,
    // one critical URI SAN `spiffe_id` (the CSR's own SANs are ignored), KU digitalSignature|
    // keyEncipherment, EKU serverAuth+clientAuth, CA:FALSE, random 128-bit serial, notBefore =
    // now - 2 min, notAfter = min(now + ttl, this CA's notAfter). Errors use istiod's reasons:
    // "certificate signing request is not properly encoded", "failed to parse X.509 certificate
    // signing request", "failed to check CSR signature". `now`: the signing time (virtual-time
    // tests sign at their clock's).
    Result<pki::Certificate> sign_workload(std::string_view csr_pem, std::string_view spiffe_id, std::chrono::seconds ttl,
                                           std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

    // Same as sign_workload but for an arbitrary public key (used to inject faults: a leaf whose
    // key is not the requester's).
    pki::Certificate sign_workload_for_key(pki::PrivateKey const& public_key_of, std::string_view spiffe_id,
                                           std::chrono::seconds ttl) const;

    pki::Certificate const& cert() const { return cert_; }
    pki::PrivateKey const& key() const { return key_; }

private:
    CertificateAuthority(pki::Certificate cert, pki::PrivateKey key) : cert_(std::move(cert)), key_(std::move(key)) {}
    pki::Certificate cert_;
    pki::PrivateKey key_;
};

// Writes `content` to `path` atomically (temp file + rename) with the given mode; throws on error.
void write_file_atomic(std::string const& path, std::string_view content, unsigned mode = 0644);

}  // namespace gic::emu
