#pragma once
// The emulated istiod CA: the roots it publishes, the one it signs with, and root rotation.
// Readers take an immutable snapshot (gRPC threads sign concurrently); rotation (admin endpoint)
// swaps the snapshot under a mutex.

#include "emulator/common/test_ca.hpp"
#include "options.hpp"
#include "util/error.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gic::emu::istiod {

// One root and, for plugged cacerts, the intermediate that signs under it.
struct CaGeneration {
    CertificateAuthority root;
    std::optional<CertificateAuthority> intermediate;

    CertificateAuthority const& signer() const { return intermediate ? *intermediate : root; }
    // What istiod puts between the leaf and the root bundle: nothing for a self-signed CA,
    // [intermediate, root] for plugged cacerts (cert-chain.pem holds the root too).
    std::vector<std::string> chain_elements() const;
};

struct CaSnapshot {
    std::shared_ptr<CaGeneration const> active;                  // signs leaves and the serving cert
    std::vector<std::shared_ptr<CaGeneration const>> published;  // in the root bundle, oldest first
    std::string root_bundle;                                      // concatenated root PEMs

    std::vector<std::string> root_fingerprints() const;
};

enum class RotationStep { add, switch_to_new, drop_old };
std::optional<RotationStep> parse_rotation_step(std::string_view name);

// Serving certificate DNS SANs of istiod in istio-system (protocol doc section 5).
std::vector<std::string> const& serving_dns_names();

class CaState {
public:
    // Where the keys of new roots and intermediates come from, one call per key.
    using KeySource = std::function<pki::PrivateKey()>;
    // A fresh RSA 2048 key per call, as istiod generates its self-signed CA.
    static KeySource generated_keys();

    // `keys` must give a different key on each call: tests pass keys generated once per process.
    CaState(ChainKind kind, std::string trust_domain, std::chrono::seconds ca_ttl, KeySource keys = generated_keys());

    std::shared_ptr<CaSnapshot const> snapshot() const;
    ChainKind kind() const { return kind_; }

    // add: a new root (and intermediate) joins the bundle, signing stays with the old one;
    // switch: sign with the newest root; drop-old: publish only the signing root.
    // Errors: switch when the newest root already signs; drop-old when only one root is published
    // or the newest root does not sign yet.
    Result<void> rotate(RotationStep step);

    // istiod's serving certificate from the active signer, and the chain it serves
    // (leaf, intermediate for plugged, root).
    IssuedCert issue_serving_cert(std::shared_ptr<CaSnapshot const> const& snapshot) const;
    static std::string serving_chain_pem(IssuedCert const& serving, CaGeneration const& generation);

private:
    std::shared_ptr<CaGeneration const> make_generation();

    ChainKind kind_;
    std::string trust_domain_;
    std::chrono::seconds ca_ttl_;
    KeySource keys_;
    int generations_ = 0;
    mutable std::mutex mutex_;
    std::shared_ptr<CaSnapshot const> snapshot_;
};

}  // namespace gic::emu::istiod
