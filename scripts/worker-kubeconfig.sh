#!/usr/bin/env bash
# Writes a kubeconfig for the worker that authenticates as deploy/chart's ServiceAccount, so a worker
# outside the cluster (docker compose) acts with the chart's least-privilege Roles, not an admin's.
#   scripts/worker-kubeconfig.sh OUT [NAMESPACE] [SERVICE_ACCOUNT] [DURATION]
# NAMESPACE / SERVICE_ACCOUNT: where deploy/chart is installed and its ServiceAccount (default
# docutag-system / docutag-release); DURATION: the token's lifetime (default 720h; the API server may
# cap it). Reads the cluster (server, CA) from the current kubectl context; KUBECONFIG and KUBECTL
# (default: kubectl on PATH) choose the admin side. The file is written mode 600: it holds a token.
set -euo pipefail
out=${1:?usage: scripts/worker-kubeconfig.sh OUT [NAMESPACE] [SERVICE_ACCOUNT] [DURATION]}
namespace=${2:-docutag-system}
account=${3:-docutag-release}
duration=${4:-720h}
kubectl=${KUBECTL:-kubectl}

"$kubectl" get serviceaccount "$account" --namespace "$namespace" >/dev/null \
  || { echo "no ServiceAccount $namespace/$account: install deploy/chart first (helm install docutag-release deploy/chart -n $namespace)" >&2; exit 1; }
token=$("$kubectl" create token "$account" --namespace "$namespace" --duration "$duration")
server=$("$kubectl" config view --minify --raw -o 'jsonpath={.clusters[0].cluster.server}')
ca=$("$kubectl" config view --minify --raw -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}')
if [[ -z $ca ]]; then
  ca_file=$("$kubectl" config view --minify --raw -o 'jsonpath={.clusters[0].cluster.certificate-authority}')
  [[ -n $ca_file ]] && ca=$(base64 -w0 <"$ca_file")
fi
[[ -n $ca ]] || { echo "the current context's cluster has no CA (certificate-authority-data or certificate-authority); refusing to write a kubeconfig that skips TLS verification" >&2; exit 1; }

umask 077
cat >"$out" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: docutag
    cluster:
      server: $server
      certificate-authority-data: $ca
users:
  - name: $account
    user:
      token: $token
contexts:
  - name: docutag
    context:
      cluster: docutag
      user: $account
      namespace: $namespace
current-context: docutag
KUBECONFIG
chmod 600 "$out"
echo "wrote $out: ServiceAccount $namespace/$account, context docutag, token valid $duration" >&2
