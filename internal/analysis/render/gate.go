package render

import (
	"context"
	"sync"
)

// gate is a readers-writer lock whose waits honour a context. Ordinary
// builds share it; a build that sets a custom OpenAPI schema (global state
// in kustomize) holds it alone. Unlike sync.RWMutex, a writer that gives up
// waiting lets the readers queued behind it in again: a build abandoned
// after its deadline may hold a read lock for a long time, and it must not
// stall every later build through a writer that waits for it forever.
type gate struct {
	mu      sync.Mutex
	readers int
	writer  bool
	waiting int           // writers waiting: new readers queue behind them
	changed chan struct{} // closed on every release; nil when nobody waits
}

// acquire takes the gate, shared or exclusive, or returns ctx's error.
func (g *gate) acquire(ctx context.Context, exclusive bool) error {
	g.mu.Lock()
	if exclusive {
		g.waiting++
	}
	for {
		if !g.writer && (exclusive && g.readers == 0 || !exclusive && g.waiting == 0) {
			if exclusive {
				g.waiting--
				g.writer = true
			} else {
				g.readers++
			}
			g.mu.Unlock()
			return nil
		}
		if g.changed == nil {
			g.changed = make(chan struct{})
		}
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			g.mu.Lock()
			if exclusive {
				g.waiting--
				g.wake()
			}
			g.mu.Unlock()
			return ctx.Err()
		}
		g.mu.Lock()
	}
}

// release gives back what acquire took.
func (g *gate) release(exclusive bool) {
	g.mu.Lock()
	if exclusive {
		g.writer = false
	} else {
		g.readers--
	}
	g.wake()
	g.mu.Unlock()
}

func (g *gate) wake() {
	if g.changed != nil {
		close(g.changed)
		g.changed = nil
	}
}
