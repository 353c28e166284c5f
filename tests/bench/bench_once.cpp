// Benchmark (not a test): wall time from process start to Secret written for `--once`, and the
// agent's peak RSS, for ecdsa-p256 and rsa-2048, and `--version` (process start-up alone), next to
// `kubectl version --client` on the same machine as a yardstick. scripts/bench.sh runs the wider
// comparison of the release binary. Prints figures; asserts nothing about speed.

#include "common/sandbox.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

using namespace gic::test;

namespace {

struct Figures {
    double median_ms = 0;
    double min_ms = 0;
    double max_ms = 0;
    long max_rss_kib = 0;
    int failures = 0;
};

Figures summarize(std::vector<ProcessResult> const& runs) {
    Figures f;
    std::vector<double> ms;
    for (auto const& r : runs) {
        if (r.exit_code != 0) {
            ++f.failures;
            continue;
        }
        ms.push_back(std::chrono::duration<double, std::milli>(r.wall).count());
        f.max_rss_kib = std::max(f.max_rss_kib, r.max_rss_kib);
    }
    if (ms.empty()) return f;
    std::sort(ms.begin(), ms.end());
    f.median_ms = ms[ms.size() / 2];
    f.min_ms = ms.front();
    f.max_ms = ms.back();
    return f;
}

void print(std::string const& what, Figures const& f, int runs) {
    std::printf("%-34s median %7.1f ms  min %7.1f ms  max %7.1f ms  peak RSS %6.1f MiB  (%d runs, %d failed)\n",
                what.c_str(), f.median_ms, f.min_ms, f.max_ms, double(f.max_rss_kib) / 1024.0, runs, f.failures);
}

}  // namespace

int main(int argc, char** argv) {
    int runs = argc > 1 ? std::atoi(argv[1]) : 15;
    Sandbox sandbox;
    // Warm-up: page cache, the API server's first TLS session.
    sandbox.run_agent({"--once", "--key-algorithm", "ecdsa-p256"});

    for (std::string algorithm : {"ecdsa-p256", "rsa-2048"}) {
        std::vector<ProcessResult> results;
        for (int i = 0; i < runs; ++i) results.push_back(sandbox.run_agent({"--once", "--key-algorithm", algorithm}));
        if (results.back().exit_code != 0) std::cerr << results.back().err;
        print("gen-istio-cert --once " + algorithm, summarize(results), runs);
    }
    {
        std::vector<ProcessResult> results;
        char const* agent = std::getenv("GIC_AGENT");
        for (int i = 0; i < runs; ++i) results.push_back(run_process({agent, "--version"}));
        print("gen-istio-cert --version", summarize(results), runs);
    }
    if (sandbox.has_kubectl()) {
        std::vector<ProcessResult> results;
        char const* kubectl = std::getenv("KUBECTL");
        for (int i = 0; i < runs; ++i) results.push_back(run_process({kubectl, "version", "--client"}));
        print("kubectl version --client", summarize(results), runs);
    }
    return 0;
}
