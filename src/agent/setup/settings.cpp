#include "agent/setup/settings.hpp"

#include "agent/setup/token_claims.hpp"
#include "election/elector_config.hpp"
#include "util/name_rules.hpp"
#include "kube/kubeconfig.hpp"
#include "observe/log.hpp"

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

Result<IdentityPlan> plan_identity(Options const& options, std::optional<std::string> const& mounted_token) {
    IdentityPlan plan;
    plan.target = WorkloadIdentity{options.trust_domain, options.sa_namespace, options.sa_name};
    if (mounted_token) {
        auto claims = parse_token_claims(*mounted_token);
        if (!claims) {
            return make_error("Istio token (--istio-token-path) " + options.istio_token_path, claims.error().message);
        }
        if (auto valid = validate_claimed_names(claims->namespace_, claims->service_account); !valid) {
            return make_error("Istio token (--istio-token-path) " + options.istio_token_path, valid.error().message);
        }
        plan.mounted = WorkloadIdentity{options.trust_domain, claims->namespace_, claims->service_account};
        if (plan.target.namespace_.empty()) plan.target.namespace_ = claims->namespace_;
        if (plan.target.service_account.empty()) plan.target.service_account = claims->service_account;
    } else if (options.sa_namespace.empty() || options.sa_name.empty()) {
        return make_error("no Istio token at " + options.istio_token_path + " (--istio-token-path)",
                          "to mint one with the TokenRequest API set both --sa-namespace and --sa-name (the service "
                          "account to issue the certificate for), or mount a token with audience istio-ca there");
    }
    if (auto valid = validate_identity(plan.target); !valid) return valid.error();
    if (options.leader_elect && !options.once && options.leader_election_id.empty()) {
        // The default Lease name grows the service account's name by 30 characters.
        auto lease = election::default_lease_name(plan.target.service_account);
        if (auto bad = util::name_violation(util::lease_name, lease); !bad.empty())
            return make_error("--leader-election-id", "the default Lease name " + bad + "; set --leader-election-id");
    }
    plan.mint_token = !plan.mounted || plan.mounted->namespace_ != plan.target.namespace_ ||
                      plan.mounted->service_account != plan.target.service_account;
    return plan;
}

Result<kube::RestConfig> select_kube_config(Options const& options) {
    kube::KubeconfigLocations locations;
    locations.explicit_path = options.kubeconfig;
    locations.kubeconfig_env = env("KUBECONFIG");
    locations.home = env("HOME");
    auto const in_cluster = [&] {
        auto dir = std::filesystem::path(options.sa_token_path).parent_path().string();
        kube::InClusterPaths paths{options.sa_token_path, dir + "/ca.crt", dir + "/namespace"};
        return kube::load_in_cluster_config(paths);
    };
    if (!locations.explicit_path.empty() || !locations.kubeconfig_env.empty()) {
        std::string source;
        auto model = kube::load_kubeconfig_model(locations, source);
        if (!model) return model.error();
        // client-go's DeferredLoadingClientConfig: an empty result (KUBECONFIG naming only files
        // that do not exist) falls back to the in-cluster configuration where one is possible.
        if (options.kubeconfig.empty() && kube::kubeconfig_is_empty(*model)) {
            if (!env("KUBERNETES_SERVICE_HOST").empty()) {
                observe::log_info("agent", "none of the KUBECONFIG files exists; using the in-cluster configuration",
                                  {{"KUBECONFIG", locations.kubeconfig_env}});
                return in_cluster();
            }
            return make_error(source, "none of the listed files exists, and not in a cluster (KUBERNETES_SERVICE_HOST "
                                      "is unset)");
        }
        return kube::resolve_kubeconfig(*model, options.context, source);
    }
    if (!env("KUBERNETES_SERVICE_HOST").empty()) return in_cluster();
    std::error_code ec;
    if (!locations.home.empty() && std::filesystem::exists(locations.home + "/.kube/config", ec)) {
        return kube::load_kubeconfig(locations, options.context);
    }
    return make_error("no Kubernetes configuration: not in a cluster (KUBERNETES_SERVICE_HOST is unset), no --kubeconfig, "
                      "no KUBECONFIG and no ~/.kube/config");
}

Result<void> check_bootstrap_trust(kube::RestConfig const& config, IdentityPlan const& plan, bool root_mounted,
                                   Options const& options) {
    if (!config.insecure_skip_tls_verify || !config.ca_pem.empty()) return {};
    if (!plan.mint_token && root_mounted) return {};
    std::string over_api;
    if (!root_mounted) {
        over_api = "the Istio root would be read from ConfigMap " + plan.target.namespace_ + "/istio-ca-root-cert";
    }
    if (plan.mint_token) {
        over_api += std::string(over_api.empty() ? "an Istio token would be" : " and an Istio token") +
                    " minted with TokenRequest";
    }
    if (options.insecure_allow_bootstrap_over_unverified_api) {
        observe::log_warning("agent",
                             "INSECURE: " + over_api + " over an API connection whose certificate is not verified "
                             "(--insecure-allow-bootstrap-over-unverified-api)",
                             {{"origin", config.origin}});
        return {};
    }
    return make_error(config.origin,
                      "insecure-skip-tls-verify is set, so the API server is not verified, yet " + over_api +
                          " over that connection: a man-in-the-middle could hand out its own mesh root and capture "
                          "the minted mesh credential. Set certificate-authority in the kubeconfig, or mount the root "
                          "(--root-cert-path) and the token (--istio-token-path), or accept the risk with "
                          "--insecure-allow-bootstrap-over-unverified-api");
}

std::string replica_name() {
    if (auto pod = env("POD_NAME"); !pod.empty()) return pod;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') return host;
    return "unknown";
}

}  // namespace gic::agent
