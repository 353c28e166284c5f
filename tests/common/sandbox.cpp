#include "common/sandbox.hpp"

#include "common/http_client.hpp"
#include "common/token_signing_key.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <stdexcept>

namespace gic::test {
namespace {

std::string env_or_throw(char const* name) {
    char const* v = std::getenv(name);
    if (!v || !*v) throw std::runtime_error(std::string(name) + " is not set (run the tests with meson test)");
    return v;
}

std::string env_or_empty(char const* name) {
    char const* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

}  // namespace

std::string agent_binary() { return env_or_throw("GIC_AGENT"); }

Sandbox::Sandbox(SandboxOptions options) : dir_("gic-sandbox"), kubectl_(env_or_empty("KUBECTL")) {
    std::vector<std::string> kube_args{env_or_throw("KUBE_EMULATOR"), "--listen", "127.0.0.1:0", "--state-dir", kube_dir(),
                                       "--service-account", std::string(sa_namespace) + "/" + sa_name,
                                       "--service-account-signing-key-file", token_signing_key_file()};
    kube_args.insert(kube_args.end(), options.extra_kube_args.begin(), options.extra_kube_args.end());
    kube_ = std::make_unique<ChildProcess>(kube_args, dir_.file("kube.log"));
    auto kube_ready = kube_->wait_for(R"(listening on https://127\.0\.0\.1:(\d+))", std::chrono::seconds(20));
    if (!kube_ready) throw std::runtime_error("kube-apiserver-emulator did not start:\n" + kube_->log());
    kube_port_ = (*kube_ready)[1];

    std::vector<std::string> istiod_args{env_or_throw("ISTIOD_EMULATOR"), "--listen", "127.0.0.1:0", "--state-dir",
                                         istiod_dir(), "--kubeconfig", admin_kubeconfig(), "--chain", options.chain,
                                         "--publish-namespace", sa_namespace, "--admin-listen", "127.0.0.1:0"};
    istiod_args.insert(istiod_args.end(), options.extra_istiod_args.begin(), options.extra_istiod_args.end());
    istiod_ = std::make_unique<ChildProcess>(istiod_args, dir_.file("istiod.log"));
    auto istiod_ready = istiod_->wait_for(R"(listening on 127\.0\.0\.1:(\d+))", std::chrono::seconds(20));
    if (!istiod_ready) throw std::runtime_error("istiod-emulator did not start:\n" + istiod_->log());
    istiod_port_ = (*istiod_ready)[1];
    auto admin_ready = istiod_->wait_for(R"(admin on (http://127\.0\.0\.1:\d+))", std::chrono::seconds(20));
    if (!admin_ready) throw std::runtime_error("istiod-emulator admin endpoint did not start:\n" + istiod_->log());
    istiod_admin_url_ = (*admin_ready)[1];
}

Sandbox::~Sandbox() {
    if (istiod_) istiod_->signal(SIGTERM);
    if (kube_) kube_->signal(SIGTERM);
    if (istiod_) istiod_->wait(std::chrono::seconds(5));
    if (kube_) kube_->wait(std::chrono::seconds(5));
}

std::string Sandbox::sa_dir() const {
    return kube_dir() + "/serviceaccounts/" + sa_namespace + "/" + sa_name;
}

std::vector<std::string> Sandbox::agent_args() const {
    return {"--ca-address", ca_address(), "--root-cert-path", root_cert(), "--istio-token-path", sa_dir() + "/istio-token",
            "--kubeconfig", sa_dir() + "/kubeconfig", "--output-secret-ns", sa_namespace};
}

namespace {

std::vector<std::string> merged_agent_argv(std::vector<std::string> const& base, std::vector<std::string> const& extra) {
    std::vector<std::string> argv{agent_binary()};
    // A flag given in `extra` replaces the sandbox's own value for it.
    for (std::size_t i = 0; i + 1 < base.size(); i += 2)
        if (std::find(extra.begin(), extra.end(), base[i]) == extra.end()) argv.insert(argv.end(), {base[i], base[i + 1]});
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

}  // namespace

std::unique_ptr<ChildProcess> Sandbox::start_agent(std::vector<std::string> const& extra, std::string const& log_name,
                                                   std::vector<std::string> const& env) const {
    return std::make_unique<ChildProcess>(merged_agent_argv(agent_args(), extra), dir_.file(log_name + ".log"), env);
}

boost::json::value Sandbox::istiod_admin_get(std::string const& path) const {
    auto r = http_request("GET", istiod_admin_url_ + path);
    if (r.status / 100 != 2) throw std::runtime_error("istiod admin GET " + path + " failed: " + r.body);
    return boost::json::parse(r.body);
}

void Sandbox::istiod_admin_post(std::string const& path, std::string const& json) const {
    auto r = http_request("POST", istiod_admin_url_ + path, json);
    if (r.status / 100 != 2) throw std::runtime_error("istiod admin POST " + path + " failed: " + r.body);
}

ProcessResult Sandbox::run_agent(std::vector<std::string> const& extra, std::chrono::milliseconds timeout) const {
    return run_process(merged_agent_argv(agent_args(), extra), timeout, {"POD_NAME=gateway-0"});
}

ProcessResult Sandbox::kubectl(std::vector<std::string> const& args, std::string const& stdin_text) const {
    if (kubectl_.empty()) throw std::runtime_error("kubectl is not installed");
    std::vector<std::string> argv{kubectl_, "--kubeconfig", admin_kubeconfig(), "--cache-dir", dir_.file("kubectl-cache")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, std::chrono::seconds(30), {"KUBECACHEDIR=" + dir_.file("kubectl-cache")}, stdin_text);
}

boost::json::object Sandbox::get_json(std::string const& resource, std::string const& name, std::string const& ns) const {
    auto r = kubectl({"get", resource, name, "-n", ns, "-o", "json"});
    if (r.exit_code != 0) return {};
    return boost::json::parse(r.out).as_object();
}

boost::json::array Sandbox::kube_admin_items(std::string const& path) const {
    auto r = kubectl({"get", "--raw", path});
    if (r.exit_code != 0) throw std::runtime_error("GET " + path + " failed: " + r.err);
    // The admin endpoints answer {"items": [...]}.
    return boost::json::parse(r.out).at("items").as_array();
}

void Sandbox::kube_fault(std::string const& json) const {
    auto r = kubectl({"create", "--raw", "/emulator/v1/faults", "-f", "-"}, json);
    if (r.exit_code != 0) throw std::runtime_error("kube fault injection failed: " + r.err);
}

void Sandbox::clear_kube_faults() const {
    auto r = kubectl({"delete", "--raw", "/emulator/v1/faults"});
    if (r.exit_code != 0) throw std::runtime_error("clearing kube faults failed: " + r.err);
}

void Sandbox::istiod_fault(std::string const& json) const {
    auto r = http_request("POST", istiod_admin_url_ + "/faults", json);
    if (r.status / 100 != 2) throw std::runtime_error("istiod fault injection failed: " + r.body);
}

void Sandbox::clear_istiod_faults() const {
    auto r = http_request("DELETE", istiod_admin_url_ + "/faults");
    if (r.status / 100 != 2) throw std::runtime_error("clearing istiod faults failed: " + r.body);
}

std::filesystem::path source_root() {
    // __FILE__ as the compiler saw it: relative to the build root, which is two levels above the
    // agent binary (<build>/src/gen-istio-cert), or absolute.
    std::filesystem::path file(__FILE__);
    if (file.is_relative()) file = std::filesystem::path(agent_binary()).parent_path().parent_path() / file;
    return std::filesystem::weakly_canonical(file).parent_path().parent_path().parent_path();
}

}  // namespace gic::test
