// The REST client against an in-process HTTPS server on 127.0.0.1.

#include "fixtures.hpp"
#include "kube/client.hpp"

#include "common/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <variant>

using namespace gic::kube;
using namespace gic::kube::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

std::string const secret_json = R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","namespace":"ns","resourceVersion":"7"}})";

std::string status_json(int code, std::string const& reason, std::string const& message) {
    return json::serialize(json::object{{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object{}},
                                        {"status", "Failure"}, {"message", message}, {"reason", reason}, {"code", code}});
}

ResourceRef const secret_ref{"v1", "secrets", "ns", "s", ""};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(client, ClientFixture)

BOOST_AUTO_TEST_CASE(get_success_sends_the_expected_request) {
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); });
    Client client(io.get_executor(), config_for(srv->port()));
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE_MESSAGE(result.has_value(), (result.has_error() ? result.error().describe() : std::string{}));
    BOOST_TEST(result->at("metadata").at("resourceVersion").as_string() == "7");

    BOOST_REQUIRE(srv->requests().size() == 1u);
    auto const& request = srv->requests()[0];
    BOOST_TEST(request.method() == http::verb::get);
    BOOST_TEST(request.target() == "/api/v1/namespaces/ns/secrets/s?timeout=10s");
    BOOST_TEST(request[http::field::authorization] == "Bearer static-token");
    BOOST_TEST(request[http::field::accept] == "application/json");
    BOOST_TEST(request[http::field::user_agent] == "gen-istio-cert");
    BOOST_TEST(request[http::field::host] == "127.0.0.1:" + std::to_string(srv->port()));
    BOOST_TEST(srv->last_sni() == "");  // no SNI for an IP address
}

BOOST_AUTO_TEST_CASE(not_found_status_becomes_api_error) {
    auto srv = server([](HttpRequest const&) {
        return json_response(404, status_json(404, "NotFound", "secrets \"s\" not found"));
    });
    Client client(io.get_executor(), config_for(srv->port()));
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    auto const& e = result.error();
    BOOST_TEST(e.is_not_found());
    BOOST_TEST(e.reason == "NotFound");
    BOOST_TEST(e.message == "secrets \"s\" not found");
    BOOST_TEST(e.verb == "get");
    BOOST_TEST(e.resource == "secrets");
    BOOST_TEST(e.namespace_ == "ns");
    BOOST_TEST(e.name == "s");
    BOOST_TEST(e.server == "https://127.0.0.1:" + std::to_string(srv->port()));
}

BOOST_AUTO_TEST_CASE(create_posts_to_the_collection_and_reports_409) {
    auto srv = server([](HttpRequest const&) {
        return json_response(409, status_json(409, "AlreadyExists", "secrets \"s\" already exists"));
    });
    Client client(io.get_executor(), config_for(srv->port()));
    auto const body = json::parse(secret_json).as_object();
    auto const result = run(client.create(secret_ref, body));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().is_already_exists());
    BOOST_TEST(result.error().verb == "create");
    BOOST_TEST(result.error().name == "s");

    auto const& request = srv->requests().at(0);
    BOOST_TEST(request.method() == http::verb::post);
    BOOST_TEST(request.target() == "/api/v1/namespaces/ns/secrets?timeout=10s");
    BOOST_TEST(request[http::field::content_type] == "application/json");
    BOOST_TEST(json::parse(request.body()) == json::parse(secret_json));
}

BOOST_AUTO_TEST_CASE(update_conflict_and_delete) {
    auto srv = server([](HttpRequest const& request) {
        if (request.method() == http::verb::put) {
            return json_response(409, status_json(409, "Conflict", "the object has been modified"));
        }
        return json_response(200, R"({"kind":"Status","status":"Success"})");
    });
    Client client(io.get_executor(), config_for(srv->port()));
    auto const updated = run(client.update(secret_ref, json::parse(secret_json).as_object()));
    BOOST_REQUIRE(updated.has_error());
    BOOST_TEST(updated.error().is_conflict());
    auto const removed = run(client.remove(secret_ref));
    BOOST_TEST(removed.has_value());
    BOOST_TEST(srv->requests().at(0).method() == http::verb::put);
    BOOST_TEST(srv->requests().at(0).target() == "/api/v1/namespaces/ns/secrets/s?timeout=10s");
    BOOST_TEST(srv->requests().at(1).method() == http::verb::delete_);
}

