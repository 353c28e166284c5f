#include "util/backoff.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::util;
using namespace std::chrono;

BOOST_AUTO_TEST_SUITE(test_backoff)

BOOST_AUTO_TEST_CASE(grows_to_the_cap_within_jitter) {
    Backoff b(BackoffPolicy{milliseconds(500), 2.0, milliseconds(60'000), 0.1}, 7);
    long long expected = 500;
    for (int i = 0; i < 12; ++i) {
        auto d = b.next().count();
        BOOST_TEST(d >= expected * 0.9 - 1);
        BOOST_TEST(d <= expected * 1.1 + 1);
        expected = std::min<long long>(expected * 2, 60'000);
    }
}

BOOST_AUTO_TEST_CASE(reset_starts_over) {
    Backoff b(BackoffPolicy{milliseconds(100), 2.0, milliseconds(800), 0.0}, 1);
    BOOST_TEST(b.next().count() == 100);
    BOOST_TEST(b.next().count() == 200);
    b.reset();
    BOOST_TEST(b.next().count() == 100);
}

BOOST_AUTO_TEST_SUITE_END()
