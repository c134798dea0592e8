#!/usr/bin/env bash
# DocuTag's deploy script, kept: same arguments, same lines, same exit status, now a `direct` release
# workflow (history, Slack, drills). Needs Temporal (TEMPORAL_ADDRESS) and `docutag-release worker`.
#   scripts/deploy-with-rollback.sh <release> <namespace> <values-file>
# Env: CHART (default ./chart), VERSION_VALUE (default image.tag), TIMEOUT_TESTS (seconds, default 300).
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 <release> <namespace> <values-file>" >&2
  exit 1
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
[ -f "$root/dist/client/cli.js" ] || (cd "$root" && npm run build >/dev/null)
exec node "$root/bin/docutag-release.js" deploy-with-rollback "$@"
