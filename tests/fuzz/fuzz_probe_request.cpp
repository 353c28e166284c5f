// libFuzzer entry point: bytes from a client of the probe and metrics listener, parsed as the
// server parses them (observe/http_request_limits.hpp: the same parser, limits, buffer and budget),
// one keep-alive request after another. Checks the bounds the server relies on: the buffer never
// holds more than RequestLimits::buffer_bytes, a request never parses more than
// RequestLimits::request_bytes, and a stored target never exceeds the header limit.
//
// Input arrives in pieces whose sizes come from the first byte, so that the fuzzer also explores
// how a request is split across reads.

#include "observe/http_request_limits.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

using gic::observe::RequestLimits;

void check(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    namespace http = boost::beast::http;
    if (size == 0) return 0;
    std::size_t const piece = std::size_t(data[0]) + 1;  // 1..256 bytes per read
    ++data;
    --size;

    auto buffer = gic::observe::make_request_buffer();
    std::size_t offset = 0;
    for (;;) {  // one request per iteration, as a keep-alive connection reads them
        gic::observe::ProbeRequestParser parser;
        gic::observe::limit_request_parser(parser);
        std::size_t parsed = 0;
        boost::system::error_code ec;
        for (;;) {
            ec = gic::observe::parse_request_some(parser, buffer, parsed);
            check(buffer.size() <= RequestLimits::buffer_bytes);
            check(parsed <= RequestLimits::request_bytes || ec);
            if (ec != http::error::need_more) break;
            if (offset == size) return 0;  // the client stopped sending: the server's deadline ends it
            // The server reads at most the room left in the buffer.
            auto const room = buffer.max_size() - buffer.size();
            check(room > 0);
            auto const n = std::min({piece, room, size - offset});
            auto target = buffer.prepare(n);
            std::memcpy(target.data(), data + offset, n);
            buffer.commit(n);
            offset += n;
        }
        if (ec) return 0;  // refused or malformed: the server answers 4xx and closes
        check(parser.is_done());
        check(parser.target().size() <= RequestLimits::header_bytes);
        if (!parser.keep_alive()) return 0;
    }
}
