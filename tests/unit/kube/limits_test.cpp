// What an API server (trusted, but possibly broken or compromised) can make the client hold or
// wait for: each oversized or endless answer fails with an error naming the limit, well before
// the request deadline, and a Retry-After far in the future is not waited for.

#include "fixtures.hpp"
#include "kube/client.hpp"
#include "kube/https_connection.hpp"
#include "kube/status_parse.hpp"
#include "kube/watch.hpp"

#include "util/answer_or_deadline.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

using namespace gic::kube;
using namespace gic::kube::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

ResourceRef const secret_ref{"v1", "secrets", "ns", "s", ""};
ResourceRef const leases_ref{"coordination.k8s.io/v1", "leases", "ns", "", ""};

// Long enough that a client that kept reading would wait for it; the limits end it far earlier.
ClientOptions const patient{.request_timeout = 5s};

// Writes `piece` again and again, up to `total` bytes (a bounded stand-in for "endless"); the
// writes fail quietly once the client has closed the connection. `piece` by value: g++ 12
// mishandles temporaries bound to references across a co_await.
asio::awaitable<void> flood(RawResponse& out, std::string piece, std::size_t total) {
    for (std::size_t sent = 0; sent < total; sent += piece.size()) co_await out.write(piece);
}

// A Secret whose JSON is about `bytes` long: valid, so only the size limit can refuse it.
std::string secret_of_size(std::size_t bytes) {
    json::object secret{{"kind", "Secret"},
                        {"apiVersion", "v1"},
                        {"metadata", json::object{{"name", "s"}, {"namespace", "ns"}, {"resourceVersion", "7"}}},
                        {"data", json::object{{"big", std::string(bytes, 'A')}}}};
    return json::serialize(secret);
}