BOOST_AUTO_TEST_CASE(subresource_create_and_group_path) {
    auto srv = server([](HttpRequest const&) { return json_response(201, R"({"kind":"TokenRequest"})"); });
    auto config = config_for(srv->port());
    Client client(io.get_executor(), config, ClientOptions{.send_timeout_param = false});
    auto const token = run(client.create({"v1", "serviceaccounts", "ns", "sa", "token"}, json::object{}));
    BOOST_TEST(token.has_value());
    auto const lease = run(client.get({"coordination.k8s.io/v1", "leases", "ns", "lock", ""}));
    BOOST_TEST(lease.has_value());
    BOOST_TEST(srv->requests().at(0).target() == "/api/v1/namespaces/ns/serviceaccounts/sa/token");
    BOOST_TEST(srv->requests().at(1).target() == "/apis/coordination.k8s.io/v1/namespaces/ns/leases/lock");
}

BOOST_AUTO_TEST_CASE(retry_after_429_is_retried_then_succeeds) {
    int calls = 0;
    auto srv = server([&](HttpRequest const&) {
        if (++calls == 1) {
            auto response = json_response(429, "Too many requests, please try again later.");
            response.set(http::field::content_type, "text/plain");
            response.set(http::field::retry_after, "1");
            return response;
        }
        return json_response(200, secret_json);
    });
    Client client(io.get_executor(), config_for(srv->port()));
    auto const result = run(client.get(secret_ref));
    BOOST_TEST(result.has_value());
    BOOST_TEST(srv->requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(retries_stop_at_max_retries) {
    auto srv = server([](HttpRequest const&) {
        auto response = json_response(503, status_json(503, "ServiceUnavailable", "try later"));
        response.set(http::field::retry_after, "0");
        return response;
    });
    Client client(io.get_executor(), config_for(srv->port()), ClientOptions{.max_retries = 2});
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().code == 503);
    BOOST_TEST(result.error().reason == "ServiceUnavailable");
    BOOST_TEST(result.error().retry_after.value().count() == 0);
    BOOST_TEST(srv->requests().size() == 3u);  // the first try and two retries
}

BOOST_AUTO_TEST_CASE(server_error_without_retry_after_is_not_retried) {
    auto srv = server([](HttpRequest const&) { return json_response(500, "boom"); });
    Client client(io.get_executor(), config_for(srv->port()));
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().code == 500);
    BOOST_TEST(result.error().reason == "InternalError");
    BOOST_TEST(contains(result.error().message, "boom"));
    BOOST_TEST(srv->requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(empty_success_body_is_an_error) {
    auto srv = server([](HttpRequest const&) { return json_response(200, ""); });
    Client client(io.get_executor(), config_for(srv->port()));
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(contains(result.error().message, "empty body"));
    auto srv2 = server([](HttpRequest const&) { return json_response(200, "[1,2]"); });
    Client client2(io.get_executor(), config_for(srv2->port()));
    auto const array = run(client2.get(secret_ref));
    BOOST_REQUIRE(array.has_error());
    BOOST_TEST(contains(array.error().message, "not a JSON object"));
}

BOOST_AUTO_TEST_CASE(keep_alive_connection_is_reused) {
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); });
    Client client(io.get_executor(), config_for(srv->port()));
    for (int i = 0; i < 3; ++i) BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(srv->requests().size() == 3u);
    BOOST_TEST(srv->connections() == 1);
}

BOOST_AUTO_TEST_CASE(concurrent_callers_share_the_connection_in_turn) {
    auto srv = server([](HttpRequest const& request) {
        return json_response(200, R"({"path":")" + std::string(request.target()) + R"("})");
    });
    Client client(io.get_executor(), config_for(srv->port()), ClientOptions{.send_timeout_param = false});
    using namespace asio::experimental::awaitable_operators;
    auto const [a, b, c] = run([](Client& cl) -> asio::awaitable<std::tuple<ApiResult<json::object>, ApiResult<json::object>,
                                                                            ApiResult<json::object>>> {
        // Named refs: g++ 12 mis-destroys braced temporaries inside a co_await expression.
        ResourceRef const a{"v1", "secrets", "ns", "a", ""};
        ResourceRef const b{"v1", "secrets", "ns", "b", ""};
        ResourceRef const c{"v1", "secrets", "ns", "c", ""};
        co_return co_await (cl.get(a) && cl.get(b) && cl.get(c));
    }(client));
    BOOST_TEST(a->at("path").as_string() == "/api/v1/namespaces/ns/secrets/a");
    BOOST_TEST(b->at("path").as_string() == "/api/v1/namespaces/ns/secrets/b");
    BOOST_TEST(c->at("path").as_string() == "/api/v1/namespaces/ns/secrets/c");
    BOOST_TEST(srv->connections() == 1);
}

BOOST_AUTO_TEST_CASE(connection_close_from_server_reconnects) {
    auto srv = server([](HttpRequest const&) {
        auto response = json_response(200, secret_json);
        response.keep_alive(false);
        return response;
    });
    Client client(io.get_executor(), config_for(srv->port()));
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(srv->connections() == 2);
}

