#include "agent/decisions/identity.hpp"

#include "util/name_rules.hpp"

namespace gic::agent {

std::string WorkloadIdentity::spiffe_id() const {
    return "spiffe://" + trust_domain + "/ns/" + namespace_ + "/sa/" + service_account;
}

Result<void> validate_identity(WorkloadIdentity const& identity) {
    if (auto bad = util::name_violation(util::spiffe_trust_domain, identity.trust_domain); !bad.empty())
        return make_error("--trust-domain", bad);
    if (auto bad = util::name_violation(util::namespace_name, identity.namespace_); !bad.empty())
        return make_error("--sa-namespace", bad);
    if (auto bad = util::name_violation(util::service_account_name, identity.service_account); !bad.empty())
        return make_error("--sa-name", bad);
    return {};
}

Result<void> validate_claimed_names(std::string const& namespace_, std::string const& service_account) {
    if (auto bad = util::name_violation(util::namespace_name, namespace_); !bad.empty())
        return make_error("its namespace claim " + bad);
    if (auto bad = util::name_violation(util::service_account_name, service_account); !bad.empty())
        return make_error("its service account claim " + bad);
    return {};
}

std::optional<std::string> other_trust_domain(std::string_view uri, WorkloadIdentity const& expected) {
    constexpr std::string_view scheme = "spiffe://";
    if (uri.substr(0, scheme.size()) != scheme) return std::nullopt;
    auto const rest = uri.substr(scheme.size());
    auto const slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;
    auto const domain = rest.substr(0, slash);
    auto const path = rest.substr(slash);
    if (path != "/ns/" + expected.namespace_ + "/sa/" + expected.service_account) return std::nullopt;
    if (domain == expected.trust_domain) return std::nullopt;
    return std::string(domain);
}

}  // namespace gic::agent
