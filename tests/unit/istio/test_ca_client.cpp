// CaClient against an in-process IstioCertificateService served over TLS with a serving certificate
// shaped like istiod's (DNS SANs istiod / istiod-remote / istio-pilot .istio-system.svc).

#include "istio/ca_client.hpp"

#include "common/closed_port.hpp"
#include "fake_ca_server.hpp"
#include "run_coro.hpp"
#include "test_ca.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>
#include <grpcpp/security/server_credentials.h>

#include <future>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using gic::istio::CaClient;
using gic::istio::CaClientConfig;
using gic::istio::CaError;
using gic::istio::CertificateRequest;
using gic::test::CaRequest;
using gic::test::CaResponse;
using gic::test::FakeCaServer;
using grpc::StatusCode;
using CaResult = boost::system::result<std::vector<std::string>, CaError>;

namespace {

constexpr char const* istiod_name = "istiod.istio-system.svc";

gic::emu::CertificateAuthority make_root(std::string const& cn) {
    return gic::emu::CertificateAuthority::create_root("gen-istio-cert test", cn, gic::pki::KeyAlgorithm::ecdsa_p256,
                                                       std::chrono::hours(24));
}

std::shared_ptr<grpc::ServerCredentials> istiod_credentials(gic::emu::CertificateAuthority const& ca) {
    auto serving = ca.issue_server({istiod_name, "istiod-remote.istio-system.svc", "istio-pilot.istio-system.svc"}, {},
                                   std::chrono::hours(24));
    grpc::SslServerCredentialsOptions options;  // a client certificate is optional, as on istiod
    options.pem_key_cert_pairs.push_back({serving.key.to_pkcs8_pem(), serving.cert.to_pem() + ca.cert().to_pem()});
    return grpc::SslServerCredentials(options);
}

bool contains(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

int code_of(CaResult const& r) { return static_cast<int>(r.error().code); }
int as_int(StatusCode code) { return static_cast<int>(code); }

// Owns the request for as long as the call runs.
asio::awaitable<CaResult> issue(CaClient& client, CertificateRequest request) {
    co_return co_await client.create_certificate(request);
}

CertificateRequest request_with(std::string token = "tok") {
    return CertificateRequest{.csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\ncsr\n-----END CERTIFICATE REQUEST-----\n",
                              .validity = std::chrono::seconds(3600),
                              .token = std::move(token)};
}

struct TlsFixture {
    gic::emu::CertificateAuthority root = make_root("istiod root");
    FakeCaServer server{istiod_credentials(root)};
    asio::io_context io;

    CaClientConfig config() const {
        return CaClientConfig{.address = server.address(),
                              .tls_server_name = istiod_name,
                              .root_pem = root.cert().to_pem(),
                              .cluster_id = "Kubernetes",
                              .call_timeout = 10s};
    }
    CaResult call(CaClient& client, CertificateRequest request = request_with()) {
        return gic::test::run_coro(io, issue(client, std::move(request)));
    }
    CaResult call(CaClientConfig const& cfg) {
        CaClient client(io.get_executor(), cfg);
        return call(client);
    }
};

std::string metadata_value(gic::test::SeenCall const& call, std::string const& key) {
    auto [first, last] = call.metadata.equal_range(key);
    BOOST_REQUIRE_MESSAGE(first != last, "header " + key + " was not sent");
    BOOST_REQUIRE_MESSAGE(std::next(first) == last, "header " + key + " was sent more than once");
    return first->second;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ca_client)

BOOST_FIXTURE_TEST_CASE(success_sends_what_pilot_agent_sends_and_returns_the_chain, TlsFixture) {
    server.set_handler(gic::test::answer_with({"leaf-pem", "root-pem"}));
    auto result = call(config());
    BOOST_REQUIRE_MESSAGE(result.has_value(), (result.has_error() ? result.error().describe() : ""));
    BOOST_TEST((*result == std::vector<std::string>{"leaf-pem", "root-pem"}));

    auto seen = server.seen();
    BOOST_REQUIRE_EQUAL(seen.size(), 1u);
    BOOST_TEST(metadata_value(seen[0], "authorization") == "Bearer tok");
    BOOST_TEST(metadata_value(seen[0], "clusterid") == "Kubernetes");
    BOOST_TEST(seen[0].request.csr() == request_with().csr_pem);
    BOOST_TEST(seen[0].request.validity_duration() == 3600);
    auto const& fields = seen[0].request.metadata().fields();
    BOOST_REQUIRE_EQUAL(fields.size(), 1u);
    BOOST_REQUIRE(fields.count("CertSigner") == 1u);
    BOOST_TEST(fields.at("CertSigner").kind_case() == google::protobuf::Value::kStringValue);
    BOOST_TEST(fields.at("CertSigner").string_value() == "");
}

BOOST_FIXTURE_TEST_CASE(plugged_chain_is_returned_unchanged, TlsFixture) {
    std::vector<std::string> chain{"leaf", "intermediate", "root", "root\nsecond root"};
    server.set_handler(gic::test::answer_with(chain));
    auto result = call(config());
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(*result == chain);
}

BOOST_FIXTURE_TEST_CASE(clusterid_is_sent_even_when_empty, TlsFixture) {
    server.set_handler(gic::test::answer_with({"leaf", "root"}));
    auto cfg = config();
    cfg.cluster_id.clear();
    BOOST_REQUIRE(call(cfg).has_value());
    auto seen = server.seen();
    BOOST_REQUIRE_EQUAL(seen.size(), 1u);
    BOOST_TEST(metadata_value(seen[0], "clusterid") == "");
}

BOOST_FIXTURE_TEST_CASE(status_codes_map_to_ca_errors_with_retry_classes, TlsFixture) {
    struct Case {
        StatusCode code;
        char const* message;
        bool retriable;
    };
    for (auto const& c : {Case{StatusCode::UNAUTHENTICATED, "request authenticate failure", false},
                          Case{StatusCode::INVALID_ARGUMENT, "CSR signing error (requested TTL too long)", false},
                          Case{StatusCode::INTERNAL, "CSR signing error (Istio CA is not ready)", true},
                          Case{StatusCode::RESOURCE_EXHAUSTED, "slow down", true},
                          Case{StatusCode::ABORTED, "aborted", true},
                          Case{StatusCode::UNAVAILABLE, "server going away", true},
                          Case{StatusCode::PERMISSION_DENIED, "denied", false},
                          Case{StatusCode::UNIMPLEMENTED, "CA disabled", false}}) {
        BOOST_TEST_CONTEXT(gic::istio::status_code_name(c.code)) {
            server.set_handler([c](grpc::ServerContext&, CaRequest const&, CaResponse&) {
                return grpc::Status(c.code, c.message);
            });
            io.restart();
            auto result = call(config());
            BOOST_REQUIRE(result.has_error());
            BOOST_TEST(code_of(result) == as_int(c.code));
            BOOST_TEST(result.error().message == c.message);
            BOOST_TEST(result.error().address == server.address());
            BOOST_TEST(result.error().is_retriable() == c.retriable);
            BOOST_TEST(contains(result.error().describe(), c.message), result.error().describe());
        }
    }
}

BOOST_FIXTURE_TEST_CASE(fewer_than_two_elements_is_invalid_empty_cert_chain, TlsFixture) {
    for (auto const& chain : {std::vector<std::string>{}, std::vector<std::string>{"only-leaf"}}) {
        BOOST_TEST_CONTEXT(chain.size() << " element(s)") {
            server.set_handler(gic::test::answer_with(chain));
            io.restart();
            auto result = call(config());
            BOOST_REQUIRE(result.has_error());
            BOOST_TEST(code_of(result) == as_int(StatusCode::UNKNOWN));
            BOOST_TEST(contains(result.error().message, "invalid empty CertChain"), result.error().message);
            BOOST_TEST(!result.error().is_retriable());
        }
    }
}

BOOST_FIXTURE_TEST_CASE(a_server_echoing_the_token_does_not_get_it_into_the_error, TlsFixture) {
    std::string const token = "eyJhbGciOiJSUzI1NiJ9.secret-claims.signature";
    server.set_handler([](grpc::ServerContext& ctx, CaRequest const&, CaResponse&) {
        auto it = ctx.client_metadata().find("authorization");
        return grpc::Status(StatusCode::UNAUTHENTICATED,
                            "bad header: " + std::string(it->second.data(), it->second.size()));
    });
    CaClient client(io.get_executor(), config());
    auto result = call(client, request_with(token));
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(!contains(result.error().message, token), result.error().message);
    BOOST_TEST(!contains(result.error().describe(), token), result.error().describe());
    BOOST_TEST(contains(result.error().message, "<redacted>"), result.error().message);
}

BOOST_FIXTURE_TEST_CASE(server_slower_than_call_timeout_is_deadline_exceeded, TlsFixture) {
    gic::test::CancelWatcher cancel_watch;
    server.set_handler(cancel_watch.handler());
    auto cfg = config();
    cfg.call_timeout = 300ms;
    auto result = call(cfg);
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(code_of(result) == as_int(StatusCode::DEADLINE_EXCEEDED));
    BOOST_TEST(result.error().is_retriable());
    BOOST_TEST(cancel_watch.saw_cancel());
}

BOOST_FIXTURE_TEST_CASE(cancelling_the_awaiting_coroutine_cancels_the_call, TlsFixture) {
    asio::cancellation_signal cancel;
    gic::test::CancelWatcher cancel_watch;
    server.set_handler(cancel_watch.handler([&] {
        asio::post(io, [&] { cancel.emit(asio::cancellation_type::terminal); });
    }));
    CaClient client(io.get_executor(), config());
    std::optional<CaResult> result;
    asio::co_spawn(io, issue(client, request_with()),
                   asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, CaResult r) {
                       BOOST_TEST(!e);
                       result = std::move(r);
                   }));
    io.run();
    BOOST_REQUIRE(result.has_value());
    BOOST_REQUIRE(result->has_error());
    BOOST_TEST(code_of(*result) == as_int(StatusCode::CANCELLED));
    BOOST_TEST(!result->error().is_retriable());
    BOOST_TEST(cancel_watch.saw_cancel());
}

