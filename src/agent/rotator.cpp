#include "agent/rotator.hpp"

#include "observe/log.hpp"
#include "util/time_format.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>


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

// What a read of the store found: the plan's view, and what the Rotator needs to act and log.
struct Looked {
    StoredState state;
    std::optional<KeyedChain> stored;  // the parsed material, when valid
    std::string reason;                // why it cannot be read or reused
};

Looked look_at(Result<std::optional<TlsMaterial>> const& read, std::string const& spiffe_id,
               std::vector<pki::Certificate> const& roots, WallTime now) {
    Looked looked;
    using Kind = StoredState::Kind;
    if (!read) {
        looked.state.kind = Kind::unreadable;
        looked.reason = read.error().message;
        return looked;
    }
    if (!*read) {
        looked.state.kind = Kind::empty;
        return looked;
    }
    auto parsed = parse_tls_material(**read);
    if (!parsed) {
        looked.state.kind = Kind::unusable;
        looked.reason = parsed.error().message;
        return looked;
    }
    if (auto valid = check_stored(*parsed, spiffe_id, roots, now); !valid) {
        looked.state.kind = Kind::invalid;
        looked.reason = valid.error().message;
        return looked;
    }
    auto const& leaf = parsed->chain.leaf();
    looked.state = StoredState{Kind::valid, leaf.serial_hex(), leaf.not_before(), leaf.not_after(),
                               same_roots(parsed->chain.roots, roots)};
    looked.stored = std::move(*parsed);
    return looked;
}

// Nothing is written once the Rotator is cancelled, even when the operation the cancellation
// interrupted completed anyway.
boost::asio::awaitable<void> stop_if_cancelled() {
    auto const state = co_await boost::asio::this_coro::cancellation_state;
    if (state.cancelled() != boost::asio::cancellation_type::none)
        throw boost::system::system_error(boost::asio::error::operation_aborted, "rotator cancelled");
}

