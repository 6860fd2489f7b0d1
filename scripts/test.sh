#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what is missing, installs, builds, checks and
# tests. Ends with the line `N passed, N failed` and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests need: nats-server (KV events over NATS), tmux (the terminal chat test), curl (the README examples).
missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} from Debian's packages"
    (apt-get install -y "${missing[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; })
  else
    echo "missing: ${missing[*]}: install them (sudo apt-get install ${missing[*]}) and run again" >&2
    echo "0 passed, 1 failed"; exit 1
  fi
fi

npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
bash scripts/check-gen-drift.sh
npm run --silent lint
node scripts/readme-reference.mjs --check
node scripts/run-mocha.mjs "$@"
