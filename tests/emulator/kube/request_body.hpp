#pragma once
// Request bodies: JSON, or the Kubernetes protobuf envelope kubectl 1.32's typed commands send.

#include "request.hpp"
#include "server_context.hpp"

#include <boost/json.hpp>

namespace gic::emu::kube {

// Decodes the body as an object of `type`'s kind; fills in kind and apiVersion when absent and
// rejects a body of another kind or version (400), a body that is not an object (400) and an
// unknown content type (415).
ApiResult<boost::json::object> decode_object_body(HttpRequest const& request, ResourceType const& type);
// The same for a body of a given kind not backed by a resource type (TokenRequest).
ApiResult<boost::json::object> decode_object_body(HttpRequest const& request, std::string const& api_version,
                                                   std::string const& kind);
// A body that may be empty (DELETE options); an empty body is an empty object.
ApiResult<boost::json::object> decode_optional_json_body(HttpRequest const& request);

}  // namespace gic::emu::kube
