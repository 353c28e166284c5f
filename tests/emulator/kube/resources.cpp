#include "resources.hpp"

namespace gic::emu::kube {
namespace {

std::vector<std::string> const crud_verbs = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};

std::vector<ResourceType> make_types() {
    std::vector<ResourceType> t;
    t.push_back({"", "v1", "configmaps", "configmap", "ConfigMap", true, true, crud_verbs, {"cm"}, {}});
    t.push_back({"", "v1", "events", "event", "Event", true, true, crud_verbs, {"ev"}, {}});
    t.push_back({"", "v1", "namespaces", "namespace", "Namespace", false, true,
                 {"create", "delete", "get", "list", "patch", "update", "watch"}, {"ns"}, {}});
    t.push_back({"", "v1", "secrets", "secret", "Secret", true, true, crud_verbs, {}, {}});
    t.push_back({"", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, true, crud_verbs, {"sa"},
                 {{"token", "authentication.k8s.io", "v1", "TokenRequest", {"create"}}}});
    t.push_back({"authentication.k8s.io", "v1", "tokenreviews", "tokenreview", "TokenReview", false, false,
                 {"create"}, {}, {}});
    t.push_back({"authorization.k8s.io", "v1", "selfsubjectaccessreviews", "selfsubjectaccessreview",
                 "SelfSubjectAccessReview", false, false, {"create"}, {}, {}});
    t.push_back({"coordination.k8s.io", "v1", "leases", "lease", "Lease", true, true, crud_verbs, {}, {}});
    t.push_back({"rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding",
                 "ClusterRoleBinding", false, true, crud_verbs, {}, {}});
    t.push_back({"rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, true,
                 crud_verbs, {}, {}});
    t.push_back({"rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, true,
                 crud_verbs, {}, {}});
    t.push_back({"rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, true, crud_verbs, {}, {}});
    return t;
}

std::vector<GroupVersion> make_group_versions() {
    std::vector<GroupVersion> out;
    for (auto const& r : all_resource_types()) {
        bool seen = false;
        for (auto const& gv : out) seen = seen || (gv.group == r.group && gv.version == r.version);
        if (!seen) out.push_back({r.group, r.version});
    }
    return out;
}

}  // namespace

std::vector<ResourceType> const& all_resource_types() {
    static std::vector<ResourceType> const types = make_types();
    return types;
}

std::vector<GroupVersion> const& served_group_versions() {
    static std::vector<GroupVersion> const gvs = make_group_versions();
    return gvs;
}

ResourceType const* find_resource_type(std::string_view group, std::string_view version, std::string_view plural) {
    for (auto const& r : all_resource_types())
        if (r.group == group && r.version == version && r.plural == plural) return &r;
    return nullptr;
}

ResourceType const* find_resource_type_by_kind(std::string_view group, std::string_view kind) {
    for (auto const& r : all_resource_types())
        if (r.group == group && r.kind == kind) return &r;
    return nullptr;
}

}  // namespace gic::emu::kube
