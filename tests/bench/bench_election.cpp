// Benchmark (not a test): leader-election failover times and API cost with three real agents
// against the kube-apiserver-emulator, next to what client-go's elector costs with the same
// timings. Times come from the emulator's audit log (server-side write times); request counts from
// its request log. Prints figures; asserts nothing about speed.
//
//   bench_election [rounds] [window_seconds] [figures_file]
//
// figures_file, when given, receives every figure as a "name value" line (milliseconds and
// requests per hour), for scripts/bench.sh to put beside the other contenders.

#include "common/election_probe.hpp"
#include "common/sandbox.hpp"
#include "common/wait.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace gic;
using namespace gic::test;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

namespace {

constexpr double lease_s = 3, renew_s = 2, retry_s = 0.5;
// Failover times are read from the audit log, but a fine poll keeps the rounds short.
constexpr auto poll = 20ms;

std::vector<std::string> flags() {
    return {"--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "500ms", "--cert-ttl", "1h",
            "--metrics-bind-address=0", "--health-probe-bind-address=0", "--log-level", "info"};
}

boost::json::array admin_get(Sandbox const& sb, std::string const& path) { return sb.kube_admin_items(path); }

std::string current_holder(Sandbox const& sb) {
    auto w = lease_writes(sb);
    return w.empty() ? std::string() : w.back().holder;
}

std::optional<std::size_t> replica_of(std::vector<Replica> const& replicas, std::string const& identity) {
    for (std::size_t i = 0; i < replicas.size(); ++i)
        if (!identity.empty() && identity.rfind(replicas[i].pod + "_", 0) == 0 && replicas[i].process->running()) return i;
    return std::nullopt;
}

double ms_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

// Stops the current leader with `sig` and returns the time from the signal to the new holder's
// first Lease write (and, for a crash, from the dead leader's last renewal).
struct Failover {
    double from_signal_ms = -1;
    double from_last_renewal_ms = -1;
};

Failover failover(Sandbox const& sb, std::vector<Replica>& replicas, int sig, int next_pod) {
    Failover f;
    if (!wait_until([&] { return replica_of(replicas, current_holder(sb)).has_value(); }, 20s, poll)) return f;
    std::this_thread::sleep_for(1500ms);  // settled: followers watching
    auto const old_holder = current_holder(sb);
    auto const index = *replica_of(replicas, old_holder);
    auto const signalled = Clock::now();
    replicas[index].process->signal(sig);
    replicas[index].process->wait(5s);
    if (!wait_until([&] { auto h = current_holder(sb); return !h.empty() && h != old_holder; }, 20s, poll)) return f;
    auto const writes = lease_writes(sb);
    std::optional<Clock::time_point> last_old, first_new;
    for (auto const& w : writes) {
        if (w.holder == old_holder) last_old = w.time;
        if (!w.holder.empty() && w.holder != old_holder && w.time >= signalled) first_new = first_new ? first_new : w.time;
    }
    if (first_new) f.from_signal_ms = ms_between(signalled, *first_new);
    if (first_new && last_old) f.from_last_renewal_ms = ms_between(*last_old, *first_new);
    // Keep three replicas.
    auto pod = "gateway-" + std::to_string(next_pod);
    replicas[index] = start_replica(sb, pod, flags());
    return f;
}

void print_series(char const* what, std::vector<double> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return x < 0; }), v.end());
    if (v.empty()) {
        std::printf("%-44s no successful round\n", what);
        return;
    }
    std::sort(v.begin(), v.end());
    std::printf("%-44s median %7.0f ms  min %7.0f ms  max %7.0f ms  (%zu rounds)\n", what, v[v.size() / 2], v.front(),
                v.back(), v.size());
}

}  // namespace

int main(int argc, char** argv) {
    int const rounds = argc > 1 ? std::atoi(argv[1]) : 5;
    int const window_s = argc > 2 ? std::atoi(argv[2]) : 30;
    std::ofstream figures;
    if (argc > 3) figures.open(argv[3]);
    auto const record = [&](char const* name, double value) {
        if (figures.is_open() && value >= 0) figures << name << ' ' << value << '\n';
    };
    Sandbox sb;
    auto replicas = start_replicas(sb, 3, flags());
    if (!wait_until([&] { return replica_of(replicas, current_holder(sb)).has_value(); }, 30s, poll)) {
        std::fprintf(stderr, "no leader within 30 s\n%s\n", replicas[0].process->log().c_str());
        return 1;
    }
    std::printf("timings: --lease-duration 3s --renew-deadline 2s --retry-period 500ms, 3 replicas\n");

    // Steady-state API cost: the leader renews with PUT; followers only (re)open their watches.
    std::this_thread::sleep_for(3s);
    auto const before = admin_get(sb, "/emulator/v1/requests").size();
    std::this_thread::sleep_for(std::chrono::seconds(window_s));
    auto const requests = admin_get(sb, "/emulator/v1/requests");
    int leader_requests = 0, follower_requests = 0;
    for (std::size_t i = before; i < requests.size(); ++i) {
        auto const& r = requests[i].as_object();
        if (r.at("resource").as_string() != "leases") continue;
        auto const verb = std::string(r.at("verb").as_string());
        if (verb == "update" || verb == "create") {
            ++leader_requests;  // only a holder writes in steady state
        } else {
            ++follower_requests;  // get, list, watch
        }
    }
    double const per_hour = 3600.0 / window_s;
    record("leader_requests_per_hour", leader_requests * per_hour);
    record("follower_requests_per_hour", follower_requests * per_hour / 2.0);
    std::printf("%-44s %8.0f /h   client-go: %6.0f /h (one PUT per retry period)\n", "leader Lease requests",
                leader_requests * per_hour, 3600.0 / retry_s);
    std::printf("%-44s %8.0f /h   client-go: %6.0f /h (one GET per %.1f-%.1f s)\n", "follower Lease requests (each)",
                follower_requests * per_hour / 2.0, 3600.0 / (retry_s * 1.6), retry_s, retry_s * 2.2);
    std::printf("%-44s with the defaults (15s/10s/2s) client-go's follower makes %.0f GET/h; ours reopens its watch\n", "",
                3600.0 / (2.0 * 1.6));
    std::printf("%-44s every 300-600 s (6-12 /h)\n", "");

    std::vector<double> graceful, crash_signal, crash_renewal;
    int next_pod = 3;
    for (int i = 0; i < rounds; ++i) {
        graceful.push_back(failover(sb, replicas, SIGTERM, next_pod++).from_signal_ms);
        auto crash = failover(sb, replicas, SIGKILL, next_pod++);
        crash_signal.push_back(crash.from_signal_ms);
        crash_renewal.push_back(crash.from_last_renewal_ms);
    }
    for (auto v : graceful) record("graceful_failover_ms", v);
    for (auto v : crash_signal) record("crash_failover_ms", v);
    for (auto v : crash_renewal) record("crash_failover_from_last_renewal_ms", v);
    print_series("graceful failover (SIGTERM -> new holder)", graceful);
    print_series("crash failover (SIGKILL -> new holder)", crash_signal);
    print_series("crash failover (last renewal -> new holder)", crash_renewal);
    std::printf("%-44s graceful: about the follower's reaction (the Lease is released); crash: the lease\n", "targets");
    std::printf("%-44s duration (%.0f s) after the last renewal plus at most %.1f s; client-go without\n", "", lease_s, 0.5);
    std::printf("%-44s a release waits %.0f-%.1f s after the last renewal\n", "", lease_s, lease_s + retry_s * 2.2);
    (void)renew_s;
    return 0;
}
