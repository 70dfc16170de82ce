package analysis_test

import (
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// TestDuplicateObjectSilentOnRealRepositories: the real repositories apply
// each object from one Kustomization. The openCenter example overlay is
// read with its Flux paths corrected (they say overlays/dev, the folder is
// dev-cluster) so that its override Kustomizations render beside the base
// ones, which is where a Namespace or an override declared twice would show.
// TestRealBaseRenders covers every service of the base in one cluster.
func TestDuplicateObjectSilentOnRealRepositories(t *testing.T) {
	data := testrepo.SharedData(t)
	bare := testrepo.RealBase(t)
	overlay := fstest.MapFS{}
	src := os.DirFS(data + "/opencenter-example-overlay/examples")
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		b = []byte(strings.ReplaceAll(string(b), "applications/overlays/dev/", "applications/overlays/dev-cluster/"))
		overlay[p] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		fsys fs.FS
		res  *gitsrc.Resolver
	}{
		{"flux2-kustomize-helm-example", os.DirFS(data + "/flux2-kustomize-helm-example"), &gitsrc.Resolver{Offline: true}},
		{"opencenter-example-overlay", overlay, &gitsrc.Resolver{Offline: true,
			Mirrors: map[string]string{"https://github.com/rackerlabs/openCenter-gitops-base.git": bare}}},
	} {
		r, err := analysis.Analyze(context.Background(), analysis.Options{FS: c.fsys, Sources: c.res})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Clusters) == 0 {
			t.Errorf("%s: no cluster found", c.name)
		}
		for _, d := range r.Diagnostics {
			switch d.Rule {
			case "flux/duplicate-object":
				t.Errorf("%s: %s:%d: %s", c.name, d.File, d.Range.Start.Line, d.Message)
			case "flux/path-not-found", "kustomize/build":
				// The overlay's Kustomizations must render for the check to mean anything.
				t.Errorf("%s: %s:%d: %s: %s", c.name, d.File, d.Range.Start.Line, d.Rule, d.Message)
			}
		}
	}
}
