#include "kube/api_error.hpp"
#include "kube/status_parse.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace gic::kube;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(api_error)

BOOST_AUTO_TEST_CASE(status_body_gives_reason_and_message) {
    auto const e = api_error_from_response(
        404,
        R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"x\" not found",)"
        R"("reason":"NotFound","details":{"name":"x","kind":"secrets"},"code":404})",
        std::nullopt);
    BOOST_TEST(e.code == 404);
    BOOST_TEST(e.reason == "NotFound");
    BOOST_TEST(e.message == "secrets \"x\" not found");
    BOOST_TEST(e.is_not_found());
    BOOST_TEST(!e.retry_after.has_value());
}

BOOST_AUTO_TEST_CASE(a_hostile_status_cannot_add_lines_or_escapes_or_grow_the_description) {
    std::string const long_message(100000, 'm');
    auto e = api_error_from_response(
        500,
        R"({"kind":"Status","reason":"Internal\nError","message":"first\nlevel=error msg=\"forged\"\u001b[2J )" +
            long_message + R"("})",
        std::nullopt);
    BOOST_TEST(e.reason == "Internal Error");
    BOOST_TEST(e.message.find("first level=error msg=\"forged\"?[2J mmm") == 0);
    BOOST_TEST(e.message.size() == 512 + 3);
    e.verb = "update";
    e.resource = "secrets";
    auto const description = e.describe();
    BOOST_TEST(description.find('\n') == std::string::npos);
    BOOST_TEST(description.find('\x1b') == std::string::npos);
    BOOST_TEST(description.size() < 700);
}

BOOST_AUTO_TEST_CASE(already_exists_versus_conflict) {
    auto const exists = api_error_from_response(409, R"({"kind":"Status","reason":"AlreadyExists","message":"m"})", {});
    BOOST_TEST(exists.is_already_exists());
    BOOST_TEST(!exists.is_conflict());
    auto const conflict = api_error_from_response(409, R"({"kind":"Status","reason":"Conflict","message":"m"})", {});
    BOOST_TEST(conflict.is_conflict());
    BOOST_TEST(!conflict.is_already_exists());
}

BOOST_AUTO_TEST_CASE(retry_after_seconds_from_details) {
    auto const e = api_error_from_response(
        500, R"({"kind":"Status","reason":"InternalError","message":"m","details":{"retryAfterSeconds":3}})", {});
    BOOST_REQUIRE(e.retry_after.has_value());
    BOOST_TEST(e.retry_after->count() == 3);
}

BOOST_AUTO_TEST_CASE(retry_after_header_wins) {
    auto const e = api_error_from_response(
        429, R"({"kind":"Status","reason":"TooManyRequests","message":"m","details":{"retryAfterSeconds":3}})", 7s);
    BOOST_TEST(e.retry_after->count() == 7);
}

BOOST_AUTO_TEST_CASE(non_status_bodies_get_a_reason_from_the_code) {
    struct Case {
        int code;
        char const* reason;
    };
    for (auto const& c : {Case{404, "NotFound"}, Case{409, "Conflict"}, Case{422, "Invalid"}, Case{429, "TooManyRequests"},
                          Case{401, "Unauthorized"}, Case{403, "Forbidden"}, Case{500, "InternalError"},
                          Case{502, "InternalError"}, Case{503, "ServiceUnavailable"}, Case{504, "Timeout"},
                          Case{418, "Unknown"}}) {
        auto const e = api_error_from_response(c.code, "Too many requests, please try again later.\n", {});
        BOOST_TEST(e.code == c.code);
        BOOST_TEST(e.reason == c.reason, "code " << c.code << " gave " << e.reason);
        BOOST_TEST(e.message.find("Too many requests, please try again later.") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(json_that_is_not_a_status_is_not_used) {
    auto const e = api_error_from_response(404, R"({"kind":"Secret","reason":"Nope","message":"m"})", {});
    BOOST_TEST(e.reason == "NotFound");
}

BOOST_AUTO_TEST_CASE(retry_after_header_parsing) {
    BOOST_TEST(parse_retry_after("5")->count() == 5);
    BOOST_TEST(parse_retry_after(" 0 ")->count() == 0);
    BOOST_TEST(!parse_retry_after("").has_value());
    BOOST_TEST(!parse_retry_after("-1").has_value());
    BOOST_TEST(!parse_retry_after("1.5").has_value());
    BOOST_TEST(!parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").has_value());
}

BOOST_AUTO_TEST_CASE(describe_forbidden_names_the_rbac_rule) {
    ApiError e;
    e.code = 403;
    e.reason = "Forbidden";
    e.message = "secrets \"x\" is forbidden: User \"system:serviceaccount:ns:sa\" cannot update resource";
    e.verb = "update";
    e.resource = "secrets";
    e.namespace_ = "ns";
    e.name = "x";
    BOOST_TEST(e.describe() == "forbidden: RBAC must allow verb \"update\" on \"secrets\" in namespace \"ns\" (apiGroup \"\"): " +
                                   e.message);
    e.resource = "serviceaccounts/token";
    e.verb = "create";
    BOOST_TEST(e.describe().find("verb \"create\" on \"serviceaccounts/token\"") != std::string::npos);
    e.resource = "leases";
    e.api_group = "coordination.k8s.io";
    e.verb = "get";
    BOOST_TEST(e.describe().find("\"leases\" in namespace \"ns\" (apiGroup \"coordination.k8s.io\")") != std::string::npos);
    e.namespace_.clear();
    BOOST_TEST(e.describe().find("\"leases\" cluster-wide") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(describe_unauthorized_names_server_and_credentials) {
    ApiError e;
    e.code = 401;
    e.server = "https://10.0.0.1:443";
    e.credentials = "bearer token file /var/run/token from in-cluster config";
    auto const text = e.describe();
    BOOST_TEST(text.find("unauthorized by https://10.0.0.1:443: check the service-account token or kubeconfig "
                         "credentials (bearer token file /var/run/token from in-cluster config)") == 0);
}

BOOST_AUTO_TEST_CASE(describe_other_errors) {
    ApiError e;
    e.code = 409;
    e.reason = "Conflict";
    e.message = "the object has been modified";
    e.verb = "update";
    e.resource = "leases";
    e.namespace_ = "ns";
    e.name = "lock";
    BOOST_TEST(e.describe() == "update leases \"ns/lock\": 409 Conflict: the object has been modified");
    e.code = 0;
    e.message = "connecting to https://127.0.0.1:1: Connection refused";
    BOOST_TEST(e.describe() == "update leases \"ns/lock\": connecting to https://127.0.0.1:1: Connection refused");
    BOOST_TEST(e.is_transport());
    BOOST_TEST(e.is_retriable());
}

BOOST_AUTO_TEST_SUITE_END()
