"""Runs the release binary's two workloads under callgrind, for the code layout (scripts/profile-layout.sh).

Usage: layout_profile.py --binary UNSTRIPPED --kube-emulator E --istiod-emulator E --out DIR

Starts both emulators on loopback (as scripts/bench.py does) and writes DIR/once-N.callgrind, three
`--once` runs (ECDSA P-256, Secret output, token and root from files: what the benchmark measures),
and DIR/continuous.callgrind, the continuous agent with its default leader election, metrics and
probes, from start through its first issuance and the moment it gives back its start-up memory, to
SIGTERM. Python standard library only.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import start, start_emulators, stop_children, wait_log  # noqa: E402

# Mangled names (--demangle=no), as nm lists them: scripts/layout_script.py matches the two.
CALLGRIND = ["valgrind", "--tool=callgrind", "--dump-instr=yes", "--compress-strings=no", "--compress-pos=no",
             "--demangle=no"]

# The continuous agent gives back its start-up memory 10 s after a check (util/idle_memory); the
# profile waits past that so the code of the idle agent's first quiet spell is in it too.
SETTLE_SECONDS = 14
ONCE_RUNS = 3


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--kube-emulator", required=True)
    p.add_argument("--istiod-emulator", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    state = tempfile.mkdtemp(prefix="gen-istio-cert-layout.")
    children = []
    try:
        base = start_emulators(a.kube_emulator, a.istiod_emulator, state, children)
        env = dict(os.environ, POD_NAME="layout-0")

        # Three --once runs: which of gRPC's paths a run takes depends on timing (which thread
        # finishes the handshake, whether a read is already there), and the union covers more.
        for run in range(ONCE_RUNS):
            once_log = os.path.join(state, "once.log")
            with open(once_log, "wb") as log:
                rc = subprocess.run(CALLGRIND + ["--callgrind-out-file=%s/once-%d.callgrind" % (a.out, run),
                                                 a.binary, "--once", "--key-algorithm", "ecdsa-p256",
                                                 "--output-secret", "layout-once"] + base,
                                    stdout=log, stderr=subprocess.STDOUT, env=env).returncode
            if rc != 0:
                sys.exit("layout: --once under callgrind exited %d:\n%s" % (rc, open(once_log).read()[-3000:]))

        agent_log = os.path.join(state, "continuous.log")
        agent = start(CALLGRIND + ["--callgrind-out-file=" + os.path.join(a.out, "continuous.callgrind"),
                                   a.binary, "--metrics-bind-address=127.0.0.1:0",
                                   "--health-probe-bind-address=127.0.0.1:0", "--cert-ttl", "24h",
                                   "--key-algorithm", "ecdsa-p256", "--output-secret", "layout-continuous"] + base,
                      agent_log, env)
        children.append(agent)
        wait_log(agent_log, "certificate renewal scheduled", 120)
        time.sleep(SETTLE_SECONDS)
        agent.send_signal(signal.SIGTERM)
        rc = agent.wait(60)
        if rc != 0:
            sys.exit("layout: the continuous agent exited %d:\n%s" % (rc, open(agent_log).read()[-3000:]))
    finally:
        stop_children(children, state)


if __name__ == "__main__":
    main()