RotationPolicy rotation_policy(RotatorConfig const& config) {
    RotationPolicy policy;
    policy.renewal = config.renewal;
    policy.backoff = config.backoff;
    policy.rejected_retry = config.rejected_retry;
    policy.max_sleep = config.max_sleep;
    return policy;
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
      plan_(rotation_policy(config_), config_.seed),
      wake_timer_(std::move(executor), clock) {
    if (config_.generate_key) {
        generate_key_ = config_.generate_key;
    } else {
        keygen_worker_.emplace();
        generate_key_ = generate_on(*keygen_worker_);
    }
}

void Rotator::tell(RotationEvent::Kind kind, std::string message) {
    if (config_.on_event) config_.on_event(RotationEvent{kind, std::move(message)});
}

void Rotator::known_stored(std::string serial, WallTime not_before, WallTime not_after, CertificateSource source) {
    if (config_.state)
        config_.state->certificate_known(KnownCertificate{std::move(serial), not_before, not_after, clock_.wall_now(), source});
}

void Rotator::renewal_ended(std::string_view result) {
    if (config_.state) config_.state->renewal_ended(result, clock_.wall_now());
    if (!config_.metrics) return;
    if (result == observe::renewal_result_success)
        config_.metrics->renewal_succeeded();
    else
        config_.metrics->renewal_failed(result);
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

boost::asio::awaitable<void> Rotator::run() {
    observe::log_info(component, "started", {{"identity", config_.identity.spiffe_id()}, {"store", store_.describe()}});
    for (;;) {
        auto const due = co_await reconcile();
        co_await wait_for_renewal(due);
    }
}

boost::asio::awaitable<void> Rotator::wait_for_renewal(WallTime due) {
    // Once the agent has settled into a long quiet spell (not a retry), what start-up and issuing
    // needed goes back: the first sleep is cut short for that, and every later wake gives back
    // what the last one used.
    auto settle = plan_.policy().idle_settle;
    for (;;) {
        auto const wait = plan_.wait_before(due, clock_.wall_now(), settle);
        if (wait.due) co_return;
        if (co_await sleep_for(wait.sleep) == Wake::roots) {
            observe::log_info(component, "root bundle changed; checking the stored certificate",
                              {{"identity", config_.identity.spiffe_id()}, {"roots", roots_.origin()}});
            co_return;
        }
        if (wait.quiet && config_.release_idle_memory) config_.release_idle_memory();
        settle = plan_.policy().max_sleep;
    }
}

boost::asio::awaitable<WallTime> Rotator::reconcile() {
    auto const spiffe_id = config_.identity.spiffe_id();
    auto const now = clock_.wall_now();
    auto const read = co_await store_.read();
    auto looked = look_at(read, spiffe_id, roots_.current().certs, now);
    auto const step = plan_.on_stored(looked.state, now);
    switch (step.kind) {
        case RotationStep::Kind::back_off:
            observe::log_error(component, "cannot read the stored certificate; retrying",
                               {{"identity", spiffe_id}, {"retry_in_ms", ms(step.delay)}, {"error", looked.reason}});
            co_return step.at;
        case RotationStep::Kind::issue:
            if (looked.state.kind == StoredState::Kind::unusable) {
                observe::log_info(component, "stored material cannot be reused; issuing",
                                  {{"identity", spiffe_id}, {"store", store_.describe()}, {"reason", looked.reason}});
            } else if (looked.state.kind == StoredState::Kind::invalid) {
                observe::log_info(component, "stored certificate cannot be reused; issuing",
                                  {{"identity", spiffe_id}, {"store", store_.describe()}, {"reason", looked.reason}});
            } else if (looked.state.kind == StoredState::Kind::valid) {
                observe::log_info(component, "stored certificate is due for renewal",
                                  {{"identity", spiffe_id}, {"serial", looked.state.serial}});
            }
            co_return co_await issue_and_write();
        case RotationStep::Kind::rewrite_roots: {
            KeyedChain const refreshed{pki::IssuedChain{looked.stored->chain.chain, roots_.current().certs},
                                       looked.stored->key};
            observe::log_info(component, "updating ca.crt to the current root bundle",
                              {{"identity", spiffe_id}, {"store", store_.describe()}});
            auto const written = co_await write_with_retries(refreshed, "root bundle update", "looking again later");
            // Given up: the stored certificate is still valid; look again after the plan's delay.
            if (!written.outcome) co_return clock_.wall_now() + written.retry_in;
            plan_.on_written();
            break;
        }
        case RotationStep::Kind::reuse: break;
    }
    known_stored(looked.state.serial, looked.state.not_before, looked.state.not_after,
                 step.kind == RotationStep::Kind::reuse ? CertificateSource::writer_read : CertificateSource::writer_wrote);
    observe::log_info(component, "stored certificate is valid; renewal scheduled",
                      {{"identity", spiffe_id},
                       {"store", store_.describe()},
                       {"serial", looked.state.serial},
                       {"not_after", util::format_rfc3339(looked.state.not_after)},
                       {"renew_at", util::format_rfc3339(step.at)}});
    co_return step.at;
}

boost::asio::awaitable<WallTime> Rotator::issue_and_write() {
    auto const spiffe_id = config_.identity.spiffe_id();
    for (;;) {
        IssueParams const params{config_.identity, config_.algorithm, config_.ttl, roots_.current().certs,
                                 config_.metrics ? &config_.metrics->agent() : nullptr, generate_key_};
        auto issued = co_await issue_certificate(ca_, clock_, params, token_reader_, 1, config_.backoff);
        if (!issued) {
            auto const& failure = issued.error();
            auto const step = plan_.on_issue_failed(failure.kind, clock_.wall_now());
            // pilot-agent rebuilds its connection after any CA error; a rotated root or a restarted
            // istiod is picked up this way even without a file event.
            if (step.rebuild_channel) ca_.rebuild_channel(roots_.current().pem);
            renewal_ended(renewal_result(failure.kind));
            observe::log_error(component,
                               failure.kind == IssueFailure::misconfigured
                                   ? "configuration error: issuing failed; the stored certificate is kept"
                                   : "issuing failed; the stored certificate is kept",
                               {{"identity", spiffe_id}, {"retry_in_ms", ms(step.delay)}, {"error", failure.error.message}});
            if (step.tell) {
                tell(RotationEvent::Kind::issue_failed, "issuing a certificate for " + spiffe_id +
                                                            " failed (retrying with backoff): " + failure.error.message);
            }
            // A root change ends the wait: the next attempt trusts the new bundle.
            co_await sleep_for(step.delay);
            continue;
        }
        auto const& leaf = issued->issued.chain.leaf();
        auto const due = plan_.on_issued(leaf.serial_hex(), issued->received_at, leaf.not_after());
        auto const written = co_await write_with_retries(issued->issued, "issued certificate", "issuing a new one");
        if (!written.outcome) {
            renewal_ended(observe::renewal_result_write_failed);
            if (plan_.on_issued_write_given_up()) {
                tell(RotationEvent::Kind::issue_failed, "the certificate issued for " + spiffe_id +
                                                            " could not be stored in " + store_.describe() +
                                                            "; issuing a new one");
            }
            continue;
        }
        renewal_ended(observe::renewal_result_success);
        plan_.on_issue_completed();
        if (*written.outcome != WriteOutcome::kept_newer) {
            tell(RotationEvent::Kind::issued, "issued " + spiffe_id + " serial=" + leaf.serial_hex() + " not-after=" +
                                                  util::format_rfc3339(leaf.not_after()) + " (" +
                                                  write_outcome_name(*written.outcome) + ")");
        }
        observe::log_info(component, "certificate renewal scheduled",
                          {{"identity", spiffe_id},
                           {"serial", leaf.serial_hex()},
                           {"not_after", util::format_rfc3339(leaf.not_after())},
                           {"renew_at", util::format_rfc3339(due)}});
        co_return due;
    }
}

boost::asio::awaitable<Rotator::Written> Rotator::write_with_retries(KeyedChain const& chain, char const* what,
                                                                      char const* after_giving_up) {
    auto const spiffe_id = config_.identity.spiffe_id();
    auto const& leaf = chain.chain.leaf();
    Written result;
    bool roots_woke = false;
    for (;;) {
        co_await stop_if_cancelled();
        // The roots of this attempt: a root change during a retry counts for the next one.
        SecretWriteContext const context{spiffe_id, roots_.current().certs, config_.writer};
        auto outcome = co_await store_.write(chain, context);
        if (outcome) {
            if (*outcome != WriteOutcome::kept_newer)
                known_stored(leaf.serial_hex(), leaf.not_before(), leaf.not_after(), CertificateSource::writer_wrote);
            observe::log_info(component, *outcome == WriteOutcome::kept_newer
                                             ? "a newer certificate is already stored; kept it"
                                             : "certificate written",
                              {{"identity", spiffe_id},
                               {"store", store_.describe()},
                               {"serial", leaf.serial_hex()},
                               {"not_after", util::format_rfc3339(leaf.not_after())},
                               {"result", write_outcome_name(*outcome)}});
            result.outcome = *outcome;
            break;
        }
        auto const retry = plan_.on_write_failed(leaf.not_before(), leaf.not_after(), clock_.wall_now());
        if (retry.give_up) {
            observe::log_error(component, std::string("giving up writing the ") + what + "; " + after_giving_up,
                               {{"identity", spiffe_id}, {"error", outcome.error().message}});
            result.retry_in = retry.delay;
            break;
        }
        observe::log_error(component, std::string("writing the ") + what + " failed; retrying",
                           {{"identity", spiffe_id}, {"retry_in_ms", ms(retry.delay)}, {"error", outcome.error().message}});
        if (co_await sleep_for(retry.delay) == Wake::roots) roots_woke = true;
    }
    // A root change seen while retrying is looked at once this write is done.
    if (roots_woke) roots_changed_ = true;
    co_return result;
}

}  // namespace gic::agent
