package rules

import (
	"fmt"
	"path"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
)

var unusedFiles = &Check{
	Name:    "unused-files",
	Reports: []*catalog.Rule{catalog.KustomizeUnusedFile},
	Run:     func(p *Pass) error { checkUnusedFiles(p); return nil },
}

// checkUnusedFiles reports YAML files under an overlay's services/<svc>/
// that nothing reads: no kustomization names them and no Flux path
// applies them.
func checkUnusedFiles(c *Pass) {
	if c.Repo.OverlayRoot == "" {
		return
	}
	listed := c.listed()
	reached := map[string]bool{}
	for _, cl := range c.Clusters {
		for p := range cl.Reached[c.Repo.View] {
			reached[p] = true
		}
	}
	meant := meantByMissingEntries(c)
	for _, p := range c.Repo.Listing.Files {
		if !view.IsYAML(p) || model.IsKustomizationFile(p) || listed[p] || reached[p] || meant[p] {
			continue
		}
		rest, ok := strings.CutPrefix(p, c.Repo.OverlayRoot+"/")
		if !ok {
			continue
		}
		parts := strings.Split(rest, "/")
		// <cluster>/services/<svc>/.../file
		if len(parts) < 4 || parts[1] != "services" || strings.HasPrefix(path.Base(p), ".") {
			continue
		}
		if parts[2] == "fluxcd" || parts[2] == "sources" {
			continue // flux/not-applied speaks for these
		}
		if underFluxPathWithoutKustomization(c, p) || underUnparsedKustomization(c, p, parts[0]) {
			continue
		}
		f, err := c.Repo.View.YAML(p)
		if err != nil || len(f.Diags) > 0 && len(f.Docs) == 0 {
			continue
		}
		svcDir := path.Join(c.Repo.OverlayRoot, parts[0], "services", parts[2])
		msg := fmt.Sprintf("%s is read by no kustomization and no Flux path, so it has no effect", p)
		objs := c.Repo.ObjectsIn(c.Repo.View, f)
		k := c.Repo.Kustomizations[path.Dir(p)]
		if k == nil {
			k = c.Repo.Kustomizations[svcDir]
		}
		switch {
		case len(objs) == 0 && k == nil:
			msg += fmt.Sprintf(" (%s has no kustomization.yaml)", svcDir)
		case len(objs) == 0:
			msg += fmt.Sprintf(" (a values file? reference it from a generator in %s)", k.File.Path)
		}
		// The whole file is the finding: report it at its first line.
		d := c.Report(catalog.KustomizeUnusedFile, f, nil, msg)
		d.Range = f.LineRange(1)
		if len(objs) > 0 && k != nil {
			rel := strings.TrimPrefix(p, k.Dir+"/")
			if fx, ok := addResourceFix(k, rel); ok {
				d.Fixes = append(d.Fixes, fx)
			}
		}
	}
}

// underFluxPathWithoutKustomization reports whether a Flux path that has
// no kustomization.yaml covers p (Flux then applies every YAML below it).
func underFluxPathWithoutKustomization(c *Pass, p string) bool {
	for _, cl := range c.Clusters {
		for _, pl := range cl.Pulls {
			if pl.View != c.Repo.View || !pl.PathOK {
				continue
			}
			if strings.HasPrefix(p, pl.Path+"/") && model.FindKustomization(c.Repo.View, pl.Path) == "" {
				return true
			}
		}
	}
	return false
}

// meantByMissingEntries lists the files that kustomize/missing-file offers
// as the fix of an entry naming nothing ("did you mean"): the misspelt
// entry is why they are read by nothing, and it is reported already.
func meantByMissingEntries(c *Pass) map[string]bool {
	out := map[string]bool{}
	for _, k := range c.Repo.Kustomizations {
		for _, e := range k.Entries {
			if e.Remote || e.Outside {
				continue
			}
			if ok, _ := c.Repo.View.Stat(e.Target); ok {
				continue
			}
			if s := suggest(c.Repo.View, e.Target); s != "" {
				out[s] = true
			}
		}
	}
	return out
}

// underUnparsedKustomization reports whether a kustomization.yaml in a
// folder above p, up to the cluster's overlay, does not parse: what it
// lists is unknown, and yaml/syntax is the finding.
func underUnparsedKustomization(c *Pass, p, cluster string) bool {
	stop := path.Join(c.Repo.OverlayRoot, cluster)
	for dir := path.Dir(p); strings.HasPrefix(dir, stop); dir = path.Dir(dir) {
		if k := c.Repo.Kustomizations[dir]; k != nil && hasSyntaxError(k.File) {
			return true
		}
		if dir == stop {
			break
		}
	}
	return false
}
