package analysis_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// sharedData is ../shared/data beside the project, absent in a user's clone.
func sharedData(t *testing.T, rel string) string { return testrepo.SharedData(t, rel) }

// TestRealBaseRenders pulls every service of the real openCenter base at
// tag 2026.01 through Flux Kustomizations of a hand-written overlay: each
// path that holds a kustomization.yaml must render and validate, and the
// services that pull remote resources must report kustomize/remote-resource
// rather than a build failure.
func TestRealBaseRenders(t *testing.T) {
	bare := testrepo.RealBase(t)
	snapshot := os.DirFS(sharedData(t, "opencenter-gitops-base/2026.01"))
	var paths []string
	_ = fs.WalkDir(snapshot, "applications/base/services", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "kustomization.yaml" {
			paths = append(paths, path.Dir(p))
		}
		return nil
	})
	sort.Strings(paths)
	// A folder that its parent's kustomization already includes (harbor's
	// namespace/) is not applied again: two Kustomizations applying one
	// object is flux/duplicate-object, as no real overlay does.
	paths = slices.DeleteFunc(paths, func(p string) bool {
		parent := path.Dir(p)
		k, err := fs.ReadFile(snapshot, parent+"/kustomization.yaml")
		return err == nil && slices.Contains(paths, parent) && strings.Contains(string(k), path.Base(p)+"/")
	})
	if len(paths) < 20 {
		t.Fatalf("only %d service paths found", len(paths))
	}

	const root = "applications/overlays/dev-cluster"
	fsys := fstest.MapFS{}
	file := func(p, s string) { fsys[p] = &fstest.MapFile{Data: []byte(s)} }
	file(root+"/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./services/sources\n  - ./services/fluxcd\n")
	file(root+"/services/sources/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./base.yaml\n")
	file(root+"/services/sources/base.yaml", fmt.Sprintf(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: opencenter-base
  namespace: flux-system
spec:
  interval: 15m
  url: %s
  ref:
    tag: "2026.01"
`, BaseURL))
	var ks, names []string
	for i, p := range paths {
		name := fmt.Sprintf("svc-%02d", i)
		names = append(names, name)
		ks = append(ks, "  - ./"+name+".yaml")
		file(root+"/services/fluxcd/"+name+".yaml", fmt.Sprintf(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: %s
  namespace: flux-system
spec:
  interval: 15m
  prune: true
  sourceRef:
    kind: GitRepository
    name: opencenter-base
  path: %s
`, name, p))
	}
	file(root+"/services/fluxcd/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"+strings.Join(ks, "\n")+"\n")

	res := &gitsrc.Resolver{Offline: true, Mirrors: map[string]string{BaseURL: bare}}
	r, err := analysis.Analyze(context.Background(), analysis.Options{FS: fsys, Sources: res})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range r.Diagnostics {
		t.Logf("%s:%d: %s %s: %.150s", d.File, d.Range.Start.Line, d.Severity, d.Rule, d.Message)
	}
	remote := map[string]bool{}
	for _, d := range r.Diagnostics {
		switch {
		case d.Rule == "kustomize/remote-resource":
			remote[path.Base(d.File)] = true
		case d.Rule == "schema/missing" || d.Rule == "tag/unpinned" || d.Rule == "tag/update-available":
		case d.Severity >= diag.Warning:
			t.Errorf("%s:%d: %s: %s", d.File, d.Range.Start.Line, d.Rule, d.Message)
		}
	}
	rendered := 0
	for _, d := range r.Diagnostics {
		if d.Rule == "schema/missing" {
			rendered++
		}
	}
	if rendered == 0 {
		t.Error("no rendered object reached validation")
	}
	for i, p := range paths {
		svc := strings.TrimPrefix(p, "applications/base/services/")
		if svc == "olm" || svc == "external-snapshotter" {
			if !remote[names[i]+".yaml"] {
				t.Errorf("%s: no kustomize/remote-resource reported", svc)
			}
		}
	}
}

// TestFluxExampleHasNoError: the Flux project's own example repository is
// valid, so rendering and validating it must find no error or warning.
func TestFluxExampleHasNoError(t *testing.T) {
	dir := sharedData(t, "flux2-kustomize-helm-example")
	r, err := analysis.Analyze(context.Background(), analysis.Options{FS: os.DirFS(dir), Sources: &gitsrc.Resolver{Offline: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range r.Diagnostics {
		if d.Severity >= diag.Warning {
			t.Errorf("%s:%d: %s: %s", d.File, d.Range.Start.Line, d.Rule, d.Message)
		}
	}
}
