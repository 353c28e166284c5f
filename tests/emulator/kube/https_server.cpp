#include "https_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <iostream>
#include <stdexcept>

namespace gic::emu::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr auto handshake_timeout = std::chrono::seconds(10);
constexpr auto idle_timeout = std::chrono::minutes(5);
constexpr std::size_t body_limit = 8 * 1024 * 1024;

std::vector<std::string> name_entries(X509_NAME* name, int nid) {
    std::vector<std::string> out;
    int idx = -1;
    while ((idx = X509_NAME_get_index_by_NID(name, nid, idx)) >= 0) {
        auto* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
        unsigned char* utf8 = nullptr;
        int len = ASN1_STRING_to_UTF8(&utf8, data);
        if (len >= 0) {
            out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
            OPENSSL_free(utf8);
        }
    }
    return out;
}

PeerCertificate peer_certificate(SSL* ssl) {
    PeerCertificate peer;
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert) return peer;
    peer.present = true;
    peer.verified = SSL_get_verify_result(ssl) == X509_V_OK;
    // Only client-auth certificates count, as Go's x509 authenticator requires ExtKeyUsageClientAuth.
    if (peer.verified && (X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) &&
        !(X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT))
        peer.verified = false;
    X509_NAME* subject = X509_get_subject_name(cert);
    auto cns = name_entries(subject, NID_commonName);
    if (!cns.empty()) peer.common_name = cns.front();
    peer.organizations = name_entries(subject, NID_organizationName);
    X509_free(cert);
    return peer;
}

// Writes chunks straight to the TLS stream while a second coroutine reads from it, only to learn
// when the client closes its side: a watch must not outlive its client.
class TlsChunkWriter final : public ChunkWriter {
public:
    explicit TlsChunkWriter(TlsStream& stream) : stream_(stream), reader_done_(stream.get_executor()) {
        reader_done_.expires_at(asio::steady_timer::time_point::max());
    }

    void start_reader() {
        reading_ = true;
        asio::co_spawn(stream_.get_executor(), read_until_gone(), asio::detached);
    }

    asio::awaitable<bool> write(std::string data) override {
        if (gone_) co_return false;
        auto [ec, n] = co_await asio::async_write(stream_, beast::http::make_chunk(asio::buffer(data)),
                                                  asio::as_tuple(asio::use_awaitable));
        if (ec) mark_gone();
        co_return !ec;
    }
    bool client_gone() const override { return gone_; }
    void on_client_gone(std::function<void()> callback) override { callback_ = std::move(callback); }

    asio::awaitable<bool> write_last_chunk() {
        if (gone_) co_return false;
        auto [ec, n] = co_await asio::async_write(stream_, beast::http::make_chunk_last(),
                                                  asio::as_tuple(asio::use_awaitable));
        co_return !ec;
    }

    // Stops the reader (its frame refers to the stream) and waits until it has finished.
    asio::awaitable<void> stop_reader() {
        callback_ = nullptr;
        if (!reading_) co_return;
        beast::get_lowest_layer(stream_).cancel();
        co_await reader_done_.async_wait(asio::as_tuple(asio::use_awaitable));
    }

private:
    asio::awaitable<void> read_until_gone() {
        char scratch[512];
        for (;;) {
            auto [ec, n] = co_await stream_.async_read_some(asio::buffer(scratch), asio::as_tuple(asio::use_awaitable));
            if (ec) break;
        }
        mark_gone();
        reading_ = false;
        reader_done_.cancel();
    }

    void mark_gone() {
        if (gone_) return;
        gone_ = true;
        if (auto cb = std::exchange(callback_, nullptr)) cb();
    }

    TlsStream& stream_;
    asio::steady_timer reader_done_;
    std::function<void()> callback_;
    bool gone_ = false;
    bool reading_ = false;
};

