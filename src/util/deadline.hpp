#pragma once
// Bounds one awaitable by a deadline on a Clock:
//
//   auto bounded = util::with_deadline(clock, deadline, attempt());   // named first (g++ 12)
//   std::optional<Attempt> done = co_await std::move(bounded);        // nullopt: the deadline came first
//
// It means what `attempt() || timer.wait()` means, at a lower price in the common case where the
// work wins: the deadline's side is the Timer's wait as a plain Asio operation, so cancelling it
// completes it with an error code instead of unwinding a coroutine with an exception (one
// operation_aborted per Lease renewal and per bounded API call before). Only when the deadline
// comes first is the work cancelled as a coroutine, and it has finished before this returns.
//
// Work that ends with an exception has not ended in time, as with `||` (wait_for_one_success):
// the deadline still ends the wait and the answer is nullopt, so that a caller such as the
// elector takes the safe branch (the renewal failed: stop leading).
//
// Per-Operation Cancellation: cancelling the awaiting coroutine cancels both sides; it then
// throws operation_aborted (the work's own exception when it has one), never returns nullopt as
// if the deadline had come.
// Thread Safety: the io_context thread of the awaiting coroutine only.

#include "util/clock.hpp"

#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <optional>
#include <type_traits>

namespace gic::util {

namespace detail {

// When one side of with_deadline ends, what the other side is told: the work's success and the
// end of the deadline's wait cancel the other side; the work's exception does not.
struct DeadlineCondition {
    template <class T>
    boost::asio::cancellation_type_t operator()(std::exception_ptr const& failure, T const&) const {
        return failure ? boost::asio::cancellation_type::none : boost::asio::cancellation_type::all;
    }
    boost::asio::cancellation_type_t operator()(boost::system::error_code const&) const {
        return boost::asio::cancellation_type::all;
    }
};

}  // namespace detail

template <class T>
boost::asio::awaitable<std::optional<T>> with_deadline(Clock& clock, SteadyTime deadline, boost::asio::awaitable<T> work) {
    // Asio's co_spawn hands a default-constructed T alongside an exception.
    static_assert(std::is_default_constructible_v<T>, "with_deadline needs a default-constructible result");
    namespace asio = boost::asio;
    auto const executor = co_await asio::this_coro::executor;
    Timer timer(executor, clock);
    timer.expires_at(deadline);
    // Both sides have ended when the group completes, so the timer (in this frame) outlives its wait.
    auto group = asio::experimental::make_parallel_group(asio::co_spawn(executor, std::move(work), asio::deferred),
                                                         timer.async_wait_ended(asio::deferred));
    auto race = group.async_wait(detail::DeadlineCondition(), asio::use_awaitable);
    auto [order, failure, result, ended] = co_await std::move(race);
    (void)ended;  // only the order matters: nobody else can end this timer's wait early
    if (order[0] == 0 && !failure) co_return std::optional<T>(std::move(result));
    // The deadline came (first, or after the work failed), unless this coroutine was cancelled.
    auto const state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) {
        if (failure) std::rethrow_exception(failure);
        throw boost::system::system_error(asio::error::operation_aborted, "wait cancelled");
    }
    co_return std::nullopt;
}

}  // namespace gic::util
