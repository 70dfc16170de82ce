package workspace

import (
	"context"
	"fmt"
	"slices"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/promote"
)

// FixOutcome is what applying the safe fixes would do.
type FixOutcome struct {
	Applied   []string         // "file:line: title" of each fix taken
	Skipped   []string         // fixes left out, with the reason
	Changes   []promote.Change // the files as they would be written
	NewErrors []diag.Diagnostic
	// After is the analysis of the fixed files; nil when nothing changed.
	After *analysis.Result
}

// Refused reports whether the transaction must not be written: it would
// add an error that was not there before.
func (o *FixOutcome) Refused() bool { return len(o.NewErrors) > 0 }

// SafeFixes applies, as one transaction, the safe fix of every error and
// warning of before: choices (tag moves, unsuspending, paths across
// environments) are never taken, no two fixes may touch the same lines, a
// file refuse rejects is left alone, and the result is analysed again
// with opts. Nothing is written here; the caller writes Changes unless
// Refused.
func SafeFixes(ctx context.Context, opts analysis.Options, before *analysis.Result, refuse func(file string) error) (*FixOutcome, error) {
	out := &FixOutcome{}
	var all diag.Fix
	type span struct {
		file       string
		start, end int
	}
	var taken []span
	var takenFixes [][]diag.Edit
	refused := map[string]error{}
next:
	for _, d := range before.Diagnostics {
		if d.Severity != diag.Error && d.Severity != diag.Warning {
			continue
		}
		i := slices.IndexFunc(d.Fixes, func(f diag.Fix) bool { return f.Kind == diag.Safe })
		if i < 0 {
			continue
		}
		f := d.Fixes[i]
		if len(f.Edits) == 0 || len(f.Creates) > 0 || len(f.Deletes) > 0 {
			continue
		}
		where := fmt.Sprintf("%s:%d: %s", d.File, d.Range.Start.Line, f.Title)
		if slices.ContainsFunc(takenFixes, func(e []diag.Edit) bool { return slices.Equal(e, f.Edits) }) {
			continue // the same fix, offered by two findings
		}
		var spans []span
		for _, e := range f.Edits {
			if _, seen := refused[e.File]; !seen && refuse != nil {
				refused[e.File] = refuse(e.File)
			}
			if err := refused[e.File]; err != nil {
				out.Skipped = append(out.Skipped, fmt.Sprintf("%s (%s: %v)", where, e.File, err))
				continue next
			}
			sp := span{e.File, e.Range.Start.Line, e.Range.End.Line}
			for _, t := range taken {
				if t.file == sp.file && sp.start <= t.end && t.start <= sp.end {
					out.Skipped = append(out.Skipped, fmt.Sprintf("%s (another fix changes the same lines; run --fix again after this one)", where))
					continue next
				}
			}
			spans = append(spans, sp)
		}
		taken = append(taken, spans...)
		takenFixes = append(takenFixes, f.Edits)
		all.Edits = append(all.Edits, f.Edits...)
		out.Applied = append(out.Applied, where)
	}
	if len(all.Edits) == 0 {
		return out, nil
	}
	changes, err := promote.Apply(opts.FS, all)
	if err != nil {
		return nil, err
	}
	out.Changes = changes
	if len(changes) == 0 {
		return out, nil
	}
	opts.FS = promote.Overlay(opts.FS, changes)
	after, err := analysis.Analyze(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("analysing the fixed files: %w", err)
	}
	out.After = after
	out.NewErrors = promote.NewErrors(before.Diagnostics, after.Diagnostics)
	return out, nil
}
