#!/usr/bin/env bash
# Installs missing Debian packages, configures the build directory once, and builds.
# Usage: scripts/build.sh [--tests] [BUILD_DIR] [ninja targets...]
#   default   the release build in build-release: every dependency but glibc linked statically,
#             unused sections dropped, -O2, the code a run executes laid out together
#             (scripts/release-layout.ld, see scripts/profile-layout.sh);
#             src/gen-istio-cert-stripped is the shipped binary
#             (its debug information is src/gen-istio-cert.debug), plus the two emulators for
#             scripts/sandbox.sh. No test code.
#   --tests   the test build in build (what scripts/test.sh runs): shared libraries, quick to link,
#             the same code with the unit, emulator and integration tests.
# An existing BUILD_DIR keeps the options it was configured with.
set -euo pipefail
cd "$(dirname "$0")/.."
"$PWD/scripts/install-deps.sh"
profile=release
if [ "${1:-}" = --tests ]; then
  profile=tests
  shift
fi
if [ $profile = tests ]; then build_dir=${1:-build}; else build_dir=${1:-build-release}; fi
shift || true
if [ ! -f "$build_dir/build.ninja" ]; then
  if [ $profile = tests ]; then
    meson setup "$build_dir" --wrap-mode=nodownload >/dev/null
  else
    meson setup "$build_dir" --wrap-mode=nodownload --buildtype=debugoptimized \
      -Dstatic_deps=true -Dtests=false -Demulators=true >/dev/null
  fi
fi
ninja -C "$build_dir" "$@" >/dev/null
