#include "authz.hpp"

#include <array>

namespace gic::emu::kube {

AuthorizationAttributes AuthorizationAttributes::from(RequestInfo const& info) {
    AuthorizationAttributes a;
    a.verb = info.verb;
    a.resource_request = info.resource_request;
    a.group = info.group;
    a.version = info.version;
    a.resource = info.resource;
    a.subresource = info.subresource;
    a.namespace_ = info.namespace_;
    a.name = info.name;
    a.path = info.path;
    return a;
}

Decision AllowAuthenticatedAuthorizer::authorize(UserInfo const& user, AuthorizationAttributes const& a) const {
    if (user.is_authenticated()) return {true, ""};
    static constexpr std::array<std::string_view, 5> public_paths = {"/version", "/healthz", "/livez", "/readyz",
                                                                     "/version/"};
    if (!a.resource_request && a.verb == "get")
        for (auto p : public_paths)
            if (a.path == p) return {true, ""};
    return {false, ""};
}

std::string forbidden_message(UserInfo const& user, AuthorizationAttributes const& a, std::string const& reason) {
    std::string msg;
    if (!a.resource_request) {
        msg = "forbidden: User " + go_quote(user.name) + " cannot " + a.verb + " path " + go_quote(a.path);
    } else {
        std::string resource = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
        // NewForbidden names the GroupResource (no subresource); the sentence names resource/subresource.
        std::string qualified = a.group.empty() ? a.resource : a.resource + "." + a.group;
        msg = qualified + (a.name.empty() ? "" : " " + go_quote(a.name)) + " is forbidden: User " + go_quote(user.name) +
              " cannot " + a.verb + " resource " + go_quote(resource) + " in API group " + go_quote(a.group);
        msg += a.namespace_.empty() ? " at the cluster scope" : " in the namespace " + go_quote(a.namespace_);
    }
    if (!reason.empty()) msg += ": " + reason;
    return msg;
}

}  // namespace gic::emu::kube
