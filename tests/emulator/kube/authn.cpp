#include "authn.hpp"

#include "api_status.hpp"
#include "json_util.hpp"

#include <algorithm>
#include <chrono>

namespace gic::emu::kube {

bool UserInfo::in_group(std::string_view group) const {
    return std::find(groups.begin(), groups.end(), group) != groups.end();
}

Authenticator::Authenticator(TokenSigner const& signer, ObjectStore const& store, std::vector<std::string> api_audiences)
    : signer_(signer), store_(store), api_audiences_(std::move(api_audiences)) {}

AuthnResult Authenticator::authenticate(PeerCertificate const& peer, std::string_view authorization_header) const {
    std::string cert_error;
    if (peer.present) {
        if (peer.verified && !peer.common_name.empty()) {
            UserInfo user{peer.common_name, "", peer.organizations, {}};
            if (!user.in_group(group_authenticated)) user.groups.emplace_back(group_authenticated);
            return {AuthnResult::Outcome::authenticated, std::move(user), {}};
        }
        cert_error = "x509: client certificate not signed by the client CA or without a common name";
    }
    if (!authorization_header.empty()) {
        constexpr std::string_view bearer = "Bearer ";
        if (authorization_header.size() <= bearer.size() ||
            !std::equal(bearer.begin(), bearer.end(), authorization_header.begin(),
                        [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
            return {AuthnResult::Outcome::rejected, {}, "unsupported Authorization scheme"};
        auto review = review_token(authorization_header.substr(bearer.size()), {});
        if (!review.authenticated) return {AuthnResult::Outcome::rejected, {}, review.error};
        return {AuthnResult::Outcome::authenticated, std::move(review.user), {}};
    }
    if (!cert_error.empty()) return {AuthnResult::Outcome::rejected, {}, cert_error};
    return {AuthnResult::Outcome::anonymous, UserInfo{"system:anonymous", "", {"system:unauthenticated"}, {}}, {}};
}

TokenReviewResult Authenticator::review_token(std::string_view token, std::vector<std::string> const& requested) const {
    TokenReviewResult result;
    auto const& targets = requested.empty() ? api_audiences_ : requested;
    auto claims = signer_.verify(token, std::chrono::system_clock::now());
    if (!claims) {
        result.error = claims.error().message;
        return result;
    }
    for (auto const& a : claims->audiences)
        if (std::find(targets.begin(), targets.end(), a) != targets.end()) result.audiences.push_back(a);
    if (result.audiences.empty()) {
        result.error = "token audiences " + go_quote_list(claims->audiences) + " is invalid for the target audiences " +
                       go_quote_list(targets);
        return result;
    }
    auto sa = store_.get("serviceaccounts", claims->namespace_, claims->service_account);
    if (!sa) {
        result.audiences.clear();
        result.error = "serviceaccounts " + go_quote(claims->service_account) + " not found";
        return result;
    }
    auto uid = metadata_string(*sa, "uid");
    if (uid != claims->service_account_uid) {
        result.audiences.clear();
        result.error = "service account UID (" + uid + ") does not match claim (" + claims->service_account_uid + ")";
        return result;
    }
    if (claims->bound && claims->bound->kind == "Secret") {
        auto secret = store_.get("secrets", claims->namespace_, claims->bound->name);
        if (!secret || metadata_string(*secret, "uid") != claims->bound->uid) {
            result.audiences.clear();
            result.error = "secret " + go_quote(claims->bound->name) + " bound to the token no longer exists";
            return result;
        }
    }
    result.authenticated = true;
    result.user.name = claims->subject();
    result.user.uid = uid;
    result.user.groups = {"system:serviceaccounts", "system:serviceaccounts:" + claims->namespace_,
                          std::string(group_authenticated)};
    if (claims->bound && claims->bound->kind == "Pod") {
        result.user.extra["authentication.kubernetes.io/pod-name"] = {claims->bound->name};
        result.user.extra["authentication.kubernetes.io/pod-uid"] = {claims->bound->uid};
    }
    if (!claims->id.empty()) result.user.extra["authentication.kubernetes.io/credential-id"] = {"JTI=" + claims->id};
    return result;
}

}  // namespace gic::emu::kube
