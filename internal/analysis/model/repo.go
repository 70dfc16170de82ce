package model

import (
	"context"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/pool"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

// Repo is everything read from the repository being analysed.
type Repo struct {
	View           *view.View
	Listing        view.Listing
	YAML           []*yamlfile.File // every YAML file, sorted by path
	Objects        []*Object
	Kustomizations map[string]*KFile // by folder
	// OverlayRoot is "applications/overlays" when the repository follows the
	// openCenter layout, else "".
	OverlayRoot string

	// objs memoises the objects of each file of every view, so that an
	// object has one identity however many clusters apply it.
	objMu sync.Mutex
	objs  map[objKey][]*Object
}

type objKey struct {
	v    *view.View
	path string
}

// ObjectsIn returns the objects of file p in view v, created once.
func (r *Repo) ObjectsIn(v *view.View, f *yamlfile.File) []*Object {
	k := objKey{v, f.Path}
	r.objMu.Lock()
	defer r.objMu.Unlock()
	if os, ok := r.objs[k]; ok {
		return os
	}
	os := ObjectsOf(v, f)
	r.objs[k] = os
	return os
}

// LoadRepo walks and parses the whole view. skip excludes paths (ignore
// globs); it may be nil.
//
// When ctx ends, loading stops and the Repo holds what was read by then.
func LoadRepo(ctx context.Context, v *view.View, skip func(p string, dir bool) bool) *Repo {
	r := &Repo{View: v, Kustomizations: map[string]*KFile{}, objs: map[objKey][]*Object{}}
	r.Listing = v.Walk(ctx, skip)
	var yamls []string
	for _, p := range r.Listing.Files {
		if view.IsYAML(p) || path.Base(p) == "Kustomization" {
			yamls = append(yamls, p)
		}
	}
	v.ParseAll(ctx, yamls)
	// Each file's kustomization or objects, on every processor; gathered
	// in listing order below.
	type loaded struct {
		f    *yamlfile.File
		k    *KFile
		objs []*Object
	}
	files := make([]loaded, len(yamls))
	idx := make([]int, len(yamls))
	for i := range idx {
		idx[i] = i
	}
	pool.Each(idx, func(i int) {
		if ctx.Err() != nil {
			return
		}
		p := yamls[i]
		f, err := v.YAML(p)
		if err != nil {
			return
		}
		files[i].f = f
		if IsKustomizationFile(p) {
			if k, err := ParseKustomization(v, p); err == nil {
				files[i].k = k
			}
			return
		}
		files[i].objs = r.ObjectsIn(v, f)
	})
	for _, l := range files {
		if l.f == nil {
			continue
		}
		r.YAML = append(r.YAML, l.f)
		if l.k != nil {
			if _, dup := r.Kustomizations[l.k.Dir]; !dup {
				r.Kustomizations[l.k.Dir] = l.k
			}
		}
		r.Objects = append(r.Objects, l.objs...)
	}
	if r.Listing.Dirs["applications/overlays"] {
		r.OverlayRoot = "applications/overlays"
	}
	return r
}

// ReadErrors returns, for YAML files that could not be read (too large,
// unreadable), the path and error.
func (r *Repo) ReadErrors() map[string]error {
	out := map[string]error{}
	for _, p := range r.Listing.Files {
		if !(view.IsYAML(p) || path.Base(p) == "Kustomization") {
			continue
		}
		if _, err := r.View.YAML(p); err != nil {
			out[p] = err
		}
	}
	return out
}

// ClusterRoot is where a cluster's reconciliation starts.
type ClusterRoot struct {
	Name string
	Dir  string
}

// ClusterRoots finds the clusters of the repository: the openCenter
// overlays; else folders holding a bootstrapped flux-system (gotk files);
// else Flux Kustomizations that apply the folder holding themselves (the
// entry point of a repository bootstrapped out of band); else the folders
// under clusters/.
func (r *Repo) ClusterRoots() []ClusterRoot {
	var roots []ClusterRoot
	if r.OverlayRoot != "" {
		for _, e := range r.View.ReadDir(r.OverlayRoot) {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				roots = append(roots, ClusterRoot{e.Name(), path.Join(r.OverlayRoot, e.Name())})
			}
		}
		return roots
	}
	seen := map[string]bool{}
	for d := range r.Listing.Dirs {
		if path.Base(d) != "flux-system" || !r.isBootstrapDir(d) {
			continue
		}
		parent := path.Dir(d)
		if !seen[parent] {
			seen[parent] = true
			roots = append(roots, ClusterRoot{path.Base(parent), parent})
		}
	}
	for _, dir := range r.operatorSyncPaths() {
		if !seen[dir] {
			seen[dir] = true
			roots = append(roots, ClusterRoot{clusterName(dir), dir})
		}
	}
	if len(roots) == 0 {
		for _, k := range r.SelfApplying() {
			dir, _ := view.Clean(yamlfile.Str(k.Node(), "spec", "path"))
			if !seen[dir] {
				seen[dir] = true
				roots = append(roots, ClusterRoot{clusterName(dir), dir})
			}
		}
	}
	if len(roots) == 0 {
		for _, e := range r.View.ReadDir("clusters") {
			if e.IsDir() {
				roots = append(roots, ClusterRoot{e.Name(), path.Join("clusters", e.Name())})
			}
		}
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i].Dir < roots[j].Dir })
	// Two roots may share a base name (a/prod, b/prod): keep names unique.
	count := map[string]int{}
	for _, c := range roots {
		count[c.Name]++
	}
	for i, c := range roots {
		if count[c.Name] > 1 {
			roots[i].Name = c.Dir
		}
	}
	return roots
}

