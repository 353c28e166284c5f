#include "kube/https_connection.hpp"

#include "util/answer_or_deadline.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/http/parser.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <memory>
#include <utility>

#include <sys/socket.h>

namespace gic::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

bool is_ip_address(std::string const& text) {
    boost::system::error_code ec;
    auto const address = asio::ip::make_address(text, ec);
    (void)address;
    return !ec;
}

}  // namespace

HttpsConnection::HttpsConnection(asio::any_io_executor executor, RestConfig const& config)
    : executor_(std::move(executor)),
      server_(config.server),
      host_(config.host),
      port_(config.port),
      verify_name_(config.tls_server_name.empty() ? config.host : config.tls_server_name),
      verify_ip_(is_ip_address(verify_name_)),
      ca_pem_(config.ca_pem),
      ca_certs_(config.ca_certs),
      insecure_(config.ca_pem.empty() && config.insecure_skip_tls_verify),
      client_cert_pem_(config.client_cert_pem),
      client_key_pem_(config.client_key_pem),
      ssl_context_(ssl::context::tls_client) {
    std::string const source = config.origin.empty() ? server_ : config.origin;
    if (host_.empty() || port_.empty()) throw ConfigError(source + ": server URL was not split (call split_server_url)");
    if (auto configured = configure(ssl_context_, client_cert_pem_, client_key_pem_); !configured) {
        throw ConfigError(source + ": " + configured.error().message);
    }
    auto const proxy_url = select_proxy_url(config.proxy_url, host_, port_, [](char const* name) {
        char const* value = std::getenv(name);
        return value ? std::string(value) : std::string();
    });
    if (!proxy_url.empty()) {
        auto proxy = parse_proxy_url(proxy_url);
        if (!proxy) throw ConfigError(source + ": " + proxy.error().message);
        proxy_ = std::move(*proxy);
    }
}

Result<void> HttpsConnection::configure(ssl::context& context, std::string const& cert_pem,
                                        std::string const& key_pem) const {
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    if (insecure_) {
        context.set_verify_mode(ssl::verify_none);
    } else {
        context.set_verify_mode(ssl::verify_peer);
        if (ca_pem_.empty()) {
            // No CA configured: the system trust store, as client-go (crypto/x509's system pool);
            // OpenSSL's default paths honour SSL_CERT_FILE and SSL_CERT_DIR.
            context.set_default_verify_paths(ec);
            if (ec) return make_error("loading the system trust store", ec.message());
        } else {
            // Only the configured CA: the system trust store is not added to it. The certificates
            // the loader decoded when it checked them are trusted as they are, while they are ca_pem's.
            if (ca_certs_ && ca_certs_->pem == ca_pem_) {
                X509_STORE* store = SSL_CTX_get_cert_store(context.native_handle());
                for (auto const& cert : ca_certs_->certs) {
                    if (X509_STORE_add_cert(store, cert.get()) != 1) {
                        ec.assign(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
                        return make_error("loading the CA certificate", ec.message());
                    }
                }
            } else {
                context.add_certificate_authority(asio::buffer(ca_pem_), ec);
                if (ec) return make_error("loading the CA certificate", ec.message());
            }
        }
    }
    if (!cert_pem.empty()) {
        context.use_certificate_chain(asio::buffer(cert_pem), ec);
        if (ec) return make_error("loading the client certificate", ec.message());
        context.use_private_key(asio::buffer(key_pem), ssl::context::pem, ec);
        if (ec) return make_error("loading the client key", ec.message());
    }
    return {};
}

Result<void> HttpsConnection::use_client_certificate(std::string const& cert_pem, std::string const& key_pem) {
    if (cert_pem == client_cert_pem_ && key_pem == client_key_pem_) return {};
    ssl::context fresh(ssl::context::tls_client);
    if (auto configured = configure(fresh, cert_pem, key_pem); !configured) return configured.error();
    // The open connection presented the old certificate: the server would keep seeing it.
    close();
    ssl_context_ = std::move(fresh);
    client_cert_pem_ = cert_pem;
    client_key_pem_ = key_pem;
    return {};
}

void HttpsConnection::close() {
    if (stream_) {
        boost::system::error_code ignored;
        auto& socket = beast::get_lowest_layer(*stream_).socket();
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        stream_.reset();
    }
    buffer_.clear();
    stream_parser_.reset();
}

Error HttpsConnection::failure(std::string const& what, boost::system::error_code const& ec) const {
    if (ec == beast::error::timeout) return make_error(what + " " + server_, "request timed out");
    if (ec == http::error::header_limit)
        return make_error(what + " " + server_,
                          "the response header is larger than " + std::to_string(max_response_header) + " bytes");
    if (ec == http::error::body_limit)
        return make_error(what + " " + server_,
                          "the response body is larger than " + std::to_string(max_response_body) + " bytes");
    if (ec == http::error::buffer_overflow)
        return make_error(what + " " + server_, "a chunk header (with its extensions) or the trailer is larger than " +
                                                    std::to_string(max_read_buffer) + " bytes");
    return make_error(what + " " + server_, ec.message());
}

// Called after a failed operation, once the connection is closed: the caller must close it
// before this co_await, because once the coroutine is cancelled Asio makes every co_await
// (this one included) throw operation_aborted.
asio::awaitable<void> HttpsConnection::throw_if_cancelled(boost::system::error_code const& ec) {
    if (ec == asio::error::operation_aborted) throw boost::system::system_error(asio::error::operation_aborted);
    auto const state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) {
        throw boost::system::system_error(asio::error::operation_aborted);
    }
}

