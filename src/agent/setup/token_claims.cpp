#include "agent/setup/token_claims.hpp"

#include "util/base64.hpp"
#include "util/time_bounds.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace gic::agent {
namespace {

std::string string_at(boost::json::object const& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string()) return {};
    return std::string(it->value().get_string());
}

boost::json::object const* object_at(boost::json::object const& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_object()) return nullptr;
    return &it->value().get_object();
}

}  // namespace

Result<TokenClaims> parse_token_claims(std::string_view jwt) {
    if (std::count(jwt.begin(), jwt.end(), '.') != 2)
        return make_error("not a JWT (expected three dot-separated segments)");
    auto first = jwt.find('.');
    auto second = jwt.find('.', first + 1);
    auto payload_text = jwt.substr(first + 1, second - first - 1);
    auto payload = util::base64url_decode(payload_text);
    if (!payload || payload_text.empty()) return make_error("not a JWT (the payload segment is not base64url)");
    boost::system::error_code ec;
    auto value = boost::json::parse(*payload, ec);
    if (ec || !value.is_object()) return make_error("not a JWT (the payload is not a JSON object)");
    auto const& claims = value.get_object();

    TokenClaims out;
    if (auto const* k8s = object_at(claims, "kubernetes.io")) {
        out.namespace_ = string_at(*k8s, "namespace");
        if (auto const* sa = object_at(*k8s, "serviceaccount")) out.service_account = string_at(*sa, "name");
        if (auto const* pod = object_at(*k8s, "pod")) out.pod_name = string_at(*pod, "name");
    }
    if (out.namespace_.empty() || out.service_account.empty()) {
        // Legacy secret-based tokens carry flat claims.
        out.namespace_ = string_at(claims, "kubernetes.io/serviceaccount/namespace");
        out.service_account = string_at(claims, "kubernetes.io/serviceaccount/service-account.name");
    }
    if (out.namespace_.empty() || out.service_account.empty()) {
        constexpr std::string_view prefix = "system:serviceaccount:";
        auto sub = string_at(claims, "sub");
        if (sub.rfind(prefix, 0) == 0) {
            auto rest = sub.substr(prefix.size());
            auto colon = rest.find(':');
            if (colon != std::string::npos && colon > 0 && colon + 1 < rest.size()) {
                out.namespace_ = rest.substr(0, colon);
                out.service_account = rest.substr(colon + 1);
            }
        }
    }
    if (out.namespace_.empty() || out.service_account.empty())
        return make_error("the token names no service account (no kubernetes.io claims and no system:serviceaccount subject)");

    if (auto it = claims.find("aud"); it != claims.end()) {
        if (it->value().is_string()) out.audiences.emplace_back(it->value().get_string());
        if (it->value().is_array())
            for (auto const& a : it->value().get_array())
                if (a.is_string()) out.audiences.emplace_back(a.get_string());
    }
    if (auto it = claims.find("exp"); it != claims.end() && it->value().is_number()) {
        // Any JSON number (1e20, -5, 1.5e9, 2^64-1): clamped, never cast out of range.
        out.expires_at = util::time_from_unix_seconds(it->value().to_number<double>());
    }
    return out;
}

}  // namespace gic::agent
