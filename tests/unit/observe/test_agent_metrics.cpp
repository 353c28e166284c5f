#include "observe/metrics.hpp"

#include <boost/test/unit_test.hpp>

#include <memory>

using namespace gic::observe;
using namespace std::chrono;

namespace {

bool has_line(std::string const& text, std::string const& line) { return text.find("\n" + line + "\n") != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_metrics)

BOOST_AUTO_TEST_CASE(target_metrics_are_labelled_by_secret) {
    AgentMetrics m("1.2.3");
    auto a = m.target("ns-a/istio-certs");
    auto b = m.target("ns-b/other");
    a.renewal_succeeded();
    b.renewal_failed(renewal_result_ca_unavailable);
    MetricReadings readings;
    readings.targets["ns-a/istio-certs"] = {system_clock::time_point(seconds(1764500000)),
                                            system_clock::time_point(seconds(1764400000))};
    readings.targets["ns-b/other"].certificate_not_after = system_clock::time_point(seconds(1764300000));
    m.read_from([&readings] { return readings; });
    auto text = m.expose();
    BOOST_TEST(has_line(text, R"(gen_istio_cert_certificate_not_after_seconds{secret="ns-a/istio-certs"} 1764500000)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_certificate_not_after_seconds{secret="ns-b/other"} 1764300000)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_last_successful_renewal_seconds{secret="ns-a/istio-certs"} 1764400000)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_renewals_total{secret="ns-a/istio-certs",result="success"} 1)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_renewals_total{secret="ns-b/other",result="ca_unavailable"} 1)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_last_successful_renewal_seconds{secret="ns-b/other"} 0)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_build_info{version="1.2.3"} 1)"), text);
    // What the agent no longer knows is no longer shown: the gauges follow every reading.
    readings.targets["ns-a/istio-certs"].certificate_not_after.reset();
    text = m.expose();
    BOOST_TEST(has_line(text, R"(gen_istio_cert_certificate_not_after_seconds{secret="ns-a/istio-certs"} 0)"), text);
}

BOOST_AUTO_TEST_CASE(a_target_shows_zero_until_its_readings_say_otherwise) {
    AgentMetrics m("1.2.3");
    (void)m.target("ns/istio-certs");
    auto text = m.expose();
    BOOST_TEST(has_line(text, R"(gen_istio_cert_certificate_not_after_seconds{secret="ns/istio-certs"} 0)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_last_successful_renewal_seconds{secret="ns/istio-certs"} 0)"), text);
    BOOST_TEST(has_line(text, "gen_istio_cert_leader 0"), text);
    BOOST_TEST(text.find("gen_istio_cert_renewals_total{") == std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(ca_and_kube_requests_are_counted) {
    auto const shared = std::make_shared<AgentMetrics>("0.1.0");
    auto& m = *shared;
    m.ca_request("OK", milliseconds(40));
    m.ca_request("UNAVAILABLE", seconds(2));
    auto observer = kube_request_observer(shared);
    observer("get", "secrets", 404, milliseconds(3));
    observer("create", "secrets", 201, milliseconds(5));
    observer("get", "secrets", 404, milliseconds(3));
    auto text = m.expose();
    BOOST_TEST(has_line(text, R"(gen_istio_cert_ca_requests_total{code="OK"} 1)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_ca_requests_total{code="UNAVAILABLE"} 1)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_ca_request_duration_seconds_bucket{le="0.05"} 1)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_ca_request_duration_seconds_bucket{le="2.5"} 2)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_ca_request_duration_seconds_count 2)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_ca_request_duration_seconds_sum 2.04)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_kube_requests_total{verb="get",resource="secrets",code="404"} 2)"), text);
    BOOST_TEST(has_line(text, R"(gen_istio_cert_kube_requests_total{verb="create",resource="secrets",code="201"} 1)"), text);
}

BOOST_AUTO_TEST_CASE(the_leader_gauge_and_its_transitions_follow_the_readings_and_reloads_count) {
    AgentMetrics m("0.1.0");
    MetricReadings readings;
    m.read_from([&readings] { return readings; });
    BOOST_TEST(has_line(m.expose(), "gen_istio_cert_leader 0"));
    readings.leader = true;
    readings.leader_transitions = 1;
    auto text = m.expose();
    BOOST_TEST(has_line(text, "gen_istio_cert_leader 1"), text);
    BOOST_TEST(has_line(text, "gen_istio_cert_leader_transitions_total 1"), text);
    readings.leader = false;
    readings.leader_transitions = 2;
    m.token_reloaded();
    m.root_reloaded();
    m.root_reloaded();
    text = m.expose();
    BOOST_TEST(has_line(text, "gen_istio_cert_leader 0"), text);
    BOOST_TEST(has_line(text, "gen_istio_cert_leader_transitions_total 2"), text);
    BOOST_TEST(has_line(text, "gen_istio_cert_token_reloads_total 1"), text);
    BOOST_TEST(has_line(text, "gen_istio_cert_root_reloads_total 2"), text);
    // A counter never goes down, whatever it is shown.
    readings.leader_transitions = 1;
    BOOST_TEST(has_line(m.expose(), "gen_istio_cert_leader_transitions_total 2"));
}

BOOST_AUTO_TEST_CASE(every_family_has_help_and_type_before_its_samples) {
    AgentMetrics m("0.1.0");
    auto text = m.expose();
    for (auto const* name : {"certificate_not_after_seconds", "last_successful_renewal_seconds", "renewals_total",
                             "ca_request_duration_seconds", "ca_requests_total", "kube_requests_total", "leader",
                             "leader_transitions_total", "token_reloads_total", "root_reloads_total", "build_info"}) {
        auto full = std::string("gen_istio_cert_") + name;
        BOOST_TEST(text.find("# HELP " + full + " ") != std::string::npos, full);
        BOOST_TEST(text.find("# TYPE " + full + " ") != std::string::npos, full);
    }
}

BOOST_AUTO_TEST_SUITE_END()
