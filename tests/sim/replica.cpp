#include "replica.hpp"

#include "agent/effects/certificate_store.hpp"
#include "agent/decisions/identity.hpp"
#include "agent/inputs/mounted_files.hpp"
#include "agent/inputs/root_bundle_source.hpp"
#include "agent/rotator.hpp"
#include "common/key_on_the_loop.hpp"
#include "election/elector_config.hpp"
#include "election/event_recorder.hpp"
#include "election/leader_elector.hpp"
#include "pki/certificate.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/multiple_exceptions.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <cstdio>

namespace gic::sim {

using boost::asio::awaitable;

namespace {

// SplitMix64: independent, reproducible seeds for each replica, incarnation and component.
std::uint64_t derive(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ull * (a * 1'000'003ull + b + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

agent::RootBundle bundle_from(std::string const& pem) {
    return agent::RootBundle{pem, pki::parse_pem_bundle(pem).value()};
}

// As run_continuous.cpp: queued Events get this long once the agent has stopped (after the Lease
// release), and they refer to the Secret with its uid.
constexpr std::chrono::milliseconds event_drain_budget{200};

election::ObjectReference secret_reference(agent::SecretStore const& store) {
    auto const& seen = store.last_seen();
    return {"Secret", "v1", store.target().namespace_, store.target().name, seen.uid, seen.resource_version};
}

}  // namespace

// Marks the guarded Rotator's lifetime: a term as writer.
struct WriterScope {
    explicit WriterScope(Replica& replica) : replica_(replica) { replica_.writer_started(); }
    ~WriterScope() { replica_.writer_ended(); }
    WriterScope(WriterScope const&) = delete;
    WriterScope& operator=(WriterScope const&) = delete;

private:
    Replica& replica_;
};

namespace {

awaitable<void> run_as_writer(Replica* replica, agent::Rotator* rotator) {
    WriterScope const term(*replica);
    co_await rotator->run();
}

// The process's main work as run_continuous ends it: the election until cancelled, then the queued
// Events within their own budget (skipped when the process crashed: nothing runs after a kill).
awaitable<void> run_process(election::LeaderElector* elector, election::EventRecorder* events, util::Clock* clock,
                            bool const* crashed, election::LeaderElector::Guarded guarded) {
    std::exception_ptr ended;
    try {
        co_await elector->run(std::move(guarded));
    } catch (...) {
        ended = std::current_exception();
    }
    if (!*crashed) {
        co_await boost::asio::this_coro::reset_cancellation_state();
        co_await events->finish(clock->steady_now() + event_drain_budget);
    }
    if (ended) std::rethrow_exception(ended);
}

}  // namespace

struct Replica::Incarnation {
    Incarnation(Replica& r, std::uint64_t seed)
        : api(io.get_executor(), r.clock_, r.server_, r.name_, r.trace_),
          events_api(io.get_executor(), r.clock_, r.server_, r.name_, r.trace_),
          ca(io.get_executor(), r.clock_, r.istiod_, r.name_, r.trace_),
          store(api, agent::SecretTarget{r.deployment_.namespace_, r.deployment_.secret_name}, r.clock_),
          roots("ConfigMap " + r.deployment_.namespace_ + "/istio-ca-root-cert", bundle_from(r.mounted_.pem), false),
          events(std::make_unique<election::EventRecorder>(io.get_executor(), events_api, r.clock_, "gen-istio-cert")),
          rotator(io.get_executor(), with_events(rotator_config(r, seed), *events, store), ca, roots, store,
                  token_reader(r.istiod_), r.clock_),
          elector(io.get_executor(), api, r.clock_, elector_config(r), events.get(), derive(seed, 7, 0)) {
        // The recorder's own client gives up after event_request_timeout (event_client_options).
        events_api.request_timeout = election::event_request_timeout;
    }

    // Written certificates and failures become Events on the Secret, as run_continuous tells them.
    static agent::RotatorConfig with_events(agent::RotatorConfig config, election::EventRecorder& recorder,
                                            agent::SecretStore const& store) {
        config.on_event = [&recorder, &store](agent::RotationEvent const& event) {
            bool const issued = event.kind == agent::RotationEvent::Kind::issued;
            recorder.record(secret_reference(store), issued ? election::event_normal : election::event_warning,
                            issued ? "CertificateIssued" : "CertificateIssueFailed", event.message);
        };
        return config;
    }

    static agent::RotatorConfig rotator_config(Replica const& r, std::uint64_t seed) {
        agent::RotatorConfig config;
        config.identity = agent::WorkloadIdentity{r.deployment_.trust_domain, r.deployment_.namespace_,
                                                  r.deployment_.service_account};
        config.algorithm = pki::KeyAlgorithm::ecdsa_p256;
        config.ttl = r.timings_.cert_ttl;
        config.renewal.ratio = r.timings_.renew_ratio;
        config.writer = r.name_;
        config.seed = derive(seed, 3, 0);
        config.generate_key = testing::generate_key_on_the_loop;
        // Giving memory back reads /proc/self/maps: real work every quiet spell of virtual time,
        // and nothing a simulated replica has to prove.
        config.release_idle_memory = [] {};
        return config;
    }

    static election::ElectorConfig elector_config(Replica const& r) {
        election::ElectorConfig config;
        config.lease_namespace = r.deployment_.namespace_;
        config.lease_name = r.deployment_.lease_name;
        // As election::make_identity builds it (<pod>_<uuid>), from the seed instead of random_device.
        config.identity = r.identity_;
        config.lease_duration = r.timings_.lease_duration;
        config.renew_deadline = r.timings_.renew_deadline;
        config.retry_period = r.timings_.retry_period;
        return config;
    }

    // The mounted token file: kubelet keeps the current token there.
    static std::function<Result<std::string>()> token_reader(FakeIstiod& istiod) {
        return [&istiod]() -> Result<std::string> { return istiod.current_token(); };
    }

    boost::asio::io_context io;
    FakeApiEndpoint api;
    // The Event recorder's connection: a kube::Client of its own in the agent, so an Event never
    // waits behind a Lease renewal. It shares the replica's link faults; events_* faults are its own.
    FakeApiEndpoint events_api;
    FakeCaEndpoint ca;
    agent::SecretStore store;
    agent::RootBundleSource roots;
    // Destroyed explicitly (Replica::destroy) once the Rotator and the elector no longer run.
    std::unique_ptr<election::EventRecorder> events;
    agent::Rotator rotator;
    election::LeaderElector elector;
    boost::asio::cancellation_signal stop_signal;
    bool crashed = false;
    bool finished = false;
};

Replica::Replica(int index, std::uint64_t seed, testing::VirtualTime& time, FakeApiServer& server, FakeIstiod& istiod,
                 Trace& trace, Deployment const& deployment, ReplicaTimings const& timings)
    : index_(index),
      name_("r" + std::to_string(index)),
      seed_(seed),
      time_(time),
      clock_(time),
      server_(server),
      istiod_(istiod),
      trace_(trace),
      deployment_(deployment),
      timings_(timings),
      mounted_(mount(istiod.root_bundle())),
      mounted_at_(time.now()) {}

Replica::MountedBundle Replica::mount(std::string const& pem) { return {pem, pki::parse_pem_bundle(pem).value()}; }

Replica::~Replica() {
    if (incarnation_) crash();
}

void Replica::start() {
    if (incarnation_) return;
    ++incarnations_;
    stopping_ = false;
    auto const seed = derive(seed_, static_cast<std::uint64_t>(index_), incarnations_);
    char uuid[40];
    auto const a = derive(seed, 11, 0), b = derive(seed, 12, 0);
    std::snprintf(uuid, sizeof uuid, "%08llx-%04llx-4%03llx-8%03llx-%012llx", static_cast<unsigned long long>(a >> 32),
                  static_cast<unsigned long long>((a >> 16) & 0xffff), static_cast<unsigned long long>(a & 0xfff),
                  static_cast<unsigned long long>(b >> 52), static_cast<unsigned long long>(b & 0xffffffffffffull));
    identity_ = name_ + "_" + uuid;
    incarnation_ = std::make_unique<Incarnation>(*this, seed);
    incarnation_->api.on_watch_woken = [this] { wake(); };
    incarnation_->events_api.on_watch_woken = [this] { wake(); };
    wake();
    trace_.add(name_ + " started (incarnation " + std::to_string(incarnations_) + ")");
    auto* incarnation = incarnation_.get();
    election::LeaderElector::Guarded guarded = [this, incarnation] {
        return run_as_writer(this, &incarnation->rotator);
    };
    boost::asio::co_spawn(incarnation->io,
                          run_process(&incarnation->elector, incarnation->events.get(), &clock_, &incarnation->crashed,
                                      std::move(guarded)),
                          boost::asio::bind_cancellation_slot(
                              incarnation->stop_signal.slot(), [this, incarnation](std::exception_ptr e) {
                                  incarnation->finished = true;
                                  if (!e) return;
                                  try {
                                      std::rethrow_exception(e);
                                  } catch (boost::asio::multiple_exceptions const& several) {
                                      // Cancelled while following: both branches of the follower's
                                      // `acquire || watch` end with operation_aborted, and Asio's ||
                                      // reports them together (LeaderElector::run documents a
                                      // plain operation_aborted).
                                      try {
                                          std::rethrow_exception(several.first_exception());
                                      } catch (boost::system::system_error const& error) {
                                          if (error.code() == boost::asio::error::operation_aborted) return;
                                          failure = name_ + " ended with: " + error.what();
                                      } catch (std::exception const& error) {
                                          failure = name_ + " ended with: " + error.what();
                                      }
                                  } catch (boost::system::system_error const& error) {
                                      if (error.code() == boost::asio::error::operation_aborted) return;
                                      failure = name_ + " ended with: " + error.what();
                                  } catch (std::exception const& error) {
                                      failure = name_ + " ended with: " + error.what();
                                  }
                              }));
}

void Replica::crash() {
    if (!incarnation_) return;
    trace_.add(name_ + " crashed");
    // Nothing the unwinding coroutines try to send reaches anyone.
    incarnation_->crashed = true;
    for (auto* endpoint : {&incarnation_->api, &incarnation_->events_api}) {
        auto faults = endpoint->faults();
        faults.link = Link::dead;
        endpoint->set_faults(faults);
    }
    incarnation_->ca.partitioned = true;
    incarnation_->stop_signal.emit(boost::asio::cancellation_type::terminal);
    destroy();
}

void Replica::stop() {
    if (!incarnation_ || stopping_) return;
    trace_.add(name_ + " stopping (SIGTERM)");
    stopping_ = true;
    suspended_until_ = {};
    incarnation_->stop_signal.emit(boost::asio::cancellation_type::terminal);
}

bool Replica::reap() {
    if (!incarnation_ || !stopping_ || !incarnation_->finished) return false;
    trace_.add(name_ + " stopped");
    destroy();
    return true;
}

void Replica::destroy() {
    auto& io = incarnation_->io;
    // Unwinds what the cancellation reached; every wait in the agent is cancellable.
    auto const unwind = [&io] {
        for (int round = 0; round < 1000; ++round) {
            if (io.stopped()) io.restart();
            if (io.poll() == 0) break;
        }
    };
    unwind();
    // A crash leaves an Event post in flight (a hanging connection): the recorder's destructor
    // cancels it, and it unwinds before the endpoint it uses goes.
    incarnation_->events.reset();
    unwind();
    if (writing_) writer_ended();
    incarnation_.reset();
    stopping_ = false;
}

boost::asio::io_context* Replica::schedulable() {
    if (!incarnation_ || (suspended() && !stopping_)) return nullptr;
    return &incarnation_->io;
}

bool Replica::leading() const { return incarnation_ && incarnation_->elector.status().leading; }

FakeApiEndpoint* Replica::api() { return incarnation_ ? &incarnation_->api : nullptr; }
FakeApiEndpoint* Replica::events_api() { return incarnation_ ? &incarnation_->events_api : nullptr; }
FakeCaEndpoint* Replica::ca() { return incarnation_ ? &incarnation_->ca : nullptr; }

void Replica::roots_synced(std::string const& pem) {
    if (pem == mounted_.pem) return;
    previous_ = std::exchange(mounted_, mount(pem));
    mounted_at_ = time_.now();
    trace_.add(name_ + " root file synced (" + std::to_string(mounted_.roots.size()) + " roots)" +
               (incarnation_ ? "" : ", read at its next start"));
    if (!incarnation_) return;
    // The file watch is an event on the process's loop: a suspended process handles it when it
    // runs again (a handler still queued when the process goes is never run).
    wake();
    auto* inc = incarnation_.get();
    boost::asio::post(inc->io, [inc, pem] {
        agent::apply_root_update(inc->roots.replace(bundle_from(pem)), inc->roots, [inc] {
            inc->ca.rebuild_channel(inc->roots.current().pem);
            inc->rotator.roots_changed();
        });
    });
}

void Replica::writer_started() {
    writing_ = true;
    if (terms != nullptr) terms->push_back({index_, time_.now(), std::nullopt});
    trace_.add(name_ + " became writer");
}

void Replica::writer_ended() {
    if (!writing_) return;
    writing_ = false;
    if (terms != nullptr) {
        for (auto it = terms->rbegin(); it != terms->rend(); ++it)
            if (it->replica == index_ && !it->end) {
                it->end = time_.now();
                break;
            }
    }
    trace_.add(name_ + " stopped writing");
}

}  // namespace gic::sim
