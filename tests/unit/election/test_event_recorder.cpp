// The Event recorder against an API that accepts connections and never answers (a loopback listener
// that never accepts: the kernel completes the TCP handshake, the TLS handshake never does). Nothing
// the recorder started may outlive its stop: finish() ends at its deadline and destruction at once.

#include "election/event_recorder.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <optional>

using namespace gic;
using namespace gic::election;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct SilentApi {
    asio::io_context io{1};
    tcp::acceptor listener{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    kube::Client client{io.get_executor(), config(), event_client_options({})};

    kube::RestConfig config() const {
        kube::RestConfig c;
        c.host = "127.0.0.1";
        c.port = std::to_string(listener.local_endpoint().port());
        c.server = "https://127.0.0.1:" + c.port;
        c.insecure_skip_tls_verify = true;
        c.bearer_token = "token";
        c.origin = "test";
        return c;
    }
};

ObjectReference secret() { return {"Secret", "v1", "ns", "istio-certs", "", ""}; }

// When finish() returned, and how long it took.
struct Finished {
    Clock::time_point at;
    Clock::duration took;
};

asio::awaitable<void> finish_and_time(EventRecorder& recorder, Clock::time_point deadline, std::optional<Finished>& done) {
    auto const started = Clock::now();
    co_await recorder.finish(deadline);
    auto const at = Clock::now();
    done = Finished{at, at - started};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(event_recorder)

BOOST_AUTO_TEST_CASE(finish_drops_what_a_silent_api_did_not_take_by_the_deadline) {
    SilentApi api;
    EventRecorder recorder(api.io.get_executor(), api.client, util::system_clock(), "test");
    for (int i = 0; i < 3; ++i) recorder.record(secret(), event_normal, "CertificateIssued", "issued");
    std::optional<Finished> done;
    auto const deadline = Clock::now() + 200ms;
    asio::co_spawn(api.io, finish_and_time(recorder, deadline, done), asio::detached);
    auto const started = Clock::now();
    api.io.run_for(10s);  // returns once nothing is left to run
    auto const ran = Clock::now() - started;
    BOOST_TEST_REQUIRE(done.has_value());
    // Not before the deadline (measured from it: the coroutine itself starts a little later).
    BOOST_TEST((done->at >= deadline));
    BOOST_TEST((done->took < 1s));
    BOOST_TEST((ran < 2s), "the cancelled post kept the loop busy");
    BOOST_TEST(recorder.posted() == 0u);
    BOOST_TEST(recorder.failed() == 3u);  // one in flight, two queued
    // Once finishing, new Events are dropped at once.
    recorder.record(secret(), event_warning, "CertificateIssueFailed", "failed");
    BOOST_TEST(recorder.failed() == 4u);
}

BOOST_AUTO_TEST_CASE(finish_returns_at_once_with_nothing_queued) {
    SilentApi api;
    EventRecorder recorder(api.io.get_executor(), api.client, util::system_clock(), "test");
    std::optional<Finished> done;
    asio::co_spawn(api.io, finish_and_time(recorder, Clock::now() + 5s, done), asio::detached);
    api.io.run_for(10s);
    BOOST_TEST_REQUIRE(done.has_value());
    BOOST_TEST((done->took < 100ms));
    BOOST_TEST(recorder.failed() == 0u);
}

BOOST_AUTO_TEST_CASE(destroying_the_recorder_cancels_what_is_in_flight) {
    SilentApi api;
    auto recorder = std::make_unique<EventRecorder>(api.io.get_executor(), api.client, util::system_clock(), "test");
    recorder->record(secret(), event_normal, "CertificateIssued", "issued");
    recorder->record(secret(), event_normal, "LeaderElection", "stopped leading");
    // Destroyed while the first post waits for the silent API.
    asio::steady_timer later(api.io, 100ms);
    later.async_wait([&](boost::system::error_code) { recorder.reset(); });
    auto const started = Clock::now();
    api.io.run_for(20s);
    // Without the cancellation each post would wait for its 5 s request timeout.
    BOOST_TEST((Clock::now() - started < 2s));
    BOOST_TEST(!recorder);
}

BOOST_AUTO_TEST_SUITE_END()
