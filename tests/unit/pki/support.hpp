#pragma once
// Shared fixtures for the pki unit tests: a small CA hierarchy from the emulators' test CA and a
// few helpers to inspect what OpenSSL sees.

#include "pki/pki.hpp"
#include "test_ca.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gic::pki {

// Lets BOOST_TEST print algorithms (found by ADL, also for std::optional<KeyAlgorithm>).
inline std::ostream& boost_test_print_type(std::ostream& out, KeyAlgorithm algorithm) {
    return out << key_algorithm_name(algorithm);
}
inline std::ostream& boost_test_print_type(std::ostream& out, std::optional<KeyAlgorithm> const& algorithm) {
    return algorithm ? out << key_algorithm_name(*algorithm) : out << "(none)";
}

}  // namespace gic::pki

namespace gic::pki::test {

namespace emu = gic::emu;
using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

inline constexpr std::string_view workload_id = "spiffe://cluster.local/ns/workloads/sa/payments";

// root → intermediate → leaf (for `leaf_key`), all ECDSA P-256 so that fixtures are quick.
struct Hierarchy {
    emu::CertificateAuthority root =
        emu::CertificateAuthority::create_root("Test Org", "Test Root CA", KeyAlgorithm::ecdsa_p256, 24h * 365);
    emu::CertificateAuthority intermediate =
        root.create_intermediate("Test Org", "Test Intermediate CA", KeyAlgorithm::ecdsa_p256, 24h * 30);
    PrivateKey leaf_key = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    Certificate leaf = intermediate.sign_workload_for_key(leaf_key, workload_id, 1h);
};

// Reads a PEM CSR back with OpenSSL.
inline X509ReqPtr parse_csr(std::string const& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return X509ReqPtr(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
}

inline std::string der_to_pem(std::string_view label, std::string const& der) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio(bio.get(), std::string(label).c_str(), "", reinterpret_cast<unsigned char const*>(der.data()),
                  static_cast<long>(der.size()));
    char* data = nullptr;
    long const length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
}

// A workload leaf built by hand with any set of URI SANs (the test CA always writes exactly one).
inline Certificate leaf_with_uris(emu::CertificateAuthority const& ca, PrivateKey const& key,
                                  std::vector<std::string> const& uris) {
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 4242);
    auto const now = Clock::now();
    ASN1_TIME_set(X509_getm_notBefore(cert.get()), Clock::to_time_t(now - 2min));
    ASN1_TIME_set(X509_getm_notAfter(cert.get()), Clock::to_time_t(now + 1h));
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.cert().get()));
    X509_set_pubkey(cert.get(), key.get());
    GeneralNamesPtr names(GENERAL_NAMES_new());
    for (auto const& uri : uris) {
        ASN1_IA5STRING* value = ASN1_IA5STRING_new();
        ASN1_STRING_set(value, uri.data(), static_cast<int>(uri.size()));
        GENERAL_NAME* name = GENERAL_NAME_new();
        GENERAL_NAME_set0_value(name, GEN_URI, value);
        sk_GENERAL_NAME_push(names.get(), name);
    }
    X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 1, X509V3_ADD_DEFAULT);
    X509_sign(cert.get(), ca.key().get(), EVP_sha256());
    return Certificate::adopt(std::move(cert));
}

inline std::vector<std::string> fingerprints(std::vector<Certificate> const& certs) {
    std::vector<std::string> out;
    for (auto const& cert : certs) {
        out.push_back(cert.fingerprint_sha256());
    }
    return out;
}

}  // namespace gic::pki::test
