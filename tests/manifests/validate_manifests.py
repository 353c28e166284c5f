#!/usr/bin/env python3
"""Validates every YAML document of manifests/ (each file, and the kubectl kustomize build of each
kustomization) and every YAML block of README.md and docs/*.md against the vendored CRDs' schemas with
unknown fields rejected, checks the cross-references of the Envoy Gateway example, proves with broken
copies that the checks catch errors, and checks the monitoring rules with promtool.

Prints one line per problem and exits 1 when there is any; 0 otherwise."""

import copy
import hashlib
import pathlib
import shutil
import subprocess
import sys
import tempfile

import jsonschema
import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import checks  # noqa: E402
import schemas  # noqa: E402
from manifests import (MANIFESTS, ROOT, by_kind, documentation_files, generated_service_account,  # noqa: E402
                       kustomization_dirs, kustomize_build, load_docs, manifest_files, markdown_yaml_blocks,
                       sidecar_of)
from render import render_deployment  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent


def schemas_for(directory):
    """The Envoy Gateway 1.5 variant is checked against Envoy Gateway 1.5's CRD; everything else against 1.6."""
    if directory.name == "eg-1.5":
        return schemas.SchemaSet(schemas.ENVOY_GATEWAY_1_5, allow_unserved=True)
    return schemas.SchemaSet()


def rel(p):
    return str(pathlib.Path(p).relative_to(ROOT))


def document_problems(docs, schema_set, origin):
    out = []
    for d in docs:
        out += checks.schema_problems(d, schema_set, origin)
        if isinstance(d, dict):
            out += checks.cel_problems(d, origin)
    return out


def pod_spec_fragment_schema(schema_set):
    pod = copy.deepcopy(schema_set.lookup("apps/v1", "Deployment")["properties"]["spec"]["properties"]["template"]
                        ["properties"]["spec"])
    pod.pop("required", None)
    return pod


def check_files():
    out, count = [], 0
    for path in manifest_files():
        docs = load_docs(path.read_text(), rel(path))
        count += len(docs)
        out += document_problems(docs, schemas_for(path.parent), rel(path))
    return out, count


def check_kustomizations():
    out, builds = [], {}
    for directory in kustomization_dirs():
        docs = kustomize_build(directory)
        builds[directory] = docs
        origin = f"kustomize build {rel(directory)}"
        out += document_problems(docs, schemas_for(directory), origin)
        if by_kind(docs, "EnvoyProxy"):
            out += checks.envoy_gateway_problems(docs, origin)
            out += rendered_problems(docs, origin)
    return out, builds


def rendered_problems(docs, origin):
    """The Deployment Envoy Gateway makes of each Gateway: the patch's content is schema-checked only there."""
    out = []
    proxies = by_kind(docs, "EnvoyProxy")
    for gateway in by_kind(docs, "Gateway"):
        deployment = render_deployment(gateway, proxies[0])
        out += checks.schema_problems(deployment, schemas.SchemaSet(), f"{origin}: rendered for Gateway "
                                      f"{gateway['metadata']['name']}")
    return out


def check_documentation():
    out, count = [], 0
    schema_set = schemas.SchemaSet()
    fragment = jsonschema.Draft7Validator(pod_spec_fragment_schema(schema_set))
    for path in documentation_files():
        for line, text in markdown_yaml_blocks(path):
            origin = f"{rel(path)}:{line}"
            docs = load_docs(text, origin)
            count += len(docs)
            for d in docs:
                if isinstance(d, dict) and "kind" not in d and set(d) <= set(fragment.schema["properties"]):
                    out += [f"{origin}: pod spec fragment: {'.'.join(map(str, e.absolute_path))}: {e.message}"
                            for e in fragment.iter_errors(d)]
                else:
                    out += document_problems([d], schema_set, origin)
            if by_kind(docs, "EnvoyProxy") and by_kind(docs, "GatewayClass"):
                out += checks.envoy_gateway_problems(docs, origin)
    return out, count


def check_generated_name():
    # Envoy Gateway's own test data: infra "default" -> envoy-default-37a8eec1
    # (internal/infrastructure/kubernetes/proxy/testdata/serviceaccount/default.yaml).
    got = "envoy-default-" + hashlib.sha256(b"default").hexdigest()[:8]
    mine = generated_service_account("ns", "gw")
    expect = "envoy-ns-gw-" + hashlib.sha256(b"ns/gw").hexdigest()[:8]
    out = []
    if got != "envoy-default-37a8eec1" or mine != expect:
        out.append(f"generated ServiceAccount name: {got} / {mine} disagree with Envoy Gateway's hashing")
    return out


