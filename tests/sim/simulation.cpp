#include "simulation.hpp"

#include "invariants.hpp"
#include "world.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <sstream>

namespace gic::sim {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

// Per-replica faults that may overlap: counted, so the end of one does not end another.
struct LinkFaults {
    int hang = 0, fail = 0, black_hole = 0, forbidden = 0, errors = 0, slow = 0, ca_partition = 0;
    int events_refused = 0, events_hang = 0;  // the Event recorder's connection only
    int error_code = 0;
    milliseconds latency{0};
};

// kubelet writing the published root bundle into one replica's mounted file.
struct RootSync {
    util::SteadyTime at;
    std::uint64_t order;
    int replica;
};

struct Action {
    util::SteadyTime at;
    std::uint64_t order;
    std::function<void()> apply;
};

class Simulation {
public:
    Simulation(std::uint64_t seed, SimConfig const& config, std::ostream* echo)
        : world_(simulated_wall_start, Deployment{}, config.timings), config_(config), invariants_(world_) {
        std::mt19937_64 rng(seed);
        replicas_ = config.replicas > 0 ? config.replicas : static_cast<int>(1 + rng() % 5);
        ScheduleConfig schedule;
        schedule.replicas = replicas_;
        schedule.run_length = config.run_length;
        auto const hours = std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::hours>(config.run_length).count());
        schedule.faults = config.faults >= 0 ? config.faults : static_cast<int>(rng() % (8 * hours + 1));
        world_.schedule = make_schedule(rng(), schedule);
        world_.run_end = world_.at(config.run_length);
        world_.faults_over = world_.at(schedule.warm_up);
        for (auto const& fault : world_.schedule)
            world_.faults_over = std::max(world_.faults_over, world_.at(fault.at + fault.duration));
        world_.trace.set_echo(echo);
        world_.trace.add("seed " + std::to_string(seed) + ": " + std::to_string(replicas_) + " replicas, " +
                         std::to_string(world_.schedule.size()) + " faults");
        world_.server.on_change = [this](Change const& change) { invariants_.changed(change); };
        // Each pod's kubelet syncs the projected root ConfigMap on its own schedule: the new bundle
        // reaches each replica's file after its own delay, whether the replica is up or not.
        sync_rng_.seed(rng());
        world_.istiod.on_bundle_changed = [this] {
            auto const now = world_.time.now();
            for (int i = 0; i < replicas_; ++i) {
                auto const delay = milliseconds(
                    std::uniform_int_distribution<std::int64_t>(0, max_root_sync_delay.count())(sync_rng_));
                syncs_.push_back({now + delay, next_sync_++, i});
                world_.roots_synced_by = std::max(world_.roots_synced_by, now + delay);
            }
            std::stable_sort(syncs_.begin(), syncs_.end(),
                             [](RootSync const& a, RootSync const& b) { return a.at != b.at ? a.at < b.at : a.order < b.order; });
        };
        links_.resize(static_cast<std::size_t>(replicas_));
        world_.started_at.assign(static_cast<std::size_t>(replicas_), testing::VirtualTime::start);
        world_.link_disturbed_at.assign(static_cast<std::size_t>(replicas_), testing::VirtualTime::start);
        for (int i = 0; i < replicas_; ++i) {
            auto replica = std::make_unique<Replica>(i, seed, world_.time, world_.server, world_.istiod, world_.trace,
                                                     world_.deployment, world_.timings);
            replica->terms = &world_.terms;
            world_.replicas.push_back(std::move(replica));
        }
        for (auto const& fault : world_.schedule) plan(fault);
        std::stable_sort(actions_.begin(), actions_.end(),
                         [](Action const& a, Action const& b) { return a.at != b.at ? a.at < b.at : a.order < b.order; });
    }

