package model

import (
	"io/fs"
	"path"
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
			climbs := strings.HasPrefix(e.Value, "/") || strings.HasPrefix(path.Clean(path.Join(dir, e.Value)), "..")
			if e.Outside != climbs {
				t.Fatalf("%q in %s: Outside = %v", e.Value, dir, e.Outside)
			}
			if !e.Outside && !fs.ValidPath(e.Target) {
				t.Fatalf("%q in %s: target %q is not a clean path inside the root", e.Value, dir, e.Target)
			}
		}
	})
}
