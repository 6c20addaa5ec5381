#!/usr/bin/env bash
# `npm run bench`: the provisioning the tests use (Node 24, PostgreSQL, Redis),
# then the harness. Arguments go to bench/run.mjs; --help lists them.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/provision.sh
source scripts/provision.sh
exec node bench/run.mjs "$@"
