#!/usr/bin/env python3
"""Runs the sidecar exactly as manifests/envoy-gateway deploys it, against the emulators.

For the main example and its generated-service-account and strategic-merge-patch variants:
renders the proxy Deployment as Envoy Gateway would (render.py), validates it, materialises the sidecar's volumes from the
emulators (API token, kube-root-ca.crt and namespace; the istio-ca token; the istio-ca-root-cert
ConfigMap) and mounts them at their in-cluster paths, loads the example's RBAC into the API
emulator, and runs the real gen-istio-cert binary with the container's args and env as user 65532.
It must write the Secret the EnvoyProxy's clientCertificateRef names, with the pods' SPIFFE identity,
and answer its probes and metrics on the declared ports.

The fixed in-cluster paths (/var/run/secrets/...) and the sidecar's --ca-address
(istiod.istio-system.svc:15012) are served in a private mount and network namespace (unshare, as
root): a tmpfs over /run, bind mounts of the volumes and of /etc/hosts, the istiod emulator on
127.0.0.1:15012. Exits 77 (skipped) when that is not possible."""

import base64
import fcntl
import json
import os
import pathlib
import re
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import checks  # noqa: E402
import schemas  # noqa: E402
from manifests import MANIFESTS, by_kind, flag_value, kubectl, kustomize_build, port_of, sidecar_of  # noqa: E402
from render import render_deployment  # noqa: E402

SKIP = 77
VARIANTS = [MANIFESTS / "envoy-gateway", MANIFESTS / "envoy-gateway" / "generated-service-account",
            MANIFESTS / "envoy-gateway" / "strategic-merge-patch"]
POD_USER = 65532


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)


