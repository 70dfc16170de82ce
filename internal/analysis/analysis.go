// Package analysis is the engine shared by the hook and the language
// server: it loads a repository view, resolves base/overlay relationships
// and tag pins, validates, and returns diagnostics and fixes as plain data.
package analysis

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/rules"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/schema"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

// Options say what to analyse and how.
type Options struct {
	FS      fs.FS          // the repository view
	Config  *config.Config // nil: read .gitops.yaml from FS, else defaults
	Origin  string         // URL of the repository's origin remote, if known
	Sources *gitsrc.Resolver
	Rules   []string // when set, only these rule IDs are reported
	// Renderer builds Flux Kustomizations; share one across runs so its
	// cache survives. nil: a new one for this call.
	Renderer *render.Renderer
	// Schemas keeps a schema validator across runs while the set of CRDs
	// is unchanged. nil: one for this call, removed when it returns.
	Schemas *Schemas
	// FetchSchema downloads a schema for a URL template of .gitops.yaml
	// schemas: into the cache (Sources.CacheDir). nil: http(s) is fetched
	// unless Sources is offline; file:// is always read.
	FetchSchema func(url string) ([]byte, error)
	// Changed, when not nil, scopes the report to what a change affects
	// (see ScopeOf): repository paths staged by a commit, deleted and
	// renamed-from paths included. Nil reports everything.
	Changed []string
	// Parsed shares parsed files across analyses (a Session's); nil:
	// every file is parsed.
	Parsed *view.Parsed
	// ValidateTimeout bounds the schema validation of rendered objects
	// (0: rules.DefaultValidateTimeout). Builds are bounded by the
	// Renderer's limits.
	ValidateTimeout time.Duration
}

// Result is the outcome of one analysis.
type Result struct {
	Diagnostics []diag.Diagnostic
	Files       int // files looked at
	Clusters    []string
	Model       *Model
	// Errors are internal errors of checks that failed; the findings of
	// the others are still in Diagnostics.
	Errors []error
	// Scope is what Options.Changed affects; nil without Changed.
	Scope *Scope
}

// Model is what an analysis built: the repository's files and objects,
// its clusters with their Flux graph, the configuration and environments,
// and the sources it read. Actions (promotion, pins, the rendered diff,
// the language server's navigation) work on it. It belongs to the one
// analysis that made it.
type Model struct {
	Repo     *model.Repo
	Clusters []*model.Cluster
	Config   *config.Config
	Envs     []string
	Sources  rules.Sources
}

// Complete returns the options an action analyses with, before and after
// its change: every rule (an action must see all the damage it does) and
// the configuration loaded from the view when none was given.
func (o Options) Complete() (Options, error) {
	o.Rules = nil
	if o.FS == nil {
		return o, ErrNoFS
	}
	if o.Config == nil {
		cfg, err := LoadConfig(o.FS)
		if err != nil {
			return o, err
		}
		o.Config = cfg
	}
	return o, nil
}

// ErrNoFS is returned when Options.FS is nil.
var ErrNoFS = errors.New("no repository to analyse")

// LoadConfig reads .gitops.yaml from the view, or returns defaults.
func LoadConfig(fsys fs.FS) (*config.Config, error) {
	data, err := fs.ReadFile(fsys, config.FileName)
	if errors.Is(err, fs.ErrNotExist) {
		return config.Default(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.FileName, err)
	}
	c, err := config.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.FileName, err)
	}
	return c, nil
}

