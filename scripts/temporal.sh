#!/usr/bin/env bash
# Provides the Temporal CLI (dev server) and starts it.
#   scripts/temporal.sh path    print the binary's path, building it once if needed
#   scripts/temporal.sh start   run the dev server: SQLite under .data/, gRPC 7233, Web UI 8233
# Lookup order: `temporal` on PATH, then .tools/bin, then a copy kept from an earlier build
# ($TEMPORAL_CACHE_DIR, default ~/.cache/docutag-release: a fresh clone, as CI makes, needs no rebuild),
# else `go install` of CLI v1.5.1 (the last tag without a `replace` directive) into .tools/bin, with
# Go's caches under .tools/ so rebuilds are fast.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=1.5.1

cache_dir=${TEMPORAL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/docutag-release}
cached="$cache_dir/temporal-v$version"
# Keeps a copy for the next clone; a read-only or full disk only costs the next clone a rebuild.
remember() { mkdir -p "$cache_dir" 2>/dev/null && cp "$1" "$cached.tmp" 2>/dev/null && mv "$cached.tmp" "$cached" || true; }

find_temporal() {
  if command -v temporal >/dev/null 2>&1; then command -v temporal; return; fi
  if [ -x "$root/.tools/bin/temporal" ]; then
    [ -x "$cached" ] || remember "$root/.tools/bin/temporal"
    echo "$root/.tools/bin/temporal"; return
  fi
  if [ -x "$cached" ]; then echo "$cached"; return; fi
  command -v go >/dev/null 2>&1 || { echo "temporal not found and Go is not installed: install Go 1.22+ or put temporal on PATH" >&2; exit 1; }
  echo "building temporal v$version with go install (first time only, ~5 minutes on 2 cores)..." >&2
  mkdir -p "$root/.tools/bin"
  GOBIN="$root/.tools/bin" GOMODCACHE="${GOMODCACHE:-$root/.tools/gomod}" GOCACHE="${GOCACHE:-$root/.tools/gocache}" GOFLAGS=-modcacherw CGO_ENABLED=0 \
    go install -ldflags "-X github.com/temporalio/cli/temporalcli.Version=$version" "github.com/temporalio/cli/cmd/temporal@v$version" >&2
  remember "$root/.tools/bin/temporal"
  echo "$root/.tools/bin/temporal"
}

case "${1:-path}" in
  path) find_temporal ;;
  start)
    bin=$(find_temporal)
    mkdir -p "$root/.data"
    exec "$bin" server start-dev \
      --db-filename "$root/.data/temporal.db" \
      --port "${TEMPORAL_PORT:-7233}" --ui-port "${TEMPORAL_UI_PORT:-8233}" \
      --dynamic-config-value frontend.enableServerVersionCheck=false \
      --search-attribute ReleaseService=Keyword --search-attribute ReleaseVersion=Keyword \
      --search-attribute ReleaseStrategy=Keyword --search-attribute ReleasePhase=Keyword \
      --search-attribute ReleaseWeight=Int \
      --search-attribute ReleaseOutcome=Keyword \
      --log-level warn
    ;;
  *) echo "usage: $0 path|start" >&2; exit 2 ;;
esac
