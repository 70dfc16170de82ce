// Package workspace sets up what every front end analyses: it finds the
// repository root, reads the configuration, builds the source resolver,
// guards uncommitted work and applies fixes. The command line, the hook and
// the language server all open their repository through it, so that they
// agree on the root and the configuration.
package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/gitview"
)

// Options say how to open a workspace.
type Options struct {
	// Dir is the current folder; relative paths of flags resolve from it.
	Dir string
	// Path is what the command is about (a folder or file); "" is Dir.
	// The root is found from it, and Focus is it relative to the root.
	Path string
	// ConfigFile overrides the configuration file (--config).
	ConfigFile string
	// Mirrors are URL=DIR pairs (--mirror), DIR relative to Dir.
	Mirrors []string
	// Offline never touches the network.
	Offline bool
	// CacheHome is $XDG_CACHE_HOME; "" means the user cache folder.
	CacheHome string
}

// Workspace is an opened repository.
type Workspace struct {
	Root       string // absolute; Flux paths of this repository start here
	GitTop     string // the git work tree top-level, "" outside git
	Focus      string // Options.Path relative to Root, slash-separated; "" is everything
	Config     *config.Config
	ConfigFile string // the file read, "" when defaults apply
	Sources    *gitsrc.Resolver
	Origin     string // URL of the origin remote, if any
	root       *os.Root
	fsys       *rootFS
}

// FindRoot finds the repository root for path, the rule every command
// follows: the nearest folder at or above path that holds .gitops.yaml,
// up to the git top-level; else the git top-level (Flux resolves spec.path
// from the root of the source's repository); else path itself (or its
// folder, for a file).
func FindRoot(p string) (root, gitTop string, err error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", "", err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", p, errors.Unwrap(err))
	}
	if !st.IsDir() {
		abs = filepath.Dir(abs)
	}
	if loc, err := gitview.Locate(abs); err == nil && !loc.Bare {
		gitTop = loc.Root
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, config.FileName)); err == nil {
			return d, gitTop, nil
		}
		if d == gitTop || filepath.Dir(d) == d {
			break
		}
	}
	if gitTop != "" {
		return gitTop, gitTop, nil
	}
	return abs, "", nil
}

// Open finds the root, reads the configuration and builds the resolver.
// Errors are the user's to fix (a missing folder, a configuration
// mistake with its line) and name the file they are about.
func Open(o Options) (*Workspace, error) {
	p := o.Path
	if p == "" {
		p = o.Dir
	} else if !filepath.IsAbs(p) {
		p = filepath.Join(o.Dir, p)
	}
	root, top, err := FindRoot(p)
	if err != nil {
		return nil, err
	}
	w := &Workspace{Root: root, GitTop: top}
	if rel, err := filepath.Rel(root, p); err == nil && rel != "." {
		w.Focus = filepath.ToSlash(rel)
	}
	cfgPath := o.ConfigFile
	switch {
	case cfgPath == "":
		if _, err := os.Stat(filepath.Join(root, config.FileName)); err == nil {
			cfgPath = filepath.Join(root, config.FileName)
		}
	case !filepath.IsAbs(cfgPath):
		cfgPath = filepath.Join(o.Dir, cfgPath)
	}
	w.Config = config.Default()
	if cfgPath != "" {
		data, err := os.ReadFile(cfgPath)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if w.Config, err = ParseConfig(displayPath(o.Dir, cfgPath), data); err != nil {
			return nil, err
		}
		w.ConfigFile = cfgPath
	}
	if w.Sources, err = NewResolver(w.Config, root, o); err != nil {
		return nil, err
	}
	w.Origin, _ = gitview.Origin(root)
	if w.root, err = os.OpenRoot(root); err != nil {
		return nil, fmt.Errorf("%s: %w", root, err)
	}
	w.fsys = newRootFS(w.root)
	return w, nil
}

