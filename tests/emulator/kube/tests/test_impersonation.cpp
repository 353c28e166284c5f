// Impersonate-* headers, authorized with the `impersonate` verb as kube-apiserver's filter does.

#include "emulator_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace gic::emu::kube::test;
namespace json = boost::json;

namespace {

std::string const secrets = "/api/v1/namespaces/ns1/secrets";
std::string const rbac_api = "/apis/rbac.authorization.k8s.io/v1";
std::string const agent_user = "system:serviceaccount:ns1:agent";

ApiClient agent(RunningEmulator const& emu) {
    return emu.with_token(gic::test::read_file(emu.file("serviceaccounts/ns1/agent/token")));
}

// A ClusterRole with one rule and its ClusterRoleBinding to ns1/agent.
void grant_agent(RunningEmulator const& emu, std::string const& name, json::object rule) {
    auto admin = emu.admin();
    json::object role{{"apiVersion", "rbac.authorization.k8s.io/v1"},
                      {"kind", "ClusterRole"},
                      {"metadata", json::object{{"name", name}}},
                      {"rules", json::array{std::move(rule)}}};
    BOOST_TEST_REQUIRE(admin.post(rbac_api + "/clusterroles", role).status == 201u);
    json::object binding{
        {"apiVersion", "rbac.authorization.k8s.io/v1"},
        {"kind", "ClusterRoleBinding"},
        {"metadata", json::object{{"name", name}}},
        {"roleRef", json::object{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", name}}},
        {"subjects", json::array{json::object{{"kind", "ServiceAccount"}, {"name", "agent"}, {"namespace", "ns1"}}}}};
    BOOST_TEST_REQUIRE(admin.post(rbac_api + "/clusterrolebindings", binding).status == 201u);
}

json::object rule(json::array groups, json::array resources, json::array verbs, json::array names = {}) {
    json::object r{{"apiGroups", std::move(groups)}, {"resources", std::move(resources)}, {"verbs", std::move(verbs)}};
    if (!names.empty()) r["resourceNames"] = std::move(names);
    return r;
}

std::string message(HttpResult const& r) { return std::string(r.json().at("message").as_string()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(impersonation)

BOOST_AUTO_TEST_CASE(an_impersonated_service_account_gets_exactly_its_own_permissions) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--authorization", "RBAC"});
    auto admin = emu.admin();
    std::map<std::string, std::string> const as_agent{{"Impersonate-User", agent_user}};
    auto refused = admin.request("GET", secrets, {}, "application/json", as_agent);
    BOOST_TEST_REQUIRE(refused.status == 403u, refused.body);
    BOOST_TEST(message(refused) == "secrets is forbidden: User \"system:serviceaccount:ns1:agent\" cannot list "
                                   "resource \"secrets\" in API group \"\" in the namespace \"ns1\"");
    BOOST_TEST(admin.get(secrets).status == 200u);  // without the header the admin lists them
    grant_agent(emu, "read-secrets", rule({""}, {"secrets"}, {"list"}));
    auto allowed = admin.request("GET", secrets, {}, "application/json", as_agent);
    BOOST_TEST(allowed.status == 200u, allowed.body);
    // The request log names the user the request ran as.
    auto log = admin.get("/emulator/v1/requests").json().at("items").as_array();
    std::size_t as_agent_count = 0;
    for (auto const& r : log)
        if (r.at("user").as_string() == agent_user && r.at("verb").as_string() == "list") ++as_agent_count;
    BOOST_TEST(as_agent_count == 2u);
}

BOOST_AUTO_TEST_CASE(impersonating_without_the_verb_is_forbidden_with_the_upstream_message) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--authorization", "RBAC"});
    auto r = agent(emu).request("GET", secrets, {}, "application/json", {{"Impersonate-User", "admin"}});
    BOOST_TEST_REQUIRE(r.status == 403u, r.body);
    BOOST_TEST(message(r) == "users \"admin\" is forbidden: User \"system:serviceaccount:ns1:agent\" cannot "
                             "impersonate resource \"users\" in API group \"\" at the cluster scope");
    BOOST_TEST(r.json().at("details").at("kind").as_string() == "users");
}

BOOST_AUTO_TEST_CASE(groups_uid_or_extra_without_a_user_are_a_bad_request) {
    RunningEmulator emu({"--service-account", "ns1/agent"});
    for (auto const& [header, value] : std::map<std::string, std::string>{
             {"Impersonate-Group", "system:masters"}, {"Impersonate-Uid", "1234"}, {"Impersonate-Extra-Scopes", "view"}}) {
        auto r = emu.admin().request("GET", secrets, {}, "application/json", {{header, value}});
        BOOST_TEST_REQUIRE(r.status == 400u, header + ": " + r.body);
        BOOST_TEST(message(r).find("without impersonating a user") != std::string::npos, r.body);
    }
}

BOOST_AUTO_TEST_CASE(each_group_and_extra_needs_its_own_grant) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--service-account", "ns2/other", "--authorization", "RBAC"});
    grant_agent(emu, "as-other", rule({""}, {"serviceaccounts"}, {"impersonate"}, {"other"}));
    auto sa = agent(emu);
    std::map<std::string, std::string> as_other{{"Impersonate-User", "system:serviceaccount:ns2:other"}};
    // Allowed to become ns2/other, whose own permissions (none) then apply.
    auto r = sa.request("GET", "/api/v1/namespaces/ns2/secrets", {}, "application/json", as_other);
    BOOST_TEST_REQUIRE(r.status == 403u, r.body);
    BOOST_TEST(message(r).find("User \"system:serviceaccount:ns2:other\" cannot list") != std::string::npos, r.body);
    // Adding a group needs `impersonate` on that group.
    as_other["Impersonate-Group"] = "system:masters";
    r = sa.request("GET", "/api/v1/namespaces/ns2/secrets", {}, "application/json", as_other);
    BOOST_TEST_REQUIRE(r.status == 403u, r.body);
    BOOST_TEST(message(r) == "groups \"system:masters\" is forbidden: User \"system:serviceaccount:ns1:agent\" "
                             "cannot impersonate resource \"groups\" in API group \"\" at the cluster scope");
    // An extra needs userextras/<key> in authentication.k8s.io.
    as_other.erase("Impersonate-Group");
    as_other["Impersonate-Extra-Scopes"] = "view";
    r = sa.request("GET", "/api/v1/namespaces/ns2/secrets", {}, "application/json", as_other);
    BOOST_TEST_REQUIRE(r.status == 403u, r.body);
    BOOST_TEST(message(r) == "userextras.authentication.k8s.io \"view\" is forbidden: User "
                             "\"system:serviceaccount:ns1:agent\" cannot impersonate resource \"userextras/scopes\" in "
                             "API group \"authentication.k8s.io\" at the cluster scope");
    // Another service account than the granted name stays refused.
    r = sa.request("GET", secrets, {}, "application/json", {{"Impersonate-User", "system:serviceaccount:ns1:agent2"}});
    BOOST_TEST(r.status == 403u, r.body);
}

BOOST_AUTO_TEST_CASE(an_impersonated_admin_group_is_honoured_when_granted) {
    RunningEmulator emu({"--service-account", "ns1/agent", "--authorization", "RBAC"});
    grant_agent(emu, "as-anyone", rule({""}, {"users", "groups"}, {"impersonate"}));
    auto r = agent(emu).request("GET", secrets, {}, "application/json",
                                {{"Impersonate-User", "someone"}, {"Impersonate-Group", "system:masters"}});
    BOOST_TEST(r.status == 200u, r.body);
}

BOOST_AUTO_TEST_SUITE_END()
