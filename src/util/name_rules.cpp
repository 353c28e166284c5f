#include "util/name_rules.hpp"

#include <cstdio>

namespace gic::util {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool printable_ascii(char c) { return c >= 0x20 && c <= 0x7e; }

// The character in single quotes, escaped as \xNN unless printable.
std::string char_text(char c) {
    if (printable_ascii(c) && c != '\'' && c != '\\') return std::string("'") + c + "'";
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", unsigned(static_cast<unsigned char>(c)));
    return std::string("'") + hex + "'";
}

std::string too_long(std::size_t max) { return "longer than " + std::to_string(max) + " characters"; }

// IsDNS1123Label without its length limit (a subdomain's parts share the subdomain's 253).
std::string label_shape_problem(std::string_view part) {
    if (part.empty()) return "empty";
    for (char c : part)
        if (!lower_alnum(c) && c != '-') return "contains " + char_text(c);
    if (!lower_alnum(part.front()) || !lower_alnum(part.back())) return "does not start and end with a letter or digit";
    return {};
}

// apimachinery util/validation IsDNS1123Label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63.
std::string dns1123_label_problem(std::string_view value) {
    if (value.size() > 63) return too_long(63);
    return label_shape_problem(value);
}

// apimachinery util/validation IsDNS1123Subdomain: labels joined by '.', at most 253.
std::string dns1123_subdomain_problem(std::string_view value) {
    if (value.size() > 253) return too_long(253);
    if (value.empty()) return "empty";
    for (std::size_t start = 0;;) {
        auto dot = value.find('.', start);
        auto part = value.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (auto p = label_shape_problem(part); !p.empty()) {
            if (part.empty()) return "has an empty part between dots";
            return p;
        }
        if (dot == std::string_view::npos) return {};
        start = dot + 1;
    }
}

std::string host_name_problem(std::string_view value) {
    std::string lower(value);
    for (char& c : lower)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return dns1123_subdomain_problem(lower);
}

// apimachinery api/validation/path IsValidPathSegmentName, then ValidateServiceAccountName.
std::string service_account_name_problem(std::string_view value) {
    if (value == "." || value == "..") return "may not be '" + std::string(value) + "'";
    for (char c : value)
        if (c == '/' || c == '%') return "contains " + char_text(c);
    return dns1123_subdomain_problem(value);
}

std::string trust_domain_problem(std::string_view value) {
    if (value.empty()) return "empty";
    if (value.size() > 255) return too_long(255);
    for (char c : value) {
        if (lower_alnum(c) || c == '.' || c == '-' || c == '_') continue;
        if (c == ':') return "contains ':' (no port)";
        if (c == '@') return "contains '@' (no user info)";
        return "contains " + char_text(c);
    }
    return {};
}

// gRPC accepts 0x20-0x7e in ASCII metadata values; CR, LF or NUL would split or end the header.
std::string header_value_problem(std::string_view value) {
    if (value.size() > 253) return too_long(253);
    for (char c : value)
        if (!printable_ascii(c)) return "contains " + char_text(c);
    if (!value.empty() && (value.front() == ' ' || value.back() == ' ')) return "starts or ends with a space";
    return {};
}

constexpr char label_rule[] =
    "a DNS-1123 label: at most 63 lower-case letters, digits or '-', starting and ending with a letter or digit";
constexpr char subdomain_rule[] =
    "a DNS-1123 subdomain: at most 253 characters, dot-separated parts of lower-case letters, digits or '-', "
    "each starting and ending with a letter or digit";

}  // namespace

NameRule const namespace_name{"namespace name", label_rule, dns1123_label_problem};
NameRule const secret_name{"Secret name", subdomain_rule, dns1123_subdomain_problem};
NameRule const lease_name{"Lease name", subdomain_rule, dns1123_subdomain_problem};
NameRule const service_account_name{"service account name", subdomain_rule, service_account_name_problem};
NameRule const host_name{"host name",
                          "a DNS name: at most 253 characters, dot-separated parts of letters, digits or '-', each "
                          "starting and ending with a letter or digit",
                          host_name_problem};
NameRule const spiffe_trust_domain{
    "SPIFFE trust domain", "at most 255 lower-case letters, digits, '.', '-' or '_'", trust_domain_problem};
NameRule const grpc_header_value{
    "header value", "at most 253 printable ASCII characters, no leading or trailing space", header_value_problem};

std::string name_violation(NameRule const& rule, std::string_view value) {
    auto problem = rule.problem(value);
    if (problem.empty()) return {};
    return quoted(value) + " is not a valid " + rule.kind + ": " + problem + " (" + rule.rule + ")";
}

std::string escaped(std::string_view value, std::size_t shown) {
    std::string out;
    for (std::size_t i = 0; i < value.size() && i < shown; ++i) {
        char c = value[i];
        if (printable_ascii(c) && c != '"' && c != '\\') {
            out += c;
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", unsigned(static_cast<unsigned char>(c)));
            out += hex;
        }
    }
    if (value.size() > shown) out += "...";
    return out;
}

std::string quoted(std::string_view value) { return "\"" + escaped(value) + "\""; }

}  // namespace gic::util
