#pragma once
// The one seam for time. Every component that reads a clock or waits does it through a Clock it
// was given, so that unit tests and the fault simulator run the agent's real code in virtual time
// (tests/common/virtual_clock.hpp), with the steady and the wall clock each under their control.
//
// - steady_now(): for deadlines, timeouts and "how long ago" (never jumps).
// - wall_now(): for what is compared with the outside world (certificate NotBefore/NotAfter,
//   Lease renewTime); it may jump forward or back.
// - Timer: a one-shot wait on the steady clock, with cancel() as a wake-up, used like Asio's
//   steady_timer. system_clock() is the machine's clock; its Timer is a steady_timer.
//
// Thread Safety: a Clock may be read from any thread; a Timer belongs to its executor's thread.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

namespace gic::util {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

class Timer;

class Clock {
public:
    virtual ~Clock() = default;
    virtual SteadyTime steady_now() const = 0;
    virtual WallTime wall_now() const = 0;

protected:
    friend class Timer;
    // `timer` is to fire at `when` (it was idle or is re-armed). A real clock lets the timer's own
    // steady_timer expire; a virtual clock records it and calls Timer::fire() when its time comes.
    virtual void arm(Timer& timer, SteadyTime when) = 0;
    // `timer` no longer waits for its deadline (re-armed or destroyed).
    virtual void disarm(Timer& timer) = 0;
    // For a real clock's arm(): the timer's steady_timer expires at `when` by itself.
    static void expire_natively(Timer& timer, SteadyTime when);
};

// The machine's clocks: std::chrono::steady_clock and std::chrono::system_clock.
Clock& system_clock();

class Timer {
public:
    Timer(boost::asio::any_io_executor executor, Clock& clock);
    ~Timer();
    Timer(Timer const&) = delete;
    Timer& operator=(Timer const&) = delete;

    // Sets the deadline; a wait() in progress ends with false, as steady_timer's does.
    void expires_at(SteadyTime when);
    void expires_after(std::chrono::steady_clock::duration d);
    SteadyTime expiry() const { return expiry_; }

    // Waits for the deadline: true when it came, false when cancel() (or a new deadline) ended the
    // wait first. Throws operation_aborted when the awaiting coroutine is cancelled.
    boost::asio::awaitable<bool> wait();
    // Ends a wait() in progress with false. Like steady_timer::cancel(), it does nothing to a wait
    // that starts later.
    void cancel();

    // The wait as a plain Asio operation (signature void(error_code)) for racing the deadline
    // against other work in one parallel group (util/deadline.hpp): it never throws, and it only
    // tells that the wait ended (its error code does not say why; with a virtual clock the
    // deadline ends it as cancel() does). Everything else uses wait().
    template <class CompletionToken>
    auto async_wait_ended(CompletionToken&& token) {
        return timer_.async_wait(std::forward<CompletionToken>(token));
    }

    Clock& clock() const { return clock_; }
    boost::asio::any_io_executor get_executor() { return timer_.get_executor(); }

    // For virtual clocks: the deadline has come.
    void fire();

private:
    friend class Clock;
    boost::asio::steady_timer timer_;
    Clock& clock_;
    SteadyTime expiry_{};
    bool armed_ = false;
    bool fired_ = false;
};

// Sleeps `d` (or until `when`) on `clock`; throws operation_aborted when the coroutine is cancelled.
boost::asio::awaitable<void> sleep_for(Clock& clock, std::chrono::steady_clock::duration d);
boost::asio::awaitable<void> sleep_until(Clock& clock, SteadyTime when);

}  // namespace gic::util
