#!/usr/bin/env bash
# Runs the Rust reference side of TokenizerBench: bench/tokenizer-reference/run.sh (from anywhere).
# Installs the pinned npm package on first use (npm ci, needs the npm registry once).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
FIX="$ROOT/tests/src/test/resources/fixtures/tokenizers"
[[ -d "$HERE/node_modules/tokenizers" ]] || (cd "$HERE" && npm ci --no-audit --no-fund)
bash "$ROOT/tokenizer/fetch-llama2.sh" >&2
RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false exec node "$HERE/bench.js" "$FIX/corpus.jsonl" \
  gpt2="$FIX/gpt2" qwen3="$FIX/qwen3" llama2="$ROOT/tokenizer/target/llama2"
