#pragma once
// The trusted root bundle from ConfigMap istio-ca-root-cert (key root-cert.pem), which istiod
// publishes into every mesh namespace: used when no root file is mounted (--root-cert-path is
// absent), for standalone runs with a kubeconfig. RBAC: verb "get" on "configmaps" in the
// namespace (resourceNames: [istio-ca-root-cert] is enough).
//
// Following changes: call reload() whenever the ConfigMap may have changed (a watch on
// configmaps with fieldSelector metadata.name=istio-ca-root-cert, or a periodic get); like
// RootBundleSource it keeps the previous bundle when the new one is unusable.

#include "agent/inputs/mounted_files.hpp"
#include "kube/api.hpp"
#include "kube/config_map.hpp"
#include "util/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>

namespace gic::agent {

inline constexpr char const* root_configmap_name = "istio-ca-root-cert";
inline constexpr char const* root_configmap_key = "root-cert.pem";

// The bundle in a ConfigMap object. Errors name the ConfigMap and the key.
Result<RootBundle> root_bundle_from_configmap(kube::ConfigMap const& configmap, std::string const& where);

class ConfigMapRootSource {
public:
    ConfigMapRootSource(kube::Api& api, std::string namespace_)
        : api_(api), namespace_(std::move(namespace_)) {}

    // Reads the ConfigMap. Errors name it and, on 403, the RBAC permission; on 404 that istiod has
    // not published it into this namespace.
    boost::asio::awaitable<Result<RootBundle>> fetch();

    // fetch() and keep the result: true when the bundle changed. An error leaves current() as it was.
    boost::asio::awaitable<Result<bool>> reload();

    RootBundle const& current() const { return current_; }
    std::string describe() const { return "ConfigMap " + namespace_ + "/" + root_configmap_name; }

private:
    kube::Api& api_;
    std::string namespace_;
    RootBundle current_;
};

}  // namespace gic::agent