BOOST_FIXTURE_TEST_CASE(losing_to_a_timer_cancels_the_call, TlsFixture) {
    using namespace asio::experimental::awaitable_operators;
    gic::test::CancelWatcher cancel_watch;
    server.set_handler(cancel_watch.handler());
    CaClient client(io.get_executor(), config());
    auto race = [&]() -> asio::awaitable<std::size_t> {
        asio::steady_timer timer(io, 200ms);
        auto winner = co_await (issue(client, request_with()) || timer.async_wait(asio::use_awaitable));
        co_return winner.index();
    };
    // Had the call not been cancelled, || would wait for it (the server holds it for 20 s) and
    // the run would hit run_coro's limit instead.
    BOOST_TEST(gic::test::run_coro(io, race()) == 1u);
    BOOST_TEST(cancel_watch.saw_cancel());
}

BOOST_FIXTURE_TEST_CASE(an_already_cancelled_coroutine_gets_cancelled_without_a_call, TlsFixture) {
    server.set_handler(gic::test::answer_with({"leaf", "root"}));
    CaClient client(io.get_executor(), config());
    asio::cancellation_signal cancel;
    std::optional<CaResult> result;
    auto task = [&]() -> asio::awaitable<CaResult> {
        co_await asio::this_coro::throw_if_cancelled(false);
        cancel.emit(asio::cancellation_type::terminal);
        co_return co_await client.create_certificate(request_with());
    };
    asio::co_spawn(io, task(), asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, CaResult r) {
                       BOOST_TEST(!e);
                       result = std::move(r);
                   }));
    io.run();
    BOOST_REQUIRE(result.has_value());
    BOOST_REQUIRE(result->has_error());
    BOOST_TEST(code_of(*result) == as_int(StatusCode::CANCELLED));
    BOOST_TEST(server.seen().empty());
}

