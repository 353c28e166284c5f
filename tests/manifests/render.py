"""Renders the Envoy proxy Deployment the way Envoy Gateway does for a Gateway and its EnvoyProxy
(internal/infrastructure/kubernetes/proxy/resource_provider.go): the generated Deployment, then
envoyDeployment.initContainers and pod.volumes (volumes merged by name, resource.ExpectedVolumes),
the ServiceAccount (envoyServiceAccount or the generated name), then envoyDeployment.patch as a
strategic merge (lists of the pod merged by their Kubernetes merge keys)."""

import copy
import pathlib

import yaml

from manifests import generated_service_account

TEMPLATE = pathlib.Path(__file__).resolve().parent / "testdata" / "envoy-gateway-proxy-deployment.yaml"

# Merge keys of the lists a pod patch touches (k8s.io/api/core/v1 patchMergeKey tags).
MERGE_KEYS = {"containers": "name", "initContainers": "name", "volumes": "name", "volumeMounts": "mountPath",
              "env": "name", "ports": "containerPort"}


def strategic_merge(original, patch):
    if not isinstance(original, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(original)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif key in MERGE_KEYS and isinstance(value, list) and isinstance(out.get(key), list):
            merge_key = MERGE_KEYS[key]
            merged = out[key]
            for item in value:
                index = next((i for i, o in enumerate(merged) if o.get(merge_key) == item.get(merge_key)), None)
                if index is None:
                    merged.append(copy.deepcopy(item))
                else:
                    merged[index] = strategic_merge(merged[index], item)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = strategic_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def render_deployment(gateway, envoyproxy):
    """The Deployment Envoy Gateway would create for `gateway` (its pods run in the EnvoyProxy's namespace,
    Envoy Gateway's own, outside gateway-namespace mode)."""
    gw_ns, gw_name = gateway["metadata"]["namespace"], gateway["metadata"]["name"]
    k8s = envoyproxy["spec"]["provider"]["kubernetes"]
    settings = k8s.get("envoyDeployment", {})
    generated = generated_service_account(gw_ns, gw_name)
    service_account = k8s.get("envoyServiceAccount", {}).get("name") or generated
    text = TEMPLATE.read_text()
    for placeholder, value in (("SERVICE_ACCOUNT", service_account), ("GATEWAY_NAMESPACE", gw_ns),
                               ("GATEWAY_NAME", gw_name), ("NAMESPACE", envoyproxy["metadata"]["namespace"]),
                               ("NAME", settings.get("name") or generated)):
        text = text.replace(placeholder, value)
    deployment = yaml.safe_load(text)
    pod = deployment["spec"]["template"]["spec"]
    if settings.get("initContainers"):
        pod["initContainers"] = copy.deepcopy(settings["initContainers"])
    for volume in settings.get("pod", {}).get("volumes", []):
        names = [v["name"] for v in pod["volumes"]]
        if volume["name"] in names:
            pod["volumes"][names.index(volume["name"])] = copy.deepcopy(volume)
        else:
            pod["volumes"].append(copy.deepcopy(volume))
    if "replicas" in settings:
        deployment["spec"]["replicas"] = settings["replicas"]
    patch = settings.get("patch")
    if patch:
        if patch.get("type", "StrategicMerge") != "StrategicMerge":
            raise ValueError("only StrategicMerge patches are rendered")
        deployment = strategic_merge(deployment, patch["value"])
    return deployment
