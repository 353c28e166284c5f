// Event bodies as client-go's recorder writes them, the elector's configuration rules, identities.

#include "election/event_recorder.hpp"
#include "election/identity.hpp"
#include "election/leader_elector.hpp"
#include "util/time_format.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <regex>

using namespace gic;
using namespace gic::election;
namespace json = boost::json;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_SUITE(events_and_config)

BOOST_AUTO_TEST_CASE(leader_election_event_on_the_lease) {
    auto lease = json::parse(R"({"metadata":{"name":"teg-istio.gen-istio-cert.teg.tetrate.io","namespace":"ns",
        "uid":"0b1c","resourceVersion":"42"}})").as_object();
    auto involved = reference_to(kube::parse_object_meta(lease).value(), "Lease", "coordination.k8s.io/v1");
    auto const now = *util::parse_rfc3339("2026-11-29T16:00:01.5Z");
    auto const made = make_event(involved, event_normal, "LeaderElection", "gw-0_x became leader", "gw-0_x", now);
    auto const& event = made.body;
    auto const nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    char hex[32];
    std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(nanos));
    BOOST_TEST(event.at("metadata").at("name").as_string() == std::string("teg-istio.gen-istio-cert.teg.tetrate.io.") + hex);
    BOOST_TEST(event.at("metadata").at("namespace").as_string() == "ns");
    BOOST_TEST(made.namespace_ == "ns");  // where it is posted
    BOOST_TEST(made.name == std::string(event.at("metadata").at("name").as_string()));
    auto const& ref = event.at("involvedObject").as_object();
    BOOST_TEST(ref.at("kind").as_string() == "Lease");
    BOOST_TEST(ref.at("apiVersion").as_string() == "coordination.k8s.io/v1");
    BOOST_TEST(ref.at("name").as_string() == "teg-istio.gen-istio-cert.teg.tetrate.io");
    BOOST_TEST(ref.at("namespace").as_string() == "ns");
    BOOST_TEST(ref.at("uid").as_string() == "0b1c");
    BOOST_TEST(ref.at("resourceVersion").as_string() == "42");
    BOOST_TEST(event.at("type").as_string() == "Normal");
    BOOST_TEST(event.at("reason").as_string() == "LeaderElection");
    BOOST_TEST(event.at("message").as_string() == "gw-0_x became leader");
    BOOST_TEST(event.at("source").at("component").as_string() == "gw-0_x");
    BOOST_TEST(event.at("reportingComponent").as_string() == "gw-0_x");
    BOOST_TEST(event.at("firstTimestamp").as_string() == "2026-11-29T16:00:01Z");
    BOOST_TEST(event.at("lastTimestamp").as_string() == "2026-11-29T16:00:01Z");
    BOOST_TEST(event.at("count").as_int64() == 1);
    BOOST_TEST(!event.contains("eventTime"));  // would switch the server to strict validation
}

BOOST_AUTO_TEST_CASE(an_overlong_object_name_gets_a_random_event_name) {
    ObjectReference involved{"Secret", "v1", "ns", std::string(250, 'a'), "", ""};
    auto const event = make_event(involved, event_warning, "CertificateIssueFailed", "m", "c", std::chrono::system_clock::now()).body;
    auto const name = std::string(event.at("metadata").at("name").as_string());
    BOOST_TEST(name.size() <= 253u);
    BOOST_TEST(std::regex_match(name, std::regex("[0-9a-f]+")), name);
    BOOST_TEST(!event.at("involvedObject").as_object().contains("uid"));
}

struct BadConfig {
    char const* name;
    ElectorConfig config;
    char const* error;
};

