#include "kube/token_request.hpp"

#include "util/time_format.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

namespace gic::kube {

namespace json = boost::json;

json::object token_request(std::vector<std::string> const& audiences, std::chrono::seconds expiration) {
    json::array list;
    for (auto const& a : audiences) list.emplace_back(a);
    return json::object{{"apiVersion", "authentication.k8s.io/v1"},
                        {"kind", "TokenRequest"},
                        {"spec", json::object{{"audiences", std::move(list)}, {"expirationSeconds", expiration.count()}}}};
}

Result<IssuedToken> parse_token_request_status(json::object const& answer) {
    auto const* status = answer.if_contains("status");
    if (!status || !status->is_object()) return make_error("the TokenRequest answer has no status");
    auto const* token = status->as_object().if_contains("token");
    if (!token || !token->is_string() || token->as_string().empty()) {
        return make_error("the TokenRequest answer has no status.token");
    }
    auto const* expiry = status->as_object().if_contains("expirationTimestamp");
    if (!expiry || !expiry->is_string()) return make_error("the TokenRequest answer has no status.expirationTimestamp");
    auto const at = util::parse_rfc3339(std::string(expiry->as_string()));
    if (!at) return make_error("the TokenRequest answer's status.expirationTimestamp is not an RFC 3339 time");
    return IssuedToken{std::string(token->as_string()), *at};
}

}  // namespace gic::kube
