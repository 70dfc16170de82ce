package lsp

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	"github.com/opencenter-cloud/gitops-hook/internal/promote"
	"github.com/opencenter-cloud/gitops-hook/internal/report"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
	yaml "go.yaml.in/yaml/v3"
)

// cursor is what a position points at: the YAML document and the key path
// to the scalar under it (sequence items are "-"), read from the current
// buffer, and the object of the last analysis for that document.
type cursor struct {
	st    *state
	file  string
	f     *yamlfile.File // the current text
	lines *lines
	doc   *yamlfile.Doc
	keys  []string
	node  *yaml.Node // the scalar under the position
	isKey bool
	obj   *model.Object // nil when the analysis has no object for the document
	pos   diag.Pos
}

func (c *cursor) at(suffix ...string) bool {
	if c.isKey || len(c.keys) < len(suffix) {
		return false
	}
	tail := c.keys[len(c.keys)-len(suffix):]
	for i := range suffix {
		if tail[i] != suffix[i] {
			return false
		}
	}
	return len(c.keys) == len(suffix)
}

// locate finds what a position points at. It reads the open buffer (the
// analysis may lag behind a keystroke) and the last analysis's model.
func (s *Server) locate(uri string, p protocol.Position) *cursor {
	abs, ok := uriPath(uri)
	if !ok {
		return nil
	}
	s.mu.Lock()
	st := s.last
	var text []byte
	if d := s.docs[abs]; d != nil {
		text = d.text
	}
	s.mu.Unlock()
	if st == nil {
		return nil
	}
	file := rel(st.root, abs)
	if file == "" {
		return nil
	}
	if text == nil {
		if l := st.linesOf(file); l != nil {
			text = l.text
		}
	}
	if text == nil || len(text) > maxDocument {
		return nil
	}
	f := yamlfile.Parse(file, text)
	l := newLines(text)
	c := &cursor{st: st, file: file, f: f, lines: l, pos: l.toDiag(p)}
	for _, d := range f.Docs {
		if keys, n, isKey, ok := findScalar(f, d.Root, nil, c.pos); ok {
			c.doc, c.keys, c.node, c.isKey = d, keys, n, isKey
			break
		}
	}
	if c.doc == nil {
		// Not on a scalar: the document whose lines hold the position.
		for _, d := range f.Docs {
			if d.Root != nil && d.Root.Line <= c.pos.Line {
				c.doc = d
			}
		}
	}
	if c.doc != nil {
		if sf, err := st.res.Model.Repo.View.YAML(file); err == nil && sf != nil {
			for _, o := range st.res.Model.Repo.ObjectsIn(st.res.Model.Repo.View, sf) {
				if o.Doc.Index == c.doc.Index {
					c.obj = o
				}
			}
		}
	}
	return c
}

func contains(r diag.Range, p diag.Pos) bool {
	after := p.Line > r.Start.Line || (p.Line == r.Start.Line && p.Col >= r.Start.Col)
	before := p.Line < r.End.Line || (p.Line == r.End.Line && p.Col <= r.End.Col)
	return after && before
}

func findScalar(f *yamlfile.File, n *yaml.Node, keys []string, p diag.Pos) ([]string, *yaml.Node, bool, bool) {
	if n == nil {
		return nil, nil, false, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := append(append([]string{}, keys...), k.Value)
			if k.Kind == yaml.ScalarNode && contains(f.NodeRange(k), p) {
				return path, k, true, true
			}
			if ks, sn, isKey, ok := findScalar(f, v, path, p); ok {
				return ks, sn, isKey, true
			}
		}
	case yaml.SequenceNode:
		for _, it := range n.Content {
			if ks, sn, isKey, ok := findScalar(f, it, append(append([]string{}, keys...), "-"), p); ok {
				return ks, sn, isKey, true
			}
		}
	case yaml.ScalarNode:
		if contains(f.NodeRange(n), p) {
			return keys, n, false, true
		}
	}
	return nil, nil, false, false
}

// clusterOf returns the cluster that applies an object, and its entry.
func (st *state) clusterOf(o *model.Object) (*model.Cluster, *model.Applied) {
	if o == nil {
		return nil, nil
	}
	for _, c := range st.res.Model.Clusters {
		if c == nil {
			continue
		}
		for _, a := range c.Applied {
			if a.Obj == o {
				return c, a
			}
		}
	}
	return nil, nil
}

