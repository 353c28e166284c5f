#include "router.hpp"

#include "auth_handlers.hpp"
#include "crud_handlers.hpp"
#include "discovery.hpp"

namespace gic::emu::kube {

namespace {

Reply not_found_reply() {
    return error_reply(status_from_code(404, "NotFound", "the server could not find the requested resource"));
}

}  // namespace

Reply route(ServerContext& ctx, RequestInfo const& info, HttpRequest const& request, UserInfo const& user) {
    if (!info.resource_request) {
        if (auto reply = handle_discovery(info, request)) return std::move(*reply);
        return not_found_reply();
    }
    auto const* type = find_resource_type(info.group, info.version, info.resource);
    if (!type) return not_found_reply();
    if (!type->namespaced && !info.namespace_.empty() && type->plural != "namespaces") return not_found_reply();
    if (type->plural == "serviceaccounts" && info.subresource == "token")
        return handle_token_request(ctx, info, request);
    if (!type->stored) {
        if (info.verb != "create" || !info.name.empty())
            return error_reply(method_not_allowed("the server does not allow this method on the requested resource"));
        if (type->plural == "tokenreviews") return handle_token_review(ctx, request);
        if (type->plural == "selfsubjectaccessreviews") return handle_self_subject_access_review(ctx, user, request);
        return not_found_reply();
    }
    return handle_crud(ctx, *type, info, request);
}

}  // namespace gic::emu::kube
