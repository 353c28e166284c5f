#!/bin/sh
# Splits a binary into a stripped copy and its debug file, linked by .gnu_debuglink.
# Usage: split-debug.sh OBJCOPY BINARY STRIPPED DEBUG
set -eu
objcopy=$1 binary=$2 stripped=$3 debug=$4
"$objcopy" --only-keep-debug "$binary" "$debug"
chmod 0644 "$debug"
# The link records the debug file's base name and CRC.
"$objcopy" --strip-all --remove-section=.comment --add-gnu-debuglink="$debug" "$binary" "$stripped"
