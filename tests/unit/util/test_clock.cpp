// The time seam: Timer over the machine's clock and over virtual time behaves the same way
// (deadline -> true, cancel() -> false, coroutine cancellation -> operation_aborted), and virtual
// time fires deadlines in order, exactly on time, without waiting.

#include "common/virtual_clock.hpp"
#include "util/clock.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace gic;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

util::WallTime const wall_start = util::WallTime{} + std::chrono::hours(24 * 365 * 56);

// One wait on `timer`: "fired", "woken" or "aborted".
asio::awaitable<void> wait_into(util::Timer& timer, std::string& outcome) {
    try {
        outcome = co_await timer.wait() ? "fired" : "woken";
    } catch (boost::system::system_error const& e) {
        outcome = e.code() == asio::error::operation_aborted ? "aborted" : e.what();
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(clock_seam)

BOOST_AUTO_TEST_CASE(system_clock_timer_fires_wakes_and_aborts) {
    asio::io_context io;
    auto& clock = util::system_clock();
    util::Timer fires(io.get_executor(), clock), woken(io.get_executor(), clock), aborted(io.get_executor(), clock);
    fires.expires_after(5ms);
    woken.expires_after(30s);
    aborted.expires_after(30s);
    std::string a, b, c;
    asio::cancellation_signal signal;
    asio::co_spawn(io, wait_into(fires, a), asio::detached);
    asio::co_spawn(io, wait_into(woken, b), asio::detached);
    asio::co_spawn(io, wait_into(aborted, c), asio::bind_cancellation_slot(signal.slot(), asio::detached));
    asio::post(io, [&] {
        woken.cancel();
        signal.emit(asio::cancellation_type::terminal);
    });
    auto const started = clock.steady_now();
    io.run_for(10s);
    BOOST_TEST(a == "fired");
    BOOST_TEST(b == "woken");
    BOOST_TEST(c == "aborted");
    BOOST_TEST((clock.steady_now() - started < 5s));
}

BOOST_AUTO_TEST_CASE(virtual_time_fires_in_deadline_order_exactly_on_time) {
    asio::io_context io;
    testing::VirtualTime time(wall_start);
    testing::VirtualClock clock(time);
    std::vector<std::pair<std::string, util::SteadyTime>> fired;
    auto sleeper = [&](std::string name, std::chrono::milliseconds d) -> asio::awaitable<void> {
        co_await util::sleep_for(clock, d);
        fired.emplace_back(name, clock.steady_now());
    };
    asio::co_spawn(io, sleeper("day", 24h), asio::detached);
    asio::co_spawn(io, sleeper("second", 1s), asio::detached);
    asio::co_spawn(io, sleeper("also-second", 1s), asio::detached);
    testing::run_until(time, {&io}, testing::VirtualTime::start + 48h);
    BOOST_REQUIRE_EQUAL(fired.size(), 3u);
    BOOST_TEST(fired[0].first == "second");
    BOOST_TEST(fired[1].first == "also-second");  // ties: in the order armed
    BOOST_TEST(fired[2].first == "day");
    BOOST_TEST((fired[0].second == testing::VirtualTime::start + 1s));
    BOOST_TEST((fired[2].second == testing::VirtualTime::start + 24h));
    BOOST_TEST((time.now() == testing::VirtualTime::start + 48h));
    BOOST_TEST(time.armed() == 0u);
}

BOOST_AUTO_TEST_CASE(virtual_timer_cancel_rearm_and_destroy) {
    asio::io_context io;
    testing::VirtualTime time(wall_start);
    testing::VirtualClock clock(time);
    std::string first, second;
    util::Timer timer(io.get_executor(), clock);
    timer.expires_after(10s);
    asio::co_spawn(io, wait_into(timer, first), asio::detached);
    testing::run_until(time, {&io}, testing::VirtualTime::start + 1s);
    BOOST_TEST(first.empty());
    timer.cancel();  // a wake-up, not a disarm: the deadline stays
    testing::run_until(time, {&io}, testing::VirtualTime::start + 2s);
    BOOST_TEST(first == "woken");
    asio::co_spawn(io, wait_into(timer, second), asio::detached);
    testing::run_until(time, {&io}, testing::VirtualTime::start + 20s);
    BOOST_TEST(second == "fired");
    {
        util::Timer gone(io.get_executor(), clock);
        gone.expires_after(1h);
        BOOST_TEST(time.armed() == 1u);
    }
    BOOST_TEST(time.armed() == 0u, "a destroyed timer leaves no deadline behind");
    // A deadline already passed when the wait starts completes at once.
    timer.expires_at(clock.steady_now());
    time.advance_to(clock.steady_now());
    std::string third;
    asio::co_spawn(io, wait_into(timer, third), asio::detached);
    io.restart();
    io.poll();
    BOOST_TEST(third == "fired");
}

BOOST_AUTO_TEST_CASE(virtual_cancellation_aborts_the_wait) {
    asio::io_context io;
    testing::VirtualTime time(wall_start);
    testing::VirtualClock clock(time);
    util::Timer timer(io.get_executor(), clock);
    timer.expires_after(1h);
    std::string outcome;
    asio::cancellation_signal signal;
    asio::co_spawn(io, wait_into(timer, outcome), asio::bind_cancellation_slot(signal.slot(), asio::detached));
    io.poll();
    signal.emit(asio::cancellation_type::terminal);
    io.poll();
    BOOST_TEST(outcome == "aborted");
    BOOST_TEST((time.now() == testing::VirtualTime::start), "no time passed");
}

BOOST_AUTO_TEST_CASE(each_clock_has_its_own_wall_offset) {
    testing::VirtualTime time(wall_start);
    testing::VirtualClock a(time), b(time, -3s);
    BOOST_TEST((a.wall_now() == wall_start));
    BOOST_TEST((b.wall_now() == wall_start - 3s));
    time.advance_to(testing::VirtualTime::start + 1h);
    a.jump_wall(-2h);  // the wall clock steps back; steady time does not
    BOOST_TEST((a.wall_now() == wall_start - 1h));
    BOOST_TEST((a.steady_now() == testing::VirtualTime::start + 1h));
    BOOST_TEST((b.wall_now() == wall_start + 1h - 3s));
}

BOOST_AUTO_TEST_SUITE_END()
