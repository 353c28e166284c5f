// Proxies as client-go picks and uses them: proxy-url, else HTTPS_PROXY unless NO_PROXY (never
// for loopback); CONNECT through an http:// proxy, end-to-end TLS, refusals named.

#include "fixtures.hpp"
#include "kube/client.hpp"
#include "kube/proxy.hpp"

#include "common/connect_proxy.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

using namespace gic::kube;
using namespace gic::kube::test;

namespace {

EnvironmentLookup env_of(std::map<std::string, std::string> values) {
    return [values = std::move(values)](char const* name) {
        auto it = values.find(name);
        return it == values.end() ? std::string() : it->second;
    };
}

std::string const secret_json = R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","namespace":"ns"}})";
ResourceRef const secret_ref{"v1", "secrets", "ns", "s", ""};

}  // namespace

BOOST_AUTO_TEST_SUITE(proxy_selection)

BOOST_AUTO_TEST_CASE(proxy_urls_are_http_with_optional_credentials) {
    auto const full = parse_proxy_url("http://user:p%40ss@proxy.corp:3128/ignored").value();
    BOOST_TEST(full.host == "proxy.corp");
    BOOST_TEST(full.port == "3128");
    BOOST_TEST(full.authorization == "Basic dXNlcjpwQHNz");  // user:p@ss
    BOOST_TEST(full.display == "http://proxy.corp:3128");     // never the credentials
    auto const bare = parse_proxy_url("proxy.corp:8080").value();
    BOOST_TEST(bare.port == "8080");
    BOOST_TEST(bare.authorization.empty());
    BOOST_TEST(parse_proxy_url("http://[fd00::1]").value().host == "fd00::1");
    BOOST_TEST(parse_proxy_url("http://[fd00::1]").value().port == "80");
    for (std::string url : {"socks5://user:secret@proxy:1080", "https://proxy:443"}) {
        auto const refused = parse_proxy_url(url);
        BOOST_TEST_REQUIRE(refused.has_error(), url);
        BOOST_TEST(refused.error().message.find("only http:// proxies are supported") != std::string::npos);
        BOOST_TEST(refused.error().message.find("secret") == std::string::npos);
    }
    BOOST_TEST(parse_proxy_url("http://proxy:99999").has_error());
    BOOST_TEST(parse_proxy_url("http://:3128").has_error());
}

BOOST_AUTO_TEST_CASE(no_proxy_follows_go_rules) {
    struct Case {
        std::string no_proxy, host, port;
        bool exempt;
    };
    std::vector<Case> const cases{
        {"*", "api.example.com", "443", true},
        {"example.com", "example.com", "443", true},
        {"example.com", "api.example.com", "443", true},
        {"example.com", "notexample.com", "443", false},
        {".example.com", "example.com", "443", false},
        {".example.com", "api.example.com", "443", true},
        {"*.example.com", "api.example.com", "443", true},
        {"other.com, example.com:6443", "api.example.com", "6443", true},
        {"example.com:6443", "api.example.com", "443", false},
        {"10.0.0.0/8", "10.1.2.3", "443", true},
        {"10.0.0.0/8", "11.1.2.3", "443", false},
        {"192.168.1.10", "192.168.1.10", "443", true},
        {"fd00::/8", "fd00::1", "443", true},
        {"", "api.example.com", "443", false},
        {"EXAMPLE.COM", "Api.Example.Com", "443", true},
    };
    for (auto const& c : cases)
        BOOST_TEST(no_proxy_matches(c.no_proxy, c.host, c.port) == c.exempt,
                   "NO_PROXY=" << c.no_proxy << " host " << c.host << ":" << c.port);
}

BOOST_AUTO_TEST_CASE(kubeconfig_first_then_the_environment_never_for_loopback) {
    auto const env = env_of({{"HTTPS_PROXY", "http://env-proxy:3128"}, {"NO_PROXY", ".internal"}});
    BOOST_TEST(select_proxy_url("http://kube-proxy:8080", "api.example.com", "443", env) == "http://kube-proxy:8080");
    BOOST_TEST(select_proxy_url("http://kube-proxy:8080", "127.0.0.1", "443", env) == "http://kube-proxy:8080");
    BOOST_TEST(select_proxy_url("", "api.example.com", "443", env) == "http://env-proxy:3128");
    BOOST_TEST(select_proxy_url("", "api.cluster.internal", "443", env).empty());
    BOOST_TEST(select_proxy_url("", "127.0.0.1", "443", env).empty());
    BOOST_TEST(select_proxy_url("", "localhost", "443", env).empty());
    BOOST_TEST(select_proxy_url("", "::1", "443", env).empty());
    BOOST_TEST(select_proxy_url("", "api.example.com", "443", env_of({{"https_proxy", "p:1"}})) == "p:1");
    BOOST_TEST(select_proxy_url("", "api.example.com", "443", env_of({{"HTTP_PROXY", "p:1"}})).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(proxy_tunnel, ClientFixture)

BOOST_AUTO_TEST_CASE(requests_go_through_connect_with_end_to_end_tls) {
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); });
    gic::test::ConnectProxy proxy;
    auto config = config_for(srv->port());
    auto const port = std::to_string(proxy.port());
    config.proxy_url = "http://agent:s3cret@127.0.0.1:" + port;
    Client client(io.get_executor(), config);
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(run(client.get(secret_ref)).has_value());  // the tunnel is kept alive like a direct connection
    auto const targets = proxy.targets();
    BOOST_TEST_REQUIRE(targets.size() == 1u);
    BOOST_TEST(targets.front() == "127.0.0.1:" + std::to_string(srv->port()));
    BOOST_TEST(proxy.authorizations() == std::vector<std::string>{"Basic YWdlbnQ6czNjcmV0"});  // agent:s3cret
    BOOST_TEST(srv->requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_refusing_proxy_is_named_without_its_credentials) {
    gic::test::ConnectProxy proxy(407);
    auto config = config_for(6443);
    config.proxy_url = "http://agent:s3cret@127.0.0.1:" + std::to_string(proxy.port());
    Client client(io.get_executor(), config);
    auto const result = run(client.get(secret_ref));
    BOOST_TEST_REQUIRE(result.has_error());
    auto const& message = result.error().message;
    BOOST_TEST(message.find("proxy http://127.0.0.1:" + std::to_string(proxy.port()) + " tunnelling to 127.0.0.1:6443") !=
                   std::string::npos,
               message);
    BOOST_TEST(message.find("407") != std::string::npos, message);
    BOOST_TEST(message.find("s3cret") == std::string::npos, message);
}

BOOST_AUTO_TEST_SUITE_END()
