package build

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

// What source-controller leaves out of an artifact (gitignore syntax), as
// documented for GitRepository .spec.ignore. The version-control entries
// always apply; the others only when neither a .sourceignore file nor
// spec.ignore gives patterns of its own.
var (
	excludeVCS     = []string{".git/", ".gitignore", ".gitmodules", ".gitattributes"}
	excludeDefault = []string{
		"*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip",
		".github/", ".circleci/", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml",
		"cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
		"**/.goreleaser.yml", "**/.sops.yaml", "**/.flux.yaml",
	}
)

const sourceIgnoreFile = ".sourceignore"

// maxIgnoreFile bounds a .sourceignore: a hostile one must not exhaust
// memory or make every path match thousands of patterns.
const maxIgnoreFile = 1 << 20

type ignoreKey struct {
	v      *view.View
	ignore string
}

type ignoreRules struct {
	m      gitignore.Matcher
	err    error
	hidden sync.Map // path + "/" for folders -> bool: matching is costly and builds share paths
}

// filtered is the source of a Kustomization as source-controller packs it:
// without the files its ignore rules exclude.
func (b *Builder) filtered(p *model.Pull) (fs.FS, error) {
	ignore := ""
	if p.Source != nil && !p.Implicit {
		ignore = yamlfile.Str(p.Source.Obj.Node(), "spec", "ignore")
	}
	return b.filteredView(p.View, ignore)
}

func (b *Builder) filteredView(v *view.View, ignore string) (fs.FS, error) {
	key := ignoreKey{v, ignore}
	b.mu.Lock()
	r, ok := b.ign[key]
	b.mu.Unlock()
	if !ok {
		r = &ignoreRules{}
		r.m, r.err = loadIgnore(v.CachedFS(), ignore)
		b.mu.Lock()
		b.ign[key] = r
		b.mu.Unlock()
	}
	if r.err != nil {
		return nil, r.err
	}
	return &ignoreFS{fsys: v.CachedFS(), r: r}, nil
}

// loadIgnore reads every .sourceignore of the tree (each applies below its
// folder) and appends spec.ignore, as source-controller does.
func loadIgnore(fsys fs.FS, spec string) (gitignore.Matcher, error) {
	var ps []gitignore.Pattern
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			return nil // an unreadable folder: nothing to ignore there
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		if d.Name() != sourceIgnoreFile || !d.Type().IsRegular() {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Size() > maxIgnoreFile {
			return fmt.Errorf("%s: %d bytes, more than the %d an ignore file may have", p, info.Size(), maxIgnoreFile)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		ps = append(ps, readPatterns(string(data), domain(path.Dir(p)))...)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	ps = append(ps, readPatterns(spec, nil)...)
	base := excludeVCS
	if len(ps) == 0 {
		base = append(append([]string(nil), excludeVCS...), excludeDefault...)
	}
	var all []gitignore.Pattern
	for _, s := range base {
		all = append(all, gitignore.ParsePattern(s, nil))
	}
	return gitignore.NewMatcher(append(all, ps...)), nil
}

func domain(dir string) []string {
	if dir == "." || dir == "" {
		return nil
	}
	return strings.Split(dir, "/")
}

// readPatterns reads gitignore lines; comments and blank lines are skipped.
func readPatterns(text string, dom []string) []gitignore.Pattern {
	var ps []gitignore.Pattern
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		s := sc.Text()
		if strings.HasPrefix(s, "#") || strings.TrimSpace(s) == "" {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(s, append([]string(nil), dom...)))
	}
	return ps
}

// ignoreFS hides what a matcher excludes; a file below an excluded folder
// is excluded too.
type ignoreFS struct {
	fsys fs.FS
	r    *ignoreRules
}

func (f *ignoreFS) hidden(name string, dir bool) bool {
	if name == "." || name == "" {
		return false
	}
	key := name
	if dir {
		key += "/"
	}
	if v, ok := f.r.hidden.Load(key); ok {
		return v.(bool)
	}
	h := false
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		h = f.hidden(name[:i], true)
	}
	if !h {
		h = f.r.m.Match(strings.Split(name, "/"), dir)
	}
	f.r.hidden.Store(key, h)
	return h
}

func (f *ignoreFS) check(op, name string) (fs.FileInfo, error) {
	st, err := fs.Stat(f.fsys, name)
	if err != nil {
		return nil, err
	}
	if f.hidden(name, st.IsDir()) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return st, nil
}

func (f *ignoreFS) Open(name string) (fs.File, error) {
	if _, err := f.check("open", name); err != nil {
		return nil, err
	}
	return f.fsys.Open(name)
}

func (f *ignoreFS) Stat(name string) (fs.FileInfo, error) { return f.check("stat", name) }

func (f *ignoreFS) ReadFile(name string) ([]byte, error) {
	if _, err := f.check("read", name); err != nil {
		return nil, err
	}
	return fs.ReadFile(f.fsys, name)
}

func (f *ignoreFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if _, err := f.check("readdir", name); err != nil {
		return nil, err
	}
	es, err := fs.ReadDir(f.fsys, name)
	out := es[:0:0]
	for _, e := range es {
		if !f.hidden(path.Join(name, e.Name()), e.IsDir()) {
			out = append(out, e)
		}
	}
	return out, err
}
