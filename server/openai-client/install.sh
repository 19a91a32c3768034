#!/usr/bin/env bash
# Installs the official openai npm package pinned in package-lock.json into node_modules/ here
# (npm ci: exactly the locked version and checksum). Idempotent. Needs Node.js, npm and the npm registry.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "openai-client: ERROR: node not found; install Node.js (18 or newer) and npm" >&2; exit 1; }
command -v npm >/dev/null || { echo "openai-client: ERROR: npm not found; install npm" >&2; exit 1; }
if [[ -f node_modules/openai/package.json ]] && node -e 'process.exit(require("./node_modules/openai/package.json").version === require("./package-lock.json").packages["node_modules/openai"].version ? 0 : 1)'; then
  echo "openai-client: node_modules/openai is installed"
  exit 0
fi
npm ci --no-audit --no-fund --silent || { echo "openai-client: ERROR: npm ci failed (is the npm registry reachable?)" >&2; exit 1; }
echo "openai-client: installed openai $(node -p 'require("./node_modules/openai/package.json").version')"
