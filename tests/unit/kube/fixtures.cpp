#include "fixtures.hpp"

namespace gic::kube::test {

Pki const& pki() {
    static Pki const instance = [] {
        using std::chrono::hours;
        auto ca = emu::CertificateAuthority::create_root("kube-test", "kube test CA", pki::KeyAlgorithm::ecdsa_p256, hours(1));
        auto server = ca.issue_server({"localhost", "kubernetes.default.svc"}, {"127.0.0.1"}, hours(1));
        auto client = ca.issue_client("admin", {"system:masters"}, hours(1));
        auto other = emu::CertificateAuthority::create_root("other", "other CA", pki::KeyAlgorithm::ecdsa_p256, hours(1));
        return Pki{std::move(ca), std::move(server), std::move(client), std::move(other)};
    }();
    return instance;
}

bool contains(std::string const& text, std::string const& part) {
    if (text.find(part) != std::string::npos) return true;
    BOOST_TEST_MESSAGE("\"" << text << "\" does not contain \"" << part << "\"");
    return false;
}

RestConfig ClientFixture::config_for(unsigned short port) const {
    RestConfig config;
    config.server = "https://127.0.0.1:" + std::to_string(port);
    config.host = "127.0.0.1";
    config.port = std::to_string(port);
    config.ca_pem = pki().ca_pem();
    config.bearer_token = "static-token";
    config.namespace_ = "ns";
    config.origin = "test config";
    return config;
}

}  // namespace gic::kube::test
