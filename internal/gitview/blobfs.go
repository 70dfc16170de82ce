package gitview

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/memfs"
)

// ErrSymlink is the fs error for reading a symbolic link: links are never
// followed, their target is available through ReadLink.
var ErrSymlink = errors.New("symbolic link")

// blobEntry is one file of a snapshot: a blob and its git mode.
type blobEntry struct {
	hash plumbing.Hash
	mode filemode.FileMode
}

// blobFS is a read-only fs.FS over a set of blobs, as found in an index or
// a tree. Directories are implied by the file paths.
type blobFS struct {
	files map[string]blobEntry
	dirs  map[string][]string // "." for the root; sorted child names
	objs  storer.EncodedObjectStorer

	// go-git's filesystem storage is not documented as safe for
	// concurrent use, and the engine may read files in parallel.
	mu sync.Mutex

	// work, when set, is the work tree the blobs were staged from: a
	// file there whose content hashes to the staged blob is read instead
	// of inflating the object (most files of a commit are unchanged).
	work  string
	sizes sync.Map // name -> int64, sizes of blobs read
}

func newBlobFS(objs storer.EncodedObjectStorer, files map[string]blobEntry) *blobFS {
	b := &blobFS{files: files, dirs: map[string][]string{".": nil}, objs: objs}
	seen := map[string]bool{}
	for p := range files {
		for child := p; child != "."; {
			dir := path.Dir(child)
			key := dir + "\x00" + child
			if seen[key] {
				break
			}
			seen[key] = true
			b.dirs[dir] = append(b.dirs[dir], path.Base(child))
			child = dir
		}
	}
	for _, names := range b.dirs {
		sort.Strings(names)
	}
	return b
}

func (b *blobFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if _, ok := b.dirs[name]; ok {
		ents, err := b.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return memfs.NewDir(dirInfo(name), ents), nil
	}
	e, ok := b.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	info := b.info(name, e)
	if e.mode == filemode.Symlink {
		return &symlinkFile{info: info}, nil
	}
	data, err := b.read(name, e)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	info.size = int64(len(data))
	return memfs.NewFile(info, data), nil
}

func (b *blobFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrInvalid}
	}
	if _, ok := b.dirs[name]; ok {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: errors.New("is a directory")}
	}
	e, ok := b.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrNotExist}
	}
	if e.mode == filemode.Symlink {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: ErrSymlink}
	}
	data, err := b.read(name, e)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return data, nil
}

// Stat does not follow symbolic links (they are reported as such).
func (b *blobFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	if _, ok := b.dirs[name]; ok {
		return dirInfo(name), nil
	}
	e, ok := b.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return b.info(name, e), nil
}

// Lstat is Stat: nothing is ever followed.
func (b *blobFS) Lstat(name string) (fs.FileInfo, error) {
	fi, err := b.Stat(name)
	if err != nil {
		err.(*fs.PathError).Op = "lstat"
	}
	return fi, err
}

// ReadLink returns a symbolic link's target text without following it.
func (b *blobFS) ReadLink(name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	e, ok := b.files[name]
	if !ok {
		if _, isDir := b.dirs[name]; isDir {
			return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
		}
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrNotExist}
	}
	if e.mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	data, err := b.read(name, e)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(data), nil
}

func (b *blobFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	names, ok := b.dirs[name]
	if !ok {
		if _, isFile := b.files[name]; isFile {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
		}
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	out := make([]fs.DirEntry, 0, len(names))
	for _, n := range names {
		p := path.Join(name, n)
		if e, ok := b.files[p]; ok {
			out = append(out, fs.FileInfoToDirEntry(b.info(p, e)))
		} else {
			out = append(out, fs.FileInfoToDirEntry(dirInfo(p)))
		}
	}
	return out, nil
}

func (b *blobFS) info(name string, e blobEntry) *fileInfo {
	return &fileInfo{name: path.Base(name), mode: fsMode(e.mode), size: -1, sizeOf: func() int64 {
		if n, ok := b.sizes.Load(name); ok {
			return n.(int64)
		}
		if data, ok := b.fromWork(name, e); ok {
			return int64(len(data))
		}
		n, err := b.size(e.hash)
		if err != nil {
			return 0
		}
		return n
	}}
}

// sizer is implemented by go-git's filesystem storage; it reads only the
// object header, so a huge blob can be refused before it is loaded.
type sizer interface {
	EncodedObjectSize(plumbing.Hash) (int64, error)
}

func (b *blobFS) size(h plumbing.Hash) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.objs.(sizer); ok {
		return s.EncodedObjectSize(h)
	}
	obj, err := b.objs.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return 0, err
	}
	return obj.Size(), nil
}

// fromWork reads name from the work tree when its content is exactly the
// blob e names (its git hash matches): a regular file, not larger than
// view.MaxFileSize. Anything else (a modified, filtered or missing file, a
// link) is not an error: the blob is read instead.
func (b *blobFS) fromWork(name string, e blobEntry) ([]byte, bool) {
	if b.work == "" || !e.mode.IsFile() || e.mode == filemode.Symlink {
		return nil, false
	}
	p := filepath.Join(b.work, filepath.FromSlash(name))
	info, err := os.Lstat(p)
	if err != nil || !info.Mode().IsRegular() || info.Size() > view.MaxFileSize {
		return nil, false
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, view.MaxFileSize+1))
	if err != nil || len(data) > view.MaxFileSize || plumbing.ComputeHash(plumbing.BlobObject, data) != e.hash {
		return nil, false
	}
	b.sizes.Store(name, int64(len(data)))
	return data, true
}

func (b *blobFS) read(name string, e blobEntry) ([]byte, error) {
	if data, ok := b.fromWork(name, e); ok {
		return data, nil
	}
	size, err := b.size(e.hash)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", e.hash, err)
	}
	if size > view.MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", view.ErrTooLarge, size, view.MaxFileSize)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	obj, err := b.objs.EncodedObject(plumbing.BlobObject, e.hash)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", e.hash, err)
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", e.hash, err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, view.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", e.hash, err)
	}
	if len(data) > view.MaxFileSize {
		return nil, fmt.Errorf("%w: over %d bytes", view.ErrTooLarge, view.MaxFileSize)
	}
	return data, nil
}

func fsMode(m filemode.FileMode) fs.FileMode {
	switch m {
	case filemode.Executable:
		return 0o755
	case filemode.Symlink:
		return fs.ModeSymlink | 0o777
	}
	return 0o644
}

type fileInfo struct {
	name   string
	mode   fs.FileMode
	size   int64 // -1 until sizeOf is called
	sizeOf func() int64
}

func (fi *fileInfo) Name() string {
	return fi.name
}

func (fi *fileInfo) Size() int64 {
	if fi.size < 0 {
		fi.size = fi.sizeOf()
	}
	return fi.size
}
func (fi *fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return time.Time{} }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi *fileInfo) Sys() any           { return nil }

func dirInfo(name string) *fileInfo {
	return &fileInfo{name: path.Base(name), mode: fs.ModeDir | 0o755, size: 0}
}

type symlinkFile struct{ info *fileInfo }

func (f *symlinkFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *symlinkFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: f.info.name, Err: ErrSymlink}
}
func (f *symlinkFile) Close() error { return nil }
