"""Checks the OCI image archive scripts/build-image.sh makes of an agent binary.

Usage: python3 check_image.py REPO BINARY MAX_TREE_BYTES   (0: report the size, no limit)

Builds the archive and, independently, the runtime tree container/assemble-rootfs.sh makes, then
checks: one layer holding exactly that tree (names, modes, contents), its diff_id, user
65532:65532, the agent as entrypoint, no shell or other program besides the agent, and the tree's
size. When umoci is installed it must unpack the archive into a runtime bundle as that user.
Prints one line per check; exits 1 with the reason on the first failure.
"""
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

ENTRYPOINT = "usr/local/bin/gen-istio-cert"
SHELLS = {"sh", "bash", "dash", "ash", "zsh", "busybox", "toybox"}


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print("ok: " + message)


def tree_entries(root):
    entries = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, root)
            if os.path.isdir(path):
                entries[rel] = ("dir", None, None)
            else:
                with open(path, "rb") as f:
                    entries[rel] = ("file", os.stat(path).st_mode & 0o7777, hashlib.sha256(f.read()).hexdigest())
    return entries


def main():
    repo, binary, max_bytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    work = tempfile.mkdtemp(prefix="gen-istio-cert-image-test.")
    try:
        archive = os.path.join(work, "image.oci.tar")
        subprocess.run([os.path.join(repo, "scripts/build-image.sh"), "--binary", binary, "--output", archive],
                       check=True, stdout=subprocess.DEVNULL)
        tree = os.path.join(work, "tree")
        subprocess.run([os.path.join(repo, "container/assemble-rootfs.sh"), binary, tree],
                       check=True, stdout=subprocess.DEVNULL)
        expected = tree_entries(tree)

        with tarfile.open(archive) as outer:
            def read(name):
                return outer.extractfile(name).read()
            check(json.loads(read("oci-layout")) == {"imageLayoutVersion": "1.0.0"}, "oci-layout 1.0.0")
            index = json.loads(read("index.json"))
            check(len(index["manifests"]) == 1, "the index names one manifest")

            def blob(descriptor):
                data = read("blobs/sha256/" + descriptor["digest"].split(":", 1)[1])
                if "sha256:" + hashlib.sha256(data).hexdigest() != descriptor["digest"] or len(data) != descriptor["size"]:
                    fail("blob " + descriptor["digest"] + " does not match its descriptor")
                return data
            manifest = json.loads(blob(index["manifests"][0]))
            config = json.loads(blob(manifest["config"]))
            check(len(manifest["layers"]) == 1, "one layer")
            layer = gzip.decompress(blob(manifest["layers"][0]))
            check(config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(layer).hexdigest()],
                  "the config's diff_id is the layer's")
            check(config["config"].get("User") == "65532:65532", "runs as 65532:65532")
            check(config["config"].get("Entrypoint") == ["/" + ENTRYPOINT], "entrypoint /" + ENTRYPOINT)
            check(config["os"] == "linux" and config["architecture"] == "amd64", "linux/amd64")

        layer_path = os.path.join(work, "layer.tar")
        with open(layer_path, "wb") as f:
            f.write(layer)
        found = {}
        with tarfile.open(layer_path) as tar:
            for member in tar.getmembers():
                if member.uid != 0 or member.gid != 0:
                    fail(member.name + " is not owned by root")
                if member.mode & 0o022:
                    fail(member.name + " is writable by group or others")
                if member.isdir():
                    found[member.name] = ("dir", None, None)
                elif member.isfile():
                    digest = hashlib.sha256(tar.extractfile(member).read()).hexdigest()
                    found[member.name] = ("file", member.mode, digest)
                else:
                    fail(member.name + " is neither a file nor a directory")
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        check(not missing and not extra,
              "the layer holds exactly the assembled tree (missing %s, extra %s)" % (missing, extra))
        differing = [name for name in expected if expected[name] != found[name]]
        check(not differing, "every file's mode and contents match the tree (differing: %s)" % differing)
        shells = [name for name in found if os.path.basename(name) in SHELLS]
        check(not shells, "no shell in the image (found: %s)" % shells)
        programs = [name for name, (kind, mode, _) in found.items()
                    if kind == "file" and name != ENTRYPOINT and "/lib" not in "/" + name and mode & 0o111]
        check(not programs, "no program besides the agent and its libraries (found: %s)" % programs)

        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(tree) for f in fs)
        print("image tree %d bytes (%.1f MiB) in %d files; archive %d bytes" %
              (size, size / 1048576, sum(1 for k in found.values() if k[0] == "file"), os.path.getsize(archive)))
        if max_bytes:
            check(size <= max_bytes, "image tree %d bytes <= %d" % (size, max_bytes))

        umoci = shutil.which("umoci")
        if umoci:
            layout = os.path.join(work, "layout")
            with tarfile.open(archive) as outer:
                outer.extractall(layout)
            tag = index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
            bundle = os.path.join(work, "bundle")
            subprocess.run([umoci, "unpack", "--image", layout + ":" + tag, bundle], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            with open(os.path.join(bundle, "config.json")) as f:
                process = json.load(f)["process"]
            check(process["user"]["uid"] == 65532 and process["user"]["gid"] == 65532 and
                  process["args"] == ["/" + ENTRYPOINT], "umoci unpacks it into a bundle running the agent as 65532")
            check(os.path.isfile(os.path.join(bundle, "rootfs", ENTRYPOINT)), "the unpacked rootfs holds the agent")
        else:
            print("note: umoci is not installed; the archive was checked by this script only")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