BOOST_FIXTURE_TEST_CASE(server_name_not_in_the_sans_is_unavailable_naming_the_flag, TlsFixture) {
    server.set_handler(gic::test::answer_with({"leaf", "root"}));
    auto cfg = config();
    cfg.tls_server_name = "istiod-1-22.istio-system.svc";
    auto result = call(cfg);
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(code_of(result) == as_int(StatusCode::UNAVAILABLE), result.error().describe());
    BOOST_TEST(result.error().is_retriable());
    auto line = result.error().describe();
    BOOST_TEST(contains(line, "does not name istiod-1-22.istio-system.svc"), line);
    BOOST_TEST(contains(line, "set --ca-tls-server-name"), line);
    BOOST_TEST(contains(line, server.address()), line);
    BOOST_TEST(server.seen().empty());
}

BOOST_FIXTURE_TEST_CASE(untrusted_root_is_unavailable_naming_the_root_flag, TlsFixture) {
    server.set_handler(gic::test::answer_with({"leaf", "root"}));
    auto cfg = config();
    cfg.root_pem = make_root("some other root").cert().to_pem();
    auto result = call(cfg);
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(code_of(result) == as_int(StatusCode::UNAVAILABLE), result.error().describe());
    auto line = result.error().describe();
    BOOST_TEST(contains(line, "does not chain to --root-cert-path"), line);
    BOOST_TEST(contains(line, server.address()), line);
    BOOST_TEST(server.seen().empty());
}

BOOST_FIXTURE_TEST_CASE(closed_port_is_unavailable_naming_the_address, TlsFixture) {
    gic::test::ClosedLoopbackPort const closed;
    auto cfg = config();
    cfg.address = closed.address();
    auto result = call(cfg);
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(code_of(result) == as_int(StatusCode::UNAVAILABLE), result.error().describe());
    auto line = result.error().describe();
    BOOST_TEST(contains(line, cfg.address + " is reachable"), line);
}

