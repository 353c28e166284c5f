#include "kube/proxy.hpp"

#include "util/base64.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <algorithm>
#include <cctype>

namespace gic::kube {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string trim(std::string_view text) {
    auto const first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    auto const last = text.find_last_not_of(" \t");
    return std::string(text.substr(first, last - first + 1));
}

// "host:port", "[v6]:port", "host": host and port (port "" when absent).
std::pair<std::string, std::string> split_host_port(std::string_view authority) {
    if (!authority.empty() && authority.front() == '[') {
        auto const close = authority.find(']');
        if (close == std::string_view::npos) return {std::string(authority), ""};
        std::string host(authority.substr(1, close - 1));
        auto rest = authority.substr(close + 1);
        return {host, rest.size() > 1 && rest.front() == ':' ? std::string(rest.substr(1)) : ""};
    }
    auto const colon = authority.rfind(':');
    // More than one colon without brackets: an IPv6 literal without a port.
    if (colon == std::string_view::npos || authority.find(':') != colon) return {std::string(authority), ""};
    return {std::string(authority.substr(0, colon)), std::string(authority.substr(colon + 1))};
}

// The percent-decoding of URL user info.
std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

bool is_loopback(std::string const& host) {
    if (lower(host) == "localhost") return true;
    boost::system::error_code ec;
    auto const address = boost::asio::ip::make_address(host, ec);
    return !ec && address.is_loopback();
}

bool valid_port(std::string const& port) {
    return !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
        return c >= '0' && c <= '9';
    }) && std::stoi(port) > 0 && std::stoi(port) <= 65535;
}

}  // namespace

Result<ProxyTarget> parse_proxy_url(std::string const& url) {
    std::string text = trim(url);
    std::string scheme = "http";
    if (auto const sep = text.find("://"); sep != std::string::npos) {
        scheme = lower(text.substr(0, sep));
        text = text.substr(sep + 3);
    }
    std::string const authority = text.substr(0, text.find_first_of("/?#"));
    std::string userinfo;
    std::string hostport = authority;
    if (auto const at = authority.rfind('@'); at != std::string::npos) {
        userinfo = authority.substr(0, at);
        hostport = authority.substr(at + 1);
    }
    ProxyTarget target;
    target.display = scheme + "://" + hostport;
    if (scheme != "http") {
        return make_error("proxy " + target.display, "only http:// proxies are supported (tunnelling with CONNECT); " +
                                                         scheme + ":// is not");
    }
    auto [host, port] = split_host_port(hostport);
    if (host.empty()) return make_error("proxy " + target.display, "has no host");
    if (port.empty()) port = "80";
    if (!valid_port(port)) return make_error("proxy " + target.display, "has an invalid port \"" + port + "\"");
    target.host = std::move(host);
    target.port = std::move(port);
    if (!userinfo.empty()) {
        auto const colon = userinfo.find(':');
        std::string const user = percent_decode(userinfo.substr(0, colon));
        std::string const password = colon == std::string::npos ? "" : percent_decode(userinfo.substr(colon + 1));
        target.authorization = "Basic " + util::base64_encode(user + ":" + password);
    }
    return target;
}

bool no_proxy_matches(std::string_view no_proxy, std::string const& host_in, std::string const& port) {
    std::string const host = lower(host_in);
    boost::system::error_code ec;
    auto const address = boost::asio::ip::make_address(host, ec);
    bool const is_ip = !ec;
    std::size_t start = 0;
    while (start <= no_proxy.size()) {
        auto const comma = no_proxy.find(',', start);
        std::string entry = lower(trim(no_proxy.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                                              : comma - start)));
        start = comma == std::string_view::npos ? no_proxy.size() + 1 : comma + 1;
        if (entry.empty()) continue;
        if (entry == "*") return true;
        // A CIDR.
        if (auto const slash = entry.find('/'); slash != std::string::npos) {
            if (!is_ip) continue;
            boost::system::error_code net_ec;
            if (address.is_v4()) {
                auto const net = boost::asio::ip::make_network_v4(entry, net_ec);
                if (!net_ec &&
                    boost::asio::ip::make_network_v4(address.to_v4(), net.prefix_length()).canonical() == net.canonical())
                    return true;
            } else {
                auto const net = boost::asio::ip::make_network_v6(entry, net_ec);
                if (!net_ec &&
                    boost::asio::ip::make_network_v6(address.to_v6(), net.prefix_length()).canonical() == net.canonical())
                    return true;
            }
            continue;
        }
        auto [entry_host, entry_port] = split_host_port(entry);
        if (!entry_port.empty() && entry_port != port) continue;
        boost::system::error_code entry_ec;
        auto const entry_address = boost::asio::ip::make_address(entry_host, entry_ec);
        if (!entry_ec) {
            if (is_ip && entry_address == address) return true;
            continue;
        }
        if (is_ip) continue;
        if (entry_host.rfind("*.", 0) == 0) entry_host = entry_host.substr(1);
        if (entry_host.front() == '.') {
            // ".example.com": subdomains only.
            if (host.size() > entry_host.size() && host.compare(host.size() - entry_host.size(), entry_host.size(),
                                                                entry_host) == 0)
                return true;
            continue;
        }
        if (host == entry_host) return true;
        if (host.size() > entry_host.size() + 1 &&
            host.compare(host.size() - entry_host.size(), entry_host.size(), entry_host) == 0 &&
            host[host.size() - entry_host.size() - 1] == '.')
            return true;
    }
    return false;
}

std::string select_proxy_url(std::string const& proxy_url_from_kubeconfig, std::string const& host,
                             std::string const& port, EnvironmentLookup const& env) {
    if (!proxy_url_from_kubeconfig.empty()) return proxy_url_from_kubeconfig;
    if (is_loopback(host)) return {};
    std::string proxy = env("HTTPS_PROXY");
    if (proxy.empty()) proxy = env("https_proxy");
    if (proxy.empty()) return {};
    std::string no_proxy = env("NO_PROXY");
    if (no_proxy.empty()) no_proxy = env("no_proxy");
    if (no_proxy_matches(no_proxy, host, port)) return {};
    return proxy;
}

}  // namespace gic::kube
