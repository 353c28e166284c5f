#include "observe/connection_slots.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::observe;

BOOST_AUTO_TEST_SUITE(connection_slots)

BOOST_AUTO_TEST_CASE(free_slots_admit_without_closing_anything) {
    ConnectionSlots slots(3);
    for (int i = 0; i < 3; ++i) {
        auto const a = slots.admit();
        BOOST_TEST(a.admitted.has_value());
        BOOST_TEST(!a.evicted.has_value());
    }
    BOOST_TEST(slots.size() == 3u);
}

BOOST_AUTO_TEST_CASE(when_full_the_oldest_idle_connection_makes_room) {
    ConnectionSlots slots(3);
    auto const first = *slots.admit().admitted;
    auto const second = *slots.admit().admitted;
    auto const third = *slots.admit().admitted;
    slots.set_idle(first, false);  // reading a request: never closed to make room
    auto const a = slots.admit();
    BOOST_TEST_REQUIRE(a.admitted.has_value());
    BOOST_TEST((a.evicted == second));
    BOOST_TEST(!slots.holds(second));
    BOOST_TEST(slots.holds(first));
    BOOST_TEST(slots.holds(third));
    BOOST_TEST(slots.size() == 3u);
    // Next in line: the third (idle), not the newest.
    BOOST_TEST((slots.admit().evicted == third));
}

BOOST_AUTO_TEST_CASE(when_every_connection_is_busy_the_new_one_is_refused) {
    ConnectionSlots slots(2);
    auto const first = *slots.admit().admitted;
    auto const second = *slots.admit().admitted;
    slots.set_idle(first, false);
    slots.set_idle(second, false);
    auto const refused = slots.admit();
    BOOST_TEST(!refused.admitted.has_value());
    BOOST_TEST(!refused.evicted.has_value());
    BOOST_TEST(slots.size() == 2u);
    // A connection back to waiting for its next request can make room again.
    slots.set_idle(second, true);
    BOOST_TEST((slots.admit().evicted == second));
    // One that ended frees its slot.
    slots.release(first);
    auto const after_release = slots.admit();
    BOOST_TEST(after_release.admitted.has_value());
    BOOST_TEST(!after_release.evicted.has_value());
}

BOOST_AUTO_TEST_CASE(an_evicted_connection_ending_later_frees_nothing) {
    ConnectionSlots slots(1);
    auto const first = *slots.admit().admitted;
    auto const second = slots.admit();
    BOOST_TEST((second.evicted == first));
    slots.release(first);  // its coroutine ends after the eviction
    BOOST_TEST(slots.size() == 1u);
    BOOST_TEST(slots.holds(*second.admitted));
    slots.set_idle(first, false);  // no effect on a connection that is gone
    BOOST_TEST(slots.size() == 1u);
}

BOOST_AUTO_TEST_CASE(attack_of_many_idle_connections_stays_within_capacity) {
    ConnectionSlots slots(64);
    std::size_t evictions = 0;
    for (int i = 0; i < 10'000; ++i) {
        auto const a = slots.admit();
        BOOST_TEST_REQUIRE(a.admitted.has_value());
        if (a.evicted) ++evictions;
    }
    BOOST_TEST(slots.size() == 64u);
    BOOST_TEST(evictions == 10'000u - 64u);
}

BOOST_AUTO_TEST_SUITE_END()
