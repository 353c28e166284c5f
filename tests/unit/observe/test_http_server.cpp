#include "observe/health.hpp"
#include "observe/http_request_limits.hpp"
#include "observe/http_server.hpp"
#include "observe/metrics.hpp"
#include "util/error.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <sys/time.h>

using namespace gic;
using namespace gic::observe;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Reply {
    unsigned status = 0;
    std::string content_type;
    std::string body;
    std::string content_length;
};

// A blocking client on its own io_context (the server's loop runs on another thread).
Reply request(tcp::endpoint ep, http::verb verb, std::string const& target) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ep.port()));
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(false);
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    if (verb == http::verb::head) parser.skip(true);
    http::read(socket, buffer, parser);
    auto const& res = parser.get();
    return {res.result_int(), std::string(res[http::field::content_type]), res.body(),
            std::string(res[http::field::content_length])};
}

// Runs `server` on a loop thread until the fixture ends; then cancels it and checks it stopped.
struct Running {
    asio::io_context io{1};
    asio::cancellation_signal stop;
    std::promise<std::exception_ptr> ended;
    std::thread thread;

    template <class Server>
    void start(Server& server) {
        auto op = server.run();
        asio::co_spawn(io, std::move(op),
                       asio::bind_cancellation_slot(stop.slot(), [this](std::exception_ptr e) { ended.set_value(e); }));
        thread = std::thread([this] { io.run(); });
    }

    // Cancels and returns what the serving coroutine ended with.
    std::exception_ptr finish() {
        asio::post(io, [this] { stop.emit(asio::cancellation_type::terminal); });
        thread.join();  // io.run() returns only when every connection coroutine is gone
        return ended.get_future().get();
    }
};

// Sends `bytes` on a fresh connection and returns everything the server answers until it closes
// (reads bounded by a 10 s receive timeout and 64 KiB).
std::string send_raw(tcp::endpoint ep, std::string const& bytes) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ep.port()));
    timeval const timeout{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    asio::write(socket, asio::buffer(bytes));
    std::string answer;
    char chunk[4096];
    boost::system::error_code ec;
    while (!ec && answer.size() < 65536) {
        auto const n = socket.read_some(asio::buffer(chunk), ec);
        answer.append(chunk, n);
    }
    return answer;
}

bool aborted(std::exception_ptr e) {
    try {
        if (e) std::rethrow_exception(e);
    } catch (boost::system::system_error const& se) {
        return se.code() == asio::error::operation_aborted;
    }
    return false;
}

