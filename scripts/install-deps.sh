#!/usr/bin/env bash
# Installs the Debian 12 packages gen-istio-cert needs to build and test, when they are missing.
# Idempotent: installs nothing when everything is there. Needs root (or sudo) only then.
# Usage: scripts/install-deps.sh [--fuzz]   (--fuzz: clang and its libFuzzer runtime as well)
set -euo pipefail

packages=(
  g++ meson ninja-build pkg-config ccache
  libboost1.81-dev libboost-log1.81-dev libboost-test1.81-dev libboost-json1.81-dev
  libboost-program-options1.81-dev libboost-thread1.81-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libssl-dev libyaml-cpp-dev openssl
  # the emulator's conformance test with the official Python client
  python3-kubernetes
  # tests/manifests: schema validation of manifests/ and docs, promtool for the alert rules
  python3 python3-jsonschema python3-yaml prometheus
  # tests/image: an independent OCI tool unpacks the image archive
  umoci
)
# Only the fuzz stage (scripts/test.sh --stages=fuzz, scripts/fuzz.sh) needs clang: libFuzzer and
# the sanitizer runtimes it links come with it.
if [ "${1:-}" = --fuzz ]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# kubectl is an independent client of the API emulator in tests; Debian's kubernetes-client
# provides it where the machine has none.
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
