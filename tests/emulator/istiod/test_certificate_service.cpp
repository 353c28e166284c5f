// Unit tests of istiod-emulator's service logic with a fake TokenReviewer: every status code and
// message of the protocol doc (sections 4 and 8), TTL rules, chain shapes, root rotation, faults,
// the request log and the admin routing.
#define BOOST_TEST_MODULE istiod_emulator_service
#include <boost/test/unit_test.hpp>

#include "admin_server.hpp"
#include "authenticator.hpp"
#include "ca_state.hpp"
#include "certificate_service.hpp"
#include "faults.hpp"
#include "options.hpp"
#include "request_log.hpp"
#include "status_codes.hpp"
#include "common/reused_keys.hpp"
#include "pki/pki.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/x509.h>

#include <map>
#include <optional>

using namespace gic::emu::istiod;
namespace pki = gic::pki;
namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::hours;
using std::chrono::seconds;

namespace {

constexpr char const* kGoodToken = "header.payload-good.signature";
constexpr char const* kIdentity = "spiffe://cluster.local/ns/ns1/sa/sa1";

TokenReviewResult service_account_review(std::string const& ns, std::string const& sa) {
    TokenReviewResult r;
    r.authenticated = true;
    r.username = "system:serviceaccount:" + ns + ":" + sa;
    r.groups = {"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"};
    return r;
}

class FakeReviewer : public TokenReviewer {
public:
    std::map<std::string, TokenReviewResult> results;
    std::vector<std::pair<std::string, std::vector<std::string>>> calls;

    void review(std::string token, std::vector<std::string> audiences,
                std::function<void(TokenReviewResult)> done) override {
        calls.emplace_back(token, audiences);
        auto it = results.find(token);
        if (it != results.end()) return done(it->second);
        TokenReviewResult unknown;
        unknown.error = "[invalid bearer token, square/go-jose: error in cryptographic primitive]";
        done(unknown);
    }
};

pki::PrivateKey const& workload_key() {
    static auto const key = pki::PrivateKey::generate(pki::KeyAlgorithm::ecdsa_p256);
    return key;
}

// The CSR names another identity on purpose: istiod ignores the CSR's SANs.
std::string const& workload_csr() {
    static auto const csr = pki::make_csr_pem(workload_key(), "spiffe://cluster.local/ns/other/sa/other").value();
    return csr;
}

std::vector<pki::Certificate> certs(std::string const& pem) { return pki::parse_pem_bundle(pem).value(); }

struct ServiceFixture {
    explicit ServiceFixture(ChainKind kind = ChainKind::self, seconds ca_ttl = hours(87600), ServiceConfig config = {})
        : ca(kind, "cluster.local", ca_ttl, gic::test::ReusedKeySequence(pki::KeyAlgorithm::rsa2048)),
          service(std::move(config), ca, reviewer, faults, requests, io.get_executor(),
                  [this](std::string const& line) { log.push_back(line); }) {
        reviewer.results[kGoodToken] = service_account_review("ns1", "sa1");
    }

    CallInput input(std::int64_t ttl = 0) const {
        CallInput in;
        in.peer = "ipv4:127.0.0.1:40000";
        in.authorization = {std::string("Bearer ") + kGoodToken};
        in.clusterid = {"Kubernetes"};
        in.csr_pem = workload_csr();
        in.validity_seconds = ttl;
        return in;
    }

    CallOutcome call(CallInput in) {
        std::optional<CallOutcome> out;
        service.create_certificate(std::move(in), [&out](CallOutcome o) { out = std::move(o); });
        io.restart();
        io.run();
        BOOST_REQUIRE_MESSAGE(out, "CreateCertificate did not complete");
        return *out;
    }

    bool logged(std::string const& text) const {
        for (auto const& line : log)
            if (line.find(text) != std::string::npos) return true;
        return false;
    }

    void expect_unauthenticated(CallOutcome const& out, std::string const& logged_reason) {
        BOOST_TEST(out.code == grpc::UNAUTHENTICATED);
        BOOST_TEST(out.message == "request authenticate failure");
        BOOST_TEST(out.cert_chain.empty());
        std::string line =
            "Failed to authenticate client from ipv4:127.0.0.1:40000: Authenticator KubeJWTAuthenticator: " + logged_reason;
        BOOST_TEST(logged(line), "expected log line: " << line);
    }

