#pragma once
// A blocking plain-HTTP client for tests to drive the emulators' loopback admin endpoints.

#include <string>

namespace gic::test {

struct HttpReply {
    int status = 0;
    std::string body;
};

// `url` is http://127.0.0.1:PORT/path. Throws on connection failures.
HttpReply http_request(std::string const& method, std::string const& url, std::string const& body = {});

}  // namespace gic::test
