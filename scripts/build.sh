#!/usr/bin/env bash
# Installs missing Debian packages, configures the build directory once, and builds.
# Usage: scripts/build.sh [BUILD_DIR] [ninja targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
"$PWD/scripts/install-deps.sh"
build_dir=${1:-build}
shift || true
if [ ! -f "$build_dir/build.ninja" ]; then
  meson setup "$build_dir" --wrap-mode=nodownload >/dev/null
fi
ninja -C "$build_dir" "$@" >/dev/null
