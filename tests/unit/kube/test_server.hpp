#pragma once
// The in-process HTTPS/1.1 server of the client and watch tests, on 127.0.0.1:0 and the test's
// own io_context. It answers in one of two ways:
//   - a Handler returns a whole response per request, on keep-alive sessions (nullopt leaves the
//     request unanswered, to test deadlines and cancellation);
//   - a Script writes raw response bytes (heads, chunk frames split wherever the test wants,
//     pauses) on one connection per request, so that incremental reading is exercised exactly.
// It records the requests, the connections, the SNI and the client certificate of each
// handshake, and can require a client certificate.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gic::kube::test {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// A JSON response with the given status.
HttpResponse json_response(int status, std::string body);
// The response head of a chunked answer, one chunk frame carrying `data`, the terminating chunk.
std::string chunked_head(int status = 200);
std::string chunk(std::string const& data);
std::string last_chunk();

class RawResponse {
public:
    RawResponse(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream, bool& client_closed)
        : stream_(stream), client_closed_(client_closed) {}
    // Writes bytes as they are (flushed at once).
    boost::asio::awaitable<void> write(std::string bytes);
    boost::asio::awaitable<void> pause(std::chrono::milliseconds duration);
    // Waits until the client closes the connection (or it fails).
    boost::asio::awaitable<void> wait_for_client_close();

private:
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream_;
    bool& client_closed_;
};

struct ServerTls {
    std::string cert_pem{};       // empty: the shared test server certificate (fixtures.hpp)
    std::string key_pem{};
    std::string client_ca_pem{};  // non-empty: require a client certificate signed by it
};

class TestHttpsServer {
public:
    using Handler = std::function<std::optional<HttpResponse>(HttpRequest const&)>;
    using Script = std::function<boost::asio::awaitable<void>(HttpRequest const&, RawResponse&)>;

    TestHttpsServer(boost::asio::io_context& io, Handler handler, ServerTls tls = {});
    TestHttpsServer(boost::asio::io_context& io, Script script, ServerTls tls = {});
    ~TestHttpsServer();

    unsigned short port() const { return port_; }
    int connections() const { return connections_; }
    int handshake_failures() const { return handshake_failures_; }
    std::vector<HttpRequest> const& requests() const { return requests_; }
    // The SNI of the latest handshake ("" when none was sent).
    std::string const& last_sni() const { return last_sni_; }
    // The CN of the client certificate of each successful handshake ("" without one), in order.
    std::vector<std::string> const& client_names() const { return client_names_; }
    // True once a client closed its connection while a script waited for that.
    bool client_closed() const { return client_closed_; }

    // Close each connection right after a handler's response that promised keep-alive, as a
    // server's idle timeout does.
    bool drop_after_response = false;

private:
    TestHttpsServer(boost::asio::io_context& io, ServerTls const& tls);
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& io_;
    boost::asio::ssl::context ssl_;
    boost::asio::ip::tcp::acceptor acceptor_;
    Handler handler_;
    Script script_;
    unsigned short port_ = 0;
    int connections_ = 0;
    int handshake_failures_ = 0;
    std::vector<HttpRequest> requests_;
    std::string last_sni_;
    std::vector<std::string> client_names_;
    bool client_closed_ = false;
};

}  // namespace gic::kube::test
