#!/usr/bin/env bash
# A local Kubernetes cluster for the cluster tests: a real API server, kwok playing node and pods.
#   scripts/kube-cluster.sh run [DIR]   start it in DIR (default .data/kube-cluster, emptied first),
#                                       print `ready <kubeconfig>` when it serves, stay in the
#                                       foreground; SIGINT / SIGTERM stop every process it started,
#                                       SIGUSR1 / SIGUSR2 stop / start the API server alone (an outage)
#
# What runs, all on 127.0.0.1 (no container runtime, no kubelet): etcd, kube-apiserver (client-cert
# and ServiceAccount-token authentication, RBAC), kube-controller-manager (Deployments, ReplicaSets,
# ServiceAccounts, tokens, garbage collection), kube-scheduler, and kwok, which owns the one fake
# Node (annotation kwok.x-k8s.io/node=fake) and moves the pods scheduled on it through the stages of
# test/cluster/kwok-stages.yaml: Ready at once, and a pod annotated docutag-release.dev/kwok-exit-code
# (a helm test pod) Succeeded ("0") or Failed. Nothing a pod runs is executed.
# Then Traefik's CRDs (TraefikService, IngressRoute, ...) from the Traefik v3.6.12 module's own
# docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml are created.
#
# Binaries come from scripts/kube.sh (built once, cached). Ports are free ones picked at start
# (KUBE_APISERVER_PORT fixes the API server's). Certificates (a CA, the serving cert, an admin
# client cert in system:masters, the ServiceAccount signing key) are made with openssl in DIR/pki.
# DIR/admin.kubeconfig is the cluster-admin kubeconfig; component logs are DIR/logs/*.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
traefik_version=3.6.12
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/docutag-release

usage() { echo "usage: $0 run [DIR]" >&2; exit 2; }
[ "${1:-}" = run ] || usage
dir=$(mkdir -p "${2:-$root/.data/kube-cluster}" && cd "${2:-$root/.data/kube-cluster}" && pwd)
started_at=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - started_at) / 1000000 ))ms"; }
say() { echo "kube-cluster: $* ($(elapsed))" >&2; }

bin=$(bash "$root/scripts/kube.sh" path)
rm -rf "${dir:?}"/{pki,etcd,logs,admin.kubeconfig,kwok.yaml,ready}
mkdir -p "$dir/pki" "$dir/etcd" "$dir/logs"

pids=()
names=()
# Stops the components in reverse order (kwok first, etcd last), each given 10 s after SIGTERM
# before SIGKILL: the API server's graceful shutdown never ends once etcd is gone.
stop_all() {
  local i n
  trap - EXIT INT TERM
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || continue
    for ((n = 0; n < 100; n++)); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap stop_all EXIT
trap 'exit 0' INT TERM

# Starts a component in the background with its log in DIR/logs/NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$dir/logs/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
}

# Fails (with the component's log tail) if a component has exited.
apiserver_stopped=false
check_alive() {
  local i
  for i in "${!pids[@]}"; do
    if [ "$apiserver_stopped" = true ] && [ "$i" = "${apiserver_index:-}" ]; then continue; fi
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      echo "kube-cluster: ${names[i]} exited; the end of $dir/logs/${names[i]}.log:" >&2
      tail -20 "$dir/logs/${names[i]}.log" >&2
      exit 1
    fi
  done
}

# wait_for WHAT SECONDS COMMAND...: polls COMMAND every 100 ms.
wait_for() {
  local what=$1 limit=$2 deadline
  shift 2
  deadline=$(($(date +%s) + limit))
  until "$@" >/dev/null 2>&1; do
    check_alive
    [ "$(date +%s)" -lt "$deadline" ] || { echo "kube-cluster: $what not ready after ${limit}s" >&2; exit 1; }
    sleep 0.1
  done
}

