"""Schemas the manifests are validated against, as `kubectl --validate=strict` would on a cluster.

CRD kinds use the vendored CRDs' OpenAPI v3 schemas (tests/data/crds), turned into JSON Schema with
unknown fields rejected wherever the structural schema does not preserve them. Core kinds reuse the
Kubernetes schemas embedded in the EnvoyProxy CRD (Container, Volume, PodSecurityContext) plus the
few top-level fields written out here. The installed kubectl (1.32) validates only against a live
server's OpenAPI, so it cannot do this offline.
"""

import copy
import pathlib
import yaml

CRD_DIR = pathlib.Path(__file__).resolve().parent.parent / "data" / "crds"

# Where a kustomization's EnvoyProxy and BackendTLSPolicy are validated against another CRD than the
# newest vendored one: (group, version, kind) -> CRD file.
NEWEST = {
    "EnvoyProxy": "eg_v1.6.0_envoyproxies.yaml",
}
ENVOY_GATEWAY_1_5 = {"EnvoyProxy": "eg_v1.5.0_envoyproxies.yaml"}


def to_json_schema(node):
    """OpenAPI v3 structural schema -> JSON Schema with additionalProperties: false by default."""
    if not isinstance(node, dict):
        return node
    out = {}
    for key in ("type", "enum", "pattern", "maxLength", "minLength", "maximum", "minimum", "maxItems",
                "minItems", "required", "exclusiveMaximum", "exclusiveMinimum", "uniqueItems", "maxProperties",
                "minProperties"):
        if key in node:
            out[key] = copy.deepcopy(node[key])
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["type"] = ["integer", "string"]
    if node.get("nullable") and "type" in out and isinstance(out["type"], str):
        out["type"] = [out["type"], "null"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            out[key] = [to_json_schema(n) for n in node[key]]
    if "not" in node:
        out["not"] = to_json_schema(node["not"])
    if "items" in node:
        out["items"] = to_json_schema(node["items"])
    if "properties" in node:
        out["properties"] = {k: to_json_schema(v) for k, v in node["properties"].items()}
    if "additionalProperties" in node:
        ap = node["additionalProperties"]
        out["additionalProperties"] = to_json_schema(ap) if isinstance(ap, dict) else ap
    elif node.get("x-kubernetes-preserve-unknown-fields"):
        pass
    elif node.get("x-kubernetes-embedded-resource"):
        pass
    elif node.get("type") == "object" or "properties" in node:
        out["additionalProperties"] = False
    return out


OBJECT_META = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253},
        "namespace": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def _load_crd(file_name):
    docs = [d for d in yaml.safe_load_all((CRD_DIR / file_name).read_text()) if d]
    assert len(docs) == 1, file_name
    return docs[0]


_crd_cache = {}


def crd_version(file_name, version):
    """(JSON Schema, served) of one version of a vendored CRD; (None, False) when it has no such version."""
    key = (file_name, version)
    if key not in _crd_cache:
        _crd_cache[key] = (None, False)
        for v in _load_crd(file_name)["spec"]["versions"]:
            if v["name"] == version:
                schema = to_json_schema(v["schema"]["openAPIV3Schema"])
                schema["properties"]["metadata"] = OBJECT_META
                schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata"})
                _crd_cache[key] = (schema, bool(v.get("served")))
    return _crd_cache[key]


def crd_schema(file_name, version):
    return crd_version(file_name, version)[0]


def envoyproxy_subschema(*path, file_name=NEWEST["EnvoyProxy"]):
    node = crd_schema(file_name, "v1alpha1")
    for p in path:
        node = node["properties"][p] if p != "[]" else node["items"]
    return node


