#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what is missing, installs, builds, checks and
# tests. Ends with the line `N passed, N failed` and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nats-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing nats-server from Debian's packages"
    (apt-get install -y nats-server >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y nats-server >/dev/null; })
  else
    echo "nats-server is missing: install it (sudo apt-get install nats-server) and run again" >&2
    echo "0 passed, 1 failed"; exit 1
  fi
fi

npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
bash scripts/check-gen-drift.sh
npm run --silent lint
node scripts/run-mocha.mjs "$@"
