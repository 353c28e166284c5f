#include "emulator_fixture.hpp"

#include "common/token_signing_key.hpp"

#include "util/base64.hpp"

#include <cstdlib>
#include <regex>
#include <stdexcept>

namespace gic::emu::kube::test {

namespace json = boost::json;

namespace {

std::string env_or_empty(char const* name) {
    char const* v = std::getenv(name);
    return v ? v : "";
}

std::string kubeconfig_field(std::string const& text, std::string const& field) {
    std::smatch m;
    std::regex re(field + ": (\\S+)");
    if (!std::regex_search(text, m, re)) throw std::runtime_error("kubeconfig has no " + field);
    auto decoded = util::base64_decode(m[1].str());
    if (!decoded) throw std::runtime_error("kubeconfig " + field + " is not base64");
    return *decoded;
}

}  // namespace

std::string emulator_path() {
    auto p = env_or_empty("KUBE_EMULATOR");
    if (p.empty()) throw std::runtime_error("KUBE_EMULATOR is not set (run the tests through meson test)");
    return p;
}

std::string kubectl_path() { return env_or_empty("KUBECTL"); }

RunningEmulator::RunningEmulator(std::vector<std::string> extra_args)
    : state_("kube-emu-state"), cache_("kube-emu-cache") {
    std::vector<std::string> argv = {emulator_path(), "--listen", "127.0.0.1:0", "--state-dir", state_.path(),
                                     "--service-account-signing-key-file", gic::test::token_signing_key_file()};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<gic::test::ChildProcess>(argv, cache_.file("emulator.log"));
    auto m = process_->wait_for(R"(listening on https://127\.0\.0\.1:(\d+))", std::chrono::seconds(30));
    if (!m) throw std::runtime_error("emulator did not start:\n" + process_->log());
    port_ = std::stoi((*m)[1]);
}

RunningEmulator::~RunningEmulator() = default;

ApiClient RunningEmulator::admin() const {
    auto kc = gic::test::read_file(admin_kubeconfig());
    return ApiClient(port_, gic::test::read_file(file("ca.crt")),
                     ClientIdentity{kubeconfig_field(kc, "client-certificate-data"),
                                    kubeconfig_field(kc, "client-key-data")},
                     "");
}

ApiClient RunningEmulator::with_token(std::string const& token) const {
    return ApiClient(port_, gic::test::read_file(file("ca.crt")), std::nullopt, token);
}

ApiClient RunningEmulator::anonymous() const {
    return ApiClient(port_, gic::test::read_file(file("ca.crt")), std::nullopt, "");
}

gic::test::ProcessResult RunningEmulator::kubectl(std::vector<std::string> const& args, std::string const& stdin_text,
                                                  std::string const& kubeconfig) const {
    std::vector<std::string> argv = {kubectl_path(), "--kubeconfig", kubeconfig.empty() ? admin_kubeconfig() : kubeconfig,
                                     "--cache-dir", cache_.file("kubectl")};
    argv.insert(argv.end(), args.begin(), args.end());
    return gic::test::run_process(argv, std::chrono::seconds(60),
                                  {"KUBECACHEDIR=" + cache_.file("kubectl"), "HOME=" + cache_.path()}, stdin_text);
}

json::object jwt_payload(std::string const& token) {
    auto first = token.find('.');
    auto second = token.find('.', first + 1);
    if (first == std::string::npos || second == std::string::npos) throw std::runtime_error("not a JWT: " + token);
    auto payload = util::base64url_decode(token.substr(first + 1, second - first - 1));
    if (!payload) throw std::runtime_error("JWT payload is not base64url");
    return json::parse(*payload).as_object();
}

}  // namespace gic::emu::kube::test
