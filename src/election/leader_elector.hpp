#pragma once
// Leader election on a coordination.k8s.io/v1 Lease, compatible with client-go electors on the same
// Lease (kubernetes-api.md section 4), with leadership as a cancellation scope:
//
//   co_await elector.run([&] { return rotator.run(); });
//
// - Following: LIST+WATCH of the one Lease (no polling). A follower tries to acquire when the
//   Lease is absent or released (holderIdentity ""), or when it expires by our own clock
//   (observedTime + the record's leaseDurationSeconds; re-armed whenever the record changes).
//   After a failed attempt it waits the jittered retry period, unless the watch shows a change.
// - Leading: `guarded()` is started; the Lease is renewed every retry period. When no renewal has
//   succeeded for retry period + renew deadline after the last successful one was sent, or a
//   renewal finds another holder, the guarded work is cancelled
//   at once (terminal), "stopped leading" is reported, and the elector follows again (a later term
//   calls guarded() anew).
// - Every Lease request is bounded by max(1 s, renewDeadline / 2), by the elector itself on its
//   clock (BoundedLeaseApi), whatever the transport below does.
// - Time is the injected clock's: its steady time for every deadline and expiry, its wall time
//   only for the timestamps written into the Lease. The random retry jitter and the watch's
//   random choices come from `seed`, so a run in virtual time replays exactly.
// - Cancellation of run() (shutdown): the guarded work is cancelled first, then the Lease is
//   released (only if a fresh GET still names us; given at most 400 ms, so that an unreachable
//   API cannot hold up the process's exit: the Lease then expires by itself), then run() throws
//   operation_aborted.
// - Events `LeaderElection` "<identity> became leader" / "<identity> stopped leading" on the Lease.
//
// Thread Safety: io_context thread only.

#include "election/elector_config.hpp"
#include "election/election_state.hpp"
#include "election/election_steps.hpp"
#include "election/event_recorder.hpp"
#include "election/lease_api.hpp"
#include "kube/api.hpp"
#include "util/clock.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>

namespace gic::election {

struct ElectionStatus {
    bool leading = false;
    std::string holder;  // the holder last observed ("" when released or unknown)
    std::optional<std::chrono::system_clock::time_point> last_renew;  // our last successful write (wall clock)
    std::int32_t transitions = 0;                                     // leaseTransitions last observed
    std::uint64_t terms = 0;                                          // times we became leader
};

class LeaderElector {
public:
    using Guarded = std::function<boost::asio::awaitable<void>()>;

    // Throws gic::ConfigError when validate(config) fails. `api` serves the Lease requests and
    // its watch (the agent gives it a kube::Client of its own, lease_client_options); `api` and
    // `clock` must outlive the elector. `events` may be null; it must outlive the elector otherwise.
    LeaderElector(boost::asio::any_io_executor executor, kube::Api& api, util::Clock& clock, ElectorConfig config,
                  EventRecorder* events, std::uint64_t seed = std::random_device{}());
    ~LeaderElector();
    LeaderElector(LeaderElector const&) = delete;
    LeaderElector& operator=(LeaderElector const&) = delete;

    // Runs until cancelled (then throws operation_aborted after releasing), or until guarded()
    // fails with an exception, which is rethrown after the release.
    boost::asio::awaitable<void> run(Guarded guarded);

    ElectionStatus status() const;
    ElectorConfig const& config() const { return config_; }

private:
    boost::asio::awaitable<void> campaign(Guarded guarded);
    boost::asio::awaitable<void> follow_until_acquired();
    boost::asio::awaitable<void> acquire_loop();
    boost::asio::awaitable<void> watch_lease();
    boost::asio::awaitable<void> lead(Guarded guarded);
    boost::asio::awaitable<void> keep_renewing();
    boost::asio::awaitable<bool> renew_round(SteadyTime deadline);
    boost::asio::awaitable<Attempt> attempt();
    boost::asio::awaitable<void> sleep_until(SteadyTime when);
    boost::asio::awaitable<void> stop_and_release();

    void watched(std::optional<Lease> lease);
    void report(char const* what);
    std::string lease_display() const;

    kube::Api& kube_api_;
    util::Clock& clock_;
    ElectorConfig config_;
    EventRecorder* events_;
    KubeLeaseApi lease_api_;
    BoundedLeaseApi api_;  // lease_api_, each call bounded by lease_request_timeout
    ElectionState state_;
    std::mt19937_64 rng_;
    std::uint64_t watch_seed_;
    util::Timer wake_;
    // The watch's latest view (nullopt: deleted), re-applied after an attempt that raced with it.
    std::optional<Lease> latest_watched_;
    std::uint64_t watch_sequence_ = 0;
    bool leading_ = false;
    std::optional<util::WallTime> last_renew_;
    // When the last successful acquire or renew request was sent (the API server recorded the
    // renewal at or after it): the renew deadline counts from here.
    SteadyTime last_success_sent_{};
    std::uint64_t terms_ = 0;
};

}  // namespace gic::election
