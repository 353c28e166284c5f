#include "agent/rotator.hpp"

#include "observe/log.hpp"
#include "util/idle_memory.hpp"
#include "util/time_format.hpp"

#include <algorithm>

namespace gic::agent {
namespace {

constexpr char const* component = "rotator";

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()); }

std::string_view renewal_result(IssueFailure kind) {
    switch (kind) {
        case IssueFailure::local: return observe::renewal_result_local_error;
        case IssueFailure::ca_retriable: return observe::renewal_result_ca_unavailable;
        case IssueFailure::unauthenticated: return observe::renewal_result_unauthenticated;
        case IssueFailure::ca_rejected: return observe::renewal_result_ca_rejected;
        case IssueFailure::invalid_response: return observe::renewal_result_invalid_response;
        case IssueFailure::misconfigured: return observe::renewal_result_ca_rejected;
    }
    return observe::renewal_result_local_error;
}

// Roots compare by content, not by PEM formatting.
bool same_roots(std::vector<pki::Certificate> const& a, std::vector<pki::Certificate> const& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].fingerprint_sha256() != b[i].fingerprint_sha256()) return false;
    return true;
}

}  // namespace

Rotator::Rotator(boost::asio::any_io_executor executor, RotatorConfig config, istio::CertificateAuthority& ca,
                 RootBundleSource& roots, CertificateStore& store, std::function<Result<std::string>()> token_reader,
                 util::Clock& clock)
    : config_(std::move(config)),
      ca_(ca),
      roots_(roots),
      store_(store),
      token_reader_(std::move(token_reader)),
      clock_(clock),
      // Two streams from one seed: the renewal draws and the backoff draws stay independent.
      schedule_(config_.renewal, config_.seed),
      backoff_(config_.backoff, config_.seed ^ 0x9e3779b97f4a7c15ULL),
      wake_timer_(std::move(executor), clock) {}

void Rotator::tell(RotationEvent::Kind kind, std::string message) {
    if (config_.on_event) config_.on_event(RotationEvent{kind, std::move(message)});
}

void Rotator::tell_failure(std::string const& message) {
    if (failing_) return;
    failing_ = true;
    tell(RotationEvent::Kind::issue_failed, message);
}

void Rotator::roots_changed() {
    roots_changed_ = true;
    wake_timer_.cancel();
}

boost::asio::awaitable<Rotator::Wake> Rotator::sleep_for(std::chrono::milliseconds d) {
    if (roots_changed_) {
        roots_changed_ = false;
        co_return Wake::roots;
    }
    wake_timer_.expires_after(d);
    // False is the cancel() of roots_changed(); our own cancellation throws out of wait(), which
    // ends run().
    co_await wake_timer_.wait();
    if (roots_changed_) {
        roots_changed_ = false;
        co_return Wake::roots;
    }
    co_return Wake::timer;
}

namespace {
// How long after a check the agent gives back its start-up memory: long enough for the watchers
// and the CA channel started beside it to have done their first work.
constexpr std::chrono::seconds idle_settle{10};
}  // namespace

boost::asio::awaitable<void> Rotator::run() {
    auto const spiffe_id = config_.identity.spiffe_id();
    observe::log_info(component, "started", {{"identity", spiffe_id}, {"store", store_.describe()}});
    for (;;) {
        auto due = co_await reconcile();
        // Once the agent has settled into a long quiet spell (not a retry), what start-up and
        // issuing needed goes back: the first sleep is cut short for that, and every later wake
        // gives back what the last one used.
        std::chrono::milliseconds settle = idle_settle;
        for (;;) {
            auto now = clock_.wall_now();
            if (due <= now) break;
            auto sleep = sleep_before_renewal(due, now, config_.max_sleep);
            bool const quiet = due - now > idle_settle * 2;
            if (quiet) sleep = std::min(sleep, settle);
            if (co_await sleep_for(sleep) == Wake::roots) {
                observe::log_info(component, "root bundle changed; checking the stored certificate",
                                  {{"identity", spiffe_id}, {"roots", roots_.origin()}});
                break;
            }
            if (quiet) util::release_idle_memory();
            settle = config_.max_sleep;
        }
    }
}

boost::asio::awaitable<std::chrono::system_clock::time_point> Rotator::reconcile() {
    auto const spiffe_id = config_.identity.spiffe_id();
    auto const now = clock_.wall_now();
    auto stored = co_await store_.read();
    if (!stored) {
        auto delay = backoff_.next();
        observe::log_error(component, "cannot read the stored certificate; retrying",
                           {{"identity", spiffe_id}, {"retry_in_ms", ms(delay)}, {"error", stored.error().message}});
        co_return now + delay;
    }
    if (*stored) {
        auto parsed = parse_tls_material(**stored);
        if (!parsed) {
            observe::log_info(component, "stored material cannot be reused; issuing",
                              {{"identity", spiffe_id}, {"store", store_.describe()}, {"reason", parsed.error().message}});
        } else if (auto valid = check_stored(*parsed, spiffe_id, roots_.current().certs, now); !valid) {
            observe::log_info(component, "stored certificate cannot be reused; issuing",
                              {{"identity", spiffe_id}, {"store", store_.describe()}, {"reason", valid.error().message}});
        } else {
            auto const& leaf = parsed->chain.leaf();
            if (leaf.serial_hex() != scheduled_serial_) {
                scheduled_serial_ = leaf.serial_hex();
                scheduled_due_ = schedule_.renew_at(
                    RenewalSchedule::created_from_not_before(leaf.not_before(), leaf.not_after()), leaf.not_after());
            }
            if (scheduled_due_ > now) {
                if (!same_roots(parsed->chain.roots, roots_.current().certs)) {
                    KeyedChain refreshed{pki::IssuedChain{parsed->chain.chain, roots_.current().certs}, parsed->key};
                    observe::log_info(component, "updating ca.crt to the current root bundle",
                                      {{"identity", spiffe_id}, {"store", store_.describe()}});
                    if (!co_await write_with_retries(refreshed, "root bundle update")) co_return now;
                }
                backoff_.reset();
                if (config_.metrics) config_.metrics->certificate_stored(leaf.not_after());
                observe::log_info(component, "stored certificate is valid; renewal scheduled",
                                  {{"identity", spiffe_id},
                                   {"store", store_.describe()},
                                   {"serial", leaf.serial_hex()},
                                   {"not_after", util::format_rfc3339(leaf.not_after())},
                                   {"renew_at", util::format_rfc3339(scheduled_due_)}});
                co_return scheduled_due_;
            }
            observe::log_info(component, "stored certificate is due for renewal",
                              {{"identity", spiffe_id}, {"serial", leaf.serial_hex()}});
        }
    }
    co_return co_await issue_and_write();
}

