// Package build renders one Flux Kustomization of a cluster the way
// kustomize-controller applies it, offline: the kustomize build of
// spec.path in the source the Kustomization names (this repository, or a
// base at the ref it pins, with the source's ignore rules applied), the
// spec fields Flux merges into the build, postBuild substitution, the
// owner labels and commonMetadata, in Flux's order. Every object carries
// the cluster, the Kustomization and the source file it comes from, so
// that the command line and the language server show the same render.
package build

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// Flux's owner labels, set on every object a Kustomization applies.
const (
	LabelName      = "kustomize.toolkit.fluxcd.io/name"
	LabelNamespace = "kustomize.toolkit.fluxcd.io/namespace"
)

// Kustomization is one Flux Kustomization of one cluster.
type Kustomization struct {
	Cluster   string
	Namespace string
	Name      string
	// Source labels the repository that defines the Kustomization: "" for
	// the analysed repository, else "source@ref" of a base.
	Source string
	File   string // the file that defines it, relative to its repository
	Range  diag.Range
	pull   *model.Pull
}

// ID is NAMESPACE/NAME, or NAME when the namespace is not set.
func (k Kustomization) ID() string {
	if k.Namespace == "" {
		return k.Name
	}
	return k.Namespace + "/" + k.Name
}

// Object is one object the Kustomization applies.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// Doc is the object as Flux applies it. SOPS-encrypted values are
	// still ciphertext and Secret values are not masked: Mask does that
	// for display.
	Doc map[string]any
	// Source labels where the file was read: "" for the analysed
	// repository, else "source@ref" of a base.
	Source string
	// File is the file the object was read from, relative to its source
	// root; for a generated object, the kustomization whose generator made
	// it (Generated is then set).
	File      string
	Generated bool
}

// Result is the render of one Kustomization.
type Result struct {
	Kustomization Kustomization
	// Source and Path say where spec.path was read ("" Source: the
	// analysed repository).
	Source string
	Path   string
	// Objects in the order kustomize emits them (the order of the
	// resources as listed, unless the kustomization sets sortOptions), the
	// order `flux build kustomization` prints them in.
	Objects []Object
	// Warnings say where the render may differ from the cluster's, such
	// as variables whose source cannot be read offline.
	Warnings []string
	// Err is set when the build fails, at the file and line it comes from.
	Err *diag.Diagnostic
}

// Options tune a Builder.
type Options struct {
	// Renderer is shared with the analysis when the caller has one, so
	// its cache serves both. nil: a new one.
	Renderer *render.Renderer
}

// Builder renders the Kustomizations of one analysed snapshot. It is safe
// for concurrent use.
type Builder struct {
	snap *analysis.Model
	rend *render.Renderer
	mu   sync.Mutex
	ign  map[ignoreKey]*ignoreRules
}

// New returns a Builder for the snapshot.
func New(snap *analysis.Model, opts Options) *Builder {
	r := opts.Renderer
	if r == nil {
		r = render.New()
	}
	return &Builder{snap: snap, rend: r, ign: map[ignoreKey]*ignoreRules{}}
}

// List returns every Flux Kustomization of every cluster, by cluster, then
// file.
func List(snap *analysis.Model) []Kustomization {
	var out []Kustomization
	for _, cl := range snap.Clusters {
		for _, p := range cl.Pulls {
			out = append(out, kustomizationOf(cl, p))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Cluster < out[j].Cluster })
	return out
}

func kustomizationOf(cl *model.Cluster, p *model.Pull) Kustomization {
	o := p.K.Obj
	k := Kustomization{Cluster: cl.Name, Namespace: p.K.Namespace, Name: o.Name, Source: o.View.Label, File: o.File.Path, pull: p}
	if k.Namespace == "" {
		k.Namespace = o.Namespace
	}
	n, _ := yamlfile.FindPointer(o.Node(), []string{"metadata", "name"})
	if n == nil {
		n = o.Node()
	}
	k.Range = o.File.NodeRange(n)
	return k
}

// NotFoundError says that no Kustomization has the name; Closest are the
// nearest names (NAMESPACE/NAME) that exist.
type NotFoundError struct {
	Name    string
	Cluster string
	Closest []string
}

func (e *NotFoundError) Error() string {
	where := ""
	if e.Cluster != "" {
		where = " in cluster " + e.Cluster
	}
	msg := fmt.Sprintf("no Flux Kustomization %q%s", e.Name, where)
	if len(e.Closest) > 0 {
		msg += "; closest: " + strings.Join(e.Closest, ", ")
	}
	return msg
}

// AmbiguousError says that several clusters (or several objects of one
// cluster) define the name.
type AmbiguousError struct {
	Name    string
	Matches []Kustomization
}