// displayPath names a file relative to the current folder when it is
// below it, as users typed it.
func displayPath(dir, p string) string {
	if rel, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

// RuleIDs lists the catalog's rule IDs, the words a configuration may use.
func RuleIDs() []string {
	var ids []string
	for _, r := range catalog.All() {
		ids = append(ids, r.ID)
	}
	return ids
}

// ParseConfig reads a configuration file's text, checking rule IDs against
// the catalog. name appears in errors.
func ParseConfig(name string, data []byte) (*config.Config, error) {
	return config.ParseFile(name, data, RuleIDs())
}

// LoadConfig reads .gitops.yaml from a repository view (the index, for
// the hook: the configuration being committed is the one that applies),
// or returns the defaults when there is none.
func LoadConfig(fsys fs.FS, dir string) (*config.Config, error) {
	name := path.Join(dir, config.FileName)
	data, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return config.Default(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ParseConfig(name, data)
}

// NewResolver builds the source resolver from the configuration's mirrors
// (relative to root) and the --mirror flags (relative to o.Dir).
func NewResolver(cfg *config.Config, root string, o Options) (*gitsrc.Resolver, error) {
	res := &gitsrc.Resolver{Offline: o.Offline, Mirrors: map[string]string{}}
	for u, d := range cfg.Mirrors {
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, d)
		}
		res.Mirrors[u] = d
	}
	for _, m := range o.Mirrors {
		u, d, ok := strings.Cut(m, "=")
		if !ok || u == "" || d == "" {
			return nil, fmt.Errorf("--mirror %q: want URL=DIR", m)
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(o.Dir, d)
		}
		if _, err := os.Stat(d); err != nil {
			return nil, fmt.Errorf("--mirror %s: %w", m, errors.Unwrap(err))
		}
		res.Mirrors[u] = d
	}
	res.CacheDir = CacheDir(o.CacheHome)
	return res, nil
}

// CacheDir is the tool's cache folder: $XDG_CACHE_HOME/gitops-hook
// (cacheHome is $XDG_CACHE_HOME), else gitops-hook in the user cache
// folder, else "" (no cache). Clones live in repos/, fetched schemas in
// schemas/, builds and validations in builds/.
func CacheDir(cacheHome string) string {
	if cacheHome != "" {
		return filepath.Join(cacheHome, "gitops-hook")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "gitops-hook")
	}
	return ""
}

// FS is the working tree below the root; links out of it are refused.
func (w *Workspace) FS() fs.FS { return w.fsys }

// Close releases the root.
func (w *Workspace) Close() error {
	w.fsys.Close()
	return w.root.Close()
}

// Analysis returns the options of an analysis of the working tree.
func (w *Workspace) Analysis() analysis.Options {
	return analysis.Options{FS: w.FS(), Config: w.Config, Origin: w.Origin, Sources: w.Sources}
}

// InFocus reports whether a repository path is inside the focus.
func (w *Workspace) InFocus(file string) bool {
	return w.Focus == "" || file == w.Focus || strings.HasPrefix(file, w.Focus+"/")
}

// Uncommitted lists which of paths (relative to the root) hold work git
// has not committed: staged or unstaged changes, untracked files. Paths
// are compared with git's own view, relative to its top-level, wherever
// the root sits inside the work tree.
func (w *Workspace) Uncommitted(paths []string) ([]string, error) {
	if w.GitTop == "" {
		return nil, nil
	}
	prefix, err := filepath.Rel(w.GitTop, w.Root)
	if err != nil {
		return nil, err
	}
	prefix = filepath.ToSlash(prefix)
	var top []string
	for _, p := range paths {
		top = append(top, path.Join(prefix, p))
	}
	dirty, err := gitview.Uncommitted(w.GitTop, top)
	if err != nil {
		return nil, err
	}
	for i, d := range dirty {
		if prefix != "." {
			d = strings.TrimPrefix(d, prefix+"/")
		}
		dirty[i] = d
	}
	return dirty, nil
}
