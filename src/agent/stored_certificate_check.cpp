#include "agent/stored_certificate_check.hpp"

#include "agent/decisions/agent_views.hpp"
#include "observe/log.hpp"
#include "util/time_format.hpp"

namespace gic::agent {

bool look_wanted(bool known_ready, util::WallTime now, util::WallTime look_again_at, util::SteadyTime steady_now,
                 util::SteadyTime last_look, std::chrono::seconds min_interval) {
    bool const stale = !known_ready || now >= look_again_at;
    return stale && steady_now - last_look >= min_interval;
}

util::WallTime look_again_at(util::WallTime looked_at, std::chrono::seconds min_interval, util::WallTime not_before,
                             util::WallTime not_after) {
    return std::max(looked_at + min_interval, not_before + (not_after - not_before) / 2);
}

StoredCertificateCheck::StoredCertificateCheck(boost::asio::any_io_executor executor, util::Clock& clock,
                                               CertificateStore& store, RootBundleSource const& roots,
                                               std::string spiffe_id, AgentState& state,
                                               std::chrono::seconds min_interval)
    : store_(store),
      roots_(roots),
      spiffe_id_(std::move(spiffe_id)),
      state_(state),
      clock_(clock),
      min_interval_(min_interval),
      wake_(std::move(executor), clock) {}

bool StoredCertificateCheck::ready() {
    auto const now = clock_.wall_now();
    auto const facts = state_.facts();
    bool const known_ready = readiness(facts, now);
    if (facts.writer()) return known_ready;
    if (look_wanted(known_ready, now, look_again_at_, clock_.steady_now(), last_look_, min_interval_)) {
        wanted_ = true;
        wake_.cancel();
    }
    return known_ready;
}

boost::asio::awaitable<void> StoredCertificateCheck::run() {
    for (;;) {
        if (!wanted_) {
            wake_.expires_at(util::SteadyTime::max());
            // Woken by ready() (cancel); the cancellation of run() throws out of wait().
            co_await wake_.wait();
        }
        if (wanted_) co_await look();
    }
}

boost::asio::awaitable<void> StoredCertificateCheck::look() {
    wanted_ = false;
    if (state_.facts().writer()) co_return;  // the Rotator keeps the state current
    last_look_ = clock_.steady_now();
    auto const now = clock_.wall_now();
    look_again_at_ = now + min_interval_;
    auto stored = co_await store_.read();
    // Became the writer meanwhile: the certificate is the Rotator's to record now.
    if (state_.facts().writer()) co_return;
    if (!stored) {
        observe::log_warning("readiness", "cannot read the stored certificate",
                             {{"store", store_.describe()}, {"error", stored.error().message}});
        co_return;
    }
    if (!*stored) co_return;
    auto parsed = parse_tls_material(**stored);
    if (!parsed) co_return;
    if (auto valid = check_stored(*parsed, spiffe_id_, roots_.current().certs, now); !valid) {
        observe::log_debug("readiness", "the stored certificate is not valid",
                           {{"store", store_.describe()}, {"reason", valid.error().message}});
        co_return;
    }
    auto const& leaf = parsed->chain.leaf();
    state_.certificate_known(
        KnownCertificate{leaf.serial_hex(), leaf.not_before(), leaf.not_after(), now, CertificateSource::follower_read});
    look_again_at_ = look_again_at(now, min_interval_, leaf.not_before(), leaf.not_after());
}

}  // namespace gic::agent
