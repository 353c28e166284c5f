#pragma once
// RBAC authorization as the API server's RBAC authorizer evaluates it: the Roles and
// ClusterRoles bound to the caller by RoleBindings (in the request's namespace) and
// ClusterRoleBindings, read from the store at each request. Subjects: ServiceAccount (namespace
// defaulting to the RoleBinding's), User, Group. Rules: apiGroups, resources (with
// "resource/subresource", "*/subresource" and "*"), verbs, resourceNames, nonResourceURLs (with a
// trailing "*"). Group system:masters is allowed everything, as upstream's superuser group. The
// bootstrap roles every authenticated user has (system:discovery, system:basic-user,
// system:public-info-viewer) are built in.

#include "authz.hpp"
#include "store.hpp"

namespace gic::emu::kube {

class RbacAuthorizer final : public Authorizer {
public:
    explicit RbacAuthorizer(ObjectStore const& store) : store_(store) {}
    Decision authorize(UserInfo const& user, AuthorizationAttributes const& attributes) const override;

private:
    ObjectStore const& store_;
};

// Whether one PolicyRule (as stored JSON) allows the request.
bool rule_allows(boost::json::object const& rule, AuthorizationAttributes const& attributes);

}  // namespace gic::emu::kube
