// kube::list and kube::watch against in-process HTTPS servers on 127.0.0.1: the request they
// send, events split across chunks, bookmarks, 410 in both forms, normal end, the stream
// deadline, cancellation, and the request observer.

#include "fixtures.hpp"
#include "kube/client.hpp"
#include "kube/watch.hpp"
#include "kube/watch_framer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>

using namespace gic::kube;
using namespace gic::kube::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

ResourceRef const leases_ref{"coordination.k8s.io/v1", "leases", "ns", "", ""};

std::string event(std::string const& type, std::string const& name, std::string const& rv) {
    return R"({"type":")" + type + R"(","object":{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":")" +
           name + R"(","namespace":"ns","resourceVersion":")" + rv + R"("}}})" + "\n";
}

// Everything a watch delivered: the events, then how it ended.
struct Outcome {
    std::vector<WatchEvent> events;
    bool ended_normally = false;
    std::optional<ApiError> error;  // from watch() or from next()
};

asio::awaitable<Outcome> drain(Client& client, WatchOptions options) {
    Outcome outcome;
    auto opened = co_await watch(client, leases_ref, options);
    if (!opened) {
        outcome.error = opened.error();
        co_return outcome;
    }
    auto stream = std::move(*opened);
    for (;;) {
        auto next = co_await stream->next();
        if (!next) {
            outcome.error = next.error();
            co_return outcome;
        }
        if (!*next) {
            outcome.ended_normally = true;
            co_return outcome;
        }
        outcome.events.push_back(std::move(**next));
    }
}

std::string describe(Outcome const& o) { return o.error ? o.error->describe() : std::string("no error"); }

std::string name_of(WatchEvent const& e) { return std::string(e.object.at("metadata").at("name").as_string()); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(watch_stream, ClientFixture)

BOOST_AUTO_TEST_CASE(events_split_across_chunks_arrive_whole_and_the_server_end_is_nullopt) {
    std::string const first = event("ADDED", "l1", "5");
    std::string const second = event("MODIFIED", "l1", "6");
    std::string const third = event("DELETED", "l1", "7");
    auto srv = server([&](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write(chunked_head());
        // The first event in three chunks, cut inside a string and inside a key; a pause
        // between them so that each arrives in its own read.
        co_await out.write(chunk(first.substr(0, 7)));
        co_await out.pause(20ms);
        co_await out.write(chunk(first.substr(7, 40)));
        co_await out.pause(20ms);
        co_await out.write(chunk(first.substr(47)));
        // Two events in one chunk, the second with the next chunk's bytes.
        co_await out.write(chunk(second + third.substr(0, 10)));
        co_await out.write(chunk(third.substr(10)));
        co_await out.write(last_chunk());
    });
    Client client(io.get_executor(), config_for(srv->port()));
    WatchOptions options;
    options.resource_version = "4";
    options.field_selector = "metadata.name=l1";
    options.timeout_seconds = 30s;
    auto const outcome = run(drain(client, options));
    BOOST_TEST_REQUIRE(outcome.ended_normally, describe(outcome));
    BOOST_TEST_REQUIRE(outcome.events.size() == 3u);
    BOOST_TEST((outcome.events[0].type == WatchEventType::added));
    BOOST_TEST((outcome.events[1].type == WatchEventType::modified));
    BOOST_TEST((outcome.events[2].type == WatchEventType::deleted));
    BOOST_TEST(outcome.events[2].object.at("metadata").at("resourceVersion").as_string() == "7");
    BOOST_TEST(name_of(outcome.events[0]) == "l1");

    BOOST_TEST_REQUIRE(srv->requests().size() == 1u);
    auto const& request = srv->requests()[0];
    BOOST_TEST(request.target() ==
               "/apis/coordination.k8s.io/v1/namespaces/ns/leases?watch=1&resourceVersion=4&allowWatchBookmarks=true"
               "&fieldSelector=metadata.name%3Dl1&timeoutSeconds=30");
    BOOST_TEST(request[boost::beast::http::field::authorization] == "Bearer static-token");
}

BOOST_AUTO_TEST_CASE(bookmark_and_expired_error_events_are_delivered) {
    auto srv = server([](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write(chunked_head());
        co_await out.write(chunk(
            R"({"type":"BOOKMARK","object":{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"resourceVersion":"42"}}})"
            "\n"));
        co_await out.write(chunk(
            R"x({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 3 (40)","reason":"Expired","code":410}})x"
            "\n"));
        co_await out.write(last_chunk());
    });
    Client client(io.get_executor(), config_for(srv->port()));
    WatchOptions options;
    options.allow_bookmarks = false;
    auto const outcome = run(drain(client, options));
    BOOST_TEST_REQUIRE(outcome.ended_normally, describe(outcome));
    BOOST_TEST_REQUIRE(outcome.events.size() == 2u);
    BOOST_TEST((outcome.events[0].type == WatchEventType::bookmark));
    BOOST_TEST(outcome.events[0].object.at("metadata").at("resourceVersion").as_string() == "42");
    BOOST_TEST((outcome.events[1].type == WatchEventType::error));
    BOOST_TEST(outcome.events[1].object.at("code").as_int64() == 410);
    BOOST_TEST(outcome.events[1].object.at("reason").as_string() == "Expired");
    // Without bookmarks and resourceVersion the query says so.
    BOOST_TEST(srv->requests().at(0).target() ==
               "/apis/coordination.k8s.io/v1/namespaces/ns/leases?watch=1&timeoutSeconds=300");
}

