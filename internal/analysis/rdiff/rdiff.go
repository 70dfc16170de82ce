// Package rdiff compares what Flux applies to each cluster in two states
// of a repository (a revision and the working tree, say): every Flux
// Kustomization of every cluster is rendered on both sides with package
// build, and objects are matched by (cluster, kind, namespace, name).
// Secret values never appear in the result.
package rdiff

import (
	"context"
	"encoding/base64"
	"fmt"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/kinds"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/build"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/pool"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/promote"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
)

// Kinds of change.
const (
	Added     = "added"
	Removed   = "removed"
	Changed   = "changed"
	Unchanged = "unchanged"
)

// MaxObjectBytes is the size of an object's YAML above which its diff is
// summarised rather than printed.
const MaxObjectBytes = 256 << 10

// RootLabel names the objects of a cluster root that no Flux Kustomization
// of the repository applies.
const RootLabel = "(cluster root)"

// Options tune a comparison.
type Options struct {
	// Clusters limits the comparison to these clusters; empty: all.
	Clusters []string
	// Renderer is shared by both sides so that builds whose files did not
	// change are served from its cache. nil: a new one.
	Renderer *render.Renderer
}

// Change is one object that differs (or not) between the two sides.
type Change struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Change    string `json:"change"`
	// Kustomization (NAMESPACE/NAME) and file that produce the object on
	// the new side (the old side for a removed object).
	Kustomization string `json:"kustomization"`
	Source        string `json:"source,omitempty"`
	File          string `json:"file,omitempty"`
	// Diff is a unified diff of the object's YAML, Secret values masked;
	// "" when Note says why it is not printed.
	Diff string `json:"diff,omitempty"`
	// Note summarises what cannot be printed: encrypted content, Secret
	// keys whose values changed, large or binary objects.
	Note string `json:"note,omitempty"`
}

// Failure is a Kustomization that does not render on one side: its
// objects are left out of the comparison on both sides.
type Failure struct {
	Kustomization string           `json:"kustomization"`
	Side          string           `json:"side"` // "old" or "new"
	Error         *diag.Diagnostic `json:"-"`
	Message       string           `json:"message"`
	File          string           `json:"file"`
	Line          int              `json:"line"`
}

// Duplicate is an identity two objects of one side share: both are
// reported, neither is compared.
type Duplicate struct {
	Kind           string   `json:"kind"`
	Namespace      string   `json:"namespace,omitempty"`
	Name           string   `json:"name"`
	Side           string   `json:"side"`
	Kustomizations []string `json:"kustomizations"`
	Files          []string `json:"files"`
}