// An idle keep-alive connection is usable when nothing is waiting on it: no bytes and no EOF.
// The server may have closed it (idle timeout) or sent a TLS close_notify; then reconnect
// instead of losing a request to it.
bool HttpsConnection::idle_connection_usable() {
    if (!stream_ || buffer_.size() != 0) return false;
    auto& socket = beast::get_lowest_layer(*stream_).socket();
    if (!socket.is_open()) return false;
    char byte = 0;
    ssize_t const n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// tcp_stream's expiry does not cover resolving, and a cancelled async_resolve completes only
// once getaddrinfo returns (it runs on Asio's resolver thread): the lookup is abandoned at the
// deadline instead, like every other step of the request.
asio::awaitable<Result<tcp::resolver::results_type>> HttpsConnection::resolve(
    std::string host, std::string port, std::chrono::steady_clock::time_point deadline) {
    using Answer = std::pair<boost::system::error_code, tcp::resolver::results_type>;
    auto resolver = std::make_shared<tcp::resolver>(executor_);
    // Named, not a temporary inside the co_await: g++ 12 destroys such temporaries twice.
    std::function<void(std::function<void(Answer)>)> start = [resolver, host,
                                                               port](std::function<void(Answer)> done) {
        resolver->async_resolve(host, port, [resolver, done = std::move(done)](boost::system::error_code ec,
                                                                                tcp::resolver::results_type results) {
            done(Answer{ec, std::move(results)});
        });
    };
    std::optional<Answer> answer;
    try {
        answer = co_await util::answer_or_deadline<Answer>(deadline, std::move(start));
    } catch (boost::system::system_error const&) {
        close();
        throw;
    }
    if (!answer) {
        close();
        co_return make_error("resolving the host of " + (proxy_ ? "proxy " + proxy_->display : server_),
                             "no answer for " + host + " before the request deadline");
    }
    if (answer->first) {
        close();
        co_await throw_if_cancelled(answer->first);
        co_return make_error("resolving the host of " + (proxy_ ? "proxy " + proxy_->display : server_),
                             answer->first.message());
    }
    co_return std::move(answer->second);
}

asio::awaitable<Result<void>> HttpsConnection::connect(std::chrono::steady_clock::time_point deadline) {
    close();
    // With a proxy the TCP connection goes to it; the server is reached through CONNECT.
    std::string const dial_host = proxy_ ? proxy_->host : host_;
    std::string const dial_port = proxy_ ? proxy_->port : port_;
    tcp::resolver::results_type endpoints;
    if (is_ip_address(dial_host)) {
        endpoints = tcp::resolver::results_type::create(
            tcp::endpoint(asio::ip::make_address(dial_host), static_cast<unsigned short>(std::stoi(dial_port))),
            dial_host, dial_port);
    } else {
        auto resolved = co_await resolve(dial_host, dial_port, deadline);
        if (!resolved) co_return resolved.error();
        endpoints = std::move(*resolved);
    }

    stream_.emplace(executor_, ssl_context_);
    SSL* ssl = stream_->native_handle();
    if (verify_ip_) {
        // IP literal: check the IP SAN, and send no SNI (RFC 6066 forbids IPs there).
        if (!insecure_) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), verify_name_.c_str());
    } else {
        // SNI even when nothing is verified: the server may pick its certificate by it.
        SSL_set_tlsext_host_name(ssl, verify_name_.c_str());
        if (!insecure_) SSL_set1_host(ssl, verify_name_.c_str());
    }

    auto& tcp_layer = beast::get_lowest_layer(*stream_);
    tcp_layer.expires_at(deadline);
    auto [connect_ec, endpoint] = co_await tcp_layer.async_connect(endpoints, as_tuple(use_awaitable));
    (void)endpoint;
    if (connect_ec) {
        close();
        co_await throw_if_cancelled(connect_ec);
        if (proxy_) co_return make_error("connecting to proxy " + proxy_->display + " for " + server_, connect_ec.message());
        co_return failure("connecting to", connect_ec);
    }
    if (proxy_) {
        auto tunnelled = co_await tunnel(deadline);
        if (!tunnelled) co_return tunnelled.error();
    }

    auto [handshake_ec] = co_await stream_->async_handshake(ssl::stream_base::client, as_tuple(use_awaitable));
    if (handshake_ec) {
        long const verify = SSL_get_verify_result(ssl);  // before close(): the SSL object goes with the stream
        close();
        co_await throw_if_cancelled(handshake_ec);
        Error error = failure("TLS handshake with", handshake_ec);
        if (verify != X509_V_OK) {
            error = make_error("TLS handshake with " + server_,
                               std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify) +
                                   " (verifying " + (verify_ip_ ? "IP address " : "name ") + verify_name_ +
                                   " against the configured CA)");
        }
        co_return error;
    }
    co_return Result<void>{};
}

