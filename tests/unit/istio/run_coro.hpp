#pragma once
// Runs one coroutine on an io_context from the test thread and hands back its result. Also checks
// that run() ended because the context ran out of work (not because a generous limit passed).

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <optional>

namespace gic::test {

template <class T>
T run_coro(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
    std::optional<T> value;
    std::exception_ptr error;
    boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T v) {
        error = e;
        value = std::move(v);
    });
    io.run_for(std::chrono::seconds(30));
    BOOST_REQUIRE_MESSAGE(io.stopped(), "the io_context still had work after 30 s");
    if (error) std::rethrow_exception(error);
    BOOST_REQUIRE_MESSAGE(value.has_value(), "run() returned before the coroutine completed");
    return std::move(*value);
}

}  // namespace gic::test