// Counts of changes.
type Counts struct {
	Added     int `json:"added"`
	Removed   int `json:"removed"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Failures  int `json:"failures"`
}

// Cluster is the comparison of one cluster.
type Cluster struct {
	Cluster    string      `json:"cluster"`
	Objects    []Change    `json:"objects"`
	Failures   []Failure   `json:"failures,omitempty"`
	Duplicates []Duplicate `json:"duplicates,omitempty"`
	Counts     Counts      `json:"counts"`
}

// Report is the whole comparison; clusters sorted by name, objects by
// kind, namespace and name.
type Report struct {
	Clusters []Cluster `json:"clusters"`
}

// Summary adds up the counts of every cluster.
func (r *Report) Summary() Counts {
	var s Counts
	for _, c := range r.Clusters {
		s.Added += c.Counts.Added
		s.Removed += c.Counts.Removed
		s.Changed += c.Counts.Changed
		s.Unchanged += c.Counts.Unchanged
		s.Failures += c.Counts.Failures
	}
	return s
}

// Compare renders both snapshots and compares them cluster by cluster.
// Clusters present on one side only compare with nothing.
func Compare(ctx context.Context, old, cur *analysis.Snapshot, opts Options) *Report {
	rend := opts.Renderer
	if rend == nil {
		rend = render.New()
	}
	want := map[string]bool{}
	for _, c := range opts.Clusters {
		want[c] = true
	}
	oldSide := renderSide(ctx, old, rend, want)
	curSide := renderSide(ctx, cur, rend, want)
	names := map[string]bool{}
	for n := range oldSide {
		names[n] = true
	}
	for n := range curSide {
		names[n] = true
	}
	rep := &Report{}
	for _, n := range sortedKeys(names) {
		rep.Clusters = append(rep.Clusters, compareCluster(n, oldSide[n], curSide[n]))
	}
	return rep
}

// side is what one state renders for one cluster.
type side struct {
	results []*build.Result
}

// renderSide renders every Kustomization (and uncovered cluster root) of
// a snapshot, in parallel.
func renderSide(ctx context.Context, snap *analysis.Snapshot, rend *render.Renderer, want map[string]bool) map[string]*side {
	out := map[string]*side{}
	if snap == nil {
		return out
	}
	b := build.New(snap, build.Options{Renderer: rend})
	type job struct {
		k    build.Kustomization
		root string
		res  *build.Result
	}
	var jobs []*job
	for _, cl := range snap.Clusters {
		if len(want) > 0 && !want[cl.Name] {
			continue
		}
		out[cl.Name] = &side{}
		jobs = append(jobs, &job{root: cl.Name})
	}
	for _, k := range build.List(snap) {
		if _, ok := out[k.Cluster]; ok {
			jobs = append(jobs, &job{k: k})
		}
	}
	pool.Each(jobs, func(j *job) {
		if j.root != "" {
			j.res = b.BuildRoot(ctx, j.root)
		} else {
			j.res = b.Build(ctx, j.k)
		}
	})
	for _, j := range jobs {
		if j.res == nil {
			continue
		}
		s := out[j.res.Kustomization.Cluster]
		s.results = append(s.results, j.res)
	}
	return out
}

// identity is an object's identity in a cluster: group, kind, namespace
// and name (the version is not part of it).
type identity struct{ group, kind, namespace, name string }

type placed struct {
	obj  build.Object
	from string // Kustomization label
}

// index maps identities to objects, collecting duplicates and the
// Kustomizations that failed.
func index(s *side, label string, c *Cluster) (map[identity][]placed, map[string]bool) {
	objs := map[identity][]placed{}
	failed := map[string]bool{}
	if s == nil {
		return objs, failed
	}
	for _, r := range s.results {
		k := kustomizationLabel(r.Kustomization)
		if r.Err != nil {
			failed[k] = true
			c.Failures = append(c.Failures, Failure{Kustomization: k, Side: label, Error: r.Err, Message: r.Err.Message, File: r.Err.File, Line: r.Err.Range.Start.Line})
			continue
		}
		for _, o := range r.Objects {
			id := identity{kinds.Group(o.APIVersion), o.Kind, o.Namespace, o.Name}
			objs[id] = append(objs[id], placed{obj: o, from: k})
		}
	}
	return objs, failed
}

// mergeFailures reports a Kustomization that fails the same way on both
// sides once, as "both".
func mergeFailures(fs []Failure) []Failure {
	type key struct{ k, msg string }
	first := map[key]int{}
	var out []Failure
	for _, f := range fs {
		kk := key{f.Kustomization, f.Message}
		if i, ok := first[kk]; ok && out[i].Side != f.Side {
			out[i].Side = "both"
			continue
		}
		first[kk] = len(out)
		out = append(out, f)
	}
	return out
}

func kustomizationLabel(k build.Kustomization) string {
	if k.Name == "" {
		return RootLabel
	}
	return k.ID()
}

func compareCluster(name string, old, cur *side) Cluster {
	c := Cluster{Cluster: name}
	oldObjs, oldFailed := index(old, "old", &c)
	curObjs, curFailed := index(cur, "new", &c)
	c.Failures = mergeFailures(c.Failures)
	c.Counts.Failures = len(c.Failures)
	skip := func(ps []placed) bool {
		for _, p := range ps {
			if oldFailed[p.from] || curFailed[p.from] {
				return true // unknown on the failing side: not a removal or addition
			}
		}
		return false
	}
	ids := map[identity]bool{}
	for id := range oldObjs {
		ids[id] = true
	}
	for id := range curObjs {
		ids[id] = true
	}
	var list []identity
	for id := range ids {
		list = append(list, id)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.namespace != b.namespace {
			return a.namespace < b.namespace
		}
		return a.name < b.name
	})
	for _, id := range list {
		o, n := oldObjs[id], curObjs[id]
		if skip(o) || skip(n) {
			continue
		}
		dup := false
		for _, d := range []struct {
			ps   []placed
			side string
		}{{o, "old"}, {n, "new"}} {
			if len(d.ps) > 1 {
				dup = true
				du := Duplicate{Kind: id.kind, Namespace: id.namespace, Name: id.name, Side: d.side}
				for _, p := range d.ps {
					du.Kustomizations = append(du.Kustomizations, p.from)
					du.Files = append(du.Files, fileLabel(p.obj))
				}
				c.Duplicates = append(c.Duplicates, du)
			}
		}
		if dup {
			continue
		}
		ch := compareObject(id, o, n)
		switch ch.Change {
		case Added:
			c.Counts.Added++
		case Removed:
			c.Counts.Removed++
		case Changed:
			c.Counts.Changed++
		case Unchanged:
			c.Counts.Unchanged++
		}
		c.Objects = append(c.Objects, ch)
	}
	return c
}

func fileLabel(o build.Object) string {
	if o.Source == "" {
		return o.File
	}
	return o.Source + ":" + o.File
}

// compareObject compares one identity present once on one or both sides.
func compareObject(id identity, old, cur []placed) Change {
	ch := Change{Kind: id.kind, Namespace: id.namespace, Name: id.name}
	var before, after *build.Object
	where := old
	if len(old) == 1 {
		before = &old[0].obj
	}
	if len(cur) == 1 {
		after = &cur[0].obj
		where = cur
	}
	ch.Kustomization = where[0].from
	ch.Source, ch.File = where[0].obj.Source, where[0].obj.File
	switch {
	case before == nil:
		ch.Change = Added
	case after == nil:
		ch.Change = Removed
	default:
		ch.Change = Changed
	}
	if before != nil && after != nil && reflect.DeepEqual(before.Doc, after.Doc) {
		ch.Change = Unchanged // the common case, without encoding either
		return ch
	}
	rawOld, rawNew := yamlOf(before, true), yamlOf(after, true)
	if before != nil && after != nil && rawOld == rawNew {
		ch.Change = Unchanged
		return ch
	}
	obj := after
	if obj == nil {
		obj = before
	}
	if isSecret(before) || isSecret(after) {
		if build.IsSOPS(docOf(before)) || build.IsSOPS(docOf(after)) {
			// Ciphertext is compared, never shown.
			if ch.Change == Changed {
				ch.Note = "encrypted, changed"
			} else {
				ch.Note = "encrypted"
			}
			return ch
		}
		ch.Note = secretKeys(docOf(before), docOf(after))
	}
	if len(rawOld) > MaxObjectBytes || len(rawNew) > MaxObjectBytes {
		ch.Note = joinNote(ch.Note, fmt.Sprintf("large object (%d bytes before, %d after), not printed", len(rawOld), len(rawNew)))
		return ch
	}
	if binary(obj) || binary(before) {
		ch.Note = joinNote(ch.Note, "binary content, not printed")
		return ch
	}
	path := obj.Kind + "/" + obj.Name
	if obj.Namespace != "" {
		path = obj.Kind + "/" + obj.Namespace + "/" + obj.Name
	}
	pc := promote.Change{File: path}
	if before != nil {
		pc.Before = []byte(yamlOf(before, false))
	}
	if after != nil {
		pc.After = []byte(yamlOf(after, false))
	}
	ch.Diff = promote.UnifiedDiff(pc)
	return ch
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func docOf(o *build.Object) map[string]any {
	if o == nil {
		return nil
	}
	return o.Doc
}

func isSecret(o *build.Object) bool {
	return o != nil && o.Kind == "Secret" && o.APIVersion == "v1"
}

// yamlOf is an object's YAML; raw keeps Secret values, else they are
// masked. A nil object is "".
func yamlOf(o *build.Object, raw bool) string {
	if o == nil {
		return ""
	}
	doc := o.Doc
	if !raw {
		doc = build.Mask(*o, false).Doc
	}
	b, err := build.ObjectYAML(doc)
	if err != nil {
		return fmt.Sprintf("# cannot encode %s %s: %v\n", o.Kind, o.Name, err)
	}
	return string(b)
}

// secretKeys names the keys of a Secret whose values were added, removed
// or changed, without their values.
func secretKeys(old, cur map[string]any) string {
	a, b := secretValues(old), secretValues(cur)
	var parts []string
	for _, k := range sortedKeys(union(a, b)) {
		va, ina := a[k]
		vb, inb := b[k]
		switch {
		case !ina:
			parts = append(parts, k+" (added)")
		case !inb:
			parts = append(parts, k+" (removed)")
		case va != vb:
			parts = append(parts, k+" (changed)")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "data changed: " + strings.Join(parts, ", ") + " (values not shown)"
}

// secretValues is a Secret's data (decoded) and stringData merged, as the
// cluster stores them.
func secretValues(doc map[string]any) map[string]string {
	out := map[string]string{}
	if doc == nil {
		return out
	}
	if d, ok := doc["data"].(map[string]any); ok {
		for k, v := range d {
			s, _ := v.(string)
			if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
				s = string(dec)
			}
			out[k] = s
		}
	}
	if d, ok := doc["stringData"].(map[string]any); ok {
		for k, v := range d {
			s, _ := v.(string)
			out[k] = s
		}
	}
	return out
}

func union(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// binary reports whether an object holds content that is not text:
// binaryData, or a string that is not valid UTF-8.
func binary(o *build.Object) bool {
	if o == nil {
		return false
	}
	if _, ok := o.Doc["binaryData"]; ok {
		return true
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch t := v.(type) {
		case string:
			return !utf8.ValidString(t)
		case map[string]any:
			for _, x := range t {
				if walk(x) {
					return true
				}
			}
		case []any:
			for _, x := range t {
				if walk(x) {
					return true
				}
			}
		}
		return false
	}
	return walk(o.Doc)
}
