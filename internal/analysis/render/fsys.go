package render

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// mount is where the source FS appears inside the in-memory filesystem. It
// is one level below "/" so that "../" chains escaping the source root land
// on paths that do not exist instead of being clamped back into the root.
const mount = "/src"

// entryKind says what a closure entry observed about a path.
type entryKind uint8

const (
	seenMissing entryKind = iota + 1
	seenDir
	seenFile
	seenListing
	seenError
)

// closureEntry is one observation the build depended on. Re-observing every
// entry against a new FS and getting the same answers proves that a cached
// result is still valid.
type closureEntry struct {
	path string
	kind entryKind
	sum  [32]byte
}

// lazyFS is a kustomize filesystem that materialises files from a read-only
// fs.FS into an in-memory filesystem on first access. It never touches the
// real disk, cannot reach anything outside the source root, and records
// every observation so the render can be cached by its input closure.
type lazyFS struct {
	src      fs.FS
	mem      filesys.FileSystem
	limits   Limits
	seen     map[string]bool // FS-relative paths already materialised
	listed   map[string]bool // directories whose children are materialised
	closure  []closureEntry
	remotes  []Remote
	files    int
	firstErr error // sticky: methods returning bool cannot report errors
	// shared is set for builds that run beside others: reading a
	// kustomization that sets openapi then stops the build, which is run
	// again alone (needExclusive).
	shared        bool
	needExclusive bool
}

func newLazyFS(src fs.FS, limits Limits) *lazyFS {
	mem := filesys.MakeFsInMemory()
	_ = mem.MkdirAll(mount) // cannot fail on an empty in-memory FS
	return &lazyFS{src: src, mem: mem, limits: limits, seen: map[string]bool{}, listed: map[string]bool{}}
}

// rel maps an in-memory path to an FS-relative path; ok is false outside
// the mount.
func rel(p string) (string, bool) {
	p = path.Clean(filepath.ToSlash(p))
	if p == mount {
		return ".", true
	}
	r, ok := strings.CutPrefix(p, mount+"/")
	return r, ok
}

func abs(r string) string {
	if r == "." || r == "" {
		return mount
	}
	return mount + "/" + r
}

func (l *lazyFS) fail(err error) error {
	if l.firstErr == nil {
		l.firstErr = err
	}
	return err
}

// ensure materialises one path (and implicitly its parents).
func (l *lazyFS) ensure(p string) error {
	r, ok := rel(p)
	if !ok || l.seen[r] {
		return nil
	}
	l.seen[r] = true
	if r != "." {
		if err := l.ensure(abs(path.Dir(r))); err != nil {
			return err
		}
	}
	info, err := fs.Stat(l.src, r)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		l.closure = append(l.closure, closureEntry{path: r, kind: seenMissing})
		return nil
	case err != nil:
		l.closure = append(l.closure, closureEntry{path: r, kind: seenError})
		return l.fail(&FileError{File: r, Err: err})
	case info.IsDir():
		l.closure = append(l.closure, closureEntry{path: r, kind: seenDir})
		return l.mem.MkdirAll(abs(r))
	}
	l.files++
	if l.files > l.limits.MaxFiles {
		return l.fail(&FileError{File: r, Err: fmt.Errorf("build reads more than %d files", l.limits.MaxFiles)})
	}
	data, err := readCapped(l.src, r, l.limits.MaxFileBytes)
	if err != nil {
		l.closure = append(l.closure, closureEntry{path: r, kind: seenError})
		return l.fail(err)
	}
	l.closure = append(l.closure, closureEntry{path: r, kind: seenFile, sum: sha256.Sum256(data)})
	// kustomize expands aliases as soon as it reads a file (kyaml
	// DeAnchor), before any limit of its own: an alias bomb must not reach it.
	if e := yamlfile.CheckLimits(data); e != nil {
		return l.fail(&FileError{File: r, Err: e})
	}
	if isKustomizationFile(r) {
		if l.shared && setsOpenAPI(data) {
			l.needExclusive = true
			return l.fail(&FileError{File: r, Err: errors.New("sets a custom OpenAPI schema: built alone")})
		}
		var stripped []Remote
		data, stripped = stripRemote(r, data)
		l.remotes = append(l.remotes, stripped...)
	}
	return l.mem.WriteFile(abs(r), data)
}

