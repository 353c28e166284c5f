// log() from several threads at once, as gRPC calls it (through gpr_log and route_grpc_logs)
// while the loop thread logs too: every line arrives whole, none is lost. Under
// ThreadSanitizer this is the check that the logger is thread-safe.

#include "observe/grpc_log.hpp"
#include "observe/log.hpp"
#include "util/loop_thread.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <grpc/support/log.h>

#include <atomic>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace gic;

BOOST_AUTO_TEST_SUITE(log_threads)

BOOST_AUTO_TEST_CASE(grpc_threads_and_the_loop_log_concurrently_without_losing_or_mixing_lines) {
    constexpr int threads = 4;
    constexpr int per_thread = 300;
    std::ostringstream out;
    observe::init_logging(observe::Level::debug, observe::Format::text, out);
    observe::route_grpc_logs(observe::Level::debug);

    boost::asio::io_context io;
    std::atomic<bool> go{false};
    std::atomic<int> off_loop_checks{0};
    std::vector<std::thread> others;
    for (int t = 0; t < threads; ++t) {
        others.emplace_back([&, t] {
            while (!go) std::this_thread::yield();  // bounded by the loop below setting it
            if (!util::on_loop_thread(io.get_executor())) ++off_loop_checks;
            for (int i = 0; i < per_thread; ++i) gpr_log(GPR_DEBUG, "from grpc thread %d line %d", t, i);
        });
    }
    int loop_lines = 0;
    bool on_loop = false;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            auto const executor = co_await boost::asio::this_coro::executor;
            on_loop = util::on_loop_thread(executor);
            go = true;
            for (int i = 0; i < per_thread; ++i) {
                util::expect_loop_thread(executor, "the loop's logging");
                observe::log_info("loop", "from the loop", {{"line", std::to_string(i)}});
                ++loop_lines;
                // Let other handlers in between, as the agent's loop does.
                co_await boost::asio::post(executor, boost::asio::use_awaitable);
            }
        },
        boost::asio::detached);
    io.run();
    for (auto& thread : others) thread.join();
    gpr_set_log_function(nullptr);
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
    observe::init_logging(observe::Level::info, observe::Format::text);  // back to stderr before `out` goes

    BOOST_TEST(on_loop);
    BOOST_TEST(off_loop_checks == threads);
    BOOST_TEST(loop_lines == per_thread);
    int grpc_lines = 0;
    int loop_seen = 0;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) {
        if (line.find(" debug grpc: \"from grpc thread ") != std::string::npos ||
            line.find(" debug grpc: from grpc thread ") != std::string::npos) {
            ++grpc_lines;
        } else if (line.find(" info loop: from the loop line=") != std::string::npos) {
            ++loop_seen;
        } else {
            BOOST_TEST(false, "a mixed or unexpected line: " << line);
        }
    }
    BOOST_TEST(grpc_lines == threads * per_thread);
    BOOST_TEST(loop_seen == per_thread);
}

BOOST_AUTO_TEST_CASE(off_the_loop_is_detected) {
    boost::asio::io_context io;
    BOOST_TEST(!util::on_loop_thread(io.get_executor()), "not inside run()");
    bool inside = false;
    boost::asio::post(io, [&] { inside = util::on_loop_thread(io.get_executor()); });
    io.run();
    BOOST_TEST(inside);
}

BOOST_AUTO_TEST_SUITE_END()
