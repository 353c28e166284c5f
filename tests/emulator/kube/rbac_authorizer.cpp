#include "rbac_authorizer.hpp"

#include "json_util.hpp"

#include <array>

namespace gic::emu::kube {

namespace json = boost::json;

namespace {

std::string const rbac = ".rbac.authorization.k8s.io";

bool has(json::object const& rule, std::string_view key, std::string_view wanted) {
    auto const* list = rule.if_contains(key);
    if (!list || !list->is_array()) return false;
    for (auto const& v : list->as_array())
        if (v.is_string() && (v.as_string() == wanted || v.as_string() == "*")) return true;
    return false;
}

bool resource_matches(json::object const& rule, AuthorizationAttributes const& a) {
    auto const* list = rule.if_contains("resources");
    if (!list || !list->is_array()) return false;
    std::string const combined = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
    for (auto const& v : list->as_array()) {
        if (!v.is_string()) continue;
        std::string_view const r = v.as_string();
        if (r == "*" || r == combined) return true;
        if (!a.subresource.empty() && r.size() == a.subresource.size() + 2 && r.substr(0, 2) == "*/" &&
            r.substr(2) == a.subresource)
            return true;
    }
    return false;
}

bool resource_name_matches(json::object const& rule, std::string const& name) {
    auto const* list = rule.if_contains("resourceNames");
    if (!list || !list->is_array() || list->as_array().empty()) return true;
    if (name.empty()) return false;
    for (auto const& v : list->as_array())
        if (v.is_string() && v.as_string() == name) return true;
    return false;
}

bool non_resource_url_matches(json::object const& rule, std::string const& path) {
    auto const* list = rule.if_contains("nonResourceURLs");
    if (!list || !list->is_array()) return false;
    for (auto const& v : list->as_array()) {
        if (!v.is_string()) continue;
        std::string_view const u = v.as_string();
        if (u == "*" || u == path) return true;
        if (!u.empty() && u.back() == '*' && path.compare(0, u.size() - 1, u.substr(0, u.size() - 1)) == 0) return true;
    }
    return false;
}

// upstream appliesToUser: `binding_namespace` defaults a ServiceAccount subject's namespace.
bool subject_matches(json::object const& subject, UserInfo const& user, std::string const& binding_namespace) {
    auto const kind = string_field(subject, "kind");
    auto const name = string_field(subject, "name");
    if (kind == "User") return name == user.name;
    if (kind == "Group") return user.in_group(name);
    if (kind == "ServiceAccount") {
        auto ns = string_field(subject, "namespace");
        if (ns.empty()) ns = binding_namespace;
        if (ns.empty()) return false;
        return user.name == "system:serviceaccount:" + ns + ":" + name;
    }
    return false;
}

bool binds(json::object const& binding, UserInfo const& user, std::string const& binding_namespace) {
    auto const* subjects = binding.if_contains("subjects");
    if (!subjects || !subjects->is_array()) return false;
    for (auto const& s : subjects->as_array())
        if (s.is_object() && subject_matches(s.as_object(), user, binding_namespace)) return true;
    return false;
}

bool role_allows(std::optional<json::object> const& role, AuthorizationAttributes const& a) {
    if (!role) return false;  // a binding to a missing role grants nothing
    auto const* rules = role->if_contains("rules");
    if (!rules || !rules->is_array()) return false;
    for (auto const& r : rules->as_array())
        if (r.is_object() && rule_allows(r.as_object(), a)) return true;
    return false;
}

// The bootstrap policy every authenticated user has.
bool bootstrap_allows(AuthorizationAttributes const& a) {
    if (!a.resource_request) {
        if (a.verb != "get") return false;
        static constexpr std::array<std::string_view, 7> exact = {"/api", "/apis", "/version", "/version/",
                                                                  "/healthz", "/livez", "/readyz"};
        for (auto p : exact)
            if (a.path == p) return true;
        for (std::string_view prefix : {"/api/", "/apis/", "/openapi"})
            if (a.path.rfind(prefix, 0) == 0) return true;
        return false;
    }
    return a.group == "authorization.k8s.io" && a.verb == "create" &&
           (a.resource == "selfsubjectaccessreviews" || a.resource == "selfsubjectrulesreviews");
}

}  // namespace

bool rule_allows(json::object const& rule, AuthorizationAttributes const& a) {
    if (!has(rule, "verbs", a.verb)) return false;
    if (!a.resource_request) return non_resource_url_matches(rule, a.path);
    return has(rule, "apiGroups", a.group) && resource_matches(rule, a) && resource_name_matches(rule, a.name);
}

Decision RbacAuthorizer::authorize(UserInfo const& user, AuthorizationAttributes const& a) const {
    if (!user.is_authenticated()) return AllowAuthenticatedAuthorizer().authorize(user, a);
    if (user.in_group(group_masters) || bootstrap_allows(a)) return {true, ""};
    for (auto const& binding : store_.list("clusterrolebindings" + rbac, std::nullopt).items) {
        if (!binds(binding, user, "")) continue;
        auto const* ref = object_field(binding, "roleRef");
        if (ref && string_field(*ref, "kind") == "ClusterRole" &&
            role_allows(store_.get("clusterroles" + rbac, "", string_field(*ref, "name")), a))
            return {true, ""};
    }
    if (a.resource_request && !a.namespace_.empty()) {
        for (auto const& binding : store_.list("rolebindings" + rbac, a.namespace_).items) {
            if (!binds(binding, user, a.namespace_)) continue;
            auto const* ref = object_field(binding, "roleRef");
            if (!ref) continue;
            auto const kind = string_field(*ref, "kind");
            auto const name = string_field(*ref, "name");
            std::optional<json::object> role;
            if (kind == "Role") role = store_.get("roles" + rbac, a.namespace_, name);
            if (kind == "ClusterRole") role = store_.get("clusterroles" + rbac, "", name);
            if (role_allows(role, a)) return {true, ""};
        }
    }
    return {false, ""};
}

}  // namespace gic::emu::kube
