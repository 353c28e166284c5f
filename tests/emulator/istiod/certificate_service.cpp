#include "certificate_service.hpp"

#include "authenticator.hpp"
#include "status_codes.hpp"
#include "util/duration.hpp"

#include <boost/asio/steady_timer.hpp>
#include <openssl/x509.h>

#include <stdexcept>

namespace gic::emu::istiod {

struct CertificateService::Call {
    CallInput input;
    std::function<void(CallOutcome)> done;
    std::optional<Fault> fault;
    RequestRecord record;
    std::string claimed_cluster;
};

namespace {

CallOutcome status(grpc::StatusCode code, std::string message) { return CallOutcome{code, std::move(message), {}}; }

CallOutcome authenticate_failure() { return status(grpc::UNAUTHENTICATED, "request authenticate failure"); }

// Moves notBefore/notAfter of `leaf` into the past and signs it again with the issuer's key, so
// the fault "expired" yields a leaf that is well-formed, correctly chained and expired.
void make_expired(pki::Certificate& leaf, pki::PrivateKey const& issuer_key) {
    X509* x = leaf.get();
    if (!X509_gmtime_adj(X509_getm_notBefore(x), -2 * 3600) || !X509_gmtime_adj(X509_getm_notAfter(x), -3600) ||
        X509_sign(x, issuer_key.get(), issuer_key.signature_digest()) <= 0)
        throw std::runtime_error("re-signing an expired leaf failed");
}

std::string describe_ttl(std::int64_t seconds) {
    return util::format_go_duration(std::chrono::seconds(seconds));
}

}  // namespace

CertificateService::CertificateService(ServiceConfig config, CaState& ca, TokenReviewer& reviewer, FaultInjector& faults,
                                       RequestLog& requests, boost::asio::any_io_executor timers, LogSink log)
    : config_(std::move(config)),
      ca_(ca),
      reviewer_(reviewer),
      faults_(faults),
      requests_(requests),
      timers_(std::move(timers)),
      log_(std::move(log)) {}

void CertificateService::create_certificate(CallInput input, std::function<void(CallOutcome)> done) {
    auto call = std::make_shared<Call>();
    call->record.time = std::chrono::system_clock::now();
    call->record.peer = input.peer;
    if (!input.clusterid.empty()) call->record.clusterid = extract_cluster_id(input.clusterid);
    call->record.requested_ttl_seconds = input.validity_seconds;
    call->input = std::move(input);
    call->done = std::move(done);
    call->fault = faults_.take();
    if (call->fault) call->record.fault = call->fault->describe();

    if (call->fault && call->fault->delay.count() > 0) {
        auto timer = std::make_shared<boost::asio::steady_timer>(timers_, call->fault->delay);
        timer->async_wait([this, call, timer](boost::system::error_code) { start(call); });
        return;
    }
    start(std::move(call));
}

void CertificateService::start(std::shared_ptr<Call> call) {
    if (call->fault && call->fault->code) return finish(call, status(*call->fault->code, call->fault->message));

    auto token = extract_bearer_token(call->input.authorization);
    if (token) call->record.token_sha256 = token_fingerprint(*token);
    call->claimed_cluster = extract_cluster_id(call->input.clusterid);
    Result<void> cluster = token ? select_cluster(call->claimed_cluster, config_.cluster_id) : Result<void>{};
    if (!token || !cluster) {
        call->record.auth_error = (!token ? token.error() : cluster.error()).message;
        log_("Failed to authenticate client from " + call->input.peer +
             ": Authenticator KubeJWTAuthenticator: " + call->record.auth_error);
        return finish(call, authenticate_failure());
    }
    reviewer_.review(std::move(*token), config_.token_audiences,
                     [this, call](TokenReviewResult review) { authenticated(call, std::move(review)); });
}

void CertificateService::authenticated(std::shared_ptr<Call> call, TokenReviewResult review) {
    auto account = service_account_from_review(review, call->claimed_cluster);
    if (!account) {
        call->record.auth_error = account.error().message;
        log_("Failed to authenticate client from " + call->input.peer +
             ": Authenticator KubeJWTAuthenticator: " + call->record.auth_error);
        return finish(call, authenticate_failure());
    }
    call->record.identity = spiffe_id(config_.trust_domain, *account);
    // No CA_TRUSTED_NODE_ACCOUNTS in the emulator: every impersonation attempt is refused.
    if (!call->input.impersonated_identity.empty())
        return finish(call, status(grpc::UNAUTHENTICATED, "request impersonation authentication failure"));
    CallOutcome outcome;
    try {
        outcome = sign(*call);
    } catch (std::exception const& e) {
        outcome = status(grpc::INTERNAL, std::string("CSR signing error (") + e.what() + ")");
    }
    finish(call, std::move(outcome));
}

CallOutcome CertificateService::sign(Call& call) {
    auto snapshot = ca_.snapshot();
    auto const& generation = *snapshot->active;
    std::int64_t requested = call.input.validity_seconds;
    std::chrono::seconds ttl = requested <= 0 ? config_.default_ttl : std::chrono::seconds(requested);
    bool too_long = requested > config_.max_ttl.count();
    std::string const& identity = call.record.identity;

    // istiod parses and verifies the CSR before it looks at the TTL, so a bad CSR wins.
    auto leaf = generation.signer().sign_workload(call.input.csr_pem, identity, too_long ? config_.max_ttl : ttl);
    if (!leaf) return status(grpc::INVALID_ARGUMENT, "CSR signing error (" + leaf.error().message + ")");
    if (too_long)
        return status(grpc::INVALID_ARGUMENT, "CSR signing error (requested TTL " + describe_ttl(requested) +
                                                  " is greater than the max allowed TTL " +
                                                  util::format_go_duration(config_.max_ttl) + ")");

    FaultMode mode = call.fault ? call.fault->mode : FaultMode::none;
    std::vector<std::string> chain;
    switch (mode) {
    case FaultMode::none:
    case FaultMode::short_chain:
        chain.push_back(leaf->to_pem());
        break;
    case FaultMode::wrong_identity: {
        auto other = generation.signer().sign_workload(call.input.csr_pem, identity + "-impostor", ttl);
        if (!other) throw std::runtime_error(other.error().message);
        chain.push_back(other->to_pem());
        break;
    }
    case FaultMode::wrong_key: {
        auto stranger = pki::PrivateKey::generate(pki::KeyAlgorithm::ecdsa_p256);
        chain.push_back(generation.signer().sign_workload_for_key(stranger, identity, ttl).to_pem());
        break;
    }
    case FaultMode::expired:
        make_expired(*leaf, generation.signer().key());
        chain.push_back(leaf->to_pem());
        break;
    case FaultMode::untrusted_chain: {
        auto rogue = CertificateAuthority::create_root(config_.trust_domain, "untrusted root",
                                                       pki::KeyAlgorithm::ecdsa_p256, std::chrono::hours(24));
        auto rogue_leaf = rogue.sign_workload(call.input.csr_pem, identity, ttl);
        if (!rogue_leaf) throw std::runtime_error(rogue_leaf.error().message);
        return CallOutcome{grpc::OK, {}, {rogue_leaf->to_pem(), rogue.cert().to_pem()}};
    }
    }
    if (mode == FaultMode::short_chain) return CallOutcome{grpc::OK, {}, std::move(chain)};
    for (auto& element : generation.chain_elements()) chain.push_back(std::move(element));
    chain.push_back(snapshot->root_bundle);
    return CallOutcome{grpc::OK, {}, std::move(chain)};
}

void CertificateService::finish(std::shared_ptr<Call> const& call, CallOutcome outcome) {
    call->record.code = outcome.code;
    call->record.message = outcome.message;
    std::string line = "CreateCertificate peer=" + call->input.peer +
                       " identity=" + (call->record.identity.empty() ? "-" : call->record.identity) +
                       " clusterid=" + (call->record.clusterid ? "\"" + *call->record.clusterid + "\"" : "-") +
                       " ttl=" + std::to_string(call->input.validity_seconds) + "s code=" + status_code_name(outcome.code);
    if (!outcome.message.empty()) line += " message=\"" + outcome.message + "\"";
    if (!call->record.fault.empty()) line += " fault=\"" + call->record.fault + "\"";
    log_(line);
    requests_.add(call->record);
    auto done = std::move(call->done);
    done(std::move(outcome));
}

}  // namespace gic::emu::istiod
