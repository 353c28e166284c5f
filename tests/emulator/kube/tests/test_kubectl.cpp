// The real kubectl against the real emulator binary: every command from kubectl-surface.md
// that the project relies on.

#include "emulator_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <future>
#include <thread>

using namespace gic::emu::kube::test;
namespace json = boost::json;
namespace utf = boost::unit_test;

namespace {

struct KubectlAvailable {
    boost::test_tools::assertion_result operator()(utf::test_unit_id) const {
        boost::test_tools::assertion_result r(!kubectl_path().empty());
        r.message() << "kubectl not found (KUBECTL is empty): skipping the kubectl tests";
        return r;
    }
};

std::string describe(gic::test::ProcessResult const& r) {
    return "rc=" + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

json::object parse(std::string const& text) { return json::parse(text).as_object(); }

// The request log entries matching method and path.
std::vector<json::object> logged(RunningEmulator const& emu, std::string const& method, std::string const& path) {
    std::vector<json::object> out;
    auto log = emu.admin().get("/emulator/v1/requests").json();
    for (auto const& v : log.at("items").as_array()) {
        auto const& o = v.as_object();
        if (o.at("method").as_string() == method && o.at("path").as_string() == path) out.push_back(o);
    }
    return out;
}

std::string const lease_yaml = R"(apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: l1
  namespace: ns1
spec:
  holderIdentity: replica-a
  leaseDurationSeconds: 15
)";

std::string const rbac_yaml = R"(apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: probe-cr
rules:
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: probe-crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: probe-cr
subjects:
- kind: ServiceAccount
  name: agent
  namespace: ns1
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: probe-r
  namespace: ns1
rules:
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "create", "update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: probe-rb
  namespace: ns1
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: probe-r
subjects:
- kind: ServiceAccount
  name: agent
  namespace: ns1
)";

