// Direct protocol tests (no kubectl): TokenReview, TokenRequest, Secret and Lease semantics,
// authentication outcomes, discovery media types and fault injection.

#include "emulator_fixture.hpp"

#include "common/token_signing_key.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>

using namespace gic::emu::kube::test;
namespace json = boost::json;

namespace {

std::string const api_audience = "https://kubernetes.default.svc.cluster.local";

json::object token_review(std::string const& token, std::vector<std::string> const& audiences) {
    json::array auds;
    for (auto const& a : audiences) auds.emplace_back(a);
    json::object spec{{"token", token}};
    if (!audiences.empty()) spec["audiences"] = std::move(auds);
    return {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenReview"}, {"spec", std::move(spec)}};
}

json::object review(RunningEmulator const& emu, std::string const& token, std::vector<std::string> const& audiences) {
    auto r = emu.admin().post("/apis/authentication.k8s.io/v1/tokenreviews", token_review(token, audiences));
    BOOST_TEST_REQUIRE(r.status == 201u, r.body);
    return r.json().at("status").as_object();
}

std::string token_file(RunningEmulator const& emu, std::string const& name) {
    return gic::test::read_file(emu.file("serviceaccounts/ns1/agent/" + name));
}

json::object secret(std::string const& name, std::string const& type, json::object data) {
    json::object s{{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", json::object{{"name", name}}},
                   {"data", std::move(data)}};
    if (!type.empty()) s["type"] = type;
    return s;
}

std::string const secrets = "/api/v1/namespaces/default/secrets";

}  // namespace

BOOST_AUTO_TEST_SUITE(token_review_api)

BOOST_AUTO_TEST_CASE(istio_token_is_authenticated_for_istio_ca) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto status = review(emu, token_file(emu, "istio-token"), {"istio-ca"});
    BOOST_TEST_REQUIRE(status.at("authenticated").as_bool(), json::serialize(status));
    auto const& user = status.at("user").as_object();
    BOOST_TEST(user.at("username").as_string() == "system:serviceaccount:ns1:agent");
    auto sa = emu.admin().get("/api/v1/namespaces/ns1/serviceaccounts/agent").json();
    BOOST_TEST(user.at("uid").as_string() == sa.at("metadata").at("uid").as_string());
    auto const& groups = user.at("groups").as_array();
    BOOST_TEST_REQUIRE(groups.size() == 3u);
    BOOST_TEST(groups[0].as_string() == "system:serviceaccounts");
    BOOST_TEST(groups[1].as_string() == "system:serviceaccounts:ns1");
    BOOST_TEST(groups[2].as_string() == "system:authenticated");
    BOOST_TEST(status.at("audiences").as_array().size() == 1u);
    BOOST_TEST(status.at("audiences").as_array()[0].as_string() == "istio-ca");
}

BOOST_AUTO_TEST_CASE(review_without_audiences_uses_the_api_audience) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto status = review(emu, token_file(emu, "token"), {});
    BOOST_TEST(status.at("authenticated").as_bool(), json::serialize(status));
    BOOST_TEST(status.at("audiences").as_array()[0].as_string() == api_audience);
}

BOOST_AUTO_TEST_CASE(wrong_audience_is_not_authenticated) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto status = review(emu, token_file(emu, "token"), {"istio-ca"});
    BOOST_TEST(!status.at("authenticated").as_bool());
    BOOST_TEST(status.at("error").as_string() ==
               "token audiences [\"" + api_audience + "\"] is invalid for the target audiences [\"istio-ca\"]");
}

BOOST_AUTO_TEST_CASE(expired_token_is_rejected) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--token-ttl", "1s"});
    auto token = token_file(emu, "istio-token");
    auto exp = jwt_payload(token).at("exp").as_int64();
    // Wait (in wall-clock seconds) until the token's exp has passed.
    while (std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
               .count() < exp)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto status = review(emu, token, {"istio-ca"});
    BOOST_TEST(!status.at("authenticated").as_bool());
    BOOST_TEST(status.at("error").as_string() == "service account token has expired");
}

