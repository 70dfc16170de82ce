package rules

import (
	"context"
	"fmt"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/schema"
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
	// Renderer builds Flux Kustomizations; nil turns the render checks off.
	Renderer *render.Renderer
	// Schemas returns a validator that knows the given CRDs (YAML or JSON
	// documents); nil turns the schema checks off.
	Schemas func(crds [][]byte) (*schema.Validator, error)
	// Reported, when set, names the clusters whose findings will be
	// reported (the hook's scope); the costly checks (rendering,
	// environment comparison) skip the others.
	Reported func(cluster string) bool
	// ValidateTimeout bounds the schema validation of rendered objects;
	// 0: DefaultValidateTimeout.
	ValidateTimeout time.Duration

	out         []diag.Diagnostic
	errs        []error
	render      *renderState
	listedFiles map[string]bool
}

// listed is every file some kustomization in the repository names,
// computed once.
func (c *Context) listed() map[string]bool {
	if c.listedFiles == nil {
		c.listedFiles = listedFiles(c)
	}
	return c.listedFiles
}

// Errors returns the internal errors of checks that failed; the other
// checks still ran.
func (c *Context) Errors() []error { return c.errs }

// Diagnostics returns what the checks reported.
func (c *Context) Diagnostics() []diag.Diagnostic { return c.out }

// Add reports a finding with the rule's default severity.
func (c *Context) Add(d diag.Diagnostic) {
	if d.Severity == diag.SeverityInvalid {
		if info, ok := catalog.Lookup(d.Rule); ok {
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
		checkRender,
	}
}

// Run runs every check. A check that panics is recorded as an internal
// error and the others still run: one bug must not hide every finding.
func Run(c *Context) {
	for i, ch := range Checks() {
		func() {
			defer func() {
				if r := recover(); r != nil {
					c.errs = append(c.errs, fmt.Errorf("internal error in check %d: %v", i, r))
				}
			}()
			ch(c)
		}()
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

// reports says whether findings about a cluster will be reported.
func (c *Context) reports(cluster string) bool {
	return c.Reported == nil || c.Reported(cluster)
}
