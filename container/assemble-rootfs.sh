#!/usr/bin/env bash
# Assembles the runtime file tree of the gen-istio-cert image (container/Containerfile, stage 2):
#
#   container/assemble-rootfs.sh BINARY DEST
#
#   DEST/usr/local/bin/gen-istio-cert   the binary, stripped
#   DEST/<path of each library>         every shared library `ldd BINARY` resolves, and the loader
#   DEST/etc/passwd, DEST/etc/group     root and nonroot (65532), for tools that look names up
#   DEST/etc/nsswitch.conf              hosts: files dns (glibc name resolution)
#
# The same script runs inside the Containerfile's build stage and in the integration test that
# runs the binary from DEST under chroot, so what the test proves is what the image holds.
# Prints the tree's size in bytes on the last line: "rootfs-size-bytes N".
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BINARY DEST" >&2
  exit 2
fi
binary=$1
dest=$2
if [ ! -x "$binary" ]; then
  echo "$0: $binary is not an executable file" >&2
  exit 2
fi
if [ -e "$dest" ] && [ -n "$(ls -A "$dest")" ]; then
  echo "$0: $dest exists and is not empty" >&2
  exit 2
fi

mkdir -p "$dest/usr/local/bin" "$dest/etc"
install -m 0755 "$binary" "$dest/usr/local/bin/gen-istio-cert"
strip --strip-unneeded "$dest/usr/local/bin/gen-istio-cert"

# ldd lines: "libx.so.1 => /lib/x86_64-linux-gnu/libx.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)".
# Libraries are copied with symlinks resolved, at the path the loader will look for them.
ldd_out=$(ldd "$binary")
if grep -q "not found" <<<"$ldd_out"; then
  echo "$0: unresolved libraries:" >&2
  grep "not found" <<<"$ldd_out" >&2
  exit 1
fi
awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }' <<<"$ldd_out" | sort -u | while read -r lib; do
  mkdir -p "$dest$(dirname "$lib")"
  cp -L "$lib" "$dest$lib"
  chmod 0755 "$dest$lib"
done

cat >"$dest/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat >"$dest/etc/group" <<'GROUP'
root:x:0:
nonroot:x:65532:
GROUP
echo "hosts: files dns" >"$dest/etc/nsswitch.conf"
chmod 0644 "$dest/etc/passwd" "$dest/etc/group" "$dest/etc/nsswitch.conf"

echo "rootfs-size-bytes $(du -sb "$dest" | cut -f1)"
