#!/usr/bin/env bash
# Measures `gitops-hook check` of the whole tree on the repositories
# ../shared/bench/gen-large writes (CLUSTERSxSERVICES, default 3x60 and
# 10x150): wall time over several runs with the disk cache cold (emptied
# before each run) and warm, peak memory, and the parse floor
# (../shared/bench/parse-floor: read and parse every YAML file of the
# customer repository and the base at 2026.01) measured in the same run.
#
# Usage: scripts/bench.sh [CxS ...]
# Environment: RUNS (default 5), BENCH (default ../shared/bench next to the
# repository), CRDS (default $BENCH/../data/flux-crds).
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${BENCH:-../shared/bench}
[ -x "$bench/gen-large" ] || { echo "no $bench/gen-large: set BENCH" >&2; exit 2; }
bench=$(cd "$bench" && pwd)
crds=${CRDS:-$bench/../data/flux-crds}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(3x60 10x150)
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"
go build -o "$work/gitops-hook" ./cmd/gitops-hook
(cd "$bench/parse-floor" && go build -o "$work/parse-floor" .)
base_url=ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git

# stats NAME MS...: mean, min and max
stats() {
	local name=$1
	shift
	printf '%s\n' "$@" | sort -n | awk -v name="$name" '{v[NR]=$1; s+=$1} END {printf "  %-24s mean %6d ms  min %6d ms  max %6d ms\n", name, s/NR, v[1], v[NR]}'
}

for size in "${sizes[@]}"; do
	c=${size%x*} s=${size#*x}
	out="$work/gen-$size"
	"$bench/gen-large" "$out" --clusters "$c" --services "$s" --crd-dir "$crds" >/dev/null
	repo="$out/customer"
	printf 'mirrors:\n  %s: %s\n' "$base_url" "$out/base" >"$repo/.gitops.yaml"
	mkdir -p "$out/base-2026.01"
	git -C "$out/base" archive 2026.01 | tar -x -C "$out/base-2026.01"
	files=$(find "$repo" "$out/base-2026.01" -name '*.yaml' -not -path '*/.git/*' | wc -l)
	echo "== $size: $files YAML files"
	cold=() warm=() floor=()
	for _ in $(seq "$runs"); do
		rm -rf "$XDG_CACHE_HOME"
		t0=$(date +%s%N)
		"$work/gitops-hook" check "$repo" --offline >/dev/null || true
		t1=$(date +%s%N)
		"$work/gitops-hook" check "$repo" --offline >/dev/null || true
		t2=$(date +%s%N)
		"$work/parse-floor" -j 2 "$repo" "$out/base-2026.01" >/dev/null
		t3=$(date +%s%N)
		cold+=($(((t1 - t0) / 1000000))) warm+=($(((t2 - t1) / 1000000))) floor+=($(((t3 - t2) / 1000000)))
	done
	stats "check, cache cold" "${cold[@]}"
	stats "check, cache warm" "${warm[@]}"
	stats "parse floor" "${floor[@]}"
	printf '%s\n' "${warm[@]}" | sort -n >"$work/w"
	printf '%s\n' "${floor[@]}" | sort -n >"$work/f"
	paste "$work/w" "$work/f" | awk '{w+=$1; f+=$2} END {printf "  warm check / parse floor: %.1fx (means)\n", w/f}'
	rm -rf "$XDG_CACHE_HOME"
	/usr/bin/time -f '%M' -o "$work/rss" "$work/gitops-hook" check "$repo" --offline >/dev/null || true
	cold_rss=$(cat "$work/rss")
	/usr/bin/time -f '%M' -o "$work/rss" "$work/gitops-hook" check "$repo" --offline >/dev/null || true
	printf '  peak RSS: %d MB cache cold, %d MB warm\n' $((cold_rss / 1024)) $(($(cat "$work/rss") / 1024))
done
