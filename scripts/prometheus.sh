#!/usr/bin/env bash
# Provides the Prometheus binary for the local stack.
#   scripts/prometheus.sh path      print the binary's path, installing it once if needed
#   scripts/prometheus.sh version   print its version
# Lookup order: `prometheus` on PATH (or /usr/bin/prometheus), else Debian's package
# (`apt-get install -y prometheus`, 2.42 on bookworm; needs root, as CI and the dev machines are).
#
# The package ships a service; the local stack never uses it: it runs its own instance with its
# own config and data dir under .data/ (see src/targets/local/stack.ts). So the install
# runs with a policy-rc.d that forbids starting services (where none is installed already), and
# any instance the package manager started anyway is left alone, since ours listens on its own port.
set -euo pipefail

find_prometheus() {
  if command -v prometheus >/dev/null 2>&1; then command -v prometheus; return; fi
  if [ -x /usr/bin/prometheus ]; then echo /usr/bin/prometheus; return; fi
  command -v apt-get >/dev/null 2>&1 || { echo "prometheus not found and apt-get is not available: put a Prometheus 2.x binary on PATH" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "prometheus not found: run 'sudo apt-get install -y prometheus' (or put a Prometheus 2.x binary on PATH)" >&2; exit 1; }
  echo "installing Debian's prometheus package (first time only)..." >&2
  local policy=/usr/sbin/policy-rc.d created="" status=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# added by docutag-release scripts/prometheus.sh during its apt-get install\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created=yes
  fi
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -q --no-install-recommends prometheus || { apt-get update -q && apt-get install -y -q --no-install-recommends prometheus; }; } >&2 || status=$?
  if [ -n "$created" ]; then rm -f "$policy"; fi
  [ "$status" = 0 ] || { echo "apt-get install prometheus failed (exit $status)" >&2; exit "$status"; }
  command -v prometheus >/dev/null 2>&1 || { echo "apt-get installed prometheus but it is not on PATH" >&2; exit 1; }
  command -v prometheus
}

case "${1:-path}" in
  path) find_prometheus ;;
  version) "$(find_prometheus)" --version 2>&1 | head -1 ;;
  *) echo "usage: $0 path|version" >&2; exit 2 ;;
esac
