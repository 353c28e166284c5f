#include "agent/inputs/configmap_roots.hpp"

#include "pki/certificate.hpp"

namespace gic::agent {

Result<RootBundle> root_bundle_from_configmap(kube::ConfigMap const& configmap, std::string const& where) {
    auto const pem = configmap.data.find(root_configmap_key);
    if (pem == configmap.data.end()) return make_error(where, std::string("has no key \"") + root_configmap_key + "\"");
    std::string text = pem->second;
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        return make_error(where, std::string("key \"") + root_configmap_key + "\" is empty");
    }
    auto certs = pki::parse_pem_bundle(text);
    if (!certs) return make_error(where + " key \"" + root_configmap_key + "\"", certs.error().message);
    return RootBundle{std::move(text), std::move(*certs)};
}

boost::asio::awaitable<Result<RootBundle>> ConfigMapRootSource::fetch() {
    kube::ResourceRef const ref{"v1", "configmaps", namespace_, root_configmap_name, ""};
    auto answer = co_await api_.get(ref);
    std::string const where = "reading the root certificate from " + describe() + " (no --root-cert-path file)";
    if (!answer) {
        auto const& e = answer.error();
        std::string detail = e.describe();
        if (e.is_forbidden()) {
            detail += " (grant the Kubernetes credentials in use, " + e.credentials +
                      ", a Role with verbs [\"get\"] on resources [\"configmaps\"] and resourceNames [\"" +
                      root_configmap_name + "\"] in namespace " + namespace_ + ")";
        } else if (e.is_not_found()) {
            detail += " (istiod publishes it only into namespaces that are part of the mesh; or mount the root and "
                      "pass --root-cert-path)";
        }
        co_return make_error(where, detail);
    }
    auto configmap = kube::parse_config_map(*answer);
    if (!configmap) co_return wrap_error(where, configmap.error());
    co_return root_bundle_from_configmap(*configmap, where);
}

boost::asio::awaitable<Result<bool>> ConfigMapRootSource::reload() {
    auto fresh = co_await fetch();
    if (!fresh) co_return fresh.error();
    if (fresh->pem == current_.pem) co_return false;
    current_ = std::move(*fresh);
    co_return true;
}

}  // namespace gic::agent
