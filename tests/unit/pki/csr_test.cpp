#include "support.hpp"
#include "common/reused_keys.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/objects.h>

using namespace gic::pki;
using namespace gic::pki::test;

namespace {

struct ExtensionsDeleter {
    void operator()(STACK_OF(X509_EXTENSION) * p) const noexcept { sk_X509_EXTENSION_pop_free(p, X509_EXTENSION_free); }
};

int expected_signature_nid(KeyAlgorithm algorithm) {
    switch (algorithm) {
    case KeyAlgorithm::ecdsa_p256: return NID_ecdsa_with_SHA256;
    case KeyAlgorithm::ecdsa_p384: return NID_ecdsa_with_SHA384;
    default: return NID_sha256WithRSAEncryption;
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pki_csr)

BOOST_AUTO_TEST_CASE(csr_is_shaped_like_pilot_agents) {
    for (auto algorithm : {KeyAlgorithm::rsa2048, KeyAlgorithm::ecdsa_p256, KeyAlgorithm::ecdsa_p384}) {
        BOOST_TEST_CONTEXT("algorithm " << key_algorithm_name(algorithm)) {
            auto const key = gic::test::reused_key(algorithm);
            auto const pem = make_csr_pem(key, workload_id);
            BOOST_REQUIRE_MESSAGE(pem.has_value(), (pem ? "" : pem.error().message));
            BOOST_TEST(pem->starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));

            auto const request = parse_csr(*pem);
            BOOST_REQUIRE(request);
            BOOST_TEST(X509_REQ_get_version(request.get()) == 0);

            // Signed by the key it carries, with Go's digest for that key.
            EVP_PKEY* public_key = X509_REQ_get0_pubkey(request.get());
            BOOST_REQUIRE(public_key);
            BOOST_TEST(EVP_PKEY_eq(public_key, key.get()) == 1);
            BOOST_TEST(X509_REQ_verify(request.get(), public_key) == 1);
            BOOST_TEST(X509_REQ_get_signature_nid(request.get()) == expected_signature_nid(algorithm));
            // The SubjectPublicKeyInfo byte for byte as OpenSSL encodes the key (the EC fast path
            // writes the named curve and the point itself).
            unsigned char* spki = nullptr;
            int const spki_length = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(request.get()), &spki);
            BOOST_REQUIRE(spki_length > 0);
            std::string const spki_der(reinterpret_cast<char const*>(spki), static_cast<std::size_t>(spki_length));
            OPENSSL_free(spki);
            BOOST_TEST(spki_der == key.public_key_der());

            // Subject: exactly one RDN, O = "" (an empty PrintableString), and no CN.
            X509_NAME* subject = X509_REQ_get_subject_name(request.get());
            BOOST_REQUIRE_EQUAL(X509_NAME_entry_count(subject), 1);
            X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, 0);
            BOOST_TEST(OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)) == NID_organizationName);
            ASN1_STRING* value = X509_NAME_ENTRY_get_data(entry);
            BOOST_TEST(ASN1_STRING_length(value) == 0);
            BOOST_TEST(ASN1_STRING_type(value) == V_ASN1_PRINTABLESTRING);
            BOOST_TEST(X509_NAME_get_index_by_NID(subject, NID_commonName, -1) == -1);

            // Extension request: only a critical subjectAltName holding one URI.
            std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionsDeleter> extensions(
                X509_REQ_get_extensions(request.get()));
            BOOST_REQUIRE(extensions);
            BOOST_REQUIRE_EQUAL(sk_X509_EXTENSION_num(extensions.get()), 1);
            X509_EXTENSION* san = sk_X509_EXTENSION_value(extensions.get(), 0);
            BOOST_TEST(OBJ_obj2nid(X509_EXTENSION_get_object(san)) == NID_subject_alt_name);
            BOOST_TEST(X509_EXTENSION_get_critical(san) == 1);
            GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(san)));
            BOOST_REQUIRE(names);
            BOOST_REQUIRE_EQUAL(sk_GENERAL_NAME_num(names.get()), 1);
            GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), 0);
            BOOST_REQUIRE_EQUAL(name->type, GEN_URI);
            std::string const uri(reinterpret_cast<char const*>(ASN1_STRING_get0_data(name->d.uniformResourceIdentifier)),
                                  static_cast<std::size_t>(ASN1_STRING_length(name->d.uniformResourceIdentifier)));
            BOOST_TEST(uri == workload_id);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_test_ca_accepts_the_csr) {
    Hierarchy const h;
    auto const key = gic::test::reused_key(KeyAlgorithm::rsa2048);
    auto const csr = make_csr_pem(key, workload_id);
    BOOST_REQUIRE(csr.has_value());
    auto const leaf = h.intermediate.sign_workload(*csr, workload_id, 1h);
    BOOST_REQUIRE_MESSAGE(leaf.has_value(), (leaf ? "" : leaf.error().message));
    BOOST_TEST(leaf->matches_key(key));
}