    SimResult run() {
        SimResult result;
        result.replicas = replicas_;
        world_.time.on_fire = [this](util::Timer& timer) { timer_fired(timer); };
        for (int i = 0; i < replicas_; ++i) start(i);
        std::size_t next_action = 0;
        for (;;) {
            // Everything ready runs, in replica order, until nothing is. A replica that never
            // waits (a loop of requests failing at once) would keep this going without end.
            // Only a replica with work may have handlers ready: one whose timer fired (time.on_fire),
            // every one after an action, and one woken by another's change while polling (a poll
            // runs everything ready on its own io_context). Polling the others would only cost an
            // epoll_wait each.
            std::uint64_t handlers_this_step = 0;
            for (bool more = true; more && handlers_this_step < config_.max_handlers_per_step;) {
                for (auto& replica : world_.replicas) {
                    auto* io = replica->schedulable();
                    if (io == nullptr || !replica->take_work()) continue;
                    if (io->stopped()) io->restart();
                    auto const n = io->poll();
                    result.handlers += n;
                    handlers_this_step += n;
                }
                for (int i = 0; i < replicas_; ++i)
                    if (world_.replicas[static_cast<std::size_t>(i)]->reap() && restart_pending_[i]) start(i);
                more = std::any_of(world_.replicas.begin(), world_.replicas.end(), [](auto const& replica) {
                    return replica->may_have_work() && replica->schedulable() != nullptr;
                });
            }
            ++result.steps;
            if (handlers_this_step >= config_.max_handlers_per_step) {
                world_.trace.add("INVARIANT progress FAILED: a replica runs without ever waiting");
                result.violation = Violation{"progress", "more than " + std::to_string(config_.max_handlers_per_step) +
                                                             " handlers at one instant (a loop that never waits)"};
                break;
            }
            invariants_.step();
            if (invariants_.violation()) break;
            auto const now = world_.time.now();
            // A run ends once convergence has been checked (faults whose effect outlasts them,
            // such as wrong answers istiod still owes, extend it by up to an hour).
            if (now >= world_.run_end && (invariants_.converged() || now >= world_.run_end + 1h)) break;
            if (result.steps > config_.max_steps) {
                world_.trace.add("INVARIANT progress FAILED");
                result.violation = Violation{"progress", "more than " + std::to_string(config_.max_steps) + " steps"};
                break;
            }
            if (!syncs_.empty() && syncs_.front().at <= now) {
                // The file holds what istiod publishes when kubelet syncs it.
                auto const sync = syncs_.front();
                syncs_.erase(syncs_.begin());
                world_.replicas[static_cast<std::size_t>(sync.replica)]->roots_synced(world_.istiod.root_bundle());
                continue;
            }
            if (next_action < actions_.size() && actions_[next_action].at <= now) {
                actions_[next_action++].apply();
                // A fault may wake anything (a crash, broken watches, a new root bundle).
                for (auto& replica : world_.replicas) replica->wake();
                continue;
            }
            auto target = now >= world_.run_end ? world_.run_end + 1h : world_.run_end;
            if (auto deadline = world_.time.next_deadline()) target = std::min(target, std::max(*deadline, now));
            if (next_action < actions_.size()) target = std::min(target, actions_[next_action].at);
            if (!syncs_.empty()) target = std::min(target, syncs_.front().at);
            // A suspended replica's wake-up is a moment too (it runs again then).
            for (auto& replica : world_.replicas)
                if (replica->alive() && replica->suspended()) target = std::min(target, replica->suspended_until());
            world_.time.advance_to(target);
        }
        if (!invariants_.violation() && !result.violation) invariants_.finish();
        if (invariants_.violation()) result.violation = invariants_.violation();
        result.trace_hash = world_.trace.hash();
        result.trace_lines = world_.trace.lines();
        result.simulated_hours =
            std::chrono::duration<double, std::ratio<3600>>(world_.time.now() - testing::VirtualTime::start).count();
        result.tolerated_overlaps = invariants_.tolerated_overlaps();
        result.certificates = invariants_.certificates();
        result.events = invariants_.events();
        result.terms = world_.terms.size();
        return result;
    }

    std::string trace_text() const {
        std::ostringstream out;
        world_.trace.print(out);
        return out.str();
    }

private:
    // Every replica waits on its own clock: the timer's clock names the replica it wakes.
    void timer_fired(util::Timer& timer) {
        for (auto& replica : world_.replicas)
            if (&timer.clock() == &replica->clock()) return replica->wake();
        // A timer of no replica's: wake them all rather than miss one.
        for (auto& replica : world_.replicas) replica->wake();
    }