func (st *state) pullOf(o *model.Object) (*model.Cluster, *model.Pull) {
	for _, c := range st.res.Model.Clusters {
		if c == nil {
			continue
		}
		for _, p := range c.Pulls {
			if p.K != nil && p.K.Obj == o {
				return c, p
			}
		}
	}
	return nil, nil
}

// location of a node of an object: a repository file, or a read-only copy
// of a file in a base.
func (s *Server) objLocation(st *state, o *model.Object, n *yaml.Node) (protocol.Location, bool) {
	if n == nil {
		n = o.Node()
	}
	r := o.File.NodeRange(n)
	if o.View == st.res.Model.Repo.View {
		return protocol.Location{URI: pathURI(joinRoot(st.root, o.File.Path)), Range: st.rangeIn(o.File.Path, r)}, true
	}
	abs, data, err := s.copyOf(o.View, o.File.Path)
	if err != nil {
		return protocol.Location{}, false
	}
	return protocol.Location{URI: pathURI(abs), Range: newLines(data).rangeOf(r)}, true
}

// fileLocation is the start of a file of a view.
func (s *Server) fileLocation(st *state, v *view.View, p string) (protocol.Location, bool) {
	if v == st.res.Model.Repo.View {
		return protocol.Location{URI: pathURI(joinRoot(st.root, p))}, true
	}
	abs, _, err := s.copyOf(v, p)
	if err != nil {
		s.logOnly("read-only copy of %s: %v", p, err)
		return protocol.Location{}, false
	}
	return protocol.Location{URI: pathURI(abs)}, true
}

// folderTarget is the file a folder reference opens: its kustomization, or
// its first YAML file.
func folderTarget(v *view.View, dir string) string {
	if k := model.FindKustomization(v, dir); k != "" {
		return k
	}
	if ok, isDir := v.Stat(dir); ok && !isDir {
		return dir
	}
	for _, e := range v.ReadDir(dir) {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			return path.Join(dir, e.Name())
		}
	}
	return ""
}

func (s *Server) definition(_ *glsp.Context, p *protocol.DefinitionParams) (any, error) {
	c := s.locate(p.TextDocument.URI, p.Position)
	if c == nil || c.node == nil || c.isKey {
		return nil, nil
	}
	st := c.st
	switch {
	case c.obj != nil && c.at("spec", "sourceRef", "name"):
		cl, a := st.clusterOf(c.obj)
		if cl == nil {
			return nil, nil
		}
		kind, name, ns := model.SourceRef(yamlfile.Get(c.obj.Node(), "spec", "sourceRef"), a.Namespace)
		if name != c.node.Value {
			name = c.node.Value
		}
		if src := cl.FindSource(kind, name, ns); src != nil {
			if loc, ok := s.objLocation(st, src.Obj, nil); ok {
				return loc, nil
			}
		}
	case c.obj != nil && c.at("spec", "dependsOn", "-", "name"):
		cl, _ := st.clusterOf(c.obj)
		if cl == nil {
			return nil, nil
		}
		for _, a := range cl.Applied {
			if a.Obj.Name == c.node.Value && a.Obj.Kind == c.obj.Kind && a.Obj != c.obj {
				if loc, ok := s.objLocation(st, a.Obj, nil); ok {
					return loc, nil
				}
			}
		}
	case c.obj != nil && c.at("spec", "path"):
		_, pull := st.pullOf(c.obj)
		if pull == nil || pull.View == nil {
			return nil, nil
		}
		if t := folderTarget(pull.View, pull.Path); t != "" {
			if loc, ok := s.fileLocation(st, pull.View, t); ok {
				return loc, nil
			}
		}
	case model.IsKustomizationFile(c.file) && len(c.keys) >= 2 && c.keys[len(c.keys)-1] == "-":
		kf := st.res.Model.Repo.Kustomizations[path.Dir(c.file)]
		if kf == nil {
			return nil, nil
		}
		for _, e := range kf.Entries {
			if e.Value != c.node.Value || e.Remote || e.Outside {
				continue
			}
			if t := folderTarget(kf.View, e.Target); t != "" {
				if loc, ok := s.fileLocation(st, kf.View, t); ok {
					return loc, nil
				}
			}
		}
	case c.obj != nil && c.obj.Kind == "HelmRelease" && len(c.keys) >= 3 && c.keys[0] == "spec" && c.keys[1] == "valuesFrom":
		return s.valuesFromDefinition(c), nil
	}
	return nil, nil
}

