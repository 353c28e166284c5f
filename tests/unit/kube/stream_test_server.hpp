#pragma once
// An HTTPS server for the watch tests: each request runs a script that writes raw response
// bytes (head, chunk frames split wherever the test wants, pauses), so that the client's
// incremental reading is exercised exactly. One request per connection.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace gic::kube::test {

// The response head of a chunked 200 answer.
std::string chunked_head(int status = 200);
// One chunk frame carrying `data`, and the terminating chunk.
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

class StreamTestServer {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    using Script = std::function<boost::asio::awaitable<void>(Request const&, RawResponse&)>;

    StreamTestServer(boost::asio::io_context& io, std::string const& cert_pem, std::string const& key_pem, Script script);
    ~StreamTestServer();

    unsigned short port() const { return port_; }
    std::vector<Request> const& requests() const { return requests_; }
    // True once a client closed its connection while a script waited for that.
    bool client_closed() const { return client_closed_; }

private:
    boost::asio::awaitable<void> accept_loop();
    boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& io_;
    boost::asio::ssl::context ssl_;
    boost::asio::ip::tcp::acceptor acceptor_;
    Script script_;
    unsigned short port_ = 0;
    std::vector<Request> requests_;
    bool client_closed_ = false;
};

}  // namespace gic::kube::test
