#pragma once
// Which proxy, if any, tunnels the connection to the API server, as client-go decides it: the
// kubeconfig cluster's `proxy-url` for every request, else HTTPS_PROXY/https_proxy from the
// environment unless NO_PROXY/no_proxy exempts the server (golang.org/x/net/http/httpproxy, used
// by net/http's ProxyFromEnvironment: "localhost" and loopback addresses are never proxied from
// the environment). Only http:// proxies are supported, with CONNECT; https:// and socks5://
// proxy URLs are refused with an error naming them. Pure: the environment comes in as a function.

#include "util/error.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gic::kube {

struct ProxyTarget {
    std::string host;           // without brackets
    std::string port;           // "3128"; "80" when the URL has none (Go's default for http)
    std::string authorization;  // "Basic <base64>" from the URL's user info, or "" (never logged)
    std::string display;        // the URL without user info, for messages
};

// An http:// proxy URL (a bare "host:port" is taken as http://, as Go does for the environment).
// Errors name the URL without its user info.
Result<ProxyTarget> parse_proxy_url(std::string const& url);

// NO_PROXY's rule for `host`:`port`: "*", an IP, a CIDR, a domain ("example.com" matches it and
// its subdomains, ".example.com" only subdomains), each optionally with ":port".
bool no_proxy_matches(std::string_view no_proxy, std::string const& host, std::string const& port);

using EnvironmentLookup = std::function<std::string(char const* name)>;

// The proxy URL for an https server at `host`:`port`: `proxy_url_from_kubeconfig` when set, else
// the environment's, or "" for a direct connection.
std::string select_proxy_url(std::string const& proxy_url_from_kubeconfig, std::string const& host,
                             std::string const& port, EnvironmentLookup const& env);

}  // namespace gic::kube