// Waits until the emulator has logged a watch on `path`: from then on changes reach the watcher.
bool watch_opened(RunningEmulator const& emu, std::string const& path) {
    for (int i = 0; i < 1000; ++i) {
        auto const log = emu.admin().get("/emulator/v1/requests").json();
        for (auto const& v : log.at("items").as_array())
            if (v.at("verb").as_string() == "watch" && v.at("path").as_string() == path) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::size_t count_of(std::string const& text, std::string const& part) {
    std::size_t n = 0;
    for (auto pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1)) ++n;
    return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kubectl, *utf::precondition(KubectlAvailable()))

BOOST_AUTO_TEST_CASE(version_reports_server_minor_32) {
    RunningEmulator emu;
    auto r = emu.kubectl({"version"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
    BOOST_TEST(r.out.find("Server Version: v1.32.4") != std::string::npos, describe(r));
}

BOOST_AUTO_TEST_CASE(get_namespaces_lists_the_bootstrap_and_service_account_namespaces) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto r = emu.kubectl({"get", "namespaces"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
    for (char const* ns : {"default", "kube-system", "ns1"})
        BOOST_TEST(r.out.find(ns) != std::string::npos, ns << "\n" << describe(r));
}

BOOST_AUTO_TEST_CASE(create_secret_generic_sends_protobuf_and_get_reads_it_back) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto created = emu.kubectl({"create", "secret", "generic", "demo", "--from-literal=a=b", "-n", "ns1"});
    BOOST_TEST_REQUIRE(created.exit_code == 0, describe(created));
    BOOST_TEST(created.out == "secret/demo created\n");
    auto posts = logged(emu, "POST", "/api/v1/namespaces/ns1/secrets");
    BOOST_TEST_REQUIRE(posts.size() == 1u);
    BOOST_TEST(posts[0].at("contentType").as_string() == "application/vnd.kubernetes.protobuf");
    BOOST_TEST(posts[0].at("code").as_int64() == 201);

    auto as_json = emu.kubectl({"get", "secret", "demo", "-n", "ns1", "-o", "json"});
    BOOST_TEST_REQUIRE(as_json.exit_code == 0, describe(as_json));
    auto obj = parse(as_json.out);
    BOOST_TEST(obj.at("kind").as_string() == "Secret");
    BOOST_TEST(obj.at("type").as_string() == "Opaque");
    BOOST_TEST(obj.at("data").at("a").as_string() == "Yg==");
    BOOST_TEST(!obj.at("metadata").at("uid").as_string().empty());

    auto path = emu.kubectl({"get", "secret", "demo", "-n", "ns1", "-o", "jsonpath={.data.a}"});
    BOOST_TEST_REQUIRE(path.exit_code == 0, describe(path));
    BOOST_TEST(path.out == "Yg==");

    auto again = emu.kubectl({"create", "secret", "generic", "demo", "--from-literal=a=b", "-n", "ns1"});
    BOOST_TEST(again.exit_code == 1);
    BOOST_TEST(again.err == "error: failed to create secret secrets \"demo\" already exists\n", describe(again));
}

BOOST_AUTO_TEST_CASE(get_missing_secret_prints_the_upstream_not_found) {
    RunningEmulator emu;
    auto r = emu.kubectl({"get", "secret", "nosuch", "-n", "default"});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(r.err == "Error from server (NotFound): secrets \"nosuch\" not found\n", describe(r));
}

BOOST_AUTO_TEST_CASE(replace_with_a_stale_resource_version_conflicts) {
    RunningEmulator emu;
    BOOST_TEST_REQUIRE(emu.kubectl({"create", "secret", "generic", "demo", "--from-literal=a=b"}).exit_code == 0);
    auto current = parse(emu.kubectl({"get", "secret", "demo", "-o", "json"}).out);
    auto stale = current;
    // Another writer changes the secret: the copy read before is now stale.
    auto fresh = emu.kubectl({"replace", "-f", "-"}, json::serialize(current));
    BOOST_TEST_REQUIRE(fresh.exit_code == 0, describe(fresh));
    BOOST_TEST(fresh.out == "secret/demo replaced\n");
    stale["data"].as_object()["a"] = "Yw==";
    auto r = emu.kubectl({"replace", "-f", "-"}, json::serialize(stale));
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(r.err ==
                   "Error from server (Conflict): error when replacing \"STDIN\": Operation cannot be fulfilled on "
                   "secrets \"demo\": the object has been modified; please apply your changes to the latest version "
                   "and try again\n",
               describe(r));
}

BOOST_AUTO_TEST_CASE(create_token_mints_a_jwt_with_the_requested_audience_and_duration) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto r = emu.kubectl({"create", "token", "agent", "-n", "ns1", "--audience", "istio-ca", "--duration", "20m"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
    BOOST_TEST(r.out.find('\n') == std::string::npos);  // the bare token
    auto claims = jwt_payload(r.out);
    BOOST_TEST(claims.at("iss").as_string() == "https://kubernetes.default.svc.cluster.local");
    BOOST_TEST(claims.at("sub").as_string() == "system:serviceaccount:ns1:agent");
    BOOST_TEST_REQUIRE(claims.at("aud").as_array().size() == 1u);
    BOOST_TEST(claims.at("aud").as_array()[0].as_string() == "istio-ca");
    BOOST_TEST(claims.at("exp").as_int64() - claims.at("iat").as_int64() == 1200);
    BOOST_TEST(claims.at("nbf").as_int64() == claims.at("iat").as_int64());
    BOOST_TEST(!claims.at("jti").as_string().empty());
    auto const& k8s = claims.at("kubernetes.io").as_object();
    BOOST_TEST(k8s.at("namespace").as_string() == "ns1");
    BOOST_TEST(k8s.at("serviceaccount").at("name").as_string() == "agent");
    auto sa = parse(emu.kubectl({"get", "serviceaccount", "agent", "-n", "ns1", "-o", "json"}).out);
    BOOST_TEST(k8s.at("serviceaccount").at("uid").as_string() == sa.at("metadata").at("uid").as_string());

    auto missing = emu.kubectl({"create", "token", "nosuch", "-n", "ns1"});
    BOOST_TEST(missing.exit_code == 1);
    BOOST_TEST(missing.err == "error: failed to create token: serviceaccounts \"nosuch\" not found\n", describe(missing));
}

BOOST_AUTO_TEST_CASE(create_and_get_configmap) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto r = emu.kubectl({"create", "configmap", "cm1", "--from-literal=k=v", "-n", "ns1"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
    BOOST_TEST(r.out == "configmap/cm1 created\n");
    auto got = emu.kubectl({"get", "configmap", "cm1", "-n", "ns1"});
    BOOST_TEST_REQUIRE(got.exit_code == 0, describe(got));
    BOOST_TEST(got.out.find("cm1") != std::string::npos, describe(got));
    auto obj = parse(emu.kubectl({"get", "cm", "cm1", "-n", "ns1", "-o", "json"}).out);
    BOOST_TEST(obj.at("data").at("k").as_string() == "v");
}

BOOST_AUTO_TEST_CASE(delete_secret_is_synchronous) {
    RunningEmulator emu;
    BOOST_TEST_REQUIRE(emu.kubectl({"create", "secret", "generic", "demo", "--from-literal=a=b"}).exit_code == 0);
    auto r = emu.kubectl({"delete", "secret", "demo"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
    BOOST_TEST(r.out == "secret \"demo\" deleted\n");
    auto gone = emu.kubectl({"get", "secret", "demo"});
    BOOST_TEST(gone.err == "Error from server (NotFound): secrets \"demo\" not found\n", describe(gone));
    auto again = emu.kubectl({"delete", "secret", "demo"});
    BOOST_TEST(again.exit_code == 1);
    BOOST_TEST(again.err == "Error from server (NotFound): secrets \"demo\" not found\n", describe(again));
}

BOOST_AUTO_TEST_CASE(create_lease_from_yaml_and_get_it) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    gic::test::TempDir dir;
    gic::test::write_file(dir.file("lease.yaml"), lease_yaml);
    auto r = emu.kubectl({"create", "-f", dir.file("lease.yaml")});
    BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
    BOOST_TEST(r.out == "lease.coordination.k8s.io/l1 created\n");
    auto got = emu.kubectl({"get", "lease", "l1", "-n", "ns1", "-o", "json"});
    BOOST_TEST_REQUIRE(got.exit_code == 0, describe(got));
    auto obj = parse(got.out);
    BOOST_TEST(obj.at("apiVersion").as_string() == "coordination.k8s.io/v1");
    BOOST_TEST(obj.at("spec").at("holderIdentity").as_string() == "replica-a");
    BOOST_TEST(obj.at("spec").at("leaseDurationSeconds").as_int64() == 15);
    // OpenAPI advertised fieldValidation, so kubectl asked for server-side validation.
    auto posts = logged(emu, "POST", "/apis/coordination.k8s.io/v1/namespaces/ns1/leases");
    BOOST_TEST_REQUIRE(posts.size() == 1u);
    BOOST_TEST(posts[0].at("query").as_string().find("fieldValidation=Strict") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(get_events_as_json) {
    RunningEmulator emu;
    json::object event{{"apiVersion", "v1"},
                       {"kind", "Event"},
                       {"metadata", json::object{{"name", "l1.17a"}, {"namespace", "default"}}},
                       {"involvedObject", json::object{{"kind", "Lease"}, {"name", "l1"}, {"namespace", "default"}}},
                       {"reason", "LeaderElection"},
                       {"message", "replica-a became leader"},
                       {"type", "Normal"},
                       {"count", 1}};
    BOOST_TEST_REQUIRE(emu.admin().post("/api/v1/namespaces/default/events", event).status == 201u);
    auto r = emu.kubectl({"get", "events", "-o", "json"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
    auto list = parse(r.out);
    BOOST_TEST(list.at("kind").as_string() == "List");
    BOOST_TEST_REQUIRE(list.at("items").as_array().size() == 1u);
    auto const& item = list.at("items").as_array()[0].as_object();
    BOOST_TEST(item.at("kind").as_string() == "Event");
    BOOST_TEST(item.at("reason").as_string() == "LeaderElection");
    BOOST_TEST(item.at("message").as_string() == "replica-a became leader");
}

BOOST_AUTO_TEST_CASE(auth_can_i_asks_a_self_subject_access_review) {
    RunningEmulator emu;
    auto r = emu.kubectl({"auth", "can-i", "create", "secrets", "-n", "default"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
    BOOST_TEST(r.out == "yes\n");
    auto posts = logged(emu, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
    BOOST_TEST_REQUIRE(posts.size() == 1u);
    BOOST_TEST(posts[0].at("user").as_string() == "admin");
}

BOOST_AUTO_TEST_CASE(create_rbac_objects_of_four_kinds) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    gic::test::TempDir dir;
    gic::test::write_file(dir.file("rbac.yaml"), rbac_yaml);
    auto r = emu.kubectl({"create", "-f", dir.file("rbac.yaml")});
    BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
    BOOST_TEST(r.out ==
               "clusterrole.rbac.authorization.k8s.io/probe-cr created\n"
               "clusterrolebinding.rbac.authorization.k8s.io/probe-crb created\n"
               "role.rbac.authorization.k8s.io/probe-r created\n"
               "rolebinding.rbac.authorization.k8s.io/probe-rb created\n");
    auto again = emu.kubectl({"create", "-f", dir.file("rbac.yaml")});
    BOOST_TEST(again.exit_code == 1);
    BOOST_TEST(again.err.find("Error from server (AlreadyExists): error when creating \"" + dir.file("rbac.yaml") +
                              "\": clusterroles.rbac.authorization.k8s.io \"probe-cr\" already exists") !=
                   std::string::npos,
               describe(again));
    auto rb = parse(emu.kubectl({"get", "rolebinding", "probe-rb", "-n", "ns1", "-o", "json"}).out);
    BOOST_TEST(rb.at("roleRef").at("name").as_string() == "probe-r");
}

BOOST_AUTO_TEST_CASE(service_account_kubeconfig_authenticates_with_its_token) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto r = emu.kubectl({"get", "secrets"}, {}, emu.file("serviceaccounts/ns1/agent/kubeconfig"));
    BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
    BOOST_TEST(r.err == "No resources found in ns1 namespace.\n", describe(r));
    auto lists = logged(emu, "GET", "/api/v1/namespaces/ns1/secrets");
    BOOST_TEST_REQUIRE(lists.size() == 1u);
    BOOST_TEST(lists[0].at("user").as_string() == "system:serviceaccount:ns1:agent");
    BOOST_TEST(lists[0].at("code").as_int64() == 200);
}

BOOST_AUTO_TEST_CASE(a_bad_token_is_unauthorized) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto kc = gic::test::read_file(emu.file("serviceaccounts/ns1/agent/kubeconfig"));
    auto pos = kc.find("tokenFile: ");
    BOOST_TEST_REQUIRE(pos != std::string::npos);
    kc = kc.substr(0, pos) + "token: not-a-jwt" + kc.substr(kc.find('\n', pos));
    gic::test::TempDir dir;
    gic::test::write_file(dir.file("bad.kubeconfig"), kc);
    auto r = emu.kubectl({"get", "secrets"}, {}, dir.file("bad.kubeconfig"));
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(r.err.find("error: You must be logged in to the server") != std::string::npos, describe(r));
    auto versions = logged(emu, "GET", "/version");
    BOOST_TEST_REQUIRE(!versions.empty());
    BOOST_TEST(versions[0].at("code").as_int64() == 401);
}

BOOST_AUTO_TEST_CASE(get_lease_watch_with_output_watch_events_prints_added_then_modified) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    gic::test::TempDir dir;
    gic::test::write_file(dir.file("lease.yaml"), lease_yaml);
    BOOST_TEST_REQUIRE(emu.kubectl({"create", "-f", dir.file("lease.yaml")}).exit_code == 0);
    auto watcher = std::async(std::launch::async, [&] {
        return emu.kubectl({"get", "lease", "-n", "ns1", "-w", "--output-watch-events", "--request-timeout=4s"});
    });
    BOOST_TEST_REQUIRE(watch_opened(emu, "/apis/coordination.k8s.io/v1/namespaces/ns1/leases"));
    auto current = parse(emu.kubectl({"get", "lease", "l1", "-n", "ns1", "-o", "json"}).out);
    current["spec"].as_object()["holderIdentity"] = "replica-b";
    BOOST_TEST_REQUIRE(emu.kubectl({"replace", "-f", "-"}, json::serialize(current)).exit_code == 0);
    auto r = watcher.get();
    BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
    // The listed lease once (no replay after the list's resourceVersion), then the change.
    BOOST_TEST(count_of(r.out, "ADDED") == 1u, describe(r));
    BOOST_TEST(count_of(r.out, "MODIFIED") == 1u, describe(r));
    BOOST_TEST(r.out.find("ADDED") < r.out.find("MODIFIED"), describe(r));
    BOOST_TEST(count_of(r.out, "l1") == 2u, describe(r));
    auto watches = logged(emu, "GET", "/apis/coordination.k8s.io/v1/namespaces/ns1/leases");
    BOOST_TEST_REQUIRE(watches.size() == 2u);  // the list, then the watch from its resourceVersion
    BOOST_TEST(watches[1].at("query").as_string().find("resourceVersion=") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(get_secret_watch_prints_the_object_then_its_change) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    BOOST_TEST_REQUIRE(emu.kubectl({"create", "secret", "generic", "demo", "--from-literal=a=b", "-n", "ns1"}).exit_code == 0);
    auto watcher = std::async(std::launch::async, [&] {
        return emu.kubectl({"get", "secret", "demo", "-n", "ns1", "-w", "--request-timeout=4s"});
    });
    BOOST_TEST_REQUIRE(watch_opened(emu, "/api/v1/namespaces/ns1/secrets"));
    auto current = parse(emu.kubectl({"get", "secret", "demo", "-n", "ns1", "-o", "json"}).out);
    current["data"].as_object()["c"] = "ZA==";
    BOOST_TEST_REQUIRE(emu.kubectl({"replace", "-f", "-"}, json::serialize(current)).exit_code == 0);
    auto r = watcher.get();
    BOOST_TEST_REQUIRE(r.exit_code == 0, describe(r));
    // The GET prints the secret (one data key), the synthetic ADDED is swallowed, the change
    // prints a second row (two data keys).
    BOOST_TEST(count_of(r.out, "demo") == 2u, describe(r));
}

BOOST_AUTO_TEST_SUITE_END()
