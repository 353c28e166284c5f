// How the client authenticates: a credential provider asked per request (token, client
// certificate, refresh after 401, failures), watches included; and insecure-skip-tls-verify.

#include "fixtures.hpp"
#include "kube/client.hpp"
#include "kube/request_credentials.hpp"
#include "kube/watch.hpp"
#include "common/temp_dir.hpp"
#include "observe/log.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <deque>
#include <sstream>
#include <stdexcept>

using namespace gic::kube;
using namespace gic::kube::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

std::string const secret_json = R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","namespace":"ns"}})";
std::string const unauthorized_json =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})";
ResourceRef const secret_ref{"v1", "secrets", "ns", "s", ""};

Credentials token(std::string value) {
    Credentials c;
    c.bearer_token = std::move(value);
    return c;
}

Credentials certificate(gic::emu::IssuedCert const& issued) {
    Credentials c;
    c.client_cert_pem = issued.cert.to_pem();
    c.client_key_pem = issued.key.to_pkcs8_pem();
    return c;
}

// Hands out `current`; a refresh replaces it with the next of `rotations` (or fails).
class FakeProvider final : public CredentialProvider {
public:
    Credentials current;
    std::deque<Credentials> rotations;
    std::optional<std::string> get_failure;
    std::optional<std::string> refresh_failure;
    int gets = 0;
    std::vector<Credentials> refreshed;  // the `used` argument of each refresh

    asio::awaitable<gic::Result<Credentials>> get() override {
        ++gets;
        if (get_failure) co_return gic::make_error(*get_failure);
        co_return current;
    }

    asio::awaitable<gic::Result<Credentials>> refresh_after_unauthorized(Credentials const& used) override {
        refreshed.push_back(used);
        if (refresh_failure) co_return gic::make_error(*refresh_failure);
        if (!rotations.empty()) {
            current = rotations.front();
            rotations.pop_front();
        }
        co_return current;
    }

    std::string describe() const override { return "fake provider get-token (test kubeconfig)"; }
};

struct ProviderFixture : ClientFixture {
    std::shared_ptr<FakeProvider> provider = std::make_shared<FakeProvider>();

    RestConfig provider_config(unsigned short port) const {
        RestConfig config = config_for(port);
        config.credential_provider = provider;
        return config;
    }
};

// The Authorization header of each request the server saw.
std::vector<std::string> authorizations(TestHttpsServer const& server) {
    std::vector<std::string> out;
    for (auto const& request : server.requests()) out.emplace_back(request[http::field::authorization]);
    return out;
}

// Answers 200 to `Bearer <accepted>` and 401 to anything else.
TestHttpsServer::Handler accepting(std::string accepted) {
    return [accepted](HttpRequest const& request) -> std::optional<HttpResponse> {
        if (request[http::field::authorization] == "Bearer " + accepted) return json_response(200, secret_json);
        return json_response(401, unauthorized_json);
    };
}

// Captures the log lines written while it lives.
struct CapturedLog {
    std::ostringstream lines;
    CapturedLog() { gic::observe::init_logging(gic::observe::Level::info, gic::observe::Format::text, lines); }
    ~CapturedLog() { gic::observe::init_logging(gic::observe::Level::info, gic::observe::Format::text); }

