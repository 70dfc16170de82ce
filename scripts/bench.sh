#!/usr/bin/env bash
# Measures `gitops-hook check` on synthetic repositories of C clusters x S
# services (default: 3x60 and 10x150): wall time over several runs and peak
# memory. Usage: scripts/bench.sh [CxS ...]
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(3x60 10x150)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/gitops-hook" ./cmd/gitops-hook
for size in "${sizes[@]}"; do
  c=${size%x*}; s=${size#*x}
  go run ./internal/synth/gen -clusters "$c" -services "$s" -out "$work/$size" >/dev/null
  repo="$work/$size/repo"
  files=$(find "$repo" -type f | wc -l)
  "$work/gitops-hook" check "$repo" --offline >/dev/null || true # warm the page cache
  best=""; total=0; runs=5
  for _ in $(seq $runs); do
    start=$(date +%s%N)
    "$work/gitops-hook" check "$repo" --offline >/dev/null || true
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    total=$((total + ms))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  rss=$( { /usr/bin/time -f '%M' "$work/gitops-hook" check "$repo" --offline >/dev/null; } 2>&1 | tail -1 || true)
  printf '%-8s %5d files  best %5d ms  mean %5d ms  peak RSS %6d KB\n' "$size" "$files" "$best" $((total / runs)) "${rss:-0}"
done
