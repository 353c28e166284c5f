#pragma once
// A small HTTP/1.1 server (Beast) for /metrics and the health probes, on the agent's io_context.
// It answers GET and HEAD on registered paths; handlers are synchronous and cheap (they read state
// the loop keeps), so an answer also proves the loop is alive.
//
// Any pod that can reach the port is a client, so what a client controls is bounded
// (observe/http_request_limits.hpp): the bytes of a request, one deadline per request, and the
// number of connections (the oldest idle one is closed to make room for a new one; with none idle
// the new one is refused). A request beyond a limit is answered 431, 413 or 400 and its
// connection closed.
//
// Per-Operation Cancellation: serve() ends by throwing boost::system::system_error
// (operation_aborted) when cancelled; open connections are closed at that point and no handler
// runs afterwards.
// Thread Safety: io_context thread only.

#include "util/error.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gic::observe {

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

using HttpHandler = std::function<HttpResponse()>;

// The endpoints to try for a bind address, in order: ":8080" (every interface: [::] dual-stack,
// then 0.0.0.0 where IPv6 is off), "127.0.0.1:8080", "[::1]:8080", "localhost:8080". An empty,
// malformed or named (non-IP) host is an error that names `flag`.
Result<std::vector<boost::asio::ip::tcp::endpoint>> parse_bind_address(std::string_view address, std::string_view flag);

// True for the value that switches a listener off ("0").
inline bool bind_address_disabled(std::string_view address) { return address == "0"; }

class HttpServer {
public:
    // Binds and listens now (startup): a malformed or unusable address throws gic::ConfigError whose
    // message names `flag`, e.g. "--metrics-bind-address: cannot listen on [::]:8080: Address already in use".
    HttpServer(boost::asio::any_io_executor executor, std::string_view address, std::string_view flag);
    ~HttpServer();
    HttpServer(HttpServer const&) = delete;
    HttpServer& operator=(HttpServer const&) = delete;

    // Exact path match ("/metrics"); a query string is ignored. Register before serve().
    void route(std::string path, HttpHandler handler);

    boost::asio::ip::tcp::endpoint local_endpoint() const;

    // Accepts connections until cancelled.
    boost::asio::awaitable<void> serve();

    struct Shared;

private:
    std::shared_ptr<Shared> shared_;
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
};

}  // namespace gic::observe
