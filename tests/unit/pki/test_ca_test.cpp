#include "support.hpp"
#include "common/reused_keys.hpp"

#include "common/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/bn.h>

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

using namespace gic::pki;
using namespace gic::pki::test;
using gic::emu::CertificateAuthority;

namespace {

X509_EXTENSION* extension(Certificate const& cert, int nid) {
    int const index = X509_get_ext_by_NID(cert.get(), nid, -1);
    return index < 0 ? nullptr : X509_get_ext(cert.get(), index);
}

bool critical(Certificate const& cert, int nid) {
    X509_EXTENSION* ext = extension(cert, nid);
    return ext != nullptr && X509_EXTENSION_get_critical(ext) == 1;
}

std::string octets(ASN1_OCTET_STRING const* value) {
    if (value == nullptr) {
        return {};
    }
    return std::string(reinterpret_cast<char const*>(ASN1_STRING_get0_data(value)),
                       static_cast<std::size_t>(ASN1_STRING_length(value)));
}

std::vector<std::string> name_values(Certificate const& cert, int nid) {
    std::vector<std::string> out;
    X509_NAME* name = X509_get_subject_name(cert.get());
    for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(name, nid, i)) {
        ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
        out.emplace_back(reinterpret_cast<char const*>(ASN1_STRING_get0_data(data)),
                         static_cast<std::size_t>(ASN1_STRING_length(data)));
    }
    return out;
}

std::string tamper_signature(std::string const& csr_pem) {
    auto const request = parse_csr(csr_pem);
    BOOST_REQUIRE(request);
    unsigned char* der = nullptr;
    int const length = i2d_X509_REQ(request.get(), &der);
    BOOST_REQUIRE(length > 0);
    std::string bytes(reinterpret_cast<char const*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    bytes.back() = static_cast<char>(bytes.back() ^ 0x01);  // last byte of the RSA signature
    return der_to_pem("CERTIFICATE REQUEST", bytes);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_ca)

BOOST_AUTO_TEST_CASE(workload_leaf_is_shaped_like_istiods) {
    Hierarchy const h;
    auto const key = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    // The CSR asks for another identity: istiod ignores the CSR's SANs.
    auto const csr = make_csr_pem(key, "spiffe://cluster.local/ns/other/sa/other");
    BOOST_REQUIRE(csr.has_value());
    auto const before = Clock::now();
    auto const leaf = h.intermediate.sign_workload(*csr, workload_id, 1h);
    auto const after = Clock::now();
    BOOST_REQUIRE_MESSAGE(leaf.has_value(), (leaf ? "" : leaf.error().message));

    BOOST_TEST(leaf->matches_key(key));
    BOOST_TEST(X509_NAME_entry_count(X509_get_subject_name(leaf->get())) == 0);
    BOOST_TEST(leaf->uri_sans() == std::vector<std::string>{std::string(workload_id)});
    BOOST_TEST(critical(*leaf, NID_subject_alt_name));

    BOOST_TEST((X509_get_extension_flags(leaf->get()) & EXFLAG_BCONS) != 0u);
    BOOST_TEST(!leaf->is_ca());
    BOOST_TEST(critical(*leaf, NID_basic_constraints));
    BOOST_TEST(X509_get_key_usage(leaf->get()) == static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
    BOOST_TEST(X509_get_extended_key_usage(leaf->get()) == static_cast<uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));

    BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf->get()), nullptr));
    BOOST_TEST(BN_num_bits(serial.get()) <= 128);
    BOOST_TEST(BN_is_negative(serial.get()) == 0);

    // notBefore = now - 2 min; notAfter = now + ttl (same "now", whole seconds).
    BOOST_TEST(Clock::to_time_t(leaf->not_before()) >= Clock::to_time_t(before - 2min));
    BOOST_TEST(Clock::to_time_t(leaf->not_before()) <= Clock::to_time_t(after - 2min));
    BOOST_TEST(Clock::to_time_t(leaf->not_after()) - Clock::to_time_t(leaf->not_before()) == (1h + 2min) / 1s);

    BOOST_TEST(leaf->issuer() == h.intermediate.cert().subject());
    BOOST_TEST(octets(X509_get0_authority_key_id(leaf->get())) ==
               octets(X509_get0_subject_key_id(h.intermediate.cert().get())));
    BOOST_TEST(!octets(X509_get0_subject_key_id(leaf->get())).empty());
    BOOST_TEST(verify_chain({*leaf, h.intermediate.cert()}, {h.root.cert()}, Clock::now()).has_value());
}

