#include "api_status.hpp"

#include <cstdio>

namespace gic::emu::kube {

namespace json = boost::json;

FieldError FieldError::required(std::string field, std::string detail) {
    return {Type::required, std::move(field), std::move(detail), {}};
}
FieldError FieldError::invalid(std::string field, std::string value, std::string detail) {
    return {Type::invalid, std::move(field), std::move(detail), std::move(value)};
}
FieldError FieldError::forbidden(std::string field, std::string detail) {
    return {Type::forbidden, std::move(field), std::move(detail), {}};
}
FieldError FieldError::too_long(std::string field, long long max_bytes) {
    return {Type::too_long, std::move(field), "may not be more than " + std::to_string(max_bytes) + " bytes", {}};
}

std::string FieldError::reason() const {
    switch (type) {
    case Type::required: return "FieldValueRequired";
    case Type::invalid: return "FieldValueInvalid";
    case Type::forbidden: return "FieldValueForbidden";
    case Type::too_long: return "FieldValueTooLong";
    case Type::not_supported: return "FieldValueNotSupported";
    }
    return "FieldValueInvalid";
}

std::string FieldError::body() const {
    std::string s;
    switch (type) {
    case Type::required: s = "Required value"; break;
    case Type::invalid: s = "Invalid value: " + value; break;
    case Type::forbidden: s = "Forbidden"; break;
    case Type::too_long: s = "Too long"; break;
    case Type::not_supported: s = "Unsupported value: " + value; break;
    }
    if (!detail.empty()) s += ": " + detail;
    return s;
}

json::object ApiError::to_status() const {
    json::object s;
    s["kind"] = "Status";
    s["apiVersion"] = "v1";
    s["metadata"] = json::object();
    s["status"] = "Failure";
    s["message"] = message;
    if (!reason.empty()) s["reason"] = reason;
    json::object d = details;
    if (retry_after_seconds && *retry_after_seconds > 0) d["retryAfterSeconds"] = *retry_after_seconds;
    if (!d.empty()) s["details"] = std::move(d);
    s["code"] = static_cast<std::int64_t>(code);
    return s;
}

std::string go_quote(std::string const& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

std::string go_quote_list(std::vector<std::string> const& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += " ";
        out += go_quote(items[i]);
    }
    return out + "]";
}

namespace {

json::object name_details(ResourceType const& type, std::string const& name) {
    json::object d;
    if (!name.empty()) d["name"] = name;
    if (!type.group.empty()) d["group"] = type.group;
    d["kind"] = type.plural;
    return d;
}

}  // namespace

ApiError not_found(ResourceType const& type, std::string const& name) {
    return {404, "NotFound", type.qualified_plural() + " " + go_quote(name) + " not found", name_details(type, name), {}};
}

ApiError already_exists(ResourceType const& type, std::string const& name) {
    return {409, "AlreadyExists", type.qualified_plural() + " " + go_quote(name) + " already exists",
            name_details(type, name), {}};
}

ApiError conflict(ResourceType const& type, std::string const& name, std::string const& why) {
    return {409, "Conflict",
            "Operation cannot be fulfilled on " + type.qualified_plural() + " " + go_quote(name) + ": " + why,
            name_details(type, name), {}};
}

ApiError stale_update_conflict(ResourceType const& type, std::string const& name) {
    return conflict(type, name,
                    "the object has been modified; please apply your changes to the latest version and try again");
}

ApiError invalid(std::string const& kind_text, std::string const& group, std::string const& details_kind,
                 std::string const& name, std::vector<FieldError> const& errors) {
    std::string agg;
    if (errors.size() == 1) {
        agg = errors[0].to_string();
    } else {
        agg = "[";
        for (std::size_t i = 0; i < errors.size(); ++i) agg += (i ? ", " : "") + errors[i].to_string();
        agg += "]";
    }
    json::object d;
    if (!name.empty()) d["name"] = name;
    if (!group.empty()) d["group"] = group;
    d["kind"] = details_kind;
    json::array causes;
    for (auto const& e : errors)
        causes.push_back(json::object{{"reason", e.reason()}, {"message", e.body()}, {"field", e.field}});
    d["causes"] = std::move(causes);
    return {422, "Invalid", kind_text + " " + go_quote(name) + " is invalid: " + agg, std::move(d), {}};
}

ApiError invalid_object(ResourceType const& type, std::string const& name, std::vector<FieldError> const& errors) {
    return invalid(type.qualified_kind(), type.group, type.kind, name, errors);
}

ApiError bad_request(std::string message) { return {400, "BadRequest", std::move(message), {}, {}}; }

ApiError unauthorized() { return {401, "Unauthorized", "Unauthorized", {}, {}}; }

ApiError forbidden(std::string message, ResourceType const* type, std::string const& name) {
    json::object d;
    if (type) d = name_details(*type, name);
    return {403, "Forbidden", std::move(message), std::move(d), {}};
}

ApiError method_not_allowed(std::string message) { return {405, "MethodNotAllowed", std::move(message), {}, {}}; }

ApiError unsupported_media_type(std::string const& content_type) {
    return {415, "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json, "
            "application/vnd.kubernetes.protobuf (got " + go_quote(content_type) + ")",
            {}, {}};
}

ApiError internal_error(std::string message) {
    return {500, "InternalError", "Internal error occurred: " + std::move(message), {}, {}};
}

std::string default_reason(unsigned code) {
    switch (code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 410: return "Expired";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "";
    }
}

ApiError status_from_code(unsigned code, std::string reason, std::string message) {
    if (reason.empty()) reason = default_reason(code);
    return {code, std::move(reason), std::move(message), {}, {}};
}

}  // namespace gic::emu::kube
