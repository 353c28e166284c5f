#include "impersonation.hpp"

#include <algorithm>
#include <cctype>

namespace gic::emu::kube {

namespace {

constexpr std::string_view extra_prefix = "impersonate-extra-";
constexpr std::string_view sa_prefix = "system:serviceaccount:";

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// One thing the requestor asks to act as, with the attributes its `impersonate` check uses.
struct ImpersonationRequest {
    enum class Kind { user, service_account, group, extra, uid } kind;
    AuthorizationAttributes attributes;
    std::string value;      // user name, group, uid or extra value
    std::string extra_key;  // for Kind::extra
};

AuthorizationAttributes impersonate_attributes(std::string group, std::string resource, std::string name) {
    AuthorizationAttributes a;
    a.verb = "impersonate";
    a.resource_request = true;
    a.group = std::move(group);
    a.version = "v1";
    a.resource = std::move(resource);
    a.name = std::move(name);
    return a;
}

// serviceaccount.SplitUsername: "system:serviceaccount:<ns>:<name>" with both parts non-empty and
// no further colon.
std::optional<std::pair<std::string, std::string>> split_service_account(std::string_view user) {
    if (user.substr(0, sa_prefix.size()) != sa_prefix) return std::nullopt;
    auto rest = user.substr(sa_prefix.size());
    auto colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) return std::nullopt;
    if (rest.find(':', colon + 1) != std::string_view::npos) return std::nullopt;
    return std::pair{std::string(rest.substr(0, colon)), std::string(rest.substr(colon + 1))};
}

// buildImpersonationRequests: the user first, then groups, extras and the uid.
std::vector<ImpersonationRequest> requests_from(HttpRequest const& request) {
    std::vector<ImpersonationRequest> out;
    using Kind = ImpersonationRequest::Kind;
    auto user_it = request.find("Impersonate-User");
    if (user_it != request.end() && !user_it->value().empty()) {
        std::string user(user_it->value());
        if (auto sa = split_service_account(user)) {
            auto a = impersonate_attributes("", "serviceaccounts", sa->second);
            a.namespace_ = sa->first;
            out.push_back({Kind::service_account, std::move(a), user, {}});
        } else {
            out.push_back({Kind::user, impersonate_attributes("", "users", user), user, {}});
        }
    }
    auto groups = request.equal_range("Impersonate-Group");
    for (auto it = groups.first; it != groups.second; ++it) {
        std::string group(it->value());
        out.push_back({Kind::group, impersonate_attributes("", "groups", group), group, {}});
    }
    for (auto const& field : request) {
        auto name = lower(field.name_string());
        if (name.size() <= extra_prefix.size() || name.compare(0, extra_prefix.size(), extra_prefix) != 0) continue;
        // Header names carry the key percent-encoded (unescapeExtraKey).
        auto key = url_decode(std::string_view(name).substr(extra_prefix.size()));
        std::string value(field.value());
        auto a = impersonate_attributes("authentication.k8s.io", "userextras", value);
        a.subresource = key;
        out.push_back({Kind::extra, std::move(a), value, key});
    }
    auto uid_it = request.find("Impersonate-Uid");
    if (uid_it != request.end() && !uid_it->value().empty()) {
        std::string uid(uid_it->value());
        out.push_back({Kind::uid, impersonate_attributes("authentication.k8s.io", "uids", uid), uid, {}});
    }
    return out;
}

// %v of the []ObjectReference upstream prints in the BadRequest message, shortened to kinds and names.
std::string describe(std::vector<ImpersonationRequest> const& requests) {
    std::string out = "[";
    for (auto const& r : requests) {
        if (out.size() > 1) out += " ";
        out += "{" + r.attributes.resource + " " + r.value + "}";
    }
    return out + "]";
}

}  // namespace

std::optional<ImpersonationResult> impersonate(UserInfo const& requestor, HttpRequest const& request,
                                               Authorizer const& authorizer) {
    using Kind = ImpersonationRequest::Kind;
    auto requests = requests_from(request);
    if (requests.empty()) return std::nullopt;
    bool const has_user = std::any_of(requests.begin(), requests.end(), [](auto const& r) {
        return r.kind == Kind::user || r.kind == Kind::service_account;
    });
    if (!has_user) return ApiError(bad_request("requested " + describe(requests) + " without impersonating a user"));

    bool const groups_specified = request.find("Impersonate-Group") != request.end();
    UserInfo acting;
    for (auto const& r : requests) {
        switch (r.kind) {
        case Kind::service_account:
            acting.name = r.value;
            if (!groups_specified)
                acting.groups = {"system:serviceaccounts", "system:serviceaccounts:" + r.attributes.namespace_};
            break;
        case Kind::user: acting.name = r.value; break;
        case Kind::group: acting.groups.push_back(r.value); break;
        case Kind::extra: acting.extra[r.extra_key].push_back(r.value); break;
        case Kind::uid: acting.uid = r.value; break;
        }
        auto decision = authorizer.authorize(requestor, r.attributes);
        if (!decision.allowed) {
            if (!requestor.is_authenticated()) return ApiError(unauthorized());
            auto error = forbidden(forbidden_message(requestor, r.attributes, decision.reason));
            error.details = {{"name", r.attributes.name}, {"kind", r.attributes.resource}};
            if (!r.attributes.group.empty()) error.details["group"] = r.attributes.group;
            return error;
        }
    }
    // Every non-anonymous user is in system:authenticated (and anonymous in system:unauthenticated).
    bool const anonymous = acting.name == "system:anonymous";
    std::string const implied = anonymous ? "system:unauthenticated" : std::string(group_authenticated);
    bool const has_implied = std::any_of(acting.groups.begin(), acting.groups.end(), [&](auto const& g) {
        return g == implied || (!anonymous && g == "system:unauthenticated");
    });
    if (!has_implied) acting.groups.push_back(implied);
    return acting;
}

}  // namespace gic::emu::kube