BOOST_AUTO_TEST_CASE(serials_are_random) {
    Hierarchy const h;
    auto const a = h.intermediate.sign_workload_for_key(h.leaf_key, workload_id, 1h);
    auto const b = h.intermediate.sign_workload_for_key(h.leaf_key, workload_id, 1h);
    BOOST_TEST(a.serial_hex() != b.serial_hex());
    BOOST_TEST(a.serial_hex() != h.leaf.serial_hex());
}

BOOST_AUTO_TEST_CASE(leaf_never_outlives_its_ca) {
    auto const root = CertificateAuthority::create_root("Istio", "Short Root", KeyAlgorithm::ecdsa_p256, 1h);
    auto const key = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    auto const leaf = root.sign_workload_for_key(key, workload_id, 24h);
    BOOST_TEST(Clock::to_time_t(leaf.not_after()) == Clock::to_time_t(root.cert().not_after()));
}

BOOST_AUTO_TEST_CASE(leaf_is_signed_with_the_ca_keys_digest) {
    auto const p384 = CertificateAuthority::create_root("Istio", "P-384 Root", KeyAlgorithm::ecdsa_p384, 24h);
    auto const rsa = CertificateAuthority::create_root("Istio", "RSA Root", KeyAlgorithm::rsa2048, 24h);
    auto const key = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    BOOST_TEST(X509_get_signature_nid(p384.sign_workload_for_key(key, workload_id, 1h).get()) == NID_ecdsa_with_SHA384);
    BOOST_TEST(X509_get_signature_nid(rsa.sign_workload_for_key(key, workload_id, 1h).get()) ==
               NID_sha256WithRSAEncryption);
}

BOOST_AUTO_TEST_CASE(sign_workload_for_key_uses_that_key) {
    Hierarchy const h;
    auto const stranger = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    auto const leaf = h.intermediate.sign_workload_for_key(stranger, workload_id, 1h);
    BOOST_TEST(leaf.matches_key(stranger));
    BOOST_TEST(!leaf.matches_key(h.leaf_key));
}

BOOST_AUTO_TEST_CASE(bad_csrs_get_istiods_reasons) {
    Hierarchy const h;
    auto const not_pem = h.intermediate.sign_workload("garbage", workload_id, 1h);
    BOOST_REQUIRE(!not_pem);
    BOOST_TEST(not_pem.error().message == "certificate signing request is not properly encoded");

    auto const not_csr = h.intermediate.sign_workload(h.leaf.to_pem(), workload_id, 1h);
    BOOST_REQUIRE(!not_csr);
    BOOST_TEST(not_csr.error().message == "failed to parse X.509 certificate signing request");

    auto const key = gic::test::reused_key(KeyAlgorithm::rsa2048);
    auto const csr = make_csr_pem(key, workload_id);
    BOOST_REQUIRE(csr.has_value());
    auto const tampered = h.intermediate.sign_workload(tamper_signature(*csr), workload_id, 1h);
    BOOST_REQUIRE(!tampered);
    BOOST_TEST(tampered.error().message == "failed to check CSR signature");
}

