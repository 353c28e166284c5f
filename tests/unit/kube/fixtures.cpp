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

}  // namespace gic::kube::test
