#include "agent/startup.hpp"

#include "agent/token_claims.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace gic::agent {
namespace {

std::string env(char const* name) {
    char const* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

}  // namespace

Result<WorkloadIdentity> resolve_identity(Options const& options, std::string const& istio_token) {
    WorkloadIdentity id{options.trust_domain, options.sa_namespace, options.sa_name};
    auto claims = parse_token_claims(istio_token);
    if (!claims) {
        return make_error("Istio token (--istio-token-path) " + options.istio_token_path, claims.error().message);
    }
    if (id.namespace_.empty()) id.namespace_ = claims->namespace_;
    if (id.service_account.empty()) id.service_account = claims->service_account;
    if (auto valid = validate_identity(id); !valid) return valid.error();
    if (id.namespace_ != claims->namespace_ || id.service_account != claims->service_account) {
        return make_error("the Istio token (--istio-token-path " + options.istio_token_path + ") belongs to " +
                          claims->namespace_ + "/" + claims->service_account + " but the identity asked for is " +
                          id.short_name() + "; istiod issues certificates only for the token's own service account");
    }
    return id;
}

Result<kube::RestConfig> select_kube_config(Options const& options) {
    if (!options.kubeconfig.empty()) return kube::load_kubeconfig(options.kubeconfig, options.context);
    if (auto list = env("KUBECONFIG"); !list.empty()) {
        std::size_t start = 0;
        while (start <= list.size()) {
            auto end = list.find(':', start);
            auto path = list.substr(start, end == std::string::npos ? std::string::npos : end - start);
            if (!path.empty() && std::filesystem::exists(path)) return kube::load_kubeconfig(path, options.context);
            if (end == std::string::npos) break;
            start = end + 1;
        }
        return make_error("KUBECONFIG=" + list + ": none of the files exists");
    }
    if (!env("KUBERNETES_SERVICE_HOST").empty()) {
        auto dir = std::filesystem::path(options.sa_token_path).parent_path().string();
        kube::InClusterPaths paths{options.sa_token_path, dir + "/ca.crt", dir + "/namespace"};
        return kube::load_in_cluster_config(paths);
    }
    if (auto home = env("HOME"); !home.empty() && std::filesystem::exists(home + "/.kube/config"))
        return kube::load_kubeconfig(home + "/.kube/config", options.context);
    return make_error("no Kubernetes configuration: not in a cluster (KUBERNETES_SERVICE_HOST is unset), no --kubeconfig, "
                      "no KUBECONFIG and no ~/.kube/config (or use --output-dir to write files instead of a Secret)");
}

std::string replica_name() {
    if (auto pod = env("POD_NAME"); !pod.empty()) return pod;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') return host;
    return "unknown";
}

}  // namespace gic::agent