BOOST_AUTO_TEST_CASE(tampered_signature_is_rejected) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto token = token_file(emu, "istio-token");
    token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';
    auto status = review(emu, token, {"istio-ca"});
    BOOST_TEST(!status.at("authenticated").as_bool());
    BOOST_TEST(status.at("error").as_string() == "invalid signature");
}

BOOST_AUTO_TEST_CASE(deleted_and_recreated_service_account_invalidates_tokens) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto token = token_file(emu, "istio-token");
    auto api_token = token_file(emu, "token");
    BOOST_TEST_REQUIRE(emu.with_token(api_token).get("/api/v1/namespaces/ns1/secrets").status == 200u);
    BOOST_TEST_REQUIRE(emu.admin().del("/api/v1/namespaces/ns1/serviceaccounts/agent").status == 200u);
    auto status = review(emu, token, {"istio-ca"});
    BOOST_TEST(!status.at("authenticated").as_bool());
    BOOST_TEST(status.at("error").as_string() == "serviceaccounts \"agent\" not found");
    BOOST_TEST(emu.with_token(api_token).get("/api/v1/namespaces/ns1/secrets").status == 401u);

    json::object sa{{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", json::object{{"name", "agent"}}}};
    auto created = emu.admin().post("/api/v1/namespaces/ns1/serviceaccounts", sa);
    BOOST_TEST_REQUIRE(created.status == 201u, created.body);
    auto new_uid = std::string(created.json().at("metadata").at("uid").as_string());
    status = review(emu, token, {"istio-ca"});
    BOOST_TEST(!status.at("authenticated").as_bool());
    auto old_uid = std::string(jwt_payload(token).at("kubernetes.io").at("serviceaccount").at("uid").as_string());
    BOOST_TEST(status.at("error").as_string() ==
               "service account UID (" + new_uid + ") does not match claim (" + old_uid + ")");
}

BOOST_AUTO_TEST_CASE(empty_token_is_a_bad_request) {
    RunningEmulator emu;
    auto r = emu.admin().post("/apis/authentication.k8s.io/v1/tokenreviews", token_review("", {}));
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(r.json().at("message").as_string() == "token is required for TokenReview in authentication");
}

// Every emulator these tests start signs with the process's one key (the fixture passes it): the
// public key the emulator publishes is that key's, and tokens signed with it are reviewed as usual.
BOOST_AUTO_TEST_CASE(the_signing_key_file_signs_the_service_account_tokens) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto const expected = gic::test::run_process({"openssl", "pkey", "-in", gic::test::token_signing_key_file(), "-pubout"});
    BOOST_TEST_REQUIRE(expected.exit_code == 0, expected.err);
    BOOST_TEST(gic::test::read_file(emu.file("sa.pub")) == expected.out);
    auto const status = review(emu, token_file(emu, "token"), {});
    BOOST_TEST(status.at("authenticated").as_bool(), json::serialize(status));
}

