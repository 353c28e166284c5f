#include "agent/identity.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::agent;

BOOST_AUTO_TEST_SUITE(test_identity)

BOOST_AUTO_TEST_CASE(spiffe_id_layout) {
    WorkloadIdentity id{"cluster.local", "envoy-gateway-system", "teg-istio"};
    BOOST_TEST(id.spiffe_id() == "spiffe://cluster.local/ns/envoy-gateway-system/sa/teg-istio");
    BOOST_TEST(validate_identity(id).has_value());
    BOOST_TEST(validate_identity({"example.org", "ns", "sa.with.dots"}).has_value());
}

BOOST_AUTO_TEST_CASE(invalid_parts_name_their_flag) {
    BOOST_TEST(validate_identity({"Cluster.Local", "ns", "sa"}).error().message.find("--trust-domain") == 0);
    BOOST_TEST(validate_identity({"td", "", "sa"}).error().message.find("--sa-namespace") == 0);
    BOOST_TEST(validate_identity({"td", "Bad_NS", "sa"}).error().message.find("--sa-namespace") == 0);
    BOOST_TEST(validate_identity({"td", "ns", "-sa"}).error().message.find("--sa-name") == 0);
    BOOST_TEST(validate_identity({"td", "ns", "a/b"}).error().message.find("--sa-name") == 0);
    BOOST_TEST(validate_identity({"td", std::string(64, 'a'), "sa"}).error().message.find("--sa-namespace") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
