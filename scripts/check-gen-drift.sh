#!/usr/bin/env bash
# Fails when the committed ts-proto output or the committed descriptor set (reflection serves it)
# differs from what `npm run gen` produces now.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npx --no-install buf generate --output "$tmp" --template buf.gen.yaml >/dev/null
if ! diff -r "$tmp/packages/contracts/gen" packages/contracts/gen >/dev/null; then
  echo "generated code drifted from proto/: run npm run gen and commit the result" >&2
  diff -r "$tmp/packages/contracts/gen" packages/contracts/gen | head -20 >&2
  exit 1
fi
npx --no-install buf build --as-file-descriptor-set -o "$tmp/kvmesh.binpb" >/dev/null
if ! cmp -s "$tmp/kvmesh.binpb" packages/contracts/kvmesh.binpb; then
  echo "packages/contracts/kvmesh.binpb drifted from the protos: run npm run gen and commit the result" >&2
  exit 1
fi
echo "generated code and descriptor set match the protos"
