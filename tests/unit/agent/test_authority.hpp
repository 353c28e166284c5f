#pragma once
// istiod's CA as the agent sees it, in process, for agent unit tests: signs every CSR with the
// emulators' test CA at the injected clock's wall time, or fails the next `failures` calls with
// UNAVAILABLE. Keys are generated on the loop (no thread races a virtual clock).

#include "agent/rotator.hpp"
#include "common/key_on_the_loop.hpp"
#include "istio/ca_client.hpp"
#include "pki/pki.hpp"
#include "test_ca.hpp"
#include "util/clock.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace gic::agent::test {

class TestCa final : public istio::CertificateAuthority {
public:
    // `signs_for`: the SPIFFE ID every leaf carries (istiod's choice, whatever the CSR says).
    TestCa(util::Clock& clock, emu::CertificateAuthority const* signer, std::string signs_for)
        : clock_(clock), signer_(signer), signs_for_(std::move(signs_for)) {}

    boost::asio::awaitable<boost::system::result<std::vector<std::string>, istio::CaError>> create_certificate(
        istio::CertificateRequest const& request) override {
        ++calls;
        tokens.push_back(request.token);
        if (failures > 0) {
            --failures;
            co_return istio::CaError{grpc::StatusCode::UNAVAILABLE, "connection refused", address_, "istiod"};
        }
        auto leaf = signer_->sign_workload(request.csr_pem, signs_for_, request.validity, clock_.wall_now());
        BOOST_REQUIRE(leaf.has_value());
        if (on_signed) on_signed();
        co_return std::vector<std::string>{leaf->to_pem(), signer_->cert().to_pem()};
    }
    void rebuild_channel(std::string) override { ++rebuilds; }
    std::string const& address() const override { return address_; }

    void sign_with(emu::CertificateAuthority const* signer) { signer_ = signer; }

    int calls = 0;
    int rebuilds = 0;
    int failures = 0;
    std::vector<std::string> tokens;  // as sent, in order
    std::function<void()> on_signed;  // runs after signing, before answering

private:
    util::Clock& clock_;
    emu::CertificateAuthority const* signer_;
    std::string signs_for_;
    std::string address_ = "istiod.istio-system.svc:15012";
};

inline boost::asio::awaitable<pki::PrivateKey> generate_here(pki::KeyAlgorithm algorithm) {
    return testing::generate_key_on_the_loop(algorithm);
}

// A Rotator's settings for virtual-time tests: ECDSA keys generated on the loop (a worker thread
// would finish at a real-time moment), a 24 h certificate renewed at 50 % +- 1 %, a fixed seed,
// and no memory release between spells.
inline RotatorConfig virtual_time_rotator_config(WorkloadIdentity identity) {
    RotatorConfig config;
    config.identity = std::move(identity);
    config.algorithm = pki::KeyAlgorithm::ecdsa_p256;
    config.ttl = std::chrono::hours(24);
    config.renewal = RenewalPolicy{0.5, 0.01};
    config.writer = "replica-1";
    config.seed = 2026;
    config.generate_key = generate_here;
    config.release_idle_memory = [] {};
    return config;
}

}  // namespace gic::agent::test
