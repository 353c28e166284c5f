#pragma once
// Decodes Kubernetes protobuf request bodies (the "k8s\0" envelope around runtime.Unknown) into
// the JSON object the API would have received, for the kinds kubectl 1.32's typed commands send:
// Secret, ConfigMap, TokenRequest, SelfSubjectAccessReview. Field numbers follow
// kubectl-surface.md section 2. Zero values are treated as unset.

#include "util/error.hpp"

#include <boost/json.hpp>

#include <string_view>

namespace gic::emu::kube {

inline constexpr std::string_view protobuf_content_type = "application/vnd.kubernetes.protobuf";

Result<boost::json::object> decode_kubernetes_protobuf(std::string_view body);

}  // namespace gic::emu::kube
