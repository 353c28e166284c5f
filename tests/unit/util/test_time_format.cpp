#include "util/time_format.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::util;
using namespace std::chrono;

BOOST_AUTO_TEST_SUITE(test_time_format)

BOOST_AUTO_TEST_CASE(formats_seconds_and_micro_time) {
    system_clock::time_point t = system_clock::from_time_t(1'800'000'000) + microseconds(42);
    BOOST_TEST(format_rfc3339(t) == "2027-01-15T08:00:00Z");
    BOOST_TEST(format_rfc3339_micro(t) == "2027-01-15T08:00:00.000042Z");
}

BOOST_AUTO_TEST_CASE(parses_kubernetes_timestamps) {
    auto base = system_clock::from_time_t(1'800'000'000);
    BOOST_TEST((*parse_rfc3339("2027-01-15T08:00:00Z") == base));
    BOOST_TEST((*parse_rfc3339("2027-01-15T08:00:00.000042Z") == base + microseconds(42)));
    BOOST_TEST((*parse_rfc3339("2027-01-15T09:00:00+01:00") == base));
    BOOST_TEST(!parse_rfc3339("2027-01-15 08:00:00Z"));
    BOOST_TEST(!parse_rfc3339("2027-01-15T08:00:00"));
    BOOST_TEST(!parse_rfc3339("2027-01-15T08:00:00.Z"));
}

BOOST_AUTO_TEST_SUITE_END()
