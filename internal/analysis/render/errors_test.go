package render

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
)

// TestBuildErrorsNameTheEntry: the failures kustomize reports without
// naming a file are traced to the kustomization and entry that cause them,
// and their messages read as the cause rather than kustomize's nested
// accumulation errors.
func TestBuildErrorsNameTheEntry(t *testing.T) {
	fsys := fstest.MapFS{
		"dup/kustomization.yaml":   file("resources:\n- a.yaml\n- b.yaml\n"),
		"dup/a.yaml":               configMap("same"),
		"dup/b.yaml":               configMap("same"),
		"self/kustomization.yaml":  file("resources:\n- a.yaml\n- .\n"),
		"self/a.yaml":              configMap("a"),
		"x/kustomization.yaml":     file("resources:\n- ../y\n"),
		"y/kustomization.yaml":     file("resources:\n- ../z\n"),
		"z/kustomization.yaml":     file("resources:\n- ../x\n"),
		"app/kustomization.yaml":   file("resources:\n- a.yaml\ncomponents:\n- ../c1\n"),
		"app/a.yaml":               configMap("a"),
		"c1/kustomization.yaml":    file("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n- ../c2\n"),
		"c2/kustomization.yaml":    file("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n- ../c1\n"),
		"selfc/kustomization.yaml": file("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncomponents:\n- ../selfc\n"),
		"usec/kustomization.yaml":  file("components:\n- ../selfc\n"),
		"badop/kustomization.yaml": file("resources:\n- a.yaml\npatches:\n- target: {kind: ConfigMap}\n  patch: |\n    - op: frobnicate\n      path: /data/x\n      value: y\n"),
		"badop/a.yaml":             configMap("a"),
	}
	for _, tt := range []struct {
		path, errFile, errEntry string
		msg                     []string // substrings of the message
		not                     []string // must not appear
	}{
		{"dup", "dup/kustomization.yaml", "b.yaml",
			[]string{"already registered id", "ConfigMap", "same"}, []string{"must build at directory"}},
		{"badop", "badop/kustomization.yaml", "",
			[]string{`JSON 6902 patch operation "frobnicate" is not one of add`}, nil},
		{"self", "self/kustomization.yaml", ".",
			[]string{"cycle detected: self includes itself"}, []string{"non-file", "accumulat"}},
		{"x", "z/kustomization.yaml", "../x",
			[]string{"cycle detected: kustomizations include each other: x -> y -> z -> x"}, []string{"non-file"}},
		{"app", "c2/kustomization.yaml", "../c1",
			[]string{"cycle detected: components include each other: c1 -> c2 -> c1"}, []string{`\"`}},
		// The entry is spelled from the kustomization's directory: "."
		// names the same directory as the "../selfc" written.
		{"usec", "selfc/kustomization.yaml", ".",
			[]string{"cycle detected: selfc includes itself"}, nil},
	} {
		t.Run(tt.path, func(t *testing.T) {
			res := New().Render(context.Background(), Request{FS: fsys, Path: tt.path})
			if res.Err == nil {
				t.Fatal("the build succeeded")
			}
			if res.ErrFile != tt.errFile || res.ErrEntry != tt.errEntry {
				t.Errorf("ErrFile, ErrEntry = %q, %q; want %q, %q", res.ErrFile, res.ErrEntry, tt.errFile, tt.errEntry)
			}
			for _, s := range tt.msg {
				if !strings.Contains(res.Err.Error(), s) {
					t.Errorf("message %q lacks %q", res.Err, s)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(res.Err.Error(), s) {
					t.Errorf("message %q holds %q", res.Err, s)
				}
			}
		})
	}
}
