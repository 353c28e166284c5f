#include "agent/decisions/identity.hpp"

#include "agent/setup/settings.hpp"
#include "util/base64.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::agent;

namespace {

// A token whose claims name `ns`/`sa` (the signature is not checked when reading claims).
std::string token_for(std::string const& ns, std::string const& sa) {
    using gic::util::base64url_encode;
    auto payload = R"({"aud":["istio-ca"],"kubernetes.io":{"namespace":")" + ns + R"(","serviceaccount":{"name":")" + sa +
                   R"(","uid":"u"}},"sub":"system:serviceaccount:)" + ns + ":" + sa + R"("})";
    return base64url_encode(R"({"alg":"RS256"})") + "." + base64url_encode(payload) + ".c2ln";
}

}  // namespace

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

BOOST_AUTO_TEST_CASE(claimed_names_get_the_flags_rules) {
    BOOST_TEST(validate_claimed_names("envoy-gateway-system", "teg-istio").has_value());
    BOOST_TEST(validate_claimed_names("a/b", "sa").error().message.find("its namespace claim \"a/b\"") == 0);
    BOOST_TEST(validate_claimed_names("ns", "..").error().message.find("its service account claim \"..\"") == 0);
    BOOST_TEST(validate_claimed_names("ns", "a\r\nb").error().message.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(plan_identity_checks_names_from_the_token) {
    Options options;
    options.istio_token_path = "/token";
    auto plan = plan_identity(options, token_for("gw-ns", "gw"));
    BOOST_TEST_REQUIRE(plan.has_value());
    BOOST_TEST(plan->target.short_name() == "gw-ns/gw");

    auto bad_sa = plan_identity(options, token_for("gw-ns", ".."));
    BOOST_TEST_REQUIRE(!bad_sa.has_value());
    BOOST_TEST(bad_sa.error().message.find("Istio token (--istio-token-path) /token: its service account claim \"..\"") == 0,
               bad_sa.error().message);
    auto bad_ns = plan_identity(options, token_for("Upper", "gw"));
    BOOST_TEST_REQUIRE(!bad_ns.has_value());
    BOOST_TEST(bad_ns.error().message.find("its namespace claim \"Upper\" is not a valid namespace name") !=
               std::string::npos);

    // A long service account name from the claims would make the default Lease name invalid.
    auto long_sa = plan_identity(options, token_for("gw-ns", std::string(230, 's')));
    BOOST_TEST_REQUIRE(!long_sa.has_value());
    BOOST_TEST(long_sa.error().message.find("--leader-election-id: the default Lease name") == 0, long_sa.error().message);
    options.leader_election_id = "gw-lease";
    BOOST_TEST(plan_identity(options, token_for("gw-ns", std::string(230, 's'))).has_value());
    options.leader_election_id.clear();
    options.once = true;
    BOOST_TEST(plan_identity(options, token_for("gw-ns", std::string(230, 's'))).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
