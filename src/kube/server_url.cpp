// Parsing of the API server URL shared by the in-cluster and kubeconfig loaders.

#include "kube/rest_config.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>

namespace gic::kube {

namespace {

bool all_digits(std::string const& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

std::string join_host_port(std::string const& host, std::string const& port) {
    bool const needs_brackets = host.find(':') != std::string::npos && !(host.size() > 1 && host.front() == '[');
    return needs_brackets ? "[" + host + "]:" + port : host + ":" + port;
}

Result<void> split_server_url(RestConfig& config) {
    std::string const original = config.server;
    auto fail = [&](std::string const& detail) { return make_error("server \"" + original + "\"", detail); };

    auto const scheme_end = original.find("://");
    if (scheme_end == std::string::npos) return fail("not a URL (expected https://host:port)");
    std::string const scheme = lower(original.substr(0, scheme_end));
    if (scheme != "https") {
        return fail("scheme \"" + scheme + "\" is not supported: credentials are only sent over TLS, use https://");
    }
    std::string rest = original.substr(scheme_end + 3);
    if (rest.find_first_of("?#") != std::string::npos) return fail("a query or fragment is not allowed");
    auto const slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? std::string{} : rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (authority.find('@') != std::string::npos) return fail("user information in the URL is not supported");
    if (authority.empty()) return fail("no host");

    std::string host;
    std::string port;
    if (authority.front() == '[') {
        auto const close = authority.find(']');
        if (close == std::string::npos) return fail("unterminated IPv6 literal");
        host = authority.substr(1, close - 1);
        std::string const after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return fail("unexpected text after the IPv6 literal");
            port = after.substr(1);
        }
        boost::system::error_code ec;
        auto const address = boost::asio::ip::make_address_v6(host, ec);
        (void)address;
        if (ec) return fail("\"" + host + "\" is not an IPv6 address");
    } else {
        auto const colon = authority.rfind(':');
        if (colon != std::string::npos && authority.find(':') != colon) {
            return fail("an IPv6 address must be in brackets");
        }
        host = authority.substr(0, colon);
        if (colon != std::string::npos) port = authority.substr(colon + 1);
    }
    if (host.empty()) return fail("no host");
    if (port.empty()) {
        if (authority.back() == ':') return fail("empty port");
        port = "443";
    }
    if (!all_digits(port) || port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535) {
        return fail("invalid port \"" + port + "\"");
    }

    config.host = host;
    config.port = port;
    config.path_prefix = path;
    config.server = "https://" + join_host_port(host, port) + path;
    return {};
}

}  // namespace gic::kube
