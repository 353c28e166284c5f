#include "authenticator.hpp"

#include <algorithm>

namespace gic::emu::istiod {

Result<std::string> extract_bearer_token(std::vector<std::string> const& authorization_values) {
    static constexpr std::string_view prefix = "Bearer ";
    if (authorization_values.empty())
        return make_error("target JWT extraction error: no HTTP authorization header exists");
    for (auto const& value : authorization_values)
        if (value.compare(0, prefix.size(), prefix) == 0) return value.substr(prefix.size());
    return make_error("target JWT extraction error: no bearer token exists in HTTP authorization header");
}

std::string extract_cluster_id(std::vector<std::string> const& clusterid_values) {
    return clusterid_values.size() == 1 ? clusterid_values.front() : std::string();
}

Result<void> select_cluster(std::string const& claimed, std::string const& local_cluster_id) {
    if (claimed.empty() || claimed == local_cluster_id) return {};
    return make_error("client claims to be in cluster \"" + claimed + "\", but we only know about local cluster \"" +
                      local_cluster_id + "\" and remote clusters []");
}

Result<ServiceAccount> service_account_from_review(TokenReviewResult const& review, std::string const& claimed_cluster) {
    auto failed = [&](std::string const& reason) {
        return make_error("failed to validate the JWT from cluster \"" + claimed_cluster + "\"", reason);
    };
    if (!review.api_error.empty()) return failed(review.api_error);
    if (!review.error.empty()) return failed("the service account authentication returns an error: " + review.error);
    if (!review.authenticated) return failed("the token is not authenticated");
    if (std::find(review.groups.begin(), review.groups.end(), "system:serviceaccounts") == review.groups.end())
        return failed("the token is not a service account");
    // "system:serviceaccount:<namespace>:<name>"
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        auto colon = review.username.find(':', start);
        parts.push_back(review.username.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    if (parts.size() != 4 || parts[0] != "system" || parts[1] != "serviceaccount")
        return failed("invalid username field in the token review result");
    if (parts[3].empty()) return make_error("failed to parse the JWT; service account required");
    if (parts[2].empty()) return make_error("failed to parse the JWT; namespace required");
    return ServiceAccount{parts[2], parts[3]};
}

std::string spiffe_id(std::string const& trust_domain, ServiceAccount const& account) {
    return "spiffe://" + trust_domain + "/ns/" + account.namespace_ + "/sa/" + account.name;
}

}  // namespace gic::emu::istiod
