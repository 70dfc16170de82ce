package build_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/build"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

const fluxKustomization = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: NAME
  namespace: flux-system
spec:
  interval: 10m
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  path: ./apps/PATH
`

func snapshot(t *testing.T, fsys fstest.MapFS) *analysis.Model {
	t.Helper()
	return analysis.Load(context.Background(), analysis.Options{FS: fsys}, config.Default())
}

func TestFind(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, cl := range []string{"dev", "prod"} {
		root := "applications/overlays/" + cl
		fsys[root+"/kustomization.yaml"] = file("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./flux.yaml\n")
		ks := strings.NewReplacer("NAME", "cert-manager", "PATH", "cm").Replace(fluxKustomization)
		if cl == "dev" {
			ks += "---\n" + strings.NewReplacer("NAME", "ingress-nginx", "PATH", "in").Replace(fluxKustomization)
		}
		fsys[root+"/flux.yaml"] = file(ks)
	}
	list := build.List(snapshot(t, fsys))
	if len(list) != 3 {
		t.Fatalf("%d Kustomizations listed", len(list))
	}
	k, err := build.Find(list, "flux-system/ingress-nginx", "")
	if err != nil || k.Cluster != "dev" || k.File != "applications/overlays/dev/flux.yaml" || k.Range.Start.Line != 17 {
		t.Errorf("ingress-nginx: %+v %v", k, err)
	}
	_, err = build.Find(list, "cert-manager", "")
	var amb *build.AmbiguousError
	if !errors.As(err, &amb) || strings.Join(amb.Clusters(), ",") != "dev,prod" {
		t.Errorf("cert-manager without --cluster: %v", err)
	}
	if k, err := build.Find(list, "cert-manager", "prod"); err != nil || k.Cluster != "prod" {
		t.Errorf("cert-manager in prod: %+v %v", k, err)
	}
	_, err = build.Find(list, "cert-manger", "")
	var nf *build.NotFoundError
	if !errors.As(err, &nf) || strings.Join(nf.Closest, ",") != "flux-system/cert-manager" {
		t.Errorf("misspelt name: %v", err)
	}
	_, err = build.Find(list, "ingress-nginx", "prod")
	if !errors.As(err, &nf) || len(nf.Closest) != 0 {
		t.Errorf("ingress-nginx in prod: %v", err)
	}
	_, err = build.Find(list, "other-ns/cert-manager", "")
	if !errors.As(err, &nf) {
		t.Errorf("another namespace: %v", err)
	}
}

// Without .sourceignore or spec.ignore, source-controller's default
// exclusions apply: a .sops.yaml (not a Kubernetes object) in a folder
// without a kustomization.yaml does not break Flux's generated one. A
// .sourceignore file replaces those defaults (only the version-control
// ones stay), so the same folder then fails.
func TestDefaultExclusions(t *testing.T) {
	fsys := fstest.MapFS{
		"applications/overlays/dev/kustomization.yaml": file("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./flux.yaml\n"),
		"applications/overlays/dev/flux.yaml":          file(strings.NewReplacer("NAME", "app", "PATH", "app").Replace(fluxKustomization)),
		"apps/app/configmap.yaml":                      file("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: app\n"),
		"apps/app/.sops.yaml":                          file("creation_rules:\n  - path_regex: .*.yaml\n"),
	}
	run := func() *build.Result {
		snap := snapshot(t, fsys)
		k, err := build.Find(build.List(snap), "app", "")
		if err != nil {
			t.Fatal(err)
		}
		return build.New(snap, build.Options{}).Build(context.Background(), k)
	}
	if r := run(); r.Err != nil || len(r.Objects) != 1 || r.Objects[0].File != "apps/app/configmap.yaml" {
		t.Fatalf("with the default exclusions: %+v", r)
	}
	fsys[".sourceignore"] = file("docs/\n")
	if r := run(); r.Err == nil || !strings.Contains(r.Err.Message, "apps/app/.sops.yaml is not a Kubernetes object") {
		t.Errorf("with a .sourceignore, .sops.yaml is in the artifact and breaks the build: %+v", r.Err)
	}
}

func TestMaskDockerConfig(t *testing.T) {
	o := build.Object{APIVersion: "v1", Kind: "Secret", Name: "regcred", Doc: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
		"data": map[string]any{".dockerconfigjson": "ENC[AES256_GCM,data:x,type:str]"},
		"sops": map[string]any{"mac": "ENC[AES256_GCM,data:y,type:str]"},
	}}
	m := build.Mask(o, true)
	got, _ := m.Doc["data"].(map[string]any)[".dockerconfigjson"].(string)
	dec, _ := base64.StdEncoding.DecodeString(got)
	if string(dec) != `{"mask":"**SOPS**"}` || m.Doc["sops"] != nil {
		t.Errorf("masked to %q (%s), sops %v", got, dec, m.Doc["sops"])
	}
	if o.Doc["sops"] == nil || o.Doc["data"].(map[string]any)[".dockerconfigjson"] != "ENC[AES256_GCM,data:x,type:str]" {
		t.Errorf("Mask changed the original object")
	}
}

// A .sourceignore too large to be real fails the build with its name,
// rather than being read.
func TestHugeSourceIgnore(t *testing.T) {
	fsys := fstest.MapFS{
		"applications/overlays/dev/kustomization.yaml": file("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./flux.yaml\n"),
		"applications/overlays/dev/flux.yaml":          file(strings.NewReplacer("NAME", "app", "PATH", "app").Replace(fluxKustomization)),
		"apps/app/configmap.yaml":                      file("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n"),
		"apps/.sourceignore":                           file(strings.Repeat("*.tmp\n", 300000)),
	}
	snap := snapshot(t, fsys)
	k, err := build.Find(build.List(snap), "app", "")
	if err != nil {
		t.Fatal(err)
	}
	r := build.New(snap, build.Options{}).Build(context.Background(), k)
	if r.Err == nil || !strings.Contains(r.Err.Message, "apps/.sourceignore") {
		t.Errorf("huge .sourceignore: %+v", r.Err)
	}
}