func (e *AmbiguousError) Error() string {
	var where []string
	for _, k := range e.Matches {
		where = append(where, fmt.Sprintf("%s (cluster %s, %s)", k.ID(), k.Cluster, k.File))
	}
	return fmt.Sprintf("%q names %d Flux Kustomizations: %s; pick one with --cluster", e.Name, len(e.Matches), strings.Join(where, "; "))
}

// Clusters lists the clusters of the matches, each once.
func (e *AmbiguousError) Clusters() []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range e.Matches {
		if !seen[k.Cluster] {
			seen[k.Cluster] = true
			out = append(out, k.Cluster)
		}
	}
	return out
}

// Find picks the Kustomization a user names: NAME or NAMESPACE/NAME,
// optionally in one cluster.
func Find(list []Kustomization, name, cluster string) (Kustomization, error) {
	ns, n, hasNS := strings.Cut(name, "/")
	if !hasNS {
		n, ns = name, ""
	}
	var matches []Kustomization
	for _, k := range list {
		if k.Name != n || (hasNS && k.Namespace != ns) || (cluster != "" && k.Cluster != cluster) {
			continue
		}
		matches = append(matches, k)
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return Kustomization{}, &NotFoundError{Name: name, Cluster: cluster, Closest: closest(list, name, cluster)}
	}
	return Kustomization{}, &AmbiguousError{Name: name, Matches: matches}
}

// closest returns up to five names nearest to name by edit distance.
func closest(list []Kustomization, name, cluster string) []string {
	type cand struct {
		id string
		d  int
	}
	seen := map[string]bool{}
	var cs []cand
	for _, k := range list {
		if cluster != "" && k.Cluster != cluster {
			continue
		}
		id := k.ID()
		if seen[id] {
			continue
		}
		seen[id] = true
		d := min(distance(name, id), distance(name, k.Name))
		if strings.Contains(k.Name, name) || strings.Contains(name, k.Name) {
			d = min(d, 1)
		}
		cs = append(cs, cand{id, d})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].id < cs[j].id
	})
	limit := max(3, len(name)/2)
	var out []string
	for _, c := range cs {
		if len(out) == 5 || c.d > limit {
			break
		}
		out = append(out, c.id)
	}
	return out
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Build renders one Kustomization.
func (b *Builder) Build(ctx context.Context, k Kustomization) *Result {
	p := k.pull
	res := &Result{Kustomization: k, Path: p.Path}
	if p.View != nil {
		res.Source = pullSource(p)
	}
	if msg, n := unresolved(p); msg != "" {
		res.Err = b.at(k, n, msg)
		return res
	}
	req, warnings, err := b.request(k)
	res.Warnings = warnings
	if err != nil {
		res.Err = b.at(k, yamlfile.Get(p.K.Obj.Node(), "spec", "postBuild"), err.Error())
		return res
	}
	if problems, _ := render.NoKustomizationProblems(req.FS, req.Path); len(problems) > 0 {
		msg := fmt.Sprintf("%s has no kustomization.yaml, so Flux generates one from every YAML file below it, and %s is not a Kubernetes object: the build fails", label(p), problems[0])
		d := b.at(k, p.PathNode, msg)
		d.Related = append(d.Related, diag.Related{File: problems[0], Range: firstLine(), Message: "not a Kubernetes object" + inSource(p)})
		res.Err = d
		return res
	}
	r := b.rend.Render(ctx, req)
	for _, rm := range r.Remotes {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s lists the remote %s %s, which is never fetched: what it adds is missing from this render (Flux fetches it in the cluster)", rm.File, strings.TrimSuffix(rm.Field, "s"), rm.Entry))
	}
	if r.Err != nil {
		res.Err = b.buildError(k, r)
		return res
	}
	spec := yamlfile.Get(p.K.Obj.Node(), "spec")
	labels := yamlfile.StringMap(yamlfile.Get(spec, "commonMetadata", "labels"))
	annotations := yamlfile.StringMap(yamlfile.Get(spec, "commonMetadata", "annotations"))
	for _, ro := range r.Objects {
		o := Object{APIVersion: ro.APIVersion, Kind: ro.Kind, Namespace: ro.Namespace, Name: ro.Name, Doc: ro.Doc, Source: pullSource(p), File: ro.Origin}
		if o.File == "" && ro.GeneratedBy != "" {
			o.File, o.Generated = ro.GeneratedBy, true
		}
		if o.APIVersion == "" || o.Kind == "" || o.Name == "" {
			// kustomize-controller refuses the whole build.
			res.Err = b.at(k, p.PathNode, fmt.Sprintf("kustomize build of %s fails: an object in %s has no apiVersion, kind or metadata.name (failed to decode Kubernetes apiVersion, kind and name)", label(p), o.File))
			res.Objects = nil
			return res
		}
		// Flux's order: owner labels on the build output, then
		// commonMetadata when applying, on the object's own metadata only.
		setMetadata(o.Doc, "labels", map[string]string{LabelName: k.Name, LabelNamespace: k.Namespace})
		setMetadata(o.Doc, "labels", labels)
		setMetadata(o.Doc, "annotations", annotations)
		res.Objects = append(res.Objects, o)
	}
	return res
}

