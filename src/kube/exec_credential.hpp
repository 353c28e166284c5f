#pragma once
// client-go's exec credential plugins (client.authentication.k8s.io v1 and v1beta1): the
// ExecCredential sent in KUBERNETES_EXEC_INFO, the one read back from the plugin's stdout, and a
// CredentialProvider that runs the plugin asynchronously and caches what it returns until its
// expirationTimestamp (forever without one), re-running it after a 401. A run is bounded by
// ProcessLimits (deadline, output caps): a plugin that hangs or floods is killed and reported.

#include "kube/async_mutex.hpp"
#include "kube/credential_provider.hpp"
#include "kube/exec_process.hpp"
#include "kube/kubeconfig.hpp"

#include <functional>
#include <optional>

namespace gic::kube {

inline constexpr char const* exec_api_v1 = "client.authentication.k8s.io/v1";
inline constexpr char const* exec_api_v1beta1 = "client.authentication.k8s.io/v1beta1";

// The cluster as the plugin sees it with provideClusterInfo (spec.cluster).
struct ExecClusterInfo {
    std::string server;
    std::string tls_server_name;
    bool insecure_skip_tls_verify = false;
    std::string certificate_authority_pem;  // sent base64-encoded as certificate-authority-data
    std::string proxy_url;
    // The cluster's extensions[client.authentication.k8s.io/exec] as JSON text, sent as
    // spec.cluster.config (client-go's Cluster.Config); "" when the kubeconfig has none.
    std::string config_json;
};

// apiVersion and interactiveMode rules of clientcmd's validation. Errors name the field.
Result<void> validate_exec_config(ExecConfig const& exec);

// KUBERNETES_EXEC_INFO: {"apiVersion", "kind":"ExecCredential", "spec":{"interactive":false, "cluster"?}}.
std::string exec_info_json(ExecConfig const& exec, std::optional<ExecClusterInfo> const& cluster);

// The plugin's stdout. Errors: not JSON, wrong apiVersion or kind, no status, neither token nor
// certificate pair, only half the pair, a bad expirationTimestamp. An expirationTimestamp beyond
// what time_point holds (after 2262) counts as the latest time it holds.
Result<Credentials> parse_exec_credential(std::string const& text, std::string const& api_version);

class ExecCredentialProvider final : public CredentialProvider {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    // `origin` names the kubeconfig and user for messages; `cluster` is passed to the plugin when
    // exec.provide_cluster_info is set.
    ExecCredentialProvider(ExecConfig exec, ExecClusterInfo cluster, std::string origin,
                           Clock clock = [] { return std::chrono::system_clock::now(); });

    boost::asio::awaitable<Result<Credentials>> get() override;
    boost::asio::awaitable<Result<Credentials>> refresh_after_unauthorized(Credentials const& used) override;
    std::string describe() const override;

    // The deadline and output caps of each run (the agent's --exec-plugin-timeout).
    void set_limits(ProcessLimits limits) { limits_ = limits; }

    // How many times the plugin ran (for tests and debug logs).
    int runs() const { return runs_; }

    // The last run failed in a way that may pass by itself (it timed out), rather than because
    // the plugin or its configuration is wrong.
    bool last_failure_transient() const { return last_failure_transient_; }

private:
    boost::asio::awaitable<Result<Credentials>> run_plugin();
    Result<Credentials> finish_run(SpawnResult<ProcessOutcome> const& outcome);
    bool cached_usable() const;

    ExecConfig exec_;
    ExecClusterInfo cluster_;
    std::string origin_;
    Clock clock_;
    std::optional<Credentials> cached_;
    std::optional<AsyncMutex> mutex_;  // made on first use, with the caller's executor
    ProcessLimits limits_;
    int runs_ = 0;
    // The error of the last run when it failed: callers that queued behind that run share it
    // instead of each running the plugin again (each run may take the whole deadline).
    std::optional<Error> last_error_;
    bool last_failure_transient_ = false;
};

}  // namespace gic::kube
