"""The side-by-side benchmark behind scripts/bench.sh (see there). Python standard library only.

Starts both emulators on loopback, then in interleaved rounds (so the machine's load hits every
contender alike) measures wall time and peak RSS of each one-shot command, then the resident and
anonymous memory and the CPU time of each long-running watcher over an idle window, then (with
--election-bench) failover times and Lease request rates of three replicas of each agent, and the
image tree each agent makes. Writes results.md (Markdown tables, each figure beside its yardstick,
and the targets), once.dat, idle.dat and election.dat for the plot into OUT_DIR. Asserts nothing.
"""
import argparse
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

NS = "envoy-gateway-system"
SA = "teg-istio"


def start(argv, log_path, env=None):
    log = open(log_path, "wb")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)


def wait_log(path, pattern, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            m = re.search(pattern, f.read())
        if m:
            return m
        time.sleep(0.05)
    sys.exit("bench: %s never matched %r; log:\n%s" % (path, pattern, open(path).read()[-2000:]))


def admin_kubeconfig(state):
    return state + "/kube/admin.kubeconfig"


def start_emulators(kube_emulator, istiod_emulator, state, children):
    """Starts the kube-apiserver and istiod emulators on loopback ports under `state` (appended to
    `children`, for the caller to stop) and returns the agent's flags that point at them: the CA, the
    mesh root, the istio-ca token and the service account's kubeconfig."""
    kube_log = os.path.join(state, "kube.log")
    children.append(start([kube_emulator, "--listen", "127.0.0.1:0", "--state-dir", state + "/kube",
                           "--service-account", NS + "/" + SA], kube_log))
    wait_log(kube_log, r"listening on https://127\.0\.0\.1:\d+")
    istiod_log = os.path.join(state, "istiod.log")
    children.append(start([istiod_emulator, "--listen", "127.0.0.1:0", "--state-dir", state + "/istiod",
                           "--kubeconfig", admin_kubeconfig(state), "--publish-namespace", NS], istiod_log))
    ca = wait_log(istiod_log, r"listening on (127\.0\.0\.1:\d+)").group(1)
    sa_dir = "%s/kube/serviceaccounts/%s/%s" % (state, NS, SA)
    return ["--ca-address", ca, "--root-cert-path", state + "/istiod/root-cert.pem",
            "--istio-token-path", sa_dir + "/istio-token", "--kubeconfig", sa_dir + "/kubeconfig",
            "--output-secret-ns", NS]


def stop_children(children, state):
    """SIGTERM to every child still running, newest first (SIGKILL after 5 s), then removes `state`."""
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    shutil.rmtree(state, ignore_errors=True)


def run_checked(argv, env=None):
    child = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if child.returncode != 0:
        sys.exit("bench: %s exited %d:\n%s" % (" ".join(argv), child.returncode,
                                                child.stderr.decode(errors="replace")[-2000:]))


def evict_from_page_cache(path):
    """Drops a binary's pages from the page cache, so that each agent starts from disk alike.

    How a binary's pages sit in the page cache moves its resident set: on this kernel a fault maps
    the whole (large) folio it hits, and the folios a file gets depend on how it was written or
    read. Evicted, every agent's first run reads it in as a container's first start does.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def run_once(argv, state, env=None):
    """Wall time (ms) of one run started from here, and peak RSS (KiB) and minor page faults of a
    second run.

    The peak RSS comes from GNU time, not from our own wait4: Linux carries the forking process's
    resident size over exec into the child's ru_maxrss, and this Python process is larger than
    the smallest contenders; GNU time is smaller than any of them.
    """
    started = time.perf_counter()
    run_checked(argv, env)
    wall = (time.perf_counter() - started) * 1000.0
    rss_file = os.path.join(state, "maxrss")
    run_checked(["/usr/bin/time", "-f", "%M %R", "-o", rss_file] + argv, env)
    with open(rss_file) as f:
        maxrss, faults = f.read().split()[-2:]
        return wall, int(maxrss), int(faults)


def proc_status(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[key] = int(value.split()[0])
    return fields


def cpu_ms(pid):
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def summary(values):
    return min(values), statistics.median(values), max(values)


# Leader election: the timings bench_election runs three replicas with, and what client-go's elector
# does with the same timings (leaderelection.go: a follower polls with GET every retry period,
# jittered by up to 1.2x more; a crashed leader is replaced lease duration after its last renewal,
# at the next poll; a released Lease is taken at the next poll).
LEASE_S, RETRY_S, JITTER = 3.0, 0.5, 1.2
CLIENT_GO = {
    "graceful_failover_ms": ("%.0f-%.0f (next poll)" % (RETRY_S * 1000, RETRY_S * (1 + JITTER) * 1000)),
    "crash_failover_from_last_renewal_ms": ("%.0f-%.0f" % (LEASE_S * 1000, (LEASE_S + RETRY_S * (1 + JITTER)) * 1000)),
    "follower_requests_per_hour": ("%.0f-%.0f GET" % (3600 / (RETRY_S * (1 + JITTER)), 3600 / RETRY_S)),
    "leader_requests_per_hour": ("%.0f PUT" % (3600 / RETRY_S)),
}
ELECTION_FIGURES = [
    ("graceful_failover_ms", "graceful failover: SIGTERM to the new holder's write, ms"),
    ("crash_failover_ms", "crash failover: SIGKILL to the new holder's write, ms"),
    ("crash_failover_from_last_renewal_ms", "crash failover: last renewal to the new holder's write, ms"),
    ("follower_requests_per_hour", "Lease requests per hour, each follower"),
    ("leader_requests_per_hour", "Lease requests per hour, leader"),
]

PLOT_NAMES = {"graceful_failover_ms": "graceful", "crash_failover_ms": "crash, from SIGKILL",
              "crash_failover_from_last_renewal_ms": "crash, from last renewal"}


def run_election(bench, binary, kube_emulator, istiod_emulator, kubectl, window, state):
    """One bench_election run (one graceful and one crash failover) of `binary`; its figures."""
    figures_path = os.path.join(state, "election.figures")
    env = dict(os.environ, GIC_AGENT=binary, KUBE_EMULATOR=kube_emulator, ISTIOD_EMULATOR=istiod_emulator,
               KUBECTL=kubectl or "")
    child = subprocess.run([bench, "1", str(window), figures_path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env)
    if child.returncode != 0:
        sys.exit("bench: %s exited %d:\n%s" % (bench, child.returncode, child.stderr.decode(errors="replace")[-2000:]))
    figures = {}
    with open(figures_path) as f:
        for line in f:
            name, value = line.split()
            figures.setdefault(name, []).append(float(value))
    return figures


def image_tree_mib(binary, state):
    """Size of the runtime tree container/assemble-rootfs.sh makes of `binary` (what the image holds)."""
    tree = tempfile.mkdtemp(prefix="tree.", dir=state)
    shutil.rmtree(tree)
    subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "container", "assemble-rootfs.sh"),
                    binary, tree], check=True, stdout=subprocess.DEVNULL)
    total = 0
    for directory, _, files in os.walk(tree):
        total += sum(os.lstat(os.path.join(directory, name)).st_size for name in files)
    return total / 1048576


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_gib = int(f.readline().split()[1]) / 1048576
    load = os.getloadavg()
    return "%s, %d CPUs, %.1f GiB RAM, Linux %s, load average %.2f/%.2f/%.2f at start" % (
        model, os.cpu_count(), mem_gib, platform.release(), *load)


def targets(agents, once, idle, image):
    """The release agent's figures against the targets; the first agent is the release."""
    label = agents[0][0]
    med = lambda name, i: statistics.median([x[i] for x in once[name]])
    rows = []

    def row(what, value, unit, target, ok):
        rows.append("| %s | %s %s | %s | %s |" % (what, value, unit, target, "met" if ok else "**not met**"))

    once_ms = med("%s --once" % label, 0)
    row("`--once` median wall time", "%.1f" % once_ms, "ms", "<= 25 ms", once_ms <= 25)
    if "kubectl version --client" in once:
        ratio = once_ms / med("kubectl version --client", 0)
        row("`--once` median / `kubectl version --client` median", "%.2f" % ratio, "x", "<= 0.33x", ratio <= 0.33)
    peak = med("%s --once" % label, 1) / 1024
    row("`--once` peak RSS (median)", "%.1f" % peak, "MiB", "<= 16 MiB", peak <= 16)
    idle_name = "%s (continuous, idle)" % label
    rss = statistics.median([x[0] for x in idle[idle_name]]) / 1024
    row("idle RSS (median)", "%.1f" % rss, "MiB", "<= 14 MiB", rss <= 14)
    if "kubectl get secret -w" in idle:
        ratio = rss / (statistics.median([x[0] for x in idle["kubectl get secret -w"]]) / 1024)
        row("idle RSS / `kubectl get secret -w`", "%.2f" % ratio, "x", "<= 0.3x", ratio <= 0.3)
    anon = statistics.median([x[1] for x in idle[idle_name]]) / 1024
    row("idle anonymous memory (median)", "%.2f" % anon, "MiB", "<= 2.5 MiB", anon <= 2.5)
    version_ms = med("%s --version" % label, 0)
    row("`--version` median wall time", "%.1f" % version_ms, "ms", "< 10 ms", version_ms < 10)
    row("image tree", "%.1f" % image[label], "MiB", "< 20 MiB", image[label] < 20)
    return ["", "Targets (`%s`):" % label, "", "| figure | measured | target | |", "|---|---:|---|---|"] + rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--agent", action="append", required=True, help="LABEL=BINARY, repeatable")
    p.add_argument("--kube-emulator", required=True)
    p.add_argument("--istiod-emulator", required=True)
    p.add_argument("--kubectl", default=shutil.which("kubectl"))
    p.add_argument("--python-client", default="")
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--idle-seconds", type=int, default=30)
    p.add_argument("--settle-seconds", type=int, default=15,
                   help="wait after the first check; the agent gives back start-up memory 10 s after it")
    p.add_argument("--election-bench", default="", help="tests/bench/bench_election of a test build")
    p.add_argument("--election-runs", type=int, default=3)
    p.add_argument("--election-window", type=int, default=10,
                   help="seconds of steady state over which each election run counts Lease requests")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    agents = [tuple(x.split("=", 1)) for x in a.agent]
    os.makedirs(a.out, exist_ok=True)
    state = tempfile.mkdtemp(prefix="gen-istio-cert-bench.")
    children = []
    try:
        base = start_emulators(a.kube_emulator, a.istiod_emulator, state, children)
        admin = admin_kubeconfig(state)
        env = dict(os.environ, POD_NAME="bench-0")

        once = {}   # label -> list of (ms, KiB)
        contenders = []
        for label, binary in agents:
            contenders.append(("%s --once" % label, [binary, "--once", "--key-algorithm", "ecdsa-p256",
                                                     "--output-secret", "bench-once"] + base))
            contenders.append(("%s --version" % label, [binary, "--version"]))
        if a.kubectl:
            contenders.append(("kubectl version --client", [a.kubectl, "version", "--client"]))
            contenders.append(("kubectl get secret (one read)",
                               [a.kubectl, "--kubeconfig", admin, "--cache-dir", state + "/kubectl-cache",
                                "get", "secret", "bench-once", "-n", NS, "-o", "name"]))
        if a.python_client:
            contenders.append(("python3 kubernetes: import, read one Secret",
                               [a.python_client, "-c",
                                "from kubernetes import client, config\n"
                                "config.load_kube_config(%r)\n"
                                "client.CoreV1Api().read_namespaced_secret('bench-once', %r)" % (admin, NS)]))
        for _, binary in agents:
            evict_from_page_cache(binary)
        for _, argv in contenders:   # warm-up: page cache, the first Secret, kubectl's discovery cache
            run_once(argv, state, env)
        for _ in range(a.runs):
            for name, argv in contenders:
                once.setdefault(name, []).append(run_once(argv, state, env))

        idle = {}
        watchers = []
        for i, (label, binary) in enumerate(agents):
            log = os.path.join(state, "idle-%d.log" % i)
            watchers.append(("%s (continuous, idle)" % label, log, start(
                [binary, "--leader-elect=false", "--metrics-bind-address=0", "--health-probe-bind-address=0",
                 "--cert-ttl", "24h", "--key-algorithm", "ecdsa-p256", "--output-secret", "bench-idle-%d" % i] + base,
                log, env)))
        if a.kubectl:
            log = os.path.join(state, "kubectl-watch.log")
            watchers.append(("kubectl get secret -w", log, start(
                [a.kubectl, "--kubeconfig", admin, "--cache-dir", state + "/kubectl-cache",
                 "get", "secret", "bench-once", "-n", NS, "-w"], log)))
        for name, log, child in watchers:
            if "continuous" in name:
                wait_log(log, "certificate renewal scheduled", 60)
            else:
                wait_log(log, "bench-once", 30)
        children.extend(child for _, _, child in watchers)
        time.sleep(a.settle_seconds)
        cpu_before = {name: cpu_ms(child.pid) for name, _, child in watchers}
        for _ in range(a.idle_seconds):
            time.sleep(1)
            for name, _, child in watchers:
                s = proc_status(child.pid)
                idle.setdefault(name, []).append((s["VmRSS"], s["RssAnon"], s["RssFile"]))
        cpu = {name: cpu_ms(child.pid) - cpu_before[name] for name, _, child in watchers}
        for _, _, child in watchers:
            child.send_signal(signal.SIGTERM)
            child.wait(10)

        election = {}   # label -> figure -> values
        if a.election_bench:
            for _ in range(a.election_runs):
                for label, binary in agents:
                    for name, values in run_election(a.election_bench, binary, a.kube_emulator, a.istiod_emulator,
                                                     a.kubectl, a.election_window, state).items():
                        election.setdefault(label, {}).setdefault(name, []).extend(values)
        image = {label: image_tree_mib(binary, state) for label, binary in agents}

        lines = ["Machine: " + machine() + ".", "",
                 "One-shot commands: %d interleaved rounds after one warm-up round (wall time from fork to exit; "
                 "peak RSS and minor page faults of a second run under GNU time; each agent binary evicted from "
                 "the page cache before the warm-up)." % a.runs, "",
                 "| command | wall ms min | median | max | peak RSS MiB min | median | max | minor faults median |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|"]
        dat = []
        for name, _ in contenders:
            ms = summary([x[0] for x in once[name]])
            rss = summary([x[1] / 1024 for x in once[name]])
            faults = statistics.median([x[2] for x in once[name]])
            lines.append("| `%s` | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f |" % ((name,) + ms + rss + (faults,)))
            dat.append('"%s" %.2f %.2f %.2f %.2f' % (name, ms[1], ms[0], ms[2], rss[1]))
        lines += ["", "Long-running: sampled once a second over %d s, starting %d s after the agent's first check "
                  "(24 h certificate, no leader election); CPU is the time used over the window." % (
                      a.idle_seconds, a.settle_seconds), "",
                  "| process | RSS MiB min | median | max | anon MiB median | file-backed MiB median | CPU ms/min |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        idle_dat = []
        for name, _, _ in watchers:
            rss = summary([x[0] / 1024 for x in idle[name]])
            anon = statistics.median([x[1] / 1024 for x in idle[name]])
            file_backed = statistics.median([x[2] / 1024 for x in idle[name]])
            per_min = cpu[name] * 60.0 / a.idle_seconds
            # /proc counts CPU time in clock ticks: no tick over the window reads as "under one tick".
            tick_per_min = 1000.0 / os.sysconf("SC_CLK_TCK") * 60.0 / a.idle_seconds
            cpu_text = "%.1f" % per_min if per_min > 0 else "< %.0f" % tick_per_min
            lines.append("| `%s` | %.1f | %.1f | %.1f | %.2f | %.1f | %s |" % ((name,) + rss + (anon, file_backed, cpu_text)))
            idle_dat.append('"%s" %.2f %.2f %.2f' % (name, rss[1], anon, file_backed))
        if election:
            lines += ["", "Leader election: %d interleaved runs per agent of tests/bench/bench_election (three replicas, "
                      "--lease-duration 3s --renew-deadline 2s --retry-period 500ms; one graceful and one crash failover "
                      "per run, Lease requests counted over %d s of steady state; times are the API emulator's "
                      "write times). The yardstick is client-go's elector with the same timings." % (
                          a.election_runs, a.election_window), "",
                      "| figure | agent | min | median | max | client-go |",
                      "|---|---|---:|---:|---:|---:|"]
            election_dat = []
            for key, title in ELECTION_FIGURES:
                for label, _ in agents:
                    values = election.get(label, {}).get(key)
                    if not values:
                        continue
                    lines.append("| %s | `%s` | %.0f | %.0f | %.0f | %s |" % (
                        (title, label) + summary(values) + (CLIENT_GO.get(key, "-"),)))
                    if key.endswith("_ms"):
                        m = summary(values)
                        election_dat.append('"%s, %s" %.1f %.1f %.1f' % (
                            label.replace("gen-istio-cert ", ""), PLOT_NAMES[key], m[1], m[0], m[2]))
            with open(os.path.join(a.out, "election.dat"), "w") as f:
                f.write("\n".join(election_dat) + "\n")
        lines += ["", "Image: the runtime tree container/assemble-rootfs.sh makes of each agent (what the OCI "
                  "image holds).", "", "| agent | tree MiB |", "|---|---:|"]
        lines += ["| `%s` | %.1f |" % (label, image[label]) for label, _ in agents]
        lines += targets(agents, once, idle, image)
        with open(os.path.join(a.out, "results.md"), "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(a.out, "once.dat"), "w") as f:
            f.write("\n".join(dat) + "\n")
        with open(os.path.join(a.out, "idle.dat"), "w") as f:
            f.write("\n".join(idle_dat) + "\n")
        print("\n".join(lines))
    finally:
        stop_children(children, state)


if __name__ == "__main__":
    main()