// BuildRoot renders the root folder of a cluster when no Flux
// Kustomization of the repository applies it (the bootstrap Kustomization
// then lives only in the cluster, so no owner labels are known). It
// returns nil when a Kustomization of the repository covers the root.
func (b *Builder) BuildRoot(ctx context.Context, cluster string) *Result {
	cl := b.cluster(cluster)
	if cl == nil {
		return nil
	}
	repo := b.snap.Repo.View
	for _, p := range cl.Pulls {
		if p.View == repo && p.Path == cl.Root {
			return nil
		}
	}
	if ok, isDir := repo.Stat(cl.Root); !ok || !isDir {
		return nil
	}
	res := &Result{Kustomization: Kustomization{Cluster: cluster}, Path: cl.Root}
	fsys, err := b.filteredView(repo, "")
	if err != nil {
		res.Err = &diag.Diagnostic{Rule: "kustomize/build", Severity: diag.Error, File: cl.Root, Range: firstLine(), Message: err.Error()}
		return res
	}
	r := b.rend.Render(ctx, render.Request{FS: fsys, Path: cl.Root})
	if r.Err != nil {
		file := r.ErrFile
		if file == "" {
			file = model.FindKustomization(repo, cl.Root)
		}
		res.Err = &diag.Diagnostic{Rule: "kustomize/build", Severity: diag.Error, File: file, Range: firstLine(),
			Message: fmt.Sprintf("kustomize build of the cluster root %s fails: %v", cl.Root, r.Err)}
		return res
	}
	for _, ro := range r.Objects {
		o := Object{APIVersion: ro.APIVersion, Kind: ro.Kind, Namespace: ro.Namespace, Name: ro.Name, Doc: ro.Doc, File: ro.Origin}
		if o.File == "" && ro.GeneratedBy != "" {
			o.File, o.Generated = ro.GeneratedBy, true
		}
		res.Objects = append(res.Objects, o)
	}
	return res
}

// unresolved explains a Kustomization whose path cannot be built, and the
// node to report it at.
func unresolved(p *model.Pull) (string, *yaml.Node) {
	n := p.K.Obj.Node()
	ref := yamlfile.Get(n, "spec", "sourceRef")
	switch {
	case p.Missing:
		return fmt.Sprintf("sourceRef %s %s matches no source applied to this cluster", yamlfile.Str(ref, "kind"), yamlfile.Str(ref, "name")), ref
	case p.Err != nil:
		return fmt.Sprintf("the source cannot be read: %v (pass --mirror URL=DIR, or drop --offline)", p.Err), ref
	case p.Skipped != "":
		return "the source is not followed: " + p.Skipped, ref
	case p.View == nil:
		return "the source cannot be resolved", ref
	case p.PathNode == nil:
		return "spec.path is not set", n
	case strings.HasPrefix(p.Path, ".."):
		return fmt.Sprintf("path %q is outside the source root", p.Path), p.PathNode
	case !p.PathOK:
		where := pullSource(p)
		if where == "" {
			where = "this repository"
		}
		return fmt.Sprintf("path %q does not exist in %s", p.Path, where), p.PathNode
	}
	return "", nil
}

// pullSource labels the source a Kustomization reads: "" for the
// analysed repository, else the source's name and the ref it pins (the
// view of a base is shared by every source pinning the same commit, and
// carries the first one's name).
func pullSource(p *model.Pull) string {
	if p.View == nil || p.View.Label == "" {
		return ""
	}
	if p.Source != nil && p.Ref != "" {
		return p.Source.Obj.Name + "@" + strings.TrimPrefix(p.Ref, "branch ")
	}
	return p.View.Label
}

func inSource(p *model.Pull) string {
	if s := pullSource(p); s != "" {
		return " (" + s + ")"
	}
	return ""
}

func label(p *model.Pull) string {
	if s := pullSource(p); s != "" {
		return p.Path + " in " + s
	}
	return p.Path
}

func firstLine() diag.Range {
	return diag.Range{Start: diag.Pos{Line: 1, Col: 1}, End: diag.Pos{Line: 1, Col: 1}}
}

