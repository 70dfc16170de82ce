package rules

import (
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
)

// BaseDir is where an openCenter customer repository keeps the copy of
// gitops-base it consumes.
const BaseDir = "applications/base"

// BaseReadOnly reports changed paths under applications/base/ of a
// customer repository (one with applications/overlays): that folder is
// consumed from gitops-base at a pinned tag. changed lists repository
// paths, deleted ones included; a repository without overlays (gitops-base
// itself) edits its base freely.
func BaseReadOnly(repo *model.Repo, changed []string) []diag.Diagnostic {
	if repo == nil || repo.OverlayRoot == "" {
		return nil
	}
	var out []diag.Diagnostic
	seen := map[string]bool{}
	for _, p := range changed {
		if !strings.HasPrefix(p, BaseDir+"/") || seen[p] {
			continue
		}
		seen[p] = true
		d := diag.Diagnostic{
			Rule:    "repo/base-read-only",
			File:    p,
			Range:   diag.Range{Start: diag.Pos{Line: 1, Col: 1}, End: diag.Pos{Line: 1, Col: 1}},
			Message: "applications/base is consumed from gitops-base at a pinned tag and is read-only here; change the overlay instead",
		}
		if info, ok := catalog.Lookup(d.Rule); ok {
			d.Severity = info.Severity
		}
		out = append(out, d)
	}
	return out
}
