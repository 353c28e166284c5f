// istiod-emulator against the real kube-apiserver-emulator: CreateCertificate over TLS with the
// service account's tokens, ConfigMap publication seen through kubectl, root rotation and faults
// through the admin endpoint. Binaries come from the environment meson sets (ISTIOD_EMULATOR,
// KUBE_EMULATOR, KUBECTL).
#define BOOST_TEST_MODULE istiod_emulator_integration
#include <boost/test/unit_test.hpp>

#include "ca.grpc.pb.h"
#include "common/http_client.hpp"
#include "common/sandbox.hpp"
#include "common/temp_dir.hpp"
#include "pki/pki.hpp"
#include "request_log.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>
#include <optional>

namespace pki = gic::pki;
namespace json = boost::json;
using gic::test::Sandbox;
using gic::test::SandboxOptions;

namespace {

constexpr char const* kServerName = "istiod.istio-system.svc";

struct CaReply {
    grpc::Status status;
    std::vector<std::string> chain;
    std::string served_cert_pem;  // the server's leaf as the TLS handshake saw it
};

struct CallSpec {
    std::optional<std::string> token;
    std::optional<std::string> clusterid = std::string("Kubernetes");
    std::int64_t ttl = 3600;
    std::string server_name = kServerName;  // empty: no override
};

pki::PrivateKey const& workload_key() {
    static auto const key = pki::PrivateKey::generate(pki::KeyAlgorithm::ecdsa_p256);
    return key;
}

std::string identity() {
    return std::string("spiffe://cluster.local/ns/") + Sandbox::sa_namespace + "/sa/" + Sandbox::sa_name;
}

// A fresh channel per call (local subchannel pool), so a rotated serving certificate or a different
// trust bundle is never hidden by a reused connection.
CaReply create_certificate(Sandbox const& sandbox, std::string const& roots_pem, CallSpec const& spec) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = roots_pem;
    grpc::ChannelArguments args;
    if (!spec.server_name.empty()) args.SetSslTargetNameOverride(spec.server_name);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel = grpc::CreateCustomChannel(sandbox.ca_address(), grpc::SslCredentials(ssl), args);
    auto stub = istio::v1::auth::IstioCertificateService::NewStub(channel);

    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
    if (spec.token) context.AddMetadata("authorization", "Bearer " + *spec.token);
    if (spec.clusterid) context.AddMetadata("clusterid", *spec.clusterid);
    istio::v1::auth::IstioCertificateRequest request;
    request.set_csr(pki::make_csr_pem(workload_key(), identity()).value());
    request.set_validity_duration(spec.ttl);
    (*request.mutable_metadata()->mutable_fields())["CertSigner"].set_string_value("");
    istio::v1::auth::IstioCertificateResponse response;
    CaReply reply;
    reply.status = stub->CreateCertificate(&context, request, &response);
    reply.chain.assign(response.cert_chain().begin(), response.cert_chain().end());
    if (auto auth = context.auth_context()) {
        auto pem = auth->FindPropertyValues("x509_pem_cert");
        if (!pem.empty()) reply.served_cert_pem.assign(pem.front().data(), pem.front().size());
    }
    return reply;
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
    return s;
}

// Trimmed as pilot-agent trims the token file.
std::string istio_token(Sandbox const& s) { return trim(gic::test::read_file(s.sa_dir() + "/istio-token")); }
std::string api_token(Sandbox const& s) { return trim(gic::test::read_file(s.sa_dir() + "/token")); }
std::string root_file(Sandbox const& s) { return gic::test::read_file(s.root_cert()); }

std::vector<pki::Certificate> certs(std::string const& pem) { return pki::parse_pem_bundle(pem).value(); }

pki::Certificate expect_leaf(CaReply const& reply) {
    BOOST_REQUIRE_MESSAGE(reply.status.ok(), "CreateCertificate failed: " << reply.status.error_code() << " "
                                                                          << reply.status.error_message());
    BOOST_REQUIRE_GE(reply.chain.size(), 2u);
    auto leaf = certs(reply.chain.front()).at(0);
    BOOST_TEST(leaf.uri_sans() == std::vector<std::string>{identity()}, boost::test_tools::per_element());
    BOOST_TEST(leaf.matches_key(workload_key()));
    return leaf;
}