// at is a kustomize/build error at a node of the Kustomization's file.
func (b *Builder) at(k Kustomization, n *yaml.Node, msg string) *diag.Diagnostic {
	o := k.pull.K.Obj
	rg := k.Range
	if n != nil {
		rg = o.File.NodeRange(n)
	}
	d := &diag.Diagnostic{Rule: "kustomize/build", Severity: diag.Error, File: o.File.Path, Range: rg, Message: msg}
	if o.View.Label != "" {
		d.Message += " (" + o.View.Label + ")"
	}
	return d
}

// buildError reports a failed kustomize build where it comes from: a YAML
// error of the file the build names, else the Kustomization's spec.path
// with the file as related information.
func (b *Builder) buildError(k Kustomization, r render.Result) *diag.Diagnostic {
	p := k.pull
	msg := fmt.Sprintf("kustomize build of %s fails: %v", label(p), r.Err)
	if p.View == b.snap.Repo.View {
		// A file that does not parse: at its syntax error, as check says.
		files := []string{r.ErrFile}
		if r.ErrFile != "" && r.ErrEntry != "" {
			if f, ok := view.Clean(path.Join(path.Dir(r.ErrFile), strings.TrimSpace(r.ErrEntry))); ok {
				files = append(files, f)
			}
		}
		for _, file := range files {
			if file == "" {
				continue
			}
			if f, err := p.View.YAML(file); err == nil && f != nil {
				for _, d := range f.Diags {
					if d.Severity == diag.Error {
						d.Message = fmt.Sprintf("kustomize build of %s fails: %s", label(p), d.Message)
						d.Rule = "kustomize/build"
						return &d
					}
				}
			}
		}
	}
	d := b.at(k, p.PathNode, msg)
	if r.ErrFile != "" {
		rel := diag.Related{File: r.ErrFile, Range: firstLine(), Message: "where the build fails" + inSource(p)}
		if r.ErrEntry != "" {
			if data, err := p.View.Read(r.ErrFile); err == nil {
				if pos, ok := posOf(data, r.ErrEntry); ok {
					rel.Range = diag.Range{Start: pos, End: pos}
				}
			}
		}
		d.Related = append(d.Related, rel)
	}
	return d
}

// posOf is the position of the first occurrence of s in src.
func posOf(src []byte, s string) (diag.Pos, bool) {
	s = strings.TrimSpace(s)
	i := strings.Index(string(src), s)
	if i < 0 || s == "" {
		return diag.Pos{}, false
	}
	line := strings.Count(string(src[:i]), "\n") + 1
	col := i - strings.LastIndex(string(src[:i]), "\n")
	return diag.Pos{Line: line, Col: col, Offset: i}, true
}

// request turns the Kustomization's spec into a render request with the
// fields kustomize-controller merges into the generated kustomization.
// commonMetadata is left out: Flux sets it on each object's metadata after
// the build, not through kustomize (which would reach pod templates too).
func (b *Builder) request(k Kustomization) (render.Request, []string, error) {
	p := k.pull
	spec := yamlfile.Get(p.K.Obj.Node(), "spec")
	fsys, err := b.filtered(p)
	if err != nil {
		return render.Request{}, nil, err
	}
	req := render.Request{
		FS:              fsys,
		Path:            p.Path,
		TargetNamespace: yamlfile.Str(spec, "targetNamespace"),
		NamePrefix:      yamlfile.Str(spec, "namePrefix"),
		NameSuffix:      yamlfile.Str(spec, "nameSuffix"),
	}
	for _, it := range yamlfile.Items(yamlfile.Get(spec, "patches")) {
		var pt render.Patch
		if it.Decode(&pt) == nil && pt.Patch != "" {
			req.Patches = append(req.Patches, pt)
		}
	}
	for _, it := range yamlfile.Items(yamlfile.Get(spec, "images")) {
		var im render.Image
		if it.Decode(&im) == nil && im.Name != "" {
			req.Images = append(req.Images, im)
		}
	}
	for _, it := range yamlfile.Items(yamlfile.Get(spec, "components")) {
		if yamlfile.IsScalar(it) {
			if yamlfile.Str(spec, "ignoreMissingComponents") == "true" {
				if ok, _ := p.View.Stat(path.Join(p.Path, it.Value)); !ok {
					continue
				}
			}
			req.Components = append(req.Components, it.Value)
		}
	}
	vars, warnings, err := b.vars(k)
	if err != nil {
		return req, warnings, err
	}
	req.Substitute = vars.values
	req.KeepUndefined = vars.opaque
	return req, warnings, nil
}

// setMetadata merges m into metadata.<field> of doc.
func setMetadata(doc map[string]any, field string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	md, _ := doc["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		doc["metadata"] = md
	}
	cur, _ := md[field].(map[string]any)
	if cur == nil {
		cur = map[string]any{}
		md[field] = cur
	}
	for k, v := range m {
		cur[k] = v
	}
}
