# Helpers for scripts/sandbox.sh: output, processes started by PID, bounded waits, and reading
# the Secret and the Lease back through kubectl. Sourced, not run. Expects `state` (the temporary
# state directory) and `started` (an associative array name -> PID) to be defined by the caller.

# --- output -------------------------------------------------------------------------------------
t0=${EPOCHREALTIME/./}
# Seconds since the sandbox started, one decimal ("  12.3s").
elapsed() {
  local us=$(( ${EPOCHREALTIME/./} - t0 ))
  printf '%5d.%ds' $(( us / 1000000 )) $(( us / 100000 % 10 ))
}
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
event() { printf '[%s] %s\n' "$(elapsed)" "$*"; }
info() { printf '    %s\n' "$*"; }
indent() { sed 's/^/    /'; }

# Prints the reason and the last lines of the named logs (or of every log), then exits 1.
fail() {
  local reason=$1; shift
  printf '\n\033[1;31msandbox: FAILED: %s\033[0m\n' "$reason" >&2
  local logs=("$@")
  [ ${#logs[@]} -gt 0 ] || logs=("$state"/*.log)
  for log in "${logs[@]}"; do
    [ -s "$log" ] || continue
    printf -- '--- last lines of %s\n' "$log" >&2
    tail -n 15 "$log" >&2
  done
  failed=true
  exit 1
}

# --- processes ----------------------------------------------------------------------------------
# start NAME LOG COMMAND...: runs COMMAND in the background with its output in LOG.
start() {
  local name=$1 log=$2; shift 2
  "$@" >"$log" 2>&1 &
  started[$name]=$!
}

running() { kill -0 "$1" 2>/dev/null; }

# stop NAME: SIGTERM, up to 10 s for a clean exit, then SIGKILL. Sets `stop_status` to the exit status.
stop() {
  local name=$1 pid=${started[$1]:-}
  stop_status=
  [ -n "$pid" ] || return 0
  unset "started[$name]"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
  running "$pid" && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null && stop_status=0 || stop_status=$?
}

stop_all() {
  local name
  for name in "${!started[@]}"; do kill -TERM "${started[$name]}" 2>/dev/null || true; done
  for name in "${!started[@]}"; do stop "$name"; done
}

# --- waiting ------------------------------------------------------------------------------------
# wait_until SECONDS WHAT COMMAND...: runs COMMAND every 0.25 s until it succeeds; fails naming WHAT
# after SECONDS. Extra logs to print on failure can be set in `wait_logs` (array).
wait_until() {
  local seconds=$1 what=$2; shift 2
  local deadline=$(( ${EPOCHREALTIME/./} + seconds * 1000000 ))
  until "$@" >/dev/null; do
    if (( ${EPOCHREALTIME/./} > deadline )); then
      fail "timed out after ${seconds}s waiting for $what" "${wait_logs[@]}"
    fi
    sleep 0.25
  done
}

# The first capture group of PATTERN (extended regex) in LOG, once it appears.
captured() {
  local log=$1 pattern=$2 line
  line=$(grep -m1 -oE "$pattern" "$log" 2>/dev/null) || return 1
  sed -E "s#$pattern#\\1#" <<<"$line"
}

# --- the cluster, through kubectl ---------------------------------------------------------------
k() { kubectl --kubeconfig "$state/kube/admin.kubeconfig" --cache-dir "$state/kubectl-cache" "$@"; }
k_as_sa() { kubectl --kubeconfig "$sa_dir/kubeconfig" --cache-dir "$state/kubectl-cache" "$@"; }

# The Lease's holderIdentity is "<POD_NAME>_<uuid>" (client-go's form); lease_holder prints it and
# lease_replica the replica (POD_NAME) part, or nothing while nobody holds the Lease.
lease_holder() {
  k get lease "$lease" -n "$ns" -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null
}
lease_replica() {
  local holder
  holder=$(lease_holder) || return 0
  echo "${holder%_*}"
}

# Reads the Secret's tls.crt and ca.crt into $state/secret/ and sets cert_serial, cert_san,
# cert_not_after and cert_writer. Fails (returns 1) while the Secret does not exist yet.
read_secret() {
  local dir="$state/secret" fields
  mkdir -p "$dir"
  # One read, so that the three fields belong to the same version of the Secret.
  fields=$(k get secret "$secret" -n "$ns" -o \
    'jsonpath={.data.tls\.crt} {.data.ca\.crt} {.metadata.annotations.gen-istio-cert\.teg\.tetrate\.io/written-by}' \
    2>/dev/null) || return 1
  read -r tls_b64 ca_b64 cert_writer <<<"$fields"
  [ -n "$tls_b64" ] && [ -n "$ca_b64" ] || return 1
  base64 -d <<<"$tls_b64" >"$dir/tls.crt" && base64 -d <<<"$ca_b64" >"$dir/ca.crt" || return 1
  cert_serial=$(openssl x509 -in "$dir/tls.crt" -noout -serial | sed 's/^serial=//')
  cert_san=$(openssl x509 -in "$dir/tls.crt" -noout -ext subjectAltName | sed -n 's/^ *URI://p')
  cert_not_after=$(date -u -d "$(openssl x509 -in "$dir/tls.crt" -noout -enddate | sed 's/^notAfter=//')" +%FT%TZ)
}

# The Secret's certificate is currently valid and chains (through the Secret's own ca.crt) to the
# mesh root the istiod emulator published.
secret_is_valid() {
  local dir="$state/secret"
  openssl x509 -in "$dir/tls.crt" -noout -checkend 0 >/dev/null &&
    cmp -s "$dir/ca.crt" "$state/istiod/root-cert.pem" &&
    openssl verify -CAfile "$state/istiod/root-cert.pem" -untrusted "$dir/tls.crt" "$dir/tls.crt" >/dev/null 2>&1
}

seconds_left() { echo $(( $(date -d "$cert_not_after" +%s) - $(date +%s) )); }

describe_cert() {
  info "identity  $cert_san"
  info "serial    $cert_serial"
  info "expires   $cert_not_after (in $(seconds_left)s)"
  info "written   by $cert_writer"
}
