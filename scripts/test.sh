#!/usr/bin/env bash
# Runs the whole test suite (unit + e2e against real PostgreSQL and Redis) on
# this machine, installing what is missing first: Node 24, the PostgreSQL and
# Redis servers and Chromium from Debian packages, then `npm ci`.
# Ends with a line "N passed, M failed"; M is never 0 when it exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

# When set -e ends the script early (provisioning, npm ci), CI must still find
# its last line, and a failure in it.
report=
summarised=
finish() {
  local status=$?
  rm -f "$report"
  if [ -z "$summarised" ]; then
    echo "0 passed, 1 failed"
    [ "$status" -ne 0 ] || status=1
  fi
  exit "$status"
}
trap finish EXIT

# shellcheck source=scripts/provision.sh
source scripts/provision.sh
provision_chromium || echo "[test] no Chromium: the Swagger UI browser test will fail (SKIP_BROWSER_TESTS=1 skips it)" >&2

# A symlinked node_modules (a git worktree sharing another's) is left alone:
# npm ci would delete what the link points to.
if [ -L node_modules ]; then
  echo "[test] node_modules is a symlink: skipping npm ci" >&2
elif [ -n "${CI:-}" ] || [ ! -f node_modules/.package-lock.json ] ||
  [ package-lock.json -nt node_modules/.package-lock.json ]; then
  SCARF_ANALYTICS=false npm ci --no-audit --no-fund
fi

report=$(mktemp -t users-api-vitest.XXXXXX.json)
status=0
npm test -- --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?

# Vitest's own summary is not a line CI reads; print one from its JSON report
# (or none when there is no report: the trap then reports the failure).
# A file that fails to import, or whose beforeAll throws, fails no test: it
# counts as one failure itself. (Adding numFailedTestSuites instead would count
# a failing test again for its describe and for its file.)
summary=$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const exitStatus = Number(process.argv[2]);
  const failedFiles = r.testResults.filter((file) => file.status === "failed" &&
    !file.assertionResults.some((test) => test.status === "failed")).length;
  let failed = r.numFailedTests + failedFiles;
  if (r.numTotalTests === 0) console.error("no test ran");
  if (failed === 0 && (!r.success || exitStatus !== 0 || r.numTotalTests === 0)) failed = 1;
  const skipped = r.numPendingTests + r.numTodoTests;
  if (skipped > 0) console.log(`${skipped} skipped`);
  console.log(`${r.numPassedTests} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
' "$report" "$status") || status=1
if [ -n "$summary" ]; then
  echo "$summary"
  summarised=1
fi
exit "$status"
