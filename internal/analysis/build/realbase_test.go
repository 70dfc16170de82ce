package build_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/build"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// TestRealBaseBuilds builds every service of the real openCenter base at
// 2026.01 through a Flux Kustomization of a hand-written overlay: each
// renders, every object carries Flux's owner labels and names a file that
// exists in the base at that tag, and the services whose kustomizations
// list remote resources say so rather than silently lose objects.
func TestRealBaseBuilds(t *testing.T) {
	bare := testrepo.RealBase(t)
	snapshot := os.DirFS(testrepo.SharedData(t, "opencenter-gitops-base/2026.01"))
	var paths []string
	_ = fs.WalkDir(snapshot, "applications/base/services", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "kustomization.yaml" {
			paths = append(paths, path.Dir(p))
		}
		return nil
	})
	sort.Strings(paths)
	if len(paths) < 20 {
		t.Fatalf("only %d service paths found", len(paths))
	}
	const url = "ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git"
	root := "applications/overlays/dev-cluster"
	fsys := fstest.MapFS{
		root + "/kustomization.yaml": file("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./base.yaml\n  - ./flux.yaml\n"),
		root + "/base.yaml":          file("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: opencenter-base\n  namespace: flux-system\nspec:\n  interval: 15m\n  url: " + url + "\n  ref:\n    tag: \"2026.01\"\n"),
	}
	var ks []string
	for i, p := range paths {
		ks = append(ks, fmt.Sprintf("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: svc-%02d\n  namespace: flux-system\nspec:\n  interval: 15m\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: opencenter-base\n  path: %s\n", i, p))
	}
	fsys[root+"/flux.yaml"] = file(strings.Join(ks, "---\n"))
	res := &gitsrc.Resolver{Offline: true, Mirrors: map[string]string{url: bare}}
	snap := analysis.Load(context.Background(), analysis.Options{FS: fsys, Sources: res}, config.Default())
	b := build.New(snap, build.Options{})
	list := build.List(snap)
	if len(list) != len(paths) {
		t.Fatalf("%d Kustomizations for %d paths", len(list), len(paths))
	}
	objects := 0
	for _, k := range list {
		r := b.Build(context.Background(), k)
		svc := strings.TrimPrefix(r.Path, "applications/base/services/")
		remote := false
		for _, w := range r.Warnings {
			remote = remote || strings.Contains(w, "never fetched")
		}
		if wantRemote := svc == "olm" || svc == "external-snapshotter"; remote != wantRemote {
			t.Errorf("%s: remote warning %v, want %v (%q)", svc, remote, wantRemote, r.Warnings)
		}
		if r.Err != nil {
			if !remote {
				t.Errorf("%s: %s:%d: %s", svc, r.Err.File, r.Err.Range.Start.Line, r.Err.Message)
			}
			continue
		}
		if r.Source != "opencenter-base@2026.01" {
			t.Errorf("%s: source %q", svc, r.Source)
		}
		for _, o := range r.Objects {
			objects++
			md, _ := o.Doc["metadata"].(map[string]any)
			labels, _ := md["labels"].(map[string]any)
			if labels[build.LabelName] != k.Name || labels[build.LabelNamespace] != "flux-system" {
				t.Errorf("%s: %s %s has labels %v", svc, o.Kind, o.Name, labels)
			}
			if _, err := fs.Stat(snapshot, o.File); err != nil || o.Source != r.Source {
				t.Errorf("%s: %s %s comes from %s:%s", svc, o.Kind, o.Name, o.Source, o.File)
			}
		}
	}
	if objects < 100 {
		t.Errorf("only %d objects rendered", objects)
	}
}