// operatorSyncPaths lists the folders of this repository that a Flux
// Operator FluxInstance syncs (spec.sync.path), written as the object or as
// the values of the flux-instance Helm chart (values.instance.sync).
func (r *Repo) operatorSyncPaths() []string {
	var out []string
	for _, o := range r.Objects {
		sync := OperatorSync(o)
		raw := yamlfile.Str(sync, "path")
		if sync == nil || raw == "" || strings.Contains(raw, "${") {
			continue
		}
		dir, ok := view.Clean(raw)
		if !ok || dir == "." {
			continue
		}
		if exists, isDir := r.View.Stat(dir); exists && isDir {
			out = append(out, dir)
		}
	}
	return out
}

// clusterName names a cluster after its entry folder, skipping the
// folder names that say nothing ("flux", "config").
func clusterName(dir string) string {
	for d := dir; d != "." && d != "/" && d != ""; d = path.Dir(d) {
		switch path.Base(d) {
		case "flux", "flux-system", "config", "bootstrap", "base":
			continue
		}
		return path.Base(d)
	}
	return "cluster"
}

// isBootstrapDir reports whether a flux-system folder is the one flux
// bootstrap writes (gotk files), not a namespace folder of that name.
func (r *Repo) isBootstrapDir(d string) bool {
	for _, e := range r.View.ReadDir(d) {
		if strings.HasPrefix(e.Name(), "gotk-") && view.IsYAML(e.Name()) {
			return true
		}
	}
	return false
}

// SelfApplying lists the Flux Kustomizations of the repository whose
// spec.path holds the file that defines them: the entry point that
// bootstrap applies, whose source is therefore this repository.
//
// A Kustomization that reads the root of its source (no spec.path, or "./")
// holds itself whatever that source is, so it is only taken as the entry
// point when nothing says its source is another repository: a source pinned
// to a tag, semver or commit (a repository syncing itself follows a
// branch), or one that differs from the source of the entry points found
// below the root.
func (r *Repo) SelfApplying() []*Object {
	var out, atRoot []*Object
	for _, o := range r.Objects {
		if !o.IsFluxKustomization() || yamlfile.Str(o.Node(), "spec", "sourceRef", "kind") != "GitRepository" {
			continue
		}
		raw := yamlfile.Str(o.Node(), "spec", "path")
		if strings.Contains(raw, "${") {
			continue
		}
		dir, ok := view.Clean(raw)
		if !ok {
			continue
		}
		if dir == "." {
			if !r.pinnedSource(o) {
				atRoot = append(atRoot, o)
			}
			continue
		}
		if strings.HasPrefix(o.File.Path, dir+"/") {
			if exists, isDir := r.View.Stat(dir); exists && isDir {
				out = append(out, o)
			}
		}
	}
	sources := map[string]bool{}
	for _, o := range out {
		sources[yamlfile.Str(o.Node(), "spec", "sourceRef", "name")] = true
	}
	for _, o := range atRoot {
		if len(out) == 0 || sources[yamlfile.Str(o.Node(), "spec", "sourceRef", "name")] {
			out = append(out, o)
		}
	}
	return out
}

// pinnedSource reports whether the GitRepository a Kustomization reads is
// defined in the repository with a tag, semver or commit ref.
func (r *Repo) pinnedSource(k *Object) bool {
	name := yamlfile.Str(k.Node(), "spec", "sourceRef", "name")
	for _, o := range r.Objects {
		if o.Kind != "GitRepository" || o.Name != name {
			continue
		}
		for _, f := range []string{"tag", "semver", "commit"} {
			if yamlfile.Str(o.Node(), "spec", "ref", f) != "" {
				return true
			}
		}
	}
	return false
}

// SelfSources names the GitRepositories that self-applying Kustomizations
// read: they are this repository, whatever their URL.
func (r *Repo) SelfSources() map[string]bool {
	out := map[string]bool{}
	for _, k := range r.SelfApplying() {
		out[yamlfile.Str(k.Node(), "spec", "sourceRef", "name")] = true
	}
	return out
}

// ClusterOf returns the cluster name a repository path belongs to in the
// openCenter layout, or "".
func (r *Repo) ClusterOf(p string) string {
	if r.OverlayRoot == "" {
		return ""
	}
	rest, ok := strings.CutPrefix(p, r.OverlayRoot+"/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// SuggestRoot finds the folder that Flux's paths are relative to when it
// is not this repository's root: a GitOps tree kept in a sub-folder and
// shipped as an OCI artifact or synced from there. A Flux Kustomization
// whose spec.path does not exist from the root but does from a folder
// above its own file votes for that folder; the folder with most votes
// wins, "" when none.
func (r *Repo) SuggestRoot() string {
	votes := map[string]int{}
	for _, o := range r.Objects {
		if !o.Is("kustomize", "Kustomization") {
			continue
		}
		p, ok := view.Clean(yamlfile.Str(o.Node(), "spec", "path"))
		if !ok || p == "." || strings.Contains(p, "${") {
			continue
		}
		if exists, _ := r.View.Stat(p); exists {
			continue
		}
		for d := path.Dir(o.File.Path); d != "." && d != "/"; d = path.Dir(d) {
			if exists, isDir := r.View.Stat(path.Join(d, p)); exists && isDir {
				votes[d]++
				break
			}
		}
	}
	best := ""
	for d, n := range votes {
		if n > votes[best] || (n == votes[best] && d < best) {
			best = d
		}
	}
	return best
}

// usesFluxOperator reports whether the repository configures the Flux
// Operator (any fluxcd.controlplane.io object, or the flux-instance chart's
// values), which creates the flux-system source itself.
func (r *Repo) usesFluxOperator() bool {
	for _, o := range r.Objects {
		if strings.HasPrefix(o.APIVersion, "fluxcd.controlplane.io/") || OperatorSync(o) != nil {
			return true
		}
	}
	return false
}
