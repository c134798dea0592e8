#!/usr/bin/env bash
# Provides the Traefik v3 binary for the local stack.
#   scripts/traefik.sh path      print the binary's path, building it once if needed
#   scripts/traefik.sh version   print the version of that binary
# Lookup order: a v3 `traefik` on PATH, then .tools/bin/traefik, then the machine-wide copy of an
# earlier build ($TRAEFIK_CACHE_DIR, default ~/.cache/docutag-release: a fresh clone, as CI makes,
# then needs no rebuild), else build v$TRAEFIK_VERSION (default below) from the Go module proxy
# into .tools/bin, with Go's caches under .tools/ (GOMODCACHE / GOCACHE override them).
# The first build takes about 30 minutes on 2 cores (measured: 31 min, most of it compiling) and
# about 9 GB of Go caches; the binary is about 180 MB.
#
# Version: v3.6.12. The proxy reachable here lists v3.6.12, v3.7.11, v3.7.12 and v3.7.13, but it
# refuses (403 "This module version is not available") 15 module zips that v3.7.x needs, among them
# the go-http-auth fork of its replace lines (v0.4.1-0.20260804094822-b975dcaa8c48) and several
# lego v5 DNS-provider SDKs. Every module of v3.6.12 is served.
#
# Why a wrapper module: `go install github.com/traefik/traefik/v3/cmd/traefik@vX` refuses to
# build because Traefik's go.mod has `replace` directives (two Containous forks, and a local-path
# module), and go install ignores replaces of the installed module. A main module that requires
# Traefik and repeats those replace (and exclude) lines builds the very same dependency graph, so
# .tools/traefik-build/go.mod is generated from the downloaded Traefik go.mod, and
# `go build github.com/traefik/traefik/v3/cmd/traefik` runs inside it.
#
# One replace points at a directory: `github.com/traefik/traefik/dynamic/ext => ./pkg/config/dynamic/ext`.
# That directory is a nested module (its own go.mod), so the module zip leaves it out and the proxy
# cannot serve it (its path does not match its directory). It is an extension point of empty
# structs (`type HTTP struct{}`, `type Router struct{}`, embedded inline in dynamic.HTTP and
# dynamic.Router); the wrapper generates that stub under .tools/traefik-build/ext.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${TRAEFIK_VERSION:-3.6.12}
bin="$root/.tools/bin/traefik"
cache_dir=${TRAEFIK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/docutag-release}
cached="$cache_dir/traefik-v$version"
build_dir="$root/.tools/traefik-build"

# (No `| grep -q`: with pipefail, grep quitting early would fail the pipeline on SIGPIPE.)
is_v3() { local out; out=$("$1" version 2>/dev/null) || return 1; [[ $out =~ Version:[[:space:]]+v?3\. ]]; }

# Keeps a copy outside the clone; a failure to do so (read-only home) only costs a later rebuild.
remember() { mkdir -p "$cache_dir" 2>/dev/null && cp "$bin" "$cached.tmp" 2>/dev/null && mv "$cached.tmp" "$cached" || true; }

go_env() {
  export GOMODCACHE="${GOMODCACHE:-$root/.tools/gomod}" GOCACHE="${GOCACHE:-$root/.tools/gocache}"
  export GOFLAGS="-modcacherw -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN=local
}

# Prints Traefik's replace and exclude directives (single lines and blocks), local paths made absolute.
directives_of() {
  local src=$1
  awk '
    /^(replace|exclude)[[:space:]]*\(/ { inblock = 1; print; next }
    inblock { print; if ($0 ~ /^\)/) inblock = 0; next }
    /^(replace|exclude)[[:space:]]/ { print }
  ' "$src/go.mod" |
    sed -E "s#=>[[:space:]]+\\./pkg/config/dynamic/ext[[:space:]]*\$#=> ./ext#" |
    while IFS= read -r line; do
      # Any other local-path replacement must exist in the module zip; point it at the module cache.
      if [[ $line =~ =\>[[:space:]]+(\./[^[:space:]]+)[[:space:]]*$ ]] && [ "${BASH_REMATCH[1]}" != "./ext" ]; then
        local rel=${BASH_REMATCH[1]}
        [ -d "$src/$rel" ] || { echo "traefik go.mod replaces a module with $rel, which is not in the module zip: extend scripts/traefik.sh" >&2; exit 1; }
        line=${line/$rel/$src/${rel#./}}
      fi
      printf '%s\n' "$line"
    done
}

build_traefik() {
  command -v go >/dev/null 2>&1 || { echo "traefik not found and Go is not installed: install Go 1.26+ (Traefik v$version needs it) or put a Traefik v3 binary on PATH" >&2; exit 1; }
  go_env
  echo "building traefik v$version from the Go module proxy (first time only)..." >&2
  local started=$SECONDS src go_line
  src=$(cd /tmp && go mod download -json "github.com/traefik/traefik/v3@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$src" ] && [ -f "$src/go.mod" ] || { echo "could not download github.com/traefik/traefik/v3@v$version from $(go env GOPROXY)" >&2; exit 1; }
  go_line=$(grep -m1 -E '^go [0-9.]+' "$src/go.mod")
  rm -rf "$build_dir"
  mkdir -p "$build_dir/ext" "$(dirname "$bin")"
  cat >"$build_dir/ext/go.mod" <<'EOF'
module github.com/traefik/traefik/dynamic/ext

go 1.24.0
EOF
  cat >"$build_dir/ext/ext.go" <<'EOF'
// Package ext is Traefik's dynamic-configuration extension point; open-source Traefik leaves it empty.
package ext

// HTTP is a dynamic.HTTP extension.
type HTTP struct{}

// Router is a dynamic.Router extension.
type Router struct{}

// RouterIng is a RouterIng extension for ingress provider annotations.
type RouterIng struct{}

// ToRouter converts RouterIng to a Router.
func (r RouterIng) ToRouter() Router { return Router{} }
EOF
  {
    echo "// Generated by scripts/traefik.sh: builds Traefik v$version with its own replace and exclude lines."
    echo "module docutag-release.local/traefik-build"
    echo
    echo "$go_line"
    echo
    echo "require github.com/traefik/traefik/v3 v$version"
    echo
    directives_of "$src"
  } >"$build_dir/go.mod"
  (
    cd "$build_dir"
    go get "github.com/traefik/traefik/v3/cmd/traefik@v$version" >&2
    go build -trimpath -o "$bin.tmp" -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=v$version" github.com/traefik/traefik/v3/cmd/traefik >&2
  )
  mv "$bin.tmp" "$bin"
  remember
  echo "built $bin (traefik v$version) in $((SECONDS - started))s" >&2
}

find_traefik() {
  if command -v traefik >/dev/null 2>&1 && is_v3 "$(command -v traefik)"; then command -v traefik; return; fi
  if [ -x "$bin" ] && is_v3 "$bin"; then [ -x "$cached" ] || remember; echo "$bin"; return; fi
  mkdir -p "$root/.tools/bin"
  if [ -x "$cached" ] && is_v3 "$cached"; then cp "$cached" "$bin.tmp" && mv "$bin.tmp" "$bin"; echo "$bin"; return; fi
  # Two callers at once (a test and the demo) build once: the second waits, then finds the binary.
  exec 9>"$root/.tools/traefik-build.lock"
  flock 9
  if [ -x "$bin" ] && is_v3 "$bin"; then echo "$bin"; return; fi
  build_traefik
  echo "$bin"
}

case "${1:-path}" in
  path) find_traefik ;;
  version) "$(find_traefik)" version ;;
  *) echo "usage: $0 path|version" >&2; exit 2 ;;
esac
