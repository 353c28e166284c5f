#!/usr/bin/env bash
# Measures the release binary beside its yardsticks on this machine and writes a Markdown table and
# a plot: `--once` (ECDSA, Secret output, against both emulators on loopback) and `--version` wall
# time and peak RSS; the idle continuous agent's RSS (anonymous and file-backed) and CPU. Yardsticks:
# `kubectl version --client`, a one-Secret `kubectl get`, the Python kubernetes client importing and
# reading one Secret (when python3-kubernetes is installed), and `kubectl get secret -w` idling on
# the same API. Leader election with three replicas (tests/bench/bench_election, built in the test
# build): failover times and Lease request rates beside client-go's elector with the same timings.
# The image tree each agent makes. Runs are interleaved so that the machine's load hits every
# contender alike. Prints figures and where they stand against the targets; asserts nothing.
#
# Usage: scripts/bench.sh [--runs N] [--idle-seconds S] [--election-runs N] [--baseline BINARY] [--out DIR]
#   --runs N           one-shot rounds (default 15)
#   --idle-seconds S   idle sampling window (default 30)
#   --election-runs N  leader-election runs per agent, each one graceful and one crash failover
#                      (default 3; 0 skips them and the test build they need)
#   --baseline BINARY  also measure this agent binary (e.g. the previous release's gen-istio-cert-stripped)
#   --out DIR          where results.md, the .dat files and bench.png go (default build-release/bench)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=15
idle=30
election_runs=3
baseline=
out=build-release/bench
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=${2:?}; shift 2 ;;
    --idle-seconds) idle=${2:?}; shift 2 ;;
    --election-runs) election_runs=${2:?}; shift 2 ;;
    --baseline) baseline=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

# What the benchmark needs beyond the build: GNU time (peak RSS), gnuplot (the plot), the Python
# kubernetes client (a yardstick). Installed here, not by scripts/install-deps.sh: only this script uses them.
missing=()
for p in time gnuplot-nox python3-kubernetes; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bin=build-release
scripts/build.sh "$bin" src/gen-istio-cert-stripped tests/emulator/kube/kube-apiserver-emulator \
  tests/emulator/istiod/istiod-emulator
agents=(--agent "gen-istio-cert release=$bin/src/gen-istio-cert-stripped")
[ -z "$baseline" ] || agents+=(--agent "gen-istio-cert baseline=$baseline")
election=()
if [ "$election_runs" -gt 0 ]; then
  scripts/build.sh --tests build tests/bench/bench_election
  election=(--election-bench build/tests/bench/bench_election --election-runs "$election_runs")
fi
python_client=
if /usr/bin/python3 -c 'import kubernetes' 2>/dev/null; then python_client=/usr/bin/python3; fi

python3 scripts/bench.py "${agents[@]}" --kube-emulator "$bin/tests/emulator/kube/kube-apiserver-emulator" \
  --istiod-emulator "$bin/tests/emulator/istiod/istiod-emulator" --python-client "$python_client" \
  --runs "$runs" --idle-seconds "$idle" "${election[@]}" --out "$out"

gnuplot -e "dir='$out'" scripts/bench.gnuplot >"$out/bench.png"
echo "bench: wrote $out/results.md and $out/bench.png"