// Sends the head of a streamed answer (chunked), runs its body, and ends it as the body says.
// True when the stream ended cleanly (last chunk written).
asio::awaitable<bool> serve_stream(TlsStream& stream, HttpRequest const& request, Reply& reply) {
    beast::http::response<beast::http::empty_body> head(reply.response.result(), request.version());
    for (auto const& field : reply.response) head.set(field.name_string(), field.value());
    head.set(beast::http::field::server, "kube-apiserver-emulator");
    head.keep_alive(false);
    head.chunked(true);
    beast::http::response_serializer<beast::http::empty_body> serializer(head);
    auto [head_ec, n] = co_await beast::http::async_write_header(stream, serializer, asio::as_tuple(asio::use_awaitable));
    if (head_ec) co_return false;
    TlsChunkWriter writer(stream);
    writer.start_reader();
    StreamEnd end = StreamEnd::abort;
    try {
        end = co_await reply.stream(writer);
    } catch (std::exception const& e) {
        std::cerr << "stream error: " << e.what() << std::endl;
    }
    bool clean = end == StreamEnd::complete && co_await writer.write_last_chunk();
    co_await writer.stop_reader();
    co_return clean;
}

asio::awaitable<void> serve_connection(TlsStream stream, ApiServer& api) {
    auto& tcp_layer = beast::get_lowest_layer(stream);
    tcp_layer.expires_after(handshake_timeout);
    auto [hs_ec] = co_await stream.async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (hs_ec) co_return;
    auto peer = peer_certificate(stream.native_handle());

    beast::flat_buffer buffer;
    for (;;) {
        beast::http::request_parser<beast::http::string_body> parser;
        parser.body_limit(body_limit);
        tcp_layer.expires_after(idle_timeout);
        auto [read_ec, n] = co_await beast::http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (read_ec) break;
        auto request = parser.release();
        tcp_layer.expires_never();
        Reply reply = co_await api.handle(request, peer);
        if (reply.drop) {
            beast::error_code ignored;
            tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
            tcp_layer.close();
            co_return;
        }
        if (reply.stream) {
            // A watch ends its connection; a cut-off stream ends without the TLS goodbye.
            if (co_await serve_stream(stream, request, reply)) break;
            beast::error_code ignored;
            tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
            tcp_layer.close();
            co_return;
        }
        auto& response = reply.response;
        response.version(request.version());
        response.keep_alive(request.keep_alive());
        response.set(beast::http::field::server, "kube-apiserver-emulator");
        response.prepare_payload();
        tcp_layer.expires_after(idle_timeout);
        auto [write_ec, w] = co_await beast::http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
        if (write_ec || response.need_eof()) break;
    }
    tcp_layer.expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, ssl::context& ssl_ctx, ApiServer& api) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted) co_return;
            continue;
        }
        auto ex = socket.get_executor();
        asio::co_spawn(ex, serve_connection(TlsStream(beast::tcp_stream(std::move(socket)), ssl_ctx), api),
                       [](std::exception_ptr e) {
                           if (!e) return;
                           try {
                               std::rethrow_exception(e);
                           } catch (std::exception const& ex) {
                               std::cerr << "connection error: " << ex.what() << std::endl;
                           }
                       });
    }
}

void configure_tls(ssl::context& ctx, TlsMaterial const& tls) {
    SSL_CTX* native = ctx.native_handle();
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (SSL_CTX_use_certificate(native, tls.server_cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(native, tls.server_key.get()) != 1 || SSL_CTX_check_private_key(native) != 1)
        throw std::runtime_error("serving certificate and key do not load");
    X509_up_ref(tls.server_ca.get());
    if (SSL_CTX_add1_chain_cert(native, tls.server_ca.get()) != 1) {
        X509_free(tls.server_ca.get());
        throw std::runtime_error("cannot add the CA to the serving chain");
    }
    X509_free(tls.server_ca.get());
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(native), tls.client_ca.get()) != 1)
        throw std::runtime_error("cannot trust the client CA");
    if (SSL_CTX_add_client_CA(native, tls.client_ca.get()) != 1)
        throw std::runtime_error("cannot announce the client CA");
    // Request a client certificate; a bad one is not a handshake failure but a 401 later.
    ctx.set_verify_mode(ssl::verify_peer);
    ctx.set_verify_callback([](bool, ssl::verify_context&) { return true; });
}

}  // namespace

HttpsServer::HttpsServer(asio::io_context& io, tcp::endpoint endpoint, TlsMaterial const& tls, ApiServer& api)
    : io_(io), ssl_(ssl::context::tls_server), acceptor_(io), api_(api) {
    configure_tls(ssl_, tls);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

void HttpsServer::start() { asio::co_spawn(io_, accept_loop(acceptor_, ssl_, api_), asio::detached); }

}  // namespace gic::emu::kube
