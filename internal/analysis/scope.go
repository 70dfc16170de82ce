package analysis

import (
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
)

// Scope is what a change affects: the clusters whose findings are
// reported. The model of the whole repository is built either way (a
// cluster's model needs all of it), but only the affected clusters are
// rendered, and only their findings are reported, so that a commit is not
// blocked by problems it did not touch while every finding in a cluster it
// did touch, in changed files or not, is kept.
type Scope struct {
	// All is set when the change affects every cluster (.gitops.yaml,
	// a GitOps file outside every cluster, a deleted file no cluster
	// can be traced from).
	All bool
	// Clusters are the names of the affected clusters, sorted.
	Clusters []string
	// Changed are the changed paths that matter to the analysis.
	Changed []string

	files map[string]bool // paths of the affected clusters
}

// Includes reports whether the change affects the named cluster.
func (s *Scope) Includes(cluster string) bool {
	if s.All {
		return true
	}
	i := sort.SearchStrings(s.Clusters, cluster)
	return i < len(s.Clusters) && s.Clusters[i] == cluster
}

// Relevant reports whether a changed path can matter to the analysis:
// outside the folders the analysis never reads (dot-folders, archive
// folders), a YAML or kustomization file, the configuration, anything
// under applications/ or clusters/, or a file in a folder (or below one)
// that holds a kustomization in fsys (a generator's input). fsys may be
// nil.
func Relevant(fsys fs.FS, p string) bool {
	base := path.Base(p)
	switch {
	case view.InSkippedFolder(p):
		return false // .github/, archive/: never read by the analysis
	case view.IsYAML(p), base == "Kustomization", p == config.FileName, base == ".sops.yaml":
		return true
	case strings.HasPrefix(p, "applications/"), strings.HasPrefix(p, "clusters/"):
		return true
	}
	if fsys == nil {
		return false
	}
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		for _, k := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
			if _, err := fs.Stat(fsys, path.Join(d, k)); err == nil {
				return true
			}
		}
	}
	return false
}

// ScopeOf maps changed repository paths (deleted ones and the old side of
// renames included) to the clusters of snap they affect:
//   - .gitops.yaml affects every cluster;
//   - a path under a cluster's root (applications/overlays/<cluster>/)
//     affects that cluster;
//   - a path a cluster's model read (its Flux Kustomizations, sources,
//     kustomizations, generator inputs, this repository's base) affects
//     that cluster;
//   - a YAML file that exists and no cluster reads affects no cluster (its
//     own findings are kept);
//   - any other path that Relevant accepts affects every cluster: nothing
//     says which cluster it breaks, so none is trusted to be untouched.
//
// Paths Relevant rejects (a README, a script) affect nothing.
func ScopeOf(snap *Snapshot, changed []string) *Scope {
	s := &Scope{files: map[string]bool{}}
	if snap == nil || snap.Repo == nil {
		s.All = true
		return s
	}
	repo := snap.Repo
	affected := map[string]bool{}
	for _, p := range changed {
		reached := false
		for _, c := range snap.Clusters {
			if underRoot(c, p) || c.Reaches(repo.View, p) {
				affected[c.Name] = true
				reached = true
			}
		}
		if !reached && p != config.FileName && !Relevant(repo.View.FS, p) {
			continue
		}
		s.Changed = append(s.Changed, p)
		if p == config.FileName || (!reached && !unreachedFile(repo, p)) {
			s.All = true
		}
	}
	for _, c := range snap.Clusters {
		if s.All || affected[c.Name] {
			s.Clusters = append(s.Clusters, c.Name)
		}
	}
	sort.Strings(s.Clusters)
	if s.All {
		return s
	}
	for _, p := range s.Changed {
		s.files[p] = true
	}
	// A changed kustomization may stop listing a file of its folder: that
	// file is then reached by no cluster, and a finding about it
	// (flux/not-applied) is the commit's.
	kdirs := map[string]bool{}
	for _, p := range s.Changed {
		if model.IsKustomizationFile(p) {
			kdirs[path.Dir(p)] = true
		}
	}
	if len(kdirs) > 0 {
		for _, p := range repo.Listing.Files {
			if kdirs[path.Dir(p)] {
				s.files[p] = true
			}
		}
	}
	for _, c := range snap.Clusters {
		if !affected[c.Name] {
			continue
		}
		for _, p := range repo.Listing.Files {
			if underRoot(c, p) {
				s.files[p] = true
			}
		}
		for p := range c.Reached[repo.View] {
			s.files[p] = true
		}
	}
	return s
}

// unreachedFile reports whether p is a YAML file present in the
// repository that no cluster reads (a CI workflow, an example, a file
// nothing lists yet): it cannot change what a cluster applies, and the
// findings located in it are kept as those of any changed file. A path
// that is gone (deleted, the old side of a rename) or that configures the
// whole repository (.sops.yaml) may have mattered to any cluster.
func unreachedFile(repo *model.Repo, p string) bool {
	if !view.IsYAML(p) || path.Base(p) == ".sops.yaml" || model.IsKustomizationFile(p) {
		return false
	}
	ok, isDir := repo.View.Stat(p)
	return ok && !isDir
}

func underRoot(c *model.Cluster, p string) bool {
	return c.Root != "" && strings.HasPrefix(p, c.Root+"/")
}

// Keeps reports whether a finding is in scope: anywhere when the change
// affects everything, else in a file of an affected cluster or in a
// changed file.
func (s *Scope) Keeps(d diag.Diagnostic) bool {
	return s.All || s.files[d.File]
}

// Empty reports whether the change affects nothing the analysis reads.
func (s *Scope) Empty() bool { return !s.All && len(s.Clusters) == 0 && len(s.Changed) == 0 }

// Filter drops the findings outside what the change affects. A nil scope
// keeps everything.
func (s *Scope) Filter(ds []diag.Diagnostic) []diag.Diagnostic {
	if s == nil {
		return ds
	}
	out := ds[:0]
	for _, d := range ds {
		if s.Keeps(d) {
			out = append(out, d)
		}
	}
	return out
}
