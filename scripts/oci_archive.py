"""Writes an OCI image archive (an OCI image layout in a tar file) from one directory tree.

Usage: python3 oci_archive.py ROOTFS ARCHIVE VERSION

The tree becomes the image's only layer (gzip); the image runs as 65532:65532 with
/usr/local/bin/gen-istio-cert as entrypoint. Everything is deterministic: sorted entries, owner
root, times SOURCE_DATE_EPOCH (default 0), so the same tree gives the same digests.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

ENTRYPOINT = "/usr/local/bin/gen-istio-cert"
USER = "65532:65532"


def layer_tar(rootfs, mtime):
    """The tree as an uncompressed tar: relative names, root owner, fixed times and modes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory, dirs, files in os.walk(rootfs):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                path = os.path.join(directory, name)
                info = tar.gettarinfo(path, arcname=os.path.relpath(path, rootfs))
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = mtime
                if info.isdir():
                    info.mode = 0o755
                if info.isreg():
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    return buffer.getvalue()


def blob(blobs, data, media_type):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def main():
    rootfs, archive, version = sys.argv[1:4]
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    created = "1970-01-01T00:00:00Z" if mtime == 0 else None
    layer = layer_tar(rootfs, mtime)
    compressed = gzip.compress(layer, compresslevel=9, mtime=0)
    blobs = {}
    layer_desc = blob(blobs, compressed, "application/vnd.oci.image.layer.v1.tar+gzip")
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"User": USER, "Entrypoint": [ENTRYPOINT], "WorkingDir": "/",
                   "Labels": {"org.opencontainers.image.title": "gen-istio-cert",
                              "org.opencontainers.image.version": version}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
        "history": [{"created_by": "container/assemble-rootfs.sh"}],
    }
    if created:
        config["created"] = created
        config["history"][0]["created"] = created
    config_desc = blob(blobs, json.dumps(config, sort_keys=True).encode(),
                       "application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_desc, "layers": [layer_desc]}
    manifest_desc = blob(blobs, json.dumps(manifest, sort_keys=True).encode(),
                         "application/vnd.oci.image.manifest.v1+json")
    manifest_desc["annotations"] = {"org.opencontainers.image.ref.name": version}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [manifest_desc]}

    def add(tar, name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = mtime
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))

    temporary = archive + ".tmp"
    with tarfile.open(temporary, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add(tar, "oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        add(tar, "index.json", json.dumps(index, sort_keys=True).encode())
        for directory in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = mtime
            tar.addfile(info)
        for digest in sorted(blobs):
            add(tar, "blobs/sha256/" + digest.split(":", 1)[1], blobs[digest])
    os.replace(temporary, archive)


if __name__ == "__main__":
    main()
