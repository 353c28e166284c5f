// What may be learned over the Kubernetes API at startup (check_bootstrap_trust), and minted
// tokens whose expiry lies past what time_point holds.

#include "agent/inputs/minted_token_source.hpp"
#include "agent/setup/settings.hpp"

#include "util/time_bounds.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace gic::agent;
using std::chrono::system_clock;

namespace {

gic::kube::RestConfig api(bool insecure) {
    gic::kube::RestConfig config;
    config.origin = "kubeconfig /k (context c)";
    config.insecure_skip_tls_verify = insecure;
    if (!insecure) config.ca_pem = "-----BEGIN CERTIFICATE-----";
    return config;
}

IdentityPlan plan(bool mint) {
    IdentityPlan p;
    p.target = WorkloadIdentity{"cluster.local", "ns", "sa"};
    p.mint_token = mint;
    return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_bootstrap_trust)

BOOST_AUTO_TEST_CASE(an_unverified_api_is_not_trusted_for_the_root_or_a_minted_token) {
    Options const options;
    auto const both = check_bootstrap_trust(api(true), plan(true), false, options);
    BOOST_REQUIRE(both.has_error());
    BOOST_TEST(both.error().message ==
               "kubeconfig /k (context c): insecure-skip-tls-verify is set, so the API server is not verified, yet the "
               "Istio root would be read from ConfigMap ns/istio-ca-root-cert and an Istio token minted with "
               "TokenRequest over that connection: a man-in-the-middle could hand out its own mesh root and capture "
               "the minted mesh credential. Set certificate-authority in the kubeconfig, or mount the root "
               "(--root-cert-path) and the token (--istio-token-path), or accept the risk with "
               "--insecure-allow-bootstrap-over-unverified-api");
    auto const root_only = check_bootstrap_trust(api(true), plan(false), false, options);
    BOOST_REQUIRE(root_only.has_error());
    BOOST_TEST(root_only.error().message.find("yet the Istio root would be read from ConfigMap ns/istio-ca-root-cert "
                                              "over that connection") != std::string::npos);
    auto const token_only = check_bootstrap_trust(api(true), plan(true), true, options);
    BOOST_REQUIRE(token_only.has_error());
    BOOST_TEST(token_only.error().message.find("yet an Istio token would be minted with TokenRequest over that "
                                               "connection") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(allowed_when_nothing_is_learned_or_the_flag_accepts_it) {
    Options options;
    BOOST_TEST(check_bootstrap_trust(api(true), plan(false), true, options).has_value());   // both mounted
    BOOST_TEST(check_bootstrap_trust(api(false), plan(true), false, options).has_value());  // verified
    options.insecure_allow_bootstrap_over_unverified_api = true;
    BOOST_TEST(check_bootstrap_trust(api(true), plan(true), false, options).has_value());
}

BOOST_AUTO_TEST_CASE(a_far_token_expiry_neither_overflows_nor_refreshes_at_once) {
    auto const answer = boost::json::parse(R"({"status":{"token":"t","expirationTimestamp":"9999-12-31T23:59:59Z"}})");
    auto const minted = gic::kube::parse_token_request_status(answer.as_object());
    BOOST_REQUIRE(minted.has_value());
    BOOST_TEST((minted->expires_at == system_clock::time_point(gic::util::latest_time)));
    auto const now = system_clock::now();
    auto const refresh = refresh_time(now, minted->expires_at);
    BOOST_TEST((refresh > now + std::chrono::hours(24 * 365 * 100)));
    BOOST_TEST((refresh < minted->expires_at));
}

BOOST_AUTO_TEST_SUITE_END()