    int count(std::string const& part) const {
        std::string const text = lines.str();
        int n = 0;
        for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
        return n;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(credential_provider, ProviderFixture)

BOOST_AUTO_TEST_CASE(the_provider_token_is_sent_and_asked_for_before_each_request) {
    provider->current = token("from-provider");
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); });
    Client client(io.get_executor(), provider_config(srv->port()));  // its static token is "static-token"
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    provider->current = token("next-token");  // as after an expiry
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(provider->gets == 2);
    BOOST_TEST(provider->refreshed.empty());
    std::vector<std::string> const expected = {"Bearer from-provider", "Bearer next-token"};
    BOOST_TEST(authorizations(*srv) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unauthorized_refreshes_and_retries_once_with_the_new_token) {
    provider->current = token("stale");
    provider->rotations = {token("fresh")};
    auto srv = server(accepting("fresh"));
    Client client(io.get_executor(), provider_config(srv->port()));
    auto const result = run(client.get(secret_ref));
    BOOST_TEST_REQUIRE(result.has_value(), (result.has_error() ? result.error().describe() : std::string{}));
    BOOST_TEST(provider->gets == 1);
    BOOST_TEST_REQUIRE(provider->refreshed.size() == 1u);
    BOOST_TEST(provider->refreshed[0].bearer_token == "stale");  // the credentials the server refused
    std::vector<std::string> const expected = {"Bearer stale", "Bearer fresh"};
    BOOST_TEST(authorizations(*srv) == expected, boost::test_tools::per_element());

    // The next request asks the provider again and needs no refresh.
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(provider->gets == 2);
    BOOST_TEST(provider->refreshed.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_second_401_fails_the_request_without_another_refresh) {
    provider->current = token("stale");
    provider->rotations = {token("also-refused"), token("never-used")};
    auto srv = server(accepting("nobody"));
    Client client(io.get_executor(), provider_config(srv->port()));
    auto const result = run(client.get(secret_ref));
    BOOST_TEST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().is_unauthorized());
    BOOST_TEST(result.error().describe() == "unauthorized by " + config_for(srv->port()).server +
                                                ": check the service-account token or kubeconfig credentials (fake "
                                                "provider get-token (test kubeconfig)): Unauthorized");
    BOOST_TEST(provider->refreshed.size() == 1u);
    BOOST_TEST(srv->requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_provider_failure_fails_the_request_naming_the_provider) {
    provider->get_failure = "the token endpoint is unreachable";
    auto srv = server(accepting("t"));
    Client client(io.get_executor(), provider_config(srv->port()));
    auto const result = run(client.get(secret_ref));
    BOOST_TEST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message ==
               "fake provider get-token (test kubeconfig): the token endpoint is unreachable");
    BOOST_TEST(result.error().describe() ==
               "get secrets \"ns/s\": fake provider get-token (test kubeconfig): the token endpoint is unreachable");
    BOOST_TEST(srv->requests().empty());

    // A message that already names the provider (an exec plugin's) is not prefixed twice.
    provider->get_failure = "fake provider get-token (test kubeconfig): exited with code 1; stderr: no login";
    auto const named = run(client.get(secret_ref));
    BOOST_TEST_REQUIRE(named.has_error());
    BOOST_TEST(named.error().message == *provider->get_failure);
}

BOOST_AUTO_TEST_CASE(a_failed_refresh_after_401_names_the_provider) {
    provider->current = token("stale");
    provider->refresh_failure = "exited with code 2";
    auto srv = server(accepting("fresh"));
    Client client(io.get_executor(), provider_config(srv->port()));
    auto const result = run(client.get(secret_ref));
    BOOST_TEST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().message == "the server answered 401 Unauthorized and getting new credentials failed: "
                                         "fake provider get-token (test kubeconfig): exited with code 2");
    BOOST_TEST(srv->requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_provider_client_certificate_is_presented_and_a_new_one_reconnects) {
    auto const& p = pki();
    auto const rotated = p.ca.issue_client("rotated", {}, std::chrono::hours(1));
    provider->current = certificate(p.client);
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); }, {.client_ca_pem = p.ca_pem()});
    auto config = provider_config(srv->port());
    config.bearer_token.clear();
    // As complete_credentials() leaves it: the provider's first pair copied into the config.
    config.client_cert_pem = p.client.cert.to_pem();
    config.client_key_pem = p.client.key.to_pkcs8_pem();
    Client client(io.get_executor(), config);
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(srv->connections() == 1);  // the same pair keeps the connection

    provider->current = certificate(rotated);
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(srv->connections() == 2);
    std::vector<std::string> const names = {"admin", "rotated"};
    BOOST_TEST(srv->client_names() == names, boost::test_tools::per_element());
    BOOST_TEST(srv->requests().back().count(http::field::authorization) == 0u);
    BOOST_TEST(srv->handshake_failures() == 0);
}