BOOST_AUTO_TEST_CASE(an_empty_stream_ends_normally) {
    auto srv = server([](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write(chunked_head() + last_chunk());
    });
    Client client(io.get_executor(), config_for(srv->port()));
    auto const outcome = run(drain(client, WatchOptions{}));
    BOOST_TEST(outcome.ended_normally, describe(outcome));
    BOOST_TEST(outcome.events.empty());
}

BOOST_AUTO_TEST_CASE(an_http_410_answer_is_an_api_error_from_watch) {
    std::string const status =
        R"x({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 3 (40)","reason":"Expired","code":410})x";
    auto srv = server([&](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write("HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(status.size()) + "\r\n\r\n" + status);
    });
    Client client(io.get_executor(), config_for(srv->port()));
    WatchOptions options;
    options.resource_version = "3";
    auto const outcome = run(drain(client, options));
    BOOST_TEST_REQUIRE(outcome.error.has_value());
    BOOST_TEST(outcome.error->code == 410);
    BOOST_TEST(outcome.error->reason == "Expired");
    BOOST_TEST(outcome.error->message == "too old resource version: 3 (40)");
    BOOST_TEST(outcome.error->verb == "watch");
    BOOST_TEST(outcome.error->resource == "leases");
    BOOST_TEST(outcome.error->api_group == "coordination.k8s.io");
}

