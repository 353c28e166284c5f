#include "fault_schedule.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>

namespace gic::sim {

using std::chrono::milliseconds;

char const* fault_name(FaultKind kind) {
    switch (kind) {
    case FaultKind::crash: return "crash";
    case FaultKind::graceful_stop: return "graceful-stop";
    case FaultKind::partition_hang: return "partition-hang";
    case FaultKind::partition_fail: return "partition-fail";
    case FaultKind::black_hole: return "black-hole";
    case FaultKind::api_errors: return "api-errors";
    case FaultKind::forbidden: return "forbidden";
    case FaultKind::api_latency: return "api-latency";
    case FaultKind::forced_conflicts: return "forced-409";
    case FaultKind::forced_gone: return "forced-410";
    case FaultKind::ca_outage: return "ca-outage";
    case FaultKind::ca_hang: return "ca-hang";
    case FaultKind::ca_partition: return "ca-partition";
    case FaultKind::ca_bad_answers: return "ca-bad-answers";
    case FaultKind::token_rotation: return "token-rotation";
    case FaultKind::root_rotation: return "root-rotation";
    case FaultKind::wall_jump: return "wall-jump";
    case FaultKind::suspend: return "suspend";
    case FaultKind::events_refused: return "events-refused";
    case FaultKind::events_hang: return "events-hang";
    }
    return "?";
}

namespace {

std::string seconds_text(milliseconds d) {
    char text[32];
    std::snprintf(text, sizeof text, "%lld.%03llds", static_cast<long long>(d.count() / 1000),
                  static_cast<long long>(std::llabs(d.count() % 1000)));
    return text;
}

}  // namespace

std::string describe(Fault const& fault) {
    std::string text = std::string("fault: ") + fault_name(fault.kind);
    switch (fault.kind) {
    case FaultKind::ca_outage:
    case FaultKind::ca_hang:
        return text + " for " + seconds_text(fault.duration);
    case FaultKind::ca_bad_answers:
        return text + " x" + std::to_string(fault.amount);
    case FaultKind::token_rotation:
        return text;
    case FaultKind::root_rotation:
        return text + " over " + seconds_text(fault.duration);
    case FaultKind::forced_conflicts:
    case FaultKind::forced_gone:
        return text + " r" + std::to_string(fault.replica) + " x" + std::to_string(fault.amount);
    case FaultKind::wall_jump:
        return text + " r" + std::to_string(fault.replica) + " by " + (fault.amount < 0 ? "-" : "+") +
               seconds_text(milliseconds(std::llabs(fault.amount)));
    case FaultKind::api_errors:
        return text + " r" + std::to_string(fault.replica) + " HTTP " + std::to_string(fault.amount) + " for " +
               seconds_text(fault.duration);
    case FaultKind::api_latency:
        return text + " r" + std::to_string(fault.replica) + " " + std::to_string(fault.amount) + "ms for " +
               seconds_text(fault.duration);
    default:
        return text + " r" + std::to_string(fault.replica) + " for " + seconds_text(fault.duration);
    }
}

std::vector<Fault> make_schedule(std::uint64_t seed, ScheduleConfig const& config) {
    std::mt19937_64 rng(seed);
    auto const between = [&](std::int64_t low, std::int64_t high) {
        return std::uniform_int_distribution<std::int64_t>(low, high)(rng);
    };
    auto const window_end = config.run_length - config.quiet_tail;
    std::vector<Fault> faults;
    if (window_end <= config.warm_up) return faults;
    for (int i = 0; i < config.faults; ++i) {
        Fault fault;
        fault.at = milliseconds(between(config.warm_up.count(), window_end.count() - 1));
        fault.kind = static_cast<FaultKind>(between(0, static_cast<int>(FaultKind::events_hang)));
        fault.replica = static_cast<int>(between(0, config.replicas - 1));
        switch (fault.kind) {
        case FaultKind::crash:
        case FaultKind::graceful_stop: fault.duration = milliseconds(between(1'000, 120'000)); break;
        case FaultKind::partition_hang:
        case FaultKind::partition_fail:
        case FaultKind::black_hole:
        case FaultKind::forbidden: fault.duration = milliseconds(between(2'000, 90'000)); break;
        case FaultKind::api_errors:
            fault.duration = milliseconds(between(2'000, 60'000));
            fault.amount = std::array<int, 3>{500, 503, 429}[static_cast<std::size_t>(between(0, 2))];
            break;
        case FaultKind::api_latency:
            fault.duration = milliseconds(between(5'000, 120'000));
            fault.amount = between(50, 3'000);
            break;
        case FaultKind::forced_conflicts:
        case FaultKind::forced_gone: fault.amount = between(1, 4); break;
        case FaultKind::ca_outage:
        case FaultKind::ca_hang: fault.duration = milliseconds(between(1'000, config.max_ca_outage.count())); break;
        case FaultKind::ca_partition: fault.duration = milliseconds(between(1'000, 300'000)); break;
        case FaultKind::ca_bad_answers: fault.amount = between(1, 4); break;
        case FaultKind::token_rotation: break;
        case FaultKind::root_rotation: fault.duration = milliseconds(between(60'000, 900'000)); break;
        case FaultKind::wall_jump: {
            auto const by = between(1'000, config.max_wall_jump.count());
            fault.amount = between(0, 1) == 0 ? -by : by;
            break;
        }
        case FaultKind::suspend: fault.duration = milliseconds(between(500, config.max_suspend.count())); break;
        case FaultKind::events_refused:
        case FaultKind::events_hang: fault.duration = milliseconds(between(10'000, 600'000)); break;
        }
        // Every fault is over before the quiet tail.
        if (fault.at + fault.duration > window_end) fault.duration = window_end - fault.at;
        faults.push_back(fault);
    }
    std::stable_sort(faults.begin(), faults.end(), [](Fault const& a, Fault const& b) { return a.at < b.at; });
    return faults;
}

}  // namespace gic::sim
