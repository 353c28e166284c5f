#!/usr/bin/env bash
# The embedded sandbox: a Kubernetes API emulator (RBAC enforced) and an istiod emulator on
# loopback, the gateway's service account with the RBAC from manifests/, and two gen-istio-cert
# replicas run as the sidecar runs them. Shows, as it happens: which replica leads, the Secret's
# SPIFFE identity, serial and expiry, a renewal, a failover when the leader is stopped, and the
# standalone --once command run against the same sandbox. Prints a summary and exits 0, or
# non-zero with the reason and the end of the relevant log.
#
# Usage: scripts/sandbox.sh [--keep-running]
#   --keep-running  leave everything up afterwards and print how to inspect it with kubectl
#                   (Ctrl-C stops everything the sandbox started and removes its state).
# Environment: GIC_BUILD_DIR  build directory (default: build-release, the release build of scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

keep_running=false
for arg in "$@"; do
  case "$arg" in
    --keep-running) keep_running=true ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sandbox: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

build_dir=${GIC_BUILD_DIR:-build-release}
agent_bin=$build_dir/src/gen-istio-cert
kube_bin=$build_dir/tests/emulator/kube/kube-apiserver-emulator
istiod_bin=$build_dir/tests/emulator/istiod/istiod-emulator

# The scenario's names and timings.
ns=envoy-gateway-system
sa=teg-istio
secret=istio-certs
lease=$sa.gen-istio-cert.teg.tetrate.io
replicas=(mesh-gateway-0 mesh-gateway-1)
cert_ttl=2m        # short, so that renewals are visible ...
renew_ratio=0.75   # ... renew when 3/4 of the lifetime remains: about 30 s after issuing
election=(--lease-duration 3s --renew-deadline 2s --retry-period 500ms)  # failover within seconds

state=
failed=false
declare -A started=()
source "$repo/scripts/sandbox/lib.sh"

cleanup() {
  trap - INT TERM
  stop_all
  if [ -n "$state" ]; then
    if $failed; then echo "sandbox: state and logs kept in $state (remove it with rm -rf)" >&2
    else rm -rf "$state"; fi
  fi
}
trap cleanup EXIT
trap 'printf "\nsandbox: interrupted; stopping everything it started\n" >&2; exit 130' INT TERM

step "building $build_dir (the first run installs Debian packages and compiles; later runs are quick)"
targets=(src/gen-istio-cert tests/emulator/kube/kube-apiserver-emulator tests/emulator/istiod/istiod-emulator)
if ! scripts/build.sh "$build_dir" "${targets[@]}"; then
  ninja -C "$build_dir" -j2 "${targets[@]}" 2>&1 | tail -n 40 >&2 || true
  fail "the build failed (scripts/build.sh $build_dir)" /dev/null
fi

state=$(mktemp -d /tmp/gen-istio-cert-sandbox.XXXXXX)
sa_dir=$state/kube/serviceaccounts/$ns/$sa
info "state and logs: $state"

step "starting the Kubernetes API emulator (RBAC enforced) and the istiod emulator on loopback"
# --service-account plays the cluster's part for the pod: the namespace and service account exist,
# and the kubelet's projected tokens (istio-token, audience istio-ca) are files that get rotated.
start kube "$state/kube.log" "$kube_bin" --listen 127.0.0.1:0 --state-dir "$state/kube" \
  --service-account "$ns/$sa" --authorization RBAC
wait_logs=("$state/kube.log")
wait_until 20 "the kube-apiserver-emulator to listen" captured "$state/kube.log" 'listening on (https://[0-9.:]+)'
api=$(captured "$state/kube.log" 'listening on (https://[0-9.:]+)')
info "Kubernetes API  $api   (admin kubeconfig $state/kube/admin.kubeconfig)"

start istiod "$state/istiod.log" "$istiod_bin" --listen 127.0.0.1:0 --state-dir "$state/istiod" \
  --kubeconfig "$state/kube/admin.kubeconfig" --publish-namespace "$ns"
wait_logs=("$state/istiod.log")
wait_until 20 "the istiod-emulator to listen" captured "$state/istiod.log" 'listening on (127\.0\.0\.1:[0-9]+)'
ca=$(captured "$state/istiod.log" 'listening on (127\.0\.0\.1:[0-9]+)')
info "Istio CA        $ca   (TokenReview against the API; publishes ConfigMap istio-ca-root-cert in $ns)"

step "RBAC from manifests/ (kubectl create -f, as the admin)"
wait_logs=("$state/kube.log")
k get namespace "$ns" >/dev/null 2>&1 || fail "namespace $ns does not exist" "$state/kube.log"
k get serviceaccount "$sa" -n "$ns" 2>&1 | indent || fail "service account $ns/$sa does not exist" "$state/kube.log"
can_before=$(k_as_sa auth can-i update secrets -n "$ns" 2>/dev/null || true)
info "can $sa update secrets before the RBAC? $can_before"
[ "$can_before" = no ] || fail "RBAC is not enforced: $sa may update secrets before any Role exists"
info "\$ kubectl create -f manifests/rbac-namespaced/role.yaml"
k create -f manifests/rbac-namespaced/role.yaml 2>&1 | indent ||
  fail "kubectl create -f manifests/rbac-namespaced/role.yaml failed" "$state/kube.log"
