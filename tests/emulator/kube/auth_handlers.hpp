#pragma once
// The authentication/authorization endpoints that compute rather than store: TokenRequest
// (serviceaccounts/<name>/token), TokenReview and SelfSubjectAccessReview.

#include "authn.hpp"
#include "request.hpp"
#include "server_context.hpp"

namespace gic::emu::kube {

Reply handle_token_request(ServerContext& ctx, RequestInfo const& info, HttpRequest const& request);
Reply handle_token_review(ServerContext& ctx, HttpRequest const& request);
Reply handle_self_subject_access_review(ServerContext& ctx, UserInfo const& user, HttpRequest const& request);

}  // namespace gic::emu::kube
