// The probe listener's request parsing, without sockets: input is fed as the server reads it (at
// most the room left in the bounded buffer per read), in pieces of 1 byte and of 1 KiB.

#include "observe/http_request_limits.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstring>
#include <string>

using namespace gic::observe;
namespace http = boost::beast::http;

namespace {

struct Fed {
    boost::system::error_code ec;  // {} complete; need_more: input ran out
    std::size_t taken = 0;         // input bytes the server would have read
    std::size_t most_buffered = 0;
    std::string target;
    http::verb method = http::verb::unknown;
    bool keep_alive = false;
};

// One request from `input`, fed `piece` bytes at a time.
Fed feed(std::string const& input, std::size_t piece) {
    Fed fed;
    auto buffer = make_request_buffer();
    ProbeRequestParser parser;
    limit_request_parser(parser);
    std::size_t parsed = 0;
    for (;;) {  // bounded: every round reads at least one byte of `input` or returns
        fed.ec = parse_request_some(parser, buffer, parsed);
        fed.most_buffered = std::max(fed.most_buffered, buffer.size());
        if (fed.ec != http::error::need_more || fed.taken == input.size()) break;
        auto const n = std::min({piece, buffer.max_size() - buffer.size(), input.size() - fed.taken});
        BOOST_TEST_REQUIRE(n > 0u);
        std::memcpy(buffer.prepare(n).data(), input.data() + fed.taken, n);
        buffer.commit(n);
        fed.taken += n;
    }
    if (!fed.ec) {
        fed.target = parser.target();
        fed.method = parser.method();
        fed.keep_alive = parser.keep_alive();
    }
    return fed;
}

std::string const chunked_head = "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(http_request_limits)

BOOST_AUTO_TEST_CASE(probe_and_scrape_requests_parse_whole_and_byte_by_byte) {
    std::string const probe = "GET /healthz HTTP/1.1\r\nHost: 10.0.0.7:8081\r\nUser-Agent: kube-probe/1.32\r\n"
                              "Accept: */*\r\nConnection: close\r\n\r\n";
    std::string const scrape = "GET /metrics HTTP/1.1\r\nHost: 10.0.0.7:8080\r\nUser-Agent: Prometheus/2.53.0\r\n"
                               "Accept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.2\r\n"
                               "Authorization: Bearer " + std::string(1500, 'e') + "\r\n\r\n";
    for (std::size_t piece : {std::size_t(1), std::size_t(1024)}) {
        auto const p = feed(probe, piece);
        BOOST_TEST(!p.ec, p.ec.message());
        BOOST_TEST(p.target == "/healthz");
        BOOST_TEST((p.method == http::verb::get));
        BOOST_TEST(!p.keep_alive);
        auto const s = feed(scrape, piece);
        BOOST_TEST(!s.ec, s.ec.message());
        BOOST_TEST(s.target == "/metrics");
        BOOST_TEST(s.keep_alive);
    }
    // A tiny body and a tiny chunked body are tolerated.
    BOOST_TEST(!feed("GET / HTTP/1.1\r\nContent-Length: 64\r\n\r\n" + std::string(64, 'b'), 1024).ec);
    BOOST_TEST(!feed(chunked_head + "3;a=b\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n", 1).ec);
}

// A final chunk right after the header, sent byte by byte: Beast 1.81 asserted (n >= 5) on
// resuming it with four bytes buffered and aborted the process (found by fuzz_probe_request).
BOOST_AUTO_TEST_CASE(a_final_chunk_sent_byte_by_byte_neither_aborts_nor_stalls) {
    for (std::string const& rest : {std::string("0\r\n\r\n"), std::string("0\r\nX-Trailer: t\r\n\r\n"),
                                    std::string("0\r\nHost: x\r\nUser-Agent:\xff\r\n\r\n")}) {
        auto const fed = feed(chunked_head + rest, 1);
        BOOST_TEST_CONTEXT(rest.size() << " bytes after the header") {
            BOOST_TEST((!fed.ec || fed.ec != http::error::need_more), fed.ec.message());
        }
    }
    BOOST_TEST(!feed(chunked_head + "0\r\n\r\n", 1).ec);
}

BOOST_AUTO_TEST_CASE(a_never_ending_chunk_extension_is_refused_within_the_buffer) {
    auto const input = chunked_head + "1;" + std::string(1 << 20, 'x');
    for (std::size_t piece : {std::size_t(1), std::size_t(1024)}) {
        auto const fed = feed(input, piece);
        BOOST_TEST((fed.ec == http::error::body_limit), fed.ec.message());
        BOOST_TEST(fed.most_buffered <= RequestLimits::buffer_bytes);
        BOOST_TEST(fed.taken <= chunked_head.size() + RequestLimits::buffer_bytes);
    }
}

BOOST_AUTO_TEST_CASE(a_never_ending_trailer_is_refused_within_the_buffer) {
    auto const one_long_field = chunked_head + "0\r\nX-Trailer: " + std::string(1 << 20, 'x');
    std::string many_fields = chunked_head + "0\r\n";
    while (many_fields.size() < (1u << 20)) many_fields += "a: b\r\n";
    for (auto const& input : {one_long_field, many_fields}) {
        auto const fed = feed(input, 1024);
        BOOST_TEST((fed.ec == http::error::body_limit), fed.ec.message());
        BOOST_TEST(fed.most_buffered <= RequestLimits::buffer_bytes);
        BOOST_TEST(fed.taken <= chunked_head.size() + RequestLimits::buffer_bytes);
    }
}

BOOST_AUTO_TEST_CASE(a_huge_header_is_refused_at_the_header_limit) {
    auto const long_field = "GET / HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'h');
    std::string many_fields = "GET / HTTP/1.1\r\n";
    while (many_fields.size() < (1u << 20)) many_fields += "a: b\r\n";
    auto const long_target = "GET /" + std::string(1 << 20, 't');
    for (auto const& input : {long_field, many_fields, long_target}) {
        auto const fed = feed(input, 1024);
        BOOST_TEST((fed.ec == http::error::header_limit), fed.ec.message());
        BOOST_TEST(fed.taken <= RequestLimits::header_bytes + RequestLimits::buffer_bytes);
    }
}

BOOST_AUTO_TEST_CASE(a_body_beyond_the_tiny_limit_is_refused) {
    BOOST_TEST((feed("GET / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", 1024).ec == http::error::body_limit));
    BOOST_TEST((feed("GET / HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n", 1024).ec == http::error::body_limit));
    // 65 one-byte chunks.
    std::string chunks = chunked_head;
    for (int i = 0; i < 65; ++i) chunks += "1\r\nb\r\n";
    BOOST_TEST((feed(chunks + "0\r\n\r\n", 1024).ec == http::error::body_limit));
}

BOOST_AUTO_TEST_CASE(the_whole_request_is_bounded_across_chunk_lines) {
    // Every chunk line fits the buffer and the body stays tiny, but together they exceed the
    // request budget.
    std::string chunks = chunked_head;
    for (int i = 0; i < 16; ++i) chunks += "1;e=" + std::string(3000, 'x') + "\r\nb\r\n";
    auto const fed = feed(chunks + "0\r\n\r\n", 1024);
    BOOST_TEST((fed.ec == http::error::body_limit), fed.ec.message());
    BOOST_TEST(fed.taken <= RequestLimits::request_bytes + RequestLimits::buffer_bytes);
}

BOOST_AUTO_TEST_CASE(malformed_requests_are_errors_not_waits) {
    BOOST_TEST((feed("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 1024).ec == http::error::bad_content_length));
    BOOST_TEST((feed(chunked_head + "zz\r\n", 1024).ec == http::error::bad_chunk));
    BOOST_TEST((feed("\x01\x02\x03 / HTTP/1.1\r\n\r\n", 1024).ec == http::error::bad_method));
}

BOOST_AUTO_TEST_SUITE_END()
