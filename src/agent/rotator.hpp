#pragma once
// Keeps one identity's certificate in its store, for as long as it runs:
//   read the store -> ask the plan (rotation_plan.hpp) -> reuse, rewrite ca.crt, issue or back off
//   -> sleep until the next look.
//
// - On start it reads the store first: a valid certificate for the identity, with a matching key,
//   chaining to the current roots and not yet due, is reused (no CA call, no write).
// - Renewal at NotAfter - r * (NotAfter - receive time), r = --renew-ratio +- 0.01; each renewal
//   uses a new key.
// - Sleeps run on the clock's steady time but never longer than `max_sleep`, after which the
//   schedule is recomputed from the wall-clock certificate times (suspend, clock jumps).
// - Failures keep what is stored and retry with exponential backoff and jitter (500 ms .. 60 s);
//   a configuration-like rejection (INVALID_ARGUMENT) retries slowly.
// - roots_changed() wakes it: the stored chain is re-checked against the new bundle (reissued at
//   once when it no longer verifies) and ca.crt is brought up to date.
// - on_event hears about written certificates and about failures (once per run of failures).
// Every decision is the plan's; this class only does the I/O, the waiting, the logs, the counters
// and the agent state's certificate facts.
//
// Per-Operation Cancellation: run() returns by exception (operation_aborted) when cancelled; a
// cancelled rotator writes nothing after the cancellation point.

#include "agent/agent_state.hpp"
#include "agent/effects/certificate_store.hpp"
#include "agent/decisions/identity.hpp"
#include "agent/effects/issuer.hpp"
#include "agent/decisions/renewal_schedule.hpp"
#include "agent/decisions/rotation_plan.hpp"
#include "agent/inputs/root_bundle_source.hpp"
#include "istio/ca_client.hpp"
#include "observe/metrics.hpp"
#include "util/backoff.hpp"
#include "util/clock.hpp"
#include "util/idle_memory.hpp"
#include "util/worker.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>

namespace gic::agent {

// An outcome worth telling people about on the stored object (a core/v1 Event in a cluster).
struct RotationEvent {
    enum class Kind { issued, issue_failed };
    Kind kind;
    std::string message;
};

struct RotatorConfig {
    WorkloadIdentity identity;
    pki::KeyAlgorithm algorithm = pki::KeyAlgorithm::rsa2048;
    std::chrono::seconds ttl{24 * 3600};
    RenewalPolicy renewal;
    std::string writer;  // replica identity recorded with each write
    std::chrono::milliseconds max_sleep = RotationPolicy{}.max_sleep;
    util::BackoffPolicy backoff = RotationPolicy{}.backoff;
    std::chrono::milliseconds rejected_retry = RotationPolicy{}.rejected_retry;
    // Seeds the renewal jitter and the backoff jitter: a simulation with the same seed replays
    // the same schedule.
    std::uint64_t seed = std::random_device{}();
    std::optional<observe::TargetMetrics> metrics;  // this target's counters; none counted when empty
    // What this replica knows: the certificate found valid or written, each issuance's outcome.
    // Nothing recorded when null; it must outlive the Rotator otherwise.
    AgentState* state = nullptr;
    // Makes each new key; empty: on the Rotator's own worker thread, off the loop.
    KeyGenerator generate_key;
    // Gives memory back to the system at the start of a quiet spell (a process-wide act: tests and
    // a simulation of many replicas in one process replace it).
    std::function<void()> release_idle_memory = [] { util::release_idle_memory(); };
    // Called (must not block) when a new certificate was written, and on the first failure of a
    // run of failed issuances or writes (not on every retry, so an outage is one Event).
    std::function<void(RotationEvent const&)> on_event;
};

class Rotator {
public:
    // `clock`: every wait runs on its steady time, certificate validity is judged at its wall time.
    Rotator(boost::asio::any_io_executor executor, RotatorConfig config, istio::CertificateAuthority& ca,
            RootBundleSource& roots, CertificateStore& store, std::function<Result<std::string>()> token_reader,
            util::Clock& clock);

    boost::asio::awaitable<void> run();

    // The root bundle changed: re-check what is stored at once.
    void roots_changed();

private:
    enum class Wake { timer, roots };
    // Waits `d`, or less when roots_changed() comes first (the change is then taken).
    boost::asio::awaitable<Wake> sleep_for(std::chrono::milliseconds d);
    // Sleeps until the renewal time `due` (in max_sleep steps) or a root change.
    boost::asio::awaitable<void> wait_for_renewal(WallTime due);
    // One look at the store and what the plan makes of it: returns when the next look is due.
    boost::asio::awaitable<WallTime> reconcile();
    boost::asio::awaitable<WallTime> issue_and_write();
    struct Written {
        std::optional<WriteOutcome> outcome;  // nullopt: the plan gave up
        std::chrono::milliseconds retry_in{0};  // after giving up: the plan's delay
    };
    // `what` and `after_giving_up` name the write and what follows giving up, for logs.
    boost::asio::awaitable<Written> write_with_retries(KeyedChain const& chain, char const* what,
                                                       char const* after_giving_up);
    void tell(RotationEvent::Kind kind, std::string message);
    // Records what is now known to be stored, and how an issuance ended (state and counter).
    void known_stored(std::string serial, WallTime not_before, WallTime not_after, CertificateSource source);
    void renewal_ended(std::string_view result);

    RotatorConfig config_;
    istio::CertificateAuthority& ca_;
    RootBundleSource& roots_;
    CertificateStore& store_;
    std::function<Result<std::string>()> token_reader_;
    util::Clock& clock_;
    RotationPlan plan_;
    util::Timer wake_timer_;
    bool roots_changed_ = false;
    // Key generation runs here, off the loop, unless config.generate_key says otherwise; joined
    // when the Rotator goes.
    std::optional<util::Worker> keygen_worker_;
    KeyGenerator generate_key_;
};

}  // namespace gic::agent