// valuesFromDefinition finds the overlay generator that produces the
// Secret or ConfigMap a valuesFrom entry reads, in the cluster applying
// the HelmRelease.
func (s *Server) valuesFromDefinition(c *cursor) any {
	st := c.st
	cl, _ := st.clusterOf(c.obj)
	if cl == nil {
		return nil
	}
	var want string
	for _, it := range yamlfile.Items(yamlfile.Get(c.obj.Node(), "spec", "valuesFrom")) {
		if it.Line <= c.pos.Line {
			want = yamlfile.Str(it, "name")
		}
	}
	if want == "" {
		return nil
	}
	for _, g := range cl.Generated {
		if g.Gen == nil || g.Gen.Name != want {
			continue
		}
		if g.Gen.K != nil {
			if loc, ok := s.objLocationIn(st, g.Gen.K.View, g.Gen.K.File, g.Gen.NameNode); ok {
				return loc
			}
		}
	}
	return nil
}

func (s *Server) objLocationIn(st *state, v *view.View, f *yamlfile.File, n *yaml.Node) (protocol.Location, bool) {
	if f == nil {
		return protocol.Location{}, false
	}
	r := f.NodeRange(n)
	if v == st.res.Model.Repo.View {
		return protocol.Location{URI: pathURI(joinRoot(st.root, f.Path)), Range: st.rangeIn(f.Path, r)}, true
	}
	abs, data, err := s.copyOf(v, f.Path)
	if err != nil {
		return protocol.Location{}, false
	}
	return protocol.Location{URI: pathURI(abs), Range: newLines(data).rangeOf(r)}, true
}

func (s *Server) references(_ *glsp.Context, p *protocol.ReferenceParams) ([]protocol.Location, error) {
	out := []protocol.Location{}
	c := s.locate(p.TextDocument.URI, p.Position)
	if c == nil || c.obj == nil || !c.obj.IsSource() {
		return out, nil
	}
	st := c.st
	seen := map[string]bool{}
	for _, cl := range st.res.Model.Clusters {
		if cl == nil {
			continue
		}
		for _, pull := range cl.Pulls {
			if pull.Source == nil || pull.Source.Obj != c.obj || pull.K == nil {
				continue
			}
			o := pull.K.Obj
			_, n := yamlfile.GetKV(o.Node(), "spec", "sourceRef", "name")
			if loc, ok := s.objLocation(st, o, n); ok {
				key := fmt.Sprintf("%s:%d", loc.URI, loc.Range.Start.Line)
				if !seen[key] {
					seen[key] = true
					out = append(out, loc)
				}
			}
		}
	}
	if p.Context.IncludeDeclaration {
		if loc, ok := s.objLocation(st, c.obj, nil); ok {
			out = append(out, loc)
		}
	}
	return out, nil
}

func (s *Server) hover(_ *glsp.Context, p *protocol.HoverParams) (*protocol.Hover, error) {
	c := s.locate(p.TextDocument.URI, p.Position)
	if c == nil {
		return nil, nil
	}
	var parts []string
	st := c.st
	if c.obj != nil && c.node != nil {
		switch {
		case c.obj.Kind == "GitRepository" && c.at("spec", "ref", "tag"):
			parts = append(parts, s.tagHover(st, c.obj))
		case c.at("spec", "path") && c.obj.IsFluxKustomization():
			parts = append(parts, s.pathHover(st, c.obj))
		case len(c.keys) >= 2 && c.keys[0] == "spec" && c.keys[1] == "sourceRef":
			parts = append(parts, s.sourceHover(st, c.obj))
		}
	}
	// Findings under the cursor: their rule's documentation.
	seen := map[string]bool{}
	for _, d := range st.byFile[c.file] {
		if seen[d.Rule] || !contains(d.Range, c.pos) {
			continue
		}
		seen[d.Rule] = true
		parts = append(parts, ruleDoc(d.Rule))
	}
	var nonEmpty []string
	for _, x := range parts {
		if x != "" {
			nonEmpty = append(nonEmpty, x)
		}
	}
	if len(nonEmpty) == 0 {
		return nil, nil
	}
	h := &protocol.Hover{Contents: protocol.MarkupContent{Kind: protocol.MarkupKindMarkdown, Value: strings.Join(nonEmpty, "\n\n---\n\n")}}
	if c.node != nil {
		r := c.lines.rangeOf(c.f.NodeRange(c.node))
		h.Range = &r
	}
	return h, nil
}

