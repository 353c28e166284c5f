#!/usr/bin/env bash
# Fuzzes every parser of outside input for longer than the test suite does (docs/testing.md).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 300 s; targets: base64,
# pem_bundle, ca_response, token_claims, kubeconfig, exec_credential, watch_framer, status, ...)
# Builds build-fuzz/ with clang (libFuzzer, ASan, UBSan), runs the targets one after another under
# nice, and keeps what it learns in build-fuzz/tests/fuzz/work/<target>/corpus. A crash stops the
# run; the input is in build-fuzz/tests/fuzz/work/<target>/crash-*: add it to
# tests/fuzz/corpus/<target>/ and to the module's unit tests once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
scripts/install-deps.sh
scripts/install-deps.sh --fuzz
[ -f build-fuzz/build.ninja ] || CXX=clang++-14 meson setup build-fuzz --wrap-mode=nodownload \
  -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
# shellcheck disable=SC2046 # one target per word
nice ninja -C build-fuzz $(python3 scripts/test_targets.py build-fuzz --suite fuzz) >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for exe in build-fuzz/tests/fuzz/fuzz_*; do
    [ -f "$exe" ] && [ -x "$exe" ] && targets+=("${exe##*/fuzz_}")
  done
fi
for target in "${targets[@]}"; do
  work=build-fuzz/tests/fuzz/work/$target
  mkdir -p "$work"
  echo "fuzzing $target for $seconds s (log: $work/fuzz.log)" >&2
  if ! nice tests/fuzz/run_target.sh "build-fuzz/tests/fuzz/fuzz_$target" "tests/fuzz/corpus/$target" \
    "$work" "$seconds" >"$work/fuzz.log" 2>&1; then
    tail -n 60 "$work/fuzz.log" >&2
    echo "fuzz_$target failed: see $work/fuzz.log and $work/crash-*" >&2
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done' "$work/fuzz.log" >&2 || true
done
