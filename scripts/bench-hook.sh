#!/usr/bin/env bash
# Measures a full "git commit" with the gitops-hook pre-commit hook
# installed, on synthetic openCenter repositories of CLUSTERSxSERVICES
# (default: 3x60 and 10x150), for two commits:
#   values  - one service's override values change in one cluster
#   repin   - one cluster's GitRepository re-pins gitops-base to another tag
# plus, for reference, the same commit with the hook skipped (GITOPS_HOOK=0).
#
# Usage: scripts/bench-hook.sh [CxS ...]      e.g. scripts/bench-hook.sh 3x60 10x150
# Uses hyperfine when installed, else a loop timed with date +%s%N.
# Nothing touches the network: gitops-base is a local bare repository named
# as a mirror in .gitops.yaml.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
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

base_url=ssh://git@example.com/opencenter-cloud/openCenter-gitops-base.git

# gen_base DIR SERVICES: gitops-base with tags v1.0.0 and v1.1.0.
gen_base() {
	local dir=$1 n=$2 i s
	mkdir -p "$dir"
	git -C "$dir" init -q -b main
	for ((i = 1; i <= n; i++)); do
		s=svc-$i
		mkdir -p "$dir/applications/base/services/$s"
		printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - configmap.yaml\n  - helmrepository.yaml\n  - helmrelease.yaml\n' >"$dir/applications/base/services/$s/kustomization.yaml"
		printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  interval: 1h\n  url: https://charts.example.com/%s\n' "$s" "$s" "$s" >"$dir/applications/base/services/$s/helmrepository.yaml"
		printf 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: %s\n      version: 1.0.0\n      sourceRef:\n        kind: HelmRepository\n        name: %s\n  valuesFrom:\n    - kind: ConfigMap\n      name: %s-values\n      valuesKey: values.yaml\n' "$s" "$s" "$s" "$s" "$s" >"$dir/applications/base/services/$s/helmrelease.yaml"
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-base\n  namespace: %s\ndata:\n  version: "1"\n' "$s" "$s" >"$dir/applications/base/services/$s/configmap.yaml"
	done
	git -C "$dir" add -A && git -C "$dir" commit -q -m v1.0.0 && git -C "$dir" tag v1.0.0
	printf '  note: "1.1"\n' >>"$dir/applications/base/services/svc-1/configmap.yaml"
	git -C "$dir" commit -q -a -m v1.1.0 && git -C "$dir" tag v1.1.0
	git clone -q --bare "$dir" "$dir.git"
}

# gen_repo DIR CLUSTERS SERVICES BASE
gen_repo() {
	local dir=$1 nc=$2 ns=$3 base=$4 c i s o
	mkdir -p "$dir"
	printf 'mirrors:\n  %s: %s\n' "$base_url" "$base" >"$dir/.gitops.yaml"
	for ((c = 1; c <= nc; c++)); do
		o="$dir/applications/overlays/cluster-$c"
		mkdir -p "$o/services/fluxcd" "$o/services/sources"
		printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - services/sources\n  - services/fluxcd\n' >"$o/kustomization.yaml"
		printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gitops-base.yaml\n' >"$o/services/sources/kustomization.yaml"
		printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: gitops-base\n  namespace: flux-system\nspec:\n  interval: 15m\n  url: %s\n  ref:\n    tag: v1.0.0\n' "$base_url" >"$o/services/sources/gitops-base.yaml"
		{
			printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n'
			for ((i = 1; i <= ns; i++)); do printf '  - svc-%d.yaml\n' "$i"; done
		} >"$o/services/fluxcd/kustomization.yaml"
		for ((i = 1; i <= ns; i++)); do
			s=svc-$i
			printf 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: %s-base\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./applications/base/services/%s\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: gitops-base\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: %s\n  namespace: flux-system\nspec:\n  dependsOn:\n    - name: %s-base\n  interval: 10m\n  path: ./applications/overlays/cluster-%d/services/%s\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n' "$s" "$s" "$s" "$s" "$c" "$s" >"$o/services/fluxcd/$s.yaml"
			mkdir -p "$o/services/$s/helm-values"
			printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - configmap.yaml\nconfigMapGenerator:\n  - name: %s-values\n    namespace: %s\n    files:\n      - values.yaml=helm-values/override-values.yaml\n    options:\n      disableNameSuffixHash: true\n' "$s" "$s" >"$o/services/$s/kustomization.yaml"
			printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s-settings\n  namespace: %s\ndata:\n  replicas: "2"\n' "$s" "$s" >"$o/services/$s/configmap.yaml"
			printf 'replicaCount: 2\nresources:\n  limits:\n    memory: 256Mi\n' >"$o/services/$s/helm-values/override-values.yaml"
		done
	done
	git -C "$dir" init -q -b main
	git -C "$dir" add -A
	GITOPS_HOOK=0 git -C "$dir" commit -q -m init
	(cd "$dir" && gitops-hook install >/dev/null)
}

