package rules

import (
	"context"
	"sync"
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
	// Changed, when not nil, lists the repository paths a change touches
	// (deleted and renamed-from paths included), for the checks about
	// the change itself (repo/base-read-only).
	Changed []string
	// ValidateTimeout bounds the schema validation of rendered objects;
	// 0: DefaultValidateTimeout.
	ValidateTimeout time.Duration

	checks      []*Check // the checks Run runs, in order
	passes      map[*Check]*Pass
	out         []diag.Diagnostic
	errs        []error
	render      *renderState
	listedOnce  sync.Once
	listedFiles map[string]bool
}

// listed is every file some kustomization in the repository names,
// computed once.
func (c *Context) listed() map[string]bool {
	c.listedOnce.Do(func() { c.listedFiles = listedFiles(c) })
	return c.listedFiles
}

// cancelled reports whether the analysis was cancelled: a check stops, and
// what it found is not wanted.
func (c *Context) cancelled() bool { return c.Ctx != nil && c.Ctx.Err() != nil }

// Errors returns the internal errors of checks that failed; the other
// checks still ran.
func (c *Context) Errors() []error { return c.errs }

// Diagnostics returns what the checks reported.
func (c *Context) Diagnostics() []diag.Diagnostic { return c.out }

// Checks lists every check, in the order they run when no Requires says
// otherwise.
func Checks() []*Check {
	return []*Check{
		kustomizeFiles,
		fluxObjects,
		pulls,
		notAppliedCheck,
		dependsOn,
		namespaces,
		decryption,
		unusedFiles,
		tags,
		values,
		secrets,
		promotion,
		renderCheck,
		baseReadOnly,
	}
}

// Replace is an edit replacing a node's text.
func Replace(f *yamlfile.File, n *yaml.Node, text string) diag.Edit {
	return diag.Edit{File: f.Path, Range: f.NodeRange(n), NewText: text}
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

func diagAt(file string, start, end diag.Pos, msg string) diag.Diagnostic {
	return diag.Diagnostic{File: file, Range: diag.Range{Start: start, End: end}, Message: msg}
}

// reports says whether findings about a cluster will be reported.
func (c *Context) reports(cluster string) bool {
	return c.Reported == nil || c.Reported(cluster)
}
