#pragma once
// Maps an authenticated, authorized request to its handler: discovery and OpenAPI, the
// computed auth endpoints, or the generic REST verbs of a stored resource.

#include "authn.hpp"
#include "request.hpp"
#include "server_context.hpp"

namespace gic::emu::kube {

Reply route(ServerContext& ctx, RequestInfo const& info, HttpRequest const& request, UserInfo const& user);

}  // namespace gic::emu::kube