free_ports() { node -e '
  const net = require("net"); const n = Number(process.argv[1]); const servers = []; const ports = [];
  (async () => { for (let i = 0; i < n; i++) { const s = net.createServer(); await new Promise((r) => s.listen(0, "127.0.0.1", r)); servers.push(s); ports.push(s.address().port); }
    servers.forEach((s) => s.close()); console.log(ports.join(" ")); })();' "$1"; }
read -r etcd_port etcd_peer_port api_port kwok_port <<<"$(free_ports 4)"
api_port=${KUBE_APISERVER_PORT:-$api_port}

pki=$dir/pki
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=docutag-release-local-ca" 2>/dev/null
  sign() { # sign NAME SUBJECT EXTENSIONS
    openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
    printf '%b' "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3650 -extfile "$1.ext" 2>/dev/null
  }
  sign apiserver "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
  sign admin "/O=system:masters/CN=docutag-release-admin" "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
say "certificates made"

kubeconfig=$dir/admin.kubeconfig
cat >"$kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
contexts:
- name: local
  context: { cluster: local, user: admin }
current-context: local
EOF

start etcd "$bin/etcd" --name local --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "local=http://127.0.0.1:$etcd_peer_port" --listen-metrics-urls "" \
  --unsafe-no-fsync --quota-backend-bytes 1073741824 --log-level warn
wait_for etcd 30 curl -fsS "http://127.0.0.1:$etcd_port/health"
say "etcd serves on 127.0.0.1:$etcd_port"

apiserver_args=(
  --etcd-servers "http://127.0.0.1:$etcd_port"
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" --cert-dir "$pki"
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt"
  --service-account-issuer https://kubernetes.default.svc.cluster.local
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key"
  --service-cluster-ip-range 10.96.0.0/16 --authorization-mode Node,RBAC
  --endpoint-reconciler-type none --enable-priority-and-fairness=false --profiling=false
)
start kube-apiserver "$bin/kube-apiserver" "${apiserver_args[@]}"
apiserver_index=$((${#pids[@]} - 1))
apiserver_ready() { curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "https://127.0.0.1:$api_port/readyz"; }
wait_for kube-apiserver 90 apiserver_ready
say "kube-apiserver serves on https://127.0.0.1:$api_port"

start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$kubeconfig" \
  --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --use-service-account-credentials=false --controllers '*,-node-ipam-controller'
start kube-scheduler "$bin/kube-scheduler" --kubeconfig "$kubeconfig" \
  --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false
# --node-lease-duration-seconds: kwok given only Stages in --config renews no node lease without it,
# and the node-lifecycle controller marks the node NotReady (and its pods not Ready) after 50 s.
start kwok "$bin/kwok" --kubeconfig "$kubeconfig" --config "$root/test/cluster/kwok-stages.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --server-address "127.0.0.1:$kwok_port" --node-ip 127.0.0.1 --cidr 10.244.0.1/24 \
  --node-lease-duration-seconds 40

kubectl() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }
kubectl apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: kwok-node-0
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
    type: kwok
status:
  allocatable: { cpu: "32", memory: 256Gi, pods: "110" }
  capacity: { cpu: "32", memory: 256Gi, pods: "110" }
EOF

# Traefik's CRDs, from the module's own file (the Go module cache, downloaded if need be).
crds=$cache_root/traefik-v$traefik_version-crds.yml
if [ ! -s "$crds" ]; then
  src=$(cd /tmp && GOMODCACHE="${GOMODCACHE:-$cache_root/go/mod}" GOFLAGS=-modcacherw GOTOOLCHAIN=local \
    go mod download -json "github.com/traefik/traefik/v3@v$traefik_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  cp "$src/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml" "$crds.tmp"
  mv "$crds.tmp" "$crds"
fi
kubectl create -f "$crds" >/dev/null
kubectl wait --for condition=established --timeout 60s crd/traefikservices.traefik.io crd/ingressroutes.traefik.io >/dev/null
say "Traefik v$traefik_version CRDs established"

wait_for "node kwok-node-0" 60 kubectl wait --for condition=Ready --timeout 1s node/kwok-node-0
wait_for "the default ServiceAccount" 60 kubectl get serviceaccount default --namespace default
check_alive
say "node kwok-node-0 Ready, controllers running"
touch "$dir/ready"
echo "ready $kubeconfig"

# An outage on demand (the cluster tests' "API server away mid-release"): SIGUSR1 stops the API
# server, SIGUSR2 starts it again on the same port and data; each prints a line when done.
# etcd, the controllers and kwok stay up and reconnect.
stop_apiserver() {
  local pid=${pids[apiserver_index]}
  [ "$apiserver_stopped" = false ] || { echo "apiserver stopped"; return; }
  apiserver_stopped=true
  # SIGKILL, as a crash: on SIGTERM the API server drains its watches for up to 10 s first.
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  say "kube-apiserver stopped"
  echo "apiserver stopped"
}
start_apiserver() {
  [ "$apiserver_stopped" = true ] || { echo "apiserver started"; return; }
  "$bin/kube-apiserver" "${apiserver_args[@]}" >>"$dir/logs/kube-apiserver.log" 2>&1 &
  pids[apiserver_index]=$!
  apiserver_stopped=false
  wait_for kube-apiserver 90 apiserver_ready
  say "kube-apiserver serves again"
  echo "apiserver started"
}
trap stop_apiserver USR1
trap start_apiserver USR2

while true; do
  check_alive
  # `wait` (unlike a foreground sleep) returns as soon as a trapped signal arrives.
  sleep 1 &
  wait $! 2>/dev/null || true
done