BOOST_AUTO_TEST_CASE(a_client_certificate_from_the_provider_alone_is_enough) {
    auto const& p = pki();
    provider->current = certificate(p.client);
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); }, {.client_ca_pem = p.ca_pem()});
    auto config = provider_config(srv->port());
    config.bearer_token.clear();  // nothing in the config: the connection is rebuilt with the pair
    Client client(io.get_executor(), config);
    auto const result = run(client.get(secret_ref));
    BOOST_TEST(result.has_value(), (result.has_error() ? result.error().describe() : std::string{}));
    std::vector<std::string> const names = {"admin"};
    BOOST_TEST(srv->client_names() == names, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_watch_is_authenticated_by_the_provider_and_refreshed_after_401) {
    provider->current = token("stale");
    provider->rotations = {token("fresh")};
    auto srv = server([](HttpRequest const& request, RawResponse& out) -> asio::awaitable<void> {
        if (request[http::field::authorization] != "Bearer fresh") {
            co_await out.write("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(unauthorized_json.size()) + "\r\n\r\n" + unauthorized_json);
            co_return;
        }
        co_await out.write(chunked_head() +
                           chunk(R"({"type":"ADDED","object":{"kind":"Lease","metadata":{"name":"l1","resourceVersion":"5"}}})"
                                 "\n") +
                           last_chunk());
    });
    std::vector<std::string> observed;
    ClientOptions options;
    options.observer = [&](std::string_view verb, std::string_view resource, int code, std::chrono::nanoseconds) {
        observed.push_back(std::string(verb) + " " + std::string(resource) + " " + std::to_string(code));
    };
    Client client(io.get_executor(), provider_config(srv->port()), options);
    ResourceRef const leases{"coordination.k8s.io/v1", "leases", "ns", "", ""};
    auto const events = run([](Client& c, ResourceRef const& ref) -> asio::awaitable<std::vector<WatchEvent>> {
        WatchOptions const watch_options;
        auto opened = co_await watch(c, ref, watch_options);
        if (!opened) throw std::runtime_error(opened.error().describe());
        std::vector<WatchEvent> out;
        for (;;) {
            auto next = co_await (*opened)->next();
            if (!next) throw std::runtime_error(next.error().describe());
            if (!*next) co_return out;
            out.push_back(std::move(**next));
        }
    }(client, leases));
    BOOST_TEST_REQUIRE(events.size() == 1u);
    BOOST_TEST(events[0].object.at("metadata").at("name").as_string() == "l1");
    std::vector<std::string> const expected = {"Bearer stale", "Bearer fresh"};
    BOOST_TEST(authorizations(*srv) == expected, boost::test_tools::per_element());
    BOOST_TEST(provider->gets == 1);
    BOOST_TEST(provider->refreshed.size() == 1u);
    std::vector<std::string> const reported = {"watch leases 401", "watch leases 200"};
    BOOST_TEST(observed == reported, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_watch_fails_naming_the_provider_when_it_fails) {
    provider->get_failure = "no login session";
    auto srv = server([](HttpRequest const&, RawResponse& out) -> asio::awaitable<void> {
        co_await out.write(chunked_head() + last_chunk());
    });
    Client client(io.get_executor(), provider_config(srv->port()));
    ResourceRef const leases{"coordination.k8s.io/v1", "leases", "ns", "", ""};
    WatchOptions const watch_options;
    auto const opened = run(watch(client, leases, watch_options));
    BOOST_TEST_REQUIRE(opened.has_error());
    BOOST_TEST(opened.error().message == "fake provider get-token (test kubeconfig): no login session");
    BOOST_TEST(srv->requests().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(impersonation_headers, ClientFixture)

// client-go's impersonating round tripper: Impersonate-User, -Uid, one -Group per group and one
// -Extra-<escaped key> per value (watches apply the same step, Client::open_stream).
BOOST_AUTO_TEST_CASE(every_request_carries_the_impersonation_headers) {
    auto srv = server([](HttpRequest const& req) -> std::optional<HttpResponse> {
        if (req.target().find("watch=") != std::string::npos) return json_response(200, "");
        return json_response(200, secret_json);
    });
    auto config = config_for(srv->port());
    config.impersonate.user = "system:serviceaccount:ns:sa";
    config.impersonate.uid = "42";
    config.impersonate.groups = {"g1", "g2"};
    config.impersonate.extra = {{"scopes", "view"}, {"scopes", "edit"}, {"a b%", "x"}};
    Client client(io.get_executor(), config);
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(run(client.get(secret_ref)).has_value());  // applied again, never duplicated
    auto const requests = srv->requests();
    BOOST_TEST_REQUIRE(requests.size() == 2u);
    for (auto const& req : requests) {
        BOOST_TEST(req["Impersonate-User"] == "system:serviceaccount:ns:sa");
        BOOST_TEST(req["Impersonate-Uid"] == "42");
        std::vector<std::string> groups, scopes, odd;
        for (auto r = req.equal_range("Impersonate-Group"); r.first != r.second; ++r.first)
            groups.emplace_back(r.first->value());
        for (auto r = req.equal_range("Impersonate-Extra-scopes"); r.first != r.second; ++r.first)
            scopes.emplace_back(r.first->value());
        for (auto r = req.equal_range("Impersonate-Extra-a%20b%25"); r.first != r.second; ++r.first)
            odd.emplace_back(r.first->value());
        BOOST_TEST(groups == (std::vector<std::string>{"g1", "g2"}), boost::test_tools::per_element());
        BOOST_TEST(scopes == (std::vector<std::string>{"view", "edit"}), boost::test_tools::per_element());
        BOOST_TEST(odd == (std::vector<std::string>{"x"}), boost::test_tools::per_element());
    }
}

BOOST_AUTO_TEST_CASE(header_keys_are_escaped_as_client_go_does) {
    BOOST_TEST(impersonation_header_key("scopes") == "scopes");
    BOOST_TEST(impersonation_header_key("example.com/team") == "example.com%2Fteam");
    BOOST_TEST(impersonation_header_key("100%") == "100%25");
    BOOST_TEST(impersonation_header_key("a:b\xc3\xa9") == "a%3Ab%C3%A9");
}

BOOST_AUTO_TEST_CASE(without_impersonation_no_header_is_sent) {
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); });
    Client client(io.get_executor(), config_for(srv->port()));
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    auto const requests = srv->requests();
    BOOST_TEST_REQUIRE(requests.size() == 1u);
    for (auto const& field : requests.front())
        BOOST_TEST(std::string(field.name_string()).rfind("Impersonate", 0) != 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(insecure_skip_tls_verify, ClientFixture)

// A server certificate that chains to nothing the client knows, for names it is not reached by.
ServerTls untrusted_tls() {
    auto const issued = pki().other_ca.issue_server({"elsewhere.example"}, {"127.0.0.2"}, std::chrono::hours(1));
    return {issued.cert.to_pem(), issued.key.to_pkcs8_pem()};
}

BOOST_AUTO_TEST_CASE(without_a_ca_nothing_is_verified_sni_is_sent_and_one_warning_is_logged) {
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); }, untrusted_tls());
    auto config = config_for(srv->port());
    config.ca_pem.clear();
    config.insecure_skip_tls_verify = true;
    config.tls_server_name = "kubernetes.default.svc";
    CapturedLog log;
    {
        Client client(io.get_executor(), config);
        BOOST_TEST(run(client.get(secret_ref)).has_value());
        BOOST_TEST(run(client.get(secret_ref)).has_value());
    }
    BOOST_TEST(srv->last_sni() == "kubernetes.default.svc");
    BOOST_TEST(log.count("INSECURE") == 1);
    BOOST_TEST(log.count("server=" + config.server) == 1);
    Client another(io.get_executor(), config);
    BOOST_TEST(log.count("INSECURE") == 2);  // once per client
}

