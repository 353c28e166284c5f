#pragma once
// Authorization: the step between authentication and the handlers. Today every authenticated
// user may do everything (and anonymous callers may read the public-info paths, like the
// system:public-info-viewer role); RBAC evaluation replaces AllowAuthenticatedAuthorizer later
// without touching the pipeline.

#include "authn.hpp"
#include "request.hpp"

#include <string>

namespace gic::emu::kube {

struct AuthorizationAttributes {
    std::string verb;
    bool resource_request = false;
    std::string group, version, resource, subresource, namespace_, name;
    std::string path;  // for non-resource requests

    static AuthorizationAttributes from(RequestInfo const& info);
};

struct Decision {
    bool allowed = false;
    std::string reason;  // shown as "no - <reason>" by kubectl auth can-i, appended to Forbidden
};

class Authorizer {
public:
    virtual ~Authorizer() = default;
    virtual Decision authorize(UserInfo const& user, AuthorizationAttributes const& attributes) const = 0;
};

class AllowAuthenticatedAuthorizer final : public Authorizer {
public:
    Decision authorize(UserInfo const& user, AuthorizationAttributes const& attributes) const override;
};

// The upstream Forbidden message: `secrets "x" is forbidden: User "u" cannot get resource
// "secrets" in API group "" in the namespace "ns"`, or `forbidden: User "u" cannot get path "/x"`.
std::string forbidden_message(UserInfo const& user, AuthorizationAttributes const& a, std::string const& reason);

}  // namespace gic::emu::kube
