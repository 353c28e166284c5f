#!/usr/bin/env bash
# Runs one libFuzzer target: its seed corpus first, then fuzzing for a while.
# Usage: run_target.sh TARGET SEED_DIR WORK_DIR SECONDS [libFuzzer flags...]
# New inputs go to WORK_DIR/corpus (the seeds stay untouched) and crashes to WORK_DIR/crash-*.
# Exits non-zero on a crash, a leak, a sanitizer report, a timeout or an invariant failure.
set -euo pipefail
target=$1 seeds=$2 work=$3 seconds=$4
shift 4
mkdir -p "$work/corpus"
# -timeout: one input taking more than 10 s is a hang; -rss_limit_mb: memory is bounded too.
# -error_exitcode/-timeout_exitcode: libFuzzer's default, 77, is meson's "skipped", which would hide
# a crash.
exec "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -artifact_prefix="$work/" "$@" "$work/corpus" "$seeds"
