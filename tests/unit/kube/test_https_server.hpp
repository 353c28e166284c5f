#pragma once
// A small HTTPS/1.1 server for the client tests, on 127.0.0.1:0 and the test's own
// io_context: keep-alive sessions, a handler per request, counters of connections and
// requests. A handler returning nullopt leaves the request unanswered (to test deadlines).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gic::kube::test {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

// A JSON response with the given status.
HttpResponse json_response(int status, std::string body);

class TestHttpsServer {
public:
    using Handler = std::function<std::optional<HttpResponse>(HttpRequest const&)>;

    // `client_ca_pem` non-empty: require a client certificate signed by it.
    TestHttpsServer(boost::asio::io_context& io, std::string const& cert_pem, std::string const& key_pem, Handler handler,
                    std::string const& client_ca_pem = {});
    ~TestHttpsServer();

    unsigned short port() const { return port_; }
    int connections() const { return connections_; }
    int handshake_failures() const { return handshake_failures_; }
    std::vector<HttpRequest> const& requests() const { return requests_; }
    // The SNI of the latest handshake ("" when none was sent).
    std::string const& last_sni() const { return last_sni_; }

    // Close each connection right after a response that promised keep-alive, as a server's
    // idle timeout does.
    bool drop_after_response = false;

private:
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& io_;
    boost::asio::ssl::context ssl_;
    boost::asio::ip::tcp::acceptor acceptor_;
    Handler handler_;
    unsigned short port_ = 0;
    int connections_ = 0;
    int handshake_failures_ = 0;
    std::vector<HttpRequest> requests_;
    std::string last_sni_;
};

}  // namespace gic::kube::test
