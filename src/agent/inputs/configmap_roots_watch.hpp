#pragma once
// Follows ConfigMap istio-ca-root-cert (key root-cert.pem) through the API when the roots are not
// mounted (standalone use): a watch on the one ConfigMap (kube::follow_object), so a root rotation
// published by istiod reaches the agent at once, without polling. A deleted ConfigMap or an
// unusable bundle keeps the current roots (and says so in the log).
//
// RBAC: "list" and "watch" on configmaps in the namespace, besides the "get" used at startup.

#include "agent/inputs/root_bundle_source.hpp"
#include "kube/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

namespace gic::agent {

// Runs until cancelled; `roots_changed` is called after `roots` took a new bundle.
boost::asio::awaitable<void> follow_root_configmap(kube::Client& client, std::string namespace_, RootBundleSource& roots,
                                                   std::function<void()> roots_changed);

}  // namespace gic::agent
