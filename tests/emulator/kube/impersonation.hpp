#pragma once
// Impersonation, as kube-apiserver's WithImpersonation filter does it (apiserver
// pkg/endpoints/filters/impersonation): `Impersonate-User`, `Impersonate-Group` (repeated),
// `Impersonate-Uid` and `Impersonate-Extra-<key>` headers, each authorized for the requesting user
// with the `impersonate` verb (users, groups, serviceaccounts, uids and userextras/<key> in
// authentication.k8s.io), then the request runs as the impersonated user.

#include "authz.hpp"
#include "request.hpp"

#include <optional>
#include <variant>

namespace gic::emu::kube {

// No impersonation header: std::nullopt. Otherwise the user to act as, or the error to answer
// (400 for groups/uid/extra without a user, 403 naming the refused impersonation).
using ImpersonationResult = std::variant<UserInfo, ApiError>;
std::optional<ImpersonationResult> impersonate(UserInfo const& requestor, HttpRequest const& request,
                                               Authorizer const& authorizer);

}  // namespace gic::emu::kube
