#pragma once
// An in-process istiod CA for the fault simulator, behind the agent's own
// istio::CertificateAuthority interface.
//
// FakeIstiod is the CA itself: it checks the bearer token (the service account's, rotated like a
// kubelet-projected token: the previous one stays valid for a while), signs the CSR as istiod
// does with the test CA the emulators use (tests/emulator/common/test_ca.*), on the simulated wall
// clock, and rotates its root the way an operator rotates plugged cacerts: a new root and
// intermediate join the published bundle, then sign, then the old root leaves. It keeps every
// root it ever published and a record of every leaf it signed (for the invariants).
//
// FakeCaEndpoint is one replica's channel to it: latency, outages (UNAVAILABLE), a hang until the
// call's deadline, and a partition of that replica only.
//
// Everything runs on the simulator's thread; nothing here is thread-safe.

#include "common/virtual_clock.hpp"
#include "emulator/common/test_ca.hpp"
#include "istio/ca_client.hpp"
#include "pki/pki.hpp"
#include "trace.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gic::sim {

// What the CA answers instead of a good certificate, for a while.
struct CaFaults {
    bool unavailable = false;     // UNAVAILABLE at once (istiod down)
    bool hang = false;            // the call never answers (its deadline ends it)
    bool reject_tokens = false;   // UNAUTHENTICATED (TokenReview failing)
    int bad_answers = 0;          // the next N answers are well-formed but wrong (rotating through
                                  // another identity, another key, expired, an untrusted root)
    std::chrono::milliseconds latency{30};
};

// A leaf the CA signed, for the invariants.
struct SignedLeaf {
    std::string serial;
    std::string actor;
    util::WallTime not_before;
    util::WallTime not_after;
    util::SteadyTime issued_at;  // world steady time of the answer
    bool good = true;            // false for the deliberately wrong answers
};

class FakeIstiod {
public:
    // `clock` is istiod's own (the leaves' validity); the first root is made at once.
    FakeIstiod(util::Clock& clock, Trace& trace, std::string trust_domain, std::string namespace_,
               std::string service_account);

    // The token a replica reads from its mounted file now.
    std::string current_token() const;
    // kubelet rotated the token; the previous one stays valid for `grace`.
    void rotate_token(std::chrono::seconds grace = std::chrono::seconds(600));

    // The root bundle istiod publishes (istio-ca-root-cert), oldest root first.
    std::string const& root_bundle() const { return bundle_pem_; }
    // The next step of a root rotation: add a root (both published), sign with it, drop the old.
    // Returns what it did.
    std::string rotate_root();
    // Told when the published bundle changes (the mounted ConfigMap file is updated).
    std::function<void()> on_bundle_changed;

    // Every root ever published (fingerprints), and the ones published now.
    std::vector<pki::Certificate> const& roots_ever_published() const { return ever_published_; }
    std::vector<pki::Certificate> published_roots() const;
    // The SHA-256 fingerprints of the roots published now, computed when the bundle changes: the
    // invariants ask after every step, and hashing a root's DER each time cost a fifth of a run.
    std::vector<std::string> const& published_fingerprints() const { return published_fingerprints_; }

    // CreateCertificate as istiod answers it.
    boost::system::result<std::vector<std::string>, istio::CaError> create_certificate(istio::CertificateRequest const& request,
                                                                                    std::string const& actor);

    std::string const& spiffe_id() const { return spiffe_id_; }
    std::vector<SignedLeaf> const& signed_leaves() const { return signed_; }
    std::optional<SignedLeaf> leaf(std::string const& serial) const;
    std::uint64_t calls() const { return calls_; }

    CaFaults faults;
    std::chrono::seconds max_ttl{48 * 3600};

private:
    struct Generation {
        emu::CertificateAuthority root;
        emu::CertificateAuthority intermediate;
        pki::Certificate root_cert;          // restamped onto the simulated clock
        pki::Certificate intermediate_cert;  // restamped onto the simulated clock
    };
    Generation make_generation();
    void publish();

    util::Clock& clock_;
    Trace& trace_;
    std::string trust_domain_;
    std::string spiffe_id_;
    std::string token_subject_;
    std::vector<Generation> generations_;  // published, oldest first
    std::size_t signing_ = 0;              // index in generations_
    int made_ = 0;
    std::string bundle_pem_;
    std::vector<pki::Certificate> ever_published_;
    std::vector<std::string> published_fingerprints_;
    std::uint64_t token_generation_ = 1;
    std::optional<std::pair<std::uint64_t, util::SteadyTime>> previous_token_;  // generation, valid until
    std::vector<SignedLeaf> signed_;
    std::map<std::string, std::size_t> by_serial_;
    std::uint64_t calls_ = 0;
    std::uint64_t bad_answer_turn_ = 0;
};

class FakeCaEndpoint final : public istio::CertificateAuthority {
public:
    FakeCaEndpoint(boost::asio::any_io_executor executor, util::Clock& clock, FakeIstiod& istiod, std::string actor,
                   Trace& trace);

    boost::asio::awaitable<boost::system::result<std::vector<std::string>, istio::CaError>> create_certificate(
        istio::CertificateRequest const& request) override;
    void rebuild_channel(std::string root_pem) override;
    std::string const& address() const override { return address_; }

    // This replica cannot reach istiod: calls hang until their deadline.
    bool partitioned = false;
    // The CaClient's per-call deadline (DEADLINE_EXCEEDED then).
    std::chrono::milliseconds call_timeout{30'000};
    std::uint64_t calls() const { return calls_; }
    std::uint64_t channel_rebuilds() const { return rebuilds_; }

private:
    boost::asio::any_io_executor executor_;
    util::Clock& clock_;
    FakeIstiod& istiod_;
    std::string actor_;
    Trace& trace_;
    std::string address_ = "istiod.istio-system.svc:15012";
    std::uint64_t calls_ = 0;
    std::uint64_t rebuilds_ = 0;
};

// `cert` with its validity moved onto the simulated wall clock and signed again by `signer`.
pki::Certificate restamp(pki::Certificate const& cert, util::WallTime not_before, util::WallTime not_after,
                         pki::PrivateKey const& signer);

}  // namespace gic::sim
