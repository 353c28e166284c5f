#!/usr/bin/env python3
"""Prints the ninja targets that the tests selected by `meson test` arguments need.

Usage: test_targets.py BUILD_DIR [meson test arguments...]
Understands test names, --suite and --no-suite (as `meson test` does: project:suite or suite);
other options are skipped. Lets an instrumented build compile only what its tests run, never the
benchmarks.
"""
import json
import os
import subprocess
import sys

# meson test options followed by a value that is not a test name.
OPTIONS_WITH_VALUE = {"--suite", "--no-suite", "--num-processes", "-j", "--timeout-multiplier", "-t",
                      "--repeat", "--setup", "--test-args", "--wrapper", "-C", "--logbase"}


def introspect(build_dir, what):
    out = subprocess.run(["meson", "introspect", what, build_dir], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def suite_matches(wanted, test_suites):
    # meson names suites "project:suite"; either form selects.
    return any(wanted == s or wanted == s.split(":", 1)[-1] for s in test_suites)


def main():
    build_dir, args = sys.argv[1], sys.argv[2:]
    names, suites, no_suites = [], [], []
    i = 0
    while i < len(args):
        arg = args[i]
        key, eq, value = arg.partition("=")
        if key in OPTIONS_WITH_VALUE:
            if not eq:
                i += 1
                value = args[i] if i < len(args) else ""
            if key == "--suite":
                suites.append(value)
            elif key == "--no-suite":
                no_suites.append(value)
        elif not arg.startswith("-"):
            names.append(arg)
        i += 1

    tests = introspect(build_dir, "--tests")
    selected = []
    for test in tests:
        if names and test["name"] not in names:
            continue
        if suites and not any(suite_matches(s, test["suite"]) for s in suites):
            continue
        if any(suite_matches(s, test["suite"]) for s in no_suites):
            continue
        selected.append(test)

    outputs = {}
    for target in introspect(build_dir, "--targets"):
        outputs[target["id"]] = [os.path.relpath(f, os.path.abspath(build_dir)) for f in target["filename"]]
    wanted = []
    for test in selected:
        for target_id in test.get("depends", []):
            for output in outputs.get(target_id, []):
                if output not in wanted:
                    wanted.append(output)
    if not wanted:
        sys.exit(f"test_targets.py: no test in {build_dir} matches {' '.join(args) or 'anything'}")
    print("\n".join(wanted))


if __name__ == "__main__":
    main()
