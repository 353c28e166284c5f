// util::with_deadline: the work's result when it ends first (and no timer is left waiting), nullopt
// when the deadline comes first (the work cancelled, and finished, by then) or when the work failed
// (as `||` reads it), and a cancelled caller stops with operation_aborted instead of taking the
// deadline's branch. On virtual time and on the machine's clock.

#include "common/virtual_clock.hpp"
#include "util/deadline.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

using namespace gic;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

util::WallTime const wall_start = util::WallTime{} + std::chrono::hours(24 * 365 * 56);

struct Outcome {
    bool finished = false;
    std::optional<int> value;  // what with_deadline returned
    std::string error;          // "aborted", or the exception's text
    bool work_aborted = false;  // the work saw operation_aborted
    util::SteadyTime finished_at{};
};

// Answers `value` after `delay`, or fails with "broken" when `value` is negative.
asio::awaitable<int> answer_after(util::Clock& clock, std::chrono::milliseconds delay, int value, Outcome& outcome) {
    try {
        co_await util::sleep_for(clock, delay);
    } catch (boost::system::system_error const& e) {
        if (e.code() == asio::error::operation_aborted) outcome.work_aborted = true;
        throw;
    }
    if (value < 0) throw std::runtime_error("broken");
    co_return value;
}

asio::awaitable<void> bounded(util::Clock& clock, std::chrono::milliseconds work, std::chrono::milliseconds limit,
                              int value, Outcome& outcome) {
    try {
        auto race = util::with_deadline(clock, clock.steady_now() + limit, answer_after(clock, work, value, outcome));
        outcome.value = co_await std::move(race);
    } catch (boost::system::system_error const& e) {
        outcome.error = e.code() == asio::error::operation_aborted ? "aborted" : e.what();
    } catch (std::exception const& e) {
        outcome.error = e.what();
    }
    outcome.finished = true;
    outcome.finished_at = clock.steady_now();
}

struct VirtualRun {
    asio::io_context io;
    testing::VirtualTime time{wall_start};
    testing::VirtualClock clock{time};
    asio::cancellation_signal caller;

    Outcome run(std::chrono::milliseconds work, std::chrono::milliseconds limit, int value,
                std::optional<std::chrono::milliseconds> cancel_at = std::nullopt) {
        Outcome outcome;
        asio::co_spawn(io, bounded(clock, work, limit, value, outcome),
                       asio::bind_cancellation_slot(caller.slot(), asio::detached));
        if (cancel_at) {
            testing::run_until(time, {&io}, testing::VirtualTime::start + *cancel_at);
            caller.emit(asio::cancellation_type::terminal);
        }
        testing::run_until(time, {&io}, testing::VirtualTime::start + 1h, [&] { return outcome.finished; });
        return outcome;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(deadline)

BOOST_AUTO_TEST_CASE(the_work_that_ends_first_gives_its_result_and_leaves_no_timer) {
    VirtualRun run;
    auto const outcome = run.run(1s, 10s, 7);
    BOOST_TEST_REQUIRE(outcome.finished);
    BOOST_TEST((outcome.value == std::optional<int>(7)));
    BOOST_TEST(outcome.error.empty());
    BOOST_TEST(!outcome.work_aborted);
    BOOST_TEST((outcome.finished_at == testing::VirtualTime::start + 1s));
    BOOST_TEST(run.time.armed() == 0u);  // the deadline's wait ended with the work
}

BOOST_AUTO_TEST_CASE(the_deadline_that_comes_first_cancels_the_work) {
    VirtualRun run;
    auto const outcome = run.run(10s, 1s, 7);
    BOOST_TEST_REQUIRE(outcome.finished);
    BOOST_TEST(!outcome.value.has_value());
    BOOST_TEST(outcome.error.empty());
    BOOST_TEST(outcome.work_aborted);
    BOOST_TEST((outcome.finished_at == testing::VirtualTime::start + 1s));
}

BOOST_AUTO_TEST_CASE(work_that_fails_has_not_ended_in_time) {
    VirtualRun run;
    auto const outcome = run.run(1s, 10s, -1);
    BOOST_TEST_REQUIRE(outcome.finished);
    BOOST_TEST(!outcome.value.has_value());
    BOOST_TEST(outcome.error.empty());
    BOOST_TEST((outcome.finished_at == testing::VirtualTime::start + 10s));
}

BOOST_AUTO_TEST_CASE(a_cancelled_caller_gets_the_failure_of_its_work) {
    VirtualRun run;
    auto const outcome = run.run(1s, 10s, -1, 5s);
    BOOST_TEST_REQUIRE(outcome.finished);
    BOOST_TEST(outcome.error == "broken");
    BOOST_TEST((outcome.finished_at == testing::VirtualTime::start + 5s));
}

BOOST_AUTO_TEST_CASE(a_cancelled_caller_stops_and_never_sees_a_deadline) {
    VirtualRun run;
    auto const outcome = run.run(20s, 10s, 7, 1s);
    BOOST_TEST_REQUIRE(outcome.finished);
    BOOST_TEST(!outcome.value.has_value());
    BOOST_TEST(outcome.error == "aborted");
    BOOST_TEST(outcome.work_aborted);
    BOOST_TEST((outcome.finished_at == testing::VirtualTime::start + 1s));
}

BOOST_AUTO_TEST_CASE(on_the_machines_clock_too) {
    auto& clock = util::system_clock();
    asio::io_context io;
    Outcome first, late;
    asio::co_spawn(io, bounded(clock, 5ms, 30s, 3, first), asio::detached);
    asio::co_spawn(io, bounded(clock, 30s, 20ms, 4, late), asio::detached);
    auto const started = clock.steady_now();
    io.run_for(10s);
    BOOST_TEST((first.value == std::optional<int>(3)));
    BOOST_TEST(!late.value.has_value());
    BOOST_TEST(late.error.empty());
    BOOST_TEST(late.work_aborted);
    BOOST_TEST((clock.steady_now() - started < 5s));  // neither waited for the other side's time
}

BOOST_AUTO_TEST_SUITE_END()
