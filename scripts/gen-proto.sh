#!/usr/bin/env bash
# Compiles protocols/*.proto into typed static modules under src/net/pb/ (JS + .d.ts).
# With --check, regenerates into a temp dir and fails if the committed files differ.
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/net/pb
if [ "${1:-}" = "--check" ]; then out=$(mktemp -d); fi
mkdir -p "$out"
for proto in protocols/*.proto; do
  name=$(basename "$proto" .proto)
  # Each file gets its own protobufjs root: with the shared default root, files that share
  # the `crank` package overwrite each other's namespace and encode() breaks.
  pbjs -t static-module -w es6 -r "crank_$name" --no-delimited --no-verify --no-convert --force-number \
    -o "$out/$name.js" "$proto"
  pbts --no-comments -o "$out/$name.d.ts" "$out/$name.js"
done
if [ "${1:-}" = "--check" ]; then
  for f in "$out"/*; do
    if ! cmp -s "$f" "src/net/pb/$(basename "$f")"; then
      echo "protocols: src/net/pb/$(basename "$f") is out of date; run npm run proto" >&2
      exit 1
    fi
  done
  echo "protocols: generated code is up to date"
fi