// The first event or the error of a watch.
asio::awaitable<std::optional<ApiError>> first_watch_error(Client& client) {
    WatchOptions const options;  // named: g++ 12 mishandles braced temporaries inside a co_await
    auto opened = co_await watch(client, leases_ref, options);
    if (!opened) co_return opened.error();
    for (int i = 0; i < 10; ++i) {
        auto next = co_await (*opened)->next();
        if (!next) co_return next.error();
        if (!*next) co_return std::nullopt;
    }
    co_return std::nullopt;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(limits, ClientFixture)

BOOST_AUTO_TEST_CASE(an_endless_chunk_extension_fails_at_the_read_buffer_limit) {
    auto srv = server([](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        std::string const extension = ";ext=" + std::string(16 * 1024, 'x');
        co_await out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5");
        co_await flood(out, extension, 1024 * 1024);
    });
    Client client(io.get_executor(), config_for(srv->port()), patient);
    auto const started = Clock::now();
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(contains(result.error().message, "a chunk header (with its extensions) or the trailer is larger than " +
                                                    std::to_string(max_read_buffer) + " bytes"));
    BOOST_TEST(result.error().code == 0);
    BOOST_TEST((Clock::now() - started < 4s), "ended by the limit, not by the request deadline");
}

BOOST_AUTO_TEST_CASE(an_endless_chunk_extension_ends_a_watch_stream) {
    auto srv = server([](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write(chunked_head());
        co_await out.write("5");
        std::string const extension = ";ext=" + std::string(16 * 1024, 'x');
        co_await flood(out, extension, 1024 * 1024);
    });
    Client client(io.get_executor(), config_for(srv->port()), patient);
    auto const error = run(first_watch_error(client));
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(contains(error->message, "a chunk header (with its extensions) or the trailer is larger than"));
}

BOOST_AUTO_TEST_CASE(an_endless_header_fails_at_the_header_limit) {
    auto srv = server([](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n");
        std::string const field = "X-Padding: " + std::string(1000, 'p') + "\r\n";
        co_await flood(out, field, 1024 * 1024);
    });
    Client client(io.get_executor(), config_for(srv->port()), patient);
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(contains(result.error().message,
                        "the response header is larger than " + std::to_string(max_response_header) + " bytes"));
}

BOOST_AUTO_TEST_CASE(a_header_under_the_limit_is_accepted) {
    auto srv = server([](HttpRequest const&) {
        auto response = json_response(200, secret_of_size(10));
        response.set("Warning", "299 - \"" + std::string(16 * 1024, 'w') + "\"");
        return response;
    });
    Client client(io.get_executor(), config_for(srv->port()), patient);
    auto const result = run(client.get(secret_ref));
    BOOST_TEST(result.has_value(), (result ? std::string() : result.error().message));
}

BOOST_AUTO_TEST_CASE(a_body_beyond_the_limit_is_refused_and_one_within_is_accepted) {
    std::size_t size = 0;
    auto srv = server([&](HttpRequest const&) { return json_response(200, secret_of_size(size)); });
    Client client(io.get_executor(), config_for(srv->port()), patient);

    size = 2 * 1024 * 1024;  // a Secret near etcd's limit
    auto const within = run(client.get(secret_ref));
    BOOST_TEST(within.has_value(), (within ? std::string() : within.error().message));

    size = 4 * 1024 * 1024;
    auto const beyond = run(client.get(secret_ref));
    BOOST_REQUIRE(beyond.has_error());
    BOOST_TEST(contains(beyond.error().message,
                        "the response body is larger than " + std::to_string(max_response_body) + " bytes"));
}

BOOST_AUTO_TEST_CASE(a_chunked_body_beyond_the_limit_is_refused) {
    auto srv = server([](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write(chunked_head());
        std::string const spaces = chunk(std::string(64 * 1024, ' '));
        co_await flood(out, spaces, 8 * 1024 * 1024);
    });
    Client client(io.get_executor(), config_for(srv->port()), patient);
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(contains(result.error().message, "the response body is larger than"));
}

BOOST_AUTO_TEST_CASE(a_watch_event_beyond_the_default_limit_ends_the_stream) {
    BOOST_TEST(WatchOptions{}.max_event_bytes == max_response_body);
    auto srv = server([](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write(chunked_head());
        co_await out.write(chunk(R"({"type":"ADDED","object":{"kind":"Lease","metadata":{"name":")"));
        std::string const name = chunk(std::string(64 * 1024, 'n'));
        co_await flood(out, name, 5 * 1024 * 1024);
    });
    Client client(io.get_executor(), config_for(srv->port()), patient);
    auto const error = run(first_watch_error(client));
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(contains(error->message, "an event is larger than " + std::to_string(max_response_body) + " bytes"));
}

BOOST_AUTO_TEST_CASE(retry_after_is_capped_at_sixty_seconds) {
    BOOST_TEST(parse_retry_after("100000").value().count() == 60);
    BOOST_TEST(parse_retry_after("999999999").value().count() == 60);
    BOOST_TEST(parse_retry_after("60").value().count() == 60);
    BOOST_TEST(parse_retry_after("7").value().count() == 7);
    auto const header = api_error_from_response(503, "", std::chrono::seconds(100000));
    BOOST_TEST(header.retry_after.value().count() == 60);
    auto const details = api_error_from_response(
        429, R"({"kind":"Status","status":"Failure","reason":"TooManyRequests","details":{"retryAfterSeconds":100000},"code":429})",
        std::nullopt);
    BOOST_TEST(details.retry_after.value().count() == 60);
}

BOOST_AUTO_TEST_CASE(a_huge_retry_after_beyond_the_retry_deadline_is_returned_not_waited_for) {
    auto srv = server([](HttpRequest const&) {
        auto response = json_response(429, R"({"kind":"Status","status":"Failure","reason":"TooManyRequests","code":429})");
        response.set(http::field::retry_after, "100000");
        return response;
    });
    // The capped wait (60 s) would end after the call's retry deadline: the answer is returned.
    Client client(io.get_executor(), config_for(srv->port()),
                  ClientOptions{.request_timeout = 5s, .retry_deadline = 30s});
    auto const started = Clock::now();
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().code == 429);
    BOOST_TEST(result.error().retry_after.value().count() == 60);  // what a caller would wait, at most
    BOOST_TEST(srv->requests().size() == 1u);
    BOOST_TEST((Clock::now() - started < 5s));
}

BOOST_AUTO_TEST_CASE(retries_stop_at_the_retry_deadline) {
    auto srv = server([](HttpRequest const&) {
        auto response = json_response(503, R"({"kind":"Status","status":"Failure","reason":"ServiceUnavailable","code":503})");
        response.set(http::field::retry_after, "1");
        return response;
    });
    Client client(io.get_executor(), config_for(srv->port()),
                  ClientOptions{.request_timeout = 5s, .retry_deadline = 1500ms});
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().code == 503);
    // The first try and one retry after 1 s; a second retry would end after 2 s > 1.5 s.
    BOOST_TEST(srv->requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(an_answer_that_never_comes_ends_at_the_deadline) {
    // A resolver that never answers: the operation is started and its callback never called.
    std::function<void(int)> kept;  // held, never called
    auto const started = Clock::now();
    auto const answer = run(gic::util::answer_or_deadline<int>(
        Clock::now() + 50ms, [&](std::function<void(int)> done) { kept = std::move(done); }));
    BOOST_TEST(!answer.has_value());
    BOOST_TEST((Clock::now() - started >= 50ms));
    BOOST_TEST((Clock::now() - started < 5s));
    // A late answer is dropped quietly.
    kept(1);
}

BOOST_AUTO_TEST_CASE(an_answer_before_the_deadline_is_returned) {
    auto const answer = run(gic::util::answer_or_deadline<int>(Clock::now() + 10s, [&](std::function<void(int)> done) {
        asio::post(io, [done] { done(42); });
    }));
    BOOST_TEST(answer.value() == 42);
}

BOOST_AUTO_TEST_CASE(waiting_for_an_answer_is_cancellable) {
    std::function<void(int)> kept;
    asio::cancellation_signal cancel;
    bool aborted = false;
    bool done = false;
    asio::co_spawn(io,
                   gic::util::answer_or_deadline<int>(Clock::now() + 10s,
                                                      [&](std::function<void(int)> d) { kept = std::move(d); }),
                   asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, std::optional<int>) {
                       done = true;
                       try {
                           if (e) std::rethrow_exception(e);
                       } catch (boost::system::system_error const& error) {
                           aborted = error.code() == asio::error::operation_aborted;
                       }
                   }));
    asio::steady_timer later(io, 20ms);
    later.async_wait([&](auto) { cancel.emit(asio::cancellation_type::terminal); });
    BOOST_TEST(run_until([&] { return done; }));
    BOOST_TEST(aborted);
}

BOOST_AUTO_TEST_CASE(a_host_name_that_does_not_resolve_in_time_fails_at_the_request_deadline) {
    // Resolving is abandoned at the request deadline like the rest of the request: with a
    // deadline that has passed, the lookup's answer (whatever the DNS of the test machine does
    // with the name) is not waited for.
    auto config = config_for(1);
    config.host = "gen-istio-cert-test.invalid";
    config.server = "https://gen-istio-cert-test.invalid:1";
    Client client(io.get_executor(), config, ClientOptions{.request_timeout = 0ms});
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(contains(result.error().message,
                        "resolving the host of https://gen-istio-cert-test.invalid:1: no answer for "
                        "gen-istio-cert-test.invalid before the request deadline"));
}

BOOST_AUTO_TEST_SUITE_END()
