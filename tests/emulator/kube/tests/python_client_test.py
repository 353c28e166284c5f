#!/usr/bin/python3
"""The kube-apiserver emulator answers the official Python kubernetes client (Debian's
python3-kubernetes) as kube-apiserver does: list, get, create, update, delete and watch for
Secrets, ConfigMaps, Leases and Events, TokenReview, TokenRequest and impersonation.

Runs the real emulator binary ($KUBE_EMULATOR) on loopback with RBAC enforced and talks to it
through admin.kubeconfig and a service account's kubeconfig, exactly as a user would.
"""

import base64
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

try:
    from kubernetes import client, config, watch
    from kubernetes.client.rest import ApiException
except ImportError:  # pragma: no cover - reported as a skip by meson (exit 77)
    print("python3-kubernetes is not installed", file=sys.stderr)
    sys.exit(77)

NS = "ns1"
SA = "agent"


class Emulator:
    """The emulator as a child process with a private state directory."""

    def __init__(self):
        self.state = tempfile.mkdtemp(prefix="kube-emu-py-")
        self.proc = subprocess.Popen(
            [os.environ["KUBE_EMULATOR"], "--listen", "127.0.0.1:0", "--state-dir", self.state,
             "--service-account", f"{NS}/{SA}", "--authorization", "RBAC"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        # The first line says where it listens; bounded by the emulator's own start-up.
        timer = threading.Timer(30, self.proc.kill)
        timer.start()
        line = self.proc.stdout.readline()
        timer.cancel()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"emulator did not start: {line!r}")

    def api(self, kubeconfig=None):
        path = kubeconfig or os.path.join(self.state, "admin.kubeconfig")
        return config.new_client_from_config(config_file=path)

    def sa_api(self):
        return self.api(os.path.join(self.state, "serviceaccounts", NS, SA, "kubeconfig"))

    def sa_token(self, name="token"):
        with open(os.path.join(self.state, "serviceaccounts", NS, SA, name)) as f:
            return f.read().strip()

    def stop(self):
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()
        shutil.rmtree(self.state, ignore_errors=True)


def meta(name, **labels):
    return client.V1ObjectMeta(name=name, labels=labels or None)


class PythonClientConformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator()
        cls.admin = cls.emu.api()
        cls.core = client.CoreV1Api(cls.admin)
        cls.coordination = client.CoordinationV1Api(cls.admin)

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def assert_status(self, call, code, reason=None):
        with self.assertRaises(ApiException) as caught:
            call()
        self.assertEqual(caught.exception.status, code, caught.exception.body)
        if reason:
            self.assertIn(f'"reason":"{reason}"', caught.exception.body.replace(" ", ""))
        return caught.exception

    def crud(self, create, read, list_, replace, delete, body, mutate):
        """create, get, list, update (with and without a stale resourceVersion), delete, get 404."""
        created = create(NS, body)
        name = created.metadata.name
        self.assertTrue(created.metadata.resource_version)
        self.assertTrue(created.metadata.uid)
        got = read(name, NS)
        self.assertEqual(got.metadata.uid, created.metadata.uid)
        self.assertIn(name, [o.metadata.name for o in list_(NS).items])
        mutate(got)
        updated = replace(name, NS, got)
        self.assertNotEqual(updated.metadata.resource_version, created.metadata.resource_version)
        # The resourceVersion read before the update is now stale: 409 Conflict.
        mutate(created)
        self.assert_status(lambda: replace(name, NS, created), 409, "Conflict")
        self.assert_status(lambda: create(NS, body), 409, "AlreadyExists")
        delete(name, NS)
        self.assert_status(lambda: read(name, NS), 404, "NotFound")

    def test_secrets(self):
        body = client.V1Secret(metadata=meta("py-secret", app="py"), type="Opaque",
                               data={"k": base64.b64encode(b"v1").decode()})

        def mutate(s):
            s.data = {"k": base64.b64encode(b"v2").decode()}

        self.crud(self.core.create_namespaced_secret, self.core.read_namespaced_secret,
                  self.core.list_namespaced_secret, self.core.replace_namespaced_secret,
                  self.core.delete_namespaced_secret, body, mutate)
        # A label selector is honoured.
        self.core.create_namespaced_secret(NS, client.V1Secret(metadata=meta("py-labelled", app="x")))
        names = [s.metadata.name for s in self.core.list_namespaced_secret(NS, label_selector="app=x").items]
        self.assertEqual(names, ["py-labelled"])

    def test_configmaps(self):
        body = client.V1ConfigMap(metadata=meta("py-cm"), data={"root-cert.pem": "a"})

        def mutate(c):
            c.data = {"root-cert.pem": "b"}

        self.crud(self.core.create_namespaced_config_map, self.core.read_namespaced_config_map,
                  self.core.list_namespaced_config_map, self.core.replace_namespaced_config_map,
                  self.core.delete_namespaced_config_map, body, mutate)

    def test_leases(self):
        body = client.V1Lease(metadata=meta("py-lease"),
                              spec=client.V1LeaseSpec(holder_identity="a", lease_duration_seconds=15))

        def mutate(lease):
            lease.spec.holder_identity = "b"

        self.crud(self.coordination.create_namespaced_lease, self.coordination.read_namespaced_lease,
                  self.coordination.list_namespaced_lease, self.coordination.replace_namespaced_lease,
                  self.coordination.delete_namespaced_lease, body, mutate)

    def test_events(self):
        body = client.CoreV1Event(
            metadata=meta("py-event"), reason="CertificateIssued", message="issued", type="Normal",
            involved_object=client.V1ObjectReference(kind="Secret", name="istio-certs", namespace=NS),
            source=client.V1EventSource(component="gen-istio-cert"))

        def mutate(e):
            e.message = "issued again"

        self.crud(self.core.create_namespaced_event, self.core.read_namespaced_event,
                  self.core.list_namespaced_event, self.core.replace_namespaced_event,
                  self.core.delete_namespaced_event, body, mutate)

    def test_watch_sees_added_modified_and_deleted(self):
        start = self.core.list_namespaced_config_map(NS).metadata.resource_version
        cm = self.core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=meta("py-watched"),
                                                                            data={"a": "1"}))
        cm.data = {"a": "2"}
        self.core.replace_namespaced_config_map("py-watched", NS, cm)
        self.core.delete_namespaced_config_map("py-watched", NS)
        seen = []
        # The client sends watch=True; the stream ends at the server's timeout.
        for event in watch.Watch().stream(self.core.list_namespaced_config_map, NS, resource_version=start,
                                          timeout_seconds=2, _request_timeout=30):
            if event["object"].metadata.name == "py-watched":
                seen.append(event["type"])
            if len(seen) == 3:
                break
        self.assertEqual(seen, ["ADDED", "MODIFIED", "DELETED"])

    def test_watch_from_now_lists_existing_objects_as_added(self):
        self.coordination.create_namespaced_lease(NS, client.V1Lease(metadata=meta("py-existing")))
        names = []
        for event in watch.Watch().stream(self.coordination.list_namespaced_lease, NS, timeout_seconds=1,
                                          allow_watch_bookmarks=True, _request_timeout=30):
            self.assertIn(event["type"], ("ADDED", "BOOKMARK"))
            if event["type"] == "ADDED":
                names.append(event["object"].metadata.name)
        self.assertIn("py-existing", names)

    def test_token_review_and_token_request(self):
        auth = client.AuthenticationV1Api(self.admin)
        review = auth.create_token_review(client.V1TokenReview(
            spec=client.V1TokenReviewSpec(token=self.emu.sa_token("istio-token"), audiences=["istio-ca"])))
        self.assertTrue(review.status.authenticated)
        self.assertEqual(review.status.user.username, f"system:serviceaccount:{NS}:{SA}")
        self.assertEqual(review.status.audiences, ["istio-ca"])
        wrong = auth.create_token_review(client.V1TokenReview(
            spec=client.V1TokenReviewSpec(token=self.emu.sa_token("istio-token"), audiences=["other"])))
        self.assertFalse(wrong.status.authenticated)

        minted = self.core.create_namespaced_service_account_token(SA, NS, client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=["istio-ca"], expiration_seconds=600)))
        self.assertTrue(minted.status.token)
        self.assertIsNotNone(minted.status.expiration_timestamp)
        review = auth.create_token_review(client.V1TokenReview(
            spec=client.V1TokenReviewSpec(token=minted.status.token, audiences=["istio-ca"])))
        self.assertTrue(review.status.authenticated)
        self.assert_status(lambda: self.core.create_namespaced_service_account_token(
            "missing", NS, client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=["x"]))),
            404, "NotFound")

    def test_rbac_and_impersonation(self):
        sa_core = client.CoreV1Api(self.emu.sa_api())
        self.assert_status(lambda: sa_core.list_namespaced_secret(NS), 403, "Forbidden")
        rbac = client.RbacAuthorizationV1Api(self.admin)
        rbac.create_namespaced_role(NS, client.V1Role(
            metadata=meta("py-read-secrets"),
            rules=[client.V1PolicyRule(api_groups=[""], resources=["secrets"], verbs=["list"])]))
        rbac.create_namespaced_role_binding(NS, client.V1RoleBinding(
            metadata=meta("py-read-secrets"),
            role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="py-read-secrets"),
            subjects=[client.V1Subject(kind="ServiceAccount", name=SA, namespace=NS)]))
        sa_core.list_namespaced_secret(NS)

        # The admin acting as the service account gets exactly its permissions.
        as_sa = self.emu.api()
        as_sa.set_default_header("Impersonate-User", f"system:serviceaccount:{NS}:{SA}")
        client.CoreV1Api(as_sa).list_namespaced_secret(NS)
        self.assert_status(lambda: client.CoreV1Api(as_sa).list_namespaced_config_map(NS), 403, "Forbidden")
        # The service account may not impersonate anyone.
        sa_as_admin = self.emu.sa_api()
        sa_as_admin.set_default_header("Impersonate-User", "admin")
        error = self.assert_status(lambda: client.CoreV1Api(sa_as_admin).list_namespaced_secret(NS), 403)
        self.assertIn("cannot impersonate resource", error.body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
