#pragma once
// The one-thread rule: everything of ours runs on the io_context's thread, except the blocking
// work handed to a util::Worker and the callbacks that gRPC makes on its own threads (which only
// post to the loop, or log). This makes the rule checkable where it matters.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace gic::util {

// True when the calling thread is running the io_context behind `executor` (inside its run()).
// An executor of another kind cannot be checked and counts as true.
inline bool on_loop_thread(boost::asio::any_io_executor const& executor) {
    using Plain = boost::asio::io_context::executor_type;
    // The same executor with outstanding work tracked (asio's bit 4), as work guards hold it.
    using Tracked = boost::asio::io_context::basic_executor_type<std::allocator<void>, 4>;
    if (auto const* io = executor.target<Plain>()) return io->running_in_this_thread();
    if (auto const* io = executor.target<Tracked>()) return io->running_in_this_thread();
    return true;
}

// Aborts with `where` named when called off the loop thread: a programming error that would
// otherwise be a silent data race. Checked in every build (it is one thread-local lookup).
inline void expect_loop_thread(boost::asio::any_io_executor const& executor, char const* where) {
    if (on_loop_thread(executor)) return;
    std::fprintf(stderr, "fatal: %s ran off the io_context's thread\n", where);
    std::abort();
}

}  // namespace gic::util
