#!/usr/bin/env bash
# Writes scripts/release-layout.ld, the release agent's code layout, from profiles of real runs.
# Usage: scripts/profile-layout.sh [BUILD_DIR]   (default build-release, the release build)
#
# Builds the release binary and both emulators (scripts/build.sh), runs the unstripped binary under
# callgrind for a --once run and for a continuous agent's start (scripts/layout_profile.py), looks
# every instruction they ran up in the link map (scripts/layout_script.py) and writes the linker
# script that gathers those input sections, then relinks. Run it again when a change moves a lot of
# code in or out of what a run executes: a stale layout still links (patterns that match nothing are
# ignored), it only gathers less. Needs valgrind (installed here if missing); building does not.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build-release}

if ! command -v valgrind >/dev/null; then
  echo "profile-layout: installing valgrind" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi

scripts/build.sh "$build_dir" src/gen-istio-cert tests/emulator/kube/kube-apiserver-emulator \
  tests/emulator/istiod/istiod-emulator
if [ ! -f "$build_dir/src/gen-istio-cert.map" ]; then
  echo "profile-layout: $build_dir has no link map; it must be a release build (-Dstatic_deps=true)" >&2
  exit 2
fi
profiles=$(mktemp -d)
trap 'rm -rf "$profiles"' EXIT
python3 scripts/layout_profile.py --binary "$build_dir/src/gen-istio-cert" \
  --kube-emulator "$build_dir/tests/emulator/kube/kube-apiserver-emulator" \
  --istiod-emulator "$build_dir/tests/emulator/istiod/istiod-emulator" --out "$profiles"
python3 scripts/layout_script.py --binary "$build_dir/src/gen-istio-cert" --map "$build_dir/src/gen-istio-cert.map" \
  --out scripts/release-layout.ld "$profiles"/once-*.callgrind "$profiles"/continuous.callgrind
ninja -C "$build_dir" src/gen-istio-cert-stripped >/dev/null
