"""Loading the project's YAML: manifests/ files, kustomize builds, the YAML blocks of the docs, and
the Envoy Gateway facts the checks need."""

import hashlib
import os
import pathlib
import re
import shutil
import subprocess

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"

# Envoy Gateway's proxy containers' ports (internal/infrastructure/kubernetes/proxy/resource.go):
# admin 19000, stats 19001, shutdown manager 19002, readiness 19003.
ENVOY_RESERVED_PORTS = range(19000, 19004)
# In-cluster paths the agent reads (src/agent/setup/options.hpp, src/kube/rest_config.hpp).
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
ISTIO_TOKEN_PATH = "/var/run/secrets/tokens/istio-token"
ROOT_CERT_PATH = "/var/run/secrets/istio/root-cert.pem"


def kubectl():
    return os.environ.get("KUBECTL") or shutil.which("kubectl")


def load_docs(text, origin):
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        raise SystemExit(f"{origin}: not YAML: {e}")


def manifest_files():
    return sorted(p for p in MANIFESTS.rglob("*") if p.suffix in (".yaml", ".yml"))


def kustomization_dirs():
    return sorted(p.parent for p in MANIFESTS.rglob("kustomization.yaml"))


def kustomize_build(directory):
    exe = kubectl()
    if not exe:
        raise SystemExit("kubectl not found: it builds the kustomizations (Debian: kubernetes-client)")
    r = subprocess.run([exe, "kustomize", str(directory)], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise SystemExit(f"kubectl kustomize {directory.relative_to(ROOT)} failed: {r.stderr.strip()}")
    return load_docs(r.stdout, f"kustomize build of {directory.relative_to(ROOT)}")


def markdown_yaml_blocks(path):
    """(line, text) of every ```yaml block."""
    blocks, current, start = [], None, 0
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if current is None and re.match(r"^\s*```ya?ml\s*$", line):
            current, start = [], n + 1
        elif current is not None and re.match(r"^\s*```\s*$", line):
            blocks.append((start, "\n".join(current)))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def documentation_files():
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def generated_service_account(gateway_namespace, gateway_name):
    """Envoy Gateway's ServiceAccount (and Deployment) name for a Gateway without envoyServiceAccount:
    ExpectedResourceHashedName("<ns>/<name>") = "envoy-" + GetHashedName(..., 48)."""
    ns_name = f"{gateway_namespace}/{gateway_name}"
    digest = hashlib.sha256(ns_name.encode()).hexdigest()[:8]
    resource = ns_name.replace("/", "-")
    if len(resource) > 48:
        resource = resource[:48].rstrip("-")
    return f"envoy-{resource}-{digest}"


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def flag_value(args, flag):
    for a in args:
        if a.startswith(f"--{flag}="):
            return a.split("=", 1)[1]
    for i, a in enumerate(args[:-1]):
        if a == f"--{flag}":
            return args[i + 1]
    return None


def port_of(bind_address):
    return int(bind_address.rsplit(":", 1)[1])


def sidecar_of(envoyproxy):
    """The gen-istio-cert container of an EnvoyProxy: an init container (native sidecar) or a container
    of the strategic-merge patch."""
    deployment = envoyproxy["spec"]["provider"]["kubernetes"].get("envoyDeployment", {})
    for c in deployment.get("initContainers", []):
        if c["name"] == "gen-istio-cert":
            return c
    patch = deployment.get("patch", {}).get("value", {})
    for c in patch.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
        if c.get("name") == "gen-istio-cert":
            return c
    return None


def pod_volumes_of(envoyproxy):
    deployment = envoyproxy["spec"]["provider"]["kubernetes"].get("envoyDeployment", {})
    volumes = list(deployment.get("pod", {}).get("volumes", []))
    patch = deployment.get("patch", {}).get("value", {})
    volumes += patch.get("spec", {}).get("template", {}).get("spec", {}).get("volumes", [])
    return volumes
