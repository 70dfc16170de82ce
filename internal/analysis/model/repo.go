package model

import (
	"path"
	"sort"
	"strings"
	"sync"

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
func LoadRepo(v *view.View, skip func(p string, dir bool) bool) *Repo {
	r := &Repo{View: v, Kustomizations: map[string]*KFile{}, objs: map[objKey][]*Object{}}
	r.Listing = v.Walk(skip)
	var yamls []string
	for _, p := range r.Listing.Files {
		if view.IsYAML(p) || path.Base(p) == "Kustomization" {
			yamls = append(yamls, p)
		}
	}
	v.ParseAll(yamls)
	for _, p := range yamls {
		f, err := v.YAML(p)
		if err != nil {
			continue
		}
		r.YAML = append(r.YAML, f)
		if IsKustomizationFile(p) {
			if k, err := ParseKustomization(v, p); err == nil {
				if _, dup := r.Kustomizations[k.Dir]; !dup {
					r.Kustomizations[k.Dir] = k
				}
			}
			continue
		}
		r.Objects = append(r.Objects, r.ObjectsIn(v, f)...)
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

// ClusterRoots finds the clusters of the repository: the openCenter
// overlays, else folders holding a bootstrapped flux-system, else the
// folders under clusters/.
func (r *Repo) ClusterRoots() []string {
	var roots []string
	if r.OverlayRoot != "" {
		for _, e := range r.View.ReadDir(r.OverlayRoot) {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				roots = append(roots, path.Join(r.OverlayRoot, e.Name()))
			}
		}
		return roots
	}
	seen := map[string]bool{}
	for d := range r.Listing.Dirs {
		if path.Base(d) != "flux-system" {
			continue
		}
		if FindKustomization(r.View, d) == "" {
			if ok, _ := r.View.Stat(path.Join(d, "gotk-sync.yaml")); !ok {
				continue
			}
		}
		parent := path.Dir(d)
		if !seen[parent] {
			seen[parent] = true
			roots = append(roots, parent)
		}
	}
	if len(roots) == 0 {
		for _, e := range r.View.ReadDir("clusters") {
			if e.IsDir() {
				roots = append(roots, path.Join("clusters", e.Name()))
			}
		}
	}
	sort.Strings(roots)
	return roots
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
