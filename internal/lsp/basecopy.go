package lsp

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/cache"
	"github.com/opencenter-cloud/gitops-hook/internal/workspace"
)

// baseViewOf finds the external view a related location names: the engine
// appends " (SOURCE@REF)", the label of the view, to its message.
func (st *state) baseViewOf(r diag.Related) *view.View {
	msg := strings.TrimSpace(r.Message)
	if !strings.HasSuffix(msg, ")") {
		return nil
	}
	i := strings.LastIndex(msg, " (")
	if i < 0 {
		return nil
	}
	return st.viewByLabel(msg[i+2 : len(msg)-1])
}

func (st *state) viewByLabel(label string) *view.View {
	if label == "" || st.res == nil || st.res.Model == nil {
		return nil
	}
	for _, c := range st.res.Model.Clusters {
		if c == nil {
			continue
		}
		for _, p := range c.Pulls {
			if p.View != nil && p.External && p.View.Label == label {
				return p.View
			}
		}
	}
	return nil
}

func (st *state) isBaseRelated(r diag.Related) bool { return st.baseViewOf(r) != nil }

// cacheDir is where read-only copies of base files are written.
func (s *Server) cacheDir() string {
	if base := s.opts.Getenv("XDG_CACHE_HOME"); base != "" {
		return filepath.Join(base, "gitops-hook", "lsp")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "gitops-hook", "lsp")
	}
	return filepath.Join(os.TempDir(), "gitops-hook-lsp")
}

// materialise writes the file a related location names inside a base at
// a tag to a read-only copy under the cache folder, so that the editor can
// open it.
func (s *Server) materialise(st *state, r diag.Related) (string, *lines, bool) {
	v := st.baseViewOf(r)
	if v == nil {
		return "", nil, false
	}
	abs, data, err := s.copyOf(v, r.File)
	if err != nil {
		s.logOnly("read-only copy of %s: %v", r.File, err)
		return "", nil, false
	}
	return abs, newLines(data), true
}

// copyOf writes p of view v under the cache folder (once per label and
// path) and returns where, with the content.
func (s *Server) copyOf(v *view.View, p string) (string, []byte, error) {
	c, ok := view.Clean(p)
	if !ok {
		return "", nil, fmt.Errorf("%s: path leaves the repository", p)
	}
	data, err := v.Read(c)
	if err != nil {
		return "", nil, err
	}
	label := strings.NewReplacer("/", "_", "\\", "_", ":", "_", "..", "_").Replace(v.Label)
	abs := filepath.Join(s.cacheDir(), label, filepath.FromSlash(c))
	if old, err := os.ReadFile(abs); err == nil && string(old) == string(data) {
		return abs, data, nil
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return "", nil, err
	}
	_ = os.Chmod(abs, 0o644)
	if err := os.WriteFile(abs, data, 0o444); err != nil {
		return "", nil, err
	}
	_ = os.Chmod(abs, 0o444)
	return abs, data, nil
}

// buildCache is the disk cache of builds and validations the server
// shares with the hook and check (builds/ in the cache folder), nil when
// GITOPS_HOOK_CACHE=off. A cache that cannot be written is logged once.
func (s *Server) buildCache() *cache.Dir {
	if s.opts.Getenv("GITOPS_HOOK_CACHE") == "off" {
		return nil
	}
	dir := workspace.CacheDir(s.opts.Getenv("XDG_CACHE_HOME"))
	if dir == "" {
		return nil
	}
	return cache.Open(filepath.Join(dir, "builds"), "gitops-lsp", 0, func(msg string) { s.logOnly("%s", msg) })
}
