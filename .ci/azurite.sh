#!/usr/bin/env bash
# Installs Azurite (the Azure Storage emulator, from npm) into .ci/node, for the blob-lease lock tests.
# Idempotent; prints how to start it. The tests find it at .ci/node/node_modules/.bin/azurite-blob
# and skip (with the reason) when node or Azurite is missing.
set -euo pipefail
cd "$(dirname "$0")"
PREFIX="$PWD/node"
BIN="$PREFIX/node_modules/.bin/azurite-blob"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: install Node.js >= 18 to run the blob-lease lock tests" >&2
  exit 1
fi
if [ ! -x "$BIN" ]; then
  npm install --prefix "$PREFIX" --no-audit --no-fund --silent azurite@3 >&2
fi
echo "Azurite installed: $BIN"
echo "start it with:   $BIN --inMemoryPersistence --silent --skipApiVersionCheck --blobPort 10000"
echo "connection string (public development key):"
echo "  DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=<Azurite's well-known key>;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
