#pragma once
// One agent replica in the simulated world, built as run_continuous.cpp builds it: a SecretStore
// over its own kube::Api endpoint, the root bundle, the Rotator (istiod through its own CA
// endpoint), the LeaderElector whose guarded work is rotator.run(), and the EventRecorder both
// report to (over a second endpoint, as the agent gives Events a client of their own). It has its own io_context
// and its own VirtualClock (with a wall offset that survives restarts, as a machine's clock
// does), and seeds derived from the run's seed.
//
// - crash(): the process is gone at once: nothing more reaches the API or the CA (its endpoint
//   goes dead first), then its coroutines are unwound and its objects and io_context destroyed.
// - stop(): SIGTERM: the run is cancelled and keeps being scheduled until it has finished (the
//   Lease release goes out, then queued Events get their 200 ms), then everything is destroyed.
// - suspend(until): not scheduled until then; its clocks keep going.
// - start(): a new incarnation (a restart).

#include "common/virtual_clock.hpp"
#include "fake_api_server.hpp"
#include "fake_ca.hpp"
#include "pki/certificate.hpp"
#include "trace.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gic::sim {

// The timings of every replica: short, so a run covers many terms and renewals, and accepted by
// the agent's own validation (election::validate_timings).
struct ReplicaTimings {
    std::chrono::seconds cert_ttl{3600};
    double renew_ratio = 0.5;
    std::chrono::milliseconds lease_duration{15'000};
    std::chrono::milliseconds renew_deadline{10'000};
    std::chrono::milliseconds retry_period{2'000};
};

// Where the replicas keep their certificate and Lease, and who they are.
struct Deployment {
    std::string namespace_ = "gateway";
    std::string service_account = "gateway";
    std::string trust_domain = "cluster.local";
    std::string secret_name = "gateway-workload-cert";
    std::string lease_name = "gateway.gen-istio-cert.teg.tetrate.io";
};

// A term as writer (the guarded Rotator running), on the world's steady time.
struct WriterTerm {
    int replica = 0;
    util::SteadyTime start{};
    std::optional<util::SteadyTime> end;  // open while it runs
};

class Replica {
public:
    // The pod's root file starts with what istiod publishes when it is created.
    Replica(int index, std::uint64_t seed, testing::VirtualTime& time, FakeApiServer& server, FakeIstiod& istiod,
            Trace& trace, Deployment const& deployment, ReplicaTimings const& timings);
    ~Replica();
    Replica(Replica const&) = delete;
    Replica& operator=(Replica const&) = delete;

    void start();
    void crash();
    void stop();
    void suspend(util::SteadyTime until) { suspended_until_ = until; }

    // Finishes a stop() once its run has ended; true when the replica is down then.
    bool reap();

    bool alive() const { return incarnation_ != nullptr; }
    bool stopping() const { return stopping_; }
    bool suspended() const { return time_.now() < suspended_until_; }
    util::SteadyTime suspended_until() const { return suspended_until_; }
    // The io_context to poll now (nullptr when down or suspended).
    boost::asio::io_context* schedulable();
    // Whether handlers may be ready on that io_context: set by start(), by wake() (the simulator
    // calls it whenever time moved or a fault changed something) and when another replica's
    // change wakes one of its watches; cleared by taking it before a poll.
    void wake() { may_have_work_ = true; }
    bool may_have_work() const { return may_have_work_; }
    bool take_work() { return std::exchange(may_have_work_, false); }

    bool leading() const;
    bool writing() const { return writing_; }
    std::string const& name() const { return name_; }
    // The Lease holder identity of the current incarnation.
    std::string const& identity() const { return identity_; }
    int index() const { return index_; }
    testing::VirtualClock& clock() { return clock_; }
    FakeApiEndpoint* api();
    // The Event recorder's own connection (nullptr when down).
    FakeApiEndpoint* events_api();
    FakeCaEndpoint* ca();
    // kubelet synced this pod's projected ConfigMap: the mounted root file now holds `pem`. It
    // belongs to the pod, so it outlives the process: a replica that is down reads it when it
    // starts, a suspended one hears of it (inotify) when it runs again.
    void roots_synced(std::string const& pem);
    // What the mounted root file holds, and what it held before (with when it changed), for the
    // rule that a writer only writes a chain its own bundle verifies.
    std::string const& mounted_bundle() const { return mounted_.pem; }
    std::vector<pki::Certificate> const& mounted_roots() const { return mounted_.roots; }
    std::vector<pki::Certificate> const& previous_roots() const { return previous_.roots; }
    util::SteadyTime mounted_at() const { return mounted_at_; }

    // Terms as writer, in order (shared by the invariants).
    std::vector<WriterTerm>* terms = nullptr;
    // Set when the run ended with something else than a cancellation (a bug to report).
    std::optional<std::string> failure;
    std::uint64_t incarnations() const { return incarnations_; }

private:
    struct Incarnation;
    struct MountedBundle {
        std::string pem;
        std::vector<pki::Certificate> roots;
    };
    static MountedBundle mount(std::string const& pem);
    void destroy();
    void writer_started();
    void writer_ended();
    friend struct WriterScope;

    int index_;
    std::string name_;
    std::string identity_;
    std::uint64_t seed_;
    testing::VirtualTime& time_;
    testing::VirtualClock clock_;
    FakeApiServer& server_;
    FakeIstiod& istiod_;
    Trace& trace_;
    Deployment deployment_;
    ReplicaTimings timings_;
    MountedBundle mounted_;
    MountedBundle previous_;
    util::SteadyTime mounted_at_{};
    std::unique_ptr<Incarnation> incarnation_;
    util::SteadyTime suspended_until_{};
    bool stopping_ = false;
    bool writing_ = false;
    bool may_have_work_ = false;
    std::uint64_t incarnations_ = 0;
};

}  // namespace gic::sim
