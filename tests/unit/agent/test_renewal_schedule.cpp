#include "agent/decisions/renewal_schedule.hpp"

#include "util/time_bounds.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::agent;
using namespace std::chrono;

BOOST_AUTO_TEST_SUITE(test_renewal_schedule)

BOOST_AUTO_TEST_CASE(renews_at_half_life_within_jitter) {
    RenewalSchedule schedule(RenewalPolicy{0.5, 0.01}, 42);
    auto created = system_clock::from_time_t(1'800'000'000);
    auto not_after = created + hours(24);
    for (int i = 0; i < 200; ++i) {
        auto at = schedule.renew_at(created, not_after);
        // 12 h +- 1 % of 24 h = +- 14.4 min, as in Istio.
        BOOST_TEST((at >= created + hours(12) - seconds(864)));
        BOOST_TEST((at <= created + hours(12) + seconds(864)));
    }
}

BOOST_AUTO_TEST_CASE(ratio_is_the_remaining_fraction) {
    RenewalSchedule schedule(RenewalPolicy{0.25, 0.0}, 1);
    auto created = system_clock::from_time_t(1'800'000'000);
    BOOST_TEST((schedule.renew_at(created, created + hours(4)) == created + hours(3)));
}

BOOST_AUTO_TEST_CASE(a_certificate_from_storage_counts_from_not_before) {
    auto nb = system_clock::from_time_t(1'800'000'000);
    BOOST_TEST((RenewalSchedule::created_from_not_before(nb, nb + hours(1)) == nb + minutes(2)));
    BOOST_TEST((RenewalSchedule::created_from_not_before(nb, nb + minutes(1)) == nb + minutes(1)));
}

BOOST_AUTO_TEST_CASE(sleeps_are_capped_so_wall_clock_jumps_are_noticed) {
    auto now = system_clock::from_time_t(1'800'000'000);
    BOOST_TEST(sleep_before_renewal(now + hours(12), now, minutes(5)).count() == 300'000);
    BOOST_TEST(sleep_before_renewal(now + seconds(3), now, minutes(5)).count() == 3'000);
    BOOST_TEST(sleep_before_renewal(now - seconds(3), now, minutes(5)).count() == 0);
}

BOOST_AUTO_TEST_CASE(a_certificate_that_never_expires_renews_far_away_without_overflow) {
    // notAfter 99991231235959Z reads as util::latest_time (2200); nanoseconds would overflow in 2262.
    RenewalSchedule schedule(RenewalPolicy{0.5, 0.01}, 7);
    auto const now = system_clock::from_time_t(1'800'000'000);
    auto const not_after = system_clock::time_point(gic::util::latest_time);
    auto const at = schedule.renew_at(now, not_after);
    BOOST_TEST((at > now + hours(24 * 365 * 80)));
    BOOST_TEST((at < not_after));
    BOOST_TEST(sleep_before_renewal(at, now, minutes(5)).count() == 300'000);
    // Extremes passed in directly are clamped before anything is subtracted.
    auto const extreme = schedule.renew_at(system_clock::time_point::min(), system_clock::time_point::max());
    BOOST_TEST((extreme > system_clock::time_point(gic::util::earliest_time)));
    BOOST_TEST((extreme < not_after));
    BOOST_TEST((RenewalSchedule::created_from_not_before(system_clock::time_point::max(), not_after) == not_after));
    BOOST_TEST(sleep_before_renewal(system_clock::time_point::max(), system_clock::time_point::min(), minutes(5)).count() ==
               300'000);
}

BOOST_AUTO_TEST_SUITE_END()