for check in "get secrets" "create secrets" "update secrets" "update leases" "watch leases" "create events"; do
  # shellcheck disable=SC2086
  answer=$(k_as_sa auth can-i $check -n "$ns" 2>/dev/null || true)
  [ "$answer" = yes ] || fail "after the RBAC, $sa still may not: $check" "$state/kube.log"
done
info "can $sa now get/create/update secrets, update/watch leases, create events? yes"

# The pod's volumes: the root from ConfigMap istio-ca-root-cert (what the kubelet mounts at
# /var/run/secrets/istio) and the projected istio-ca token the emulator keeps fresh.
mkdir -p "$state/mounts/istio"
read_root() {
  k get configmap istio-ca-root-cert -n "$ns" -o 'jsonpath={.data.root-cert\.pem}' >"$state/mounts/istio/root-cert.pem" 2>/dev/null &&
    [ -s "$state/mounts/istio/root-cert.pem" ]
}
wait_until 20 "ConfigMap $ns/istio-ca-root-cert" read_root
info "mounted ConfigMap istio-ca-root-cert at $state/mounts/istio/root-cert.pem"

step "starting two replicas in continuous mode (--leader-elect, --cert-ttl $cert_ttl, --renew-ratio $renew_ratio)"
# The sidecar's flags (manifests/deployment.yaml), with the mounts above and the service account's
# kubeconfig standing in for the in-cluster configuration. Metrics and probes are off: both
# replicas share this host, and the sidecar's fixed ports would collide.
sidecar_args=(--output-secret="$secret" --ca-address="$ca"
  --kubeconfig="$sa_dir/kubeconfig" --istio-token-path="$sa_dir/istio-token"
  --root-cert-path="$state/mounts/istio/root-cert.pem"
  --leader-elect --cert-ttl="$cert_ttl" --renew-ratio="$renew_ratio" "${election[@]}"
  --metrics-bind-address=0 --health-probe-bind-address=0)
start_replica() {
  start "$1" "$state/$1.log" env POD_NAME="$1" POD_NAMESPACE="$ns" "$agent_bin" "${sidecar_args[@]}"
  event "$1 started (pid ${started[$1]}, log $state/$1.log)"
}
for r in "${replicas[@]}"; do start_replica "$r"; done
info "each runs: POD_NAME=<replica> $agent_bin ${sidecar_args[*]}"
replica_logs=("$state/${replicas[0]}.log" "$state/${replicas[1]}.log")
wait_logs=("${replica_logs[@]}" "$state/kube.log")

t_start=${EPOCHREALTIME/./}
has_leader() { holder=$(lease_holder) && [ -n "$holder" ]; }
wait_until 30 "a replica to hold Lease $ns/$lease" has_leader
leader=${holder%_*}
event "leader: $leader   (Lease holderIdentity $holder)"
info "\$ kubectl get lease $lease -n $ns -o jsonpath='{.spec.holderIdentity}'"
first_leader=$leader
for r in "${replicas[@]}"; do [ "$r" = "$leader" ] || standby=$r; done
[ -n "${standby:-}" ] || fail "the Lease holder \"$leader\" is not one of the replicas"

wait_until 60 "the leader to write Secret $ns/$secret" read_secret
secret_is_valid || fail "the certificate in Secret $ns/$secret does not verify against the mesh root" "${replica_logs[@]}"
event "Secret $ns/$secret holds a valid certificate (kubectl get secret -o jsonpath | openssl x509)"
describe_cert
[ "$cert_san" = "spiffe://cluster.local/ns/$ns/sa/$sa" ] || fail "unexpected identity in the Secret: $cert_san"
[ "$cert_writer" = "$leader" ] || fail "the Secret was written by \"$cert_writer\", not by the leader $leader"
serial_1=$cert_serial
t_issued=${EPOCHREALTIME/./}

step "waiting for the leader to renew (due about 30 s after issuing)"
serial_changed() { read_secret && [ "$cert_serial" != "$1" ]; }
wait_until 120 "a renewal (serial other than $serial_1)" serial_changed "$serial_1"
secret_is_valid || fail "the renewed certificate does not verify against the mesh root" "${replica_logs[@]}"
renewal_after=$(( (${EPOCHREALTIME/./} - t_issued) / 1000000 ))
event "renewed by $cert_writer after ${renewal_after}s: serial $serial_1 -> $cert_serial"
describe_cert
serial_2=$cert_serial
[ "$(lease_replica)" = "$leader" ] || fail "leadership moved without a failover" "${replica_logs[@]}"

