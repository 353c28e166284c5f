#pragma once
// /readyz for one target: is a valid, unexpired certificate for the identity stored?
//
// The answer is agent::readiness of what the agent state knows. The replica that writes (the
// leader, or the only replica) knows from its own reads and writes, which the Rotator records in
// the state. A replica that does not write (a follower) must not report "not ready" just because
// it is not leading (the gateway's pod would leave its Service), so it reads the store itself and
// records what it found valid in the state, lazily: when a probe asks and what it knows is
// missing, expired, or past half its life (the leader renews by then), at most once per
// `min_interval`.
// Probes are answered at once from what is known; the read runs on the loop in run(), which also
// looks once at startup.
//
// Thread Safety: io_context thread only.

#include "agent/agent_state.hpp"
#include "agent/effects/certificate_store.hpp"
#include "agent/inputs/root_bundle_source.hpp"
#include "util/clock.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace gic::agent {

// The follower's rules, pure:
// A probe makes it read when what it knows is not ready or has reached `look_again_at`, and it
// last read at least `min_interval` ago (steady time: a wall clock jump does not shorten it).
bool look_wanted(bool known_ready, util::WallTime now, util::WallTime look_again_at, util::SteadyTime steady_now,
                 util::SteadyTime last_look, std::chrono::seconds min_interval);
// After a read at `looked_at` that found a valid certificate: when it deserves another look,
// half its life (the writer renews by then), but not before `min_interval` has passed.
util::WallTime look_again_at(util::WallTime looked_at, std::chrono::seconds min_interval, util::WallTime not_before,
                             util::WallTime not_after);

class StoredCertificateCheck {
public:
    // `clock`: validity is judged at its wall time; `min_interval` is kept on its steady time.
    // `state`: what this replica knows; while it is the writer the Rotator keeps the certificate
    // there up to date and nothing is read here. Both must outlive the check.
    StoredCertificateCheck(boost::asio::any_io_executor executor, util::Clock& clock, CertificateStore& store,
                           RootBundleSource const& roots, std::string spiffe_id, AgentState& state,
                           std::chrono::seconds min_interval = std::chrono::seconds(10));

    // The probe's answer, now. May ask run() to read the store.
    bool ready();

    // Reads the store when ready() asks; runs until cancelled.
    boost::asio::awaitable<void> run();

private:
    boost::asio::awaitable<void> look();

    CertificateStore& store_;
    RootBundleSource const& roots_;
    std::string spiffe_id_;
    AgentState& state_;
    util::Clock& clock_;
    std::chrono::seconds min_interval_;
    util::Timer wake_;
    bool wanted_ = true;  // one look at startup, before the first probe
    std::chrono::steady_clock::time_point last_look_{};
    // When what was last read deserves another look (half its life), for a replica that does not write.
    std::chrono::system_clock::time_point look_again_at_{};
};

}  // namespace gic::agent
