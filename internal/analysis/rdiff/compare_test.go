package rdiff_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/rdiff"
)

// fleetFS is four clusters, each applying the same two apps through Flux
// Kustomizations of the repository, with a per-cluster ConfigMap.
func fleetFS(level func(cluster string) string) fstest.MapFS {
	fsys := fstest.MapFS{}
	f := func(p, s string) { fsys[p] = &fstest.MapFile{Data: []byte(s)} }
	for _, cl := range []string{"a", "b", "c", "d"} {
		root := "applications/overlays/" + cl
		f(root+"/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./flux.yaml\n")
		var ks []string
		for _, app := range []string{"web", "api"} {
			ks = append(ks, fmt.Sprintf("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: %s\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: ./%s/%s\n  targetNamespace: %s\n", app, root, app, app))
			f(root+"/"+app+"/settings.yaml", fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  LOG_LEVEL: %s\n", level(cl)))
		}
		f(root+"/flux.yaml", strings.Join(ks, "---\n"))
	}
	return fsys
}

// TestCompareSnapshots runs the comparison in the engine, its renders in
// parallel (CI runs it under -race): one cluster's edit changes its two
// ConfigMaps and nothing else.
func TestCompareSnapshots(t *testing.T) {
	load := func(fsys fstest.MapFS) *analysis.Model {
		return analysis.Load(context.Background(), analysis.Options{FS: fsys}, config.Default())
	}
	old := load(fleetFS(func(string) string { return "info" }))
	cur := load(fleetFS(func(cl string) string {
		if cl == "c" {
			return "debug"
		}
		return "info"
	}))
	rep := rdiff.Compare(context.Background(), old, cur, rdiff.Options{})
	if s := rep.Summary(); s.Changed != 2 || s.Added+s.Removed+s.Failures != 0 || s.Unchanged != 14 {
		t.Fatalf("summary %+v, want 2 changed and 14 unchanged (4 clusters x (2 ConfigMaps + 2 Kustomizations))", s)
	}
	var got []string
	for _, c := range rep.Filtered(false).Clusters {
		for _, o := range c.Objects {
			got = append(got, c.Cluster+" "+o.Kind+" "+o.Namespace+"/"+o.Name+" "+o.Kustomization)
			if !strings.Contains(o.Diff, "-  LOG_LEVEL: info\n+  LOG_LEVEL: debug\n") {
				t.Errorf("diff:\n%s", o.Diff)
			}
		}
	}
	if strings.Join(got, "; ") != "c ConfigMap api/settings flux-system/api; c ConfigMap web/settings flux-system/web" {
		t.Errorf("changes: %q", got)
	}
	if rep := rdiff.Compare(context.Background(), old, cur, rdiff.Options{Clusters: []string{"a", "b"}}); len(rep.Clusters) != 2 || rep.Summary().Changed != 0 {
		t.Errorf("clusters a and b: %+v", rep.Summary())
	}
}
