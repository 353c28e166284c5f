#pragma once
// The generic REST verbs for stored resources (get, list, create, update, patch, delete), with
// the registry semantics upstream's generic store has: namespace checks, resourceVersion
// preconditions, create-on-update, dryRun, and per-kind defaults and validation.

#include "request.hpp"
#include "resources.hpp"
#include "server_context.hpp"

namespace gic::emu::kube {

Reply handle_crud(ServerContext& ctx, ResourceType const& type, RequestInfo const& info, HttpRequest const& request);

// Creates the namespace (and its `default` service account) if missing; used at startup.
void ensure_namespace(ObjectStore& store, std::string const& name);
// Creates the service account if missing and returns its uid.
std::string ensure_service_account(ObjectStore& store, std::string const& ns, std::string const& name);

}  // namespace gic::emu::kube