    void at(util::SteadyTime when, std::function<void()> apply) {
        actions_.push_back({when, actions_.size(), std::move(apply)});
    }

    void start(int i) {
        auto& replica = *world_.replicas[static_cast<std::size_t>(i)];
        restart_pending_[i] = false;
        replica.start();
        world_.started_at[static_cast<std::size_t>(i)] = world_.time.now();
        world_.link_disturbed_at[static_cast<std::size_t>(i)] = world_.time.now();
        apply_links(i);
    }

    // The endpoint faults of replica i, from what is active now.
    void apply_links(int i) {
        auto& replica = *world_.replicas[static_cast<std::size_t>(i)];
        auto* api = replica.api();
        if (api == nullptr) {
            world_.link_disturbed_at[static_cast<std::size_t>(i)] = world_.time.now();
            return;
        }
        auto const& link = links_[static_cast<std::size_t>(i)];
        auto faults = api->faults();
        auto const before = faults;
        faults.link = link.fail > 0         ? Link::partitioned_fail
                      : link.hang > 0       ? Link::partitioned_hang
                      : link.black_hole > 0 ? Link::black_hole
                                            : Link::up;
        faults.forbidden = link.forbidden > 0;
        faults.error_code = link.errors > 0 ? link.error_code : 0;
        faults.retry_after = link.error_code == 429 || link.error_code == 503 ? 5s : 0s;
        faults.latency = link.slow > 0 ? link.latency : 4ms;
        // Faults of the Event connection alone do not excuse the follower's requests (quiet-follower).
        if (faults.link != before.link || faults.forbidden != before.forbidden || faults.error_code != before.error_code ||
            faults.latency != before.latency)
            world_.link_disturbed_at[static_cast<std::size_t>(i)] = world_.time.now();
        api->set_faults(faults);
        // The Event recorder's connection goes the same way, plus the faults of its own.
        auto* events = replica.events_api();
        auto event_faults = events->faults();
        event_faults.link = faults.link == Link::up && link.events_hang > 0 ? Link::partitioned_hang : faults.link;
        event_faults.forbidden = faults.forbidden || link.events_refused > 0;
        event_faults.error_code = faults.error_code;
        event_faults.retry_after = faults.retry_after;
        event_faults.latency = faults.latency;
        events->set_faults(event_faults);
        replica.ca()->partitioned = link.ca_partition > 0;
    }

