// The Event recorder's bookkeeping without I/O: order, bounds, finishing, and what a cut-off counts.

#include "election/event_queue.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::election;
using Admission = EventQueue::Admission;

namespace {

QueuedEvent event(std::string what) { return QueuedEvent{gic::kube::Event{"ns", what, boost::json::object{{"message", what}}}, what}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(event_queue)

BOOST_AUTO_TEST_CASE(posts_in_order_one_at_a_time_and_counts_outcomes) {
    EventQueue queue(8);
    BOOST_TEST((queue.admit(event("first")) == Admission::queued));
    BOOST_TEST((queue.admit(event("second")) == Admission::queued));
    auto first = queue.take();
    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST(first->what == "first");
    BOOST_TEST(queue.in_flight());
    queue.settle(true);
    BOOST_TEST(!queue.in_flight());
    auto second = queue.take();
    BOOST_TEST_REQUIRE(second.has_value());
    BOOST_TEST(second->what == "second");
    queue.settle(false);
    BOOST_TEST(!queue.take().has_value());
    BOOST_TEST(queue.posted() == 1u);
    BOOST_TEST(queue.failed() == 1u);
    queue.settle(true);  // nothing in flight: nothing to count
    BOOST_TEST(queue.posted() == 1u);
}

BOOST_AUTO_TEST_CASE(a_full_queue_drops_and_counts_the_newest) {
    EventQueue queue(2);
    BOOST_TEST((queue.admit(event("1")) == Admission::queued));
    BOOST_TEST((queue.admit(event("2")) == Admission::queued));
    BOOST_TEST((queue.admit(event("3")) == Admission::dropped_full));
    BOOST_TEST(queue.failed() == 1u);
    BOOST_TEST(queue.queued() == 2u);
    // The one in flight no longer takes a place in the queue.
    (void)queue.take();
    BOOST_TEST((queue.admit(event("4")) == Admission::queued));
}

BOOST_AUTO_TEST_CASE(nothing_is_admitted_once_finishing_but_the_queue_still_drains) {
    EventQueue queue(8);
    (void)queue.admit(event("queued before"));
    queue.start_finishing();
    BOOST_TEST((queue.admit(event("late")) == Admission::dropped_finishing));
    BOOST_TEST(queue.failed() == 1u);
    auto next = queue.take();
    BOOST_TEST_REQUIRE(next.has_value());
    BOOST_TEST(next->what == "queued before");
}

BOOST_AUTO_TEST_CASE(a_cut_off_counts_the_queue_and_the_post_in_flight_once) {
    EventQueue queue(8);
    for (auto const* what : {"a", "b", "c"}) (void)queue.admit(event(what));
    (void)queue.take();  // "a" in flight
    BOOST_TEST(queue.cut_off() == 3u);
    BOOST_TEST(queue.failed() == 3u);
    BOOST_TEST(queue.cut());
    // The cancelled post ends afterwards: already counted.
    queue.settle(false);
    BOOST_TEST(queue.failed() == 3u);
    BOOST_TEST(!queue.take().has_value());
    BOOST_TEST(queue.cut_off() == 0u);
    BOOST_TEST((queue.admit(event("after")) == Admission::dropped_finishing));
    BOOST_TEST(queue.failed() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