// ensureTree materialises a directory and everything below it, for the
// kustomize calls that list directories.
func (l *lazyFS) ensureTree(p string) error {
	r, ok := rel(p)
	if !ok {
		return nil
	}
	if err := l.ensure(abs(r)); err != nil {
		return err
	}
	if l.listed[r] {
		return nil
	}
	l.listed[r] = true
	ents, err := fs.ReadDir(l.src, r)
	if err != nil {
		return nil // not a directory, or missing: ensure recorded it
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	l.closure = append(l.closure, closureEntry{path: r, kind: seenListing, sum: sha256.Sum256([]byte(strings.Join(names, "\x00")))})
	for _, e := range ents {
		if err := l.ensureTree(abs(path.Join(r, e.Name()))); err != nil {
			return err
		}
	}
	return nil
}

// readCapped reads a file but refuses anything over max bytes, so a stray
// 50 MB file becomes an error naming it rather than an allocation.
func readCapped(src fs.FS, name string, max int64) ([]byte, error) {
	info, err := fs.Stat(src, name)
	if err == nil && info.Size() > max {
		// Refused before opening: opening a staged blob loads it whole.
		return nil, &FileError{File: name, Err: fmt.Errorf("file is larger than %d bytes", max)}
	}
	if rf, ok := src.(fs.ReadFileFS); ok {
		if err == nil {
			data, err := rf.ReadFile(name)
			if err != nil {
				return nil, &FileError{File: name, Err: err}
			}
			if int64(len(data)) <= max {
				return data, nil
			}
		}
	}
	f, err := src.Open(name)
	if err != nil {
		return nil, &FileError{File: name, Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, &FileError{File: name, Err: err}
	}
	if int64(len(data)) > max {
		return nil, &FileError{File: name, Err: fmt.Errorf("file is larger than %d bytes", max)}
	}
	return data, nil
}

// stillValid re-observes a recorded closure against src.
func stillValid(src fs.FS, closure []closureEntry, limits Limits) bool {
	for _, e := range closure {
		var got closureEntry
		got.path, got.kind = e.path, seenError
		switch info, err := fs.Stat(src, e.path); {
		case errors.Is(err, fs.ErrNotExist):
			got.kind = seenMissing
		case err != nil:
		case e.kind == seenListing:
			ents, err := fs.ReadDir(src, e.path)
			if err == nil {
				names := make([]string, 0, len(ents))
				for _, d := range ents {
					names = append(names, d.Name())
				}
				got.kind, got.sum = seenListing, sha256.Sum256([]byte(strings.Join(names, "\x00")))
			}
		case info.IsDir():
			got.kind = seenDir
		default:
			if data, err := readCapped(src, e.path, limits.MaxFileBytes); err == nil {
				got.kind, got.sum = seenFile, sha256.Sum256(data)
			}
		}
		if got != e {
			return false
		}
	}
	return true
}

// The filesys.FileSystem methods: materialise, then delegate.

func (l *lazyFS) Create(p string) (filesys.File, error) { return l.mem.Create(p) }
func (l *lazyFS) Mkdir(p string) error                  { return l.mem.Mkdir(p) }
func (l *lazyFS) MkdirAll(p string) error               { return l.mem.MkdirAll(p) }
func (l *lazyFS) RemoveAll(p string) error              { return l.mem.RemoveAll(p) }
func (l *lazyFS) WriteFile(p string, d []byte) error    { return l.mem.WriteFile(p, d) }

func (l *lazyFS) Open(p string) (filesys.File, error) {
	if err := l.ensure(p); err != nil {
		return nil, err
	}
	return l.mem.Open(p)
}

func (l *lazyFS) IsDir(p string) bool {
	_ = l.ensure(p)
	return l.mem.IsDir(p)
}

func (l *lazyFS) ReadDir(p string) ([]string, error) {
	if err := l.ensureTree(p); err != nil {
		return nil, err
	}
	return l.mem.ReadDir(p)
}

func (l *lazyFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	if err := l.ensure(p); err != nil {
		return "", "", err
	}
	return l.mem.CleanedAbs(p)
}

func (l *lazyFS) Exists(p string) bool {
	_ = l.ensure(p)
	return l.mem.Exists(p)
}

func (l *lazyFS) Glob(pattern string) ([]string, error) {
	dir := path.Dir(pattern)
	for strings.ContainsAny(dir, "*?[\\") {
		dir = path.Dir(dir)
	}
	if err := l.ensureTree(dir); err != nil {
		return nil, err
	}
	return l.mem.Glob(pattern)
}

func (l *lazyFS) ReadFile(p string) ([]byte, error) {
	if err := l.ensure(p); err != nil {
		return nil, err
	}
	return l.mem.ReadFile(p)
}

func (l *lazyFS) Walk(p string, fn filepath.WalkFunc) error {
	if err := l.ensureTree(p); err != nil {
		return err
	}
	return l.mem.Walk(p, fn)
}

// kustomizationNames are the file names kustomize recognises, in its order.
func kustomizationNames() []string {
	return []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}
}

func isKustomizationFile(r string) bool {
	return slices.Contains(kustomizationNames(), path.Base(r))
}