def _core_schemas():
    container = envoyproxy_subschema("spec", "provider", "kubernetes", "envoyDeployment", "initContainers", "[]")
    volume = envoyproxy_subschema("spec", "provider", "kubernetes", "envoyDeployment", "pod", "volumes", "[]")
    pod_sc = envoyproxy_subschema("spec", "provider", "kubernetes", "envoyDeployment", "pod", "securityContext")
    label_selector = {
        "type": "object", "additionalProperties": False,
        "properties": {"matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
                       "matchExpressions": {"type": "array"}},
    }
    pod_spec = {
        "type": "object", "additionalProperties": False, "required": ["containers"],
        "properties": {
            "containers": {"type": "array", "items": container, "minItems": 1},
            "initContainers": {"type": "array", "items": container},
            "volumes": {"type": "array", "items": volume},
            "securityContext": pod_sc,
            "serviceAccountName": {"type": "string"},
            "automountServiceAccountToken": {"type": "boolean"},
            "terminationGracePeriodSeconds": {"type": "integer"},
            "restartPolicy": {"enum": ["Always", "OnFailure", "Never"]},
            "dnsPolicy": {"enum": ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]},
            "schedulerName": {"type": "string"},
            "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    template_meta = copy.deepcopy(OBJECT_META)
    template_meta["required"] = []
    rule = {"type": "object", "additionalProperties": False, "required": ["verbs"],
            "properties": {k: {"type": "array", "items": {"type": "string"}}
                           for k in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")}}
    subject = {"type": "object", "additionalProperties": False, "required": ["kind", "name"],
               "properties": {"kind": {"enum": ["ServiceAccount", "User", "Group"]}, "name": {"type": "string"},
                              "namespace": {"type": "string"}, "apiGroup": {"type": "string"}}}
    role_ref = {"type": "object", "additionalProperties": False, "required": ["apiGroup", "kind", "name"],
                "properties": {"apiGroup": {"const": "rbac.authorization.k8s.io"},
                               "kind": {"enum": ["Role", "ClusterRole"]}, "name": {"type": "string"}}}

    def top(kind_props, required=()):
        return {"type": "object", "additionalProperties": False,
                "required": ["apiVersion", "kind", "metadata", *required],
                "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                               "metadata": OBJECT_META, **kind_props}}

    deployment = top({"spec": {
        "type": "object", "additionalProperties": False, "required": ["selector", "template"],
        "properties": {
            "replicas": {"type": "integer", "minimum": 0},
            "selector": label_selector,
            "revisionHistoryLimit": {"type": "integer"},
            "progressDeadlineSeconds": {"type": "integer"},
            "strategy": {"type": "object"},
            "template": {"type": "object", "additionalProperties": False,
                         "properties": {"metadata": template_meta, "spec": pod_spec}},
        }}}, ["spec"])
    return {
        ("apps", "v1", "Deployment"): deployment,
        ("", "v1", "ServiceAccount"): top({"automountServiceAccountToken": {"type": "boolean"}}),
        ("", "v1", "ConfigMap"): top({"data": {"type": "object", "additionalProperties": {"type": "string"}}}),
        ("", "v1", "Namespace"): top({}),
        ("rbac.authorization.k8s.io", "v1", "Role"): top({"rules": {"type": "array", "items": rule}}),
        ("rbac.authorization.k8s.io", "v1", "ClusterRole"): top({"rules": {"type": "array", "items": rule}}),
        ("rbac.authorization.k8s.io", "v1", "RoleBinding"): top(
            {"roleRef": role_ref, "subjects": {"type": "array", "items": subject}}, ["roleRef"]),
        ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"): top(
            {"roleRef": role_ref, "subjects": {"type": "array", "items": subject}}, ["roleRef"]),
    }


def _monitoring_schemas():
    """Prometheus Operator kinds: no CRD is vendored; the fields the examples use, from its v1 API."""
    relabel = {"type": "object", "additionalProperties": False, "properties": {
        "sourceLabels": {"type": "array", "items": {"type": "string"}}, "targetLabel": {"type": "string"},
        "separator": {"type": "string"}, "regex": {"type": "string"}, "replacement": {"type": "string"},
        "modulus": {"type": "integer"},
        "action": {"enum": ["replace", "Replace", "keep", "Keep", "drop", "Drop", "hashmod", "HashMod",
                            "labelmap", "LabelMap", "labeldrop", "LabelDrop", "labelkeep", "LabelKeep",
                            "lowercase", "Lowercase", "uppercase", "Uppercase", "keepequal", "KeepEqual",
                            "dropequal", "DropEqual"]}}}
    endpoint = {"type": "object", "additionalProperties": False, "properties": {
        "port": {"type": "string"}, "path": {"type": "string"}, "scheme": {"enum": ["http", "https"]},
        "interval": {"type": "string", "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
        "scrapeTimeout": {"type": "string"}, "honorLabels": {"type": "boolean"},
        "relabelings": {"type": "array", "items": relabel},
        "metricRelabelings": {"type": "array", "items": relabel}}}
    rule = {"type": "object", "additionalProperties": False, "required": ["expr"], "properties": {
        "alert": {"type": "string"}, "record": {"type": "string"}, "expr": {"type": ["string", "integer"]},
        "for": {"type": "string"}, "keep_firing_for": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}}}}
    group = {"type": "object", "additionalProperties": False, "required": ["name"], "properties": {
        "name": {"type": "string"}, "interval": {"type": "string"}, "limit": {"type": "integer"},
        "rules": {"type": "array", "items": rule}}}
    meta = {"type": "object"}

    def top(spec):
        return {"type": "object", "additionalProperties": False, "required": ["apiVersion", "kind", "metadata", "spec"],
                "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                               "metadata": OBJECT_META, "spec": spec}}

    podmonitor = top({"type": "object", "additionalProperties": False, "required": ["selector"], "properties": {
        "jobLabel": {"type": "string"},
        "namespaceSelector": {"type": "object", "additionalProperties": False, "properties": {
            "any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}}},
        "selector": {"type": "object", "additionalProperties": False, "properties": {
            "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
            "matchExpressions": {"type": "array"}}},
        "podMetricsEndpoints": {"type": "array", "items": endpoint}}})
    del meta
    return {
        ("monitoring.coreos.com", "v1", "PodMonitor"): podmonitor,
        ("monitoring.coreos.com", "v1", "PrometheusRule"): top(
            {"type": "object", "additionalProperties": False,
             "properties": {"groups": {"type": "array", "items": group}}}),
    }


CRD_FILES = {
    ("gateway.envoyproxy.io", "EnvoyPatchPolicy"): "eg_head_envoypatchpolicies.yaml",
    ("gateway.networking.k8s.io", "BackendTLSPolicy"): "ga_v1.4.0_standard_backendtlspolicies.yaml",
    ("gateway.networking.k8s.io", "Gateway"): "ga_v1.6.1_standard_gateways.yaml",
    ("gateway.networking.k8s.io", "GatewayClass"): "ga_v1.6.1_experimental_gatewayclasses.yaml",
    ("gateway.networking.k8s.io", "HTTPRoute"): "ga_v1.6.1_experimental_httproutes.yaml",
}


class SchemaSet:
    """Schemas by apiVersion and kind; `overrides` picks other CRD files by kind (an Envoy Gateway version).
    Versions a CRD no longer serves are rejected unless `allow_unserved` (BackendTLSPolicy v1alpha3, which
    the Gateway API 1.3 that Envoy Gateway 1.5 bundles still serves, is checked against the 1.4 CRD's copy)."""

    def __init__(self, overrides=None, allow_unserved=False):
        self.allow_unserved = allow_unserved
        self.files = dict(NEWEST)
        self.files.update(overrides or {})
        self.core = _core_schemas()
        self.core.update(_monitoring_schemas())

    def lookup(self, api_version, kind):
        group, _, version = api_version.rpartition("/")
        if (group, version, kind) in self.core:
            return self.core[(group, version, kind)]
        file_name = self.files.get(kind) if group == "gateway.envoyproxy.io" and kind in self.files else \
            CRD_FILES.get((group, kind))
        if file_name is None:
            return None
        schema, served = crd_version(file_name, version)
        return schema if served or self.allow_unserved else None
