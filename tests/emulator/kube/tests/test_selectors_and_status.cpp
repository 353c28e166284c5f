#include "api_status.hpp"
#include "faults.hpp"
#include "request.hpp"
#include "resources.hpp"
#include "selectors.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::emu::kube;
namespace json = boost::json;

namespace {

json::object object_with(std::string const& name, std::string const& ns, json::object labels) {
    return {{"metadata", json::object{{"name", name}, {"namespace", ns}, {"labels", std::move(labels)}}},
            {"type", "Opaque"}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(selectors)

BOOST_AUTO_TEST_CASE(field_selector_matches_name_and_namespace) {
    auto p = parse_field_selector("metadata.name=demo,metadata.namespace!=other", "secrets");
    BOOST_TEST_REQUIRE(p.has_value());
    BOOST_TEST((*p)(object_with("demo", "ns1", {})));
    BOOST_TEST(!(*p)(object_with("demo", "other", {})));
    BOOST_TEST(!(*p)(object_with("x", "ns1", {})));
}

BOOST_AUTO_TEST_CASE(field_selector_rejects_unknown_fields) {
    auto p = parse_field_selector("spec.foo=bar", "secrets");
    BOOST_TEST_REQUIRE(!p.has_value());
    BOOST_TEST(p.error().message == "field label not supported: spec.foo");
}

BOOST_AUTO_TEST_CASE(field_selector_rejects_a_term_without_operator) {
    auto p = parse_field_selector("metadata.name", "secrets");
    BOOST_TEST_REQUIRE(!p.has_value());
    BOOST_TEST(p.error().message.find("can't understand 'metadata.name'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(label_selector_operators) {
    auto obj = object_with("a", "ns", json::object{{"app", "web"}, {"tier", "front"}});
    auto check = [&](std::string const& sel) {
        auto p = parse_label_selector(sel);
        BOOST_TEST_REQUIRE(p.has_value(), sel);
        return (*p)(obj);
    };
    BOOST_TEST(check("app=web"));
    BOOST_TEST(check("app==web,tier"));
    BOOST_TEST(!check("app!=web"));
    BOOST_TEST(check("!missing"));
    BOOST_TEST(!check("missing"));
    BOOST_TEST(check("tier in (back, front)"));
    BOOST_TEST(!check("tier notin (back,front)"));
}

BOOST_AUTO_TEST_CASE(label_selector_rejects_unknown_set_operator) {
    auto p = parse_label_selector("tier within (a)");
    BOOST_TEST_REQUIRE(!p.has_value());
    BOOST_TEST(p.error().message == "unable to parse requirement: tier within (a)");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(status_errors)

BOOST_AUTO_TEST_CASE(not_found_names_group_resources_with_their_group) {
    auto e = not_found(*find_resource_type("coordination.k8s.io", "v1", "leases"), "l1");
    BOOST_TEST(e.message == "leases.coordination.k8s.io \"l1\" not found");
    auto s = e.to_status();
    BOOST_TEST(s.at("details").at("group").as_string() == "coordination.k8s.io");
    BOOST_TEST(s.at("details").at("kind").as_string() == "leases");
    BOOST_TEST(s.at("code").as_int64() == 404);
}

BOOST_AUTO_TEST_CASE(core_not_found_has_no_group) {
    auto s = not_found(*find_resource_type("", "v1", "secrets"), "x").to_status();
    BOOST_TEST(s.at("message").as_string() == "secrets \"x\" not found");
    BOOST_TEST(!s.at("details").as_object().contains("group"));
    BOOST_TEST(s.at("kind").as_string() == "Status");
    BOOST_TEST(s.at("status").as_string() == "Failure");
}

BOOST_AUTO_TEST_CASE(invalid_aggregates_several_errors_in_brackets) {
    auto e = invalid_object(*find_resource_type("", "v1", "secrets"), "t",
                            {FieldError::required("data[tls.crt]"), FieldError::required("data[tls.key]")});
    BOOST_TEST(e.message == "Secret \"t\" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]");
    auto causes = e.to_status().at("details").at("causes").as_array();
    BOOST_TEST(causes.size() == 2u);
    BOOST_TEST(causes[0].at("reason").as_string() == "FieldValueRequired");
    BOOST_TEST(causes[0].at("field").as_string() == "data[tls.crt]");
}

BOOST_AUTO_TEST_CASE(go_quoting_matches_percent_q) {
    BOOST_TEST(go_quote("a\"b") == "\"a\\\"b\"");
    BOOST_TEST(go_quote_list({"istio-ca", "x"}) == "[\"istio-ca\" \"x\"]");
    BOOST_TEST(go_quote_list({}) == "[]");
}

BOOST_AUTO_TEST_CASE(retry_after_goes_into_details) {
    auto e = status_from_code(429, "", "slow down");
    e.retry_after_seconds = 3;
    auto s = e.to_status();
    BOOST_TEST(s.at("reason").as_string() == "TooManyRequests");
    BOOST_TEST(s.at("details").at("retryAfterSeconds").as_int64() == 3);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(request_info)

BOOST_AUTO_TEST_CASE(parses_namespaced_subresource_requests) {
    auto i = parse_request_info(http::verb::post, "/api/v1/namespaces/ns1/serviceaccounts/agent/token");
    BOOST_TEST(i.resource_request);
    BOOST_TEST(i.verb == "create");
    BOOST_TEST(i.namespace_ == "ns1");
    BOOST_TEST(i.resource == "serviceaccounts");
    BOOST_TEST(i.name == "agent");
    BOOST_TEST(i.subresource == "token");
}

BOOST_AUTO_TEST_CASE(parses_group_lists_watches_and_queries) {
    auto i = parse_request_info(http::verb::get,
                                "/apis/coordination.k8s.io/v1/namespaces/ns/leases?watch=true&fieldSelector=metadata.name%3Dl1");
    BOOST_TEST(i.verb == "watch");
    BOOST_TEST(i.group == "coordination.k8s.io");
    BOOST_TEST(i.query_param("fieldSelector") == "metadata.name=l1");
    auto l = parse_request_info(http::verb::get, "/api/v1/namespaces/ns/secrets?limit=500");
    BOOST_TEST(l.verb == "list");
}

BOOST_AUTO_TEST_CASE(a_namespace_is_its_own_namespace) {
    auto i = parse_request_info(http::verb::get, "/api/v1/namespaces/ns1");
    BOOST_TEST(i.resource == "namespaces");
    BOOST_TEST(i.name == "ns1");
    BOOST_TEST(i.namespace_ == "ns1");
}

BOOST_AUTO_TEST_CASE(discovery_paths_are_not_resource_requests) {
    BOOST_TEST(!parse_request_info(http::verb::get, "/api/v1").resource_request);
    BOOST_TEST(!parse_request_info(http::verb::get, "/apis/rbac.authorization.k8s.io/v1").resource_request);
    BOOST_TEST(!parse_request_info(http::verb::get, "/version?timeout=32s").resource_request);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(fault_fires_count_times_on_matching_requests_only) {
    auto f = Fault::from_json(json::parse(R"({"verb":"update","resource":"secrets","name":"s","status":409,"count":2})"));
    BOOST_TEST_REQUIRE(f.has_value());
    FaultInjector inj;
    inj.add(*f);
    auto update = parse_request_info(http::verb::put, "/api/v1/namespaces/ns/secrets/s");
    auto get = parse_request_info(http::verb::get, "/api/v1/namespaces/ns/secrets/s");
    BOOST_TEST(!inj.take(get).has_value());
    BOOST_TEST(inj.take(update).has_value());
    BOOST_TEST(inj.take(update).has_value());
    BOOST_TEST(!inj.take(update).has_value());
}

BOOST_AUTO_TEST_CASE(fault_json_errors_name_the_field) {
    auto check = [](char const* body, std::string const& expected) {
        auto f = Fault::from_json(json::parse(body));
        BOOST_TEST_REQUIRE(!f.has_value());
        BOOST_TEST(f.error().message == expected);
    };
    check(R"({"status":"500"})", "fault: status must be an integer");
    check(R"({"status":200})", "fault: status must be a 4xx or 5xx code");
    check(R"({"status":500,"colour":1})", "fault: unknown field colour");
    check(R"({"verb":"get"})", "fault: set status, drop, delayMs, stallWatch or dropAfterEvents");
    check(R"({"status":500,"count":0})", "fault: count must be positive, or -1 for always");
    check(R"({"drop":"yes"})", "fault: drop must be a boolean");
}

BOOST_AUTO_TEST_SUITE_END()
