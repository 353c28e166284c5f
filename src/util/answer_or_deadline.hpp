#pragma once
// Waits for an operation that cannot be interrupted (getaddrinfo on Asio's resolver thread: an
// async_resolve completes only once the lookup returns, even when cancelled) until its answer
// or a deadline, whichever comes first. At the deadline the answer is abandoned: it may still
// arrive later and is then dropped, so the caller never waits for it.
//
// `start(answer)` begins the operation; it must call answer(value) at most once, on the loop
// thread (an Asio completion handler does), and keep what it needs alive itself (the callback
// holds the shared state).
// Per-Operation Cancellation: terminal cancellation of the awaiting coroutine throws
// system_error(operation_aborted) at once, as Asio's own operations do.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

namespace gic::util {

template <class T>
boost::asio::awaitable<std::optional<T>> answer_or_deadline(std::chrono::steady_clock::time_point deadline,
                                                            std::function<void(std::function<void(T)>)> start) {
    namespace asio = boost::asio;
    struct Shared {
        explicit Shared(asio::any_io_executor const& executor) : wake(executor) {}
        asio::steady_timer wake;  // expires at the deadline; cancelled by the answer
        std::optional<T> answer;
    };
    auto shared = std::make_shared<Shared>(co_await asio::this_coro::executor);
    shared->wake.expires_at(deadline);
    start([shared](T value) {
        if (shared->answer) return;
        shared->answer.emplace(std::move(value));
        shared->wake.cancel();
    });
    auto [ec] = co_await shared->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    if (shared->answer) co_return std::move(shared->answer);
    auto const state = co_await asio::this_coro::cancellation_state;
    if (ec == asio::error::operation_aborted || state.cancelled() != asio::cancellation_type::none)
        throw boost::system::system_error(asio::error::operation_aborted);
    co_return std::nullopt;
}

}  // namespace gic::util