# Broken copies of the main example: each must be reported, by the schema or by a cross-check.
def _ep(docs):
    return by_kind(docs, "EnvoyProxy")[0]


def _rename(d, old, new):
    d[new] = d.pop(old)


NEGATIVES = [
    ("misspelt EnvoyProxy field (clientCertificateRefs)",
     lambda docs: _rename(_ep(docs)["spec"]["backendTLS"], "clientCertificateRef", "clientCertificateRefs")),
    ("misspelt field in the sidecar container (volumeMount)",
     lambda docs: _rename(sidecar_of(_ep(docs)), "volumeMounts", "volumeMount")),
    ("wrong enum (subjectAltNames type Uri)",
     lambda docs: by_kind(docs, "BackendTLSPolicy")[0]["spec"]["validation"]["subjectAltNames"][0].update(type="Uri")),
    ("wrong enum (provider type Kubernetess)",
     lambda docs: _ep(docs)["spec"]["provider"].update(type="Kubernetess")),
    ("string where an integer belongs (containerPort)",
     lambda docs: sidecar_of(_ep(docs))["ports"][0].update(containerPort="18090")),
    ("unknown apiVersion (BackendTLSPolicy v1beta1)",
     lambda docs: by_kind(docs, "BackendTLSPolicy")[0].update(apiVersion="gateway.networking.k8s.io/v1beta1")),
    ("CEL: subjectAltName type URI without uri",
     lambda docs: by_kind(docs, "BackendTLSPolicy")[0]["spec"]["validation"]["subjectAltNames"][0].pop("uri")),
    ("CEL: envoyDeployment and envoyDaemonSet",
     lambda docs: _ep(docs)["spec"]["provider"]["kubernetes"].update(envoyDaemonSet={})),
    ("EnvoyProxy not referenced by the GatewayClass",
     lambda docs: by_kind(docs, "GatewayClass")[0]["spec"]["parametersRef"].update(name="other")),
    ("volumeMount without its volume",
     lambda docs: _ep(docs)["spec"]["provider"]["kubernetes"]["envoyDeployment"]["pod"]["volumes"].pop(0)),
    ("RBAC bound to another account than the pods'",
     lambda docs: by_kind(docs, "RoleBinding")[0]["subjects"][0].update(name="someone-else")),
    ("clientCertificateRef names another Secret than --output-secret",
     lambda docs: _ep(docs)["spec"]["backendTLS"]["clientCertificateRef"].update(name="other-certs")),
    ("clientCertificateRef in another namespace",
     lambda docs: _ep(docs)["spec"]["backendTLS"]["clientCertificateRef"].update(namespace="default")),
    ("metrics port on Envoy's stats port 19001",
     lambda docs: sidecar_of(_ep(docs))["args"].__setitem__(2, "--metrics-bind-address=:19001")),
    ("health port on a Gateway listener's container port",
     lambda docs: sidecar_of(_ep(docs))["args"].__setitem__(3, "--health-probe-bind-address=:10080")),
    ("not a native sidecar (no restartPolicy: Always)",
     lambda docs: sidecar_of(_ep(docs)).pop("restartPolicy")),
    ("no API token volume (automount is off)",
     lambda docs: _ep(docs)["spec"]["provider"]["kubernetes"]["envoyDeployment"]["pod"]["volumes"][0]["projected"]
     ["sources"].pop(0)),
    ("root filesystem writable",
     lambda docs: sidecar_of(_ep(docs))["securityContext"].update(readOnlyRootFilesystem=False)),
]


