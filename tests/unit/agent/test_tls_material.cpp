#include "agent/decisions/tls_material.hpp"

#include "fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>

using namespace gic;
using namespace gic::agent;

namespace {
std::string const id = "spiffe://cluster.local/ns/ns1/sa/sa1";
}

BOOST_AUTO_TEST_SUITE(test_tls_material)

BOOST_AUTO_TEST_CASE(round_trip_and_check) {
    auto ca = test::make_root();
    auto issued = test::issue(ca, id);
    auto parsed = parse_tls_material(issued.material());
    BOOST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->chain.leaf().serial_hex() == issued.chain.leaf().serial_hex());
    BOOST_TEST(check_stored(*parsed, id, {ca.cert()}, std::chrono::system_clock::now()).has_value());
}

BOOST_AUTO_TEST_CASE(stored_checks_fail_for_the_wrong_identity_root_or_time) {
    auto ca = test::make_root();
    auto other_root = test::make_root("other");
    auto stored = test::issue(ca, id);
    auto now = std::chrono::system_clock::now();
    BOOST_TEST(!check_stored(stored, "spiffe://cluster.local/ns/ns1/sa/other", {ca.cert()}, now));
    BOOST_TEST(!check_stored(stored, id, {other_root.cert()}, now));
    BOOST_TEST(!check_stored(stored, id, {ca.cert()}, now + std::chrono::hours(48)));
}

BOOST_AUTO_TEST_CASE(missing_or_bad_keys_are_named) {
    auto ca = test::make_root();
    auto m = test::issue(ca, id).material();
    auto without_key = m;
    without_key.key_pem.clear();
    BOOST_TEST(parse_tls_material(without_key).error().message == "tls.key is empty");
    auto bad_crt = m;
    bad_crt.chain_pem = "garbage";
    BOOST_TEST(parse_tls_material(bad_crt).error().message.find("tls.crt") == 0);
    auto bad_ca = m;
    bad_ca.roots_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    BOOST_TEST(parse_tls_material(bad_ca).error().message.find("ca.crt") == 0);
}

BOOST_AUTO_TEST_CASE(a_newer_valid_certificate_is_never_replaced) {
    auto ca = test::make_root();
    auto older = test::issue(ca, id);
    // notBefore has one-second resolution.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    auto newer = test::issue(ca, id);
    auto now = std::chrono::system_clock::now();
    BOOST_TEST(stored_is_newer(newer, older, id, {ca.cert()}, now));
    BOOST_TEST(!stored_is_newer(older, newer, id, {ca.cert()}, now));
    // A newer certificate for another identity, or from an untrusted root, does not count.
    auto other = test::issue(ca, "spiffe://cluster.local/ns/ns1/sa/other");
    BOOST_TEST(!stored_is_newer(other, older, id, {ca.cert()}, now));
    BOOST_TEST(!stored_is_newer(newer, older, id, {test::make_root("x").cert()}, now));
}

BOOST_AUTO_TEST_CASE(stored_material_is_newer_decides_as_stored_is_newer) {
    auto ca = test::make_root();
    auto older = test::issue(ca, id);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // notBefore has one-second resolution
    auto newer = test::issue(ca, id);
    auto other = test::issue(ca, "spiffe://cluster.local/ns/ns1/sa/other");
    auto now = std::chrono::system_clock::now();
    std::vector<pki::Certificate> const roots{ca.cert()};
    std::vector<pki::Certificate> const untrusted{test::make_root("x").cert()};
    BOOST_TEST(stored_material_is_newer(newer.material(), older, id, roots, now));
    BOOST_TEST(!stored_material_is_newer(older.material(), newer, id, roots, now));
    BOOST_TEST(!stored_material_is_newer(newer.material(), newer, id, roots, now));  // same notBefore
    BOOST_TEST(!stored_material_is_newer(other.material(), older, id, roots, now));
    BOOST_TEST(!stored_material_is_newer(newer.material(), older, id, untrusted, now));
    BOOST_TEST(!stored_material_is_newer(newer.material(), older, id, roots, now + std::chrono::hours(48)));
    // A later leaf with a key that is not its own, or with material that does not parse, is replaced.
    auto mismatched = newer.material();
    mismatched.key_pem = older.material().key_pem;
    BOOST_TEST(!stored_material_is_newer(mismatched, older, id, roots, now));
    for (auto broken : {&TlsMaterial::chain_pem, &TlsMaterial::key_pem, &TlsMaterial::roots_pem}) {
        auto material = newer.material();
        material.*broken = "garbage";
        BOOST_TEST(!stored_material_is_newer(material, older, id, roots, now));
        material.*broken = "";
        BOOST_TEST(!stored_material_is_newer(material, older, id, roots, now));
    }
}

BOOST_AUTO_TEST_SUITE_END()
