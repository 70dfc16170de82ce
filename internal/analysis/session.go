package analysis

import (
	"context"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/schema"
)

// SessionOptions configure a Session.
type SessionOptions struct {
	// Schema configures the schema validators (extra schema locations).
	Schema schema.Options
	// RenderLimits bound the builds; zero: render.DefaultLimits.
	RenderLimits render.Limits
}

// Session is the long-lived part of the engine: what one analysis builds
// and the next can reuse while its inputs are unchanged (renders keyed by
// the tree they read and the content of their input closure, the schema
// validator keyed by the set of CRDs). The language server keeps one for
// its life; check and the hook use one per process. Safe for concurrent
// use.
type Session struct {
	renderer *render.Renderer
	schemas  *Schemas
}

// NewSession returns an empty Session.
func NewSession(o SessionOptions) *Session {
	l := o.RenderLimits
	if l == (render.Limits{}) {
		l = render.DefaultLimits()
	}
	return &Session{renderer: render.NewWithLimits(l), schemas: NewSchemas(o.Schema)}
}

// Renderer is the renderer the Session builds with.
func (s *Session) Renderer() *render.Renderer { return s.renderer }

// Schemas is the Session's schema validator holder.
func (s *Session) Schemas() *Schemas { return s.schemas }

// Analyze runs Analyze with what the Session keeps. Options.Renderer and
// Options.Schemas, when set, are replaced by the Session's.
func (s *Session) Analyze(ctx context.Context, opts Options) (*Result, error) {
	opts.Renderer, opts.Schemas = s.renderer, s.schemas
	return Analyze(ctx, opts)
}

// Close releases what the Session holds.
func (s *Session) Close() error { return s.schemas.Close() }