BOOST_AUTO_TEST_CASE(config_rules_of_client_go) {
    ElectorConfig const good{"ns", "gic", "me_1", milliseconds(15'000), milliseconds(10'000), milliseconds(2'000), {}};
    BOOST_TEST(validate(good).has_value());
    auto with = [&](auto change) {
        auto c = good;
        change(c);
        return c;
    };
    std::vector<BadConfig> const cases = {
        {"no name", with([](ElectorConfig& c) { c.lease_name.clear(); }),
         "leader election: the Lease name (--leader-election-id) is empty"},
        {"no namespace", with([](ElectorConfig& c) { c.lease_namespace.clear(); }),
         "leader election: the Lease namespace (--leader-election-namespace) is empty"},
        {"no identity", with([](ElectorConfig& c) { c.identity.clear(); }), "leader election: the identity is empty"},
        {"zero retry", with([](ElectorConfig& c) { c.retry_period = milliseconds(0); }), "--retry-period: must be greater than zero"},
        {"sub-second lease", with([](ElectorConfig& c) {
             c.lease_duration = milliseconds(900);
             c.renew_deadline = milliseconds(800);
             c.retry_period = milliseconds(100);
         }),
         "--lease-duration: must be a whole number of seconds (the Lease records leaseDurationSeconds)"},
        {"fractional lease", with([](ElectorConfig& c) { c.lease_duration = milliseconds(15'500); }),
         "--lease-duration: must be a whole number of seconds (the Lease records leaseDurationSeconds)"},
        {"huge lease", with([](ElectorConfig& c) { c.lease_duration = std::chrono::hours(2); }),
         "--lease-duration: must be at most 1h0m0s (followers wait that long for a lost leader)"},
        {"hammering retry", with([](ElectorConfig& c) { c.retry_period = milliseconds(99); }),
         "--retry-period: must be at least 100ms (each period is a Lease request)"},
        {"zero deadline", with([](ElectorConfig& c) { c.renew_deadline = milliseconds(0); }),
         "--renew-deadline: must be greater than zero"},
        {"lease shorter than the leader's reach", with([](ElectorConfig& c) { c.lease_duration = milliseconds(11'000); }),
         "--lease-duration: must be at least --retry-period plus --renew-deadline (2s + 10s), use 12s or more: a leader "
         "keeps trying to renew that long after its last renewal, followers wait the lease duration"},
        {"bad lease name", with([](ElectorConfig& c) { c.lease_name = "a/b"; }),
         "--leader-election-id: \"a/b\" is not a valid Lease name: contains '/' (a DNS-1123 subdomain: at most 253 "
         "characters, dot-separated parts of lower-case letters, digits or '-', each starting and ending with a letter "
         "or digit)"},
        {"bad lease namespace", with([](ElectorConfig& c) { c.lease_namespace = "a.b"; }),
         "--leader-election-namespace: \"a.b\" is not a valid namespace name: contains '.' (a DNS-1123 label: at most "
         "63 lower-case letters, digits or '-', starting and ending with a letter or digit)"},
        {"lease == renew", with([](ElectorConfig& c) { c.renew_deadline = c.lease_duration; }),
         "--lease-duration: must be greater than --renew-deadline"},
        {"renew == 1.2 retry", with([](ElectorConfig& c) { c.retry_period = milliseconds(8'334); }),
         "--renew-deadline: must be greater than 1.2 x --retry-period"},
    };
    for (auto const& c : cases) {
        auto r = validate(c.config);
        BOOST_TEST_REQUIRE(!r.has_value(), c.name);
        BOOST_TEST(r.error().message == c.error);
    }
}

BOOST_AUTO_TEST_CASE(lease_covers_renew_deadline_and_one_request) {
    BOOST_TEST(lease_request_timeout(milliseconds(10'000)).count() == 5'000);
    BOOST_TEST(lease_request_timeout(milliseconds(1'500)).count() == 1'000);
    // client-go's defaults and the short timings of the tests and the sandbox fit.
    BOOST_TEST(validate_timings(milliseconds(15'000), milliseconds(10'000), milliseconds(2'000)).has_value());
    BOOST_TEST(validate_timings(milliseconds(3'000), milliseconds(2'000), milliseconds(500)).has_value());
    BOOST_TEST(validate_timings(milliseconds(3'600'000), milliseconds(1'800'000), milliseconds(60'000)).has_value());
    // The leader reaches retry period + renew deadline past its last renewal: the lease covers that.
    auto tight = validate_timings(milliseconds(12'000), milliseconds(10'000), milliseconds(3'000));
    BOOST_TEST_REQUIRE(!tight.has_value());
    BOOST_TEST(tight.error().message.find("(3s + 10s), use 13s or more") != std::string::npos, tight.error().message);
    BOOST_TEST(validate_timings(milliseconds(13'000), milliseconds(10'000), milliseconds(3'000)).has_value());
}

BOOST_AUTO_TEST_CASE(identity_is_pod_name_and_a_fresh_uuid) {
    auto const a = make_identity("gateway-0");
    auto const b = make_identity("gateway-0");
    std::regex const shape("gateway-0_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    BOOST_TEST(std::regex_match(a, shape), a);
    BOOST_TEST(std::regex_match(b, shape), b);
    BOOST_TEST(a != b);
    BOOST_TEST(default_lease_name("teg-istio") == "teg-istio.gen-istio-cert.teg.tetrate.io");
}

BOOST_AUTO_TEST_SUITE_END()
