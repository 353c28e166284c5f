"""Schema validation and the cross-reference checks of an Envoy Gateway example. Every function
returns a list of one-line problems (empty when all is well)."""

import jsonschema

from manifests import (ENVOY_RESERVED_PORTS, ISTIO_TOKEN_PATH, ROOT_CERT_PATH, SA_DIR, by_kind, flag_value,
                       generated_service_account, pod_volumes_of, port_of, sidecar_of)


def schema_problems(doc, schemas, origin):
    if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
        return [f"{origin}: a document without apiVersion and kind"]
    if doc["kind"] == "Kustomization" or doc["apiVersion"] == "builtin":
        return []  # kustomize's own configuration: checked by building it with kubectl kustomize
    if doc["kind"] in ("Config", "ExecCredential") and doc["apiVersion"] in ("v1", "client.authentication.k8s.io/v1"):
        return []  # kubeconfig and credential plugin output in the docs: client files, not API objects
    schema = schemas.lookup(doc["apiVersion"], doc["kind"])
    name = doc.get("metadata", {}).get("name", "?")
    where = f"{origin}: {doc['kind']} {name}"
    if schema is None:
        return [f"{where}: no schema for apiVersion {doc['apiVersion']} (not served by the vendored CRDs)"]
    validator = jsonschema.Draft7Validator(schema)
    return [f"{where}: {'.'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


def cel_problems(doc, origin):
    """The CEL rules of the vendored CRDs that the examples touch, which JSON Schema cannot express."""
    out = []
    kind, spec = doc.get("kind"), doc.get("spec", {})
    where = f"{origin}: {kind} {doc.get('metadata', {}).get('name', '?')}"
    if kind == "EnvoyProxy":
        k8s = spec.get("provider", {}).get("kubernetes", {})
        if "envoyDeployment" in k8s and "envoyDaemonSet" in k8s:
            out.append(f"{where}: only one of envoyDeployment or envoyDaemonSet can be specified")
        if "envoyHpa" in k8s and "envoyDaemonSet" in k8s:
            out.append(f"{where}: cannot use envoyHpa if envoyDaemonSet is used")
        tls = spec.get("backendTLS", {})
        if tls.get("minVersion") == "1.3" and "ciphers" in tls:
            out.append(f"{where}: setting ciphers has no effect if the minimum possible TLS version is 1.3")
    if kind == "EnvoyPatchPolicy":
        # Not CEL: Envoy Gateway's cluster layout. A Service backend's upstream TLS socket is
        # transport_socket_matches[0]; the cluster's transport_socket is a placeholder.
        for patch in spec.get("jsonPatches", []):
            path = patch.get("operation", {}).get("path", "")
            if patch.get("type", "").endswith("config.cluster.v3.Cluster") and path.startswith("/transport_socket/"):
                out.append(f"{where}: {path} patches the placeholder socket; a Service backend's TLS socket is "
                           "/transport_socket_matches/0/transport_socket")
    if kind == "BackendTLSPolicy":
        v = spec.get("validation", {})
        if ("caCertificateRefs" in v) == ("wellKnownCACertificates" in v):
            out.append(f"{where}: validation needs exactly one of caCertificateRefs and wellKnownCACertificates")
        for san in v.get("subjectAltNames", []):
            if (san.get("type") == "URI") != ("uri" in san):
                out.append(f"{where}: a subjectAltName has a URI exactly when its type is URI")
            if (san.get("type") == "Hostname") != ("hostname" in san):
                out.append(f"{where}: a subjectAltName has a hostname exactly when its type is Hostname")
        targets = [(t.get("group"), t.get("kind"), t.get("name")) for t in spec.get("targetRefs", [])]
        if len(targets) != len(set(targets)) and any("sectionName" not in t for t in spec["targetRefs"]):
            out.append(f"{where}: sectionName must be specified when targetRefs repeats a target")
    return out


def _volume_problems(where, sidecar, volumes):
    out = []
    by_name = {v["name"]: v for v in volumes}
    mounts = {m["mountPath"]: m for m in sidecar.get("volumeMounts", [])}
    for m in sidecar.get("volumeMounts", []):
        if m["name"] not in by_name:
            out.append(f"{where}: volumeMount {m['name']} has no volume of that name")
    for name in ("sa-token", "certs", "sds"):
        if name in by_name:
            out.append(f"{where}: volume {name} replaces Envoy Gateway's own volume of that name")

    def volume_at(path):
        m = mounts.get(path)
        return by_name.get(m["name"]) if m else None

    sa = volume_at(SA_DIR)
    sources = (sa or {}).get("projected", {}).get("sources", [])
    tokens = [s["serviceAccountToken"] for s in sources if "serviceAccountToken" in s]
    ca = [i for s in sources if "configMap" in s and s["configMap"].get("name") == "kube-root-ca.crt"
          for i in s["configMap"].get("items", []) if i == {"key": "ca.crt", "path": "ca.crt"}]
    ns = [i for s in sources if "downwardAPI" in s for i in s["downwardAPI"].get("items", [])
          if i.get("path") == "namespace" and i.get("fieldRef", {}).get("fieldPath") == "metadata.namespace"]
    if not (tokens and tokens[0].get("path") == "token" and "audience" not in tokens[0] and ca and ns):
        out.append(f"{where}: {SA_DIR} must be a projected volume with the API token (path token, API audience), "
                   "kube-root-ca.crt's ca.crt and the namespace (Envoy Gateway turns off automountServiceAccountToken)")
    token_dir, token_file = ISTIO_TOKEN_PATH.rsplit("/", 1)
    istio = volume_at(token_dir)
    istio_tokens = [s["serviceAccountToken"] for s in (istio or {}).get("projected", {}).get("sources", [])
                    if "serviceAccountToken" in s]
    if not (istio_tokens and istio_tokens[0].get("audience") == "istio-ca" and istio_tokens[0].get("path") == token_file):
        out.append(f"{where}: {ISTIO_TOKEN_PATH} must be a projected token with audience istio-ca")
    root = volume_at(ROOT_CERT_PATH.rsplit("/", 1)[0])
    if (root or {}).get("configMap", {}).get("name") != "istio-ca-root-cert":
        out.append(f"{where}: {ROOT_CERT_PATH} must come from the ConfigMap istio-ca-root-cert")
    return out


def _container_problems(where, c, listener_ports):
    out = []
    args = c.get("args", [])
    env = {e["name"]: e for e in c.get("env", [])}
    if env.get("POD_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") != "metadata.name":
        out.append(f"{where}: POD_NAME must come from the downward API (metadata.name): it names the replica in the Lease")
    sc = c.get("securityContext", {})
    hardened = {"runAsNonRoot": True, "runAsUser": 65532, "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True}
    for k, v in hardened.items():
        if sc.get(k) != v:
            out.append(f"{where}: securityContext.{k} must be {v}")
    if sc.get("capabilities", {}).get("drop") != ["ALL"]:
        out.append(f"{where}: securityContext.capabilities.drop must be [ALL]")
    if sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        out.append(f"{where}: securityContext.seccompProfile.type must be RuntimeDefault")
    if "limits" not in c.get("resources", {}) or "requests" not in c.get("resources", {}):
        out.append(f"{where}: resources need requests and limits")
    metrics, health = flag_value(args, "metrics-bind-address"), flag_value(args, "health-probe-bind-address")
    if metrics is None or health is None:
        out.append(f"{where}: set --metrics-bind-address and --health-probe-bind-address: the pod's network is Envoy's")
        return out
    ports = {"metrics": port_of(metrics), "health": port_of(health)}
    for what, p in ports.items():
        if p in ENVOY_RESERVED_PORTS:
            out.append(f"{where}: {what} port {p} collides with Envoy Gateway's 19000-19003")
        if p in listener_ports:
            out.append(f"{where}: {what} port {p} collides with a Gateway listener's container port")
    if ports["metrics"] == ports["health"]:
        out.append(f"{where}: metrics and health probe ports are the same")
    declared = {p["containerPort"] for p in c.get("ports", [])}
    if declared != set(ports.values()):
        out.append(f"{where}: containerPorts {sorted(map(str, declared))} differ from the bound ports {sorted(ports.values())}")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet", {})
        port = get.get("port")
        if isinstance(port, str):
            port = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}.get(port)
        if get.get("path") != path or port != ports["health"]:
            out.append(f"{where}: {probe} must GET {path} on the health port {ports['health']}")
    return out


def listener_container_ports(gateway):
    """Envoy Gateway maps listener ports below 1024 to port + 10000 in the container."""
    out = set()
    for listener in gateway["spec"].get("listeners", []):
        out.add(listener["port"])
        out.add(listener["port"] + 10000 if listener["port"] < 1024 else listener["port"])
    return out


def envoy_gateway_problems(docs, origin):
    """Cross-references of an Envoy Gateway example (one kustomize build)."""
    out = []
    proxies = by_kind(docs, "EnvoyProxy")
    if not proxies:
        return [f"{origin}: no EnvoyProxy"]
    classes, gateways = by_kind(docs, "GatewayClass"), by_kind(docs, "Gateway")
    for ep in proxies:
        ep_ns, ep_name = ep["metadata"]["namespace"], ep["metadata"]["name"]
        where = f"{origin}: EnvoyProxy {ep_ns}/{ep_name}"

        def refers(ref):
            return (ref or {}).get("group") == "gateway.envoyproxy.io" and ref.get("kind") == "EnvoyProxy" and \
                ref.get("name") == ep_name
        using_classes = [c["metadata"]["name"] for c in classes
                         if refers(c["spec"].get("parametersRef")) and c["spec"]["parametersRef"].get("namespace") == ep_ns]
        users = [g for g in gateways if g["spec"]["gatewayClassName"] in using_classes or
                 (refers(g["spec"].get("infrastructure", {}).get("parametersRef")) and g["metadata"]["namespace"] == ep_ns)]
        if not users:
            out.append(f"{where}: no GatewayClass parametersRef or Gateway infrastructure.parametersRef points at it, so it applies to nothing")
        sidecar = sidecar_of(ep)
        if sidecar is None:
            out.append(f"{where}: no gen-istio-cert container in envoyDeployment.initContainers or patch")
            continue
        if sidecar in ep["spec"]["provider"]["kubernetes"].get("envoyDeployment", {}).get("initContainers", []) and \
                sidecar.get("restartPolicy") != "Always":
            out.append(f"{where}: the init container needs restartPolicy: Always to run beside Envoy (native sidecar)")
        listener_ports = set().union(*[listener_container_ports(g) for g in users]) if users else set()
        out += _container_problems(where, sidecar, listener_ports)
        out += _volume_problems(where, sidecar, pod_volumes_of(ep))

        args = sidecar.get("args", [])
        secret = flag_value(args, "output-secret") or "istio-certs"
        ref = ep["spec"].get("backendTLS", {}).get("clientCertificateRef")
        if not ref:
            out.append(f"{where}: backendTLS.clientCertificateRef is missing: Envoy would present no client certificate")
        else:
            if ref.get("kind", "Secret") != "Secret" or ref.get("group", "") != "" or ref["name"] != secret:
                out.append(f"{where}: clientCertificateRef names {ref.get('kind', 'Secret')} {ref['name']}, the sidecar writes Secret {secret} (--output-secret)")
            if ref.get("namespace", ep_ns) != ep_ns:
                out.append(f"{where}: clientCertificateRef namespace {ref['namespace']} is not the EnvoyProxy's ({ep_ns})")
        secret_ns = flag_value(args, "output-secret-ns")
        if secret_ns not in (None, ep_ns):
            out.append(f"{where}: --output-secret-ns {secret_ns} is not the EnvoyProxy's namespace {ep_ns}")

        # The pods run in the EnvoyProxy's namespace (Envoy Gateway's own, not in gateway-namespace mode).
        sa = ep["spec"]["provider"]["kubernetes"].get("envoyServiceAccount", {}).get("name")
        accounts = {sa} if sa else {generated_service_account(g["metadata"]["namespace"], g["metadata"]["name"])
                                    for g in users}
        roles = {r["metadata"]["name"]: r for r in by_kind(docs, "Role") if r["metadata"].get("namespace") == ep_ns}
        for account in sorted(accounts):
            bound = [b for b in by_kind(docs, "RoleBinding") + by_kind(docs, "ClusterRoleBinding")
                     if any(s.get("kind") == "ServiceAccount" and s.get("name") == account and s.get("namespace") == ep_ns
                            for s in b.get("subjects", []))]
            if not bound:
                out.append(f"{where}: no RoleBinding binds the pods' ServiceAccount {ep_ns}/{account}")
            for b in bound:
                if b["roleRef"]["kind"] == "Role" and b["roleRef"]["name"] not in roles:
                    out.append(f"{where}: RoleBinding {b['metadata']['name']} refers to a missing Role {b['roleRef']['name']}")
        for r in roles.values():
            verbs = {res: set(rule["verbs"]) for rule in r["rules"] for res in rule.get("resources", [])}
            for res, need in (("secrets", {"get", "create", "update"}),
                              ("leases", {"get", "list", "watch", "create", "update"}), ("events", {"create"})):
                if not need <= verbs.get(res, set()):
                    out.append(f"{where}: Role {r['metadata']['name']} lacks {sorted(need - verbs.get(res, set()))} on {res}")
        if sa and any(s["metadata"]["name"] == sa and s["metadata"].get("namespace") == ep_ns
                      for s in by_kind(docs, "ServiceAccount")):
            out.append(f"{where}: ServiceAccount {sa} is created and owned by Envoy Gateway; applying one fights it")

    for btp in by_kind(docs, "BackendTLSPolicy"):
        where = f"{origin}: BackendTLSPolicy {btp['metadata']['name']}"
        ns = btp["metadata"]["namespace"]
        for san in btp["spec"]["validation"].get("subjectAltNames", []):
            uri = san.get("uri", "")
            if san.get("type") == "URI" and not uri.startswith("spiffe://"):
                out.append(f"{where}: the URI SAN {uri} is not a SPIFFE ID")
        targets = {t["name"] for t in btp["spec"]["targetRefs"] if t.get("kind") == "Service"}
        routed = {b["name"] for r in by_kind(docs, "HTTPRoute") if r["metadata"]["namespace"] == ns
                  for rule in r["spec"].get("rules", []) for b in rule.get("backendRefs", [])}
        if not targets & routed:
            out.append(f"{where}: targets no Service an HTTPRoute in {ns} routes to")
    return out
