package rules

import (
	"context"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// SourceState is what is known of a GitRepository's repository and pin.
type SourceState struct {
	URL      string
	Ref      gitsrc.Ref
	ThisRepo bool
	Repo     *gitsrc.Repo // nil when the repository could not be read
	OpenErr  error
}

// Sources answers questions about GitRepository objects.
type Sources interface {
	State(ctx context.Context, o *model.Object) *SourceState
}

// Context is what a check reads.
type Context struct {
	Ctx      context.Context
	Repo     *model.Repo
	Clusters []*model.Cluster
	Config   *config.Config
	Sources  Sources
	Envs     []string // environment clusters in promotion order

	out []diag.Diagnostic
}

// Diagnostics returns what the checks reported.
func (c *Context) Diagnostics() []diag.Diagnostic { return c.out }

// Add reports a finding with the rule's default severity.
func (c *Context) Add(d diag.Diagnostic) {
	if d.Severity == diag.SeverityInvalid {
		if info, ok := Lookup(d.Rule); ok {
			d.Severity = info.Severity
		} else {
			d.Severity = diag.Error
		}
	}
	c.out = append(c.out, d)
}

// At reports a finding at a node of a repository file.
func (c *Context) At(rule string, f *yamlfile.File, n *yaml.Node, msg string, fixes ...diag.Fix) *diag.Diagnostic {
	d := diag.Diagnostic{Rule: rule, File: f.Path, Range: f.NodeRange(n), Message: msg, Fixes: fixes}
	c.Add(d)
	return &c.out[len(c.out)-1]
}

// Replace is an edit replacing a node's text.
func Replace(f *yamlfile.File, n *yaml.Node, text string) diag.Edit {
	return diag.Edit{File: f.Path, Range: f.NodeRange(n), NewText: text}
}

// Check is one pass over the model. A pass may report several rules that
// share their reasoning (one root cause, reported once).
type Check func(*Context)

// Checks lists every pass, in order.
func Checks() []Check {
	return []Check{
		checkKustomizationFiles,
		checkFluxObjects,
		checkPulls,
		checkNotApplied,
		checkDependsOn,
		checkDecryption,
		checkUnusedFiles,
		checkTags,
		checkValues,
		checkSecrets,
		checkPromotion,
	}
}

// Run runs every check.
func Run(c *Context) {
	for _, ch := range Checks() {
		ch(c)
	}
}

// related names a file inside an external view for a finding reported at
// the pull that reads it.
func related(label, file string, f *yamlfile.File, n *yaml.Node, msg string) diag.Related {
	r := diag.Related{File: file, Message: msg}
	if label != "" {
		r.Message = msg + " (" + label + ")"
	}
	if f != nil && n != nil {
		r.Range = f.NodeRange(n)
	} else {
		r.Range = diag.Range{Start: diag.Pos{Line: 1, Col: 1}, End: diag.Pos{Line: 1, Col: 1}}
	}
	return r
}

func diagAt(rule, file string, start, end diag.Pos, msg string) diag.Diagnostic {
	return diag.Diagnostic{Rule: rule, File: file, Range: diag.Range{Start: start, End: end}, Message: msg}
}
