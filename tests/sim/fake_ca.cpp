#include "fake_ca.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <stdexcept>

namespace gic::sim {

using boost::asio::awaitable;
using CaResult = boost::system::result<std::vector<std::string>, istio::CaError>;

namespace {

// istiod backdates leaves by two minutes (clock skew between peers).
constexpr std::chrono::minutes backdate{2};
constexpr std::chrono::hours default_ttl{24};

istio::CaError ca_error(grpc::StatusCode code, std::string message) {
    istio::CaError error;
    error.code = code;
    error.message = std::move(message);
    error.address = "istiod.istio-system.svc:15012";
    error.tls_server_name = "istiod.istio-system.svc";
    return error;
}

}  // namespace

pki::Certificate restamp(pki::Certificate const& cert, util::WallTime not_before, util::WallTime not_after,
                         pki::PrivateKey const& signer) {
    auto copy = pki::Certificate::from_pem(cert.to_pem()).value();
    X509* x = copy.get();
    if (!ASN1_TIME_set(X509_getm_notBefore(x), std::chrono::system_clock::to_time_t(not_before)) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), std::chrono::system_clock::to_time_t(not_after)) ||
        X509_sign(x, signer.get(), signer.signature_digest()) <= 0)
        throw std::runtime_error("restamping a certificate failed");
    return copy;
}

FakeIstiod::FakeIstiod(util::Clock& clock, Trace& trace, std::string trust_domain, std::string namespace_,
                       std::string service_account)
    : clock_(clock),
      trace_(trace),
      trust_domain_(std::move(trust_domain)),
      spiffe_id_("spiffe://" + trust_domain_ + "/ns/" + namespace_ + "/sa/" + service_account),
      token_subject_("system:serviceaccount:" + namespace_ + ":" + service_account) {
    generations_.push_back(make_generation());
    publish();
}

FakeIstiod::Generation FakeIstiod::make_generation() {
    ++made_;
    auto const now = clock_.wall_now();
    auto root = emu::CertificateAuthority::create_root(trust_domain_, "root " + std::to_string(made_),
                                                       pki::KeyAlgorithm::ecdsa_p256, std::chrono::hours(24 * 3650));
    auto intermediate = root.create_intermediate(trust_domain_, "intermediate " + std::to_string(made_),
                                                 pki::KeyAlgorithm::ecdsa_p256, std::chrono::hours(24 * 365));
    auto root_cert = restamp(root.cert(), now - std::chrono::hours(1), now + std::chrono::hours(24 * 3650), root.key());
    auto intermediate_cert =
        restamp(intermediate.cert(), now - std::chrono::hours(1), now + std::chrono::hours(24 * 365), root.key());
    return Generation{std::move(root), std::move(intermediate), std::move(root_cert), std::move(intermediate_cert)};
}

void FakeIstiod::publish() {
    bundle_pem_.clear();
    published_fingerprints_.clear();
    for (auto const& generation : generations_) {
        bundle_pem_ += generation.root_cert.to_pem();
        auto const fingerprint = generation.root_cert.fingerprint_sha256();
        if (std::none_of(ever_published_.begin(), ever_published_.end(),
                         [&](auto const& c) { return c.fingerprint_sha256() == fingerprint; }))
            ever_published_.push_back(generation.root_cert);
        published_fingerprints_.push_back(fingerprint);
    }
    if (on_bundle_changed) on_bundle_changed();
}

std::vector<pki::Certificate> FakeIstiod::published_roots() const {
    std::vector<pki::Certificate> roots;
    for (auto const& generation : generations_) roots.push_back(generation.root_cert);
    return roots;
}

std::string FakeIstiod::rotate_root() {
    std::string done;
    if (generations_.size() == 1 && signing_ == 0) {
        generations_.push_back(make_generation());
        done = "root rotation: root " + std::to_string(made_) + " published beside the old one";
    } else if (signing_ + 1 < generations_.size()) {
        signing_ = generations_.size() - 1;
        trace_.add("ca root rotation: signing with root " + std::to_string(made_));
        return "signing with the new root";
    } else {
        generations_.erase(generations_.begin(), generations_.begin() + static_cast<std::ptrdiff_t>(signing_));
        signing_ = 0;
        done = "root rotation: old root dropped from the bundle";
    }
    trace_.add("ca " + done);
    publish();
    return done;
}

std::string FakeIstiod::current_token() const {
    return "sa-token:" + token_subject_ + ":" + std::to_string(token_generation_);
}

void FakeIstiod::rotate_token(std::chrono::seconds grace) {
    previous_token_ = std::make_pair(token_generation_, clock_.steady_now() + grace);
    ++token_generation_;
    trace_.add("ca token rotated (generation " + std::to_string(token_generation_) + ")");
}

std::optional<SignedLeaf> FakeIstiod::leaf(std::string const& serial) const {
    auto const found = by_serial_.find(serial);
    if (found == by_serial_.end()) return std::nullopt;
    return signed_[found->second];
}

