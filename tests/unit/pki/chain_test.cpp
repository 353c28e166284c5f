#include "support.hpp"

#include "common/process.hpp"
#include "common/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::pki;
using namespace gic::pki::test;

namespace {

std::string const verify_prefix = "certificate chain does not verify against the root bundle: ";

IssuedChain issued_from(Hierarchy const& h) {
    auto issued = split_ca_response(
        {h.leaf.to_pem(), h.intermediate.cert().to_pem(), h.root.cert().to_pem(), h.root.cert().to_pem()});
    BOOST_REQUIRE_MESSAGE(issued.has_value(), (issued ? "" : issued.error().message));
    return std::move(*issued);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pki_split_ca_response)

BOOST_AUTO_TEST_CASE(leaf_and_root) {
    auto const root = emu::CertificateAuthority::create_root("Istio", "Root", KeyAlgorithm::ecdsa_p256, 24h);
    auto const key = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    auto const leaf = root.sign_workload_for_key(key, workload_id, 1h);
    auto const issued = split_ca_response({leaf.to_pem(), root.cert().to_pem()});
    BOOST_REQUIRE_MESSAGE(issued.has_value(), (issued ? "" : issued.error().message));
    BOOST_TEST(fingerprints(issued->chain) == std::vector<std::string>{leaf.fingerprint_sha256()});
    BOOST_TEST(fingerprints(issued->roots) == std::vector<std::string>{root.cert().fingerprint_sha256()});
    BOOST_TEST(issued->leaf().fingerprint_sha256() == leaf.fingerprint_sha256());
    BOOST_TEST(issued->chain_pem() == leaf.to_pem());
    BOOST_TEST(issued->roots_pem() == root.cert().to_pem());
}

BOOST_AUTO_TEST_CASE(the_trusted_root_is_reused_not_decoded_again) {
    Hierarchy const h;
    std::vector<Certificate> const trusted{h.root.cert()};
    auto const issued = split_ca_response({h.leaf.to_pem(), h.intermediate.cert().to_pem(), h.root.cert().to_pem()}, trusted);
    BOOST_REQUIRE_MESSAGE(issued.has_value(), (issued ? "" : issued.error().message));
    BOOST_TEST(issued->roots.at(0).get() == h.root.cert().get());
    BOOST_TEST(fingerprints(issued->chain) ==
               (std::vector<std::string>{h.leaf.fingerprint_sha256(), h.intermediate.cert().fingerprint_sha256()}));
}

BOOST_AUTO_TEST_CASE(plugged_ca_repeats_the_root) {
    Hierarchy const h;
    auto const issued = issued_from(h);
    BOOST_TEST(fingerprints(issued.chain) ==
               (std::vector<std::string>{h.leaf.fingerprint_sha256(), h.intermediate.cert().fingerprint_sha256()}));
    BOOST_TEST(fingerprints(issued.roots) == std::vector<std::string>{h.root.cert().fingerprint_sha256()});
    BOOST_TEST(issued.chain_pem() == h.leaf.to_pem() + h.intermediate.cert().to_pem());
}

BOOST_AUTO_TEST_CASE(element_with_several_blocks_before_istio_1_26) {
    Hierarchy const h;
    auto const issued = split_ca_response({h.leaf.to_pem() + h.intermediate.cert().to_pem() + h.root.cert().to_pem(),
                                           h.root.cert().to_pem()});
    BOOST_REQUIRE_MESSAGE(issued.has_value(), (issued ? "" : issued.error().message));
    BOOST_TEST(fingerprints(issued->chain) ==
               (std::vector<std::string>{h.leaf.fingerprint_sha256(), h.intermediate.cert().fingerprint_sha256()}));
    BOOST_TEST(issued->roots.size() == 1u);
}

BOOST_AUTO_TEST_CASE(root_bundle_may_hold_several_roots) {
    Hierarchy const h;
    auto const next_root = emu::CertificateAuthority::create_root("Istio", "Next Root", KeyAlgorithm::ecdsa_p256, 24h);
    auto const issued = split_ca_response(
        {h.leaf.to_pem(), h.intermediate.cert().to_pem(), h.root.cert().to_pem() + next_root.cert().to_pem()});
    BOOST_REQUIRE_MESSAGE(issued.has_value(), (issued ? "" : issued.error().message));
    BOOST_TEST(issued->chain.size() == 2u);
    BOOST_TEST(fingerprints(issued->roots) ==
               (std::vector<std::string>{h.root.cert().fingerprint_sha256(), next_root.cert().fingerprint_sha256()}));
}

BOOST_AUTO_TEST_CASE(fewer_than_two_elements) {
    Hierarchy const h;
    auto const one = split_ca_response({h.leaf.to_pem()});
    BOOST_REQUIRE(!one);
    BOOST_TEST(one.error().message == "invalid empty CertChain (the CA returned 1 element)");
    auto const none = split_ca_response({});
    BOOST_REQUIRE(!none);
    BOOST_TEST(none.error().message == "invalid empty CertChain (the CA returned 0 elements)");
}

BOOST_AUTO_TEST_CASE(element_without_certificate_is_named) {
    Hierarchy const h;
    auto const middle = split_ca_response({h.leaf.to_pem(), "", h.root.cert().to_pem()});
    BOOST_REQUIRE(!middle);
    BOOST_TEST(middle.error().message == "CA response cert_chain[1]: no PEM certificate found");

    auto const first = split_ca_response({"not a certificate", h.root.cert().to_pem()});
    BOOST_REQUIRE(!first);
    BOOST_TEST(first.error().message == "CA response cert_chain[0]: no PEM certificate found");

    auto const last = split_ca_response({h.leaf.to_pem(), h.intermediate.cert().to_pem(), "garbage"});
    BOOST_REQUIRE(!last);
    BOOST_TEST(last.error().message == "CA response cert_chain[2] (the root bundle): no PEM certificate found");
}

BOOST_AUTO_TEST_CASE(broken_block_inside_an_element_is_named) {
    Hierarchy const h;
    auto const broken = h.intermediate.cert().to_pem() +
                        "-----BEGIN CERTIFICATE-----\nTUlJQm9uZQ==\n-----END CERTIFICATE-----\n";
    auto const issued = split_ca_response({h.leaf.to_pem(), broken, h.root.cert().to_pem()});
    BOOST_REQUIRE(!issued);
    BOOST_TEST(issued.error().message.starts_with("CA response cert_chain[1]: PEM certificate #2 does not parse: "),
               issued.error().message);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pki_verify_chain)

BOOST_AUTO_TEST_CASE(verifies_through_the_intermediate) {
    Hierarchy const h;
    auto const issued = issued_from(h);
    auto const verified = verify_chain(issued.chain, issued.roots, Clock::now());
    BOOST_TEST(verified.has_value(), (verified ? "" : verified.error().message));
}

BOOST_AUTO_TEST_CASE(finds_its_root_among_several) {
    Hierarchy const h;
    auto const other = emu::CertificateAuthority::create_root("Other", "Other Root", KeyAlgorithm::ecdsa_p256, 24h);
    auto const issued = issued_from(h);
    auto const verified = verify_chain(issued.chain, {other.cert(), h.root.cert()}, Clock::now());
    BOOST_TEST(verified.has_value(), (verified ? "" : verified.error().message));
}

BOOST_AUTO_TEST_CASE(duplicate_roots_are_harmless) {
    Hierarchy const h;
    auto const issued = issued_from(h);
    auto const verified = verify_chain(issued.chain, {h.root.cert(), h.root.cert()}, Clock::now());
    BOOST_TEST(verified.has_value(), (verified ? "" : verified.error().message));
}

BOOST_AUTO_TEST_CASE(wrong_root) {
    Hierarchy const h;
    auto const other = emu::CertificateAuthority::create_root("Other", "Other Root", KeyAlgorithm::ecdsa_p256, 24h);
    auto const issued = issued_from(h);
    auto const verified = verify_chain(issued.chain, {other.cert()}, Clock::now());
    BOOST_REQUIRE(!verified);
    BOOST_TEST(verified.error().message == verify_prefix + "unable to get local issuer certificate at depth 1");
}

BOOST_AUTO_TEST_CASE(missing_intermediate) {
    Hierarchy const h;
    auto const verified = verify_chain({h.leaf}, {h.root.cert()}, Clock::now());
    BOOST_REQUIRE(!verified);
    BOOST_TEST(verified.error().message == verify_prefix + "unable to get local issuer certificate at depth 0");
}

BOOST_AUTO_TEST_CASE(intermediate_as_trust_anchor_is_not_enough) {
    // Partial chains are off: the path must end at a self-signed root in the bundle.
    Hierarchy const h;
    auto const verified = verify_chain({h.leaf}, {h.intermediate.cert()}, Clock::now());
    BOOST_REQUIRE(!verified);
    BOOST_TEST(verified.error().message.starts_with(verify_prefix), verified.error().message);
}

BOOST_AUTO_TEST_CASE(expired_leaf) {
    Hierarchy const h;
    auto const issued = issued_from(h);
    auto const verified = verify_chain(issued.chain, issued.roots, Clock::now() + 2h);
    BOOST_REQUIRE(!verified);
    BOOST_TEST(verified.error().message == verify_prefix + "certificate has expired at depth 0");
}

BOOST_AUTO_TEST_CASE(not_yet_valid) {
    Hierarchy const h;
    auto const issued = issued_from(h);
    auto const verified = verify_chain(issued.chain, issued.roots, Clock::now() - 1h);
    BOOST_REQUIRE(!verified);
    BOOST_TEST(verified.error().message.starts_with(verify_prefix + "certificate is not yet valid at depth "),
               verified.error().message);
}

BOOST_AUTO_TEST_CASE(empty_inputs) {
    Hierarchy const h;
    auto const no_chain = verify_chain({}, {h.root.cert()}, Clock::now());
    BOOST_REQUIRE(!no_chain);
    BOOST_TEST(no_chain.error().message == verify_prefix + "the chain is empty");
    auto const no_roots = verify_chain({h.leaf}, {}, Clock::now());
    BOOST_REQUIRE(!no_roots);
    BOOST_TEST(no_roots.error().message == verify_prefix + "the root bundle is empty");
}

BOOST_AUTO_TEST_CASE(openssl_cli_agrees) {
    // An independent verifier over the same files: the openssl command line.
    Hierarchy const h;
    auto const other = emu::CertificateAuthority::create_root("Other", "Other Root", KeyAlgorithm::ecdsa_p256, 24h);
    gic::test::TempDir const dir("gic-pki");
    gic::test::write_file(dir.file("leaf.pem"), h.leaf.to_pem());
    gic::test::write_file(dir.file("intermediate.pem"), h.intermediate.cert().to_pem());
    gic::test::write_file(dir.file("root.pem"), h.root.cert().to_pem());
    gic::test::write_file(dir.file("other.pem"), other.cert().to_pem());

    auto const good = gic::test::run_process({"openssl", "verify", "-CAfile", dir.file("root.pem"), "-untrusted",
                                              dir.file("intermediate.pem"), dir.file("leaf.pem")});
    BOOST_TEST(good.exit_code == 0, good.out + good.err);
    BOOST_TEST(good.out.find(": OK") != std::string::npos, good.out);
    BOOST_TEST(verify_chain({h.leaf, h.intermediate.cert()}, {h.root.cert()}, Clock::now()).has_value());

    auto const bad = gic::test::run_process({"openssl", "verify", "-CAfile", dir.file("other.pem"), "-untrusted",
                                             dir.file("intermediate.pem"), dir.file("leaf.pem")});
    BOOST_TEST(bad.exit_code != 0, bad.out + bad.err);
    BOOST_TEST(!verify_chain({h.leaf, h.intermediate.cert()}, {other.cert()}, Clock::now()).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pki_validate_issued)

BOOST_AUTO_TEST_CASE(accepts_a_good_chain) {
    Hierarchy const h;
    auto const issued = issued_from(h);
    auto const valid = validate_issued(issued, h.leaf_key, workload_id, issued.roots, Clock::now());
    BOOST_TEST(valid.has_value(), (valid ? "" : valid.error().message));
}

BOOST_AUTO_TEST_CASE(wrong_identity) {
    Hierarchy const h;
    auto const issued = issued_from(h);
    auto const valid =
        validate_issued(issued, h.leaf_key, "spiffe://cluster.local/ns/a/sa/b", issued.roots, Clock::now());
    BOOST_REQUIRE(!valid);
    BOOST_TEST(valid.error().message == "leaf identity is \"" + std::string(workload_id) +
                                            "\", expected \"spiffe://cluster.local/ns/a/sa/b\"");
}

BOOST_AUTO_TEST_CASE(wrong_key) {
    Hierarchy const h;
    auto const issued = issued_from(h);
    auto const other_key = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    auto const valid = validate_issued(issued, other_key, workload_id, issued.roots, Clock::now());
    BOOST_REQUIRE(!valid);
    BOOST_TEST(valid.error().message == "leaf public key does not match the generated key");
}

BOOST_AUTO_TEST_CASE(extra_uri_san) {
    Hierarchy const h;
    std::string const extra = "spiffe://cluster.local/ns/kube-system/sa/admin";
    auto const leaf = leaf_with_uris(h.intermediate, h.leaf_key, {std::string(workload_id), extra});
    auto const issued = split_ca_response({leaf.to_pem(), h.intermediate.cert().to_pem(), h.root.cert().to_pem()});
    BOOST_REQUIRE(issued.has_value());
    auto const valid = validate_issued(*issued, h.leaf_key, workload_id, issued->roots, Clock::now());
    BOOST_REQUIRE(!valid);
    BOOST_TEST(valid.error().message == "leaf has 2 URI SANs (\"" + std::string(workload_id) + "\", \"" + extra +
                                            "\"), expected exactly \"" + std::string(workload_id) + "\"");
}

BOOST_AUTO_TEST_CASE(no_uri_san) {
    Hierarchy const h;
    auto const server = h.intermediate.issue_server({"not-a-workload.example"}, {}, 1h);
    auto const issued = split_ca_response({server.cert.to_pem(), h.intermediate.cert().to_pem(), h.root.cert().to_pem()});
    BOOST_REQUIRE(issued.has_value());
    auto const valid = validate_issued(*issued, server.key, workload_id, issued->roots, Clock::now());
    BOOST_REQUIRE(!valid);
    BOOST_TEST(valid.error().message == "leaf has no URI SAN, expected \"" + std::string(workload_id) + "\"");
}

BOOST_AUTO_TEST_CASE(wrong_root) {
    Hierarchy const h;
    auto const issued = issued_from(h);
    auto const other = emu::CertificateAuthority::create_root("Other", "Other Root", KeyAlgorithm::ecdsa_p256, 24h);
    auto const valid = validate_issued(issued, h.leaf_key, workload_id, {other.cert()}, Clock::now());
    BOOST_REQUIRE(!valid);
    BOOST_TEST(valid.error().message == verify_prefix + "unable to get local issuer certificate at depth 1");
}

BOOST_AUTO_TEST_CASE(expired_leaf) {
    Hierarchy const h;
    auto const issued = issued_from(h);
    auto const valid = validate_issued(issued, h.leaf_key, workload_id, issued.roots, Clock::now() + 3h);
    BOOST_REQUIRE(!valid);
    BOOST_TEST(valid.error().message == verify_prefix + "certificate has expired at depth 0");
}

BOOST_AUTO_TEST_CASE(identity_is_checked_before_the_key) {
    // The first failing check is the one reported.
    Hierarchy const h;
    auto const issued = issued_from(h);
    auto const other_key = PrivateKey::generate(KeyAlgorithm::ecdsa_p256);
    auto const valid = validate_issued(issued, other_key, "spiffe://cluster.local/ns/a/sa/b", issued.roots, Clock::now());
    BOOST_REQUIRE(!valid);
    BOOST_TEST(valid.error().message.starts_with("leaf identity is "), valid.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
