#pragma once
// Starts the real kube-apiserver-emulator binary for a test and runs the real kubectl against
// it with a private discovery cache.

#include "common/process.hpp"
#include "common/temp_dir.hpp"
#include "https_client.hpp"

#include <memory>
#include <string>
#include <vector>

namespace gic::emu::kube::test {

// $KUBE_EMULATOR (set by meson).
std::string emulator_path();
// $KUBECTL, or "" when kubectl is not installed.
std::string kubectl_path();

class RunningEmulator {
public:
    explicit RunningEmulator(std::vector<std::string> extra_args = {});
    ~RunningEmulator();

    std::string const& state_dir() const { return state_.path(); }
    std::string file(std::string const& relative) const { return state_.path() + "/" + relative; }
    std::string admin_kubeconfig() const { return file("admin.kubeconfig"); }
    int port() const { return port_; }
    std::string log() const { return process_->log(); }

    // A client authenticated with the admin client certificate.
    ApiClient admin() const;
    // A client sending `token` as a bearer token (no client certificate).
    ApiClient with_token(std::string const& token) const;
    ApiClient anonymous() const;

    // Runs kubectl with --kubeconfig (admin unless given) and a per-emulator cache dir.
    gic::test::ProcessResult kubectl(std::vector<std::string> const& args, std::string const& stdin_text = {},
                                     std::string const& kubeconfig = {}) const;

private:
    gic::test::TempDir state_;
    gic::test::TempDir cache_;
    std::unique_ptr<gic::test::ChildProcess> process_;
    int port_ = 0;
};

// base64url-decodes the payload of a JWT and parses it.
boost::json::object jwt_payload(std::string const& token);

}  // namespace gic::emu::kube::test
