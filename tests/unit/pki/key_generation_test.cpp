// Key generation off the loop: while an rsa-4096 key is generated on the Worker, a 10 ms timer
// on the io_context keeps firing (inline generation would starve it: 0 ticks), cancellation
// resumes the waiter at once, and the worker's exceptions reach the waiter.

#include "pki/key.hpp"
#include "util/loop_thread.hpp"
#include "util/worker.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <thread>

using namespace gic;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto tick = 10ms;

// Counts `tick` timer expiries until *stop.
asio::awaitable<void> ticker(bool const& stop, int& ticks) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!stop) {
        timer.expires_after(tick);
        co_await timer.async_wait(asio::use_awaitable);
        if (!stop) ++ticks;
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(key_generation)

BOOST_AUTO_TEST_CASE(the_loop_keeps_ticking_while_an_rsa4096_key_is_generated) {
    asio::io_context io;
    util::Worker worker;
    bool generated = false;
    int ticks = 0;
    std::optional<pki::PrivateKey> key;
    Clock::duration took{};
    asio::co_spawn(io, ticker(generated, ticks), asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto const started = Clock::now();
            key.emplace(co_await pki::async_generate_key(worker, pki::KeyAlgorithm::rsa4096));
            took = Clock::now() - started;
            generated = true;
            BOOST_TEST(util::on_loop_thread(co_await asio::this_coro::executor), "resumed on the loop");
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    io.run_for(60s);
    BOOST_REQUIRE(generated);
    BOOST_TEST((key->algorithm() == pki::KeyAlgorithm::rsa4096));
    auto const expected = static_cast<double>(took / tick);
    BOOST_TEST_MESSAGE("rsa-4096 took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                        << " ms; the loop served " << ticks << " of ~" << expected << " 10 ms ticks");
    // Generation blocks for ~100 ms or more; inline on the loop it allowed 0 ticks, so one tick
    // served before the key arrived is the property. How many ticks a loaded machine (CI runs two
    // tests at once on two cores) lets through is a figure, not a pass condition: a ratio of
    // expected ticks failed there once while the worker and the loop shared one busy core.
    BOOST_TEST(ticks >= 1, "no tick was served while the key was generated");
}

BOOST_AUTO_TEST_CASE(a_cancelled_waiter_resumes_at_once_and_the_result_is_dropped) {
    asio::io_context io;
    util::Worker worker;
    std::atomic<bool> release{false};
    std::atomic<bool> finished{false};
    asio::cancellation_signal cancel;
    bool aborted = false;
    Clock::time_point resumed{};
    asio::co_spawn(io,
                   worker.run([&] {
                       // Bounded: released by the test, or after 10 s.
                       for (int i = 0; i < 1000 && !release; ++i) std::this_thread::sleep_for(10ms);
                       finished = true;
                       return 7;
                   }),
                   asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, int) {
                       resumed = Clock::now();
                       try {
                           if (e) std::rethrow_exception(e);
                       } catch (boost::system::system_error const& error) {
                           aborted = error.code() == asio::error::operation_aborted;
                       }
                   }));
    asio::steady_timer later(io, 20ms);
    Clock::time_point cancelled_at{};
    later.async_wait([&](auto) {
        cancelled_at = Clock::now();
        cancel.emit(asio::cancellation_type::terminal);
    });
    // Stops once the waiter resumed; the work is still running then.
    for (int i = 0; i < 500 && resumed == Clock::time_point{}; ++i) io.run_one_for(10ms);
    BOOST_TEST(aborted);
    BOOST_TEST(!finished, "the waiter resumed before the work ended");
    BOOST_TEST((resumed - cancelled_at < 1s));
    // The work's completion still counts as the loop's work: run() returns only after it.
    release = true;
    io.restart();
    io.run_for(15s);
    BOOST_TEST(finished);
}

BOOST_AUTO_TEST_CASE(an_exception_on_the_worker_reaches_the_waiter) {
    asio::io_context io;
    util::Worker worker;
    std::string caught;
    asio::co_spawn(io, worker.run([]() -> int { throw std::runtime_error("no entropy"); }),
                   [&](std::exception_ptr e, int) {
                       try {
                           if (e) std::rethrow_exception(e);
                       } catch (std::runtime_error const& error) {
                           caught = error.what();
                       }
                   });
    io.run_for(10s);
    BOOST_TEST(caught == "no entropy");
}

BOOST_AUTO_TEST_SUITE_END()