BOOST_FIXTURE_TEST_CASE(rebuild_channel_with_the_right_root_recovers, TlsFixture) {
    server.set_handler(gic::test::answer_with({"leaf", "root"}));
    auto cfg = config();
    cfg.root_pem = make_root("stale root").cert().to_pem();
    CaClient client(io.get_executor(), cfg);
    auto failed = call(client);
    BOOST_REQUIRE(failed.has_error());
    BOOST_TEST(code_of(failed) == as_int(StatusCode::UNAVAILABLE));

    client.rebuild_channel(root.cert().to_pem());
    BOOST_TEST(client.config().root_pem == root.cert().to_pem());
    io.restart();
    auto recovered = call(client);
    BOOST_TEST(recovered.has_value(), (recovered.has_error() ? recovered.error().describe() : ""));
}

BOOST_FIXTURE_TEST_CASE(rebuild_and_destruction_during_a_call_leave_the_call_intact, TlsFixture) {
    auto client = std::make_unique<CaClient>(io.get_executor(), config());
    std::promise<void> release;
    auto released = release.get_future().share();
    server.set_handler([&, released](grpc::ServerContext&, CaRequest const&, CaResponse& resp) {
        // While this call is held at the server, replace the channel and then drop the client.
        asio::post(io, [&] {
            client->rebuild_channel(root.cert().to_pem());
            client.reset();
            release.set_value();
        });
        released.wait_for(20s);
        resp.add_cert_chain("leaf");
        resp.add_cert_chain("root");
        return grpc::Status::OK;
    });
    std::optional<CaResult> result;
    asio::co_spawn(
        io, [](CaClient* c, std::optional<CaResult>* out) -> asio::awaitable<void> {
            *out = co_await issue(*c, request_with());
        }(client.get(), &result),
        asio::detached);
    io.run();
    BOOST_TEST(!client);
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(result->has_value(), (result->has_error() ? result->error().describe() : ""));
}

BOOST_FIXTURE_TEST_CASE(run_waits_for_the_call_and_returns_when_it_completes, TlsFixture) {
    server.set_handler([](grpc::ServerContext&, CaRequest const&, CaResponse& resp) {
        std::this_thread::sleep_for(300ms);
        resp.add_cert_chain("leaf");
        resp.add_cert_chain("root");
        return grpc::Status::OK;
    });
    CaClient client(io.get_executor(), config());
    std::optional<CaResult> result;
    asio::co_spawn(
        io, [](CaClient* c, std::optional<CaResult>* out) -> asio::awaitable<void> {
            *out = co_await issue(*c, request_with());
        }(&client, &result),
        asio::detached);
    io.run();  // nothing but the call keeps it busy
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(result->has_value());
}

BOOST_AUTO_TEST_CASE(empty_root_bundle_or_address_is_a_config_error) {
    asio::io_context io;
    CaClientConfig cfg{.address = "127.0.0.1:15012", .tls_server_name = istiod_name, .root_pem = "", .cluster_id = ""};
    try {
        CaClient client(io.get_executor(), cfg);
        BOOST_FAIL("an empty root bundle was accepted");
    } catch (gic::ConfigError const& e) {
        BOOST_TEST(contains(e.what(), "--root-cert-path"), e.what());
    }
    cfg.root_pem = make_root("r").cert().to_pem();
    cfg.address.clear();
    try {
        CaClient client(io.get_executor(), cfg);
        BOOST_FAIL("an empty address was accepted");
    } catch (gic::ConfigError const& e) {
        BOOST_TEST(contains(e.what(), "--ca-address"), e.what());
    }
}

BOOST_FIXTURE_TEST_CASE(rebuild_with_an_empty_bundle_throws_and_keeps_the_old_channel, TlsFixture) {
    server.set_handler(gic::test::answer_with({"leaf", "root"}));
    CaClient client(io.get_executor(), config());
    BOOST_CHECK_THROW(client.rebuild_channel(""), gic::ConfigError);
    BOOST_TEST(client.config().root_pem == root.cert().to_pem());
    BOOST_TEST(call(client).has_value());
}

BOOST_FIXTURE_TEST_CASE(an_answer_beyond_the_receive_limit_is_refused_as_resource_exhausted, TlsFixture) {
    // A CA (or whatever answers at its address) sending 4 MiB: the channel refuses it at 1 MiB.
    server.set_handler(gic::test::answer_with({std::string(4 * 1024 * 1024, 'c'), "root"}));
    auto result = call(config());
    BOOST_REQUIRE(result.has_error());
    BOOST_TEST(code_of(result) == as_int(StatusCode::RESOURCE_EXHAUSTED), result.error().describe());
    BOOST_TEST(contains(result.error().describe(), "the CA's answer is larger than the 1048576 bytes accepted"),
               result.error().describe());

    // A chain of the usual size still passes on the same kind of channel.
    server.set_handler(gic::test::answer_with({std::string(16 * 1024, 'c'), "root"}));
    io.restart();
    auto usual = call(config());
    BOOST_TEST(usual.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
