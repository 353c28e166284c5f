#include "agent/setup/startup_inputs.hpp"

#include "agent/setup/settings.hpp"
#include "kube/exec_credential.hpp"
#include "observe/log.hpp"

#include <boost/asio/this_coro.hpp>

#include <filesystem>
#include <system_error>

namespace gic::agent {
namespace {

template <class T>
T or_config_error(Result<T> r) {
    if (!r) throw ConfigError(r.error().message);
    return std::move(*r);
}

void or_config_error(Result<void> const& r) {
    if (!r) throw ConfigError(r.error().message);
}

bool file_exists(std::string const& path) {
    std::error_code ec;
    return std::filesystem::exists(path, ec);
}

SecretTarget secret_target(Options const& options, WorkloadIdentity const& identity) {
    return {options.output_secret_namespace.empty() ? identity.namespace_ : options.output_secret_namespace,
            options.output_secret};
}

// Why the Kubernetes API is needed, for the error when no configuration is found.
std::string api_purpose(IdentityPlan const& plan, bool root_mounted, Options const& options) {
    if (plan.mint_token && !plan.mounted) {
        return "no Istio token at " + options.istio_token_path + " (--istio-token-path), so one is minted with the "
               "TokenRequest API";
    }
    if (plan.mint_token) {
        return "the Istio token at " + options.istio_token_path + " is for " + plan.mounted->short_name() +
               ", not " + plan.target.short_name() + ", so a token for " + plan.target.short_name() +
               " is minted with the TokenRequest API";
    }
    if (!root_mounted) {
        return "no root certificate at " + options.root_cert_path + " (--root-cert-path), so it is read from ConfigMap " +
               plan.target.namespace_ + "/" + root_configmap_name;
    }
    return "the certificate is written to a Secret (or use --output-dir to write files instead)";
}

}  // namespace

Result<std::string> read_istio_token(Options const& options) {
    return read_token_file(options.istio_token_path, "Istio token (--istio-token-path)");
}

boost::asio::awaitable<StartupInputs> prepare_startup_inputs(Options const& options, kube::ClientOptions const& client_options) {
    auto executor = co_await boost::asio::this_coro::executor;
    StartupInputs in;

    std::optional<std::string> mounted;
    if (file_exists(options.istio_token_path)) mounted = or_config_error(read_istio_token(options));
    auto const plan = or_config_error(plan_identity(options, mounted));
    in.identity = plan.target;
    bool const root_mounted = file_exists(options.root_cert_path);

    if (plan.mint_token || !root_mounted || options.output_dir.empty()) {
        auto config = select_kube_config(options);
        if (!config) throw ConfigError(api_purpose(plan, root_mounted, options) + "; " + config.error().message);
        // Before any credential is sent: no mesh trust learned over an unverified connection.
        or_config_error(check_bootstrap_trust(*config, plan, root_mounted, options));
        auto const exec = std::dynamic_pointer_cast<kube::ExecCredentialProvider>(config->credential_provider);
        if (exec) exec->set_limits(kube::ProcessLimits{options.exec_plugin_timeout});
        // An exec plugin runs here, asynchronously; its failure names the command and its stderr.
        auto completed = co_await kube::complete_credentials(*config);
        // A plugin that timed out may work next time (a runtime failure, exit 1); any other
        // failure means the plugin or its configuration is wrong (exit 2).
        if (!completed && exec && exec->last_failure_transient()) throw std::runtime_error(completed.error().message);
        or_config_error(completed);
        in.kube_config = *config;
        try {
            in.client = std::make_shared<kube::Client>(executor, *config, client_options);
        } catch (ConfigError const& e) {
            throw ConfigError(config->origin + ": " + e.what());
        }
    }

    if (plan.mint_token) {
        if (plan.mounted) {
            observe::log_info("agent", "the mounted Istio token is for another service account; minting one for the "
                                       "target with TokenRequest",
                              {{"mounted", plan.mounted->short_name()}, {"target", plan.target.short_name()}});
        }
        MintRequest request{plan.target.namespace_, plan.target.service_account};
        in.minted_token = std::make_shared<MintedTokenSource>(*in.client, std::move(request), util::system_clock());
        auto const minted = co_await in.minted_token->mint();
        // Before any CA call: a certificate is never requested without a token for the target.
        or_config_error(minted);
        in.token_source = in.minted_token;
    } else {
        in.token_source = std::make_shared<FileTokenSource>(options.istio_token_path);
    }

    if (root_mounted) {
        in.roots = or_config_error(read_root_bundle(options.root_cert_path));
    } else {
        in.configmap_roots = std::make_shared<ConfigMapRootSource>(*in.client, plan.target.namespace_);
        auto const loaded = co_await in.configmap_roots->reload();
        if (!loaded) throw ConfigError(loaded.error().message);
        in.roots = in.configmap_roots->current();
        observe::log_info("agent", "root certificate read from the ConfigMap",
                          {{"configmap", in.configmap_roots->describe()},
                           {"roots", std::to_string(in.roots.certs.size())}});
    }

    if (options.output_dir.empty()) in.target = secret_target(options, in.identity);
    co_return in;
}

istio::CaClientConfig ca_client_config(Options const& options, RootBundle const& roots) {
    return istio::CaClientConfig{options.ca_address, effective_ca_tls_server_name(options), roots.pem, options.cluster_name,
                                 options.ca_call_timeout};
}

}  // namespace gic::agent