// Analyze runs every check over the repository view. Panics in a check
// become an error rather than killing the caller. When ctx ends, every
// stage (listing, parsing, resolving sources, building clusters, each
// check) stops, and Analyze returns ctx's error.
func Analyze(ctx context.Context, opts Options) (res *Result, err error) {
	if opts.FS == nil {
		return nil, ErrNoFS
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error during analysis: %v", r)
		}
	}()
	cfg := opts.Config
	if cfg == nil {
		if cfg, err = LoadConfig(opts.FS); err != nil {
			return nil, err
		}
	}
	snap := Load(ctx, opts, cfg)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rend, schemas := opts.Renderer, opts.Schemas
	if rend == nil {
		rend = render.New()
	}
	if schemas == nil {
		schemas = NewSchemas(schema.Options{})
		defer schemas.Close()
	}
	cats := catalogs(opts, cfg)
	rc := &rules.Context{Ctx: ctx, Repo: snap.Repo, Clusters: snap.Clusters, Config: cfg, Sources: snap.Sources, Envs: snap.Envs,
		Renderer: rend, Schemas: func(crds [][]byte) (*schema.Validator, error) { return schemas.validator(crds, cats) },
		ValidateTimeout: opts.ValidateTimeout}
	var scope *Scope
	if opts.Changed != nil {
		scope = ScopeOf(snap, opts.Changed)
		rc.Reported = scope.Includes
		rc.Changed = opts.Changed
	}
	rules.StartRender(rc)
	rules.Run(rc)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var all []diag.Diagnostic
	all = append(all, snap.Repo.Listing.Diags...)
	for p, rerr := range snap.Repo.ReadErrors() {
		all = append(all, readErrorDiag(p, rerr))
	}
	for _, f := range snap.Repo.YAML {
		all = append(all, f.Diags...)
	}
	all = append(all, rc.Diagnostics()...)
	res = &Result{Files: len(snap.Repo.Listing.Files), Model: snap, Errors: rc.Errors(), Scope: scope}
	for _, c := range snap.Clusters {
		res.Clusters = append(res.Clusters, c.Name)
	}
	all = scope.Filter(all)
	res.Diagnostics = finish(snap.Repo, cfg, all, opts.Rules)
	return res, nil
}

func readErrorDiag(p string, err error) diag.Diagnostic {
	rule := view.RuleUnreadable
	if errors.Is(err, view.ErrTooLarge) {
		rule = view.RuleTooLarge
	}
	return diag.Diagnostic{Rule: rule, Severity: diag.Warning, File: p,
		Range:   diag.Range{Start: diag.Pos{Line: 1, Col: 1}, End: diag.Pos{Line: 1, Col: 1}},
		Message: fmt.Sprintf("%s is not analysed: %s", p, strings.TrimPrefix(err.Error(), p+": "))}
}

// Load builds the model: the repository, its clusters and their sources.
func Load(ctx context.Context, opts Options, cfg *config.Config) *Model {
	v := view.New(opts.FS, "")
	v.Parsed = opts.Parsed
	repo := model.LoadRepo(ctx, v, func(p string, dir bool) bool { return cfg.Ignored(p) })
	src := &sources{origin: opts.Origin, self: repo.SelfSources(), res: opts.Sources, parsed: opts.Parsed, views: map[string]*view.View{}, states: map[*model.Object]*rules.SourceState{}}
	if src.res == nil {
		src.res = &gitsrc.Resolver{Offline: true}
	}
	snap := &Model{Repo: repo, Config: cfg, Sources: src}
	roots := repo.ClusterRoots()
	clusters := make([]*model.Cluster, len(roots))
	var wg sync.WaitGroup
	for i, root := range roots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clusters[i] = model.BuildCluster(ctx, repo, root.Name, root.Dir, &resolver{src: src})
		}()
	}
	wg.Wait()
	snap.Clusters = clusters
	snap.Envs = Environments(cfg, roots)
	return snap
}

// Environments orders the promotion chain: the configured list, else the
// clusters whose names start with dev, stag and prod, in that order.
func Environments(cfg *config.Config, roots []model.ClusterRoot) []string {
	if len(cfg.Environments) > 0 {
		return cfg.Environments
	}
	var out []string
	for _, prefix := range []string{"dev", "stag", "prod"} {
		var names []string
		for _, r := range roots {
			if strings.HasPrefix(r.Name, prefix) {
				names = append(names, r.Name)
			}
		}
		sort.Strings(names)
		// Only a single cluster per stage makes an unambiguous chain.
		if len(names) == 1 {
			out = append(out, names[0])
		}
	}
	return out
}