std::string config_error_of(std::function<void()> const& f) {
    try {
        f();
    } catch (ConfigError const& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_server)

BOOST_AUTO_TEST_CASE(serves_metrics_and_probes_on_loopback) {
    AgentMetrics metrics("9.9.9");
    std::atomic<bool> lease_ok{true};
    std::atomic<bool> ready{false};
    ObservabilityOptions options{"127.0.0.1:0", "127.0.0.1:0", [&] { return lease_ok.load(); }, [&] { return ready.load(); }};
    Running loop;
    ObservabilityServer server(loop.io.get_executor(), options, metrics);
    BOOST_TEST_REQUIRE(server.metrics_endpoint().has_value());
    BOOST_TEST_REQUIRE(server.health_endpoint().has_value());
    BOOST_TEST(server.metrics_endpoint()->port() != server.health_endpoint()->port());
    loop.start(server);
    auto const m = *server.metrics_endpoint();
    auto const h = *server.health_endpoint();

    auto scraped = request(m, http::verb::get, "/metrics");
    BOOST_TEST(scraped.status == 200u);
    BOOST_TEST(scraped.content_type == "text/plain; version=0.0.4; charset=utf-8");
    BOOST_TEST(scraped.body.find("gen_istio_cert_build_info{version=\"9.9.9\"} 1\n") != std::string::npos, scraped.body);

    BOOST_TEST(request(h, http::verb::get, "/healthz").status == 200u);
    BOOST_TEST(request(h, http::verb::get, "/healthz?verbose").status == 200u);
    auto not_ready = request(h, http::verb::get, "/readyz");
    BOOST_TEST(not_ready.status == 503u);
    BOOST_TEST(not_ready.body == "no valid certificate is stored yet\n");
    ready = true;
    BOOST_TEST(request(h, http::verb::get, "/readyz").status == 200u);
    lease_ok = false;
    auto unhealthy = request(h, http::verb::get, "/healthz");
    BOOST_TEST(unhealthy.status == 503u);
    BOOST_TEST(unhealthy.body == "leader election: the Lease was not renewed recently\n");

    // Paths belong to their own listener.
    BOOST_TEST(request(m, http::verb::get, "/healthz").status == 404u);
    BOOST_TEST(request(h, http::verb::get, "/metrics").status == 404u);
    BOOST_TEST(request(m, http::verb::post, "/metrics").status == 405u);
    auto head = request(h, http::verb::head, "/readyz");
    BOOST_TEST(head.status == 200u);
    BOOST_TEST(head.content_length == "3");

    BOOST_TEST(aborted(loop.finish()));
}

BOOST_AUTO_TEST_CASE(one_listener_serves_everything_when_the_addresses_are_equal) {
    AgentMetrics metrics("0.1.0");
    Running loop;
    // Sharing needs a fixed port (":0" twice means two ephemeral ports). The port is one that was
    // free a moment ago; another process (a test running beside this one) may take it before the
    // server binds, which the server reports as "Address already in use": then take another.
    std::unique_ptr<ObservabilityServer> server;
    for (int attempt = 0; attempt < 20 && !server; ++attempt) {
        std::string address;
        {
            asio::io_context probe_io;
            tcp::acceptor probe(probe_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
            address = "127.0.0.1:" + std::to_string(probe.local_endpoint().port());
        }
        try {
            server = std::make_unique<ObservabilityServer>(loop.io.get_executor(),
                                                           ObservabilityOptions{address, address, {}, {}}, metrics);
        } catch (ConfigError const& e) {
            if (std::string_view(e.what()).find("Address already in use") == std::string_view::npos) throw;
        }
    }
    BOOST_TEST_REQUIRE(server != nullptr);
    BOOST_TEST_REQUIRE(server->health_endpoint().has_value());
    BOOST_TEST(server->metrics_endpoint()->port() == server->health_endpoint()->port());
    loop.start(*server);
    auto const ep = *server->metrics_endpoint();
    BOOST_TEST(request(ep, http::verb::get, "/metrics").status == 200u);
    BOOST_TEST(request(ep, http::verb::get, "/healthz").status == 200u);
    BOOST_TEST(request(ep, http::verb::get, "/readyz").status == 200u);
    BOOST_TEST(aborted(loop.finish()));
}

BOOST_AUTO_TEST_CASE(disabled_listeners_bind_nothing_and_run_returns_at_once) {
    AgentMetrics metrics("0.1.0");
    asio::io_context io;
    ObservabilityServer server(io.get_executor(), ObservabilityOptions{"0", "0", {}, {}}, metrics);
    BOOST_TEST(!server.metrics_endpoint().has_value());
    BOOST_TEST(!server.health_endpoint().has_value());
    bool done = false;
    auto op = server.run();
    asio::co_spawn(io, std::move(op), [&](std::exception_ptr e) { done = !e; });
    io.run();
    BOOST_TEST(done);
}

BOOST_AUTO_TEST_CASE(cancellation_closes_idle_keep_alive_connections) {
    AgentMetrics metrics("0.1.0");
    Running loop;
    ObservabilityServer server(loop.io.get_executor(), ObservabilityOptions{"127.0.0.1:0", "0", {}, {}}, metrics);
    loop.start(server);
    // A client that connects and sends nothing: the server's read waits on it.
    asio::io_context client_io;
    tcp::socket idle(client_io);
    idle.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.metrics_endpoint()->port()));
    auto scraped = request(*server.metrics_endpoint(), http::verb::get, "/metrics");
    BOOST_TEST(scraped.status == 200u);
    BOOST_TEST(aborted(loop.finish()));  // would hang for the idle timeout if the connection stayed open
    char byte = 0;
    boost::system::error_code ec;
    idle.read_some(asio::buffer(&byte, 1), ec);
    BOOST_TEST(ec == asio::error::eof);
}

BOOST_AUTO_TEST_CASE(requests_beyond_the_limits_are_answered_4xx_and_closed) {
    AgentMetrics metrics("0.1.0");
    Running loop;
    ObservabilityServer server(loop.io.get_executor(), ObservabilityOptions{"0", "127.0.0.1:0", {}, {}}, metrics);
    loop.start(server);
    auto const ep = *server.health_endpoint();
    // Each sends exactly what the server reads before it gives up, so its answer is not lost to a reset.
    std::string const head = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    // (A request line that never ends: Beast consumes complete lines of a header early.)
    auto huge_header = std::string("GET /");
    huge_header.resize(RequestLimits::buffer_bytes, 't');
    auto const too_large = send_raw(ep, huge_header);
    BOOST_TEST(too_large.starts_with("HTTP/1.1 431 "), too_large);
    auto const chunked = head + "Transfer-Encoding: chunked\r\n\r\n";
    auto endless_extension = chunked + "1;";
    endless_extension.resize(chunked.size() + RequestLimits::buffer_bytes, 'x');
    BOOST_TEST(send_raw(ep, endless_extension).starts_with("HTTP/1.1 413 "));
    auto endless_trailer = chunked + "0\r\nX-Trailer: ";
    endless_trailer.resize(chunked.size() + RequestLimits::buffer_bytes, 't');
    BOOST_TEST(send_raw(ep, endless_trailer).starts_with("HTTP/1.1 413 "));
    BOOST_TEST(send_raw(ep, head + "Content-Length: 100000\r\n\r\n").starts_with("HTTP/1.1 413 "));
    BOOST_TEST(send_raw(ep, head + "Content-Length: x\r\n\r\n").starts_with("HTTP/1.1 400 "));
    // A well-formed request on the same listener still gets its answer.
    BOOST_TEST(send_raw(ep, head + "Connection: close\r\n\r\n").starts_with("HTTP/1.1 200 "));
    BOOST_TEST(aborted(loop.finish()));
}

