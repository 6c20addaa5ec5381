#!/usr/bin/env bash
# Runs the whole test suite (unit + e2e against real PostgreSQL and Redis) on
# this machine, installing what is missing first: Node 24, the PostgreSQL and
# Redis servers and Chromium from Debian packages, then `npm ci`.
# Ends with a line "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/provision.sh
source scripts/provision.sh
provision_chromium || echo "[test] no Chromium: the Swagger UI browser test will be skipped" >&2

# A symlinked node_modules (a git worktree sharing another's) is left alone:
# npm ci would delete what the link points to.
if [ -L node_modules ]; then
  echo "[test] node_modules is a symlink: skipping npm ci" >&2
elif [ -n "${CI:-}" ] || [ ! -f node_modules/.package-lock.json ] ||
  [ package-lock.json -nt node_modules/.package-lock.json ]; then
  SCARF_ANALYTICS=false npm ci --no-audit --no-fund
fi

report=$(mktemp -t users-api-vitest.XXXXXX.json)
trap 'rm -f "$report"' EXIT
status=0
npm test -- --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?

# Vitest's own summary is not a line CI reads; print one from its JSON report.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' "$report" || status=1
exit "$status"
