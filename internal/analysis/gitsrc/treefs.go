package gitsrc

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/memfs"
)

// TreeFS is a read-only fs.FS over a git tree. go-git's trees and object
// storage are not safe for concurrent use, so every access holds mu, which
// is shared by all trees of one repository.
type TreeFS struct {
	root *object.Tree
	when time.Time
	mu   *sync.Mutex
	// dirs keeps the trees of the folders looked up, by path: go-git
	// reads a loose tree object again at every lookup.
	dirs map[string]*object.Tree
	// blobs keeps the content of the files read, by path, up to
	// maxCachedBlobs bytes: every analysis reads the base's files again,
	// and inflating them from the pack costs more than parsing them.
	blobs     map[string][]byte
	blobBytes int
}

// maxCachedBlobs bounds the file content a TreeFS keeps.
const maxCachedBlobs = 64 << 20

// NewTreeFS wraps a git tree; mu guards the repository it comes from.
func NewTreeFS(t *object.Tree, when time.Time, mu *sync.Mutex) *TreeFS {
	return &TreeFS{root: t, when: when, mu: mu, dirs: map[string]*object.Tree{".": t}, blobs: map[string][]byte{}}
}

// dir returns the tree of folder p, nil when p is not a folder.
func (t *TreeFS) dir(p string) (*object.Tree, error) {
	if d, ok := t.dirs[p]; ok {
		return d, nil
	}
	parent, err := t.dir(path.Dir(p))
	if err != nil || parent == nil {
		return nil, err
	}
	e := entryOf(parent, path.Base(p))
	var sub *object.Tree
	if e != nil && e.Mode == filemode.Dir {
		if sub, err = parent.Tree(e.Name); err != nil {
			return nil, err
		}
	}
	t.dirs[p] = sub
	return sub, nil
}

func entryOf(t *object.Tree, name string) *object.TreeEntry {
	for i := range t.Entries {
		if t.Entries[i].Name == name {
			return &t.Entries[i]
		}
	}
	return nil
}

func (t *TreeFS) lookup(op, name string) (*object.TreeEntry, *object.Tree, error) {
	if !fs.ValidPath(name) {
		return nil, nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return nil, t.root, nil
	}
	parent, err := t.dir(path.Dir(name))
	if err != nil {
		return nil, nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	var e *object.TreeEntry
	if parent != nil {
		e = entryOf(parent, path.Base(name))
	}
	if e == nil {
		return nil, nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	if e.Mode == filemode.Dir {
		sub, err := t.dir(name)
		if err != nil || sub == nil {
			if err == nil {
				err = fs.ErrNotExist
			}
			return nil, nil, &fs.PathError{Op: op, Path: name, Err: err}
		}
		return e, sub, nil
	}
	return e, nil, nil
}

// Open implements fs.FS.
func (t *TreeFS) Open(name string) (fs.File, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, sub, err := t.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if sub != nil {
		ents, err := t.dirEntries(sub)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return memfs.NewDir(t.info(path.Base(name), filemode.Dir, 0), ents), nil
	}
	if e.Mode == filemode.Symlink || e.Mode == filemode.Submodule {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%s is a %s in the git tree, not read", name, modeName(e.Mode))}
	}
	if data, ok := t.blobs[name]; ok {
		return memfs.NewFile(t.info(path.Base(name), e.Mode, int64(len(data))), data), nil
	}
	f, err := t.root.TreeEntryFile(e)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if f.Size > view.MaxFileSize {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: %d bytes, above the %d MB limit", view.ErrTooLarge, f.Size, view.MaxFileSize>>20)}
	}
	r, err := f.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, view.MaxFileSize+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if t.blobBytes+len(data) <= maxCachedBlobs {
		t.blobs[name] = data
		t.blobBytes += len(data)
	}
	return memfs.NewFile(t.info(path.Base(name), e.Mode, int64(len(data))), data), nil
}

// ReadDir implements fs.ReadDirFS.
func (t *TreeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, sub, err := t.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if sub == nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fmt.Errorf("not a directory")}
	}
	return t.dirEntries(sub)
}

func (t *TreeFS) dirEntries(sub *object.Tree) ([]fs.DirEntry, error) {
	out := make([]fs.DirEntry, 0, len(sub.Entries))
	for _, e := range sub.Entries {
		size := int64(0)
		out = append(out, fs.FileInfoToDirEntry(t.info(e.Name, e.Mode, size)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

func modeName(m filemode.FileMode) string {
	switch m {
	case filemode.Symlink:
		return "symbolic link"
	case filemode.Submodule:
		return "submodule"
	}
	return "file"
}

func (t *TreeFS) info(name string, m filemode.FileMode, size int64) fileInfo {
	return fileInfo{name: name, mode: m, size: size, when: t.when}
}

type fileInfo struct {
	name string
	mode filemode.FileMode
	size int64
	when time.Time
}

func (i fileInfo) Name() string { return i.name }
func (i fileInfo) Size() int64  { return i.size }
func (i fileInfo) Mode() fs.FileMode {
	switch i.mode {
	case filemode.Dir:
		return fs.ModeDir | 0o555
	case filemode.Symlink:
		return fs.ModeSymlink | 0o444
	case filemode.Executable:
		return 0o555
	}
	return 0o444
}
func (i fileInfo) ModTime() time.Time { return i.when }
func (i fileInfo) IsDir() bool        { return i.mode == filemode.Dir }
func (i fileInfo) Sys() any           { return nil }