time_cmd() { # NAME PREPARE COMMAND [ENV]
	local name=$1 prep=$2 cmd=$3
	if command -v hyperfine >/dev/null; then
		hyperfine -N --style basic --runs "$runs" --warmup 1 --prepare "sh -c '$prep'" "sh -c '$cmd'" --export-json "$work/h.json" >"$work/h.log" 2>&1 || {
			tail -5 "$work/h.log" >&2
			echo "$name: failed (run it by hand: $cmd)" >&2
			return 1
		}
		python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%-34s mean %7.1f ms  min %7.1f ms  max %7.1f ms" % (sys.argv[2], r["mean"]*1e3, r["min"]*1e3, r["max"]*1e3))' "$work/h.json" "$name"
	else
		local total=0 t0 t1 i
		for ((i = 0; i < runs; i++)); do
			sh -c "$prep"
			t0=$(date +%s%N)
			sh -c "$cmd" >/dev/null 2>&1
			t1=$(date +%s%N)
			total=$((total + t1 - t0))
		done
		printf '%-34s mean %7.1f ms\n' "$name" "$(echo "$total / $runs / 1000000" | bc -l)"
	fi
}

for size in "${sizes[@]}"; do
	nc=${size%x*} ns=${size#*x}
	base="$work/base-$ns"
	[ -d "$base.git" ] || gen_base "$base" "$ns"
	repo="$work/repo-$size"
	gen_repo "$repo" "$nc" "$ns" "$base.git"
	files=$(git -C "$repo" ls-files | wc -l)
	echo "== $size: $nc clusters x $ns services, $files files"
	if ! (cd "$repo" && gitops-hook check --strict >"$work/check.txt"); then
		echo "the synthetic repository has errors:" >&2
		head -20 "$work/check.txt" >&2
		exit 1
	fi
	head_rev=$(git -C "$repo" rev-parse HEAD)
	values="applications/overlays/cluster-1/services/svc-7/helm-values/override-values.yaml"
	pin="applications/overlays/cluster-2/services/sources/gitops-base.yaml"
	reset="cd $repo && git reset -q --hard $head_rev"
	prep_values="$reset && sed -i \"s/Count: 2/Count: 3/\" $values && git add $values"
	prep_pin="$reset && sed -i s/v1.0.0/v1.1.0/ $pin && git add $pin"
	time_cmd "commit values, hook skipped" "$prep_values" "cd $repo && GITOPS_HOOK=0 git commit -q -m bench"
	time_cmd "commit values (hook)" "$prep_values" "cd $repo && git commit -q -m bench"
	time_cmd "commit re-pin (hook)" "$prep_pin" "cd $repo && git commit -q -m bench"
	time_cmd "gitops-hook run, values" "$prep_values" "cd $repo && gitops-hook run"
	time_cmd "gitops-hook check (whole tree)" "$reset" "cd $repo && gitops-hook check"
done
