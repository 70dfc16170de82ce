package rules

import (
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
)

// BaseDir is where an openCenter customer repository keeps the copy of
// gitops-base it consumes.
const BaseDir = "applications/base"

var baseReadOnly = &Check{
	Name:    "base-read-only",
	Reports: []*catalog.Rule{catalog.RepoBaseReadOnly},
	Run:     func(p *Pass) error { checkBaseReadOnly(p); return nil },
}

// checkBaseReadOnly reports the changed paths (Context.Changed, deleted
// ones included) under applications/base/ of a customer repository (one
// with applications/overlays): that folder is consumed from gitops-base at
// a pinned tag. A repository without overlays (gitops-base itself) edits
// its base freely; without a change there is nothing to report.
func checkBaseReadOnly(c *Pass) {
	if c.Repo == nil || c.Repo.OverlayRoot == "" {
		return
	}
	seen := map[string]bool{}
	for _, p := range c.Changed {
		if !strings.HasPrefix(p, BaseDir+"/") || seen[p] {
			continue
		}
		seen[p] = true
		c.ReportDiag(catalog.RepoBaseReadOnly, diagAt(p, diag.Pos{Line: 1, Col: 1}, diag.Pos{Line: 1, Col: 1},
			"applications/base is consumed from gitops-base at a pinned tag and is read-only here; change the overlay instead"))
	}
}
