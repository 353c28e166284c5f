#pragma once
// A CertificateStore in memory for agent unit tests, with the rule every real store keeps: a
// newer valid certificate is never replaced. Judged at the given clock's wall time.

#include "agent/effects/certificate_store.hpp"
#include "test_ca.hpp"
#include "util/clock.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace gic::agent::test {

// One write as the store saw it.
struct Write {
    std::chrono::system_clock::time_point at;
    WriteOutcome outcome;
    TlsMaterial material;
};

class MemoryStore final : public CertificateStore {
public:
    MemoryStore(util::Clock& clock, std::string spiffe_id) : clock_(clock), spiffe_id_(std::move(spiffe_id)) {}

    boost::asio::awaitable<Result<std::optional<TlsMaterial>>> read() override {
        ++reads;
        co_return stored;
    }

    boost::asio::awaitable<Result<WriteOutcome>> write(KeyedChain const& issued, SecretWriteContext const& context) override {
        auto const now = clock_.wall_now();
        ++write_attempts;
        if (failing_writes > 0) {
            --failing_writes;
            co_return make_error("memory store", "write refused");
        }
        bool const existed = stored.has_value();
        if (existed) {
            if (auto parsed = parse_tls_material(*stored);
                parsed && stored_is_newer(*parsed, issued, context.spiffe_id, context.trusted_roots, now)) {
                writes.push_back({now, WriteOutcome::kept_newer, *stored});
                co_return WriteOutcome::kept_newer;
            }
        }
        stored = issued.material();
        auto const outcome = existed ? WriteOutcome::updated : WriteOutcome::created;
        writes.push_back({now, outcome, *stored});
        co_return outcome;
    }

    std::string describe() const override { return "memory"; }

    // Another writer's certificate, signed by `ca` at `at` (for a new key).
    void put_signed_by(emu::CertificateAuthority const& ca, std::chrono::system_clock::time_point at,
                       std::chrono::seconds ttl = std::chrono::hours(24)) {
        auto key = pki::PrivateKey::generate(pki::KeyAlgorithm::ecdsa_p256);
        auto csr = pki::make_csr_pem(key, spiffe_id_).value();
        auto leaf = ca.sign_workload(csr, spiffe_id_, ttl, at).value();
        auto chain = pki::split_ca_response({leaf.to_pem(), ca.cert().to_pem()}).value();
        stored = KeyedChain{std::move(chain), std::move(key)}.material();
    }

    std::optional<TlsMaterial> stored;
    std::vector<Write> writes;  // in order
    int reads = 0;
    int write_attempts = 0;
    int failing_writes = 0;  // the next writes fail

private:
    util::Clock& clock_;
    std::string spiffe_id_;
};

}  // namespace gic::agent::test
