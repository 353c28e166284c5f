#pragma once
// One X.509 certificate and the facts we read from it.

#include "pki/handles.hpp"
#include "pki/key.hpp"
#include "util/error.hpp"

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gic::pki {

class Certificate {
public:
    // Exactly one PEM CERTIFICATE block; an error names what is wrong.
    static Result<Certificate> from_pem(std::string_view pem);
    static Certificate adopt(X509Ptr cert) { return Certificate(std::move(cert)); }

    // Copies share the (immutable) OpenSSL object by reference count.
    Certificate(Certificate const& other);
    Certificate& operator=(Certificate const& other);
    Certificate(Certificate&&) noexcept = default;
    Certificate& operator=(Certificate&&) noexcept = default;

    std::string to_pem() const;
    std::vector<std::string> uri_sans() const;
    std::vector<std::string> dns_sans() const;
    // IP address SANs in text form ("127.0.0.1", "::1").
    std::vector<std::string> ip_sans() const;
    // Clamped into [util::earliest_time, util::latest_time], so that 99991231235959Z ("no
    // well-defined expiration") reads as a far but representable time.
    std::chrono::system_clock::time_point not_before() const;
    std::chrono::system_clock::time_point not_after() const;
    // Lower-case hex without separators, as `openssl x509 -serial` prints it (but lower case).
    std::string serial_hex() const;
    // One-line RFC 2253 subject ("" when empty).
    std::string subject() const;
    std::string issuer() const;
    bool is_ca() const;
    bool is_self_signed() const;
    bool matches_key(PrivateKey const& key) const;
    // SHA-256 of the DER encoding, lower-case hex.
    std::string fingerprint_sha256() const;
    X509* get() const noexcept { return cert_.get(); }

private:
    explicit Certificate(X509Ptr cert) : cert_(std::move(cert)) {}
    X509Ptr cert_;
};

// Every CERTIFICATE block in `pem`, in order. Errors: no block at all ("no PEM certificate found"),
// or a block that does not parse (named by its 1-based position: "PEM certificate #2 ..."). Text between blocks is ignored, as OpenSSL does.
Result<std::vector<Certificate>> parse_pem_bundle(std::string_view pem);

// parse_pem_bundle, except that a block whose DER encoding is byte for byte that of one of `known`
// yields that Certificate (shared, not decoded again). OpenSSL 3.0 spends about 3.4 million
// instructions decoding the public key of each certificate it parses, and the roots a CA answer or a
// stored ca.crt carries are usually the ones the agent already holds. Same results and errors.
Result<std::vector<Certificate>> parse_pem_bundle(std::string_view pem, std::span<Certificate const> known);

// The first CERTIFICATE block of `pem` alone (what follows it is not read). Errors as
// parse_pem_bundle's for its first block.
Result<Certificate> parse_first_pem_certificate(std::string_view pem);

// Concatenated PEM of the certificates, each block ending in "\n".
std::string to_pem_bundle(std::vector<Certificate> const& certs);

}  // namespace gic::pki
