#include "stream_test_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include <cstdio>

namespace gic::kube::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::as_tuple;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

std::string chunked_head(int status) {
    return "HTTP/1.1 " + std::to_string(status) +
           " OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
}

std::string chunk(std::string const& data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + data + "\r\n";
}

std::string last_chunk() { return "0\r\n\r\n"; }

asio::awaitable<void> RawResponse::write(std::string bytes) {
    co_await asio::async_write(stream_, asio::buffer(bytes), as_tuple(use_awaitable));
}

asio::awaitable<void> RawResponse::pause(std::chrono::milliseconds duration) {
    asio::steady_timer timer(stream_.get_executor(), duration);
    co_await timer.async_wait(as_tuple(use_awaitable));
}

asio::awaitable<void> RawResponse::wait_for_client_close() {
    char scratch[256];
    for (;;) {
        auto [ec, n] = co_await stream_.async_read_some(asio::buffer(scratch), as_tuple(use_awaitable));
        if (ec) break;
    }
    client_closed_ = true;
}

StreamTestServer::StreamTestServer(asio::io_context& io, std::string const& cert_pem, std::string const& key_pem,
                                   Script script)
    : io_(io), ssl_(asio::ssl::context::tls_server), acceptor_(io), script_(std::move(script)) {
    ssl_.use_certificate_chain(asio::buffer(cert_pem));
    ssl_.use_private_key(asio::buffer(key_pem), asio::ssl::context::pem);
    tcp::endpoint const endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
}

StreamTestServer::~StreamTestServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

asio::awaitable<void> StreamTestServer::accept_loop() {
    for (;;) {
        auto [ec, socket] = co_await acceptor_.async_accept(as_tuple(use_awaitable));
        if (ec) co_return;
        asio::co_spawn(io_, session(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> StreamTestServer::session(tcp::socket socket) {
    asio::ssl::stream<tcp::socket> stream(std::move(socket), ssl_);
    auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, as_tuple(use_awaitable));
    if (handshake_ec) co_return;
    boost::beast::flat_buffer buffer;
    Request request;
    auto [read_ec, read] = co_await http::async_read(stream, buffer, request, as_tuple(use_awaitable));
    if (read_ec) co_return;
    requests_.push_back(request);
    RawResponse response(stream, client_closed_);
    co_await script_(request, response);
    boost::system::error_code ignored;
    stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace gic::kube::test