BOOST_AUTO_TEST_CASE(with_a_ca_the_flag_changes_nothing) {
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); }, untrusted_tls());
    auto config = config_for(srv->port());
    config.insecure_skip_tls_verify = true;  // the kubeconfig loader refuses this pair; the client stays strict
    CapturedLog log;
    Client client(io.get_executor(), config);
    auto const result = run(client.get(secret_ref));
    BOOST_TEST_REQUIRE(result.has_error());
    BOOST_TEST(contains(result.error().message, "certificate verify failed: unable to get local issuer certificate"));
    BOOST_TEST(srv->requests().empty());
    BOOST_TEST(log.count("INSECURE") == 0);
}

// Without a CA the server is verified against the system trust store (OpenSSL's default paths,
// which honour SSL_CERT_FILE), as client-go does: trusted there, the request succeeds; not, it
// fails verification.
BOOST_AUTO_TEST_CASE(without_a_ca_the_system_trust_store_verifies_the_server) {
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); });
    auto config = config_for(srv->port());
    config.ca_pem.clear();
    gic::test::TempDir dir;
    auto const bundle = dir.file("system-roots.pem");
    gic::test::write_file(bundle, pki().ca_pem());
    struct RestoreEnv {
        std::optional<std::string> old;
        RestoreEnv() {
            if (char const* v = std::getenv("SSL_CERT_FILE")) old = v;
        }
        ~RestoreEnv() { old ? ::setenv("SSL_CERT_FILE", old->c_str(), 1) : ::unsetenv("SSL_CERT_FILE"); }
    } const restore;
    ::setenv("SSL_CERT_FILE", bundle.c_str(), 1);
    {
        Client trusted(io.get_executor(), config);
        BOOST_TEST(run(trusted.get(secret_ref)).has_value());
    }
    gic::test::write_file(bundle, pki().other_ca.cert().to_pem());
    Client untrusted(io.get_executor(), config);
    auto const result = run(untrusted.get(secret_ref));
    BOOST_TEST_REQUIRE(result.has_error());
    BOOST_TEST(contains(result.error().message, "certificate verify failed"));
}

BOOST_AUTO_TEST_SUITE_END()
