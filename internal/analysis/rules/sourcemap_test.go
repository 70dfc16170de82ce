package rules_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/rules"
)

// TestSourceMapField: a rendered field maps to the line that wrote it, in
// the object, or in the patch that replaced or set it.
func TestSourceMapField(t *testing.T) {
	const root = "applications/overlays/dev-cluster"
	fsys := fstest.MapFS{
		root + "/kustomization.yaml": {Data: []byte(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
patches:
  - path: replicas.yaml
`)},
		root + "/deployment.yaml": {Data: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: web
          image: web:1
`)},
		root + "/replicas.yaml": {Data: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  revisionHistoryLimit: 2
`)},
	}
	snap := analysis.Load(context.Background(), analysis.Options{FS: fsys}, config.Default())
	if len(snap.Clusters) != 1 {
		t.Fatalf("clusters: %d", len(snap.Clusters))
	}
	cl := snap.Clusters[0]
	res := render.New().Render(context.Background(), render.Request{FS: snap.Repo.View.CachedFS(), Path: cl.Root})
	if res.Err != nil || len(res.Objects) != 1 {
		t.Fatalf("render: %v, %d objects", res.Err, len(res.Objects))
	}
	m := rules.NewSourceMap(snap.Repo)
	b := rules.Build{Cluster: cl, View: snap.Repo.View}
	if src := m.Object(b, &res.Objects[0]); src == nil || src.File.Path != root+"/deployment.yaml" {
		t.Fatalf("the Deployment's source: %v", src)
	}
	for _, tt := range []struct {
		ptr  []string
		file string
		line int
	}{
		{[]string{"metadata", "name"}, root + "/deployment.yaml", 4},
		{[]string{"spec", "template", "spec", "containers", "0", "image"}, root + "/deployment.yaml", 11},
		{[]string{"spec", "replicas"}, root + "/replicas.yaml", 6},             // replaced by the patch
		{[]string{"spec", "revisionHistoryLimit"}, root + "/replicas.yaml", 7}, // set by the patch
	} {
		loc, ok := m.Field(b, &res.Objects[0], tt.ptr)
		if !ok || loc.File.Path != tt.file || loc.Range.Start.Line != tt.line {
			t.Errorf("%v: got %v %v:%d, want %s:%d", tt.ptr, ok, loc.File, loc.Range.Start.Line, tt.file, tt.line)
		}
	}
}
