package model

import (
	"context"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
)

// FuzzParseKustomization: whatever a kustomization names, each entry is
// remote, outside the root, or a clean path inside it, and an entry is
// outside exactly when it is absolute or climbs above the root.
func FuzzParseKustomization(f *testing.F) {
	for _, s := range []struct{ dir, src string }{
		{"apps", "resources:\n  - a.yaml\n  - ../b\n  - ../../c\n  - /etc/passwd\n"},
		{"a/b", "resources: [./x, ../../.., ..//..//x, 'github.com/org/repo//deploy?ref=v1']\ncomponents: [../c]\n"},
		{".", "patches:\n  - path: p.yaml\n    target: {kind: Deployment}\nconfigMapGenerator:\n  - name: g\n    files: [k=../f.txt, plain.txt]\n    envs: [e.env]\n"},
		{"x", "secretGenerator:\n  - name: s\n    env: ../../s.env\n    literals: [a=b]\npatchesJson6902:\n  - path: /abs.yaml\n"},
		{"x", "resources: &r [a]\nbases: *r\n"},
		{"x", "resources:\n  - \"a\\\\..\\\\..\\\\b\"\n  - ./\n  - .\n  - ''\n"},
	} {
		f.Add(s.dir, []byte(s.src))
	}
	f.Fuzz(func(t *testing.T, dir string, src []byte) {
		dir, ok := view.Clean(dir)
		if !ok || !fs.ValidPath(dir) {
			return
		}
		p := path.Join(dir, "kustomization.yaml")
		k, err := ParseKustomization(view.New(fstest.MapFS{p: {Data: src}}, ""), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range k.Entries {
			if e.Remote {
				continue
			}
			// "..00" is a name inside the root, "../x" leaves it.
			c := path.Clean(path.Join(dir, e.Value))
			climbs := strings.HasPrefix(e.Value, "/") || c == ".." || strings.HasPrefix(c, "../")
			if e.Outside != climbs {
				t.Fatalf("%q in %s: Outside = %v", e.Value, dir, e.Outside)
			}
			if !e.Outside && !fs.ValidPath(e.Target) {
				t.Fatalf("%q in %s: target %q is not a clean path inside the root", e.Value, dir, e.Target)
			}
		}
	})
}

// fuzzResolver: every GitRepository is this repository.
type fuzzResolver struct{}

func (fuzzResolver) IsThisRepo(*Applied) bool { return true }
func (fuzzResolver) External(context.Context, *Applied) (*view.View, string, error) {
	return nil, "", fs.ErrNotExist
}

// FuzzResolveReferences: the kustomization reference resolver over a
// small repository whose kustomizations and Flux path are fuzzed. Loading
// and following every reference never panics and ends (cycles, diamonds,
// links out of the root), and everything it reads is a file of the
// repository.
func FuzzResolveReferences(f *testing.F) {
	for _, s := range []struct{ path, apps, sub, base string }{
		{"./apps", "resources: [sub, ../base, cm.yaml]\n", "resources: [cm.yaml, ../../base]\npatches:\n  - path: ../patch.yaml\n", "resources: [cm.yaml]\n"},
		{"./apps", "resources: [sub]\n", "resources: [..]\n", "resources: [../apps/sub]\n"},      // a cycle
		{"./apps", "resources: [., ./]\n", "components: [../sub]\n", "bases: [../../..]\n"},      // itself, and above the root
		{"../../etc", "resources: [/etc/passwd]\n", "resources: ['..\\..']\n", "crds: [base]\n"}, // outside the root
		{"./base", "", "", "resources: [cm.yaml, cm.yaml, ../apps, ../apps/sub/cm.yaml]\n"},      // duplicates and a parent
		{".", "resources: &r [sub, ../base]\nbases: *r\ncomponents: *r\n", "resources: [../../apps]\n", "resources:\n  - github.com/org/repo//x?ref=v1\n"},
		{"./apps/${CLUSTER}", "configMapGenerator:\n  - name: g\n    files: [k=sub/cm.yaml, ../base/cm.yaml]\n", "secretGenerator:\n  - name: s\n    envs: [../../x.env]\n", "{"},
	} {
		f.Add(s.path, []byte(s.apps), []byte(s.sub), []byte(s.base))
	}
	cm := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata: {a: b}\n")
	f.Fuzz(func(t *testing.T, fluxPath string, apps, sub, base []byte) {
		fsys := fstest.MapFS{
			"clusters/dev/flux-system/gotk-sync.yaml":     {Data: []byte("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  url: ssh://git@example.com/fleet.git\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  path: ./clusters/dev\n  sourceRef: {kind: GitRepository, name: flux-system}\n")},
			"clusters/dev/flux-system/kustomization.yaml": {Data: []byte("resources: [gotk-sync.yaml]\n")},
			"clusters/dev/apps.yaml":                      {Data: []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: " + strconv.Quote(fluxPath) + "\n  sourceRef: {kind: GitRepository, name: flux-system}\n")},
			"apps/kustomization.yaml":                     {Data: apps},
			"apps/cm.yaml":                                {Data: cm},
			"apps/patch.yaml":                             {Data: cm},
			"apps/sub/kustomization.yaml":                 {Data: sub},
			"apps/sub/cm.yaml":                            {Data: cm},
			"base/kustomization.yaml":                     {Data: base},
			"base/cm.yaml":                                {Data: cm},
		}
		v := view.New(fsys, "")
		repo := LoadRepo(context.Background(), v, nil)
		for _, root := range repo.ClusterRoots() {
			c := BuildCluster(context.Background(), repo, root.Name, root.Dir, fuzzResolver{})
			for rv, files := range c.Reached {
				if rv != v {
					t.Fatalf("read a view other than the repository")
				}
				for p := range files {
					if !fs.ValidPath(p) {
						t.Fatalf("read %q, not a clean path inside the repository", p)
					}
					if _, ok := fsys[p]; !ok {
						t.Fatalf("read %q, which is no file of the repository", p)
					}
				}
			}
			for _, e := range c.Cycles {
				if e.Outside || e.Remote || !fs.ValidPath(e.Target) {
					t.Fatalf("cycle through %q (target %q)", e.Value, e.Target)
				}
			}
			for _, p := range c.Pulls {
				if p.PathOK && !fs.ValidPath(p.Path) {
					t.Fatalf("Flux path %q resolved to %q", fluxPath, p.Path)
				}
			}
		}
	})
}