BOOST_AUTO_TEST_CASE(a_connection_cut_mid_stream_is_an_error_after_the_whole_events) {
    auto srv = server([](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write(chunked_head() + chunk(event("ADDED", "l1", "5") + R"({"type":"MODI)"));
    });
    Client client(io.get_executor(), config_for(srv->port()));
    auto const outcome = run(drain(client, WatchOptions{}));
    BOOST_TEST(outcome.events.size() == 1u);
    BOOST_TEST_REQUIRE(outcome.error.has_value());
    BOOST_TEST(outcome.error->is_transport());
    BOOST_TEST(outcome.error->message.find("reading the stream from https://127.0.0.1:") == 0u, outcome.error->message);
}

BOOST_AUTO_TEST_CASE(the_stream_deadline_fires_on_a_stalled_stream) {
    auto srv = server([](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write(chunked_head() + chunk(event("ADDED", "l1", "5")));
        co_await out.wait_for_client_close();  // then silence
    });
    Client client(io.get_executor(), config_for(srv->port()));
    WatchOptions options;
    options.timeout_seconds = 1s;
    options.idle_grace = 1s;
    auto const outcome = run(drain(client, options));
    BOOST_TEST(outcome.events.size() == 1u);
    BOOST_TEST_REQUIRE(outcome.error.has_value());
    BOOST_TEST(outcome.error->is_transport());
    BOOST_TEST(outcome.error->message == "reading the stream from https://127.0.0.1:" + std::to_string(srv->port()) +
                                             ": no data before the read deadline");
    BOOST_TEST(run_until([&] { return srv->client_closed(); }));
}

BOOST_AUTO_TEST_CASE(cancelling_next_closes_the_connection) {
    auto srv = server([](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write(chunked_head());
        co_await out.wait_for_client_close();
    });
    Client client(io.get_executor(), config_for(srv->port()));
    std::unique_ptr<WatchStream> stream;
    auto opened = run(watch(client, leases_ref, WatchOptions{}));
    BOOST_TEST_REQUIRE(opened.has_value());
    stream = std::move(*opened);
    auto const winner = run([](WatchStream& s, asio::io_context& ctx) -> asio::awaitable<std::size_t> {
        using namespace asio::experimental::awaitable_operators;
        asio::steady_timer timer(ctx, 100ms);
        auto const outcome = co_await (s.next() || timer.async_wait(asio::use_awaitable));
        co_return outcome.index();
    }(*stream, io));
    BOOST_TEST(winner == 1u);  // the timer: next() was cancelled
    BOOST_TEST(run_until([&] { return srv->client_closed(); }));
}

BOOST_AUTO_TEST_CASE(malformed_and_oversized_events_end_the_stream_with_an_error) {
    auto srv = server([](HttpRequest const& request, RawResponse& out) -> asio::awaitable<void> {
        bool const bad_type = request.target().find("resourceVersion=1") != std::string_view::npos;
        co_await out.write(chunked_head());
        if (bad_type)
            co_await out.write(chunk(R"({"type":"CHANGED","object":{}})" "\n"));
        else
            co_await out.write(chunk(event("ADDED", std::string(2000, 'x'), "5")));
        co_await out.write(last_chunk());
    });
    Client client(io.get_executor(), config_for(srv->port()));
    WatchOptions first;
    first.resource_version = "1";
    auto const bad_type = run(drain(client, first));
    BOOST_TEST_REQUIRE(bad_type.error.has_value());
    BOOST_TEST(bad_type.error->message ==
               "watch event: unknown type \"CHANGED\" from https://127.0.0.1:" + std::to_string(srv->port()));
    WatchOptions small;
    small.resource_version = "2";
    small.max_event_bytes = 1000;
    auto const too_big = run(drain(client, small));
    BOOST_TEST_REQUIRE(too_big.error.has_value());
    BOOST_TEST(too_big.error->message.find("watch stream: an event is larger than 1000 bytes") == 0u,
               too_big.error->message);
}

BOOST_AUTO_TEST_CASE(list_sends_the_selector_and_version_and_returns_the_list) {
    std::vector<std::string> observed;
    auto srv = server([](HttpRequest const& request) {
        if (request.target().find("fieldSelector") == std::string_view::npos) return json_response(500, "{}");
        return json_response(
            200, R"({"kind":"LeaseList","apiVersion":"coordination.k8s.io/v1","metadata":{"resourceVersion":"77"},"items":[]})");
    });
    ClientOptions options;
    options.observer = [&](std::string_view verb, std::string_view resource, int code, std::chrono::nanoseconds) {
        observed.push_back(std::string(verb) + " " + std::string(resource) + " " + std::to_string(code));
    };
    Client client(io.get_executor(), config_for(srv->port()), options);
    auto const listed = run(list(client, leases_ref, ListOptions{.field_selector = "metadata.name=l1", .resource_version = "0"}));
    BOOST_TEST_REQUIRE(listed.has_value(), (listed.has_error() ? listed.error().describe() : std::string{}));
    BOOST_TEST(listed->at("metadata").at("resourceVersion").as_string() == "77");
    BOOST_TEST(srv->requests().at(0).target() ==
               "/apis/coordination.k8s.io/v1/namespaces/ns/leases?fieldSelector=metadata.name%3Dl1&resourceVersion=0"
               "&timeout=10s");
    auto const failed = run(list(client, leases_ref, ListOptions{}));
    BOOST_TEST_REQUIRE(failed.has_error());
    BOOST_TEST(failed.error().verb == "list");
    BOOST_TEST_REQUIRE(observed.size() == 2u);
    BOOST_TEST(observed[0] == "list leases 200");
    BOOST_TEST(observed[1] == "list leases 500");
}

BOOST_AUTO_TEST_CASE(the_observer_sees_each_exchange_with_transport_failures_as_zero) {
    std::vector<std::string> observed;
    ClientOptions options;
    options.observer = [&](std::string_view verb, std::string_view resource, int code, std::chrono::nanoseconds took) {
        BOOST_TEST(took.count() >= 0);
        observed.push_back(std::string(verb) + " " + std::string(resource) + " " + std::to_string(code));
    };
    int calls = 0;
    auto srv = server([&](HttpRequest const&) {
        auto r = json_response(++calls == 1 ? 429 : 201, R"({"kind":"TokenRequest","status":{"token":"t"}})");
        if (calls == 1) r.set(boost::beast::http::field::retry_after, "0");
        return r;
    });
    Client client(io.get_executor(), config_for(srv->port()), options);
    ResourceRef const token_ref{"v1", "serviceaccounts", "ns", "sa", "token"};
    auto const created = run(client.create(token_ref, json::object{{"kind", "TokenRequest"}}));
    BOOST_TEST(created.has_value());
    auto const port = srv->port();
    srv.reset();
    io.restart();
    io.poll();
    Client unreachable(io.get_executor(), config_for(port), options);
    auto const refused = run(unreachable.get(ResourceRef{"v1", "secrets", "ns", "s", ""}));
    BOOST_TEST(refused.has_error());
    auto watch_srv = server([](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write(chunked_head() + last_chunk());
    });
    Client watcher(io.get_executor(), config_for(watch_srv->port()), options);
    auto const watched = run(drain(watcher, WatchOptions{}));
    BOOST_TEST(watched.ended_normally);
    std::vector<std::string> const expected = {"create serviceaccounts/token 429", "create serviceaccounts/token 201",
                                               "get secrets 0", "watch leases 200"};
    BOOST_TEST(observed == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(watch_framing)

BOOST_AUTO_TEST_CASE(values_are_split_on_json_boundaries_not_lines) {
    WatchFramer framer(1 << 20);
    std::deque<WatchEvent> out;
    std::string const text = R"({"type":"ADDED","object":{"a":"x\n}"}}{"type":"DELETED","object":{}})";
    for (char c : text) BOOST_TEST_REQUIRE(framer.feed(std::string_view(&c, 1), out).has_value());
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST(out[0].object.at("a").as_string() == "x\n}");
    BOOST_TEST((out[1].type == WatchEventType::deleted));
    BOOST_TEST(!framer.mid_event());
}

BOOST_AUTO_TEST_CASE(an_event_without_an_object_is_named) {
    WatchFramer framer(1 << 20);
    std::deque<WatchEvent> out;
    auto const fed = framer.feed(R"({"type":"ADDED"})", out);
    BOOST_TEST_REQUIRE(!fed.has_value());
    BOOST_TEST(fed.error().message == "watch event: no \"object\" object");
    WatchFramer broken(1 << 20);
    auto const bad = broken.feed("{]", out);
    BOOST_TEST_REQUIRE(!bad.has_value());
    BOOST_TEST(bad.error().message.find("watch stream: invalid JSON: ") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
