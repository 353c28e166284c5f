#include "ca_state.hpp"

namespace gic::emu::istiod {
namespace {

// Istiod's self-signed CA uses RSA 2048 (CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE default).
constexpr auto kCaKeyAlgorithm = pki::KeyAlgorithm::rsa2048;
constexpr std::chrono::seconds kServingTtl{87600LL * 3600};  // CITADEL_SELF_SIGNED_CA_CERT_TTL

std::shared_ptr<CaSnapshot const> make_snapshot(std::shared_ptr<CaGeneration const> active,
                                                std::vector<std::shared_ptr<CaGeneration const>> published) {
    auto s = std::make_shared<CaSnapshot>();
    s->active = std::move(active);
    s->published = std::move(published);
    for (auto const& g : s->published) s->root_bundle += g->root.cert().to_pem();
    return s;
}

}  // namespace

std::vector<std::string> CaGeneration::chain_elements() const {
    if (!intermediate) return {};
    return {intermediate->cert().to_pem(), root.cert().to_pem()};
}

std::vector<std::string> CaSnapshot::root_fingerprints() const {
    std::vector<std::string> out;
    for (auto const& g : published) out.push_back(g->root.cert().fingerprint_sha256());
    return out;
}

std::optional<RotationStep> parse_rotation_step(std::string_view name) {
    if (name == "add") return RotationStep::add;
    if (name == "switch") return RotationStep::switch_to_new;
    if (name == "drop-old") return RotationStep::drop_old;
    return std::nullopt;
}

std::vector<std::string> const& serving_dns_names() {
    static std::vector<std::string> const names{"istiod.istio-system.svc", "istiod-remote.istio-system.svc",
                                                "istio-pilot.istio-system.svc"};
    return names;
}

CaState::KeySource CaState::generated_keys() {
    return [] { return pki::PrivateKey::generate(kCaKeyAlgorithm); };
}

CaState::CaState(ChainKind kind, std::string trust_domain, std::chrono::seconds ca_ttl, KeySource keys)
    : kind_(kind), trust_domain_(std::move(trust_domain)), ca_ttl_(ca_ttl), keys_(std::move(keys)) {
    auto first = make_generation();
    snapshot_ = make_snapshot(first, {first});
}

std::shared_ptr<CaGeneration const> CaState::make_generation() {
    int n = ++generations_;
    auto root = CertificateAuthority::create_root(trust_domain_, "istiod-emulator root " + std::to_string(n),
                                                  keys_(), ca_ttl_);
    std::optional<CertificateAuthority> intermediate;
    if (kind_ == ChainKind::plugged)
        intermediate.emplace(root.create_intermediate(trust_domain_, "istiod-emulator intermediate " + std::to_string(n),
                                                      keys_(), ca_ttl_));
    return std::make_shared<CaGeneration const>(CaGeneration{std::move(root), std::move(intermediate)});
}

std::shared_ptr<CaSnapshot const> CaState::snapshot() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
}

Result<void> CaState::rotate(RotationStep step) {
    std::lock_guard lock(mutex_);
    auto const& current = *snapshot_;
    switch (step) {
    case RotationStep::add: {
        auto published = current.published;
        published.push_back(make_generation());
        snapshot_ = make_snapshot(current.active, std::move(published));
        return {};
    }
    case RotationStep::switch_to_new:
        if (current.published.back() == current.active)
            return make_error("rotate-root switch: the newest published root already signs (run step add first)");
        snapshot_ = make_snapshot(current.published.back(), current.published);
        return {};
    case RotationStep::drop_old:
        if (current.published.size() == 1)
            return make_error("rotate-root drop-old: only one root is published");
        if (current.published.back() != current.active)
            return make_error("rotate-root drop-old: the newest root does not sign yet (run step switch first)");
        snapshot_ = make_snapshot(current.active, {current.active});
        return {};
    }
    return make_error("rotate-root: unknown step");
}

IssuedCert CaState::issue_serving_cert(std::shared_ptr<CaSnapshot const> const& snapshot) const {
    return snapshot->active->signer().issue_server(serving_dns_names(), {}, kServingTtl);
}

std::string CaState::serving_chain_pem(IssuedCert const& serving, CaGeneration const& generation) {
    std::string pem = serving.cert.to_pem();
    for (auto const& element : generation.chain_elements()) pem += element;
    if (generation.chain_elements().empty()) pem += generation.root.cert().to_pem();
    return pem;
}

}  // namespace gic::emu::istiod
