#!/usr/bin/env bash
# Builds the gen-istio-cert container image offline, without a container engine, daemon or
# registry: the release binary (scripts/build.sh), the runtime tree container/assemble-rootfs.sh
# makes of it, and an OCI image archive holding that tree as its single layer, run as 65532:65532
# with the agent as entrypoint. Load it with an engine of your choice, e.g.
#   skopeo copy oci-archive:build-release/gen-istio-cert.oci.tar:0.1.0 containers-storage:gen-istio-cert:0.1.0
#   podman load -i build-release/gen-istio-cert.oci.tar
#
# Usage: scripts/build-image.sh [--binary BINARY] [--output ARCHIVE]
#   --binary  use this agent binary instead of building build-release/src/gen-istio-cert-stripped
#   --output  where to write the archive (default build-release/gen-istio-cert.oci.tar)
# The archive is reproducible: file times are SOURCE_DATE_EPOCH (default 0), owners are root.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

binary=
output=build-release/gen-istio-cert.oci.tar
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --output) output=${2:?--output needs a path}; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$binary" ]; then
  scripts/build.sh build-release src/gen-istio-cert-stripped
  binary=build-release/src/gen-istio-cert-stripped
fi
[ -x "$binary" ] || { echo "build-image: $binary is not an executable file" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/gen-istio-cert-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
container/assemble-rootfs.sh "$binary" "$work/rootfs" >/dev/null
version=$(sed -n "s/^ *version: '\([^']*\)'.*/\1/p" meson.build | head -n 1)
mkdir -p "$(dirname "$output")"
python3 "$repo/scripts/oci_archive.py" "$work/rootfs" "$output" "$version"
echo "build-image: wrote $output ($(stat -c %s "$output") bytes, image tree $(du -sb "$work/rootfs" | cut -f1) bytes)"