BOOST_AUTO_TEST_CASE(the_oldest_idle_connection_makes_room_for_a_new_one) {
    AgentMetrics metrics("0.1.0");
    Running loop;
    ObservabilityServer server(loop.io.get_executor(), ObservabilityOptions{"0", "127.0.0.1:0", {}, {}}, metrics);
    loop.start(server);
    auto const ep = tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.health_endpoint()->port());
    asio::io_context client_io;
    std::vector<tcp::socket> idle;
    for (std::size_t i = 0; i < RequestLimits::max_connections; ++i) {
        idle.emplace_back(client_io);
        idle.back().connect(ep);
    }
    // Every slot is taken by a connection that sent nothing: the probe still gets its answer.
    BOOST_TEST(request(ep, http::verb::get, "/healthz").status == 200u);
    char byte = 0;
    boost::system::error_code ec;
    idle.front().read_some(asio::buffer(&byte, 1), ec);  // closed to make room: returns at once
    BOOST_TEST((ec == asio::error::eof || ec == asio::error::connection_reset), ec.message());
    idle[1].non_blocking(true);
    idle[1].read_some(asio::buffer(&byte, 1), ec);
    BOOST_TEST((ec == asio::error::would_block), "the second oldest was closed too: " << ec.message());
    BOOST_TEST(aborted(loop.finish()));
}

BOOST_AUTO_TEST_CASE(bind_errors_name_the_flag) {
    AgentMetrics metrics("0.1.0");
    asio::io_context io;
    ObservabilityServer first(io.get_executor(), ObservabilityOptions{"127.0.0.1:0", "0", {}, {}}, metrics);
    auto const busy = "127.0.0.1:" + std::to_string(first.metrics_endpoint()->port());
    BOOST_TEST(config_error_of([&] { ObservabilityServer s(io.get_executor(), {busy, "0", {}, {}}, metrics); }) ==
               "--metrics-bind-address: cannot listen on " + busy + ": Address already in use");
    BOOST_TEST(config_error_of([&] { ObservabilityServer s(io.get_executor(), {"0", busy, {}, {}}, metrics); }) ==
               "--health-probe-bind-address: cannot listen on " + busy + ": Address already in use");
    BOOST_TEST(config_error_of([&] { ObservabilityServer s(io.get_executor(), {"8080", "0", {}, {}}, metrics); }) ==
               "--metrics-bind-address: invalid address '8080': expected [host]:port, e.g. :8080 (or 0 to disable)");
}

BOOST_AUTO_TEST_CASE(bind_addresses_parse_like_controller_runtime) {
    auto any = parse_bind_address(":8080", "--f");
    BOOST_TEST_REQUIRE(any.has_value());
    BOOST_TEST_REQUIRE(any->size() == 2u);
    BOOST_TEST((*any)[0].address().to_string() == "::");
    BOOST_TEST((*any)[1].address().to_string() == "0.0.0.0");
    BOOST_TEST((*any)[0].port() == 8080);
    BOOST_TEST(parse_bind_address("127.0.0.1:9090", "--f")->front().address().to_string() == "127.0.0.1");
    BOOST_TEST(parse_bind_address("[::1]:9090", "--f")->front().address().to_string() == "::1");
    BOOST_TEST(parse_bind_address("localhost:9090", "--f")->front().address().to_string() == "127.0.0.1");
    BOOST_TEST(parse_bind_address(":70000", "--f").error().message ==
               "--f: invalid address ':70000': the port must be a number from 0 to 65535");
    BOOST_TEST(parse_bind_address(":", "--f").error().message ==
               "--f: invalid address ':': the port must be a number from 0 to 65535");
    BOOST_TEST(parse_bind_address("metrics.local:80", "--f").error().message ==
               "--f: invalid address 'metrics.local:80': the host must be an IP address, localhost, or empty for every interface");
    BOOST_TEST(parse_bind_address("::1:80", "--f").error().message ==
               "--f: invalid address '::1:80': an IPv6 address must be in brackets, e.g. [::1]:8080");
    BOOST_TEST(bind_address_disabled("0"));
    BOOST_TEST(!bind_address_disabled(":0"));
}

BOOST_AUTO_TEST_SUITE_END()