BOOST_AUTO_TEST_CASE(valid_spiffe_ids_are_accepted) {
    for (std::string_view id : {"spiffe://cluster.local/ns/default/sa/default",
                                "spiffe://example.org/ns/istio-system/sa/gen-istio-cert",
                                "spiffe://td_1.example-2/ns/a/sa/with.dots", "spiffe://cluster.local/ns/A/sa/B"}) {
        BOOST_TEST_CONTEXT("identity " << id) {
            auto const valid = validate_spiffe_id(id);
            BOOST_TEST(valid.has_value(), (valid ? "" : valid.error().message));
        }
    }
}

BOOST_AUTO_TEST_CASE(invalid_spiffe_ids_are_rejected_with_the_reason) {
    struct Case {
        std::string_view id;
        std::string_view problem;
    };
    Case const cases[] = {
        {"", "it does not start with spiffe://"},
        {"http://cluster.local/ns/a/sa/b", "it does not start with spiffe://"},
        {"SPIFFE://cluster.local/ns/a/sa/b", "it does not start with spiffe://"},
        {"spiffe://", "the trust domain is empty"},
        {"spiffe:///ns/a/sa/b", "the trust domain is empty"},
        {"spiffe://Cluster.local/ns/a/sa/b", "the trust domain contains 'C'"},
        {"spiffe://cluster.local:443/ns/a/sa/b", "the trust domain contains ':'"},
        {"spiffe://cluster.local", "the path is missing"},
        {"spiffe://cluster.local/", "the path is not /ns/<namespace>/sa/<service-account>"},
        {"spiffe://cluster.local/ns/a", "the path is not /ns/<namespace>/sa/<service-account>"},
        {"spiffe://cluster.local/ns/a/sa/b/c", "the path is not /ns/<namespace>/sa/<service-account>"},
        {"spiffe://cluster.local/ns/a/sa/b/", "the path is not /ns/<namespace>/sa/<service-account>"},
        {"spiffe://cluster.local/namespace/a/sa/b", "the path is not /ns/<namespace>/sa/<service-account>"},
        {"spiffe://cluster.local/ns/a/serviceaccount/b", "the path is not /ns/<namespace>/sa/<service-account>"},
        {"spiffe://cluster.local/ns//sa/b", "the namespace is empty"},
        {"spiffe://cluster.local/ns/a/sa/", "the service account is empty"},
        {"spiffe://cluster.local/ns/../sa/b", "the namespace is a dot segment"},
        {"spiffe://cluster.local/ns/a b/sa/b", "the namespace contains ' '"},
        {"spiffe://cluster.local/ns/a/sa/b?x=1", "the service account contains '?'"},
    };
    auto const key = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT("identity \"" << c.id << "\"") {
            auto const expected = "invalid SPIFFE identity \"" + std::string(c.id) + "\": " + std::string(c.problem) +
                                  " (expected spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>)";
            auto const valid = validate_spiffe_id(c.id);
            BOOST_REQUIRE(!valid);
            BOOST_TEST(valid.error().message == expected);
            auto const csr = make_csr_pem(key, c.id);
            BOOST_REQUIRE(!csr);
            BOOST_TEST(csr.error().message == expected);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