boost::asio::awaitable<std::chrono::system_clock::time_point> Rotator::issue_and_write() {
    auto const spiffe_id = config_.identity.spiffe_id();
    for (;;) {
        IssueParams const params{config_.identity, config_.algorithm, config_.ttl, roots_.current().certs,
                                 config_.metrics ? &config_.metrics->agent() : nullptr, &keygen_worker_};
        auto issued = co_await issue_certificate(ca_, clock_, params, token_reader_, 1, config_.backoff);
        if (!issued) {
            auto const& failure = issued.error();
            bool const configuration = failure.kind == IssueFailure::ca_rejected || failure.kind == IssueFailure::misconfigured;
            auto delay = configuration ? config_.rejected_retry : backoff_.next();
            // pilot-agent rebuilds its connection after any CA error; a rotated root or a restarted
            // istiod is picked up this way even without a file event.
            if (failure.kind != IssueFailure::local) ca_.rebuild_channel(roots_.current().pem);
            if (config_.metrics) config_.metrics->renewal_failed(renewal_result(failure.kind));
            observe::log_error(component,
                               failure.kind == IssueFailure::misconfigured
                                   ? "configuration error: issuing failed; the stored certificate is kept"
                                   : "issuing failed; the stored certificate is kept",
                               {{"identity", spiffe_id}, {"retry_in_ms", ms(delay)}, {"error", failure.error.message}});
            tell_failure("issuing a certificate for " + spiffe_id + " failed (retrying with backoff): " +
                         failure.error.message);
            co_await sleep_for(delay);
            continue;
        }
        auto const& leaf = issued->issued.chain.leaf();
        auto due = schedule_.renew_at(issued->received_at, leaf.not_after());
        auto const written = co_await write_with_retries(issued->issued, "issued certificate");
        if (!written) {
            if (config_.metrics) config_.metrics->renewal_failed(observe::renewal_result_write_failed);
            tell_failure("the certificate issued for " + spiffe_id + " could not be stored in " + store_.describe() +
                         "; issuing a new one");
            continue;
        }
        if (config_.metrics) config_.metrics->renewal_succeeded(clock_.wall_now());
        backoff_.reset();
        failing_ = false;
        if (*written != WriteOutcome::kept_newer) {
            tell(RotationEvent::Kind::issued, "issued " + spiffe_id + " serial=" + leaf.serial_hex() + " not-after=" +
                                                  util::format_rfc3339(leaf.not_after()) + " (" +
                                                  write_outcome_name(*written) + ")");
        }
        scheduled_serial_ = leaf.serial_hex();
        scheduled_due_ = due;
        observe::log_info(component, "certificate renewal scheduled",
                          {{"identity", spiffe_id},
                           {"serial", leaf.serial_hex()},
                           {"not_after", util::format_rfc3339(leaf.not_after())},
                           {"renew_at", util::format_rfc3339(due)}});
        co_return due;
    }
}

boost::asio::awaitable<std::optional<WriteOutcome>> Rotator::write_with_retries(KeyedChain const& chain, char const* what) {
    auto const spiffe_id = config_.identity.spiffe_id();
    auto const& leaf = chain.chain.leaf();
    SecretWriteContext const context{spiffe_id, roots_.current().certs, config_.writer};
    for (;;) {
        auto outcome = co_await store_.write(chain, context);
        if (outcome) {
            if (config_.metrics && *outcome != WriteOutcome::kept_newer) config_.metrics->certificate_stored(leaf.not_after());
            observe::log_info(component, *outcome == WriteOutcome::kept_newer
                                             ? "a newer certificate is already stored; kept it"
                                             : "certificate written",
                              {{"identity", spiffe_id},
                               {"store", store_.describe()},
                               {"serial", leaf.serial_hex()},
                               {"not_after", util::format_rfc3339(leaf.not_after())},
                               {"result", write_outcome_name(*outcome)}});
            co_return *outcome;
        }
        // Keep trying to store this certificate while it is comfortably valid; after that a
        // fresh one is better.
        auto delay = backoff_.next();
        auto now = clock_.wall_now();
        auto life = leaf.not_after() - leaf.not_before();
        if (now + delay > leaf.not_before() + life / 2) {
            observe::log_error(component, std::string("giving up writing the ") + what + "; issuing a new one",
                               {{"identity", spiffe_id}, {"error", outcome.error().message}});
            co_return std::nullopt;
        }
        observe::log_error(component, std::string("writing the ") + what + " failed; retrying",
                           {{"identity", spiffe_id}, {"retry_in_ms", ms(delay)}, {"error", outcome.error().message}});
        co_await sleep_for(delay);
    }
}

}  // namespace gic::agent