std::string configmap_root(Sandbox const& s) {
    auto r = s.kubectl({"get", "configmap", "istio-ca-root-cert", "-n", Sandbox::sa_namespace, "-o",
                        "jsonpath={.data.root-cert\\.pem}"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "kubectl get configmap failed: " << r.err);
    return r.out;
}

json::object admin(Sandbox const& s, std::string const& method, std::string const& path, std::string const& body = {}) {
    auto r = gic::test::http_request(method, s.istiod_admin() + path, body);
    BOOST_REQUIRE_MESSAGE(r.status == 200, method << " " << path << " gave " << r.status << ": " << r.body);
    return json::parse(r.body).as_object();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(istiod_emulator)

BOOST_AUTO_TEST_CASE(istio_token_gets_a_leaf_for_the_service_account) {
    Sandbox s;
    auto reply = create_certificate(s, root_file(s), {.token = istio_token(s)});
    auto leaf = expect_leaf(reply);
    BOOST_REQUIRE_EQUAL(reply.chain.size(), 2u);
    BOOST_TEST(reply.chain[1] == root_file(s));
    BOOST_TEST(pki::verify_chain({leaf}, certs(root_file(s)), std::chrono::system_clock::now()).has_value());

    // The serving certificate: istiod's three names, no IP SAN, signed by the published root.
    auto served = certs(reply.served_cert_pem).at(0);
    auto dns = served.dns_sans();
    std::sort(dns.begin(), dns.end());
    BOOST_TEST(dns == (std::vector<std::string>{"istio-pilot.istio-system.svc", "istiod-remote.istio-system.svc",
                                                "istiod.istio-system.svc"}),
               boost::test_tools::per_element());
    BOOST_TEST(served.ip_sans().empty());
    BOOST_TEST(pki::verify_chain({served}, certs(root_file(s)), std::chrono::system_clock::now()).has_value());
    BOOST_TEST(s.istiod_log().find(istio_token(s)) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(dialling_the_ip_without_the_server_name_override_fails) {
    Sandbox s;
    auto reply = create_certificate(s, root_file(s), {.token = istio_token(s), .server_name = ""});
    BOOST_TEST(reply.status.error_code() == grpc::UNAVAILABLE);
}

BOOST_AUTO_TEST_CASE(api_audience_token_is_unauthenticated) {
    Sandbox s;
    auto reply = create_certificate(s, root_file(s), {.token = api_token(s)});
    BOOST_TEST(reply.status.error_code() == grpc::UNAUTHENTICATED);
    BOOST_TEST(reply.status.error_message() == "request authenticate failure");
    auto log = s.istiod_log();
    BOOST_TEST(log.find("Authenticator KubeJWTAuthenticator: failed to validate the JWT from cluster \"Kubernetes\"") !=
                   std::string::npos,
               log);
    BOOST_TEST(log.find(api_token(s)) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_token_is_unauthenticated) {
    Sandbox s;
    auto reply = create_certificate(s, root_file(s), {});
    BOOST_TEST(reply.status.error_code() == grpc::UNAUTHENTICATED);
    BOOST_TEST(reply.status.error_message() == "request authenticate failure");
    BOOST_TEST(s.istiod_log().find("no HTTP authorization header exists") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_clusterid_is_unauthenticated) {
    Sandbox s;
    auto reply = create_certificate(s, root_file(s), {.token = istio_token(s), .clusterid = "cluster-b"});
    BOOST_TEST(reply.status.error_code() == grpc::UNAUTHENTICATED);
    BOOST_TEST(reply.status.error_message() == "request authenticate failure");
    BOOST_TEST(s.istiod_log().find("client claims to be in cluster \"cluster-b\", but we only know about local cluster "
                                   "\"Kubernetes\" and remote clusters []") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(ttl_above_the_max_is_invalid_argument) {
    Sandbox s;
    auto reply = create_certificate(s, root_file(s), {.token = istio_token(s), .ttl = 87600LL * 3600});
    BOOST_TEST(reply.status.error_code() == grpc::INVALID_ARGUMENT);
    BOOST_TEST(reply.status.error_message() ==
               "CSR signing error (requested TTL 87600h0m0s is greater than the max allowed TTL 2160h0m0s)");
}

BOOST_AUTO_TEST_CASE(plugged_chain_is_leaf_intermediate_root_root) {
    Sandbox s(SandboxOptions{.chain = "plugged"});
    auto reply = create_certificate(s, root_file(s), {.token = istio_token(s)});
    auto leaf = expect_leaf(reply);
    BOOST_REQUIRE_EQUAL(reply.chain.size(), 4u);
    BOOST_TEST(reply.chain[2] == reply.chain[3]);
    BOOST_TEST(reply.chain[3] == root_file(s));
    auto inter = certs(reply.chain[1]).at(0);
    BOOST_TEST(!inter.is_self_signed());
    BOOST_TEST(pki::verify_chain({leaf, inter}, certs(root_file(s)), std::chrono::system_clock::now()).has_value());
    auto served = certs(reply.served_cert_pem).at(0);
    BOOST_TEST(served.issuer() == inter.subject());
}

BOOST_AUTO_TEST_CASE(root_configmap_is_published) {
    Sandbox s;
    BOOST_TEST(trim(configmap_root(s)) == trim(root_file(s)));
}

BOOST_AUTO_TEST_CASE(root_rotation_add_switch_drop_old) {
    Sandbox s;
    auto old_roots = certs(root_file(s));
    BOOST_REQUIRE_EQUAL(old_roots.size(), 1u);
    auto now = [] { return std::chrono::system_clock::now(); };

    auto added = admin(s, "POST", "/rotate-root", R"({"step": "add"})");
    auto bundle = certs(root_file(s));
    BOOST_REQUIRE_EQUAL(bundle.size(), 2u);
    BOOST_TEST(bundle[0].fingerprint_sha256() == old_roots[0].fingerprint_sha256());
    BOOST_TEST(trim(configmap_root(s)) == trim(root_file(s)));
    auto reply = create_certificate(s, root_file(s), {.token = istio_token(s)});
    auto leaf = expect_leaf(reply);
    BOOST_TEST(reply.chain.back() == root_file(s));
    BOOST_TEST(pki::verify_chain({leaf}, {bundle[0]}, now()).has_value());   // still signed by the old root
    BOOST_TEST(!pki::verify_chain({leaf}, {bundle[1]}, now()).has_value());

    admin(s, "POST", "/rotate-root", R"({"step": "switch"})");
    reply = create_certificate(s, root_file(s), {.token = istio_token(s)});
    leaf = expect_leaf(reply);
    BOOST_TEST(pki::verify_chain({leaf}, {bundle[1]}, now()).has_value());
    auto served = certs(reply.served_cert_pem).at(0);
    BOOST_TEST(pki::verify_chain({served}, {bundle[1]}, now()).has_value());  // serving cert re-issued
    // A client that still trusts only the old root cannot connect any more.
    auto stale = create_certificate(s, old_roots[0].to_pem(), {.token = istio_token(s)});
    BOOST_TEST(stale.status.error_code() == grpc::UNAVAILABLE);

    admin(s, "POST", "/rotate-root", R"({"step": "drop-old"})");
    auto final_roots = certs(root_file(s));
    BOOST_REQUIRE_EQUAL(final_roots.size(), 1u);
    BOOST_TEST(final_roots[0].fingerprint_sha256() == bundle[1].fingerprint_sha256());
    BOOST_TEST(trim(configmap_root(s)) == trim(root_file(s)));
    reply = create_certificate(s, root_file(s), {.token = istio_token(s)});
    expect_leaf(reply);
    BOOST_TEST(reply.chain.back() == root_file(s));

    auto r = gic::test::http_request("POST", s.istiod_admin() + "/rotate-root", R"({"step": "drop-old"})");
    BOOST_TEST(r.status == 409);
}

BOOST_AUTO_TEST_CASE(faults_and_request_log_through_the_admin_endpoint) {
    Sandbox s;
    auto token = istio_token(s);
    s.istiod_fault(R"({"code": "UNAVAILABLE", "message": "injected outage", "count": 1})");
    auto reply = create_certificate(s, root_file(s), {.token = token});
    BOOST_TEST(reply.status.error_code() == grpc::UNAVAILABLE);
    BOOST_TEST(reply.status.error_message() == "injected outage");
    expect_leaf(create_certificate(s, root_file(s), {.token = token}));

    s.istiod_fault(R"({"mode": "wrong-key", "count": 1})");
    reply = create_certificate(s, root_file(s), {.token = token});
    BOOST_REQUIRE(reply.status.ok());
    BOOST_TEST(!certs(reply.chain.front()).at(0).matches_key(workload_key()));

    s.istiod_fault(R"({"mode": "short-chain"})");
    BOOST_TEST(create_certificate(s, root_file(s), {.token = token}).chain.size() == 1u);
    s.clear_istiod_faults();
    expect_leaf(create_certificate(s, root_file(s), {.token = token}));

    auto r = gic::test::http_request("POST", s.istiod_admin() + "/faults", R"({"mode": "sideways"})");
    BOOST_TEST(r.status == 400);

    auto requests = admin(s, "GET", "/requests").at("requests").as_array();
    BOOST_REQUIRE_EQUAL(requests.size(), 5u);
    auto const& first = requests[0].as_object();
    BOOST_TEST(first.at("code").as_int64() == 14);
    BOOST_TEST(first.at("fault").as_string() == "code=UNAVAILABLE");
    auto const& second = requests[1].as_object();
    BOOST_TEST(second.at("identity").as_string() == identity());
    BOOST_TEST(second.at("clusterid").as_string() == "Kubernetes");
    BOOST_TEST(second.at("requestedTtlSeconds").as_int64() == 3600);
    BOOST_TEST(second.at("tokenSha256").as_string() == gic::emu::istiod::token_fingerprint(token));
    BOOST_TEST(json::serialize(requests).find(token) == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
