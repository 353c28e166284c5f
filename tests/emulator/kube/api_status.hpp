#pragma once
// Kubernetes `Status` errors with upstream reasons, codes and message wording
// (apimachinery pkg/api/errors and pkg/util/validation/field).

#include "resources.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace gic::emu::kube {

// One validation failure, rendered like field.Error: "<field>: <type>: <value>: <detail>".
struct FieldError {
    enum class Type { required, invalid, forbidden, too_long, not_supported };
    Type type;
    std::string field;
    std::string detail;
    // The bad value already formatted the way Go's %#v shows it ("\"abc\"", "0x0", "0").
    std::string value;

    static FieldError required(std::string field, std::string detail = {});
    static FieldError invalid(std::string field, std::string value, std::string detail);
    static FieldError forbidden(std::string field, std::string detail);
    static FieldError too_long(std::string field, long long max_bytes);

    std::string reason() const;  // FieldValueRequired, ...
    std::string body() const;    // the message without the field prefix
    std::string to_string() const { return field + ": " + body(); }
};

struct ApiError {
    unsigned code = 500;
    std::string reason;   // "" renders no reason field
    std::string message;
    boost::json::object details;  // omitted when empty
    std::optional<int> retry_after_seconds;

    boost::json::object to_status() const;
};

// Go %q of a string: "abc" with escapes.
std::string go_quote(std::string const& s);
// Go %q of a []string: ["a" "b"].
std::string go_quote_list(std::vector<std::string> const& items);

ApiError not_found(ResourceType const& type, std::string const& name);
ApiError already_exists(ResourceType const& type, std::string const& name);
ApiError conflict(ResourceType const& type, std::string const& name, std::string const& why);
ApiError stale_update_conflict(ResourceType const& type, std::string const& name);
// `Secret "x" is invalid: ...` (kind_text is a GroupKind string such as "Secret" or
// "leases.coordination.k8s.io"; details.kind is `details_kind`).
ApiError invalid(std::string const& kind_text, std::string const& group, std::string const& details_kind,
                 std::string const& name, std::vector<FieldError> const& errors);
ApiError invalid_object(ResourceType const& type, std::string const& name, std::vector<FieldError> const& errors);
ApiError bad_request(std::string message);
ApiError unauthorized();
ApiError forbidden(std::string message, ResourceType const* type = nullptr, std::string const& name = {});
ApiError method_not_allowed(std::string message);
ApiError unsupported_media_type(std::string const& content_type);
ApiError internal_error(std::string message);
ApiError status_from_code(unsigned code, std::string reason, std::string message);
// The reason upstream uses for an HTTP code ("TooManyRequests" for 429, ...).
std::string default_reason(unsigned code);

}  // namespace gic::emu::kube
