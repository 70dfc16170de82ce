#!/usr/bin/env bash
# Compares gitops-hook check with the classic pipeline (for every
# kustomization folder: kustomize build | kubeconform -strict) on
# the repositories ../shared/bench/gen-large writes (the customer repository,
# base resolved through a mirror), and prints both times and their ratio
# from the same run.
#
# Usage: scripts/bench-render.sh [CxS ...]     (default: 3x60 10x150)
# Environment: BENCH (default ../shared/bench next to the repository), CRDS.
# kustomize and kubeconform are installed into a temporary GOBIN unless
# KUSTOMIZE and KUBECONFORM point at existing binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${BENCH:-../shared/bench}
[ -x "$bench/gen-large" ] || { echo "no $bench/gen-large: set BENCH" >&2; exit 2; }
bench=$(cd "$bench" && pwd)
crds=${CRDS:-$bench/../data/flux-crds}
base_url=ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(3x60 10x150)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"

export GOBIN="$work/bin"
go build -o "$work/gitops-hook" ./cmd/gitops-hook
KUSTOMIZE=${KUSTOMIZE:-}
KUBECONFORM=${KUBECONFORM:-}
if [ -z "$KUSTOMIZE" ]; then
	go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.0
	KUSTOMIZE="$GOBIN/kustomize"
fi
if [ -z "$KUBECONFORM" ]; then
	go install github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0
	KUBECONFORM="$GOBIN/kubeconform"
fi
# kubeconform's default location downloads schemas: give it the same
# offline, built-in-free footing as the analysis (missing schemas ignored).
schemas="$work/schemas"
mkdir -p "$schemas"

now() { date +%s.%N; }

for size in "${sizes[@]}"; do
	c=${size%x*} s=${size#*x}
	out="$work/gen-$size"
	"$bench/gen-large" "$out" --clusters "$c" --services "$s" --crd-dir "$crds" >/dev/null
	repo="$out/customer"
	printf 'mirrors:\n  %s: %s\n' "$base_url" "$out/base" >"$repo/.gitops.yaml"

	# gitops-hook: whole repository, rendering and validation included,
	# disk cache cold.
	rm -rf "$XDG_CACHE_HOME"
	t0=$(now)
	/usr/bin/time -f "%M" -o "$work/rss" "$work/gitops-hook" check "$repo" --offline --format json >"$work/hook.json" || true
	t1=$(now)
	rss=$(cat "$work/rss")

	# classic: one build and validation per kustomization folder.
	dirs=$(cd "$repo" && find . -name kustomization.yaml -not -path './.git/*' -exec dirname {} \; | sort)
	n=$(echo "$dirs" | wc -l)
	t2=$(now)
	for d in $dirs; do
		"$KUSTOMIZE" build --load-restrictor=LoadRestrictionsNone "$repo/$d" 2>/dev/null |
			"$KUBECONFORM" -strict -ignore-missing-schemas -schema-location "$schemas" -summary >/dev/null 2>&1 || true
	done
	t3=$(now)

	awk -v size="$size" -v n="$n" -v h0="$t0" -v h1="$t1" -v c0="$t2" -v c1="$t3" -v rss="$rss" 'BEGIN {
		hook = h1 - h0; classic = c1 - c0
		printf "%-7s gitops-hook check: %6.2f s (peak RSS %d MB)   classic (%d kustomize builds): %7.2f s   ratio: %.1fx\n",
			size, hook, rss / 1024, n, classic, classic / hook
	}'
done