BOOST_AUTO_TEST_CASE(an_unreadable_signing_key_file_is_refused_naming_the_flag) {
    gic::test::TempDir dir;
    gic::test::write_file(dir.file("not-a-key.pem"), "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n");
    for (auto const& file : {dir.file("missing.pem"), dir.file("not-a-key.pem")}) {
        auto r = gic::test::run_process(
            {emulator_path(), "--state-dir", dir.path(), "--service-account-signing-key-file", file}, std::chrono::seconds(20));
        BOOST_TEST(r.exit_code == 1, file << ": " << r.out << r.err);
        BOOST_TEST(r.err.find("--service-account-signing-key-file") != std::string::npos, r.err);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(token_request_api)

BOOST_AUTO_TEST_CASE(json_token_request_defaults_to_an_hour_and_the_api_audience) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    json::object tr{{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenRequest"}, {"spec", json::object()}};
    auto r = emu.admin().post("/api/v1/namespaces/ns1/serviceaccounts/agent/token", tr);
    BOOST_TEST_REQUIRE(r.status == 201u, r.body);
    auto body = r.json();
    BOOST_TEST(body.at("kind").as_string() == "TokenRequest");
    BOOST_TEST(body.at("spec").at("expirationSeconds").as_int64() == 3600);
    BOOST_TEST(!body.at("status").at("expirationTimestamp").as_string().empty());
    auto claims = jwt_payload(std::string(body.at("status").at("token").as_string()));
    BOOST_TEST(claims.at("aud").as_array()[0].as_string() == api_audience);
    BOOST_TEST(claims.at("exp").as_int64() - claims.at("iat").as_int64() == 3600);
    // The minted token authenticates against the API.
    auto token = std::string(body.at("status").at("token").as_string());
    BOOST_TEST(emu.with_token(token).get("/api/v1/namespaces/ns1/configmaps").status == 200u);
}

BOOST_AUTO_TEST_CASE(pod_bound_token_carries_pod_claims_and_extra) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    json::object tr{{"apiVersion", "authentication.k8s.io/v1"},
                    {"kind", "TokenRequest"},
                    {"spec", json::object{{"audiences", json::array{"istio-ca"}},
                                          {"boundObjectRef", json::object{{"kind", "Pod"}, {"apiVersion", "v1"},
                                                                          {"name", "agent-0"}, {"uid", "pod-uid-1"}}}}}};
    auto r = emu.admin().post("/api/v1/namespaces/ns1/serviceaccounts/agent/token", tr);
    BOOST_TEST_REQUIRE(r.status == 201u, r.body);
    auto token = std::string(r.json().at("status").at("token").as_string());
    BOOST_TEST(jwt_payload(token).at("kubernetes.io").at("pod").at("name").as_string() == "agent-0");
    auto status = review(emu, token, {"istio-ca"});
    BOOST_TEST_REQUIRE(status.at("authenticated").as_bool());
    auto const& extra = status.at("user").at("extra").as_object();
    BOOST_TEST(extra.at("authentication.kubernetes.io/pod-name").as_array()[0].as_string() == "agent-0");
    BOOST_TEST(extra.at("authentication.kubernetes.io/pod-uid").as_array()[0].as_string() == "pod-uid-1");
}

BOOST_AUTO_TEST_CASE(duration_under_ten_minutes_is_invalid) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    json::object tr{{"apiVersion", "authentication.k8s.io/v1"},
                    {"kind", "TokenRequest"},
                    {"spec", json::object{{"expirationSeconds", 599}}}};
    auto r = emu.admin().post("/api/v1/namespaces/ns1/serviceaccounts/agent/token", tr);
    BOOST_TEST(r.status == 422u);
    BOOST_TEST(r.json().at("message").as_string() ==
               "TokenRequest.authentication.k8s.io \"agent\" is invalid: spec.expirationSeconds: Invalid value: 599: "
               "may not specify a duration less than 10 minutes");
}

BOOST_AUTO_TEST_CASE(missing_service_account_is_not_found) {
    RunningEmulator emu;
    auto r = emu.admin().post("/api/v1/namespaces/default/serviceaccounts/nosuch/token", json::object{});
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(r.json().at("message").as_string() == "serviceaccounts \"nosuch\" not found");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(secret_semantics)

BOOST_AUTO_TEST_CASE(type_is_immutable_on_update) {
    RunningEmulator emu;
    auto admin = emu.admin();
    BOOST_TEST_REQUIRE(admin.post(secrets, secret("s", "", json::object{{"a", "Yg=="}})).status == 201u);
    auto r = admin.put(secrets + "/s",
                       secret("s", "kubernetes.io/tls", json::object{{"tls.crt", ""}, {"tls.key", ""}}));
    BOOST_TEST(r.status == 422u);
    auto status = r.json();
    BOOST_TEST(status.at("reason").as_string() == "Invalid");
    BOOST_TEST(status.at("message").as_string() ==
               "Secret \"s\" is invalid: type: Invalid value: \"kubernetes.io/tls\": field is immutable");
    BOOST_TEST(status.at("details").at("kind").as_string() == "Secret");
}

BOOST_AUTO_TEST_CASE(tls_secret_requires_both_keys) {
    RunningEmulator emu;
    auto r = emu.admin().post(secrets, secret("t", "kubernetes.io/tls", json::object{{"ca.crt", ""}}));
    BOOST_TEST(r.status == 422u);
    BOOST_TEST(r.json().at("message").as_string() ==
               "Secret \"t\" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]");
    auto ok = emu.admin().post(secrets, secret("t", "kubernetes.io/tls", json::object{{"tls.crt", ""}, {"tls.key", ""}}));
    BOOST_TEST(ok.status == 201u, ok.body);
}

BOOST_AUTO_TEST_CASE(unconditional_update_without_resource_version_wins) {
    RunningEmulator emu;
    auto admin = emu.admin();
    auto created = admin.post(secrets, secret("s", "", json::object{{"a", "Yg=="}}));
    BOOST_TEST_REQUIRE(created.status == 201u);
    auto rv = std::string(created.json().at("metadata").at("resourceVersion").as_string());
    auto r = admin.put(secrets + "/s", secret("s", "Opaque", json::object{{"a", "Yw=="}}));
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(r.json().at("metadata").at("resourceVersion").as_string() != rv);
    BOOST_TEST(r.json().at("data").at("a").as_string() == "Yw==");
    // The old RV is now stale.
    auto stale = secret("s", "Opaque", json::object{{"a", "ZA=="}});
    stale["metadata"].as_object()["resourceVersion"] = rv;
    auto c = admin.put(secrets + "/s", stale);
    BOOST_TEST(c.status == 409u);
    BOOST_TEST(c.json().at("reason").as_string() == "Conflict");
}

BOOST_AUTO_TEST_CASE(put_does_not_create_a_secret) {
    RunningEmulator emu;
    auto r = emu.admin().put(secrets + "/nosuch", secret("nosuch", "", json::object{}));
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(r.json().at("message").as_string() == "secrets \"nosuch\" not found");
}

BOOST_AUTO_TEST_CASE(string_data_is_merged_into_data_and_dropped) {
    RunningEmulator emu;
    auto s = secret("s", "", json::object{{"a", "Yg=="}});
    s["stringData"] = json::object{{"a", "override"}, {"b", "plain"}};
    auto r = emu.admin().post(secrets, s);
    BOOST_TEST_REQUIRE(r.status == 201u, r.body);
    auto obj = r.json();
    BOOST_TEST(!obj.contains("stringData"));
    BOOST_TEST(obj.at("type").as_string() == "Opaque");
    BOOST_TEST(obj.at("data").at("a").as_string() == "b3ZlcnJpZGU=");
    BOOST_TEST(obj.at("data").at("b").as_string() == "cGxhaW4=");
}

BOOST_AUTO_TEST_CASE(bad_keys_bad_base64_and_oversize_are_rejected) {
    RunningEmulator emu;
    auto admin = emu.admin();
    auto bad_key = admin.post(secrets, secret("k", "", json::object{{"bad key", "Yg=="}}));
    BOOST_TEST(bad_key.status == 422u);
    BOOST_TEST(bad_key.json().at("message").as_string().find("data[bad key]: Invalid value: \"bad key\": a valid config key") !=
               std::string::npos);
    auto bad_b64 = admin.post(secrets, secret("b", "", json::object{{"a", "not base64!"}}));
    BOOST_TEST(bad_b64.status == 400u);
    BOOST_TEST(bad_b64.json().at("reason").as_string() == "BadRequest");
    std::string big(1024 * 1024 + 3, 'A');  // base64 of 786434 bytes: fine
    BOOST_TEST(admin.post(secrets, secret("ok", "", json::object{{"a", big.substr(0, 1024 * 1024)}})).status == 201u);
    std::string too_big(1400000, 'A');  // 1050000 decoded bytes
    auto r = admin.post(secrets, secret("big", "", json::object{{"a", too_big}}));
    BOOST_TEST(r.status == 422u);
    BOOST_TEST(r.json().at("message").as_string() ==
               "Secret \"big\" is invalid: data: Too long: may not be more than 1048576 bytes");
}

BOOST_AUTO_TEST_CASE(create_in_a_missing_namespace_is_not_found) {
    RunningEmulator emu;
    auto r = emu.admin().post("/api/v1/namespaces/nosuch/secrets", secret("s", "", json::object{}));
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(r.json().at("message").as_string() == "namespaces \"nosuch\" not found");
}

BOOST_AUTO_TEST_CASE(duplicate_create_already_exists) {
    RunningEmulator emu;
    BOOST_TEST_REQUIRE(emu.admin().post(secrets, secret("s", "", json::object{})).status == 201u);
    auto r = emu.admin().post(secrets, secret("s", "", json::object{}));
    BOOST_TEST(r.status == 409u);
    BOOST_TEST(r.json().at("reason").as_string() == "AlreadyExists");
    BOOST_TEST(r.json().at("message").as_string() == "secrets \"s\" already exists");
}

BOOST_AUTO_TEST_CASE(list_honours_field_selector_and_reports_resource_version) {
    RunningEmulator emu;
    BOOST_TEST_REQUIRE(emu.admin().post(secrets, secret("a", "", json::object{})).status == 201u);
    BOOST_TEST_REQUIRE(emu.admin().post(secrets, secret("b", "", json::object{})).status == 201u);
    auto r = emu.admin().get(secrets + "?fieldSelector=metadata.name%3Db");
    BOOST_TEST_REQUIRE(r.status == 200u);
    auto list = r.json();
    BOOST_TEST(list.at("kind").as_string() == "SecretList");
    BOOST_TEST(!list.at("metadata").at("resourceVersion").as_string().empty());
    BOOST_TEST_REQUIRE(list.at("items").as_array().size() == 1u);
    BOOST_TEST(list.at("items").as_array()[0].at("metadata").at("name").as_string() == "b");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lease_semantics)

json::object lease(std::string const& holder) {
    return {{"apiVersion", "coordination.k8s.io/v1"},
            {"kind", "Lease"},
            {"metadata", json::object{{"name", "l1"}}},
            {"spec", json::object{{"holderIdentity", holder}, {"leaseDurationSeconds", 15}}}};
}

BOOST_AUTO_TEST_CASE(put_creates_a_missing_lease_then_requires_resource_version) {
    RunningEmulator emu;
    auto admin = emu.admin();
    std::string path = "/apis/coordination.k8s.io/v1/namespaces/default/leases/l1";
    auto created = admin.put(path, lease("a"));
    BOOST_TEST_REQUIRE(created.status == 201u, created.body);
    auto no_rv = admin.put(path, lease("b"));
    BOOST_TEST(no_rv.status == 422u);
    BOOST_TEST(no_rv.json().at("message").as_string() ==
               "leases.coordination.k8s.io \"l1\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be "
               "specified for an update");
    auto next = lease("b");
    next["metadata"].as_object()["resourceVersion"] = created.json().at("metadata").at("resourceVersion");
    auto updated = admin.put(path, next);
    BOOST_TEST_REQUIRE(updated.status == 200u, updated.body);
    auto stale = admin.put(path, next);
    BOOST_TEST(stale.status == 409u);
    BOOST_TEST(stale.json().at("message").as_string() ==
               "Operation cannot be fulfilled on leases.coordination.k8s.io \"l1\": the object has been modified; "
               "please apply your changes to the latest version and try again");
    BOOST_TEST(stale.json().at("details").at("group").as_string() == "coordination.k8s.io");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(authentication_and_discovery)

BOOST_AUTO_TEST_CASE(anonymous_may_read_version_only) {
    RunningEmulator emu;
    auto version = emu.anonymous().get("/version");
    BOOST_TEST_REQUIRE(version.status == 200u);
    BOOST_TEST(version.json().at("minor").as_string() == "32");
    auto r = emu.anonymous().get("/api/v1/namespaces");
    BOOST_TEST(r.status == 401u);
    auto status = r.json();
    BOOST_TEST(status.at("reason").as_string() == "Unauthorized");
    BOOST_TEST(status.at("message").as_string() == "Unauthorized");
}

BOOST_AUTO_TEST_CASE(garbage_bearer_token_is_unauthorized_everywhere) {
    RunningEmulator emu;
    BOOST_TEST(emu.with_token("garbage").get("/version").status == 401u);
}

BOOST_AUTO_TEST_CASE(aggregated_discovery_uses_the_apidiscovery_media_type) {
    RunningEmulator emu;
    auto r = emu.admin().request("GET", "/apis", {}, "application/json",
                                 {{"Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                                             "application/json"}});
    BOOST_TEST_REQUIRE(r.status == 200u);
    BOOST_TEST(r.header("content-type") == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    auto body = r.json();
    BOOST_TEST(body.at("kind").as_string() == "APIGroupDiscoveryList");
    bool has_coordination = false;
    for (auto const& item : body.at("items").as_array())
        has_coordination = has_coordination || item.at("metadata").at("name").as_string() == "coordination.k8s.io";
    BOOST_TEST(has_coordination);
    auto legacy = emu.admin().get("/apis");
    BOOST_TEST(legacy.header("content-type") == "application/json");
    BOOST_TEST(legacy.json().at("kind").as_string() == "APIGroupList");
}

BOOST_AUTO_TEST_CASE(legacy_core_resource_list_has_the_token_subresource) {
    RunningEmulator emu;
    auto r = emu.admin().get("/api/v1");
    BOOST_TEST_REQUIRE(r.status == 200u);
    bool found = false;
    auto list = r.json();
    for (auto const& res : list.at("resources").as_array())
        found = found || (res.at("name").as_string() == "serviceaccounts/token" &&
                          res.at("kind").as_string() == "TokenRequest");
    BOOST_TEST(found);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fault_injection)

BOOST_AUTO_TEST_CASE(injected_429_carries_retry_after_and_fires_count_times) {
    RunningEmulator emu;
    auto admin = emu.admin();
    BOOST_TEST_REQUIRE(admin.post(secrets, secret("s", "", json::object{})).status == 201u);
    json::object fault{{"verb", "update"}, {"resource", "secrets"}, {"namespace", "default"}, {"name", "s"},
                       {"status", 429},   {"retryAfterSeconds", 2}, {"count", 1}};
    BOOST_TEST_REQUIRE(admin.post("/emulator/v1/faults", fault).status == 201u);
    auto get = admin.get(secrets + "/s");
    BOOST_TEST(get.status == 200u);  // other verbs are not affected
    auto first = admin.put(secrets + "/s", secret("s", "Opaque", json::object{}));
    BOOST_TEST(first.status == 429u);
    BOOST_TEST(first.header("retry-after") == "2");
    BOOST_TEST(first.json().at("reason").as_string() == "TooManyRequests");
    BOOST_TEST(first.json().at("details").at("retryAfterSeconds").as_int64() == 2);
    auto second = admin.put(secrets + "/s", secret("s", "Opaque", json::object{}));
    BOOST_TEST(second.status == 200u, second.body);
}

BOOST_AUTO_TEST_CASE(injected_error_uses_given_reason_and_message_until_cleared) {
    RunningEmulator emu;
    auto admin = emu.admin();
    json::object fault{{"resource", "secrets"}, {"status", 503}, {"message", "etcd is sad"}, {"count", -1}};
    BOOST_TEST_REQUIRE(admin.post("/emulator/v1/faults", fault).status == 201u);
    for (int i = 0; i < 2; ++i) {
        auto r = admin.get(secrets);
        BOOST_TEST(r.status == 503u);
        BOOST_TEST(r.json().at("reason").as_string() == "ServiceUnavailable");
        BOOST_TEST(r.json().at("message").as_string() == "etcd is sad");
    }
    BOOST_TEST(admin.get("/api/v1/namespaces/default/configmaps").status == 200u);
    BOOST_TEST_REQUIRE(admin.del("/emulator/v1/faults").status == 200u);
    BOOST_TEST(admin.get(secrets).status == 200u);
}

BOOST_AUTO_TEST_CASE(dropped_connection_gets_no_answer) {
    RunningEmulator emu;
    auto admin = emu.admin();
    json::object fault{{"verb", "get"}, {"resource", "secrets"}, {"name", "s"}, {"drop", true}, {"delayMs", 10}};
    BOOST_TEST_REQUIRE(admin.post("/emulator/v1/faults", fault).status == 201u);
    auto r = admin.get(secrets + "/s");
    BOOST_TEST(r.status == 0u);
    BOOST_TEST(!r.error.empty());
    BOOST_TEST(admin.get(secrets + "/s").status == 404u);
    // The request log records the dropped request with code 0 and the fault that fired.
    auto log = admin.get("/emulator/v1/requests").json().at("items").as_array();
    int dropped = 0;
    for (auto const& e : log)
        if (e.at("path").as_string() == secrets + "/s" && e.at("code").as_int64() == 0 && e.as_object().contains("fault"))
            ++dropped;
    BOOST_TEST(dropped == 1);
}

BOOST_AUTO_TEST_CASE(delay_only_fault_still_answers) {
    RunningEmulator emu;
    auto admin = emu.admin();
    BOOST_TEST_REQUIRE(admin.post("/emulator/v1/faults", json::object{{"verb", "list"}, {"delayMs", 50}}).status == 201u);
    BOOST_TEST(admin.get(secrets).status == 200u);
}

BOOST_AUTO_TEST_CASE(fault_endpoints_are_admin_only) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto sa = emu.with_token(token_file(emu, "token"));
    auto r = sa.post("/emulator/v1/faults", json::object{{"status", 500}});
    BOOST_TEST(r.status == 403u);
    BOOST_TEST(r.json().at("message").as_string() ==
               "forbidden: User \"system:serviceaccount:ns1:agent\" cannot post path \"/emulator/v1/faults\"");
    BOOST_TEST(sa.get("/emulator/v1/requests").status == 403u);
    BOOST_TEST(emu.anonymous().get("/emulator/v1/requests").status == 401u);
}

BOOST_AUTO_TEST_CASE(bad_fault_body_is_a_bad_request_naming_the_field) {
    RunningEmulator emu;
    auto r = emu.admin().post("/emulator/v1/faults", json::object{{"status", 200}});
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(r.json().at("message").as_string() == "fault: status must be a 4xx or 5xx code");
}

BOOST_AUTO_TEST_CASE(request_log_records_verb_user_and_code) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    emu.with_token(token_file(emu, "token")).get("/api/v1/namespaces/ns1/secrets/nosuch");
    auto log = emu.admin().get("/emulator/v1/requests").json().at("items").as_array();
    BOOST_TEST_REQUIRE(!log.empty());
    auto const& last = log.back().as_object();
    BOOST_TEST(last.at("verb").as_string() == "get");
    BOOST_TEST(last.at("user").as_string() == "system:serviceaccount:ns1:agent");
    BOOST_TEST(last.at("code").as_int64() == 404);
    BOOST_TEST(last.at("resource").as_string() == "secrets");
    BOOST_TEST(!last.at("time").as_string().empty());
}

BOOST_AUTO_TEST_SUITE_END()