step "failover: stopping the leader $leader (SIGTERM pid ${started[$leader]})"
t_stop=${EPOCHREALTIME/./}
stop "$leader"
event "$leader exited with status $stop_status"
[ "$stop_status" = 0 ] || fail "$leader exited with status $stop_status on SIGTERM" "$state/$leader.log"
tail -n 3 "$state/$leader.log" | indent
wait_logs=("$state/$standby.log" "$state/kube.log")
standby_leads() { holder=$(lease_holder) && [ "${holder%_*}" = "$standby" ]; }
wait_until 20 "$standby to take Lease $ns/$lease" standby_leads
failover_ms=$(( (${EPOCHREALTIME/./} - t_stop) / 1000 ))
event "leader: $standby   (Lease holderIdentity $holder, ${failover_ms} ms after the SIGTERM)"
read_secret || fail "Secret $ns/$secret cannot be read after the failover"
secret_is_valid || fail "the Secret is not valid after the failover" "$state/$standby.log"
event "Secret still valid: serial $cert_serial, expires in $(seconds_left)s"
reused_line=$(grep -m1 -E 'stored certificate is valid|stored certificate is due' "$state/$standby.log" || true)
[ -z "$reused_line" ] || info "$standby: ${reused_line#* }"

step "waiting for the new leader $standby to renew"
wait_until 120 "$standby to renew (serial other than $serial_2)" serial_changed "$serial_2"
secret_is_valid || fail "the certificate renewed by $standby does not verify" "$state/$standby.log"
[ "$cert_writer" = "$standby" ] || fail "the renewal after the failover was written by \"$cert_writer\", not $standby"
event "renewed by $cert_writer: serial $serial_2 -> $cert_serial"
describe_cert
serial_3=$cert_serial

step "standalone: the one-shot command a user runs against this sandbox (issue with a kubeconfig)"
# No token or root files: the agent mints the istio-ca token with TokenRequest and reads the root
# from ConfigMap istio-ca-root-cert, as it would against a real cluster with an admin kubeconfig.
standalone=("$agent_bin" --once --kubeconfig "$state/kube/admin.kubeconfig" --ca-address "$ca"
  --sa-namespace "$ns" --sa-name "$sa" --output-dir ./certs)
info "\$ ${standalone[*]}"
info "(run in $state, so ./certs is $state/certs)"
if ! (cd "$state" && "$repo/$agent_bin" "${standalone[@]:1}") >"$state/standalone.out" 2>"$state/standalone.log"; then
  cat "$state/standalone.out" >&2
  fail "the standalone --once command failed" "$state/standalone.log"
fi
# Its log (stderr) shows where the token and the root came from; then the summary (stdout).
sed -E 's/^[0-9T:.-]+Z //' "$state/standalone.log" | indent
indent <"$state/standalone.out"
openssl verify -CAfile "$state/istiod/root-cert.pem" -untrusted "$state/certs/tls.crt" "$state/certs/tls.crt" >/dev/null 2>&1 ||
  fail "the standalone certificate in $state/certs does not verify against the mesh root" "$state/standalone.log"
standalone_serial=$(openssl x509 -in "$state/certs/tls.crt" -noout -serial | sed 's/^serial=//')
info "$state/certs/tls.crt verifies against the mesh root (serial $standalone_serial)"

step "summary"
cat <<TXT | indent
identity           $cert_san
first leader       $first_leader; first certificate serial $serial_1
renewal            serial $serial_1 -> $serial_2 after ${renewal_after}s (cert-ttl $cert_ttl, renew-ratio $renew_ratio)
failover           $first_leader stopped (exit 0); $standby held the Lease ${failover_ms} ms later; the Secret stayed valid
renewal            by $standby: serial $serial_2 -> $serial_3
standalone --once  ./certs written and verified (serial $standalone_serial)
total              $(elapsed | tr -d ' ')
TXT
printf '\033[1;32mOK: the sandbox scenario passed\033[0m\n'

if $keep_running; then
  start_replica "$first_leader"
  cat <<TXT

The sandbox keeps running: $standby leads, $first_leader (restarted) stands by.
Ctrl-C stops everything it started and removes $state.

  export KUBECONFIG=$state/kube/admin.kubeconfig
  kubectl get lease $lease -n $ns -o jsonpath='{.spec.holderIdentity}{"\n"}'
  kubectl get secret $secret -n $ns -o jsonpath='{.data.tls\.crt}' | base64 -d | openssl x509 -noout -ext subjectAltName -serial -enddate
  kubectl get events -n $ns
  tail -f $state/${replicas[0]}.log $state/${replicas[1]}.log
  kill -TERM ${started[$standby]}    # stop the leader $standby and watch $first_leader take over
  ${standalone[*]}
TXT
  while [ ${#started[@]} -gt 0 ]; do
    wait -n "${started[@]}" 2>/dev/null || true
    for name in "${!started[@]}"; do running "${started[$name]}" || { echo "sandbox: $name exited"; unset "started[$name]"; }; done
  done
fi
