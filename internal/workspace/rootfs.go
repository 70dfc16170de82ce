package workspace

import (
	"container/list"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
)

// rootFS is the working tree below an os.Root, as fs.FS, with the roots
// of recently used folders kept open: os.Root resolves every path from
// the top, one openat per folder on the way, which a repository of
// thousands of files pays tens of thousands of times. A folder's root is
// opened through the top one, so links out of the tree are refused as
// they are there; an operation whose folder cannot be opened so is done
// by the top root, which reports its error.
type rootFS struct {
	top *os.Root
	mu  sync.Mutex
	dir map[string]*subRoot
	lru list.List // of *subRoot, most recent first
}

type subRoot struct {
	name    string
	r       *os.Root
	refs    int
	evicted bool
	elem    *list.Element
}

// maxOpenDirs bounds the folder roots kept open.
const maxOpenDirs = 128

func newRootFS(top *os.Root) *rootFS { return &rootFS{top: top, dir: map[string]*subRoot{}} }

// acquire returns the root of folder dir, or nil.
func (f *rootFS) acquire(dir string) *subRoot {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.dir[dir]; ok {
		s.refs++
		f.lru.MoveToFront(s.elem)
		return s
	}
	r, err := f.top.OpenRoot(dir)
	if err != nil {
		return nil
	}
	s := &subRoot{name: dir, r: r, refs: 1}
	s.elem = f.lru.PushFront(s)
	f.dir[dir] = s
	for f.lru.Len() > maxOpenDirs {
		back := f.lru.Back()
		old := back.Value.(*subRoot)
		f.lru.Remove(back)
		delete(f.dir, old.name)
		old.evicted = true
		if old.refs == 0 {
			old.r.Close()
		}
	}
	return s
}

func (f *rootFS) release(s *subRoot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.refs--
	if s.refs == 0 && s.evicted {
		s.r.Close()
	}
}

// split returns the folder and the name of a valid path below the top;
// ok is false for the top itself and for paths fs.FS refuses.
func split(name string) (dir, base string, ok bool) {
	if !fs.ValidPath(name) || name == "." {
		return "", "", false
	}
	dir, base = path.Split(name)
	if dir == "" {
		return "", "", false // at the top: nothing to save
	}
	return strings.TrimSuffix(dir, "/"), base, true
}

// in runs op in the folder of name when it can be opened, else at the
// top. An error other than "does not exist" (a link that leaves the
// folder but not the tree) is left to the top root to decide.
func in[T any](f *rootFS, name string, op func(r *os.Root, name string) (T, error)) (T, error) {
	if dir, base, ok := split(name); ok {
		if s := f.acquire(dir); s != nil {
			v, err := op(s.r, base)
			f.release(s)
			if err == nil || errors.Is(err, fs.ErrNotExist) {
				return v, err
			}
		}
	}
	return op(f.top, name)
}

func (f *rootFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	file, err := in(f, name, (*os.Root).Open)
	if err != nil {
		return nil, relPathError(err, name)
	}
	return file, nil
}

func (f *rootFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	info, err := in(f, name, (*os.Root).Stat)
	return info, relPathError(err, name)
}

func (f *rootFS) Lstat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrInvalid}
	}
	info, err := in(f, name, (*os.Root).Lstat)
	return info, relPathError(err, name)
}

func (f *rootFS) ReadLink(name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	target, err := in(f, name, (*os.Root).Readlink)
	return target, relPathError(err, name)
}

func (f *rootFS) ReadFile(name string) ([]byte, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	return data, relPathError(err, name)
}

func (f *rootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	d, ok := file.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	ents, err := d.ReadDir(-1)
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, relPathError(err, name)
}

// relPathError names the path relative to the top in an error from a
// folder's root, as the top root would.
func relPathError(err error, name string) error {
	if pe, ok := err.(*fs.PathError); ok && pe.Path != name {
		return &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
	}
	return err
}

// Forget drops the roots kept for folder dir and the folders below it
// ("." for all): a kept root goes on reading the folder it opened, so a
// long-lived reader calls Forget when dir is removed, moved or created
// again.
func (f *rootFS) Forget(dir string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for name, s := range f.dir {
		if dir != "." && name != dir && !strings.HasPrefix(name, dir+"/") {
			continue
		}
		f.lru.Remove(s.elem)
		delete(f.dir, name)
		s.evicted = true
		if s.refs == 0 {
			s.r.Close()
		}
	}
}

// Close closes the folder roots (the top one is the caller's).
func (f *rootFS) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.dir {
		s.evicted = true
		if s.refs == 0 {
			s.r.Close()
		}
	}
	f.dir = map[string]*subRoot{}
	f.lru.Init()
}

// OpenFS opens the working tree at dir as the fs.FS the commands read it
// through: links out of the tree are refused (os.Root) and recently used
// folders are kept open. close releases it.
func OpenFS(dir string) (fsys fs.FS, close func(), err error) {
	top, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	f := newRootFS(top)
	return f, func() { f.Close(); top.Close() }, nil
}