    asio::io_context io;
    CaState ca;
    FakeReviewer reviewer;
    FaultInjector faults;
    RequestLog requests;
    std::vector<std::string> log;
    CertificateService service;
};

// The leaf of an OK outcome, checked for identity and key.
pki::Certificate expect_leaf(CallOutcome const& out, std::string const& identity = kIdentity) {
    BOOST_REQUIRE_MESSAGE(out.code == grpc::OK, "status " << status_code_name(out.code) << ": " << out.message);
    BOOST_REQUIRE_GE(out.cert_chain.size(), 2u);
    auto leaf = certs(out.cert_chain.front());
    BOOST_REQUIRE_EQUAL(leaf.size(), 1u);
    BOOST_TEST(leaf[0].uri_sans() == std::vector<std::string>{identity}, boost::test_tools::per_element());
    BOOST_TEST(leaf[0].matches_key(workload_key()));
    return leaf[0];
}

std::string pem_wrap(std::string const& label, std::string const& der) {
    std::string b64 = gic::util::base64_encode(der), out = "-----BEGIN " + label + "-----\n";
    for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
    return out + "-----END " + label + "-----\n";
}

std::string pem_body_der(std::string const& pem) {
    auto begin = pem.find('\n') + 1;
    auto end = pem.find("-----END");
    std::string b64;
    for (char c : pem.substr(begin, end - begin))
        if (c != '\n') b64 += c;
    return gic::util::base64_decode(b64).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(create_certificate)

BOOST_AUTO_TEST_CASE(self_signed_ca_answers_leaf_and_root_for_the_reviewed_identity) {
    ServiceFixture f;
    auto out = f.call(f.input(3600));
    auto leaf = expect_leaf(out);
    auto snapshot = f.ca.snapshot();
    BOOST_REQUIRE_EQUAL(out.cert_chain.size(), 2u);
    BOOST_TEST(out.cert_chain[1] == snapshot->root_bundle);
    for (auto const& element : out.cert_chain) BOOST_TEST(element.back() == '\n');
    auto roots = certs(out.cert_chain[1]);
    BOOST_TEST(pki::verify_chain({leaf}, roots, std::chrono::system_clock::now()).has_value());
    BOOST_TEST(leaf.subject() == "");
    BOOST_REQUIRE_EQUAL(f.reviewer.calls.size(), 1u);
    BOOST_TEST(f.reviewer.calls[0].first == kGoodToken);  // "Bearer " removed
    BOOST_TEST(f.reviewer.calls[0].second == std::vector<std::string>{"istio-ca"}, boost::test_tools::per_element());
    BOOST_TEST(f.logged("identity=spiffe://cluster.local/ns/ns1/sa/sa1"));
    BOOST_TEST(f.logged("code=OK"));
}

BOOST_AUTO_TEST_CASE(plugged_ca_answers_leaf_intermediate_root_root) {
    ServiceFixture f(ChainKind::plugged);
    auto out = f.call(f.input(3600));
    auto leaf = expect_leaf(out);
    BOOST_REQUIRE_EQUAL(out.cert_chain.size(), 4u);
    auto snapshot = f.ca.snapshot();
    auto inter = certs(out.cert_chain[1]);
    auto root = certs(out.cert_chain[2]);
    BOOST_REQUIRE_EQUAL(inter.size(), 1u);
    BOOST_REQUIRE_EQUAL(root.size(), 1u);
    BOOST_TEST(inter[0].is_ca());
    BOOST_TEST(!inter[0].is_self_signed());
    BOOST_TEST(root[0].is_self_signed());
    BOOST_TEST(out.cert_chain[2] == out.cert_chain[3]);
    BOOST_TEST(out.cert_chain[3] == snapshot->root_bundle);
    BOOST_TEST(leaf.issuer() == inter[0].subject());
    for (auto const& element : out.cert_chain) BOOST_TEST(element.back() == '\n');
    BOOST_TEST(pki::verify_chain({leaf, inter[0]}, root, std::chrono::system_clock::now()).has_value());
}

BOOST_AUTO_TEST_CASE(missing_authorization_header_is_unauthenticated) {
    ServiceFixture f;
    auto in = f.input();
    in.authorization.clear();
    f.expect_unauthenticated(f.call(in), "target JWT extraction error: no HTTP authorization header exists");
    BOOST_TEST(f.reviewer.calls.empty());
}

BOOST_AUTO_TEST_CASE(authorization_without_exact_bearer_prefix_is_unauthenticated) {
    for (std::string value : {"bearer x.y.z", "Basic dXNlcjpwYXNz", "Bearerx.y.z", "x.y.z"}) {
        ServiceFixture f;
        auto in = f.input();
        in.authorization = {value};
        f.expect_unauthenticated(f.call(in),
                                 "target JWT extraction error: no bearer token exists in HTTP authorization header");
        BOOST_TEST(f.reviewer.calls.empty());
    }
}

BOOST_AUTO_TEST_CASE(any_authorization_value_with_the_bearer_prefix_is_used) {
    ServiceFixture f;
    auto in = f.input();
    in.authorization = {"Basic dXNlcjpwYXNz", std::string("Bearer ") + kGoodToken};
    expect_leaf(f.call(in));
}

BOOST_AUTO_TEST_CASE(clusterid_absent_empty_or_local_selects_the_local_cluster) {
    std::vector<std::vector<std::string>> headers{{}, {""}, {"Kubernetes"}, {"remote-1", "remote-2"}};
    for (auto const& values : headers) {
        ServiceFixture f;
        auto in = f.input();
        in.clusterid = values;
        expect_leaf(f.call(in));
    }
}

BOOST_AUTO_TEST_CASE(unknown_clusterid_is_unauthenticated_with_istiod_message) {
    ServiceFixture f;
    auto in = f.input();
    in.clusterid = {"cluster-b"};
    f.expect_unauthenticated(f.call(in), "client claims to be in cluster \"cluster-b\", but we only know about local "
                                         "cluster \"Kubernetes\" and remote clusters []");
    BOOST_TEST(f.reviewer.calls.empty());
}

BOOST_AUTO_TEST_CASE(cluster_id_flag_changes_the_local_cluster) {
    ServiceConfig config;
    config.cluster_id = "east";
    ServiceFixture f(ChainKind::self, hours(87600), config);
    auto in = f.input();
    in.clusterid = {"east"};
    expect_leaf(f.call(in));
    in.clusterid = {"Kubernetes"};
    f.expect_unauthenticated(f.call(in), "client claims to be in cluster \"Kubernetes\", but we only know about local "
                                         "cluster \"east\" and remote clusters []");
}

BOOST_AUTO_TEST_CASE(token_review_failures_are_unauthenticated_with_the_reason_logged) {
    struct Case {
        TokenReviewResult review;
        std::string reason;
    };
    TokenReviewResult audience;
    audience.error = "[invalid bearer token, token audiences [\"https://kubernetes.default.svc\"] is invalid for the "
                     "target audiences [\"istio-ca\"]]";
    TokenReviewResult not_authenticated;
    TokenReviewResult not_sa = service_account_review("ns1", "sa1");
    not_sa.groups = {"system:authenticated"};
    TokenReviewResult bad_username = service_account_review("ns1", "sa1");
    bad_username.username = "alice";
    TokenReviewResult api_failure;
    api_failure.api_error = "unauthorized by https://127.0.0.1:6443";
    TokenReviewResult no_sa = service_account_review("ns1", "");
    TokenReviewResult no_ns = service_account_review("", "sa1");
    std::string const prefix = "failed to validate the JWT from cluster \"Kubernetes\": ";
    std::vector<Case> cases{
        {audience, prefix + "the service account authentication returns an error: " + audience.error},
        {not_authenticated, prefix + "the token is not authenticated"},
        {not_sa, prefix + "the token is not a service account"},
        {bad_username, prefix + "invalid username field in the token review result"},
        {api_failure, prefix + "unauthorized by https://127.0.0.1:6443"},
        {no_sa, "failed to parse the JWT; service account required"},
        {no_ns, "failed to parse the JWT; namespace required"},
    };
    for (auto const& c : cases) {
        ServiceFixture f;
        f.reviewer.results[kGoodToken] = c.review;
        f.expect_unauthenticated(f.call(f.input()), c.reason);
        auto records = f.requests.records();
        BOOST_REQUIRE_EQUAL(records.size(), 1u);
        BOOST_TEST(records[0].auth_error == c.reason);
        BOOST_TEST(records[0].identity.empty());
    }
}

BOOST_AUTO_TEST_CASE(token_audiences_flag_is_sent_in_the_review) {
    ServiceConfig config;
    config.token_audiences = {"istio-ca", "custom"};
    ServiceFixture f(ChainKind::self, hours(87600), config);
    expect_leaf(f.call(f.input()));
    BOOST_REQUIRE_EQUAL(f.reviewer.calls.size(), 1u);
    BOOST_TEST(f.reviewer.calls[0].second == config.token_audiences, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(trust_domain_flag_shapes_the_identity) {
    ServiceConfig config;
    config.trust_domain = "example.org";
    ServiceFixture f(ChainKind::self, hours(87600), config);
    f.reviewer.results[kGoodToken] = service_account_review("team-a", "builder");
    expect_leaf(f.call(f.input()), "spiffe://example.org/ns/team-a/sa/builder");
}

BOOST_AUTO_TEST_CASE(impersonated_identity_is_refused) {
    ServiceFixture f;
    auto in = f.input();
    in.impersonated_identity = "spiffe://cluster.local/ns/ns2/sa/other";
    auto out = f.call(in);
    BOOST_TEST(out.code == grpc::UNAUTHENTICATED);
    BOOST_TEST(out.message == "request impersonation authentication failure");
    BOOST_TEST(out.cert_chain.empty());
}

BOOST_AUTO_TEST_CASE(cert_signer_metadata_does_not_change_the_answer) {
    ServiceFixture f;
    auto in = f.input();
    in.cert_signer = "";
    expect_leaf(f.call(in));
}

BOOST_AUTO_TEST_CASE(csr_that_is_not_pem_is_invalid_argument) {
    ServiceFixture f;
    auto in = f.input();
    in.csr_pem = "not a pem";
    auto out = f.call(in);
    BOOST_TEST(out.code == grpc::INVALID_ARGUMENT);
    BOOST_TEST(out.message == "CSR signing error (certificate signing request is not properly encoded)");
}

BOOST_AUTO_TEST_CASE(csr_that_does_not_parse_is_invalid_argument) {
    ServiceFixture f;
    auto in = f.input();
    in.csr_pem = pem_wrap("CERTIFICATE REQUEST", "\x30\x03\x02\x01\x01");
    auto out = f.call(in);
    BOOST_TEST(out.code == grpc::INVALID_ARGUMENT);
    BOOST_TEST(out.message == "CSR signing error (failed to parse X.509 certificate signing request)");
}

BOOST_AUTO_TEST_CASE(csr_with_a_bad_signature_is_invalid_argument) {
    ServiceFixture f;
    auto der = pem_body_der(workload_csr());
    der[der.size() - 2] = static_cast<char>(der[der.size() - 2] ^ 0x5a);  // inside the ECDSA signature's s
    auto in = f.input();
    in.csr_pem = pem_wrap("CERTIFICATE REQUEST", der);
    auto out = f.call(in);
    BOOST_TEST(out.code == grpc::INVALID_ARGUMENT);
    BOOST_TEST(out.message == "CSR signing error (failed to check CSR signature)");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ttl)

BOOST_AUTO_TEST_CASE(zero_or_negative_validity_uses_the_default_ttl) {
    for (std::int64_t requested : {0LL, -5LL}) {
        ServiceFixture f;
        auto leaf = expect_leaf(f.call(f.input(requested)));
        // notBefore is backdated by two minutes (clock-skew grace).
        BOOST_TEST(std::chrono::duration_cast<seconds>(leaf.not_after() - leaf.not_before()).count() ==
                   (hours(24) + std::chrono::minutes(2)) / seconds(1));
    }
}

BOOST_AUTO_TEST_CASE(default_ttl_flag_is_used) {
    ServiceConfig config;
    config.default_ttl = hours(2);
    ServiceFixture f(ChainKind::self, hours(87600), config);
    auto leaf = expect_leaf(f.call(f.input(0)));
    BOOST_TEST(std::chrono::duration_cast<seconds>(leaf.not_after() - leaf.not_before()).count() ==
               (hours(2) + std::chrono::minutes(2)) / seconds(1));
}

BOOST_AUTO_TEST_CASE(requested_ttl_is_honoured_up_to_the_max) {
    for (std::int64_t requested : {3600LL, 2160LL * 3600}) {
        ServiceFixture f;
        auto leaf = expect_leaf(f.call(f.input(requested)));
        BOOST_TEST(std::chrono::duration_cast<seconds>(leaf.not_after() - leaf.not_before()).count() == requested + 120);
    }
}

BOOST_AUTO_TEST_CASE(ttl_above_the_max_is_invalid_argument_with_go_durations) {
    ServiceFixture f;
    auto out = f.call(f.input(87600LL * 3600));
    BOOST_TEST(out.code == grpc::INVALID_ARGUMENT);
    BOOST_TEST(out.message == "CSR signing error (requested TTL 87600h0m0s is greater than the max allowed TTL 2160h0m0s)");
    auto off_by_one = f.call(f.input(2160LL * 3600 + 1));
    BOOST_TEST(off_by_one.message ==
               "CSR signing error (requested TTL 2160h0m1s is greater than the max allowed TTL 2160h0m0s)");
}

BOOST_AUTO_TEST_CASE(max_ttl_flag_is_used_in_the_message) {
    ServiceConfig config;
    config.max_ttl = std::chrono::minutes(90);
    ServiceFixture f(ChainKind::self, hours(87600), config);
    auto out = f.call(f.input(5400 + 30));
    BOOST_TEST(out.code == grpc::INVALID_ARGUMENT);
    BOOST_TEST(out.message == "CSR signing error (requested TTL 1h30m30s is greater than the max allowed TTL 1h30m0s)");
}

BOOST_AUTO_TEST_CASE(bad_csr_is_reported_before_a_bad_ttl) {
    ServiceFixture f;
    auto in = f.input(87600LL * 3600);
    in.csr_pem = "garbage";
    auto out = f.call(in);
    BOOST_TEST(out.message == "CSR signing error (certificate signing request is not properly encoded)");
}

BOOST_AUTO_TEST_CASE(not_after_is_clamped_to_the_signing_certificate) {
    for (auto kind : {ChainKind::self, ChainKind::plugged}) {
        ServiceFixture f(kind, hours(1));
        auto leaf = expect_leaf(f.call(f.input(24 * 3600)));
        auto signer = f.ca.snapshot()->active->signer().cert();
        BOOST_TEST((leaf.not_after() == signer.not_after()));
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(root_rotation)

BOOST_AUTO_TEST_CASE(add_switch_drop_old_for_a_self_signed_ca) {
    ServiceFixture f;
    auto old_root = f.ca.snapshot()->active->root.cert();

    BOOST_TEST_REQUIRE(f.ca.rotate(RotationStep::add).has_value());
    auto s = f.ca.snapshot();
    BOOST_REQUIRE_EQUAL(s->published.size(), 2u);
    auto new_root = s->published.back()->root.cert();
    BOOST_TEST(certs(s->root_bundle).size() == 2u);
    auto out = f.call(f.input());
    auto leaf = expect_leaf(out);
    BOOST_TEST(out.cert_chain.back() == s->root_bundle);
    BOOST_TEST(pki::verify_chain({leaf}, {old_root}, std::chrono::system_clock::now()).has_value());
    BOOST_TEST(!pki::verify_chain({leaf}, {new_root}, std::chrono::system_clock::now()).has_value());

    BOOST_TEST_REQUIRE(f.ca.rotate(RotationStep::switch_to_new).has_value());
    leaf = expect_leaf(f.call(f.input()));
    BOOST_TEST(pki::verify_chain({leaf}, {new_root}, std::chrono::system_clock::now()).has_value());
    BOOST_TEST(certs(f.ca.snapshot()->root_bundle).size() == 2u);

    BOOST_TEST_REQUIRE(f.ca.rotate(RotationStep::drop_old).has_value());
    out = f.call(f.input());
    auto bundle = certs(out.cert_chain.back());
    BOOST_REQUIRE_EQUAL(bundle.size(), 1u);
    BOOST_TEST(bundle[0].fingerprint_sha256() == new_root.fingerprint_sha256());
}

BOOST_AUTO_TEST_CASE(switch_gives_the_new_intermediate_for_a_plugged_ca) {
    ServiceFixture f(ChainKind::plugged);
    BOOST_TEST_REQUIRE(f.ca.rotate(RotationStep::add).has_value());
    BOOST_TEST_REQUIRE(f.ca.rotate(RotationStep::switch_to_new).has_value());
    auto s = f.ca.snapshot();
    auto out = f.call(f.input());
    auto leaf = expect_leaf(out);
    BOOST_REQUIRE_EQUAL(out.cert_chain.size(), 4u);
    BOOST_TEST(out.cert_chain[1] == s->active->intermediate->cert().to_pem());
    BOOST_TEST(out.cert_chain[2] == s->active->root.cert().to_pem());
    BOOST_TEST(out.cert_chain[3] == s->root_bundle);
    BOOST_TEST(certs(out.cert_chain[3]).size() == 2u);
    BOOST_TEST(pki::verify_chain({leaf, certs(out.cert_chain[1])[0]}, certs(out.cert_chain[3]),
                                 std::chrono::system_clock::now())
                   .has_value());
}

BOOST_AUTO_TEST_CASE(steps_out_of_order_are_refused) {
    ServiceFixture f;
    auto r = f.ca.rotate(RotationStep::switch_to_new);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().message == "rotate-root switch: the newest published root already signs (run step add first)");
    r = f.ca.rotate(RotationStep::drop_old);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().message == "rotate-root drop-old: only one root is published");
    BOOST_TEST_REQUIRE(f.ca.rotate(RotationStep::add).has_value());
    r = f.ca.rotate(RotationStep::drop_old);
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().message == "rotate-root drop-old: the newest root does not sign yet (run step switch first)");
}

BOOST_AUTO_TEST_CASE(serving_certificate_has_exactly_istiod_names_and_chains_to_the_active_root) {
    for (auto kind : {ChainKind::self, ChainKind::plugged}) {
        CaState ca(kind, "cluster.local", hours(87600), gic::test::ReusedKeySequence(pki::KeyAlgorithm::rsa2048));
        auto s = ca.snapshot();
        auto serving = ca.issue_serving_cert(s);
        auto dns = serving.cert.dns_sans();
        std::sort(dns.begin(), dns.end());
        std::vector<std::string> expected{"istio-pilot.istio-system.svc", "istiod-remote.istio-system.svc",
                                          "istiod.istio-system.svc"};
        BOOST_TEST(dns == expected, boost::test_tools::per_element());
        BOOST_TEST(serving.cert.ip_sans().empty());
        BOOST_TEST(serving.cert.matches_key(serving.key));
        auto chain = certs(CaState::serving_chain_pem(serving, *s->active));
        BOOST_TEST(chain.size() == (kind == ChainKind::self ? 2u : 3u));
        BOOST_TEST(chain.back().is_self_signed());
        chain.pop_back();
        BOOST_TEST(pki::verify_chain(chain, certs(s->root_bundle), std::chrono::system_clock::now()).has_value());
    }
}

BOOST_AUTO_TEST_CASE(rotation_step_names) {
    BOOST_TEST((parse_rotation_step("add") == RotationStep::add));
    BOOST_TEST((parse_rotation_step("switch") == RotationStep::switch_to_new));
    BOOST_TEST((parse_rotation_step("drop-old") == RotationStep::drop_old));
    BOOST_TEST(!parse_rotation_step("drop_old"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(status_fault_is_returned_count_times_before_authentication) {
    ServiceFixture f;
    f.faults.add(parse_fault_json(R"({"code": "UNAVAILABLE", "message": "istiod is restarting", "count": 2})").value());
    for (int i = 0; i < 2; ++i) {
        auto out = f.call(f.input());
        BOOST_TEST(out.code == grpc::UNAVAILABLE);
        BOOST_TEST(out.message == "istiod is restarting");
    }
    BOOST_TEST(f.reviewer.calls.empty());
    expect_leaf(f.call(f.input()));
    BOOST_TEST(f.requests.records()[0].fault == "code=UNAVAILABLE");
}

BOOST_AUTO_TEST_CASE(fault_without_count_lasts_until_cleared) {
    ServiceFixture f;
    f.faults.add(parse_fault_json(R"({"code": 13})").value());
    for (int i = 0; i < 3; ++i) {
        auto out = f.call(f.input());
        BOOST_TEST(out.code == grpc::INTERNAL);
        BOOST_TEST(out.message == "injected fault");
    }
    f.faults.clear();
    expect_leaf(f.call(f.input()));
}

BOOST_AUTO_TEST_CASE(faults_are_consumed_in_order) {
    ServiceFixture f;
    f.faults.add(parse_fault_json(R"({"code": "RESOURCE_EXHAUSTED", "count": 1})").value());
    f.faults.add(parse_fault_json(R"({"mode": "short-chain", "count": 1})").value());
    BOOST_TEST(f.call(f.input()).code == grpc::RESOURCE_EXHAUSTED);
    BOOST_TEST(f.call(f.input()).cert_chain.size() == 1u);
    BOOST_TEST(f.call(f.input()).cert_chain.size() == 2u);
}

BOOST_AUTO_TEST_CASE(delayed_answer_still_completes) {
    ServiceFixture f;
    f.faults.add(parse_fault_json(R"({"delayMs": 50, "count": 1})").value());
    expect_leaf(f.call(f.input()));
    BOOST_TEST(f.requests.records()[0].fault == "delayMs=50");
}

BOOST_AUTO_TEST_CASE(wrong_identity_mode) {
    ServiceFixture f;
    f.faults.add(parse_fault_json(R"({"mode": "wrong-identity", "count": 1})").value());
    auto out = f.call(f.input());
    BOOST_REQUIRE(out.code == grpc::OK);
    auto leaf = certs(out.cert_chain[0])[0];
    BOOST_TEST(leaf.uri_sans() != std::vector<std::string>{kIdentity});
    BOOST_TEST(leaf.matches_key(workload_key()));
    BOOST_TEST(pki::verify_chain({leaf}, certs(out.cert_chain.back()), std::chrono::system_clock::now()).has_value());
}

BOOST_AUTO_TEST_CASE(wrong_key_mode) {
    ServiceFixture f;
    f.faults.add(parse_fault_json(R"({"mode": "wrong-key", "count": 1})").value());
    auto out = f.call(f.input());
    BOOST_REQUIRE(out.code == grpc::OK);
    auto leaf = certs(out.cert_chain[0])[0];
    BOOST_TEST(leaf.uri_sans() == std::vector<std::string>{kIdentity}, boost::test_tools::per_element());
    BOOST_TEST(!leaf.matches_key(workload_key()));
}

BOOST_AUTO_TEST_CASE(expired_mode) {
    for (auto kind : {ChainKind::self, ChainKind::plugged}) {
        ServiceFixture f(kind);
        f.faults.add(parse_fault_json(R"({"mode": "expired", "count": 1})").value());
        auto out = f.call(f.input());
        BOOST_REQUIRE(out.code == grpc::OK);
        auto leaf = certs(out.cert_chain[0])[0];
        auto now = std::chrono::system_clock::now();
        BOOST_TEST((leaf.not_after() < now));
        BOOST_TEST(leaf.matches_key(workload_key()));
        std::vector<pki::Certificate> chain{leaf};
        if (kind == ChainKind::plugged) chain.push_back(certs(out.cert_chain[1])[0]);
        auto roots = certs(out.cert_chain.back());
        auto verified_now = pki::verify_chain(chain, roots, now);
        BOOST_REQUIRE(!verified_now.has_value());
        BOOST_TEST(verified_now.error().message.find("expired") != std::string::npos, verified_now.error().message);
        // Still signed by the CA that signs good leaves (only the dates are wrong).
        auto const& issuer = f.ca.snapshot()->active->signer().cert();
        BOOST_TEST(X509_verify(leaf.get(), X509_get0_pubkey(issuer.get())) == 1);
    }
}

BOOST_AUTO_TEST_CASE(short_chain_mode) {
    ServiceFixture f(ChainKind::plugged);
    f.faults.add(parse_fault_json(R"({"mode": "short-chain", "count": 1})").value());
    auto out = f.call(f.input());
    BOOST_REQUIRE(out.code == grpc::OK);
    BOOST_REQUIRE_EQUAL(out.cert_chain.size(), 1u);
    BOOST_TEST(!pki::split_ca_response(out.cert_chain).has_value());
}

BOOST_AUTO_TEST_CASE(untrusted_chain_mode) {
    ServiceFixture f;
    f.faults.add(parse_fault_json(R"({"mode": "untrusted-chain", "count": 1})").value());
    auto out = f.call(f.input());
    BOOST_REQUIRE(out.code == grpc::OK);
    BOOST_REQUIRE_EQUAL(out.cert_chain.size(), 2u);
    auto leaf = certs(out.cert_chain[0])[0];
    auto now = std::chrono::system_clock::now();
    BOOST_TEST(leaf.uri_sans() == std::vector<std::string>{kIdentity}, boost::test_tools::per_element());
    BOOST_TEST(pki::verify_chain({leaf}, certs(out.cert_chain[1]), now).has_value());
    BOOST_TEST(!pki::verify_chain({leaf}, certs(f.ca.snapshot()->root_bundle), now).has_value());
}

BOOST_AUTO_TEST_CASE(mode_faults_apply_only_after_authentication) {
    ServiceFixture f;
    f.faults.add(parse_fault_json(R"({"mode": "wrong-key", "count": 1})").value());
    auto in = f.input();
    in.authorization.clear();
    BOOST_TEST(f.call(in).code == grpc::UNAUTHENTICATED);
}

BOOST_AUTO_TEST_CASE(bad_fault_bodies_are_rejected_with_the_field_named) {
    std::vector<std::pair<std::string, std::string>> cases{
        {"nope", "fault body is not JSON"},
        {"[1]", "fault body must be a JSON object"},
        {R"({"code": 17})", "fault field \"code\": 17 is not a gRPC status code (0-16)"},
        {R"({"code": "UNAVAILABLE_NOW"})", "fault field \"code\": unknown gRPC status name \"UNAVAILABLE_NOW\""},
        {R"({"code": true})", "fault field \"code\" must be an integer or a status name"},
        {R"({"code": 0})", "fault field \"code\" must not be OK (0): omit it for a delay or a mode"},
        {R"({"code": 14, "count": 0})", "fault field \"count\" must be a positive integer"},
        {R"({"delayMs": -1})", "fault field \"delayMs\" must be an integer between 0 and 600000"},
        {R"({"mode": "slow"})", "fault field \"mode\": unknown mode \"slow\" (expected wrong-identity, wrong-key, "
                                "expired, short-chain or untrusted-chain)"},
        {R"({"code": 14, "mode": "expired"})", "fault fields \"code\" and \"mode\" exclude each other"},
        {R"({"message": "x"})", "fault must set \"code\", \"mode\" or \"delayMs\""},
        {R"({"codes": 14})", "fault field \"codes\" is not known (code, message, count, delayMs, mode)"},
        {R"({"code": 14, "message": 3})", "fault field \"message\" must be a string"},
    };
    for (auto const& [body, message] : cases) {
        auto f = parse_fault_json(body);
        BOOST_TEST_REQUIRE(!f.has_value(), body);
        BOOST_TEST(f.error().message.find(message) == 0, body << " gave: " << f.error().message);
    }
}

BOOST_AUTO_TEST_CASE(status_code_names_in_both_spellings) {
    BOOST_TEST((parse_status_code("UNAVAILABLE") == grpc::UNAVAILABLE));
    BOOST_TEST((parse_status_code("Unavailable") == grpc::UNAVAILABLE));
    BOOST_TEST((parse_status_code("InvalidArgument") == grpc::INVALID_ARGUMENT));
    BOOST_TEST((parse_status_code("invalid_argument") == grpc::INVALID_ARGUMENT));
    BOOST_TEST((parse_status_code("Canceled") == grpc::CANCELLED));
    BOOST_TEST(!parse_status_code("Nope"));
    BOOST_TEST(status_code_name(grpc::UNAUTHENTICATED) == "UNAUTHENTICATED");
    BOOST_TEST(!status_code_from_int(17));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(request_log)

BOOST_AUTO_TEST_CASE(records_calls_without_tokens) {
    ServiceFixture f;
    expect_leaf(f.call(f.input(3600)));
    auto in = f.input();
    in.authorization = {"Bearer other-token"};
    in.clusterid.clear();
    f.call(in);
    auto text = json::serialize(f.requests.to_json());
    BOOST_TEST(text.find(kGoodToken) == std::string::npos);
    BOOST_TEST(text.find("other-token") == std::string::npos);
    for (auto const& line : f.log) {
        BOOST_TEST(line.find(kGoodToken) == std::string::npos, line);
        BOOST_TEST(line.find("other-token") == std::string::npos, line);
    }

    auto records = json::parse(text).as_array();
    BOOST_REQUIRE_EQUAL(records.size(), 2u);
    auto const& ok = records[0].as_object();
    BOOST_TEST(ok.at("identity").as_string() == kIdentity);
    BOOST_TEST(ok.at("clusterid").as_string() == "Kubernetes");
    BOOST_TEST(ok.at("requestedTtlSeconds").as_int64() == 3600);
    BOOST_TEST(ok.at("code").as_int64() == 0);
    BOOST_TEST(ok.at("codeName").as_string() == "OK");
    BOOST_TEST(ok.at("tokenSha256").as_string() == token_fingerprint(kGoodToken));
    BOOST_TEST(ok.at("peer").as_string() == "ipv4:127.0.0.1:40000");
    BOOST_TEST(ok.at("authError").is_null());
    auto const& failed = records[1].as_object();
    BOOST_TEST(failed.at("identity").is_null());
    BOOST_TEST(failed.at("clusterid").is_null());
    BOOST_TEST(failed.at("code").as_int64() == 16);
    BOOST_TEST(failed.at("message").as_string() == "request authenticate failure");
    BOOST_TEST(failed.at("authError").as_string().starts_with("failed to validate the JWT from cluster \"\""));
    BOOST_TEST(failed.at("tokenSha256").as_string() != ok.at("tokenSha256").as_string());
    BOOST_TEST(token_fingerprint("other-token").size() == 16u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(admin_routing)

struct AdminFixture : ServiceFixture {
    AdminFixture()
        : admin(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0),
                AdminHooks{ca, faults, requests, [this](RotationStep step) { return record_step(step); }}) {}

    asio::awaitable<void> record_step(RotationStep step) {
        steps.push_back(step);
        co_return;
    }

    AdminServer::Reply request(std::string method, std::string target, std::string body = {}) {
        std::optional<AdminServer::Reply> reply;
        asio::co_spawn(io, admin.handle(method, target, body), [&reply](std::exception_ptr e, AdminServer::Reply r) {
            if (e) std::rethrow_exception(e);
            reply = std::move(r);
        });
        io.restart();
        io.run();
        BOOST_REQUIRE(reply);
        return *reply;
    }

    AdminServer admin;
    std::vector<RotationStep> steps;
};

BOOST_AUTO_TEST_CASE(faults_are_queued_and_cleared) {
    AdminFixture f;
    auto r = f.request("POST", "/faults", R"({"code": "UNAVAILABLE", "count": 1})");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(f.faults.size() == 1u);
    r = f.request("POST", "/faults", R"({"code": "UNAVAILABLE", "count": -1})");
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(json::parse(r.body).at("error").as_string() == "fault field \"count\" must be a positive integer");
    r = f.request("DELETE", "/faults");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(f.faults.size() == 0u);
    BOOST_TEST(f.request("GET", "/faults").status == 405u);
}

BOOST_AUTO_TEST_CASE(rotate_root_runs_the_step_and_the_hook) {
    AdminFixture f;
    auto r = f.request("POST", "/rotate-root", R"({"step": "add"})");
    BOOST_TEST(r.status == 200u);
    auto body = json::parse(r.body).as_object();
    BOOST_TEST(body.at("roots").as_array().size() == 2u);
    BOOST_TEST(body.at("signingRoot").as_string() == body.at("roots").as_array()[0].as_string());
    r = f.request("POST", "/rotate-root", R"({"step": "switch"})");
    body = json::parse(r.body).as_object();
    BOOST_TEST(body.at("signingRoot").as_string() == body.at("roots").as_array()[1].as_string());
    r = f.request("POST", "/rotate-root", R"({"step": "drop-old"})");
    BOOST_TEST(json::parse(r.body).at("roots").as_array().size() == 1u);
    BOOST_TEST(f.steps.size() == 3u);

    r = f.request("POST", "/rotate-root", R"({"step": "drop-old"})");
    BOOST_TEST(r.status == 409u);
    BOOST_TEST(json::parse(r.body).at("error").as_string() == "rotate-root drop-old: only one root is published");
    r = f.request("POST", "/rotate-root", R"({"step": "rewind"})");
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(json::parse(r.body).at("error").as_string() ==
               "rotate-root: unknown step \"rewind\" (expected add, switch or drop-old)");
    r = f.request("POST", "/rotate-root", "{}");
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(f.steps.size() == 3u);
}

BOOST_AUTO_TEST_CASE(requests_are_listed_and_cleared) {
    AdminFixture f;
    f.call(f.input());
    auto r = f.request("GET", "/requests");
    BOOST_TEST(json::parse(r.body).at("requests").as_array().size() == 1u);
    f.request("DELETE", "/requests");
    r = f.request("GET", "/requests?x=1");
    BOOST_TEST(json::parse(r.body).at("requests").as_array().empty());
    BOOST_TEST(f.request("GET", "/nothing").status == 404u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(options)

std::vector<char const*> argv_of(std::vector<std::string> const& args) {
    std::vector<char const*> out{"istiod-emulator"};
    for (auto const& a : args) out.push_back(a.c_str());
    return out;
}

Options parse(std::vector<std::string> const& args) {
    auto argv = argv_of(args);
    return parse_options(static_cast<int>(argv.size()), argv.data()).value();
}

std::string parse_error(std::vector<std::string> const& args) {
    auto argv = argv_of(args);
    try {
        parse_options(static_cast<int>(argv.size()), argv.data());
    } catch (gic::ConfigError const& e) {
        return e.what();
    }
    return "(accepted)";
}

BOOST_AUTO_TEST_CASE(defaults_and_values) {
    auto o = parse({"--state-dir", "/tmp/x", "--kubeconfig", "/tmp/k"});
    BOOST_TEST(o.trust_domain == "cluster.local");
    BOOST_TEST(o.cluster_id == "Kubernetes");
    BOOST_TEST((o.chain == ChainKind::self));
    BOOST_TEST(o.default_ttl.count() == 86400);
    BOOST_TEST(o.max_ttl.count() == 2160 * 3600);
    BOOST_TEST(o.token_audiences == std::vector<std::string>{"istio-ca"}, boost::test_tools::per_element());
    BOOST_TEST(!o.admin_listen);
    o = parse({"--state-dir", "/tmp/x", "--kubeconfig", "/tmp/k", "--chain", "plugged", "--default-ttl", "1h",
               "--max-ttl", "48h", "--token-audiences", "istio-ca,other", "--publish-namespace", "a",
               "--publish-namespace", "b", "--admin-listen", "127.0.0.1:0", "--cluster-id", "east"});
    BOOST_TEST((o.chain == ChainKind::plugged));
    BOOST_TEST(o.default_ttl.count() == 3600);
    BOOST_TEST(o.max_ttl.count() == 48 * 3600);
    BOOST_TEST(o.token_audiences == (std::vector<std::string>{"istio-ca", "other"}), boost::test_tools::per_element());
    BOOST_TEST(o.publish_namespaces == (std::vector<std::string>{"a", "b"}), boost::test_tools::per_element());
    BOOST_TEST(*o.admin_listen == "127.0.0.1:0");
    BOOST_TEST(o.cluster_id == "east");
}

BOOST_AUTO_TEST_CASE(bad_flags_name_the_flag) {
    std::vector<std::string> base{"--state-dir", "/tmp/x", "--kubeconfig", "/tmp/k"};
    auto with = [&](std::vector<std::string> extra) {
        auto args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    };
    BOOST_TEST(parse_error({"--kubeconfig", "/tmp/k"}) == "--state-dir is required");
    BOOST_TEST(parse_error({"--state-dir", "/tmp/x"}) == "--kubeconfig is required");
    BOOST_TEST(parse_error(with({"--chain", "both"})) == "--chain: expected self or plugged, got \"both\"");
    BOOST_TEST(parse_error(with({"--max-ttl", "90d"})) ==
               "--max-ttl: invalid duration \"90d\" (expected a positive Go duration such as 24h)");
    BOOST_TEST(parse_error(with({"--default-ttl", "0"})) ==
               "--default-ttl: invalid duration \"0\" (expected a positive Go duration such as 24h)");
    BOOST_TEST(parse_error(with({"--listen", "127.0.0.1"})) == "--listen: expected HOST:PORT, got \"127.0.0.1\"");
    BOOST_TEST(parse_error(with({"--admin-listen", "127.0.0.1:http"})) ==
               "--admin-listen: invalid port in \"127.0.0.1:http\"");
    BOOST_TEST(parse_error(with({"--token-audiences", ","})) == "--token-audiences must name at least one audience");
    BOOST_TEST(parse_error(with({"--bogus"})).find("bogus") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
