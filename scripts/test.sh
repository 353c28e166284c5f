#!/usr/bin/env bash
# Runs the test suite on a fresh Debian 12 machine: installs what is missing, builds, and runs
# `meson test`. Idempotent.
#
# Usage: scripts/test.sh [--stages=LIST] [meson test arguments...]
# The meson test arguments (e.g. --suite unit, or test names) select the tests of the normal and
# asan stages; the tsan and fuzz stages always run their own selection.
# LIST is comma-separated, in the order run (default: normal; `all` is every stage, as CI runs):
#   normal  build/       the whole suite: unit, emulator, integration and fault-simulator tests
#   asan    build-asan/  the same tests under AddressSanitizer + UndefinedBehaviorSanitizer (gcc),
#                        but of the simulator only its fakes and the replay check
#   tsan    build-tsan/  the suites that cross threads (gRPC bridge and CA client, logging from
#                        gRPC threads) under ThreadSanitizer (gcc)
#   fuzz    build-fuzz/  each libFuzzer target on its seed corpus, then fuzzing briefly (clang)
#   release build-release/  the release build (scripts/build.sh) and its OCI image archive checked
#                        against the image budget (suite image)
# Each instrumented stage builds only the executables its tests need. A sanitizer report from any
# process (a test, or the agent and emulators it starts) fails the stage. The last line is the
# total over the stages run: `tests: N passed, N failed, N skipped`.
set -euo pipefail
cd "$(dirname "$0")/.."

stages=normal
if [[ ${1:-} == --stages=* ]]; then
  stages=${1#--stages=}
  shift
fi
[ "$stages" = all ] && stages=normal,release,asan,tsan,fuzz
IFS=, read -r -a stage_list <<<"$stages"
for stage in "${stage_list[@]}"; do
  case $stage in normal | release | asan | tsan | fuzz) ;; *)
    echo "scripts/test.sh: unknown stage \"$stage\" (normal, release, asan, tsan, fuzz or all)" >&2
    exit 2
    ;;
  esac
done

scripts/install-deps.sh
if [[ ,$stages, == *,fuzz,* ]]; then
  scripts/install-deps.sh --fuzz
fi

supp=$PWD/tests/sanitizers
status=0
logs=()
report_stages=0
failed_builds=0
san_env=()

# Configures BUILD_DIR once with the given meson options.
setup() {
  local dir=$1
  shift
  [ -f "$dir/build.ninja" ] || meson setup "$dir" --wrap-mode=nodownload "$@" >/dev/null
}

# Builds what the tests selected by the meson test arguments need (never the benchmarks). A build
# that fails shows the end of its log and counts as one failed test; its stage runs no tests.
build_for_tests() {
  local dir=$1
  shift
  local targets
  targets=$(python3 scripts/test_targets.py "$dir" "$@")
  # shellcheck disable=SC2086 # one target per word
  if ! nice ninja -C "$dir" $targets >"$dir/stage-build.log" 2>&1; then
    tail -n 60 "$dir/stage-build.log" >&2
    echo "scripts/test.sh: building $dir failed (log: $dir/stage-build.log)" >&2
    status=1
    failed_builds=$((failed_builds + 1))
    return 1
  fi
}

# Sanitizer settings for a stage: reports go to files in REPORTS_DIR, from every process the
# tests start, with stack traces; UBSan stops at the first finding.
sanitizer_env() {
  local reports_dir=$1
  san_env=(
    "ASAN_OPTIONS=log_path=$reports_dir/asan:detect_leaks=1:strict_init_order=1"
    "LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0"
    "UBSAN_OPTIONS=log_path=$reports_dir/ubsan:print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp"
    "TSAN_OPTIONS=log_path=$reports_dir/tsan:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
  )
}

# Runs meson test in DIR with san_env. Sanitizer reports fail the stage: they count as one more
# failed test ("the stage's sanitizer reports"), whichever processes wrote them.
run_tests() {
  local stage=$1 dir=$2
  shift 2
  local start=$SECONDS
  rm -rf "$dir/sanitizer-reports" "$dir/meson-logs/testlog.json"
  mkdir -p "$dir/sanitizer-reports"
  env "${san_env[@]}" meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 "$@" || status=$?
  [ -f "$dir/meson-logs/testlog.json" ] && logs+=("$dir/meson-logs/testlog.json")
  local found
  found=$(find "$dir/sanitizer-reports" -type f | wc -l)
  if [ "$found" -gt 0 ]; then
    status=1
    report_stages=$((report_stages + 1))
    echo "stage $stage: $found sanitizer report(s):" >&2
    find "$dir/sanitizer-reports" -type f -exec sh -c 'echo "== $1"; head -80 "$1"' _ {} \; >&2
  fi
  echo "stage $stage: tests took $((SECONDS - start)) s" >&2
}

for stage in "${stage_list[@]}"; do
  start=$SECONDS
  san_env=()
  case $stage in
    normal)
      scripts/build.sh --tests build
      echo "stage normal: build took $((SECONDS - start)) s" >&2
      run_tests normal build "$@"
      ;;
    release)
      scripts/build.sh build-release
      echo "stage release: build took $((SECONDS - start)) s" >&2
      run_tests release build-release --suite image
      ;;
    asan)
      # -O1, as the ASan documentation advises: compiles about 17% faster than -O2.
      setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1
      # The simulator's seed campaigns (suite sim-seeds) would take most of an hour under ASan;
      # its fakes and the replay check (sim-fakes, sim-replay) run here.
      build_for_tests build-asan --no-suite sim-seeds "$@" || continue
      echo "stage asan: build took $((SECONDS - start)) s" >&2
      sanitizer_env "$PWD/build-asan/sanitizer-reports"
      run_tests asan build-asan --timeout-multiplier 3 --no-suite sim-seeds "$@"
      ;;
    tsan)
      setup build-tsan -Db_sanitize=thread -Db_lundef=false
      build_for_tests build-tsan unit_istio unit-observe || continue
      echo "stage tsan: build took $((SECONDS - start)) s" >&2
      sanitizer_env "$PWD/build-tsan/sanitizer-reports"
      run_tests tsan build-tsan --timeout-multiplier 3 unit_istio unit-observe
      ;;
    fuzz)
      # libFuzzer prints its own crash reports and fails the test: no report files here.
      [ -f build-fuzz/build.ninja ] || CXX=clang++-14 meson setup build-fuzz --wrap-mode=nodownload \
        -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
      build_for_tests build-fuzz --suite fuzz || continue
      echo "stage fuzz: build took $((SECONDS - start)) s" >&2
      run_tests fuzz build-fuzz --suite fuzz
      ;;
  esac
done

# One closing line with the totals over the stages, read from meson's own logs.
python3 - "$((report_stages + failed_builds))" "${logs[@]}" <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0, "TIMEOUT": 0, "ERROR": 0, "EXPECTEDFAIL": 0, "UNEXPECTEDPASS": 0}
for path in sys.argv[2:]:
    with open(path) as log:
        for line in log:
            result = json.loads(line).get("result", "ERROR")
            counts[result] = counts.get(result, 0) + 1
passed = counts["OK"] + counts["EXPECTEDFAIL"]
failed = counts["FAIL"] + counts["TIMEOUT"] + counts["ERROR"] + counts["UNEXPECTEDPASS"] + int(sys.argv[1])
print(f"tests: {passed} passed, {failed} failed, {counts['SKIP']} skipped")
PY
exit $status
