#include "auth_handlers.hpp"

#include "json_util.hpp"
#include "request_body.hpp"

#include <chrono>
#include <cstdint>

#include <algorithm>
namespace gic::emu::kube {

namespace json = boost::json;

namespace {

std::vector<std::string> string_list(json::object const& o, std::string_view key) {
    std::vector<std::string> out;
    if (auto const* v = o.if_contains(key); v && v->is_array())
        for (auto const& s : v->as_array())
            if (s.is_string()) out.emplace_back(s.as_string());
    return out;
}

json::array to_json_array(std::vector<std::string> const& v) {
    json::array a;
    for (auto const& s : v) a.emplace_back(s);
    return a;
}

}  // namespace

Reply handle_token_request(ServerContext& ctx, RequestInfo const& info, HttpRequest const& request) {
    auto const& sa_type = *find_resource_type("", "v1", "serviceaccounts");
    if (info.verb != "create")
        return error_reply(method_not_allowed("the server does not allow this method on the requested resource"));
    auto body = decode_object_body(request, "authentication.k8s.io/v1", "TokenRequest");
    if (!body) return error_reply(body.error());
    auto sa = ctx.store.get("serviceaccounts", info.namespace_, info.name);
    if (!sa) return error_reply(not_found(sa_type, info.name));

    json::object spec;
    if (auto const* s = object_field(*body, "spec")) spec = *s;
    std::int64_t expiration = 3600;
    if (auto const* e = spec.if_contains("expirationSeconds"); e && !e->is_null()) {
        if (e->is_int64()) expiration = e->as_int64();
        else if (e->is_uint64()) expiration = static_cast<std::int64_t>(e->as_uint64());
    }
    std::vector<FieldError> errors;
    if (expiration < 600)
        errors.push_back(FieldError::invalid("spec.expirationSeconds", std::to_string(expiration),
                                             "may not specify a duration less than 10 minutes"));
    if (expiration > (std::int64_t{1} << 32))
        errors.push_back(FieldError::invalid("spec.expirationSeconds", std::to_string(expiration),
                                             "may not specify a duration larger than 2^32 seconds"));
    TokenClaims claims;
    claims.namespace_ = info.namespace_;
    claims.service_account = info.name;
    claims.service_account_uid = metadata_string(*sa, "uid");
    claims.audiences = string_list(spec, "audiences");
    if (claims.audiences.empty()) claims.audiences = ctx.authenticator.api_audiences();
    if (auto const* ref = object_field(spec, "boundObjectRef")) {
        BoundObject bound{string_field(*ref, "kind"), string_field(*ref, "name"), string_field(*ref, "uid")};
        if (bound.kind != "Pod" && bound.kind != "Secret") {
            errors.push_back({FieldError::Type::not_supported, "spec.boundObjectRef.kind", "",
                              go_quote(bound.kind) + ": supported values: \"Pod\", \"Secret\""});
        } else if (bound.kind == "Secret" && errors.empty()) {
            auto const& secret_type = *find_resource_type("", "v1", "secrets");
            auto secret = ctx.store.get("secrets", info.namespace_, bound.name);
            if (!secret) return error_reply(not_found(secret_type, bound.name));
            auto uid = metadata_string(*secret, "uid");
            if (!bound.uid.empty() && bound.uid != uid)
                return error_reply(conflict(secret_type, bound.name,
                                            "the UID in the bound object reference (" + bound.uid +
                                                ") does not match the UID in record. The object might have been "
                                                "deleted and then recreated"));
            bound.uid = uid;
        }
        // The emulator serves no Pods: a Pod reference is taken as given.
        claims.bound = bound;
    }
    if (!errors.empty())
        return error_reply(invalid("TokenRequest.authentication.k8s.io", "authentication.k8s.io", "TokenRequest",
                                   info.name, errors));

    // Capped after validation, as kube-apiserver does; the answer shows what was granted.
    if (ctx.max_token_expiration.count() > 0) expiration = std::min<std::int64_t>(expiration, ctx.max_token_expiration.count());
    auto now = std::chrono::system_clock::now();
    auto token = ctx.signer.issue(claims, now, std::chrono::seconds(expiration));
    spec["audiences"] = to_json_array(claims.audiences);
    spec["expirationSeconds"] = expiration;
    if (!spec.contains("boundObjectRef")) spec["boundObjectRef"] = nullptr;
    json::object meta{{"name", info.name}, {"namespace", info.namespace_}, {"creationTimestamp", format_rfc3339(now)}};
    json::object reply{{"kind", "TokenRequest"},
                       {"apiVersion", "authentication.k8s.io/v1"},
                       {"metadata", std::move(meta)},
                       {"spec", std::move(spec)},
                       {"status", json::object{{"token", token},
                                               {"expirationTimestamp",
                                                format_rfc3339(now + std::chrono::seconds(expiration))}}}};
    return json_reply(http::status::created, reply);
}

Reply handle_token_review(ServerContext& ctx, HttpRequest const& request) {
    auto body = decode_object_body(request, "authentication.k8s.io/v1", "TokenReview");
    if (!body) return error_reply(body.error());
    json::object spec;
    if (auto const* s = object_field(*body, "spec")) spec = *s;
    auto token = string_field(spec, "token");
    if (token.empty()) return error_reply(bad_request("token is required for TokenReview in authentication"));
    auto result = ctx.authenticator.review_token(token, string_list(spec, "audiences"));
    json::object status{{"authenticated", result.authenticated}};
    if (result.authenticated) {
        json::object user{{"username", result.user.name},
                          {"uid", result.user.uid},
                          {"groups", to_json_array(result.user.groups)}};
        if (!result.user.extra.empty()) {
            json::object extra;
            for (auto const& [k, v] : result.user.extra) extra[k] = to_json_array(v);
            user["extra"] = std::move(extra);
        }
        status["user"] = std::move(user);
        status["audiences"] = to_json_array(result.audiences);
    } else {
        status["user"] = json::object();
        status["error"] = result.error;
    }
    json::object meta = object_field(*body, "metadata") ? *object_field(*body, "metadata") : json::object();
    meta["creationTimestamp"] = nullptr;
    json::object reply{{"kind", "TokenReview"},
                       {"apiVersion", "authentication.k8s.io/v1"},
                       {"metadata", std::move(meta)},
                       {"spec", std::move(spec)},
                       {"status", std::move(status)}};
    return json_reply(http::status::created, reply);
}

Reply handle_self_subject_access_review(ServerContext& ctx, UserInfo const& user, HttpRequest const& request) {
    auto body = decode_object_body(request, "authorization.k8s.io/v1", "SelfSubjectAccessReview");
    if (!body) return error_reply(body.error());
    json::object spec;
    if (auto const* s = object_field(*body, "spec")) spec = *s;
    auto const* ra = object_field(spec, "resourceAttributes");
    auto const* na = object_field(spec, "nonResourceAttributes");
    if ((ra == nullptr) == (na == nullptr))
        return error_reply(invalid("SelfSubjectAccessReview.authorization.k8s.io", "authorization.k8s.io",
                                   "SelfSubjectAccessReview", "",
                                   {FieldError::invalid("spec.resourceAttributes", "\"null\"",
                                                        "exactly one of nonResourceAttributes or resourceAttributes "
                                                        "must be specified")}));
    AuthorizationAttributes attrs;
    if (ra) {
        attrs.resource_request = true;
        attrs.namespace_ = string_field(*ra, "namespace");
        attrs.verb = string_field(*ra, "verb");
        attrs.group = string_field(*ra, "group");
        attrs.version = string_field(*ra, "version");
        attrs.resource = string_field(*ra, "resource");
        attrs.subresource = string_field(*ra, "subresource");
        attrs.name = string_field(*ra, "name");
    } else {
        attrs.path = string_field(*na, "path");
        attrs.verb = string_field(*na, "verb");
    }
    auto decision = ctx.authorizer.authorize(user, attrs);
    json::object status{{"allowed", decision.allowed}};
    if (!decision.reason.empty()) status["reason"] = decision.reason;
    json::object meta = object_field(*body, "metadata") ? *object_field(*body, "metadata") : json::object();
    meta["creationTimestamp"] = nullptr;
    json::object reply{{"kind", "SelfSubjectAccessReview"},
                       {"apiVersion", "authorization.k8s.io/v1"},
                       {"metadata", std::move(meta)},
                       {"spec", std::move(spec)},
                       {"status", std::move(status)}};
    return json_reply(http::status::created, reply);
}

}  // namespace gic::emu::kube
