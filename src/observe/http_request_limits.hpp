#pragma once
// Everything a client of the probe and metrics listener controls is bounded here, in one place, so
// that the server and the fuzz target (tests/fuzz/fuzz_probe_request.cpp) parse with exactly the
// same limits. Header-only and free of I/O: the fuzz target needs nothing else.
//
// Why these numbers: a kubelet probe or a Prometheus scrape is a GET with a header well under
// 1 KiB (Prometheus with a bearer token: about 2 KiB) and no body. Beast's own header limit does not
// cover chunk extensions or trailers: without the input bound below, a client that never ends a
// chunk line or a trailer makes the parser keep everything it sent (measured: 80 MiB/s).

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace gic::observe {

struct RequestLimits {
    // The request line and the header fields.
    static constexpr std::size_t header_bytes = 8 * 1024;
    // GET and HEAD need no body; a few bytes are tolerated (and ignored), anything more is refused.
    static constexpr std::size_t body_bytes = 64;
    // Input held unparsed at once (a header being read, one chunk line, the trailer); also the
    // buffer's allocation, whatever a client sends.
    static constexpr std::size_t buffer_bytes = 8 * 1024;
    // Everything parsed for one request: header, chunk lines with their extensions, body, trailer.
    static constexpr std::size_t request_bytes = 12 * 1024;
    // From a request's first byte to its answer being written: a client that trickles its request
    // byte by byte is cut off here, however steadily it sends.
    static constexpr std::chrono::seconds request_timeout{5};
    // A keep-alive connection may wait this long for its next request (it can be closed earlier to
    // make room, see max_connections).
    static constexpr std::chrono::seconds idle_timeout{30};
    // Open connections per listener. When all are taken, a new connection closes the oldest idle
    // one, or is refused when none is idle.
    static constexpr std::size_t max_connections = 64;
};

// A request as the listener needs it: the method, the target and the version, nothing else.
// Header fields, chunk extensions, the body and trailers are parsed and checked by Beast but never
// stored, so that a request costs its buffer and its target, not an allocation per field (a
// header of 8 KiB can hold 2000 tiny fields).
class ProbeRequestParser final : public boost::beast::http::basic_parser<true> {
public:
    boost::beast::http::verb method() const { return method_; }
    std::string const& target() const { return target_; }
    int version() const { return version_; }  // 10 or 11

private:
    using error_code = boost::beast::error_code;
    using string_view = boost::beast::string_view;

    void on_request_impl(boost::beast::http::verb method, string_view, string_view target, int version,
                         error_code&) override {
        method_ = method;
        target_.assign(target.data(), target.size());
        version_ = version;
    }
    void on_response_impl(int, string_view, int, error_code& ec) override { ec = boost::beast::http::error::bad_method; }
    void on_field_impl(boost::beast::http::field, string_view, string_view, error_code&) override {}
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(boost::optional<std::uint64_t> const&, error_code&) override {}
    std::size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override { return body.size(); }
    void on_finish_impl(error_code&) override {}

    boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
    std::string target_;
    int version_ = 11;
};

// A buffer for one connection's input, never larger than RequestLimits::buffer_bytes.
inline boost::beast::flat_buffer make_request_buffer() { return boost::beast::flat_buffer(RequestLimits::buffer_bytes); }

// Applies the header and body limits to a fresh parser. Eager: one call parses as much of the body
// as is buffered, so that every byte is counted against the request's budget as it arrives.
inline void limit_request_parser(ProbeRequestParser& parser) {
    parser.header_limit(static_cast<std::uint32_t>(RequestLimits::header_bytes));
    parser.body_limit(RequestLimits::body_bytes);
    parser.eager(true);
}

// Parses what `buffer` holds into `parser` (configured by limit_request_parser), consuming it, and
// adds what was parsed to `parsed` (this request's total). Returns {} when the request is complete,
// http::error::need_more when it needs more input (there is room for it in `buffer`), or the error
// that ends the request: a limit (header_limit while in the header, body_limit after it, including
// chunk extensions and trailers) or a malformed request.
inline boost::system::error_code parse_request_some(ProbeRequestParser& parser, boost::beast::flat_buffer& buffer,
                                                    std::size_t& parsed) {
    namespace http = boost::beast::http;
    auto const over_limit = [&parser] {
        return parser.is_header_done() ? http::error::body_limit : http::error::header_limit;
    };
    boost::system::error_code ec;
    while (!parser.is_done()) {
        if (buffer.size() == 0) return http::error::need_more;
        // Boost 1.81's chunk parser asserts (n >= 5) when it resumes a final chunk with fewer bytes
        // buffered than the shortest final chunk, "0\r\n\r\n": a client sending byte by byte gets
        // there (found by fuzz_probe_request). A chunked body always has at least that much to come,
        // so waiting for it never stalls a valid request.
        if (parser.is_header_done() && parser.chunked() && buffer.size() < 5) return http::error::need_more;
        auto const used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        parsed += used;
        if (parsed > RequestLimits::request_bytes) return over_limit();
        if (ec == http::error::need_more || (!ec && used == 0)) {
            // Beast needs the whole line (or trailer) in the buffer: a full buffer will not do.
            if (buffer.size() >= std::min(buffer.max_size(), RequestLimits::buffer_bytes)) return over_limit();
            return http::error::need_more;
        }
        if (ec) return ec;
    }
    return {};
}

}  // namespace gic::observe
