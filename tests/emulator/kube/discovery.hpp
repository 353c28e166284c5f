#pragma once
// Discovery as kubectl 1.32 needs it (kubectl-surface.md section 1): /version reporting minor 32
// (the kubectl dispatcher picks its binary from it), aggregated discovery on /api and /apis
// when asked for with the apidiscovery media type, legacy APIVersions/APIGroupList otherwise,
// per-group-version APIResourceLists, and the OpenAPI v3 root and group-version documents whose
// PATCH operations advertise fieldValidation (so kubectl validates on the server).

#include "request.hpp"

#include <optional>

namespace gic::emu::kube {

// The answer for a non-resource discovery path, or nullopt when the path is not one.
std::optional<Reply> handle_discovery(RequestInfo const& info, HttpRequest const& request);

}  // namespace gic::emu::kube
