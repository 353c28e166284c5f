#include "kube/rate_limiter.hpp"

#include <boost/test/unit_test.hpp>

using gic::kube::TokenBucket;
using namespace std::chrono_literals;
using Clock = TokenBucket::Clock;

BOOST_AUTO_TEST_SUITE(rate_limiter)

BOOST_AUTO_TEST_CASE(burst_is_free_then_qps_paces) {
    auto const t0 = Clock::time_point{} + 1h;
    TokenBucket bucket(5.0, 10, t0);
    for (int i = 0; i < 10; ++i) BOOST_TEST(bucket.reserve(t0).count() == 0, "request " << i);
    // The 11th waits one token's worth (200 ms at 5 QPS), the 12th two.
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(bucket.reserve(t0)).count() == 200);
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(bucket.reserve(t0)).count() == 400);
}

BOOST_AUTO_TEST_CASE(tokens_refill_over_time_up_to_burst) {
    auto const t0 = Clock::time_point{} + 1h;
    TokenBucket bucket(5.0, 10, t0);
    for (int i = 0; i < 10; ++i) (void)bucket.reserve(t0);
    BOOST_TEST(bucket.tokens_at(t0) == 0.0);
    BOOST_TEST(bucket.tokens_at(t0 + 1s) == 5.0);
    BOOST_TEST(bucket.tokens_at(t0 + 1h) == 10.0);
    BOOST_TEST(bucket.reserve(t0 + 400ms).count() == 0);
}

BOOST_AUTO_TEST_CASE(cancelled_reservation_is_returned) {
    auto const t0 = Clock::time_point{} + 1h;
    TokenBucket bucket(1.0, 1, t0);
    BOOST_TEST(bucket.reserve(t0).count() == 0);
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(bucket.reserve(t0)).count() == 1000);
    bucket.cancel_reservation();
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(bucket.reserve(t0)).count() == 1000);
}

BOOST_AUTO_TEST_CASE(non_positive_qps_disables_the_limit) {
    auto const t0 = Clock::time_point{} + 1h;
    TokenBucket bucket(0.0, 10, t0);
    for (int i = 0; i < 1000; ++i) BOOST_TEST(bucket.reserve(t0).count() == 0);
    TokenBucket negative(-1.0, 1, t0);
    BOOST_TEST(negative.reserve(t0).count() == 0);
    BOOST_TEST(negative.reserve(t0).count() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
