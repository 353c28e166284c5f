#include "util/duration.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::util;
using namespace std::chrono;

BOOST_AUTO_TEST_SUITE(test_duration)

BOOST_AUTO_TEST_CASE(parses_go_durations) {
    BOOST_TEST(parse_go_duration("90s")->count() == duration_cast<nanoseconds>(seconds(90)).count());
    BOOST_TEST(parse_go_duration("15m")->count() == duration_cast<nanoseconds>(minutes(15)).count());
    BOOST_TEST(parse_go_duration("24h")->count() == duration_cast<nanoseconds>(hours(24)).count());
    BOOST_TEST(parse_go_duration("1h30m")->count() == duration_cast<nanoseconds>(minutes(90)).count());
    BOOST_TEST(parse_go_duration("500ms")->count() == duration_cast<nanoseconds>(milliseconds(500)).count());
    BOOST_TEST(parse_go_duration("1.5s")->count() == duration_cast<nanoseconds>(milliseconds(1500)).count());
    BOOST_TEST(parse_go_duration("0")->count() == 0);
}

BOOST_AUTO_TEST_CASE(rejects_malformed_durations) {
    for (auto bad : {"", "10", "h", "-5s", "5 s", "5x", "1..5s", "s5", "99999999999999h"})
        BOOST_TEST(!parse_go_duration(bad).has_value(), "accepted " << bad);
}

BOOST_AUTO_TEST_CASE(formats_like_go) {
    BOOST_TEST(format_go_duration(hours(87600)) == "87600h0m0s");
    BOOST_TEST(format_go_duration(hours(2160)) == "2160h0m0s");
    BOOST_TEST(format_go_duration(seconds(90)) == "1m30s");
    BOOST_TEST(format_go_duration(seconds(5)) == "5s");
    BOOST_TEST(format_go_duration(milliseconds(500)) == "500ms");
    BOOST_TEST(format_go_duration(nanoseconds(0)) == "0s");
}

BOOST_AUTO_TEST_SUITE_END()
