package analysis

import (
	"context"
	"math/rand/v2"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/schema"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/cache"
)

// SessionOptions configure a Session.
type SessionOptions struct {
	// Schema configures the schema validators (extra schema locations)
	// when Schemas is nil.
	Schema  schema.Options
	Schemas *Schemas
	// RenderLimits bound the builds; zero: render.DefaultLimits.
	RenderLimits render.Limits
	// Cache, when not nil, keeps builds and validations on disk for the
	// next process; Version names the tool (cache.Version() when "").
	Cache   *cache.Dir
	Version string
}

// Session is the long-lived part of the engine: what one analysis builds
// and the next can reuse while its inputs are unchanged. Parsed files are
// keyed by path and content; builds are keyed
// by their request and the tree they read (a git tree by its commit) and
// reused while every file they read is unchanged; validations are keyed
// by the content of the rendered objects and the set of schemas (the
// validator itself is kept while the CRDs are unchanged); tag-tree
// comparisons are kept by the source resolver. With a disk cache, builds
// and validations also survive the process. The language server keeps
// one Session for its life; check and the hook use one per process. Safe
// for concurrent use.
type Session struct {
	parsed   *view.Parsed
	renderer *render.Renderer
	schemas  *Schemas
	cache    *cache.Dir
}

// NewSession returns an empty Session.
func NewSession(o SessionOptions) *Session {
	l := o.RenderLimits
	if l == (render.Limits{}) {
		l = render.DefaultLimits()
	}
	s := &Session{parsed: view.NewParsed(), renderer: render.NewWithLimits(l), schemas: o.Schemas, cache: o.Cache}
	if s.schemas == nil {
		s.schemas = NewSchemas(o.Schema)
	}
	if o.Cache != nil {
		v := o.Version
		if v == "" {
			v = cache.Version()
		}
		s.renderer.SetStore(o.Cache, v)
		s.schemas.SetStore(o.Cache, v)
	}
	return s
}

// Renderer is the renderer the Session builds with.
func (s *Session) Renderer() *render.Renderer { return s.renderer }

// Schemas is the Session's schema validator holder.
func (s *Session) Schemas() *Schemas { return s.schemas }

// Analyze runs Analyze with what the Session keeps. Options.Renderer,
// Options.Schemas and Options.Parsed, when set, are replaced by the
// Session's.
func (s *Session) Analyze(ctx context.Context, opts Options) (*Result, error) {
	opts.Renderer, opts.Schemas, opts.Parsed = s.renderer, s.schemas, s.parsed
	defer s.parsed.Sweep()
	return Analyze(ctx, opts)
}

// Parsed is the Session's cache of parsed files, for callers that run
// Analyze themselves with the Session's parts.
func (s *Session) Parsed() *view.Parsed { return s.parsed }

// Close writes what the Session added to the disk cache and keeps the
// cache within its bound (checked now and then, since that lists the
// whole folder).
func (s *Session) Close() error {
	if n := s.cache.Flush(); n > 4<<20 || (n > 0 && rand.IntN(16) == 0) {
		s.cache.Trim()
	}
	return s.schemas.Close()
}

// Flush writes what the Session added to the disk cache so far (a
// long-lived Session calls it after each analysis).
func (s *Session) Flush() { s.cache.Flush() }
