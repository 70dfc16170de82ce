package rules

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// valueAt is the rendered value at ptr.
func valueAt(doc map[string]any, ptr []string) (any, bool) {
	var cur any = doc
	for _, s := range ptr {
		switch t := cur.(type) {
		case map[string]any:
			v, ok := t[s]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			var i int
			if _, err := fmt.Sscan(s, &i); err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			cur = t[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// patched reports whether a scalar written in the source differs from the
// rendered value at ptr: something (a patch) replaced it.
func patched(n *yaml.Node, doc map[string]any, ptr []string) bool {
	if !yamlfile.IsScalar(n) {
		return false
	}
	rendered, ok := valueAt(doc, ptr)
	if !ok {
		return false
	}
	var written any
	if n.Decode(&written) != nil {
		return false
	}
	a, _ := json.Marshal(written)
	b, _ := json.Marshal(rendered)
	return string(a) != string(b) && !strings.Contains(n.Value, "${")
}

// SourceMap maps what a build renders back to what the user wrote: the
// object a rendered object comes from, and the line that set one of its
// fields (in the object itself, or in the patch that set or replaced it).
type SourceMap struct {
	repo   *model.Repo
	byFile map[string][]*model.Object // repository objects by file
}

// NewSourceMap returns the source map of a repository's builds.
func NewSourceMap(repo *model.Repo) *SourceMap {
	m := &SourceMap{repo: repo, byFile: map[string][]*model.Object{}}
	for _, o := range repo.Objects {
		m.byFile[o.File.Path] = append(m.byFile[o.File.Path], o)
	}
	return m
}

// Build names one build: the cluster, the Flux Kustomization it renders
// (nil for a cluster root that none applies) and the view it reads.
type Build struct {
	Cluster *model.Cluster
	Pull    *model.Pull
	View    *view.View
}

// Location is where something was written.
type Location struct {
	View  *view.View // the repository's view, or a base tree's
	File  *yamlfile.File
	Range diag.Range
}

// Field returns where the field at ptr (a JSON pointer split in segments)
// of rendered object o was written: the patch that set it or replaced its
// value, else its line in the object's source.
func (m *SourceMap) Field(b Build, o *render.Object, ptr []string) (Location, bool) {
	if src := m.Object(b, o); src != nil {
		if n, ok := yamlfile.FindPointer(src.Node(), ptr); ok {
			written := n // the key, for a field of a mapping: compare its value
			if len(ptr) > 0 {
				if _, v := yamlfile.GetKV(yamlfile.Get(src.Node(), ptr[:len(ptr)-1]...), ptr[len(ptr)-1]); v != nil {
					written = v
				}
			}
			if patched(written, o.Doc, ptr) {
				if f, rg, ok := m.Patch(b, o, ptr); ok {
					return Location{m.repo.View, f, rg}, true
				}
			}
			return Location{src.View, src.File, src.File.NodeRange(n)}, true
		}
	}
	if f, rg, ok := m.Patch(b, o, ptr); ok {
		return Location{m.repo.View, f, rg}, true
	}
	return Location{}, false
}

// Object finds the object as written in the file it was rendered from,
// or nil.
func (m *SourceMap) Object(b Build, o *render.Object) *model.Object {
	if o.Origin == "" {
		return nil
	}
	var objs []*model.Object
	if b.View == m.repo.View {
		objs = m.byFile[o.Origin]
	} else if f, err := b.View.YAML(o.Origin); err == nil {
		objs = model.ObjectsOf(b.View, f)
	}
	var best *model.Object
	for _, s := range objs {
		if s.Kind != o.Kind {
			continue
		}
		if s.Name == o.Name {
			return s
		}
		// namePrefix / nameSuffix: the written name is inside the rendered one.
		if s.Name != "" && strings.Contains(o.Name, s.Name) && (best == nil || len(s.Name) > len(best.Name)) {
			best = s
		}
	}
	if best == nil {
		n := 0
		for _, s := range objs {
			if s.Kind == o.Kind {
				best = s
				n++
			}
		}
		if n != 1 {
			best = nil
		}
	}
	return best
}

// Patch finds the patch of the repository that sets field ptr of o: in
// the Flux Kustomization's spec.patches, or in a patches entry of a
// kustomization of the repository that the cluster reads.
func (m *SourceMap) Patch(b Build, o *render.Object, ptr []string) (*yamlfile.File, diag.Range, bool) {
	repo := m.repo
	if b.Pull != nil && b.Pull.K.Obj.View == repo.View {
		f := b.Pull.K.Obj.File
		for _, it := range yamlfile.Items(yamlfile.Get(b.Pull.K.Obj.Node(), "spec", "patches")) {
			if rg, ok := inlinePatch(f, it, o, ptr); ok {
				return f, rg, true
			}
		}
	}
	if b.View != repo.View {
		return nil, diag.Range{}, false
	}
	for _, k := range sortedKustomizations(repo) {
		if !b.Cluster.Reaches(repo.View, k.File.Path) || k.Root == nil {
			continue
		}
		for _, field := range []string{"patches", "patchesStrategicMerge", "patchesJson6902"} {
			for _, it := range yamlfile.Items(yamlfile.Get(k.Root, field)) {
				if yamlfile.IsScalar(it) { // patchesStrategicMerge: a file name
					if f, rg, ok := m.patchFile(k, it.Value, nil, o, ptr); ok {
						return f, rg, true
					}
					continue
				}
				if rg, ok := inlinePatch(k.File, it, o, ptr); ok {
					return k.File, rg, true
				}
				if p := yamlfile.Str(it, "path"); p != "" {
					if f, rg, ok := m.patchFile(k, p, yamlfile.Get(it, "target"), o, ptr); ok {
						return f, rg, true
					}
				}
			}
		}
	}
	return nil, diag.Range{}, false
}

// patchFile looks for the field in a patch file of the repository.
func (m *SourceMap) patchFile(k *model.KFile, p string, target *yaml.Node, o *render.Object, ptr []string) (*yamlfile.File, diag.Range, bool) {
	full, ok := view.Clean(path.Join(k.Dir, p))
	if !ok {
		return nil, diag.Range{}, false
	}
	f, err := m.repo.View.YAML(full)
	if err != nil || f == nil {
		return nil, diag.Range{}, false
	}
	for _, d := range f.Docs {
		if n := patchNode(d.Root, target, o, ptr); n != nil {
			return f, f.NodeRange(n), true
		}
	}
	return nil, diag.Range{}, false
}

// inlinePatch looks for the field in an inline patch (a patch: string) and
// returns its position inside the block scalar when it can be computed,
// else the patch entry.
func inlinePatch(f *yamlfile.File, item *yaml.Node, o *render.Object, ptr []string) (diag.Range, bool) {
	pk, pv := yamlfile.GetKV(item, "patch")
	if !yamlfile.IsScalar(pv) {
		return diag.Range{}, false
	}
	var doc yaml.Node
	if yaml.Unmarshal([]byte(pv.Value), &doc) != nil || len(doc.Content) == 0 {
		return diag.Range{}, false
	}
	n := patchNode(doc.Content[0], yamlfile.Get(item, "target"), o, ptr)
	if n == nil {
		return diag.Range{}, false
	}
	if pv.Style&yaml.LiteralStyle != 0 {
		// Literal block: content line i of the value is file line pv.Line+i,
		// and column c of it is column c of the file past the block's
		// indentation (not the line's: that counts the nesting twice).
		line := pv.Line + n.Line
		indent := blockIndent(f, pk, pv)
		start := f.PosAt(line, indent+n.Column)
		end := f.PosAt(line, indent+n.Column+len([]rune(n.Value)))
		return diag.Range{Start: start, End: end}, true
	}
	return f.NodeRange(pk), true
}

// blockIndent is the indentation a literal block scalar strips from its
// lines: the parent's plus an explicit indentation indicator (|2), else
// that of its first line that is not empty.
func blockIndent(f *yamlfile.File, key, val *yaml.Node) int {
	header := f.LineText(val.Line)
	if i := strings.LastIndexByte(header, '|'); i >= 0 {
		for _, c := range header[i+1:] {
			if c >= '1' && c <= '9' {
				return key.Column - 1 + int(c-'0')
			}
			if c != '-' && c != '+' {
				break
			}
		}
	}
	for l := val.Line + 1; l <= f.LineCount(); l++ {
		if text := f.LineText(l); strings.TrimSpace(text) != "" {
			return len(text) - len(strings.TrimLeft(text, " "))
		}
	}
	return 0
}

// patchNode finds, in a strategic-merge or JSON 6902 patch, the node that
// sets ptr of object o.
func patchNode(root, target *yaml.Node, o *render.Object, ptr []string) *yaml.Node {
	if target != nil {
		if k := yamlfile.Str(target, "kind"); k != "" && k != o.Kind {
			return nil
		}
		if n := yamlfile.Str(target, "name"); n != "" && n != o.Name && !strings.Contains(o.Name, n) {
			return nil
		}
	}
	switch root.Kind {
	case yaml.MappingNode:
		if k := yamlfile.Str(root, "kind"); k != "" && k != o.Kind {
			return nil
		}
		if n := yamlfile.Str(root, "metadata", "name"); n != "" && n != o.Name && !strings.Contains(o.Name, n) {
			return nil
		}
		if n, ok := yamlfile.FindPointer(root, ptr); ok {
			return n
		}
	case yaml.SequenceNode: // JSON 6902: the op whose path is the field or a parent of it
		want := "/" + strings.Join(ptr, "/")
		for _, op := range root.Content {
			p := yamlfile.Str(op, "path")
			if p != "" && (p == want || strings.HasPrefix(want, p+"/")) && yamlfile.Str(op, "op") != "remove" {
				_, v := yamlfile.GetKV(op, "path")
				return v
			}
		}
	}
	return nil
}