BOOST_AUTO_TEST_CASE(root_and_intermediate_are_cas) {
    Hierarchy const h;
    for (auto const* ca : {&h.root, &h.intermediate}) {
        auto const& cert = ca->cert();
        BOOST_TEST_CONTEXT("CA " << cert.subject()) {
            BOOST_TEST(cert.is_ca());
            BOOST_TEST(critical(cert, NID_basic_constraints));
            BOOST_TEST(X509_get_key_usage(cert.get()) ==
                       static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE));
            BOOST_TEST(cert.matches_key(ca->key()));
            BOOST_TEST(!octets(X509_get0_subject_key_id(cert.get())).empty());
        }
    }
    BOOST_TEST(h.root.cert().is_self_signed());
    BOOST_TEST(h.intermediate.cert().issuer() == h.root.cert().subject());
    BOOST_TEST(octets(X509_get0_authority_key_id(h.intermediate.cert().get())) ==
               octets(X509_get0_subject_key_id(h.root.cert().get())));
    BOOST_TEST(Clock::to_time_t(h.intermediate.cert().not_after()) <= Clock::to_time_t(h.root.cert().not_after()));
    BOOST_TEST(verify_chain({h.intermediate.cert()}, {h.root.cert()}, Clock::now()).has_value());
}

BOOST_AUTO_TEST_CASE(server_certificate_serves_names_and_addresses) {
    Hierarchy const h;
    auto const server = h.intermediate.issue_server({"istiod.istio-system.svc", "localhost"}, {"127.0.0.1"}, 1h);
    BOOST_TEST(server.cert.matches_key(server.key));
    BOOST_TEST(server.cert.subject() == "CN=istiod.istio-system.svc");
    BOOST_TEST(X509_get_extended_key_usage(server.cert.get()) == static_cast<uint32_t>(XKU_SSL_SERVER));
    BOOST_TEST(!server.cert.is_ca());
    BOOST_TEST(X509_check_host(server.cert.get(), "istiod.istio-system.svc", 0, 0, nullptr) == 1);
    BOOST_TEST(X509_check_host(server.cert.get(), "localhost", 0, 0, nullptr) == 1);
    BOOST_TEST(X509_check_host(server.cert.get(), "istiod-remote.istio-system.svc", 0, 0, nullptr) == 0);
    BOOST_TEST(X509_check_ip_asc(server.cert.get(), "127.0.0.1", 0) == 1);
    BOOST_TEST(X509_check_ip_asc(server.cert.get(), "127.0.0.2", 0) == 0);
    BOOST_TEST(X509_check_purpose(server.cert.get(), X509_PURPOSE_SSL_SERVER, 0) == 1);
    BOOST_TEST(verify_chain({server.cert, h.intermediate.cert()}, {h.root.cert()}, Clock::now()).has_value());
}

BOOST_AUTO_TEST_CASE(server_certificate_key_follows_the_ca) {
    auto const rsa = CertificateAuthority::create_root("Istio", "RSA Root", KeyAlgorithm::rsa2048, 24h);
    BOOST_TEST(rsa.issue_server({"a.example"}, {}, 1h).key.algorithm() == KeyAlgorithm::rsa2048);
}

