#include "agent/setup/token_claims.hpp"

#include "util/base64.hpp"
#include "util/time_bounds.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::agent;
using gic::util::base64url_encode;

namespace {

std::string jwt_with_payload(std::string const& payload) {
    return base64url_encode(R"({"alg":"RS256","kid":"k"})") + "." + base64url_encode(payload) + ".c2lnbmF0dXJl";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_token_claims)

BOOST_AUTO_TEST_CASE(projected_token) {
    auto claims = parse_token_claims(jwt_with_payload(
        R"({"aud":["istio-ca"],"exp":1800000000,"iat":1799996400,"iss":"https://kubernetes.default.svc.cluster.local",
            "kubernetes.io":{"namespace":"envoy-gateway-system","pod":{"name":"gw-0","uid":"u1"},
            "serviceaccount":{"name":"teg-istio","uid":"u2"}},"sub":"system:serviceaccount:envoy-gateway-system:teg-istio"})"));
    BOOST_REQUIRE(claims.has_value());
    BOOST_TEST(claims->namespace_ == "envoy-gateway-system");
    BOOST_TEST(claims->service_account == "teg-istio");
    BOOST_TEST(claims->pod_name == "gw-0");
    BOOST_TEST(claims->audiences.size() == 1u);
    BOOST_TEST(claims->audiences[0] == "istio-ca");
    BOOST_TEST(std::chrono::system_clock::to_time_t(*claims->expires_at) == 1800000000);
}

BOOST_AUTO_TEST_CASE(far_away_and_odd_expiry_values_are_clamped) {
    using gic::util::earliest_time;
    using gic::util::latest_time;
    using Clock = std::chrono::system_clock;
    auto expiry = [](std::string const& exp) {
        auto claims = parse_token_claims(jwt_with_payload(R"({"sub":"system:serviceaccount:ns:sa","exp":)" + exp + "}"));
        BOOST_REQUIRE(claims.has_value());
        BOOST_REQUIRE(claims->expires_at.has_value());
        return *claims->expires_at;
    };
    // Unclamped, 1e20 seconds is undefined behaviour as an integer and overflows nanoseconds.
    BOOST_TEST((expiry("1e20") == Clock::time_point(latest_time)));
    BOOST_TEST((expiry("18446744073709551615") == Clock::time_point(latest_time)));
    BOOST_TEST((expiry("253402300799") == Clock::time_point(latest_time)));  // 9999-12-31T23:59:59Z
    BOOST_TEST((expiry("-1e20") == Clock::time_point(earliest_time)));
    BOOST_TEST((expiry("-5") == Clock::time_point(earliest_time)));
    BOOST_TEST((expiry("-9223372036854775808") == Clock::time_point(earliest_time)));
    BOOST_TEST(Clock::to_time_t(expiry("1800000000.75")) == 1800000000);
    BOOST_TEST(Clock::to_time_t(expiry("1.8e9")) == 1800000000);
    // A remaining life computed from a clamped expiry does not overflow.
    BOOST_TEST((expiry("1e20") - Clock::now() > std::chrono::hours(24 * 365 * 100)));
}

BOOST_AUTO_TEST_CASE(subject_only_and_legacy_tokens) {
    auto sub = parse_token_claims(jwt_with_payload(R"({"sub":"system:serviceaccount:ns1:sa1","aud":"api"})"));
    BOOST_REQUIRE(sub.has_value());
    BOOST_TEST(sub->namespace_ == "ns1");
    BOOST_TEST(sub->service_account == "sa1");
    BOOST_TEST(sub->audiences.at(0) == "api");
    auto legacy = parse_token_claims(jwt_with_payload(
        R"({"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"ns2",
            "kubernetes.io/serviceaccount/service-account.name":"sa2"})"));
    BOOST_REQUIRE(legacy.has_value());
    BOOST_TEST(legacy->namespace_ == "ns2");
    BOOST_TEST(legacy->service_account == "sa2");
}

BOOST_AUTO_TEST_CASE(malformed_tokens_are_named) {
    BOOST_TEST(parse_token_claims("not-a-jwt").error().message == "not a JWT (expected three dot-separated segments)");
    BOOST_TEST(parse_token_claims("a.b.c.d").error().message == "not a JWT (expected three dot-separated segments)");
    BOOST_TEST(parse_token_claims("a.!!!.c").error().message == "not a JWT (the payload segment is not base64url)");
    BOOST_TEST(parse_token_claims("a..c").error().message == "not a JWT (the payload segment is not base64url)");
    BOOST_TEST(parse_token_claims(jwt_with_payload("[1,2]")).error().message ==
               "not a JWT (the payload is not a JSON object)");
    BOOST_TEST(parse_token_claims(jwt_with_payload(R"({"sub":"user:alice"})")).error().message.find("names no service account") !=
               std::string::npos);
}

// An `exp` beyond system_clock's 2262 used to overflow (found by tests/fuzz/fuzz_token_claims
// under UBSan); a huge one made the conversion to whole seconds undefined.
BOOST_AUTO_TEST_CASE(far_expiry_is_clamped_not_wrapped) {
    for (std::string exp : {"150000000000", "1e300", "-1e300"}) {
        BOOST_TEST_CONTEXT("exp " << exp) {
            auto claims = parse_token_claims(jwt_with_payload(R"({"sub":"system:serviceaccount:ns:sa","exp":)" + exp + "}"));
            BOOST_REQUIRE(claims.has_value());
            BOOST_REQUIRE(claims->expires_at.has_value());
            auto const clamped = exp[0] == '-' ? gic::util::earliest_time : gic::util::latest_time;
            BOOST_TEST((*claims->expires_at == std::chrono::system_clock::time_point(clamped)));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
