#!/usr/bin/env bash
# Measures a full "git commit" with the gitops-hook pre-commit hook
# installed, on the repositories ../shared/bench/gen-large writes
# (CLUSTERSxSERVICES, default 3x60 and 10x150), for two commits:
#   values  - one service's override values change in one cluster
#   repin   - one cluster's GitRepositories re-pin gitops-base to 2026.02
# plus, for reference, the same commit with the hook skipped (GITOPS_HOOK=0)
# and `gitops-hook check` of the whole tree (disk cache warm).
#
# Usage: scripts/bench-hook.sh [CxS ...]      e.g. scripts/bench-hook.sh 3x60 10x150
# Environment: RUNS (default 10), BENCH (default ../shared/bench next to
# the repository), CRDS (default $BENCH/../data/flux-crds), KEEP=1 keeps
# the work folder. Uses hyperfine when installed, else a timed loop.
# Nothing touches the network: gitops-base is a local repository named as a
# mirror in .gitops.yaml.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$here/../shared/bench}
[ -x "$bench/gen-large" ] || { echo "no $bench/gen-large: set BENCH" >&2; exit 2; }
bench=$(cd "$bench" && pwd)
crds=${CRDS:-$bench/../data/flux-crds}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(3x60 10x150)
runs=${RUNS:-10}

work=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export XDG_CACHE_HOME="$work/cache"
unset GITOPS_HOOK SKIP GITOPS_HOOK_BIN

(cd "$here" && go build -o "$work/bin/gitops-hook" ./cmd/gitops-hook)
export PATH="$work/bin:$PATH"

base_url=ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git

time_cmd() { # NAME PREPARE COMMAND
	local name=$1 prep=$2 cmd=$3
	if command -v hyperfine >/dev/null; then
		hyperfine -N --style basic --runs "$runs" --warmup 1 --prepare "sh -c '$prep'" "sh -c '$cmd'" --export-json "$work/h.json" >"$work/h.log" 2>&1 || {
			tail -5 "$work/h.log" >&2
			echo "$name: failed (run it by hand: $cmd)" >&2
			return 1
		}
		python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%-34s mean %7.1f ms  min %7.1f ms  max %7.1f ms" % (sys.argv[2], r["mean"]*1e3, r["min"]*1e3, r["max"]*1e3))' "$work/h.json" "$name"
	else
		local t0 t1 i ms all=() rc
		sh -c "$prep" && sh -c "$cmd" >/dev/null 2>&1 || true # warm-up
		for ((i = 0; i < runs; i++)); do
			sh -c "$prep"
			t0=$(date +%s%N)
			rc=0
			sh -c "$cmd" >"$work/out.txt" 2>&1 || rc=$?
			t1=$(date +%s%N)
			if [ $rc -ne 0 ]; then
				tail -5 "$work/out.txt" >&2
				echo "$name: failed (run it by hand: $cmd)" >&2
				return 1
			fi
			all+=($(((t1 - t0) / 1000000)))
		done
		printf '%s\n' "${all[@]}" | sort -n | awk -v name="$name" '{v[NR]=$1; s+=$1} END {printf "%-34s mean %7.1f ms  min %7d ms  max %7d ms\n", name, s/NR, v[1], v[NR]}'
	fi
}

for size in "${sizes[@]}"; do
	nc=${size%x*} ns=${size#*x}
	out="$work/gen-$size"
	"$bench/gen-large" "$out" --clusters "$nc" --services "$ns" --crd-dir "$crds" >/dev/null
	repo="$out/customer"
	printf 'mirrors:\n  %s: %s\n' "$base_url" "$out/base" >"$repo/.gitops.yaml"
	git -C "$repo" add .gitops.yaml
	GITOPS_HOOK=0 git -C "$repo" commit -q -m mirrors
	(cd "$repo" && gitops-hook install >/dev/null)
	files=$(git -C "$repo" ls-files | wc -l)
	echo "== $size: $nc clusters x $ns services, $files files (plus the base)"
	if ! (cd "$repo" && gitops-hook check >"$work/check.txt"); then # also fills the cache
		echo "the generated repository has errors:" >&2
		head -20 "$work/check.txt" >&2
		exit 1
	fi
	head_rev=$(git -C "$repo" rev-parse HEAD)
	cl=$(ls "$repo/applications/overlays" | head -1)
	values="applications/overlays/$cl/services/svc-007/helm-values/override-values.yaml"
	sources="applications/overlays/$cl/services/sources"
	reset="cd $repo && git reset -q --hard $head_rev"
	prep_values="$reset && sed -i \"s/^replicaCount: .*/replicaCount: 3/\" $values && git add $values"
	prep_pin="$reset && sed -i \"s/tag: \\\"2026.01\\\"/tag: \\\"2026.02\\\"/\" $sources/*.yaml && git add $sources"
	time_cmd "commit values, hook skipped" "$prep_values" "cd $repo && GITOPS_HOOK=0 git commit -q -m bench"
	time_cmd "commit values (hook)" "$prep_values" "cd $repo && git commit -q -m bench"
	time_cmd "commit re-pin (hook)" "$prep_pin" "cd $repo && git commit -q -m bench"
	time_cmd "gitops-hook check (whole tree)" "$reset" "cd $repo && gitops-hook check"
	(cd "$repo" && git reset -q --hard "$head_rev" && /usr/bin/time -f '%M' -o "$work/rss" gitops-hook check >/dev/null) || true
	echo "gitops-hook check peak RSS: $(($(cat "$work/rss") / 1024)) MB"
done
