package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/layout"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// serviceAnchor is where promotion findings about a service are reported:
// the name of its first Flux Kustomization in fluxcd/<svc>.yaml, else its
// kustomization.yaml, else its first file.
func serviceAnchor(repo *model.Repo, root, svc string) (*yamlfile.File, *yaml.Node) {
	if f, err := repo.View.YAML(layout.FluxFile(root, svc)); err == nil && f != nil {
		for _, d := range f.Docs {
			if _, n := yamlfile.GetKV(d.Root, "metadata", "name"); n != nil {
				return f, n
			}
		}
		return f, nil
	}
	dir := root + "/services/" + svc
	if k := model.FindKustomization(repo.View, dir); k != "" {
		if f, err := repo.View.YAML(k); err == nil {
			return f, nil
		}
	}
	files := layout.ServiceFiles(repo, root, svc)
	rels := make([]string, 0, len(files))
	for r := range files {
		rels = append(rels, r)
	}
	sort.Strings(rels)
	for _, r := range rels {
		if f, err := repo.View.YAML(files[r]); err == nil && f != nil {
			return f, nil
		}
	}
	return nil, nil
}

var promotion = &Check{
	Name:    "promotion",
	Reports: []*catalog.Rule{catalog.PromotionSkippedEnv, catalog.PromotionPending},
	Run:     func(p *Pass) error { checkPromotion(p); return nil },
}

// checkPromotion reports services that skipped an environment and
// services whose overlay differs from the environment before.
func checkPromotion(c *Pass) {
	if c.Repo.OverlayRoot == "" || len(c.Envs) < 2 {
		return
	}
	exists := map[string]bool{}
	for _, cl := range c.Clusters {
		exists[cl.Name] = true
	}
	for i := 1; i < len(c.Envs); i++ {
		prev, cur := c.Envs[i-1], c.Envs[i]
		if !exists[prev] || !exists[cur] || !c.reports(cur) {
			continue
		}
		rootP, rootC := c.Repo.OverlayRoot+"/"+prev, c.Repo.OverlayRoot+"/"+cur
		inPrev := map[string]bool{}
		for _, s := range layout.ServiceNames(c.Repo, rootP) {
			inPrev[s] = true
		}
		for _, svc := range layout.ServiceNames(c.Repo, rootC) {
			if c.cancelled() {
				return
			}
			f, n := serviceAnchor(c.Repo, rootC, svc)
			if f == nil {
				continue
			}
			if !inPrev[svc] {
				c.Report(catalog.PromotionSkippedEnv, f, n, fmt.Sprintf("service %s exists in %s but not in %s, the environment before it: it reached %s untested", svc, cur, prev, cur))
				continue
			}
			diff := layout.DiffService(c.Repo, c.Config, rootP, rootC, svc)
			if len(diff) == 0 {
				continue
			}
			files := "files differ"
			if len(diff) == 1 {
				files = "file differs"
			}
			c.Report(catalog.PromotionPending, f, n, fmt.Sprintf("service %s: %d %s between %s and %s (%s); promote with: gitops-hook promote %s --from %s --to %s", svc, len(diff), files, prev, cur, strings.Join(shortList(diff, 5), ", "), svc, prev, cur))
		}
	}
}

func shortList(ss []string, n int) []string {
	if len(ss) <= n {
		return ss
	}
	return append(append([]string(nil), ss[:n]...), fmt.Sprintf("and %d more", len(ss)-n))
}
