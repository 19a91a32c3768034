#!/usr/bin/env bash
# Issue 13's speed ratios in one go, for a quiet machine (about 40 minutes on 2 cores; the 16K-token
# multi-head prefills are most of it). Prints the whole-command report (cold `akvq run` processes,
# bounds measured in the same run) and the in-process decode comparison (wall and CPU per token, the
# KV modes interleaved token by token). Usage: bench/issue13-speed.sh [THREADS] [MULTIHEAD_TOKENS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
threads="${1:-2}"
multihead="${2:-16384}"
cd "$root"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), load average $(cut -d' ' -f1-3 /proc/loadavg)"
./akvq bench run --runs 3 --threads "$threads" --long 4000 --decode 32 --multihead "$multihead"
# The report above wrote (once) its checkpoints next to each other under /tmp/akvq-bench.
jar="$root/bench/target/benchmarks.jar"
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmn64m)
for t in 1 "$threads"; do
  "$java" "${flags[@]}" -cp "$jar" dev.akvq.bench.DecodeCompare /tmp/akvq-bench/llama3-374m --context 4000 --threads "$t"
done
"$java" "${flags[@]}" -cp "$jar" dev.akvq.bench.DecodeCompare /tmp/akvq-bench/mha-8x1024-32k --context "$multihead" --threads "$threads" --steps 12