def loopback_up():
    """A new network namespace has lo down: SIOCSIFFLAGS IFF_UP on it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ifreq = struct.pack("16sH14s", b"lo", 0, b"")
    flags = struct.unpack("16sH14s", fcntl.ioctl(s, 0x8913, ifreq))[1]  # SIOCGIFFLAGS
    fcntl.ioctl(s, 0x8914, struct.pack("16sH14s", b"lo", flags | 0x1, b""))  # SIOCSIFFLAGS, IFF_UP
    s.close()


def mount(*args):
    r = run(["mount", *args])
    if r.returncode != 0:
        fail(f"mount {' '.join(args)}: {r.stderr.strip()}")


class Child:
    """A started emulator whose output is read until a line matches, within a deadline."""

    def __init__(self, argv, log_path):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def wait_for(self, pattern, seconds=60):
        deadline = time.monotonic() + seconds
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(deadline - time.monotonic()):
                break
            line = self.proc.stdout.readline()
            if not line:
                break
            self.log.write(line)
            self.log.flush()
            m = re.search(pattern, line)
            if m:
                return m
        self.log.flush()
        fail(f"{self.proc.args[0]} did not print {pattern!r} within {seconds}s:\n{self.log_path.read_text()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def first_to_exit(processes, seconds):
    """The first of `processes` to exit within `seconds` (pidfds: woken by the exit itself), else None."""
    sel = selectors.DefaultSelector()
    fds = []
    for p in processes:
        fd = os.pidfd_open(p.pid)
        fds.append(fd)
        sel.register(fd, selectors.EVENT_READ, p)
    try:
        events = sel.select(seconds)
        if not events:
            return None
        first = events[0][0].data
        first.wait(timeout=10)
        return first
    finally:
        sel.close()
        for fd in fds:
            os.close(fd)


def field_value(field_path, pod):
    if field_path == "metadata.name":
        return pod["name"]
    if field_path == "metadata.namespace":
        return pod["namespace"]
    fail(f"the test cannot provide fieldRef {field_path}")


def materialise(volume, target, pod, sa_files, kube_ca, configmaps):
    """Writes a volume's files as the kubelet would (tokens 0600 owned by the pod's user)."""
    target.mkdir(parents=True)
    os.chmod(target, 0o755)

    def put(path, data, token=False):
        f = target / path
        f.write_text(data)
        if token:
            os.chown(f, POD_USER, POD_USER)
        os.chmod(f, 0o600 if token else 0o644)

    def configmap(name, items):
        data = configmaps(name)
        for key, value in data.items():
            if items is None:
                put(key, value)
        for item in items or []:
            if item["key"] not in data:
                fail(f"ConfigMap {name} has no key {item['key']}")
            put(item["path"], data[item["key"]])

    if "projected" in volume:
        for source in volume["projected"]["sources"]:
            if "serviceAccountToken" in source:
                audience = source["serviceAccountToken"].get("audience")
                if audience not in (None, "istio-ca"):
                    fail(f"the emulator issues no token for audience {audience}")
                put(source["serviceAccountToken"]["path"],
                    (sa_files / ("istio-token" if audience == "istio-ca" else "token")).read_text(), token=True)
            elif "configMap" in source:
                name = source["configMap"]["name"]
                if name == "kube-root-ca.crt":
                    for item in source["configMap"]["items"]:
                        put(item["path"], kube_ca)
                else:
                    configmap(name, source["configMap"].get("items"))
            elif "downwardAPI" in source:
                for item in source["downwardAPI"]["items"]:
                    put(item["path"], field_value(item["fieldRef"]["fieldPath"], pod))
            else:
                fail(f"volume {volume['name']}: the test cannot provide {list(source)}")
    elif "configMap" in volume:
        configmap(volume["configMap"]["name"], volume["configMap"].get("items"))
    else:
        fail(f"volume {volume['name']}: the test cannot provide {list(volume)}")


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def run_variant(directory, work):
    docs = kustomize_build(directory)
    name = directory.relative_to(MANIFESTS.parent)
    envoyproxy = by_kind(docs, "EnvoyProxy")[0]
    gateway = by_kind(docs, "Gateway")[0]
    deployment = render_deployment(gateway, envoyproxy)
    problems = checks.schema_problems(deployment, schemas.SchemaSet(), f"rendered Deployment of {name}")
    if problems:
        fail("\n".join(problems))
    pod_spec = deployment["spec"]["template"]["spec"]
    sidecar = next((c for c in pod_spec.get("initContainers", []) + pod_spec["containers"]
                    if c["name"] == "gen-istio-cert"), None)
    if sidecar is None or sidecar != sidecar_of(envoyproxy):
        fail(f"{name}: the rendered pod does not carry the EnvoyProxy's sidecar as written")
    namespace = deployment["metadata"]["namespace"]
    service_account = pod_spec["serviceAccountName"]
    pod = {"name": deployment["metadata"]["name"] + "-7d9f8b6c5d-x2x4q", "namespace": namespace}
    print(f"{name}: pod {namespace}/{pod['name']}, service account {service_account}", flush=True)

    state = work / "state"
    state.mkdir()
    kube = Child([os.environ["KUBE_EMULATOR"], "--listen", "127.0.0.1:0", "--state-dir", str(state / "kube"),
                  "--service-account", f"{namespace}/{service_account}"], state / "kube.log")
    children = [kube]
    agent = None
    try:
        kube_port = kube.wait_for(r"listening on https://127\.0\.0\.1:(\d+)")[1]
        admin = str(state / "kube" / "admin.kubeconfig")
        kctl = [kubectl(), "--kubeconfig", admin, "--cache-dir", str(state / "kubectl-cache")]

        ca_address = flag_value(sidecar["args"], "ca-address")
        ca_host, ca_port = ca_address.rsplit(":", 1)
        istiod = Child([os.environ["ISTIOD_EMULATOR"], "--listen", f"127.0.0.1:{ca_port}", "--state-dir",
                        str(state / "istiod"), "--kubeconfig", admin, "--publish-namespace", namespace],
                       state / "istiod.log")
        children.append(istiod)
        istiod.wait_for(r"listening on 127\.0\.0\.1:\d+")
        (work / "hosts").write_text(f"127.0.0.1 localhost {ca_host}\n")

        rbac = [d for d in docs if d["kind"] in ("Role", "RoleBinding")]
        r = run(kctl + ["create", "-f", "-"], input=yaml.safe_dump_all(rbac))
        if r.returncode != 0:
            fail(f"{name}: kubectl create of the example's RBAC: {r.stderr.strip()}")
        r = run(kctl + ["wait", "--for=create", "-n", namespace, "configmap/istio-ca-root-cert", "--timeout=20s"])
        if r.returncode != 0:
            fail(f"{name}: istiod-emulator did not publish istio-ca-root-cert: {r.stderr.strip()}")

        def configmaps(cm):
            got = run(kctl + ["get", "-n", namespace, "configmap", cm, "-o", "json"])
            if got.returncode != 0:
                fail(f"ConfigMap {namespace}/{cm}: {got.stderr.strip()}")
            return json.loads(got.stdout)["data"]

        volumes = {v["name"]: v for v in pod_spec["volumes"]}
        sa_files = state / "kube" / "serviceaccounts" / namespace / service_account
        kube_ca = (state / "kube" / "ca.crt").read_text()
        for m in sidecar["volumeMounts"]:
            source = state / "volumes" / m["name"]
            materialise(volumes[m["name"]], source, pod, sa_files, kube_ca, configmaps)
            os.makedirs(m["mountPath"], exist_ok=True)
            mount("--bind", str(source), m["mountPath"])
            if m.get("readOnly"):
                mount("-o", "remount,bind,ro", m["mountPath"])

        env = {"PATH": "/usr/bin:/bin", "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": kube_port}
        for e in sidecar.get("env", []):
            env[e["name"]] = e["value"] if "value" in e else field_value(e["valueFrom"]["fieldRef"]["fieldPath"], pod)
        sc = sidecar["securityContext"]

        def as_pod_user():
            os.setgroups([])
            os.setgid(sc["runAsGroup"])
            os.setuid(sc["runAsUser"])

        agent_log = open(state / "agent.log", "w")
        agent = subprocess.Popen([os.environ["GIC_AGENT"], *sidecar["args"]], env=env, cwd="/",
                                 stdout=agent_log, stderr=subprocess.STDOUT, preexec_fn=as_pod_user)
        ref = envoyproxy["spec"]["backendTLS"]["clientCertificateRef"]
        ref_ns = ref.get("namespace", envoyproxy["metadata"]["namespace"])
        waiter = subprocess.Popen(kctl + ["wait", "--for=create", "-n", ref_ns, f"secret/{ref['name']}", "--timeout=60s"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        first = first_to_exit([waiter, agent], 70)
        if first is not waiter or waiter.returncode != 0:
            if waiter.poll() is None:
                waiter.kill()
            waiter.wait(timeout=10)
            fail(f"{name}: no Secret {ref_ns}/{ref['name']} (clientCertificateRef) was written "
                 f"(agent exit {agent.poll()}): {waiter.stderr.read().strip()}\n"
                 f"agent log:\n{(state / 'agent.log').read_text()}")
        secret = json.loads(run(kctl + ["get", "-n", ref_ns, "secret", ref["name"], "-o", "json"]).stdout)
        expected_id = f"spiffe://cluster.local/ns/{namespace}/sa/{service_account}"
        annotations = secret["metadata"].get("annotations", {})
        if secret.get("type") != "kubernetes.io/tls" or annotations.get("gen-istio-cert.teg.tetrate.io/spiffe-id") != expected_id:
            fail(f"{name}: Secret {ref['name']} is {secret.get('type')} for {annotations}, expected {expected_id}")
        if annotations.get("gen-istio-cert.teg.tetrate.io/written-by") != pod["name"]:
            fail(f"{name}: the Secret's writer is not POD_NAME {pod['name']}: {annotations}")
        leaf = base64.b64decode(secret["data"]["tls.crt"]).decode()
        san = run(["openssl", "x509", "-noout", "-ext", "subjectAltName"], input=leaf).stdout
        if f"URI:{expected_id}" not in san:
            fail(f"{name}: the certificate's SAN is {san.strip()}, expected URI:{expected_id}")

        health = port_of(flag_value(sidecar["args"], "health-probe-bind-address"))
        metrics = port_of(flag_value(sidecar["args"], "metrics-bind-address"))
        probes = {"livenessProbe": 200, "readinessProbe": 200}
        for probe, want in probes.items():
            get = sidecar[probe]["httpGet"]
            status, body = http_get(f"http://127.0.0.1:{get['port']}{get['path']}")
            if status != want:
                fail(f"{name}: {probe} GET :{get['port']}{get['path']} answered {status} {body.strip()}")
        status, body = http_get(f"http://127.0.0.1:{metrics}/metrics")
        if status != 200 or f'gen_istio_cert_certificate_not_after_seconds{{secret="{ref_ns}/{ref["name"]}"}}' not in body \
                and f'gen_istio_cert_certificate_not_after_seconds{{secret="{ref["name"]}"}}' not in body:
            fail(f"{name}: /metrics on :{metrics} lacks the Secret's NotAfter: {status}\n{body[:2000]}")
        agent.send_signal(signal.SIGTERM)
        code = agent.wait(timeout=10)
        if code != 0:
            fail(f"{name}: the sidecar exited {code} on SIGTERM\n{(state / 'agent.log').read_text()}")
        print(f"{name}: Secret {ref_ns}/{ref['name']} holds {expected_id}; probes on :{health}, metrics on :{metrics}",
              flush=True)
    finally:
        if agent and agent.poll() is None:
            agent.kill()
            agent.wait(timeout=10)
        for c in reversed(children):
            c.stop()
        for m in sidecar["volumeMounts"]:
            run(["umount", m["mountPath"]])


def inside(work, directory):
    """One variant, in fresh mount and network namespaces (so each gets its own 127.0.0.1:15012)."""
    loopback_up()
    run_dir = os.path.realpath("/var/run")
    mount("-t", "tmpfs", "-o", "mode=0755", "gic-run", run_dir)
    hosts = work / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    mount("--bind", str(hosts), "/etc/hosts")
    os.chmod(work, 0o755)
    run_variant(directory, work)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--inside":
        inside(pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]))
        return 0
    for var in ("GIC_AGENT", "KUBE_EMULATOR", "ISTIOD_EMULATOR"):
        if not os.environ.get(var):
            fail(f"{var} is not set (meson sets it)")
    if not kubectl():
        fail("kubectl not found")
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("SKIP: needs root and unshare for a private mount and network namespace", flush=True)
        return SKIP
    probe = run(["unshare", "--mount", "--net", "true"])
    if probe.returncode != 0:
        print(f"SKIP: unshare --mount --net is not permitted here: {probe.stderr.strip()}", flush=True)
        return SKIP
    for directory in VARIANTS:
        with tempfile.TemporaryDirectory(prefix="gic-envoy-gateway-") as work:
            r = subprocess.run(["unshare", "--mount", "--net", "--propagation", "private", "--fork",
                                sys.executable, __file__, "--inside", work, str(directory)], timeout=200)
            if r.returncode != 0:
                return r.returncode
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
