package render

import (
	"context"
	"encoding/json"
	"io/fs"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
)

// TestFastPathMatchesKustomize renders simple kustomizations both ways:
// the objects must be the same as kustomize's.
func TestFastPathMatchesKustomize(t *testing.T) {
	fsys := fstest.MapFS{
		"svc/kustomization.yaml": {Data: []byte(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: apps
resources:
  - ./cm.yaml
  - deploy.yaml
  - ns.yaml
secretGenerator:
  - name: svc-values-override
    type: Opaque
    files:
      - override.yaml=helm-values/override-values.yaml
      - raw.txt
    literals:
      - mode="fast"
    options:
      disableNameSuffixHash: true
      labels:
        team: platform
configMapGenerator:
  - name: settings
    namespace: other
    literals:
      - A=1
      - B=two words
generatorOptions:
  disableNameSuffixHash: true
`)},
		"svc/cm.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  labels:\n    a: b\ndata:\n  replicas: \"${REPLICAS}\"\n---\n# a comment only\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\n  namespace: elsewhere\n")},
		"svc/deploy.yaml": {Data: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`)},
		"svc/ns.yaml":                          {Data: []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n")},
		"svc/helm-values/override-values.yaml": {Data: []byte("replicaCount: 3\n")},
		"svc/raw.txt":                          {Data: []byte("plain text\n")},
		"tree/kustomization.yaml":              {Data: []byte("resources:\n  - ./inner\n  - ./plain-ns\n  - top.yaml\n")},
		"tree/top.yaml":                        {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: top\n  namespace: mine\n")},
		"tree/inner/kustomization.yaml":        {Data: []byte("namespace: inner\nresources: [cm.yaml, ns.yaml]\nsecretGenerator:\n  - name: s\n    namespace: gen\n    literals: [k=v]\n    options: {disableNameSuffixHash: true}\n")},
		"tree/inner/cm.yaml":                   {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: in\n")},
		"tree/inner/ns.yaml":                   {Data: []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: whatever\n")},
		"tree/plain-ns/kustomization.yaml":     {Data: []byte("resources: [r.yaml]\n")},
		"tree/plain-ns/r.yaml":                 {Data: []byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cr\n")},
		"outer/kustomization.yaml":             {Data: []byte("namespace: outer\nresources: [../tree]\n")},
		"rbac/kustomization.yaml":              {Data: []byte("namespace: apps\nresources: [rb.yaml]\n")},
		"rbac/rb.yaml":                         {Data: []byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: r\nsubjects:\n  - kind: ServiceAccount\n    name: sa\n    namespace: default\n")},
		"plain/one.yaml":                       {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n")},
		"plain/nested/two.yaml":                {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\n")},
		"plain/nested/deeper/three.yml":        {Data: []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: three\nstringData:\n  a: b\n")},
	}
	for _, req := range []Request{
		{FS: fsys, Path: "svc"},
		{FS: fsys, Path: "./svc", TargetNamespace: "target", CommonLabels: map[string]string{"x": "y"}, CommonAnnotations: map[string]string{"note": "n"}},
		{FS: fsys, Path: "svc", Substitute: map[string]string{"REPLICAS": "3"}},
		{FS: fsys, Path: "plain", TargetNamespace: "t"},
		{FS: fsys, Path: "tree"},
		{FS: fsys, Path: "rbac"},
		{FS: fsys, Path: "rbac", TargetNamespace: "flux-target"},
		{FS: fsys, Path: "outer"},
		{FS: fsys, Path: "tree", TargetNamespace: "flux-target", CommonLabels: map[string]string{"a": "b"}},
		{FS: fsys, Path: "svc", TargetNamespace: "target", CommonLabels: map[string]string{"env": "${ENV}"}, Substitute: map[string]string{"ENV": "prod", "REPLICAS": "two"}},
	} {
		if _, err := fastBuild(newLazyFS(req.FS, DefaultLimits()), cleanPath(req.Path), "", kustomizationOf(t, req), req, DefaultLimits()); err != nil && len(req.CommonAnnotations) == 0 && req.Path != "plain" && req.Path != "rbac" {
			t.Errorf("%s: the fast path refused a simple kustomization: %v", req.Path, err)
		}
		fast := New()
		slow := New()
		slow.slowOnly = true
		a := fast.Render(context.Background(), req)
		b := slow.Render(context.Background(), req)
		if a.Err != nil || b.Err != nil {
			t.Fatalf("%s: errors %v / %v", req.Path, a.Err, b.Err)
		}
		if got, want := canon(t, a.Objects), canon(t, b.Objects); got != want {
			t.Errorf("%s %+v:\nfast: %s\nkustomize: %s", req.Path, req, got, want)
		}
	}
}

// TestFastPathDefersToKustomize: what the fast path does not reproduce
// still renders (through kustomize), with its errors.
func TestFastPathDefersToKustomize(t *testing.T) {
	fsys := fstest.MapFS{
		"hashed/kustomization.yaml": {Data: []byte("configMapGenerator:\n  - name: c\n    literals: [a=b]\n")},
		"dup/kustomization.yaml":    {Data: []byte("resources: [a.yaml, b.yaml]\n")},
		"loop/kustomization.yaml":   {Data: []byte("resources: [../loop2]\n")},
		"loop2/kustomization.yaml":  {Data: []byte("resources: [../loop]\n")},
		"dup/a.yaml":                {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\n")},
		"dup/b.yaml":                {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: same\n")},
	}
	r := New()
	res := r.Render(context.Background(), Request{FS: fsys, Path: "hashed"})
	if res.Err != nil || len(res.Objects) != 1 || res.Objects[0].Name == "c" {
		t.Errorf("hashed generator: %+v (kustomize appends a hash to the name)", res)
	}
	res = r.Render(context.Background(), Request{FS: fsys, Path: "dup"})
	if res.Err == nil {
		t.Error("duplicate objects must fail as in kustomize")
	}
	res = r.Render(context.Background(), Request{FS: fsys, Path: "loop"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "cycle") {
		t.Errorf("a kustomization cycle must fail as in kustomize: %v", res.Err)
	}
}

func canon(t *testing.T, objs []Object) string {
	t.Helper()
	type row struct {
		Doc                 map[string]any
		Origin, GeneratedBy string
	}
	rows := make([]row, len(objs))
	for i, o := range objs {
		rows[i] = row{o.Doc, o.Origin, o.GeneratedBy}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, _ := json.Marshal(rows[i])
		b, _ := json.Marshal(rows[j])
		return string(a) < string(b)
	})
	b, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func kustomizationOf(t *testing.T, req Request) []byte {
	t.Helper()
	data, err := fs.ReadFile(req.FS, cleanPath(req.Path)+"/kustomization.yaml")
	if err != nil {
		return nil
	}
	return data
}
