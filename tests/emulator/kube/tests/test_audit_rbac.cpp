// The audit log of writes and RBAC enforcement (--authorization RBAC) over the wire and through
// kubectl auth can-i.

#include "emulator_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <regex>

using namespace gic::emu::kube::test;
namespace json = boost::json;
namespace utf = boost::unit_test;

namespace {

std::string const leases = "/apis/coordination.k8s.io/v1/namespaces/ns1/leases";
std::string const secrets = "/api/v1/namespaces/ns1/secrets";

json::object lease(std::string const& holder) {
    return {{"apiVersion", "coordination.k8s.io/v1"},
            {"kind", "Lease"},
            {"metadata", json::object{{"name", "l1"}}},
            {"spec", json::object{{"holderIdentity", holder}, {"leaseDurationSeconds", 15}}}};
}

json::object secret(std::string const& name) {
    return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", json::object{{"name", name}}}, {"type", "Opaque"}};
}

ApiClient agent(RunningEmulator const& emu) {
    return emu.with_token(gic::test::read_file(emu.file("serviceaccounts/ns1/agent/token")));
}

json::object role(std::string const& kind, std::string const& name, json::array rules) {
    json::object meta{{"name", name}};
    if (kind == "Role") meta["namespace"] = "ns1";
    return {{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", kind}, {"metadata", meta}, {"rules", rules}};
}

json::object binding(std::string const& kind, std::string const& name, std::string const& role_kind,
                     std::string const& role_name, json::object subject) {
    json::object meta{{"name", name}};
    if (kind == "RoleBinding") meta["namespace"] = "ns1";
    return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
            {"kind", kind},
            {"metadata", meta},
            {"roleRef", json::object{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", role_kind}, {"name", role_name}}},
            {"subjects", json::array{subject}}};
}

json::object agent_subject() { return {{"kind", "ServiceAccount"}, {"name", "agent"}, {"namespace", "ns1"}}; }

std::string const rbac_api = "/apis/rbac.authorization.k8s.io/v1";

void grant(RunningEmulator const& emu, json::object const& role_obj, json::object const& binding_obj) {
    auto admin = emu.admin();
    bool cluster = role_obj.at("kind").as_string() == "ClusterRole";
    auto r1 = admin.post(rbac_api + (cluster ? "/clusterroles" : "/namespaces/ns1/roles"), role_obj);
    BOOST_TEST_REQUIRE(r1.status == 201u, r1.body);
    bool cluster_binding = binding_obj.at("kind").as_string() == "ClusterRoleBinding";
    auto r2 = admin.post(rbac_api + (cluster_binding ? "/clusterrolebindings" : "/namespaces/ns1/rolebindings"),
                         binding_obj);
    BOOST_TEST_REQUIRE(r2.status == 201u, r2.body);
}

json::array rules(std::initializer_list<json::object> items) {
    json::array a;
    for (auto const& i : items) a.push_back(i);
    return a;
}

json::object rule(json::array groups, json::array resources, json::array verbs, json::array names = {}) {
    json::object r{{"apiGroups", groups}, {"resources", resources}, {"verbs", verbs}};
    if (!names.empty()) r["resourceNames"] = names;
    return r;
}

struct KubectlAvailable {
    boost::test_tools::assertion_result operator()(utf::test_unit_id) const {
        boost::test_tools::assertion_result r(!kubectl_path().empty());
        r.message() << "kubectl not found (KUBECTL is empty): skipping the kubectl tests";
        return r;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(audit)

BOOST_AUTO_TEST_CASE(every_committed_write_is_logged_with_its_user_and_lease_holder) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    auto admin = emu.admin();
    BOOST_TEST_REQUIRE(admin.del("/emulator/v1/audit").status == 200u);
    auto sa = agent(emu);
    auto created = sa.post(leases, lease("a"));
    BOOST_TEST_REQUIRE(created.status == 201u, created.body);
    auto body = created.json();
    body["spec"].as_object()["holderIdentity"] = "b";
    BOOST_TEST_REQUIRE(sa.put(leases + "/l1", body).status == 200u);
    // Not logged: a failed write (stale version) and a dry run.
    BOOST_TEST_REQUIRE(sa.put(leases + "/l1", body).status == 409u);
    BOOST_TEST_REQUIRE(admin.post(secrets + "?dryRun=All", secret("dry")).status == 201u);
    BOOST_TEST_REQUIRE(admin.post(secrets, secret("s1")).status == 201u);
    BOOST_TEST_REQUIRE(admin.del(secrets + "/s1").status == 200u);

    auto items = admin.get("/emulator/v1/audit").json().at("items").as_array();
    BOOST_TEST_REQUIRE(items.size() == 4u, json::serialize(items));
    auto const& first = items[0].as_object();
    BOOST_TEST(first.at("user").as_string() == "system:serviceaccount:ns1:agent");
    BOOST_TEST(first.at("verb").as_string() == "create");
    BOOST_TEST(first.at("resource").as_string() == "leases");
    BOOST_TEST(first.at("group").as_string() == "coordination.k8s.io");
    BOOST_TEST(first.at("namespace").as_string() == "ns1");
    BOOST_TEST(first.at("name").as_string() == "l1");
    BOOST_TEST(first.at("holderIdentity").as_string() == "a");
    BOOST_TEST(first.at("resourceVersion").as_string() == created.json().at("metadata").at("resourceVersion").as_string());
    BOOST_TEST(std::regex_match(std::string(first.at("time").as_string()),
                                std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")));
    BOOST_TEST(items[1].at("verb").as_string() == "update");
    BOOST_TEST(items[1].at("holderIdentity").as_string() == "b");
    BOOST_TEST(items[2].at("user").as_string() == "admin");
    BOOST_TEST(items[2].at("resource").as_string() == "secrets");
    BOOST_TEST(!items[2].as_object().contains("holderIdentity"));
    BOOST_TEST(items[3].at("verb").as_string() == "delete");
    BOOST_TEST(std::stoull(std::string(items[3].at("resourceVersion").as_string())) >
               std::stoull(std::string(items[2].at("resourceVersion").as_string())));

    auto denied = sa.get("/emulator/v1/audit");
    BOOST_TEST(denied.status == 403u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rbac)

BOOST_AUTO_TEST_CASE(always_allow_is_the_default) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    BOOST_TEST(agent(emu).post(secrets, secret("s1")).status == 201u);
}

BOOST_AUTO_TEST_CASE(a_service_account_without_bindings_is_forbidden_with_the_upstream_message) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--authorization", "RBAC"});
    BOOST_TEST_REQUIRE(emu.admin().post(secrets, secret("x")).status == 201u);
    auto current = emu.admin().get(secrets + "/x").json();
    auto r = agent(emu).put(secrets + "/x", current);
    BOOST_TEST_REQUIRE(r.status == 403u);
    auto status = r.json();
    BOOST_TEST(status.at("reason").as_string() == "Forbidden");
    BOOST_TEST(status.at("message").as_string() ==
               "secrets \"x\" is forbidden: User \"system:serviceaccount:ns1:agent\" cannot update resource "
               "\"secrets\" in API group \"\" in the namespace \"ns1\"");
    auto w = agent(emu).get(leases + "?watch=1&timeoutSeconds=1");
    BOOST_TEST_REQUIRE(w.status == 403u);
    BOOST_TEST(w.json().at("message").as_string() ==
               "leases.coordination.k8s.io is forbidden: User \"system:serviceaccount:ns1:agent\" cannot watch "
               "resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"ns1\"");
    // Discovery is every authenticated user's.
    BOOST_TEST(agent(emu).get("/apis").status == 200u);
    BOOST_TEST(agent(emu).get("/version").status == 200u);
}

BOOST_AUTO_TEST_CASE(a_role_binding_grants_its_rules_in_its_namespace_only) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--service-account", "ns2/other", "--authorization", "RBAC"});
    grant(emu, role("Role", "leases", rules({rule({"coordination.k8s.io"}, {"leases"}, {"get", "create", "update", "watch"})})),
          binding("RoleBinding", "leases", "Role", "leases", agent_subject()));
    auto sa = agent(emu);
    BOOST_TEST(sa.post(leases, lease("a")).status == 201u);
    BOOST_TEST(sa.get(leases + "/l1").status == 200u);
    BOOST_TEST(sa.get(leases + "?watch=1&timeoutSeconds=1").status == 200u);
    BOOST_TEST(sa.del(leases + "/l1").status == 403u);  // no delete verb
    BOOST_TEST(sa.get("/apis/coordination.k8s.io/v1/namespaces/ns2/leases/l1").status == 403u);
    BOOST_TEST(sa.get(secrets).status == 403u);  // another resource
}

BOOST_AUTO_TEST_CASE(resource_names_restrict_to_the_named_objects) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--authorization", "RBAC"});
    grant(emu, role("Role", "one-secret", rules({rule({""}, {"secrets"}, {"get", "update"}, {"mine"})})),
          binding("RoleBinding", "one-secret", "Role", "one-secret", agent_subject()));
    auto admin = emu.admin();
    BOOST_TEST_REQUIRE(admin.post(secrets, secret("mine")).status == 201u);
    BOOST_TEST_REQUIRE(admin.post(secrets, secret("theirs")).status == 201u);
    auto sa = agent(emu);
    BOOST_TEST(sa.get(secrets + "/mine").status == 200u);
    BOOST_TEST(sa.get(secrets + "/theirs").status == 403u);
    BOOST_TEST(sa.get(secrets).status == 403u);                    // list has no name
    BOOST_TEST(sa.post(secrets, secret("new")).status == 403u);    // nor has create
}

BOOST_AUTO_TEST_CASE(wildcards_and_cluster_bindings_and_group_subjects) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--authorization", "RBAC"});
    grant(emu,
          role("ClusterRole", "core-and-lists",
               rules({rule({""}, {"secrets", "configmaps"}, {"*"}), rule({"coordination.k8s.io"}, {"*"}, {"list"})})),
          binding("ClusterRoleBinding", "core-and-lists", "ClusterRole", "core-and-lists",
                  json::object{{"kind", "Group"}, {"name", "system:serviceaccounts:ns1"}}));
    grant(emu, role("ClusterRole", "tokens", rules({rule({"*"}, {"*/token"}, {"create"})})),
          binding("RoleBinding", "tokens", "ClusterRole", "tokens",
                  json::object{{"kind", "ServiceAccount"}, {"name", "agent"}}));  // namespace from the binding
    auto sa = agent(emu);
    BOOST_TEST(sa.post(secrets, secret("s1")).status == 201u);                      // verbs "*"
    BOOST_TEST(sa.del(secrets + "/s1").status == 200u);
    BOOST_TEST(sa.get("/api/v1/namespaces/default/configmaps").status == 200u);      // cluster-wide binding
    BOOST_TEST(sa.get(leases).status == 200u);                                       // resources "*"
    BOOST_TEST(sa.get(leases + "/l1").status == 403u);                               // ... for list only
    BOOST_TEST(sa.get("/api/v1/namespaces/ns1/serviceaccounts/agent").status == 403u);
    json::object token_request{{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenRequest"},
                               {"spec", json::object{{"audiences", json::array{"istio-ca"}}}}};
    BOOST_TEST(sa.post("/api/v1/namespaces/ns1/serviceaccounts/agent/token", token_request).status == 201u);  // "*/token"
}

BOOST_AUTO_TEST_CASE(auth_can_i_answers_from_rbac, *utf::precondition(KubectlAvailable())) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--authorization", "RBAC"});
    grant(emu, role("Role", "leases", rules({rule({"coordination.k8s.io"}, {"leases"}, {"get", "update"})})),
          binding("RoleBinding", "leases", "Role", "leases", agent_subject()));
    auto kubeconfig = emu.file("serviceaccounts/ns1/agent/kubeconfig");
    auto yes = emu.kubectl({"auth", "can-i", "update", "leases.coordination.k8s.io", "-n", "ns1"}, {}, kubeconfig);
    BOOST_TEST(yes.exit_code == 0, yes.out + yes.err);
    BOOST_TEST(yes.out == "yes\n");
    auto no = emu.kubectl({"auth", "can-i", "create", "secrets", "-n", "ns1"}, {}, kubeconfig);
    BOOST_TEST(no.exit_code == 1, no.out + no.err);
    BOOST_TEST(no.out == "no\n");
    auto admin = emu.kubectl({"auth", "can-i", "create", "secrets", "-n", "ns1"});
    BOOST_TEST(admin.out == "yes\n");
}

BOOST_AUTO_TEST_CASE(a_bad_authorization_mode_is_refused) {
    auto r = gic::test::run_process({emulator_path(), "--state-dir", "/tmp", "--authorization", "ABAC"});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(r.err == "kube-apiserver-emulator: --authorization: expected AlwaysAllow or RBAC, got \"ABAC\"\n");
}

BOOST_AUTO_TEST_SUITE_END()
