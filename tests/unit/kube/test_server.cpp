#include "test_server.hpp"

#include "fixtures.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>

namespace gic::kube::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::as_tuple;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

std::string client_common_name(SSL* ssl) {
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert) return {};
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof name);
    X509_free(cert);
    return name;
}

}  // namespace

HttpResponse json_response(int status, std::string body) {
    HttpResponse response(static_cast<http::status>(status), 11);
    response.set(http::field::content_type, "application/json");
    response.body() = std::move(body);
    return response;
}

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

TestHttpsServer::TestHttpsServer(asio::io_context& io, ServerTls const& tls)
    : io_(io), ssl_(asio::ssl::context::tls_server), acceptor_(io) {
    bool const shared = tls.cert_pem.empty();
    std::string const cert = shared ? pki().server.cert.to_pem() : tls.cert_pem;
    std::string const key = shared ? pki().server.key.to_pkcs8_pem() : tls.key_pem;
    ssl_.use_certificate_chain(asio::buffer(cert));
    ssl_.use_private_key(asio::buffer(key), asio::ssl::context::pem);
    if (!tls.client_ca_pem.empty()) {
        ssl_.add_certificate_authority(asio::buffer(tls.client_ca_pem));
        ssl_.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    }
    tcp::endpoint const endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
}

TestHttpsServer::TestHttpsServer(asio::io_context& io, Handler handler, ServerTls tls) : TestHttpsServer(io, tls) {
    handler_ = std::move(handler);
    asio::co_spawn(io_, accept_loop(), asio::detached);
}

TestHttpsServer::TestHttpsServer(asio::io_context& io, Script script, ServerTls tls) : TestHttpsServer(io, tls) {
    script_ = std::move(script);
    asio::co_spawn(io_, accept_loop(), asio::detached);
}

TestHttpsServer::~TestHttpsServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

asio::awaitable<void> TestHttpsServer::accept_loop() {
    for (;;) {
        auto [ec, socket] = co_await acceptor_.async_accept(as_tuple(use_awaitable));
        if (ec) co_return;
        asio::co_spawn(io_, session(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> TestHttpsServer::session(tcp::socket socket) {
    asio::ssl::stream<tcp::socket> stream(std::move(socket), ssl_);
    ++connections_;
    auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, as_tuple(use_awaitable));
    if (handshake_ec) {
        ++handshake_failures_;
        co_return;
    }
    char const* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    last_sni_ = sni ? sni : "";
    client_names_.push_back(client_common_name(stream.native_handle()));
    boost::beast::flat_buffer buffer;
    for (;;) {
        HttpRequest request;
        auto [read_ec, read] = co_await http::async_read(stream, buffer, request, as_tuple(use_awaitable));
        if (read_ec) co_return;
        requests_.push_back(request);
        if (script_) {
            RawResponse response(stream, client_closed_);
            co_await script_(request, response);
            boost::system::error_code ignored;
            stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
            co_return;
        }
        auto response = handler_(request);
        if (!response) {
            // Never answer; the client's deadline or cancellation ends this.
            asio::steady_timer forever(io_, asio::steady_timer::time_point::max());
            co_await forever.async_wait(as_tuple(use_awaitable));
            co_return;
        }
        if (!request.keep_alive()) response->keep_alive(false);
        response->prepare_payload();
        auto [write_ec, written] = co_await http::async_write(stream, *response, as_tuple(use_awaitable));
        if (write_ec || !response->keep_alive() || drop_after_response) {
            boost::system::error_code ignored;
            stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
            co_return;
        }
    }
}

}  // namespace gic::kube::test
