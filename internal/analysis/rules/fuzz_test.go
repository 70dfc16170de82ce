package rules

import (
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// FuzzInlinePatchPosition: the JSON-pointer-to-source mapper inside an
// inline patch (a kustomization's patches[].patch literal block). Whatever
// the patch and the pointer, mapping never panics, the range is inside
// the file, and when the field is a one-line plain scalar the range covers
// exactly its text.
func FuzzInlinePatchPosition(f *testing.F) {
	for _, s := range []struct{ patch, ptr string }{
		{"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  key: bad\n", "/data/key"},
		{"kind: ConfigMap\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: b\n", "/spec/template/spec/containers/0/image"},
		{"- op: replace\n  path: /spec/replicas\n  value: 3\n", "/spec/replicas"},
		{"kind: ConfigMap\ndata: {a: b}\n", "/data/a"},
		{"kind: ConfigMap\n\n\ndata:\n    deep: é😀\n", "/data/deep"},
		{"kind: Other\ndata:\n  k: v\n", "/data/k"},
		{"kind: ConfigMap\ndata:\n  k: |\n    text\n", "/data/k"},
	} {
		f.Add(s.patch, s.ptr)
	}
	f.Fuzz(func(t *testing.T, patch, ptr string) {
		if strings.ContainsAny(patch, "\r\t") {
			return // a literal block holds neither as indentation
		}
		var b strings.Builder
		b.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\npatches:\n  - target:\n      kind: ConfigMap\n    patch: |\n")
		for _, l := range strings.Split(strings.TrimRight(patch, "\n"), "\n") {
			if l == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString("      " + l + "\n")
		}
		file := yamlfile.Parse("k.yaml", []byte(b.String()))
		if len(file.Docs) == 0 {
			return
		}
		items := yamlfile.Items(yamlfile.Get(file.Docs[0].Root, "patches"))
		if len(items) != 1 {
			return
		}
		_, pv := yamlfile.GetKV(items[0], "patch")
		if !yamlfile.IsScalar(pv) || pv.Style&yaml.LiteralStyle == 0 {
			return
		}
		segs := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
		o := &render.Object{Kind: "ConfigMap", Name: "x"}
		r, ok := inlinePatch(file, items[0], o, segs)
		if !ok {
			return
		}
		if r.Start.Offset < 0 || r.End.Offset > len(file.Src) || r.End.Offset < r.Start.Offset {
			t.Fatalf("range %+v outside the file (%d bytes)", r, len(file.Src))
		}
		var doc yaml.Node
		if yaml.Unmarshal([]byte(pv.Value), &doc) != nil || len(doc.Content) == 0 {
			return
		}
		n := patchNode(doc.Content[0], yamlfile.Get(items[0], "target"), o, segs)
		if n == nil || n.Kind != yaml.ScalarNode || n.Style != 0 || strings.ContainsAny(n.Value, "\n#:") || n.Value == "" {
			return
		}
		if got := string(file.Src[r.Start.Offset:r.End.Offset]); got != n.Value {
			t.Fatalf("pointer %q: the range covers %q, the field is %q\n%s", ptr, got, n.Value, file.Src)
		}
	})
}
