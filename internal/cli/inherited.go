package cli

import (
	"context"
	"path/filepath"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/gitview"
	"github.com/opencenter-cloud/gitops-hook/internal/workspace"
)

// dropInherited removes the errors and warnings that the commit did not
// cause: findings outside the changed files that HEAD already has (same
// rule, file and message). A commit that touches a cluster with a known
// problem elsewhere, or a file no cluster reads, is not blocked by it;
// findings in the changed files always stay. HEAD is analysed only when
// there is something to compare, with the changed paths plus the files of
// the candidate findings as its scope. It returns the kept findings and
// how many were dropped; without a HEAD (the first commit) or when HEAD
// cannot be analysed, nothing is dropped.
func dropInherited(ctx context.Context, sess *analysis.Session, top, root string, opts analysis.Options, ds []diag.Diagnostic) ([]diag.Diagnostic, int) {
	changed := map[string]bool{}
	for _, p := range opts.Changed {
		changed[p] = true
	}
	inherited := func(d diag.Diagnostic) bool {
		return (d.Severity == diag.Error || d.Severity == diag.Warning) && !changed[d.File]
	}
	scope := append([]string(nil), opts.Changed...)
	seen := map[string]bool{}
	for _, d := range ds {
		if inherited(d) && !seen[d.File] {
			seen[d.File] = true
			scope = append(scope, d.File)
		}
	}
	if len(seen) == 0 {
		return ds, 0
	}
	head, err := gitview.Revision(filepath.Join(top, filepath.FromSlash(root)), "HEAD")
	if err != nil {
		return ds, 0
	}
	// HEAD is judged by its own configuration: a finding the commit's
	// .gitops.yaml turns into an error is the commit's doing.
	cfg, err := workspace.LoadConfig(head, ".")
	if err != nil {
		return ds, 0
	}
	hopts := opts
	hopts.FS = head
	hopts.Config = cfg
	hopts.Changed = scope
	res, err := sess.Analyze(ctx, hopts) // the same builds and validations, reused

	if err != nil {
		return ds, 0
	}
	type key struct {
		rule, file, msg string
		sev             diag.Severity
	}
	before := map[key]bool{}
	for _, d := range res.Diagnostics {
		before[key{d.Rule, d.File, d.Message, d.Severity}] = true
	}
	kept := ds[:0:0]
	dropped := 0
	for _, d := range ds {
		if inherited(d) && before[key{d.Rule, d.File, d.Message, d.Severity}] {
			dropped++
			continue
		}
		kept = append(kept, d)
	}
	return kept, dropped
}
