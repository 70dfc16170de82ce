package analysis_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/hostilerepo"
)

func mapFS(files map[string][]byte) fstest.MapFS {
	fsys := fstest.MapFS{}
	for p, data := range files {
		fsys[p] = &fstest.MapFile{Data: data}
	}
	return fsys
}

// TestBuildDeadline: a build that outlives the renderer's deadline (here a
// build of 3,000 objects against a deadline of a millisecond) is reported
// as kustomize/build at its Flux Kustomization, and the other checks still
// report.
func TestBuildDeadline(t *testing.T) {
	files := hostilerepo.Fleet("many.yaml", "plain-secret.yaml")
	files["apps/many.yaml"] = hostilerepo.ConfigMaps(3000)
	lim := render.DefaultLimits()
	lim.BuildTimeout = time.Millisecond
	lim.MaxAbandoned = 100
	r, err := analysis.Analyze(context.Background(), analysis.Options{FS: mapFS(files), Renderer: render.NewWithLimits(lim)})
	if err != nil {
		t.Fatal(err)
	}
	if find(r.Diagnostics, "apps/plain-secret.yaml", "secret/unencrypted") == nil {
		t.Errorf("the other checks did not report: %v", r.Diagnostics)
	}
	d := find(r.Diagnostics, "clusters/dev/apps.yaml", "kustomize/build")
	if d == nil {
		t.Fatalf("no kustomize/build at the Flux Kustomization: %v", r.Diagnostics)
	}
	if !strings.Contains(d.Message, "longer than 1ms") {
		t.Errorf("message %q does not give the deadline", d.Message)
	}
}

// TestValidationDeadline: objects the schema validation does not reach
// by its deadline are said not validated, and nothing is reported about
// them.
func TestValidationDeadline(t *testing.T) {
	files := hostilerepo.Fleet("bad.yaml", "plain-secret.yaml")
	files["apps/bad.yaml"] = []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  key: [not, a, string]\n")
	r, err := analysis.Analyze(context.Background(), analysis.Options{FS: mapFS(files)})
	if err != nil {
		t.Fatal(err)
	}
	if find(r.Diagnostics, "apps/bad.yaml", "schema/invalid") == nil {
		t.Fatalf("without a deadline, no schema/invalid: %v", r.Diagnostics)
	}
	r, err = analysis.Analyze(context.Background(), analysis.Options{FS: mapFS(files), ValidateTimeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if d := find(r.Diagnostics, "apps/bad.yaml", "schema/invalid"); d != nil {
		t.Errorf("reported after the deadline: %s", d.Message)
	}
	if find(r.Diagnostics, "apps/plain-secret.yaml", "secret/unencrypted") == nil {
		t.Errorf("the other checks did not report: %v", r.Diagnostics)
	}
	found := false
	for _, e := range r.Errors {
		found = found || strings.Contains(e.Error(), "schema validation took longer than")
	}
	if !found {
		t.Errorf("errors %v do not say validation stopped", r.Errors)
	}
}
