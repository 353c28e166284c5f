#include "util/time_bounds.hpp"
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

// Beyond system_clock's 2262 the conversion used to overflow, undefined behaviour that turned
// 9999-12-31 into 1816 (the overflow tests/fuzz/fuzz_token_claims found under UBSan). Clamped into
// [earliest_time, latest_time] (1970..2200) now.
BOOST_AUTO_TEST_CASE(times_beyond_the_clock_are_clamped_not_wrapped) {
    auto const end = parse_rfc3339("9999-12-31T23:59:59Z");
    BOOST_REQUIRE(end.has_value());
    BOOST_TEST((*end == system_clock::time_point(gic::util::latest_time)));
    BOOST_TEST((*parse_rfc3339("3000-01-01T01:00:00+01:00") == *end));
    auto const start = parse_rfc3339("0001-01-01T00:00:00Z");
    BOOST_REQUIRE(start.has_value());
    BOOST_TEST((*start == system_clock::time_point(gic::util::earliest_time)));
    BOOST_TEST((*parse_rfc3339("2027-01-15T08:00:00Z") == system_clock::from_time_t(1'800'000'000)));
}

BOOST_AUTO_TEST_SUITE_END()