// finish applies severity overrides, inline suppressions and the rule
// filter, removes duplicates, and sorts.
func finish(repo *model.Repo, cfg *config.Config, ds []diag.Diagnostic, only []string) []diag.Diagnostic {
	keep := map[string]bool{}
	for _, id := range only {
		keep[id] = true
	}
	seen := map[string]bool{}
	out := ds[:0:0]
	for _, d := range ds {
		if len(keep) > 0 && !keep[d.Rule] {
			continue
		}
		if s, ok := cfg.Severities[d.Rule]; ok {
			d.Severity = s
		}
		if d.Severity == diag.Off || cfg.Ignored(d.File) || suppressed(repo, d) {
			continue
		}
		key := fmt.Sprintf("%s\x00%s\x00%d:%d\x00%s", d.Rule, d.File, d.Range.Start.Line, d.Range.Start.Col, d.Message)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, d)
	}
	diag.Sort(out)
	return out
}

// suppressed honours "# gitops:ignore RULE-ID" on the line or the line above.
func suppressed(repo *model.Repo, d diag.Diagnostic) bool {
	f, err := repo.View.YAML(d.File)
	if err != nil || f == nil {
		return false
	}
	for _, line := range []int{d.Range.Start.Line, d.Range.Start.Line - 1} {
		text := f.LineText(line)
		i := strings.Index(text, "gitops:ignore")
		if i < 0 || !strings.Contains(text[:i], "#") {
			continue
		}
		ids := strings.FieldsFunc(text[i+len("gitops:ignore"):], func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
		if len(ids) == 0 {
			return true
		}
		for _, id := range ids {
			if id == d.Rule || id == "all" {
				return true
			}
		}
	}
	return false
}

// sources answers questions about GitRepository objects, caching repository
// reads and base views.
type sources struct {
	origin string
	self   map[string]bool // GitRepositories that self-applying Kustomizations read
	res    *gitsrc.Resolver
	parsed *view.Parsed // shared with the repository's view
	mu     sync.Mutex
	views  map[string]*view.View
	states map[*model.Object]*rules.SourceState
}

func refOf(o *model.Object) gitsrc.Ref {
	n := o.Node()
	return gitsrc.Ref{
		Tag:    yamlfile.Str(n, "spec", "ref", "tag"),
		Branch: yamlfile.Str(n, "spec", "ref", "branch"),
		Commit: yamlfile.Str(n, "spec", "ref", "commit"),
		Semver: yamlfile.Str(n, "spec", "ref", "semver"),
		Name:   yamlfile.Str(n, "spec", "ref", "name"),
	}
}

func (s *sources) thisRepo(o *model.Object) bool {
	if o.Name == "flux-system" || s.self[o.Name] {
		return true
	}
	url := yamlfile.Str(o.Node(), "spec", "url")
	return s.origin != "" && url != "" && config.NormalizeURL(url) == config.NormalizeURL(s.origin)
}

// State implements rules.Sources.
func (s *sources) State(ctx context.Context, o *model.Object) *rules.SourceState {
	s.mu.Lock()
	st, ok := s.states[o]
	s.mu.Unlock()
	if ok {
		return st
	}
	st = &rules.SourceState{URL: yamlfile.Str(o.Node(), "spec", "url"), Ref: refOf(o), ThisRepo: s.thisRepo(o)}
	switch {
	case st.ThisRepo:
	case st.URL == "":
		st.OpenErr = fmt.Errorf("GitRepository %s has no url", o.Name)
	default:
		// The resolver shares one attempt per URL, so two callers racing
		// here get the same answer.
		st.Repo, st.OpenErr = s.res.Open(ctx, st.URL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.states[o]; ok {
		return prev // the first state stored wins, so every caller sees one
	}
	s.states[o] = st
	return st
}

type resolver struct {
	src *sources
}

func (r *resolver) IsThisRepo(a *model.Applied) bool { return r.src.thisRepo(a.Obj) }

// External opens the tree a GitRepository pins, as a view shared by every
// cluster that pins the same commit.
func (r *resolver) External(ctx context.Context, a *model.Applied) (*view.View, string, error) {
	st := r.src.State(ctx, a.Obj)
	if st.Repo == nil {
		return nil, "", st.OpenErr
	}
	h, err := st.Repo.Resolve(st.Ref)
	if err != nil {
		return nil, st.Ref.String(), err
	}
	label := a.Obj.Name + "@" + strings.TrimPrefix(st.Ref.String(), "branch ")
	key := config.NormalizeURL(st.URL) + "@" + h.String()
	r.src.mu.Lock()
	defer r.src.mu.Unlock()
	if v, ok := r.src.views[key]; ok {
		// Views are shared; the label names the first source that pinned it.
		return v, st.Ref.String(), nil
	}
	fsys, err := st.Repo.FS(h)
	if err != nil {
		return nil, st.Ref.String(), err
	}
	v := view.New(fsys, label)
	v.Parsed = r.src.parsed
	v.Tree = "git:" + key
	r.src.views[key] = v
	return v, st.Ref.String(), nil
}

// Schemas builds schema validators and keeps the last one while the CRDs it
// was built from are unchanged, so that a long-running caller (the language
// server) validates each run without rebuilding its schemas. Safe for
// concurrent use; runs that overlap must share the CRD set, since a new set
// replaces the validator.
type Schemas struct {
	opts    schema.Options
	mu      sync.Mutex
	key     [32]byte
	v       *schema.Validator
	err     error
	store   schema.Store // disk cache of validation outcomes; nil: none
	version string
}

// NewSchemas returns a Schemas whose validators use opts (extra schema
// locations, such as --schema-location).
func NewSchemas(opts schema.Options) *Schemas { return &Schemas{opts: opts} }

// SetStore gives the validators a disk cache of validation outcomes,
// used when the schemas are the repository's CRDs and the built-in ones
// only (no catalog, no schema location: their content may change under
// the same name); version names the tool.
func (s *Schemas) SetStore(store schema.Store, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store, s.version = store, version
	s.v, s.err = nil, nil
}

// Validator returns a validator that knows crds.
func (s *Schemas) Validator(crds [][]byte) (*schema.Validator, error) {
	return s.validator(crds, nil)
}

// validator returns a validator that knows crds and asks cats for the
// kinds it does not know.
func (s *Schemas) validator(crds [][]byte, cats []schema.Catalog) (*schema.Validator, error) {
	h := sha256.New()
	for _, c := range cats {
		h.Write([]byte(c.String() + "\x00"))
	}
	for _, l := range s.opts.SchemaLocations {
		h.Write([]byte("location " + l + "\x00"))
	}
	for _, c := range crds {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(c)))
		h.Write(n[:])
		h.Write(c)
	}
	var key [32]byte
	copy(key[:], h.Sum(nil))
	s.mu.Lock()
	defer s.mu.Unlock()
	if (s.v != nil || s.err != nil) && key == s.key {
		return s.v, s.err
	}
	if s.v != nil {
		_ = s.v.Close()
	}
	s.key = key
	opts := s.opts
	opts.Catalogs = append(slices.Clone(opts.Catalogs), cats...)
	s.v, s.err = schema.New(crds, opts)
	if s.err != nil {
		// A CRD that does not decode is reported as yaml/syntax; validate
		// with the built-in schemas rather than not at all.
		s.v, s.err = schema.New(nil, opts)
		key = sha256.Sum256(append([]byte("no CRDs\x00"), key[:]...))
	}
	if s.v != nil {
		var store schema.Store
		if len(opts.Catalogs) == 0 && len(opts.SchemaLocations) == 0 {
			store = s.store
		}
		s.v.SetMemo(s.version+"\x00"+hex.EncodeToString(key[:]), store)
	}
	return s.v, s.err
}

// Close removes the schema files of the current validator.
func (s *Schemas) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.v == nil {
		return nil
	}
	err := s.v.Close()
	s.v = nil
	return err
}