asio::awaitable<Result<void>> HttpsConnection::tunnel(std::chrono::steady_clock::time_point deadline) {
    auto& tcp_layer = beast::get_lowest_layer(*stream_);
    std::string const authority = join_host_port(host_, port_);
    http::request<http::empty_body> connect_request{http::verb::connect, authority, 11};
    connect_request.set(http::field::host, authority);
    connect_request.set(http::field::user_agent, "gen-istio-cert");
    if (!proxy_->authorization.empty()) connect_request.set(http::field::proxy_authorization, proxy_->authorization);
    tcp_layer.expires_at(deadline);
    auto [write_ec, written] = co_await http::async_write(tcp_layer, connect_request, as_tuple(use_awaitable));
    (void)written;
    std::string const where = "proxy " + proxy_->display + " tunnelling to " + authority;
    if (write_ec) {
        close();
        co_await throw_if_cancelled(write_ec);
        co_return make_error(where, write_ec.message());
    }
    // The answer to CONNECT has no body (skip), and a bounded head; nothing may follow it before
    // our ClientHello.
    beast::flat_buffer buffer(8192);
    http::response_parser<http::empty_body> parser;
    parser.skip(true);
    parser.header_limit(8192);
    auto [read_ec, read] = co_await http::async_read_header(tcp_layer, buffer, parser, as_tuple(use_awaitable));
    (void)read;
    if (read_ec) {
        close();
        co_await throw_if_cancelled(read_ec);
        co_return make_error(where, "no answer to CONNECT: " + read_ec.message());
    }
    auto const status = parser.get().result_int();
    if (status / 100 != 2) {
        close();
        co_return make_error(where, "the proxy answered " + std::to_string(status) + " " +
                                        std::string(parser.get().reason()) +
                                        (status == 407 ? " (the proxy wants credentials: user info in the proxy URL)"
                                                       : ""));
    }
    if (buffer.size() != 0) {
        close();
        co_return make_error(where, "the proxy sent data after its answer to CONNECT");
    }
    co_return Result<void>{};
}

asio::awaitable<boost::system::error_code> HttpsConnection::send(Request& request,
                                                                 std::chrono::steady_clock::time_point deadline) {
    beast::get_lowest_layer(*stream_).expires_at(deadline);
    auto [write_ec, written] = co_await http::async_write(*stream_, request, as_tuple(use_awaitable));
    (void)written;
    if (write_ec) {
        close();
        co_await throw_if_cancelled(write_ec);
    }
    co_return write_ec;
}

