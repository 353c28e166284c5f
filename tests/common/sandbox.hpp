#pragma once
// Both emulators running on loopback for one test: a kube-apiserver-emulator with the gateway's
// service account, and an istiod-emulator that reviews tokens against it and publishes its root.
// Helpers run the real agent binary and the real kubectl against them.

#include "common/process.hpp"
#include "common/temp_dir.hpp"

#include <boost/json/object.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace gic::test {

struct SandboxOptions {
    std::string chain = "self";  // istiod-emulator --chain
    std::vector<std::string> extra_istiod_args;
    std::vector<std::string> extra_kube_args;
};

class Sandbox {
public:
    static constexpr char const* sa_namespace = "envoy-gateway-system";
    static constexpr char const* sa_name = "teg-istio";

    explicit Sandbox(SandboxOptions options = {});
    ~Sandbox();

    std::string const& state_dir() const { return dir_.path(); }
    std::string kube_dir() const { return dir_.file("kube"); }
    std::string istiod_dir() const { return dir_.file("istiod"); }
    std::string admin_kubeconfig() const { return kube_dir() + "/admin.kubeconfig"; }
    std::string sa_dir() const;
    std::string root_cert() const { return istiod_dir() + "/root-cert.pem"; }
    std::string ca_address() const { return "127.0.0.1:" + istiod_port_; }
    std::string istiod_admin() const { return istiod_admin_url_; }

    // The agent's flags for the sandbox's service account (sidecar-like mounts, kubeconfig auth).
    std::vector<std::string> agent_args() const;
    // Runs gen-istio-cert with agent_args() (minus the flags that `extra` sets) followed by `extra`.
    ProcessResult run_agent(std::vector<std::string> const& extra, std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

    // Starts gen-istio-cert in continuous mode (agent_args() minus what `extra` sets, then `extra`);
    // its output goes to <state>/<log_name>.log.
    std::unique_ptr<ChildProcess> start_agent(std::vector<std::string> const& extra, std::string const& log_name,
                                              std::vector<std::string> const& env = {"POD_NAME=gateway-0"}) const;

    // The istiod emulator's admin endpoint, parsed (GET /requests, POST /rotate-root ...).
    boost::json::value istiod_admin_get(std::string const& path) const;
    void istiod_admin_post(std::string const& path, std::string const& json) const;

    // kubectl with the admin kubeconfig and a private cache dir.
    ProcessResult kubectl(std::vector<std::string> const& args, std::string const& stdin_text = {}) const;
    bool has_kubectl() const { return !kubectl_.empty(); }
    // GET of the object through kubectl -o json (or nullopt-like empty object when not found).
    boost::json::object get_json(std::string const& resource, std::string const& name, std::string const& ns) const;

    // A kube-apiserver-emulator admin list ("/emulator/v1/requests", "/emulator/v1/audit"): its items.
    boost::json::array kube_admin_items(std::string const& path) const;

    // Fault injection.
    void kube_fault(std::string const& json) const;
    void clear_kube_faults() const;
    void istiod_fault(std::string const& json) const;
    void clear_istiod_faults() const;

    std::string kube_log() const { return kube_->log(); }
    std::string istiod_log() const { return istiod_->log(); }

private:
    TempDir dir_;
    std::string kubectl_;
    std::unique_ptr<ChildProcess> kube_;
    std::unique_ptr<ChildProcess> istiod_;
    std::string kube_port_;
    std::string istiod_port_;
    std::string istiod_admin_url_;
};

// Paths of the binaries under test, from the environment meson sets.
std::string agent_binary();

// The source tree (manifests/, docs/), found from this library's own source path.
std::filesystem::path source_root();

}  // namespace gic::test