# What the report of each broken copy must say.
EXPECTED = {
    "misspelt EnvoyProxy field (clientCertificateRefs)": "'clientCertificateRefs' was unexpected",
    "misspelt field in the sidecar container (volumeMount)": "'volumeMount' was unexpected",
    "wrong enum (subjectAltNames type Uri)": "'Uri' is not one of",
    "wrong enum (provider type Kubernetess)": "'Kubernetess' is not one of",
    "string where an integer belongs (containerPort)": "'18090' is not of type 'integer'",
    "unknown apiVersion (BackendTLSPolicy v1beta1)": "no schema for apiVersion",
    "CEL: subjectAltName type URI without uri": "has a URI exactly when its type is URI",
    "CEL: envoyDeployment and envoyDaemonSet": "only one of envoyDeployment or envoyDaemonSet",
    "EnvoyProxy not referenced by the GatewayClass": "applies to nothing",
    "volumeMount without its volume": "has no volume of that name",
    "RBAC bound to another account than the pods'": "no RoleBinding binds the pods' ServiceAccount",
    "clientCertificateRef names another Secret than --output-secret": "(--output-secret)",
    "clientCertificateRef in another namespace": "is not the EnvoyProxy's",
    "metrics port on Envoy's stats port 19001": "collides with Envoy Gateway's 19000-19003",
    "health port on a Gateway listener's container port": "collides with a Gateway listener",
    "not a native sidecar (no restartPolicy: Always)": "restartPolicy: Always",
    "no API token volume (automount is off)": "must be a projected volume with the API token",
    "root filesystem writable": "readOnlyRootFilesystem must be True",
}


def check_negatives(base_docs, patch_docs):
    out = []
    main = schemas.SchemaSet()
    for what, breaks in NEGATIVES:
        docs = copy.deepcopy(base_docs)
        breaks(docs)
        found = document_problems(docs, main, "negative") + checks.envoy_gateway_problems(docs, "negative")
        if not any(EXPECTED[what] in p for p in found):
            out.append(f"negative test not caught: {what} (reported: {found or 'nothing'})")
    # A misspelt field inside envoyDeployment.patch (preserved unknown by the CRD) shows in the rendered Deployment.
    docs = copy.deepcopy(patch_docs)
    _rename(sidecar_of(_ep(docs)), "volumeMounts", "volumeMount")
    if not any("'volumeMount' was unexpected" in p for p in rendered_problems(docs, "negative")):
        out.append("negative test not caught: misspelt field in the sidecar of envoyDeployment.patch")
    # The documentation's EnvoyPatchPolicy, patching the placeholder socket instead.
    policy = next(d for path in documentation_files() for _, text in markdown_yaml_blocks(path)
                  for d in load_docs(text, str(path)) if isinstance(d, dict) and d.get("kind") == "EnvoyPatchPolicy")
    policy = copy.deepcopy(policy)
    policy["spec"]["jsonPatches"][0]["operation"]["path"] = "/transport_socket/typed_config/common_tls_context/alpn_protocols"
    if not any("patches the placeholder socket" in p for p in checks.cel_problems(policy, "negative")):
        out.append("negative test not caught: EnvoyPatchPolicy on the cluster's placeholder transport_socket")
    # ALPN "istio" is valid from Envoy Gateway 1.6 on and must be rejected by 1.5's CRD.
    found = document_problems(copy.deepcopy(base_docs), schemas.SchemaSet(schemas.ENVOY_GATEWAY_1_5), "negative")
    if not any("alpnProtocols" in p for p in found):
        out.append("negative test not caught: ALPN istio against Envoy Gateway 1.5's enum")
    return out


def check_rules():
    promtool = shutil.which("promtool")
    if not promtool:
        return ["promtool not found (Debian package prometheus): the alert rules cannot be checked"]
    rule = yaml.safe_load((MANIFESTS / "monitoring" / "prometheusrule.yaml").read_text())
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        rules = pathlib.Path(tmp) / "rules.yaml"
        rules.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
        shutil.copy(HERE / "monitoring_rules_test.yaml", pathlib.Path(tmp) / "rules_test.yaml")
        for args in (["check", "rules", "rules.yaml"], ["test", "rules", "rules_test.yaml"]):
            r = subprocess.run([promtool, *args], cwd=tmp, capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                out.append(f"promtool {' '.join(args[:2])} manifests/monitoring/prometheusrule.yaml failed:\n"
                           f"{r.stdout}{r.stderr}")
    return out


def main():
    problems, files = check_files()
    kustomize_problems, builds = check_kustomizations()
    problems += kustomize_problems
    doc_problems, blocks = check_documentation()
    problems += doc_problems
    problems += check_generated_name()
    problems += check_negatives(builds[MANIFESTS / "envoy-gateway"],
                                builds[MANIFESTS / "envoy-gateway" / "strategic-merge-patch"])
    problems += check_rules()
    for p in problems:
        print(p)
    print(f"{files} manifest documents, {len(builds)} kustomize builds, {blocks} documentation documents, "
          f"{len(NEGATIVES) + 3} broken copies, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
