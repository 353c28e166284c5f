#include "observe/metrics_registry.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>

using namespace gic::observe;

BOOST_AUTO_TEST_SUITE(metrics_registry)

BOOST_AUTO_TEST_CASE(exposition_matches_the_golden_text) {
    Registry r;
    auto& requests = r.counter("app_requests_total", "Requests by code.", {"code", "path"});
    auto& temperature = r.gauge("app_temperature_celsius", "Current temperature.\nSecond line with a \\ backslash.");
    auto& latency = r.histogram("app_latency_seconds", "Latency.", {0.125, 0.5, 1});
    auto& started = r.counter("app_started_total", "Starts.");
    requests.with({"200", "/a"}).inc();
    requests.with({"200", "/a"}).inc(2);
    requests.with({"500", "say \"hi\"\\\nnext"}).inc();
    temperature.with({}).set(-3.5);
    latency.with({}).observe(0.0625);
    latency.with({}).observe(0.125);  // on the bound: counted in le="0.125"
    latency.with({}).observe(0.75);
    latency.with({}).observe(4);
    (void)started;

    std::string const golden =
        "# HELP app_requests_total Requests by code.\n"
        "# TYPE app_requests_total counter\n"
        "app_requests_total{code=\"200\",path=\"/a\"} 3\n"
        "app_requests_total{code=\"500\",path=\"say \\\"hi\\\"\\\\\\nnext\"} 1\n"
        "# HELP app_temperature_celsius Current temperature.\\nSecond line with a \\\\ backslash.\n"
        "# TYPE app_temperature_celsius gauge\n"
        "app_temperature_celsius -3.5\n"
        "# HELP app_latency_seconds Latency.\n"
        "# TYPE app_latency_seconds histogram\n"
        "app_latency_seconds_bucket{le=\"0.125\"} 2\n"
        "app_latency_seconds_bucket{le=\"0.5\"} 2\n"
        "app_latency_seconds_bucket{le=\"1\"} 3\n"
        "app_latency_seconds_bucket{le=\"+Inf\"} 4\n"
        "app_latency_seconds_sum 4.9375\n"
        "app_latency_seconds_count 4\n"
        "# HELP app_started_total Starts.\n"
        "# TYPE app_started_total counter\n"
        "app_started_total 0\n";
    BOOST_TEST(r.expose() == golden);
}

BOOST_AUTO_TEST_CASE(labelled_histogram_puts_le_last) {
    Registry r;
    auto& h = r.histogram("op_seconds", "Op.", {1, 2}, {"op"});
    h.with({"read"}).observe(1.5);
    std::string const expected =
        "# HELP op_seconds Op.\n"
        "# TYPE op_seconds histogram\n"
        "op_seconds_bucket{op=\"read\",le=\"1\"} 0\n"
        "op_seconds_bucket{op=\"read\",le=\"2\"} 1\n"
        "op_seconds_bucket{op=\"read\",le=\"+Inf\"} 1\n"
        "op_seconds_sum{op=\"read\"} 1.5\n"
        "op_seconds_count{op=\"read\"} 1\n";
    BOOST_TEST(r.expose() == expected);
}

BOOST_AUTO_TEST_CASE(a_labelled_family_without_children_has_only_its_header) {
    Registry r;
    r.gauge("g", "G.", {"secret"});
    BOOST_TEST(r.expose() == "# HELP g G.\n# TYPE g gauge\n");
}

BOOST_AUTO_TEST_CASE(histogram_buckets_are_cumulative) {
    Histogram h({1, 2, 5});
    for (double v : {0.5, 1.0, 1.5, 2.0, 3.0, 10.0, -1.0}) h.observe(v);
    BOOST_TEST(h.cumulative_counts() == (std::vector<std::uint64_t>{3, 5, 6, 7}), boost::test_tools::per_element());
    BOOST_TEST(h.count() == 7u);
    BOOST_TEST(h.sum() == 17.0);
}

BOOST_AUTO_TEST_CASE(sample_values_use_prometheus_spelling) {
    BOOST_TEST(format_sample_value(0) == "0");
    BOOST_TEST(format_sample_value(1764431186) == "1764431186");
    BOOST_TEST(format_sample_value(0.25) == "0.25");
    BOOST_TEST(format_sample_value(1e-7) == "1e-07");
    BOOST_TEST(format_sample_value(std::numeric_limits<double>::infinity()) == "+Inf");
    BOOST_TEST(format_sample_value(-std::numeric_limits<double>::infinity()) == "-Inf");
    BOOST_TEST(format_sample_value(std::nan("")) == "NaN");
}

BOOST_AUTO_TEST_CASE(label_values_and_help_are_escaped) {
    BOOST_TEST(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
    BOOST_TEST(escape_help("a\\b\"c\nd") == "a\\\\b\"c\\nd");
}

BOOST_AUTO_TEST_CASE(misuse_is_refused_with_a_message_naming_the_metric) {
    Registry r;
    auto& c = r.counter("x_total", "X.", {"a"});
    BOOST_CHECK_EXCEPTION(c.with({}), std::invalid_argument,
                          [](auto const& e) { return std::string(e.what()) == "metric x_total takes 1 label values, got 0"; });
    BOOST_CHECK_EXCEPTION(c.with({"v"}).inc(-1), std::invalid_argument,
                          [](auto const& e) { return std::string(e.what()) == "a counter cannot be decreased"; });
    BOOST_CHECK_EXCEPTION(r.gauge("x_total", "again"), std::invalid_argument,
                          [](auto const& e) { return std::string(e.what()) == "metric x_total is registered twice"; });
    BOOST_CHECK_EXCEPTION(r.gauge("1bad", "bad"), std::invalid_argument,
                          [](auto const& e) { return std::string(e.what()) == "invalid metric name '1bad'"; });
    BOOST_CHECK_EXCEPTION(r.gauge("ok", "bad label", {"a-b"}), std::invalid_argument,
                          [](auto const& e) { return std::string(e.what()) == "metric ok: invalid label name 'a-b'"; });
    BOOST_CHECK_EXCEPTION(r.gauge("ok2", "reserved", {"__x"}), std::invalid_argument,
                          [](auto const& e) { return std::string(e.what()) == "metric ok2: invalid label name '__x'"; });
    BOOST_CHECK_EXCEPTION(r.histogram("h", "le", {1}, {"le"}), std::invalid_argument,
                          [](auto const& e) { return std::string(e.what()) == "metric h: a histogram cannot have the label 'le'"; });
    BOOST_CHECK_EXCEPTION(r.histogram("h2", "bounds", {2, 1}), std::invalid_argument,
                          [](auto const& e) { return std::string(e.what()) == "histogram bounds must be strictly increasing"; });
    BOOST_CHECK_EXCEPTION(r.histogram("h3", "no bounds", {}), std::invalid_argument,
                          [](auto const& e) { return std::string(e.what()) == "histogram h3 needs at least one bucket bound"; });
}

BOOST_AUTO_TEST_SUITE_END()
