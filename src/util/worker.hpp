#pragma once
// One background thread for blocking work that would stall the loop (RSA key generation takes
// up to hundreds of milliseconds): `co_await worker.run(fn)` runs fn() there and resumes the
// awaiting coroutine on its own executor with the result (or fn's exception).
//
// Per-Operation Cancellation: terminal cancellation of the awaiting coroutine resumes it at once
// with system_error(operation_aborted); fn still runs to its end on the worker and its result is
// dropped on the loop thread. Until then the io_context counts it as outstanding work, so the
// loop does not finish under it.
// Lifetime: the destructor waits for work in progress (join), so destroy the Worker before the
// io_context it completes to. fn must not touch the loop's objects: it gets copies.

#include "util/loop_thread.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace gic::util {

class Worker {
public:
    Worker() : pool_(1) {}
    ~Worker() { pool_.join(); }
    Worker(Worker const&) = delete;
    Worker& operator=(Worker const&) = delete;

    template <class F>
    boost::asio::awaitable<std::invoke_result_t<F&>> run(F work) {
        using R = std::invoke_result_t<F&>;
        std::optional<R> value = co_await boost::asio::async_initiate<boost::asio::use_awaitable_t<> const,
                                                                      void(std::exception_ptr, std::optional<R>)>(
            Start<R>{pool_}, boost::asio::use_awaitable, std::move(work));
        co_return std::move(*value);
    }

private:
    template <class R>
    struct Start {
        boost::asio::thread_pool& pool;

        template <class Handler, class F>
        void operator()(Handler handler, F work) const {
            namespace asio = boost::asio;
            // The waiter's handler, touched on the loop thread only: by the completion posted
            // there, or by the cancellation handler (cancellation is emitted on the loop).
            struct Waiter {
                std::optional<Handler> handler;
            };
            auto const loop = asio::get_associated_executor(handler);
            auto slot = asio::get_associated_cancellation_slot(handler);
            auto waiter = std::make_shared<Waiter>();
            waiter->handler.emplace(std::move(handler));
            if (slot.is_connected()) {
                slot.assign([waiter, loop](asio::cancellation_type type) {
                    if (type == asio::cancellation_type::none || !waiter->handler) return;
                    auto abandoned = std::move(*waiter->handler);
                    waiter->handler.reset();
                    asio::post(loop, [abandoned = std::move(abandoned)]() mutable {
                        std::move(abandoned)(std::make_exception_ptr(boost::system::system_error(
                                                 asio::error::operation_aborted)),
                                             std::optional<R>{});
                    });
                });
            }
            auto tracked = asio::prefer(loop, asio::execution::outstanding_work.tracked);
            asio::post(pool, [waiter, tracked, work = std::move(work)]() mutable {
                std::optional<R> value;
                std::exception_ptr error;
                try {
                    value.emplace(work());
                } catch (...) {
                    error = std::current_exception();
                }
                asio::post(tracked, [waiter, tracked, value = std::move(value), error]() mutable {
                    expect_loop_thread(tracked, "util::Worker completion");
                    if (!waiter->handler) return;  // the waiter was cancelled: nobody wants the result
                    auto done = std::move(*waiter->handler);
                    waiter->handler.reset();
                    asio::get_associated_cancellation_slot(done).clear();
                    std::move(done)(error, std::move(value));
                });
            });
        }
    };

    boost::asio::thread_pool pool_;
};

}  // namespace gic::util