BOOST_AUTO_TEST_CASE(server_certificate_rejects_bad_input) {
    Hierarchy const h;
    BOOST_CHECK_THROW(h.root.issue_server({"a.example"}, {"not-an-ip"}, 1h), std::invalid_argument);
    BOOST_CHECK_THROW(h.root.issue_server({}, {}, 1h), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(client_certificate_carries_user_and_groups) {
    Hierarchy const h;
    auto const client = h.root.issue_client("system:admin", {"system:masters", "developers"}, 1h);
    BOOST_TEST(client.cert.matches_key(client.key));
    BOOST_TEST(name_values(client.cert, NID_commonName) == std::vector<std::string>{"system:admin"});
    BOOST_TEST(name_values(client.cert, NID_organizationName) ==
               (std::vector<std::string>{"system:masters", "developers"}));
    BOOST_TEST(X509_get_extended_key_usage(client.cert.get()) == static_cast<uint32_t>(XKU_SSL_CLIENT));
    BOOST_TEST(X509_check_purpose(client.cert.get(), X509_PURPOSE_SSL_CLIENT, 0) == 1);
    BOOST_TEST(verify_chain({client.cert}, {h.root.cert()}, Clock::now()).has_value());

    auto const no_groups = h.root.issue_client("alice", {}, 1h);
    BOOST_TEST(name_values(no_groups.cert, NID_organizationName).empty());
    BOOST_TEST(no_groups.cert.subject() == "CN=alice");
}

BOOST_AUTO_TEST_CASE(ca_loads_from_pem) {
    Hierarchy const h;
    auto const loaded = CertificateAuthority::from_pem(h.intermediate.cert().to_pem(), h.intermediate.key().to_pkcs8_pem());
    BOOST_REQUIRE_MESSAGE(loaded.has_value(), (loaded ? "" : loaded.error().message));
    auto const leaf = loaded->sign_workload_for_key(h.leaf_key, workload_id, 1h);
    BOOST_TEST(verify_chain({leaf, h.intermediate.cert()}, {h.root.cert()}, Clock::now()).has_value());
}

BOOST_AUTO_TEST_CASE(ca_from_pem_rejects_bad_parts) {
    Hierarchy const h;
    auto const mismatched = CertificateAuthority::from_pem(h.root.cert().to_pem(), h.intermediate.key().to_pkcs8_pem());
    BOOST_REQUIRE(!mismatched);
    BOOST_TEST(mismatched.error().message == "CA key does not match the CA certificate \"CN=Test Root CA,O=Test Org\"");

    auto const not_ca = CertificateAuthority::from_pem(h.leaf.to_pem(), h.leaf_key.to_pkcs8_pem());
    BOOST_REQUIRE(!not_ca);
    BOOST_TEST(not_ca.error().message == "CA certificate \"\" is not a CA (basicConstraints CA:TRUE missing)");

    auto const no_cert = CertificateAuthority::from_pem("", h.root.key().to_pkcs8_pem());
    BOOST_REQUIRE(!no_cert);
    BOOST_TEST(no_cert.error().message == "CA certificate: no PEM certificate found");

    auto const no_key = CertificateAuthority::from_pem(h.root.cert().to_pem(), "");
    BOOST_REQUIRE(!no_key);
    BOOST_TEST(no_key.error().message == "CA key: not a PEM private key: no -----BEGIN line");
}

BOOST_AUTO_TEST_CASE(write_file_atomic_writes_replaces_and_sets_the_mode) {
    gic::test::TempDir const dir("gic-test-ca");
    auto const path = dir.file("tls.key");
    gic::emu::write_file_atomic(path, "first", 0600);
    BOOST_TEST(gic::test::read_file(path) == "first");
    struct stat info {};
    BOOST_REQUIRE(::stat(path.c_str(), &info) == 0);
    BOOST_TEST((info.st_mode & 0777) == 0600u);

    gic::emu::write_file_atomic(path, "second");
    BOOST_TEST(gic::test::read_file(path) == "second");
    BOOST_REQUIRE(::stat(path.c_str(), &info) == 0);
    BOOST_TEST((info.st_mode & 0777) == 0644u);

    std::size_t entries = 0;
    for ([[maybe_unused]] auto const& entry : std::filesystem::directory_iterator(dir.path())) {
        ++entries;
    }
    BOOST_TEST(entries == 1u);  // no temporary file left behind
}

BOOST_AUTO_TEST_CASE(write_file_atomic_names_the_path_on_failure) {
    gic::test::TempDir const dir("gic-test-ca");
    auto const path = dir.file("missing/ca.crt");
    try {
        gic::emu::write_file_atomic(path, "x");
        BOOST_FAIL("expected an exception");
    } catch (std::system_error const& e) {
        BOOST_TEST(std::string(e.what()).find(path) != std::string::npos, e.what());
    }
}

BOOST_AUTO_TEST_SUITE_END()