BOOST_AUTO_TEST_CASE(idle_connection_closed_by_the_server_is_replaced) {
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); });
    srv->drop_after_response = true;
    Client client(io.get_executor(), config_for(srv->port()));
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    // Not idempotent, so it must not be lost to the dead connection either.
    BOOST_TEST(run(client.create(secret_ref, json::object{})).has_value());
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(srv->requests().size() == 3u);
    BOOST_TEST(srv->connections() == 3);
}

BOOST_AUTO_TEST_CASE(unauthorized_rereads_the_token_file_once) {
    gic::test::TempDir dir;
    gic::test::write_file(dir.file("token"), "old");
    bool old_accepted = true;
    auto srv = server([&](HttpRequest const& request) {
        auto const auth = std::string(request[http::field::authorization]);
        if (auth == "Bearer new" || (auth == "Bearer old" && old_accepted)) return json_response(200, secret_json);
        return json_response(401, status_json(401, "Unauthorized", "Unauthorized"));
    });
    auto config = config_for(srv->port());
    config.bearer_token = "old";
    config.token_file = dir.file("token");
    Client client(io.get_executor(), config);
    BOOST_TEST(run(client.get(secret_ref)).has_value());

    // The kubelet rotates the token and the server stops accepting the old one: the cached
    // copy is younger than 50 s, so only the 401 makes the client read the file again.
    gic::test::write_file(dir.file("token"), "new\n");
    old_accepted = false;
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_REQUIRE(srv->requests().size() == 3u);
    BOOST_TEST(srv->requests()[1][http::field::authorization] == "Bearer old");
    BOOST_TEST(srv->requests()[2][http::field::authorization] == "Bearer new");
}

BOOST_AUTO_TEST_CASE(unauthorized_with_a_static_token_is_returned) {
    auto srv = server([](HttpRequest const&) { return json_response(401, status_json(401, "Unauthorized", "Unauthorized")); });
    Client client(io.get_executor(), config_for(srv->port()));
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().is_unauthorized());
    BOOST_TEST(contains(result.error().describe(), "unauthorized by https://127.0.0.1:" + std::to_string(srv->port()) +
                                                       ": check the service-account token or kubeconfig credentials "
                                                       "(bearer token from test config)"));
    BOOST_TEST(srv->requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(wrong_server_name_fails_verification) {
    auto const& p = pki();
    auto const wrong = p.ca.issue_server({"elsewhere.example"}, {"127.0.0.2"}, std::chrono::hours(1));
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); },
                      {wrong.cert.to_pem(), wrong.key.to_pkcs8_pem()});
    Client client(io.get_executor(), config_for(srv->port()));
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().is_transport());
    BOOST_TEST(contains(result.error().message, "TLS handshake with https://127.0.0.1:" + std::to_string(srv->port()) +
                                                    ": certificate verify failed: IP address mismatch"));
    BOOST_TEST(srv->requests().empty());
}

BOOST_AUTO_TEST_CASE(the_ca_decoded_at_load_is_the_one_trusted) {
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); });
    auto config = config_for(srv->port());
    config.ca_certs = parse_certificates_pem(config.ca_pem).value();
    {
        Client client(io.get_executor(), config);
        auto const result = run(client.get(secret_ref));
        BOOST_TEST(result.has_value());
    }
    // Decoded certificates claiming to be ca_pem's are trusted instead of decoding ca_pem again:
    // another CA's make the handshake fail.
    auto other = std::make_shared<ParsedCertificates>(*parse_certificates_pem(pki().other_ca.cert().to_pem()).value());
    other->pem = config.ca_pem;
    config.ca_certs = other;
    Client client(io.get_executor(), config);
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(contains(result.error().message, "certificate verify failed"));
}

BOOST_AUTO_TEST_CASE(decoded_certificates_of_other_text_are_not_used) {
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); });
    auto config = config_for(srv->port());
    // Left from another ca_pem (the text changed after loading): ca_pem is decoded and trusted.
    config.ca_certs = parse_certificates_pem(pki().other_ca.cert().to_pem()).value();
    Client client(io.get_executor(), config);
    auto const result = run(client.get(secret_ref));
    BOOST_TEST(result.has_value());
}

BOOST_AUTO_TEST_CASE(wrong_dns_name_fails_verification) {
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); });
    auto config = config_for(srv->port());
    config.tls_server_name = "kubernetes.other.svc";
    Client client(io.get_executor(), config);
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(contains(result.error().message, "certificate verify failed: hostname mismatch"));
    BOOST_TEST(contains(result.error().message, "kubernetes.other.svc"));
}

