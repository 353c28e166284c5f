#!/usr/bin/env bash
# The embedded sandbox: a local Kubernetes API emulator and an istiod emulator on loopback, the
# gateway's service account, and gen-istio-cert issuing its certificate into a Secret exactly as
# the sidecar does. Prints the Secret's identity, serial, expiry and chain, and exits 0 when the
# certificate in the Secret verifies against the mesh root.
#
# Usage: scripts/sandbox.sh [--keep-running]
#   --keep-running  leave the emulators up and print how to inspect them with kubectl (Ctrl-C stops).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

keep_running=false
for arg in "$@"; do
  case "$arg" in
    --keep-running) keep_running=true ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sandbox: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { echo "sandbox: FAILED: $*" >&2; exit 1; }

say "building (first run installs Debian packages and compiles; later runs are quick)"
scripts/build.sh build src/gen-istio-cert tests/emulator/kube/kube-apiserver-emulator \
  tests/emulator/istiod/istiod-emulator

state=$(mktemp -d /tmp/gen-istio-cert-sandbox.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits for a line matching $2 in log $1 and prints the first capture group.
wait_for() {
  local log=$1 pattern=$2
  for _ in $(seq 1 200); do
    if line=$(grep -m1 -oE "$pattern" "$log" 2>/dev/null); then
      echo "$line" | sed -E "s#$pattern#\\1#"
      return 0
    fi
    sleep 0.05
  done
  cat "$log" >&2
  return 1
}

ns=envoy-gateway-system
sa=teg-istio
say "starting kube-apiserver-emulator (service account $ns/$sa)"
build/tests/emulator/kube/kube-apiserver-emulator --listen 127.0.0.1:0 --state-dir "$state/kube" \
  --service-account "$ns/$sa" >"$state/kube.log" 2>&1 &
pids+=($!)
api=$(wait_for "$state/kube.log" 'listening on (https://127\.0\.0\.1:[0-9]+)') || fail "kube-apiserver-emulator did not start"
echo "    API server: $api"

say "starting istiod-emulator (TokenReview against the API, ConfigMap istio-ca-root-cert in $ns)"
build/tests/emulator/istiod/istiod-emulator --listen 127.0.0.1:0 --state-dir "$state/istiod" \
  --kubeconfig "$state/kube/admin.kubeconfig" --publish-namespace "$ns" >"$state/istiod.log" 2>&1 &
pids+=($!)
ca=$(wait_for "$state/istiod.log" 'listening on (127\.0\.0\.1:[0-9]+)') || fail "istiod-emulator did not start"
echo "    Istio CA:   $ca"

sa_dir="$state/kube/serviceaccounts/$ns/$sa"
agent=(build/src/gen-istio-cert
  --ca-address "$ca"
  --root-cert-path "$state/istiod/root-cert.pem"
  --istio-token-path "$sa_dir/istio-token"
  --kubeconfig "$sa_dir/kubeconfig"
  --key-algorithm ecdsa-p256)
say "issuing: ${agent[*]} --once"
POD_NAME=sandbox-gateway-0 "${agent[@]}" --once || fail "gen-istio-cert --once exited $?"

kubectl_args=(--kubeconfig "$state/kube/admin.kubeconfig" --cache-dir "$state/kubectl-cache")
say "kubectl get secret istio-certs -n $ns"
KUBECACHEDIR="$state/kubectl-cache" kubectl "${kubectl_args[@]}" get secret istio-certs -n "$ns"

# Read the Secret back through the API (as the gateway would) and check it with openssl.
field() {
  KUBECACHEDIR="$state/kubectl-cache" kubectl "${kubectl_args[@]}" get secret istio-certs -n "$ns" \
    -o "jsonpath={.data.$1}" | base64 -d
}
field 'tls\.crt' >"$state/tls.crt"
field 'ca\.crt' >"$state/ca.crt"

say "certificate in Secret $ns/istio-certs"
openssl x509 -in "$state/tls.crt" -noout -ext subjectAltName -serial -enddate | sed 's/^/    /'
echo "    chain:"
awk '/BEGIN CERT/{n++} {print > "'"$state"'/chain-" n ".pem"}' "$state/tls.crt"
for f in "$state"/chain-*.pem; do
  echo "      - $(openssl x509 -in "$f" -noout -subject -issuer | tr '\n' ' ')"
done
echo "      - root: $(openssl x509 -in "$state/ca.crt" -noout -subject)"
openssl verify -CAfile "$state/istiod/root-cert.pem" -untrusted "$state/tls.crt" "$state/tls.crt" >/dev/null \
  || fail "the certificate in the Secret does not verify against the mesh root"
say "OK: the Secret holds a certificate for spiffe://cluster.local/ns/$ns/sa/$sa that verifies against the mesh root"

if $keep_running; then
  cat <<TXT

The sandbox keeps running (Ctrl-C stops it and removes $state).
  export KUBECONFIG=$state/kube/admin.kubeconfig
  kubectl get secret istio-certs -n $ns -o yaml
  kubectl get configmap istio-ca-root-cert -n $ns -o yaml
  ${agent[*]} --once     # issue again
TXT
  wait "${pids[@]}"
fi
