// Benchmark (not a test): the agent in steady state. Starts it in continuous mode with a 24 h
// certificate, lets it settle, then measures over a window (default 60 s): resident memory, CPU
// time used, and the CA and Kubernetes API requests it made. Prints figures; asserts nothing.

#include "common/sandbox.hpp"

#include <boost/json.hpp>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

using namespace gic::test;
using namespace std::chrono_literals;

namespace {

// utime + stime of a process, in milliseconds (/proc/<pid>/stat fields 14 and 15).
double cpu_ms(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string f;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
        if (i == 14) utime = std::stol(f);
        if (i == 15) stime = std::stol(f);
    }
    return double(utime + stime) * 1000.0 / double(::sysconf(_SC_CLK_TCK));
}

// A "VmRSS:" or "VmHWM:" line of /proc/<pid>/status, in KiB.
long status_kib(int pid, std::string const& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
    return 0;
}

std::size_t kube_requests(Sandbox const& sb) {
    auto r = sb.kubectl({"get", "--raw", "/emulator/v1/requests"});
    if (r.exit_code != 0) return 0;
    auto v = boost::json::parse(r.out);
    auto const& list = v.is_array() ? v.as_array() : v.at("items").as_array();
    std::size_t n = 0;
    for (auto const& entry : list) {
        auto const& o = entry.as_object();
        auto user = o.contains("user") ? std::string(o.at("user").as_string()) : std::string();
        if (user.find("system:serviceaccount:") == 0) ++n;  // the agent, not the test's own kubectl calls
    }
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    int window_s = argc > 1 ? std::atoi(argv[1]) : 60;
    Sandbox sb;
    auto agent = sb.start_agent({"--leader-elect=false", "--metrics-bind-address=0", "--health-probe-bind-address=0",
                                 "--cert-ttl", "24h", "--key-algorithm", "ecdsa-p256"},
                                "idle-agent");
    if (!agent->wait_for("certificate renewal scheduled", 30s)) {
        std::fprintf(stderr, "agent did not reach steady state:\n%s\n", agent->log().c_str());
        return 1;
    }
    std::this_thread::sleep_for(2s);
    auto ca_before = sb.istiod_admin_get("/requests").at("requests").as_array().size();
    auto kube_before = kube_requests(sb);
    auto cpu_before = cpu_ms(agent->pid());
    std::this_thread::sleep_for(std::chrono::seconds(window_s));
    auto cpu_after = cpu_ms(agent->pid());
    auto rss = status_kib(agent->pid(), "VmRSS:");
    auto hwm = status_kib(agent->pid(), "VmHWM:");
    auto anon = status_kib(agent->pid(), "RssAnon:");
    auto file_backed = status_kib(agent->pid(), "RssFile:");
    auto ca_after = sb.istiod_admin_get("/requests").at("requests").as_array().size();
    auto kube_after = kube_requests(sb);
    agent->signal(SIGTERM);
    agent->wait(5s);

    std::printf("steady state over %d s (24h certificate, no leader election):\n", window_s);
    std::printf("  RSS now %.1f MiB (anonymous %.1f MiB, file-backed %.1f MiB), peak %.1f MiB\n", double(rss) / 1024.0,
                double(anon) / 1024.0, double(file_backed) / 1024.0, double(hwm) / 1024.0);
    std::printf("  CPU time %.1f ms (%.2f ms per idle minute)\n", cpu_after - cpu_before,
                (cpu_after - cpu_before) * 60.0 / double(window_s));
    std::printf("  CA requests %zu, Kubernetes API requests %zu\n", ca_after - ca_before, kube_after - kube_before);
    return 0;
}