func ruleDoc(id string) string {
	info, ok := catalog.Lookup(id)
	if !ok {
		return ""
	}
	s := fmt.Sprintf("**%s** (%s by default): %s.", id, info.Severity, info.Doc)
	if info.Fix != "" {
		s += " Quick fix: " + info.Fix + "."
	}
	return s + fmt.Sprintf(" [Documentation](%s)", report.RuleURL(id))
}

// tagHover lists the tags of a GitRepository's repository with their
// dates, and which base paths the cluster reads changed after the pin.
func (s *Server) tagHover(st *state, o *model.Object) string {
	ss := st.res.Model.Sources.State(context.Background(), o)
	if ss.ThisRepo || ss.Repo == nil {
		if ss.OpenErr != nil {
			return fmt.Sprintf("Tags of %s cannot be read: %v", ss.URL, ss.OpenErr)
		}
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** tags (%s):\n\n", o.Name, ss.URL)
	tags := ss.Repo.Tags
	from := max(0, len(tags)-10)
	for i := len(tags) - 1; i >= from; i-- {
		t := tags[i]
		mark := ""
		if t.Name == ss.Ref.Tag {
			mark = " ← pinned"
		}
		fmt.Fprintf(&b, "- `%s` %s%s\n", t.Name, t.When.UTC().Format("2006-01-02"), mark)
	}
	newest := ss.Repo.Newest()
	if ss.Ref.Tag != "" && newest != "" && newest != ss.Ref.Tag {
		paths := st.basePaths(o)
		from, err1 := ss.Repo.Resolve(gitsrc.Ref{Tag: ss.Ref.Tag})
		to, err2 := ss.Repo.Resolve(gitsrc.Ref{Tag: newest})
		if err1 == nil && err2 == nil && len(paths) > 0 {
			changed, err := ss.Repo.Changed(from, to, paths)
			switch {
			case err != nil:
			case len(changed) == 0:
				fmt.Fprintf(&b, "\nFrom %s to %s, no base path used here changed.", ss.Ref.Tag, newest)
			default:
				fmt.Fprintf(&b, "\nFrom %s to %s, changed base paths used here: `%s`.", ss.Ref.Tag, newest, strings.Join(changed, "`, `"))
			}
		}
	}
	return b.String()
}

// basePaths are the spec.paths the Kustomizations reading a source use.
func (st *state) basePaths(o *model.Object) []string {
	seen := map[string]bool{}
	var out []string
	for _, cl := range st.res.Model.Clusters {
		if cl == nil {
			continue
		}
		for _, p := range cl.Pulls {
			if p.Source != nil && p.Source.Obj == o && p.Path != "" && !seen[p.Path] {
				seen[p.Path] = true
				out = append(out, p.Path)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) pathHover(st *state, o *model.Object) string {
	cl, pull := st.pullOf(o)
	if pull == nil {
		return ""
	}
	var b strings.Builder
	src := "this repository"
	if pull.Source != nil {
		url := yamlfile.Str(pull.Source.Obj.Node(), "spec", "url")
		src = fmt.Sprintf("%s %s", pull.Source.Obj.Kind, pull.Source.Obj.Name)
		if url != "" {
			src += " (" + url + ")"
		}
	}
	if pull.External {
		fmt.Fprintf(&b, "**%s** in %s at %s", pull.Path, src, pull.Ref)
	} else {
		fmt.Fprintf(&b, "**%s** in %s", pull.Path, src)
	}
	switch {
	case pull.Err != nil:
		fmt.Fprintf(&b, "\n\nThe source cannot be read: %v", pull.Err)
	case pull.Missing:
		b.WriteString("\n\nThe sourceRef names no source of this cluster.")
	case pull.View != nil && !pull.PathOK:
		b.WriteString("\n\nThe folder does not exist there.")
	case pull.View != nil:
		k := model.FindKustomization(pull.View, pull.Path)
		if k != "" {
			fmt.Fprintf(&b, "\n\nBuilt from `%s`", k)
		} else {
			b.WriteString("\n\nNo kustomization.yaml: Flux generates one from the YAML files of the folder")
		}
		n := 0
		for _, a := range cl.Applied {
			if a.Via == pull {
				n++
			}
		}
		fmt.Fprintf(&b, "; %d object(s) applied to %s.", n, cl.Name)
	}
	return b.String()
}

func (s *Server) sourceHover(st *state, o *model.Object) string {
	cl, pull := st.pullOf(o)
	if pull == nil || pull.Source == nil {
		if pull != nil && pull.Implicit {
			return "The bootstrap source flux-system: this repository."
		}
		if pull != nil && pull.Missing && cl != nil {
			return fmt.Sprintf("No source of cluster %s has this name.", cl.Name)
		}
		return ""
	}
	src := pull.Source.Obj
	n := src.Node()
	ss := st.res.Model.Sources.State(context.Background(), src)
	pin := ss.Ref.String()
	if ss.ThisRepo {
		pin += " (this repository)"
	}
	return fmt.Sprintf("**%s %s** (`%s`)\n\nURL: %s\n\nPin: %s", src.Kind, src.Name, src.File.Path, yamlfile.Str(n, "spec", "url"), pin)
}

func (s *Server) completion(_ *glsp.Context, p *protocol.CompletionParams) (any, error) {
	out := []protocol.CompletionItem{}
	c := s.locate(p.TextDocument.URI, p.Position)
	if c == nil {
		return out, nil
	}
	add := func(kind protocol.CompletionItemKind, detail string, labels ...string) {
		seen := map[string]bool{}
		for _, l := range labels {
			if l == "" || seen[l] {
				continue
			}
			seen[l] = true
			k, d := kind, detail
			out = append(out, protocol.CompletionItem{Label: l, Kind: &k, Detail: &d})
		}
	}
	st := c.st
	// The object of the analysis when there is one; the document as typed
	// otherwise (a new object the analysis has not seen).
	cl := (*model.Cluster)(nil)
	if c.obj != nil {
		cl, _ = st.clusterOf(c.obj)
	}
	if cl == nil {
		if name := st.res.Model.Repo.ClusterOf(c.file); name != "" {
			for _, x := range st.res.Model.Clusters {
				if x != nil && x.Name == name {
					cl = x
				}
			}
		}
	}
	kind := ""
	if c.doc != nil {
		kind = yamlfile.Str(c.doc.Root, "kind")
	}
	switch {
	case kind == "GitRepository" && c.at("spec", "ref", "tag"):
		if c.obj == nil {
			break
		}
		ss := st.res.Model.Sources.State(context.Background(), c.obj)
		if ss.Repo != nil {
			names := ss.Repo.TagNames()
			for i := len(names) - 1; i >= 0; i-- {
				add(protocol.CompletionItemKindValue, "tag of "+ss.URL, names[i])
			}
		}
	case c.at("spec", "sourceRef", "name") && cl != nil:
		var names []string
		want := yamlfile.Str(c.doc.Root, "spec", "sourceRef", "kind")
		for _, a := range cl.Applied {
			if a.Obj.IsSource() && (want == "" || a.Obj.Kind == want) {
				names = append(names, a.Obj.Name)
			}
		}
		sort.Strings(names)
		add(protocol.CompletionItemKindReference, "source of "+cl.Name, names...)
	case c.at("spec", "dependsOn", "-", "name") && cl != nil:
		var names []string
		for _, a := range cl.Applied {
			if a.Obj.Kind == kind && a.Obj != c.obj {
				names = append(names, a.Obj.Name)
			}
		}
		sort.Strings(names)
		add(protocol.CompletionItemKindReference, kind+" of "+cl.Name, names...)
	case c.at("spec", "path") && kind == "Kustomization":
		var v *view.View
		if c.obj != nil {
			if _, pull := st.pullOf(c.obj); pull != nil {
				v = pull.View
			}
		}
		if v == nil {
			v = st.res.Model.Repo.View
		}
		add(protocol.CompletionItemKindFolder, "folder with a kustomization", kustomizationDirs(v, 5000)...)
	case model.IsKustomizationFile(c.file) && len(c.keys) == 2 && c.keys[1] == "-" && (c.keys[0] == "resources" || c.keys[0] == "components"):
		dir := path.Dir(c.file)
		var names []string
		for _, e := range st.res.Model.Repo.View.ReadDir(dir) {
			if e.IsDir() {
				names = append(names, "./"+e.Name())
			} else if (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) && !model.IsKustomizationFile(e.Name()) {
				names = append(names, "./"+e.Name())
			}
		}
		for _, e := range st.res.Model.Repo.View.ReadDir(path.Dir(dir)) {
			if e.IsDir() && e.Name() != path.Base(dir) {
				names = append(names, "../"+e.Name())
			}
		}
		sort.Strings(names)
		add(protocol.CompletionItemKindFile, "next to "+c.file, names...)
	}
	return out, nil
}

// kustomizationDirs lists the folders of a view holding a kustomization.
func kustomizationDirs(v *view.View, limit int) []string {
	var out []string
	n := 0
	_ = fs.WalkDir(v.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if n++; n > limit {
			return fs.SkipAll
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return fs.SkipDir
		}
		if !d.IsDir() && model.IsKustomizationFile(p) {
			out = append(out, "./"+path.Dir(p))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func (s *Server) documentSymbol(_ *glsp.Context, p *protocol.DocumentSymbolParams) (any, error) {
	out := []protocol.DocumentSymbol{}
	abs, ok := uriPath(p.TextDocument.URI)
	if !ok {
		return out, nil
	}
	s.mu.Lock()
	var text []byte
	if d := s.docs[abs]; d != nil {
		text = d.text
	}
	root := s.root
	s.mu.Unlock()
	if text == nil {
		return out, nil // symbols are asked for open documents
	}
	if len(text) > maxDocument {
		return out, nil
	}
	f := yamlfile.Parse(rel(root, abs), text)
	l := newLines(text)
	for i, d := range f.Docs {
		if d.Root == nil || d.Root.Kind != yaml.MappingNode {
			continue
		}
		kind, name := yamlfile.Str(d.Root, "kind"), yamlfile.Str(d.Root, "metadata", "name")
		api := yamlfile.Str(d.Root, "apiVersion")
		if kind == "" {
			continue
		}
		start := protocol.Position{Line: uint32(max(d.Root.Line-1, 0))}
		end := l.end()
		if i+1 < len(f.Docs) && f.Docs[i+1].Root != nil && f.Docs[i+1].Root.Line > 1 {
			end = protocol.Position{Line: uint32(f.Docs[i+1].Root.Line - 2)}
			if ln := l.line(int(end.Line)); ln != nil {
				end.Character = uint32(utf16Len(ln))
			}
		}
		if end.Line < start.Line {
			end = start
		}
		sel := protocol.Range{Start: start, End: start}
		if _, n := yamlfile.GetKV(d.Root, "metadata", "name"); n != nil {
			sel = l.rangeOf(f.NodeRange(n))
		}
		label := kind
		if name != "" {
			label = kind + " " + name
		}
		sk := protocol.SymbolKindObject
		if strings.Contains(api, "toolkit.fluxcd.io") {
			sk = protocol.SymbolKindModule
		}
		detail := api
		out = append(out, protocol.DocumentSymbol{Name: label, Detail: &detail, Kind: sk, Range: protocol.Range{Start: start, End: end}, SelectionRange: sel})
	}
	return out, nil
}

func (s *Server) codeLens(_ *glsp.Context, p *protocol.CodeLensParams) ([]protocol.CodeLens, error) {
	out := []protocol.CodeLens{}
	abs, ok := uriPath(p.TextDocument.URI)
	if !ok {
		return out, nil
	}
	s.mu.Lock()
	st := s.last
	s.mu.Unlock()
	if st == nil {
		return out, nil
	}
	file := rel(st.root, abs)
	snap := st.res.Model
	sf, err := snap.Repo.View.YAML(file)
	if file == "" || err != nil || sf == nil {
		return out, nil
	}
	lens := func(r diag.Range, title, cmd string, args ...any) {
		l := protocol.CodeLens{Range: st.rangeIn(file, r)}
		l.Command = &protocol.Command{Title: title, Command: cmd}
		if len(args) > 0 {
			l.Command.Arguments = args
		}
		out = append(out, l)
	}
	for _, o := range snap.Repo.ObjectsIn(snap.Repo.View, sf) {
		if o.Kind != "GitRepository" || !o.IsSource() {
			continue
		}
		_, tagNode := yamlfile.GetKV(o.Node(), "spec", "ref", "tag")
		if tagNode == nil {
			continue
		}
		ss := snap.Sources.State(context.Background(), o)
		if ss.Repo == nil {
			continue
		}
		cl, _ := st.clusterOf(o)
		cluster := ""
		if cl != nil {
			cluster = cl.Name
		}
		r := o.File.NodeRange(tagNode)
		title := ss.Ref.Tag
		newest := ss.Repo.Newest()
		if newest != "" && newest != ss.Ref.Tag && ss.Repo.TagIndex(newest) > ss.Repo.TagIndex(ss.Ref.Tag) {
			lens(r, fmt.Sprintf("%s · %s available", title, newest), "gitops.pin", map[string]any{"source": o.Name, "cluster": cluster, "to": newest})
		} else {
			lens(r, title+" · newest", "")
		}
		if ss.Repo.TagIndex(ss.Ref.Tag) > 0 {
			lens(r, "pin previous", "gitops.pin", map[string]any{"source": o.Name, "cluster": cluster, "to": "previous"})
		}
	}
	// Above a service's Flux Kustomizations file: how the service stands in
	// the environments after this one.
	if svc, env := serviceOf(snap.Repo, file); svc != "" && strings.Contains(file, "/services/fluxcd/") {
		objs := snap.Repo.ObjectsIn(snap.Repo.View, sf)
		if len(objs) > 0 {
			if m, err := promote.EnvMatrix(snap); err == nil {
				if t, next := envLens(m, svc, env); t != "" {
					var args []any
					cmd := ""
					if next != "" {
						cmd = "gitops.promote"
						args = []any{map[string]any{"service": svc, "from": env, "to": next}}
					}
					lens(o0Range(objs[0]), t, cmd, args...)
				}
			}
		}
	}
	return out, nil
}

func o0Range(o *model.Object) diag.Range {
	n := o.Node()
	return diag.Range{Start: diag.Pos{Line: n.Line, Col: 1}, End: diag.Pos{Line: n.Line, Col: 1}}
}

// envLens describes a service in the environments after env
// ("staging-cluster: same · prod-cluster: 2 files differ") and names the
// next environment when promoting there would change something.
func envLens(m *promote.Matrix, svc, env string) (string, string) {
	cells := m.Cells[svc]
	idx := -1
	for i, e := range m.Envs {
		if e == env {
			idx = i
		}
	}
	if idx < 0 || idx+1 >= len(m.Envs) || len(cells) != len(m.Envs) {
		return "", ""
	}
	var parts []string
	next := ""
	for i := idx + 1; i < len(m.Envs); i++ {
		c := cells[i]
		var s string
		switch {
		case !c.Present:
			s = "absent"
		case c.Status == "same":
			s = "same"
		case c.Status == "different" && c.Differ == 1:
			s = "1 file differs"
		case c.Status == "different":
			s = fmt.Sprintf("%d files differ", c.Differ)
		default:
			s = "present"
		}
		if i == idx+1 && s != "same" {
			next = m.Envs[i]
		}
		parts = append(parts, m.Envs[i]+": "+s)
	}
	return strings.Join(parts, " · "), next
}

func (s *Server) didChangeWatchedFiles(_ *glsp.Context, p *protocol.DidChangeWatchedFilesParams) error {
	s.mu.Lock()
	root := s.root
	s.mu.Unlock()
	for _, c := range p.Changes {
		if abs, ok := uriPath(c.URI); ok {
			if r := rel(root, abs); r != "" {
				s.disk.changed(r)
			}
		}
	}
	s.changed()
	return nil
}