BOOST_AUTO_TEST_CASE(tls_server_name_is_verified_and_sent_as_sni) {
    auto const& p = pki();
    auto const dns_only = p.ca.issue_server({"kubernetes.default.svc"}, {}, std::chrono::hours(1));
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); },
                      {dns_only.cert.to_pem(), dns_only.key.to_pkcs8_pem()});
    auto config = config_for(srv->port());
    config.tls_server_name = "kubernetes.default.svc";
    Client client(io.get_executor(), config);
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(srv->last_sni() == "kubernetes.default.svc");
}

BOOST_AUTO_TEST_CASE(server_signed_by_another_ca_fails_verification) {
    auto const& p = pki();
    auto const foreign = p.other_ca.issue_server({"localhost"}, {"127.0.0.1"}, std::chrono::hours(1));
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); },
                      {foreign.cert.to_pem(), foreign.key.to_pkcs8_pem()});
    Client client(io.get_executor(), config_for(srv->port()));
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().code == 0);
    BOOST_TEST(contains(result.error().message, "certificate verify failed: unable to get local issuer certificate"));
    BOOST_TEST(contains(result.error().describe(), "get secrets \"ns/s\": TLS handshake with https://127.0.0.1:"));
}

BOOST_AUTO_TEST_CASE(client_certificate_authentication) {
    auto const& p = pki();
    auto srv = server([](HttpRequest const&) { return json_response(200, secret_json); }, {.client_ca_pem = p.ca_pem()});
    auto config = config_for(srv->port());
    config.bearer_token.clear();
    {
        Client anonymous(io.get_executor(), config);
        auto const refused = run(anonymous.get(secret_ref));
        BOOST_TEST(refused.has_error());
    }
    config.client_cert_pem = p.client.cert.to_pem();
    config.client_key_pem = p.client.key.to_pkcs8_pem();
    Client client(io.get_executor(), config);
    auto const result = run(client.get(secret_ref));
    BOOST_TEST(result.has_value());
    BOOST_TEST(!srv->requests().empty());
    BOOST_TEST(srv->requests().back().count(http::field::authorization) == 0u);
}

BOOST_AUTO_TEST_CASE(connection_refused_names_the_server) {
    unsigned short port = 0;
    {
        asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
        port = probe.local_endpoint().port();
    }
    Client client(io.get_executor(), config_for(port));
    auto const result = run(client.get(secret_ref));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(result.error().is_transport());
    BOOST_TEST(result.error().message ==
               "connecting to https://127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

BOOST_AUTO_TEST_CASE(deadline_closes_the_connection_and_the_next_request_reconnects) {
    int calls = 0;
    auto srv = server([&](HttpRequest const&) -> std::optional<HttpResponse> {
        if (++calls == 1) return std::nullopt;  // stall
        return json_response(200, secret_json);
    });
    Client client(io.get_executor(), config_for(srv->port()), ClientOptions{.request_timeout = 300ms});
    auto const timed_out = run(client.get(secret_ref));
    BOOST_REQUIRE(timed_out.has_error());
    BOOST_TEST(timed_out.error().is_transport());
    BOOST_TEST(timed_out.error().message ==
               "reading the response from https://127.0.0.1:" + std::to_string(srv->port()) + ": request timed out");
    BOOST_TEST(srv->requests().at(0).target() == "/api/v1/namespaces/ns/secrets/s?timeout=300ms");
    BOOST_TEST(run(client.get(secret_ref)).has_value());
    BOOST_TEST(srv->connections() == 2);
}

BOOST_AUTO_TEST_CASE(cancellation_closes_the_connection) {
    int calls = 0;
    auto srv = server([&](HttpRequest const&) -> std::optional<HttpResponse> {
        if (++calls == 1) return std::nullopt;  // stall until cancelled
        return json_response(200, secret_json);
    });
    Client client(io.get_executor(), config_for(srv->port()));
    auto const winner = run([](Client& cl, asio::io_context& ctx) -> asio::awaitable<std::size_t> {
        using namespace asio::experimental::awaitable_operators;
        asio::steady_timer timer(ctx, 200ms);
        auto const outcome = co_await (cl.get(secret_ref) || timer.async_wait(asio::use_awaitable));
        co_return outcome.index();
    }(client, io));
    BOOST_TEST(winner == 1u);  // the timer: the request was cancelled, not answered
    auto const after = run(client.get(secret_ref));
    BOOST_TEST(after.has_value(), (after.has_error() ? after.error().describe() : std::string{}));
    BOOST_TEST(srv->connections() == 2);
}

BOOST_AUTO_TEST_SUITE_END()
