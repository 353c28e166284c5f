#include "agent/identity.hpp"

#include <cctype>

namespace gic::agent {
namespace {

bool is_dns1123_label(std::string const& s) {
    if (s.empty() || s.size() > 63) return false;
    for (char c : s)
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
            return false;
    return std::isalnum(static_cast<unsigned char>(s.front())) && std::isalnum(static_cast<unsigned char>(s.back()));
}

bool is_dns1123_subdomain(std::string const& s) {
    if (s.empty() || s.size() > 253) return false;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto dot = s.find('.', start);
        auto label = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!is_dns1123_label(label)) return false;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return true;
}

bool is_trust_domain(std::string const& s) {
    if (s.empty() || s.size() > 255) return false;
    for (char c : s)
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
              c == '.' || c == '_'))
            return false;
    return true;
}

}  // namespace

std::string WorkloadIdentity::spiffe_id() const {
    return "spiffe://" + trust_domain + "/ns/" + namespace_ + "/sa/" + service_account;
}

Result<void> validate_identity(WorkloadIdentity const& identity) {
    if (!is_trust_domain(identity.trust_domain))
        return make_error("--trust-domain: \"" + identity.trust_domain +
                          "\" is not a valid SPIFFE trust domain (lower-case letters, digits, '.', '-', '_')");
    if (!is_dns1123_label(identity.namespace_))
        return make_error("--sa-namespace: \"" + identity.namespace_ + "\" is not a valid namespace name (DNS-1123 label)");
    if (!is_dns1123_subdomain(identity.service_account))
        return make_error("--sa-name: \"" + identity.service_account +
                          "\" is not a valid service account name (DNS-1123 subdomain)");
    return {};
}

}  // namespace gic::agent
