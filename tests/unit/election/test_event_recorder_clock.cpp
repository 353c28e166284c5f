// The Event recorder on an injected API and clock (virtual time): what it posts, how each post is
// bounded when the API never answers, and that finish() ends exactly at its deadline.

#include "common/virtual_clock.hpp"
#include "election/event_recorder.hpp"
#include "fake_api_server.hpp"
#include "util/time_format.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>

using namespace gic;
using namespace gic::election;
using gic::sim::FakeApiEndpoint;
using gic::sim::FakeApiServer;
using gic::sim::Link;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct Fixture {
    testing::VirtualTime time{*util::parse_rfc3339("2026-12-07T12:00:00Z")};
    testing::VirtualClock clock{time, 90min};  // the process's wall clock is its own
    sim::Trace trace{time};
    FakeApiServer server{clock, trace};
    asio::io_context io;
    FakeApiEndpoint api{io.get_executor(), clock, server, "events", trace};
    EventRecorder recorder{io.get_executor(), api, clock, "gen-istio-cert"};

    Fixture() { api.set_latency(std::chrono::milliseconds(0)); }  // answers take no time

    void run_for(std::chrono::steady_clock::duration d) { testing::run_until(time, {&io}, time.now() + d); }
};

ObjectReference secret() { return {"Secret", "v1", "ns", "istio-certs", "uid-1", "42"}; }

asio::awaitable<void> finish_at(EventRecorder& recorder, util::Clock& clock, util::SteadyTime deadline,
                                std::optional<util::SteadyTime>& finished) {
    co_await recorder.finish(deadline);
    finished = clock.steady_now();
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(event_recorder_clock, Fixture)

BOOST_AUTO_TEST_CASE(posts_in_order_stamped_by_the_injected_wall_clock) {
    recorder.record(secret(), event_normal, "CertificateIssued", "first");
    auto const stamp = util::format_rfc3339(clock.wall_now());
    // An Event's name is its object's and the recording instant (nanoseconds): the API server
    // refuses a second one recorded at the very same instant, which only a virtual clock makes.
    run_for(1ms);
    recorder.record(secret(), event_warning, "CertificateIssueFailed", "second");
    run_for(0s);
    BOOST_TEST(recorder.posted() == 2u);
    BOOST_TEST(recorder.failed() == 0u);
    auto const events = server.all_of("events");
    BOOST_TEST_REQUIRE(events.size() == 2u);
    BOOST_TEST(events[0].at("message").as_string() == "first");
    BOOST_TEST(events[1].at("message").as_string() == "second");
    BOOST_TEST(events[0].at("firstTimestamp").as_string() == stamp);
    BOOST_TEST(stamp == "2026-12-07T13:30:00Z");
}

BOOST_AUTO_TEST_CASE(a_post_the_api_never_answers_fails_after_the_event_request_timeout) {
    api.set_link(Link::silent);
    recorder.record(secret(), event_normal, "CertificateIssued", "first");
    recorder.record(secret(), event_normal, "CertificateIssued", "second");
    run_for(event_request_timeout - 1ms);
    BOOST_TEST(recorder.failed() == 0u);
    run_for(1ms);
    BOOST_TEST(recorder.failed() == 1u);  // the first; the second is in flight now
    run_for(event_request_timeout);
    BOOST_TEST(recorder.failed() == 2u);
    api.set_link(Link::up);
    recorder.record(secret(), event_normal, "CertificateIssued", "third");
    run_for(0s);
    BOOST_TEST(recorder.posted() == 1u);
    BOOST_TEST(api.count("create") == 3);
}

BOOST_AUTO_TEST_CASE(finish_ends_exactly_at_its_deadline_and_drops_what_the_api_did_not_take) {
    api.set_link(Link::silent);
    for (int i = 0; i < 3; ++i) recorder.record(secret(), event_normal, "CertificateIssued", "issued");
    std::optional<util::SteadyTime> finished;
    auto const deadline = time.now() + 200ms;
    asio::co_spawn(io, finish_at(recorder, clock, deadline, finished), asio::detached);
    run_for(1h);
    BOOST_TEST_REQUIRE(finished.has_value());
    BOOST_TEST((*finished == deadline));
    BOOST_TEST(recorder.posted() == 0u);
    BOOST_TEST(recorder.failed() == 3u);  // one in flight, two queued
    BOOST_TEST(api.count("create") == 1);
    // Nothing is left waiting on the clock (the cut-off post's timeout went with it).
    BOOST_TEST(time.armed() == 0u);
    recorder.record(secret(), event_warning, "CertificateIssueFailed", "failed");
    BOOST_TEST(recorder.failed() == 4u);
}

BOOST_AUTO_TEST_CASE(finish_returns_at_once_when_the_queue_empties) {
    recorder.record(secret(), event_normal, "CertificateIssued", "issued");
    std::optional<util::SteadyTime> finished;
    auto const started = time.now();
    asio::co_spawn(io, finish_at(recorder, clock, started + 5s, finished), asio::detached);
    run_for(1h);
    BOOST_TEST_REQUIRE(finished.has_value());
    BOOST_TEST((*finished == started));
    BOOST_TEST(recorder.posted() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
