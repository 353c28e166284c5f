#pragma once
// One keep-alive HTTPS connection to the API server: strict TLS (>= 1.2, the configured CA
// only, host name or IP SAN checked), one request/response at a time, everything before an
// absolute deadline. A connection that failed, timed out or was cancelled is closed and never
// reused; the next round trip opens a new one.
//
// The one exception to strict TLS is RestConfig::insecure_skip_tls_verify without a CA (a
// kubeconfig for a throwaway cluster): the server's chain and name are then not verified at all
// (SNI is still sent). With a CA the flag is ignored and verification stays strict.
//
// With a proxy (the kubeconfig's proxy-url, else HTTPS_PROXY unless NO_PROXY exempts the server,
// as client-go) the TCP connection goes to the proxy, which is asked to CONNECT to the server; the
// TLS handshake and everything after it are end to end, verified as without a proxy.
//
// What a server can make us hold is bounded (docs/operations.md, "Limits"): the response head,
// every chunk-size line (chunk extensions included) and the trailer by the read buffer, the body
// of a whole response by max_response_body. Host name resolution ends at the request deadline
// like the rest of the exchange.

#include "kube/proxy.hpp"
#include "kube/rest_config.hpp"
#include "util/error.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace gic::kube {

// Kubernetes keeps objects under ~1.5 MiB (etcd's request limit): a Secret, Lease, ConfigMap,
// Status or a one-object list is well below this.
inline constexpr std::uint64_t max_response_body = 3ull * 1024 * 1024;
// The status line and header fields of a response (Go's client allows 1 MiB; the API server sends
// a few hundred bytes, a few KiB with Warning headers).
inline constexpr std::uint32_t max_response_header = 32 * 1024;
// Bytes read but not yet parsed: bounds one chunk-size line with its extensions, and the trailer.
// Larger than max_response_header, so that an oversized head is reported as such.
inline constexpr std::size_t max_read_buffer = 64 * 1024;

class HttpsConnection {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    using Response = boost::beast::http::response<boost::beast::http::string_body>;

    // Throws ConfigError when the CA or client certificate PEM cannot be loaded, or when there is
    // no CA and insecure_skip_tls_verify is not set.
    HttpsConnection(boost::asio::any_io_executor executor, RestConfig const& config);

    // The client certificate pair presented from the next connection on (both empty: none). A
    // pair that differs from the current one closes the connection, so that the next request
    // connects with it (a credential provider rotated its certificate). The same pair is a no-op.
    // Errors name what could not be loaded; the current pair then stays.
    Result<void> use_client_certificate(std::string const& cert_pem, std::string const& key_pem);
    std::string const& client_certificate() const { return client_cert_pem_; }

    // Sends `request` and reads the response before `deadline`, (re)connecting when needed. A
    // request whose reused connection turns out to have been closed by the server before any
    // response byte is sent again once on a new connection if it is idempotent (GET, PUT,
    // DELETE), as Go's transport does. Errors name the server and what failed. Throws
    // system_error(operation_aborted) after closing the connection when the awaiting coroutine is
    // cancelled.
    boost::asio::awaitable<Result<Response>> round_trip(Request& request, std::chrono::steady_clock::time_point deadline);

    // A streamed response (watch), on a connection of its own: opens a new connection, sends
    // `request` and reads the response head before `deadline`. The body then comes piecewise
    // from read_body_some(), without a size limit (the caller caps what it buffers). Errors and
    // cancellation as for round_trip.
    struct ResponseHead {
        int code = 0;
        std::string retry_after;  // the Retry-After header, "" when absent
    };
    boost::asio::awaitable<Result<ResponseHead>> start_stream(Request& request,
                                                              std::chrono::steady_clock::time_point deadline);
    // The next body bytes of the stream started last; "" once the message is complete (a
    // chunked stream ended with its last chunk). An error when no byte arrives before
    // `deadline`, or the connection ends mid-message.
    boost::asio::awaitable<Result<std::string>> read_body_some(std::chrono::steady_clock::time_point deadline);

    void close();
    bool is_open() const { return stream_.has_value(); }

private:
    using Stream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

    // A TLS client context with the CA (or no verification when insecure_) and `cert_pem`/`key_pem`.
    Result<void> configure(boost::asio::ssl::context& context, std::string const& cert_pem,
                           std::string const& key_pem) const;
    boost::asio::awaitable<Result<void>> connect(std::chrono::steady_clock::time_point deadline);
    bool idle_connection_usable();
    // Writes `request` on the open stream before `deadline`. On failure the connection is closed
    // (and a cancellation rethrown); the caller decides whether to retry or report.
    boost::asio::awaitable<boost::system::error_code> send(Request& request,
                                                           std::chrono::steady_clock::time_point deadline);
    Error failure(std::string const& what, boost::system::error_code const& ec) const;
    boost::asio::awaitable<Result<boost::asio::ip::tcp::resolver::results_type>> resolve(
        std::string host, std::string port, std::chrono::steady_clock::time_point deadline);
    // Through proxy_: CONNECT host:port, and a 2xx answer before the TLS handshake.
    boost::asio::awaitable<Result<void>> tunnel(std::chrono::steady_clock::time_point deadline);
    boost::asio::awaitable<void> throw_if_cancelled(boost::system::error_code const& ec);

    boost::asio::any_io_executor executor_;
    std::string server_;
    std::string host_;
    std::string port_;
    std::string verify_name_;
    bool verify_ip_ = false;
    std::string ca_pem_;
    std::shared_ptr<ParsedCertificates const> ca_certs_;  // ca_pem_ as the loader decoded it (may be null)
    bool insecure_ = false;  // no CA and insecure_skip_tls_verify: nothing is verified
    std::string client_cert_pem_;
    std::string client_key_pem_;
    std::optional<ProxyTarget> proxy_;  // RestConfig::proxy_url or the environment's (kube/proxy.hpp)
    boost::asio::ssl::context ssl_context_;
    std::optional<Stream> stream_;
    boost::beast::flat_buffer buffer_{max_read_buffer};
    std::optional<boost::beast::http::response_parser<boost::beast::http::buffer_body>> stream_parser_;
};

}  // namespace gic::kube
