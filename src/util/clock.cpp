#include "util/clock.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace gic::util {
namespace {

// The machine's clocks: the timer's own steady_timer expires at the deadline.
class SystemClock final : public Clock {
public:
    SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
    WallTime wall_now() const override { return std::chrono::system_clock::now(); }

protected:
    void arm(Timer& timer, SteadyTime when) override { expire_natively(timer, when); }
    void disarm(Timer&) override {}
};

}  // namespace

Clock& system_clock() {
    static SystemClock clock;
    return clock;
}

void Clock::expire_natively(Timer& timer, SteadyTime when) { timer.timer_.expires_at(when); }

Timer::Timer(boost::asio::any_io_executor executor, Clock& clock) : timer_(std::move(executor)), clock_(clock) {}

Timer::~Timer() {
    if (armed_) clock_.disarm(*this);
}

void Timer::expires_at(SteadyTime when) {
    if (armed_) clock_.disarm(*this);
    fired_ = false;
    expiry_ = when;
    // Ends a wait in progress (with false), as steady_timer::expires_at does.
    timer_.expires_at(SteadyTime::max());
    armed_ = true;
    clock_.arm(*this, when);
}

void Timer::expires_after(std::chrono::steady_clock::duration d) { expires_at(clock_.steady_now() + d); }

void Timer::cancel() { timer_.cancel(); }

void Timer::fire() {
    armed_ = false;
    fired_ = true;
    timer_.cancel();
}

boost::asio::awaitable<bool> Timer::wait() {
    if (fired_) co_return true;
    auto [ec] = co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (fired_) co_return true;  // a virtual clock's deadline
    if (!ec) {
        armed_ = false;
        co_return true;  // the steady_timer's own deadline
    }
    // Woken early: by cancel(), a new deadline, or the cancellation of the awaiting coroutine,
    // which must end it as any other Asio wait would.
    auto const state = co_await boost::asio::this_coro::cancellation_state;
    if (state.cancelled() != boost::asio::cancellation_type::none)
        throw boost::system::system_error(boost::asio::error::operation_aborted, "wait cancelled");
    co_return false;
}

boost::asio::awaitable<void> sleep_until(Clock& clock, SteadyTime when) {
    Timer timer(co_await boost::asio::this_coro::executor, clock);
    timer.expires_at(when);
    while (!co_await timer.wait()) {
    }
}

boost::asio::awaitable<void> sleep_for(Clock& clock, std::chrono::steady_clock::duration d) {
    co_await sleep_until(clock, clock.steady_now() + d);
}

}  // namespace gic::util
