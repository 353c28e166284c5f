#!/usr/bin/env bash
# Measures the release binary beside its yardsticks on this machine and writes a Markdown table and
# a plot: `--once` (ECDSA, Secret output, against both emulators on loopback) and `--version` wall
# time and peak RSS; the idle continuous agent's RSS (anonymous and file-backed) and CPU. Yardsticks:
# `kubectl version --client`, a one-Secret `kubectl get`, the Python kubernetes client importing and
# reading one Secret (when python3-kubernetes is installed), and `kubectl get secret -w` idling on
# the same API. Runs are interleaved so that the machine's load hits every contender alike.
# Prints figures; asserts nothing.
#
# Usage: scripts/bench.sh [--runs N] [--idle-seconds S] [--baseline BINARY] [--out DIR]
#   --runs N           one-shot rounds (default 15)
#   --idle-seconds S   idle sampling window (default 30)
#   --baseline BINARY  also measure this agent binary (e.g. build/src/gen-istio-cert, the test build)
#   --out DIR          where results.md, once.dat, idle.dat and bench.png go (default build-release/bench)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=15
idle=30
baseline=
out=build-release/bench
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=${2:?}; shift 2 ;;
    --idle-seconds) idle=${2:?}; shift 2 ;;
    --baseline) baseline=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
python_client=
if /usr/bin/python3 -c 'import kubernetes' 2>/dev/null; then python_client=/usr/bin/python3; fi

python3 scripts/bench.py "${agents[@]}" --kube-emulator "$bin/tests/emulator/kube/kube-apiserver-emulator" \
  --istiod-emulator "$bin/tests/emulator/istiod/istiod-emulator" --python-client "$python_client" \
  --runs "$runs" --idle-seconds "$idle" --out "$out"

gnuplot -e "dir='$out'" scripts/bench.gnuplot >"$out/bench.png"
echo "bench: wrote $out/results.md and $out/bench.png"
