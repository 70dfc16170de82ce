// Package treecache keeps what is read of a folder tree (file
// information, listings, contents) in memory, for a long-lived reader that
// learns of every change from a file watcher: the language server reads
// the whole repository at every analysis, and on a repository of thousands
// of files the system calls cost more than the analysis itself.
//
// The cache is only as good as the changes it is told of (Invalidate,
// Reset). It never keeps what a symbolic link leads to (a change of the
// target says nothing about the link's path), nor anything below a folder
// the caller leaves unwatched (Options.Uncached).
package treecache

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/opencenter-cloud/gitops-hook/internal/memfs"
)

// Options configure a Tree.
type Options struct {
	// MaxBytes bounds the file content kept; 0: 256 MiB. Files read past
	// the bound are read from the tree every time.
	MaxBytes int64
	// Uncached tells whether a path is read through every time (a folder
	// the watcher does not follow); nil: none.
	Uncached func(p string) bool
}

// Tree is an fs.FS over another whose answers are kept until Invalidate
// or Reset drops them. Safe for concurrent use.
type Tree struct {
	fsys fs.FS
	opts Options

	mu    sync.Mutex
	gen   uint64 // bumped by every Invalidate and Reset
	stats map[string]statResult
	dirs  map[string]dirResult
	files map[string][]byte
	bytes int64
}

type statResult struct {
	info fs.FileInfo
	err  error // only fs.ErrNotExist is kept
}

type dirResult struct {
	ents []fs.DirEntry
	err  error
}

// New returns a Tree over fsys.
func New(fsys fs.FS, o Options) *Tree {
	if o.MaxBytes == 0 {
		o.MaxBytes = 256 << 20
	}
	return &Tree{fsys: fsys, opts: o, stats: map[string]statResult{}, dirs: map[string]dirResult{}, files: map[string][]byte{}}
}

// clear empties the maps in place: they are never replaced, so lookup may
// be handed one outside the lock.
func (t *Tree) clear() {
	clear(t.stats)
	clear(t.dirs)
	clear(t.files)
	t.bytes = 0
}

// Invalidate drops what is kept of p, of everything below it (a folder
// removed or renamed) and the listing of its folder (an entry created or
// removed). p is slash-separated and relative to the tree's top.
func (t *Tree) Invalidate(p string) {
	p = path.Clean(p)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
	if p == "." || p == "/" || p == "" {
		t.clear()
		return
	}
	prefix := p + "/"
	below := func(k string) bool { return k == p || strings.HasPrefix(k, prefix) }
	for k := range t.stats {
		if below(k) {
			delete(t.stats, k)
		}
	}
	for k := range t.dirs {
		if below(k) {
			delete(t.dirs, k)
		}
	}
	for k, data := range t.files {
		if below(k) {
			t.bytes -= int64(len(data))
			delete(t.files, k)
		}
	}
	delete(t.dirs, path.Dir(p))
}

// Reset drops everything kept: the watcher lost events.
func (t *Tree) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
	t.clear()
}

// Len is the number of paths whose content is kept.
func (t *Tree) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.files)
}

// lookup returns what m keeps for name, and the generation under which a
// read of it starts (see keep).
func lookup[V any](t *Tree, m map[string]V, name string) (v V, ok bool, gen uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok = m[name]
	return v, ok, t.gen
}

// keep stores a result read at generation gen unless a change came in
// since: what was read may predate it.
func (t *Tree) keep(gen uint64, store func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen == gen {
		store()
	}
}

// cacheable reports whether what is read at p can be kept: no folder on
// the way and not p itself is a symbolic link, and the caller watches it.
// It reads the listings on the way (kept themselves).
func (t *Tree) cacheable(p string) bool {
	if p == "." {
		return true
	}
	if t.opts.Uncached != nil && t.opts.Uncached(p) {
		return false
	}
	parent, name := path.Dir(p), path.Base(p)
	ents, err := t.ReadDir(parent)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return t.cacheable(parent) // p does not exist; its creation is an event on the way
	case err != nil:
		return false
	}
	if !t.cacheable(parent) {
		return false
	}
	i := sort.Search(len(ents), func(i int) bool { return ents[i].Name() >= name })
	return i == len(ents) || ents[i].Name() != name || ents[i].Type()&fs.ModeSymlink == 0
}

// Stat implements fs.StatFS.
func (t *Tree) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	r, ok, gen := lookup(t, t.stats, name)
	if ok {
		return r.info, r.err
	}
	info, err := fs.Stat(t.fsys, name)
	if (err == nil || errors.Is(err, fs.ErrNotExist)) && t.cacheable(name) {
		t.keep(gen, func() { t.stats[name] = statResult{info, err} })
	}
	return info, err
}

// ReadDir implements fs.ReadDirFS.
func (t *Tree) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	r, ok, gen := lookup(t, t.dirs, name)
	if ok {
		return slices.Clone(r.ents), r.err
	}
	ents, err := fs.ReadDir(t.fsys, name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return ents, err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	if t.cacheable(name) {
		kept := slices.Clone(ents)
		t.keep(gen, func() { t.dirs[name] = dirResult{kept, err} })
	}
	return ents, err
}

// ReadFile implements fs.ReadFileFS. It returns a copy: callers may
// modify it.
func (t *Tree) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	data, ok, gen := lookup(t, t.files, name)
	if ok {
		return slices.Clone(data), nil
	}
	data, err := fs.ReadFile(t.fsys, name)
	if err != nil {
		return data, err
	}
	if t.cacheable(name) {
		kept := slices.Clone(data)
		t.keep(gen, func() {
			if _, dup := t.files[name]; !dup && t.bytes+int64(len(data)) <= t.opts.MaxBytes {
				t.files[name] = kept
				t.bytes += int64(len(kept))
			}
		})
	}
	return data, nil
}

// Open implements fs.FS: a file's content and a folder's listing come
// from the cache.
func (t *Tree) Open(name string) (fs.File, error) {
	info, err := t.Stat(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPath(err)}
	}
	if info.IsDir() {
		ents, err := t.ReadDir(name)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPath(err)}
		}
		return memfs.NewDir(info, ents), nil
	}
	if !info.Mode().IsRegular() {
		return t.fsys.Open(name) // a device or a pipe: not content to keep
	}
	data, err := t.ReadFile(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPath(err)}
	}
	return memfs.NewFile(info, data), nil // its own copy
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
