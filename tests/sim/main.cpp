// The fault simulator's command line (docs/testing.md, "Fault simulator"):
//   sim --seeds N [--first S] [--progress]   runs seeds S .. S+N-1 and stops at the first failure
//   sim --seed S --trace                      replays one seed, printing its trace as it happens
//   sim --replay-check --seeds N              runs each seed twice and compares the trace hashes
// Options: --replicas R (1..5; default drawn from the seed), --hours H (simulated length, default
// 3), --faults F (default drawn from the seed). Exit status 1 when an invariant fails; the seed, the
// invariant and the last trace lines are printed.

#include "observe/log.hpp"
#include "simulation.hpp"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

namespace {

using gic::sim::SimConfig;
using gic::sim::SimResult;

struct Arguments {
    std::uint64_t first = 1;
    std::uint64_t seeds = 1;
    bool trace = false;
    bool progress = false;
    bool replay_check = false;
    SimConfig config;
};

[[noreturn]] void usage(std::string const& problem) {
    std::cerr << "sim: " << problem << "\n"
              << "usage: sim [--seeds N] [--first S | --seed S] [--trace] [--progress] [--replay-check]\n"
              << "           [--replicas 1..5] [--hours H] [--faults F]\n";
    std::exit(2);
}

Arguments parse(int argc, char** argv) {
    Arguments args;
    for (int i = 1; i < argc; ++i) {
        std::string_view const arg = argv[i];
        auto const value = [&]() -> std::string {
            if (i + 1 >= argc) usage(std::string(arg) + " needs a value");
            return argv[++i];
        };
        try {
            if (arg == "--seeds") args.seeds = std::stoull(value());
            else if (arg == "--first") args.first = std::stoull(value());
            else if (arg == "--seed") args.first = std::stoull(value()), args.seeds = 1;
            else if (arg == "--trace") args.trace = true;
            else if (arg == "--progress") args.progress = true;
            else if (arg == "--replay-check") args.replay_check = true;
            else if (arg == "--replicas") args.config.replicas = std::stoi(value());
            else if (arg == "--hours")
                args.config.run_length = std::chrono::milliseconds(static_cast<std::int64_t>(std::stod(value()) * 3'600'000));
            else if (arg == "--faults") args.config.faults = std::stoi(value());
            else usage("unknown argument " + std::string(arg));
        } catch (std::logic_error const&) {
            usage("bad value for " + std::string(arg));
        }
    }
    if (args.config.replicas < 0 || args.config.replicas > 5) usage("--replicas must be 1..5");
    return args;
}

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

void report_failure(SimResult const& result, std::string const& trace) {
    std::cout << "FAILED seed " << result.seed << ": invariant " << result.violation->invariant << ": "
              << result.violation->detail << "\n  replay: sim --seed " << result.seed << " --trace\n"
              << "last trace lines:\n"
              << trace;
}

}  // namespace

int main(int argc, char** argv) {
    auto const args = parse(argc, argv);
    // The agent's own log lines are not part of a run's record (the trace is).
    std::ostringstream discarded;
    gic::observe::init_logging(gic::observe::Level::error, gic::observe::Format::text, discarded);

    auto const cpu_start = cpu_seconds();
    double simulated_hours = 0;
    std::uint64_t overlaps = 0, certificates = 0, terms = 0, events = 0;
    for (std::uint64_t n = 0; n < args.seeds; ++n) {
        auto const seed = args.first + n;
        std::string trace;
        auto const result = gic::sim::run_simulation(seed, args.config, args.trace ? &std::cout : nullptr, &trace);
        simulated_hours += result.simulated_hours;
        overlaps += result.tolerated_overlaps;
        certificates += result.certificates;
        terms += result.terms;
        events += result.events;
        if (result.violation) {
            report_failure(result, trace);
            return 1;
        }
        if (args.replay_check) {
            auto const again = gic::sim::run_simulation(seed, args.config);
            if (again.trace_hash != result.trace_hash || again.trace_lines != result.trace_lines) {
                std::cout << "FAILED seed " << seed << ": replay differs (trace hash " << std::hex << result.trace_hash
                          << " then " << again.trace_hash << std::dec << ", " << result.trace_lines << " then "
                          << again.trace_lines << " lines)\n";
                return 1;
            }
        }
        if (args.progress && ((n + 1) % 100 == 0 || n + 1 == args.seeds)) {
            auto const cpu = cpu_seconds() - cpu_start;
            std::cerr << "\r" << (n + 1) << "/" << args.seeds << " seeds, " << static_cast<long>(simulated_hours)
                      << " simulated hours, " << static_cast<long>((n + 1) / std::max(cpu, 1e-9)) << " seeds/s"
                      << std::flush;
        }
    }
    auto const cpu = std::max(cpu_seconds() - cpu_start, 1e-9);
    if (args.progress) std::cerr << "\n";
    std::cout << args.seeds << " seeds passed (first " << args.first << "): " << simulated_hours
              << " simulated hours, " << terms << " writer terms, " << certificates << " certificates, " << events << " Events, " << overlaps
              << " tolerated overlaps after suspended processes; " << cpu << " CPU s, "
              << static_cast<double>(args.seeds) / cpu << " seeds/s, " << simulated_hours / cpu
              << " simulated hours per CPU second\n";
    return 0;
}