    // Schedules a fault's start and end as actions.
    void plan(Fault const& fault) {
        auto const begin = world_.at(fault.at);
        auto const end = begin + fault.duration;
        int const r = fault.replica;
        auto& link = links_[static_cast<std::size_t>(r)];
        auto& replica = *world_.replicas[static_cast<std::size_t>(r)];
        auto const say = [this, fault] { world_.trace.add(describe(fault)); };
        auto const counted = [&](int LinkFaults::*counter) {
            at(begin, [this, r, counter, say, &link] {
                say();
                ++(link.*counter);
                apply_links(r);
            });
            at(end, [this, r, counter, &link] {
                --(link.*counter);
                apply_links(r);
            });
        };
        switch (fault.kind) {
        case FaultKind::crash:
            at(begin, [this, r, say, &replica] {
                say();
                if (replica.alive()) replica.crash();
                restart_pending_[r] = false;
            });
            at(end, [this, r] { restart(r); });
            break;
        case FaultKind::graceful_stop:
            at(begin, [say, &replica] {
                say();
                replica.stop();
            });
            at(end, [this, r] { restart(r); });
            break;
        case FaultKind::partition_hang: counted(&LinkFaults::hang); break;
        case FaultKind::partition_fail: counted(&LinkFaults::fail); break;
        case FaultKind::black_hole: counted(&LinkFaults::black_hole); break;
        case FaultKind::forbidden: counted(&LinkFaults::forbidden); break;
        case FaultKind::ca_partition: counted(&LinkFaults::ca_partition); break;
        case FaultKind::events_refused: counted(&LinkFaults::events_refused); break;
        case FaultKind::events_hang: counted(&LinkFaults::events_hang); break;
        case FaultKind::api_errors:
            at(begin, [this, r, say, &link, code = static_cast<int>(fault.amount)] {
                say();
                ++link.errors;
                link.error_code = code;
                apply_links(r);
            });
            at(end, [this, r, &link] {
                --link.errors;
                apply_links(r);
            });
            break;
        case FaultKind::api_latency:
            at(begin, [this, r, say, &link, latency = milliseconds(fault.amount)] {
                say();
                ++link.slow;
                link.latency = latency;
                apply_links(r);
            });
            at(end, [this, r, &link] {
                --link.slow;
                apply_links(r);
            });
            break;
        case FaultKind::forced_conflicts:
        case FaultKind::forced_gone:
            at(begin, [this, r, say, &replica, kind = fault.kind, n = static_cast<int>(fault.amount)] {
                say();
                if (auto* api = replica.api()) {
                    auto faults = api->faults();
                    (kind == FaultKind::forced_conflicts ? faults.forced_conflicts : faults.forced_gone) += n;
                    api->set_faults(faults);
                    world_.link_disturbed_at[static_cast<std::size_t>(r)] = world_.time.now();
                }
            });
            break;
        case FaultKind::ca_outage:
            at(begin, [this, say] {
                say();
                ++ca_outages_;
                world_.istiod.faults.unavailable = true;
            });
            at(end, [this] { world_.istiod.faults.unavailable = --ca_outages_ > 0; });
            break;
        case FaultKind::ca_hang:
            at(begin, [this, say] {
                say();
                ++ca_hangs_;
                world_.istiod.faults.hang = true;
            });
            at(end, [this] { world_.istiod.faults.hang = --ca_hangs_ > 0; });
            break;
        case FaultKind::ca_bad_answers:
            at(begin, [this, say, n = static_cast<int>(fault.amount)] {
                say();
                world_.istiod.faults.bad_answers += n;
            });
            break;
        case FaultKind::token_rotation:
            at(begin, [this, say] {
                say();
                world_.istiod.rotate_token();
            });
            break;
        case FaultKind::root_rotation:
            // A whole rotation: the new root joins the bundle, signs from half-way, and the old
            // one leaves at the end.
            at(begin, [this, say] {
                say();
                world_.istiod.rotate_root();
            });
            at(begin + fault.duration / 2, [this] { world_.istiod.rotate_root(); });
            at(end, [this] { world_.istiod.rotate_root(); });
            break;
        case FaultKind::wall_jump:
            at(begin, [say, &replica, by = milliseconds(fault.amount)] {
                say();
                replica.clock().jump_wall(by);
            });
            // NTP steps it back.
            at(end, [this, &replica, by = milliseconds(fault.amount)] {
                world_.trace.add(replica.name() + " wall clock corrected");
                replica.clock().jump_wall(-by);
            });
            break;
        case FaultKind::suspend:
            at(begin, [say, &replica, end] {
                say();
                if (replica.alive() && !replica.stopping()) replica.suspend(std::max(end, replica.suspended_until()));
            });
            break;
        }
    }

    void restart(int r) {
        auto& replica = *world_.replicas[static_cast<std::size_t>(r)];
        if (!replica.alive()) return start(r);
        // Still stopping: kubelet restarts it when it has finished (or kills it after the grace
        // period, 30 s, which a stop never needs here).
        if (replica.stopping()) restart_pending_[r] = true;
    }

    World world_;
    SimConfig config_;
    Invariants invariants_;
    int replicas_ = 1;
    std::vector<LinkFaults> links_;
    std::vector<Action> actions_;
    std::mt19937_64 sync_rng_;
    std::vector<RootSync> syncs_;  // pending, in time order
    std::uint64_t next_sync_ = 0;
    std::map<int, bool> restart_pending_;
    int ca_outages_ = 0;
    int ca_hangs_ = 0;
};

}  // namespace

SimResult run_simulation(std::uint64_t seed, SimConfig const& config, std::ostream* echo, std::string* failure_trace) {
    Simulation simulation(seed, config, echo);
    auto result = simulation.run();
    result.seed = seed;
    if (result.violation && failure_trace != nullptr) *failure_trace = simulation.trace_text();
    return result;
}

}  // namespace gic::sim