asio::awaitable<Result<HttpsConnection::Response>> HttpsConnection::round_trip(
    Request& request, std::chrono::steady_clock::time_point deadline) {
    if (stream_ && !idle_connection_usable()) close();
    auto const method = request.method();
    bool const idempotent = method == http::verb::get || method == http::verb::put ||
                            method == http::verb::delete_ || method == http::verb::head;

    for (int attempt = 0;; ++attempt) {
        bool const reused = stream_.has_value();
        if (!stream_) {
            auto connected = co_await connect(deadline);
            if (!connected) co_return connected.error();
        }
        auto const write_ec = co_await send(request, deadline);
        if (write_ec) {
            if (reused && idempotent && attempt == 0 && write_ec != beast::error::timeout) continue;
            co_return failure("sending the request to", write_ec);
        }

        // A new parser per message; the buffer belongs to the connection.
        http::response_parser<http::string_body> parser;
        parser.header_limit(max_response_header);
        parser.body_limit(max_response_body);
        auto [read_ec, read] = co_await http::async_read(*stream_, buffer_, parser, as_tuple(use_awaitable));
        (void)read;
        if (read_ec) {
            close();
            co_await throw_if_cancelled(read_ec);
            bool const closed_by_server = read_ec == http::error::end_of_stream || read_ec == asio::error::eof ||
                                          read_ec == asio::error::connection_reset ||
                                          read_ec == ssl::error::stream_truncated;
            bool const nothing_received = !parser.got_some();
            if (reused && idempotent && attempt == 0 && closed_by_server && nothing_received) continue;
            co_return failure("reading the response from", read_ec);
        }
        Response response = parser.release();
        if (response.keep_alive()) {
            beast::get_lowest_layer(*stream_).expires_never();
        } else {
            close();
        }
        co_return response;
    }
}

asio::awaitable<Result<HttpsConnection::ResponseHead>> HttpsConnection::start_stream(
    Request& request, std::chrono::steady_clock::time_point deadline) {
    auto connected = co_await connect(deadline);
    if (!connected) co_return connected.error();
    auto const write_ec = co_await send(request, deadline);
    if (write_ec) co_return failure("sending the request to", write_ec);
    stream_parser_.emplace();
    stream_parser_->header_limit(max_response_header);
    // A watch body has no end in size; the framer caps each event instead.
    stream_parser_->body_limit(boost::none);
    auto [read_ec, read] = co_await http::async_read_header(*stream_, buffer_, *stream_parser_, as_tuple(use_awaitable));
    (void)read;
    if (read_ec) {
        close();
        co_await throw_if_cancelled(read_ec);
        co_return failure("reading the response from", read_ec);
    }
    auto const& head = stream_parser_->get();
    ResponseHead out;
    out.code = static_cast<int>(head.result_int());
    if (auto const it = head.find(http::field::retry_after); it != head.end()) out.retry_after = std::string(it->value());
    co_return out;
}

asio::awaitable<Result<std::string>> HttpsConnection::read_body_some(std::chrono::steady_clock::time_point deadline) {
    if (!stream_ || !stream_parser_) co_return make_error("reading the stream from " + server_, "no stream is open");
    auto& tcp_layer = beast::get_lowest_layer(*stream_);
    tcp_layer.expires_at(deadline);
    char chunk[16 * 1024];
    for (;;) {
        if (stream_parser_->is_done()) co_return std::string{};
        auto& body = stream_parser_->get().body();
        body.data = chunk;
        body.size = sizeof chunk;
        auto [ec, n] = co_await http::async_read_some(*stream_, buffer_, *stream_parser_, as_tuple(use_awaitable));
        (void)n;
        if (ec == http::error::need_buffer) ec = {};
        if (ec) {
            close();
            co_await throw_if_cancelled(ec);
            if (ec == beast::error::timeout)
                co_return make_error("reading the stream from " + server_, "no data before the read deadline");
            co_return failure("reading the stream from", ec);
        }
        std::size_t const got = sizeof chunk - stream_parser_->get().body().size;
        if (got > 0) co_return std::string(chunk, got);
    }
}

}  // namespace gic::kube