CaResult FakeIstiod::create_certificate(istio::CertificateRequest const& request, std::string const& actor) {
    ++calls_;
    if (faults.unavailable) return ca_error(grpc::StatusCode::UNAVAILABLE, "connection refused");
    std::string const prefix = "sa-token:" + token_subject_ + ":";
    bool token_ok = false;
    if (!faults.reject_tokens && request.token.rfind(prefix, 0) == 0) {
        auto const generation = std::stoull(request.token.substr(prefix.size()));
        token_ok = generation == token_generation_ ||
                   (previous_token_ && generation == previous_token_->first && clock_.steady_now() < previous_token_->second);
    }
    if (!token_ok) return ca_error(grpc::StatusCode::UNAUTHENTICATED, "request authenticate failure");
    auto const ttl = request.validity.count() <= 0 ? std::chrono::seconds(default_ttl) : request.validity;
    if (ttl > max_ttl) return ca_error(grpc::StatusCode::INVALID_ARGUMENT, "CSR signing error (requested TTL too long)");

    auto const& generation = generations_[signing_];
    auto const& signer = generation.intermediate;
    auto const now = clock_.wall_now();
    auto const not_after = std::min(now + ttl, generation.intermediate_cert.not_after());
    auto leaf = signer.sign_workload(request.csr_pem, spiffe_id_, ttl);
    if (!leaf) return ca_error(grpc::StatusCode::INVALID_ARGUMENT, "CSR signing error (" + leaf.error().message + ")");
    auto stamped = restamp(*leaf, now - backdate, not_after, signer.key());
    std::vector<std::string> chain{{}, generation.intermediate_cert.to_pem(), generation.root_cert.to_pem(), bundle_pem_};
    bool good = true;
    if (faults.bad_answers > 0) {
        --faults.bad_answers;
        good = false;
        switch (bad_answer_turn_++ % 4) {
        case 0: {
            auto other = signer.sign_workload(request.csr_pem, spiffe_id_ + "-impostor", ttl).value();
            stamped = restamp(other, now - backdate, not_after, signer.key());
            trace_.add("ca answers " + actor + " with a leaf for another identity");
            break;
        }
        case 1: {
            auto const stranger = pki::PrivateKey::generate(pki::KeyAlgorithm::ecdsa_p256);
            stamped = restamp(signer.sign_workload_for_key(stranger, spiffe_id_, ttl), now - backdate, not_after,
                              signer.key());
            trace_.add("ca answers " + actor + " with a leaf for another key");
            break;
        }
        case 2:
            stamped = restamp(*leaf, now - std::chrono::hours(3), now - std::chrono::hours(1), signer.key());
            trace_.add("ca answers " + actor + " with an expired leaf");
            break;
        default: {
            auto rogue = emu::CertificateAuthority::create_root(trust_domain_, "untrusted root",
                                                                pki::KeyAlgorithm::ecdsa_p256, std::chrono::hours(24));
            auto rogue_root = restamp(rogue.cert(), now - std::chrono::hours(1), now + std::chrono::hours(48), rogue.key());
            stamped = restamp(rogue.sign_workload(request.csr_pem, spiffe_id_, ttl).value(), now - backdate, not_after,
                              rogue.key());
            chain = {{}, rogue_root.to_pem()};
            trace_.add("ca answers " + actor + " with a leaf under an untrusted root");
            break;
        }
        }
    }
    chain.front() = stamped.to_pem();
    by_serial_[stamped.serial_hex()] = signed_.size();
    signed_.push_back({stamped.serial_hex(), actor, stamped.not_before(), stamped.not_after(), clock_.steady_now(), good});
    return chain;
}

FakeCaEndpoint::FakeCaEndpoint(boost::asio::any_io_executor executor, util::Clock& clock, FakeIstiod& istiod,
                               std::string actor, Trace& trace)
    : executor_(std::move(executor)), clock_(clock), istiod_(istiod), actor_(std::move(actor)), trace_(trace) {}

void FakeCaEndpoint::rebuild_channel(std::string) { ++rebuilds_; }

awaitable<CaResult> FakeCaEndpoint::create_certificate(istio::CertificateRequest const& request) {
    ++calls_;
    auto const deadline = clock_.steady_now() + call_timeout;
    auto const half = istiod_.faults.latency / 2;
    CaResult answer = ca_error(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded");
    if (partitioned || istiod_.faults.hang) {
        co_await util::sleep_until(clock_, deadline);
    } else {
        co_await util::sleep_for(clock_, half);
        if (partitioned || istiod_.faults.hang) {
            co_await util::sleep_until(clock_, deadline);
        } else {
            answer = istiod_.create_certificate(request, actor_);
            co_await util::sleep_for(clock_, istiod_.faults.latency - half);
            if (partitioned) {
                co_await util::sleep_until(clock_, deadline);
                answer = ca_error(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded");
            }
        }
    }
    trace_.add(actor_ + " CreateCertificate -> " +
               (answer ? std::string("OK") : std::string(istio::status_code_name(answer.error().code))));
    co_return answer;
}

}  // namespace gic::sim
