#pragma once
// Per-kind behaviour of the registry strategies: defaults applied to written objects, create and
// update validation, and whether PUT may omit resourceVersion or create a missing object.

#include "api_status.hpp"
#include "resources.hpp"

#include <boost/json.hpp>

#include <optional>
#include <vector>

namespace gic::emu::kube {

struct UpdatePolicy {
    bool allow_unconditional_update = true;  // PUT without metadata.resourceVersion
    bool allow_create_on_update = false;     // PUT of a missing object creates it
};

UpdatePolicy update_policy(ResourceType const& type);

// Normalises a body before validation: Secret `type` defaults to Opaque and `stringData` is merged
// into `data`; namespaces get their finalizer and phase. Undecodable content is a 400, as when
// the upstream decoder fails.
std::optional<ApiError> prepare_object(ResourceType const& type, boost::json::object& object);

std::vector<FieldError> validate_create(ResourceType const& type, boost::json::object const& object);
std::vector<FieldError> validate_update(ResourceType const& type, boost::json::object const& old_object,
                                        boost::json::object const& new_object);

}  // namespace gic::emu::kube
