// Package memfs provides the opened-file values that in-memory fs.FS
// implementations (git trees, the git index, overlays of planned edits)
// hand out, so each of them only has to find the bytes or the entries.
package memfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"time"
)

// Info is a plain fs.FileInfo.
type Info struct {
	FileName string
	FileSize int64
	FileMode fs.FileMode
	Modified time.Time
}

func (i Info) Name() string       { return i.FileName }
func (i Info) Size() int64        { return i.FileSize }
func (i Info) Mode() fs.FileMode  { return i.FileMode }
func (i Info) ModTime() time.Time { return i.Modified }
func (i Info) IsDir() bool        { return i.FileMode.IsDir() }
func (i Info) Sys() any           { return nil }

// FileInfo describes a read-only regular file.
func FileInfo(name string, size int64) Info {
	return Info{FileName: name, FileSize: size, FileMode: 0o444}
}

// DirInfo describes a read-only folder.
func DirInfo(name string) Info {
	return Info{FileName: name, FileMode: fs.ModeDir | 0o555}
}

// File is an opened file whose content is in memory. It also supports
// ReadAt and Seek.
type File struct {
	info fs.FileInfo
	r    *bytes.Reader
}

// NewFile opens data as a file described by info.
func NewFile(info fs.FileInfo, data []byte) *File {
	return &File{info: info, r: bytes.NewReader(data)}
}

func (f *File) Stat() (fs.FileInfo, error)                { return f.info, nil }
func (f *File) Read(p []byte) (int, error)                { return f.r.Read(p) }
func (f *File) ReadAt(p []byte, off int64) (int, error)   { return f.r.ReadAt(p, off) }
func (f *File) Seek(off int64, whence int) (int64, error) { return f.r.Seek(off, whence) }
func (f *File) Close() error                              { return nil }

// Dir is an opened folder with its entries listed in advance.
type Dir struct {
	info fs.FileInfo
	ents []fs.DirEntry
	pos  int
}

// NewDir opens a folder described by info with the given entries.
func NewDir(info fs.FileInfo, ents []fs.DirEntry) *Dir {
	return &Dir{info: info, ents: ents}
}

func (d *Dir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *Dir) Close() error               { return nil }
func (d *Dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: errors.New("is a directory")}
}

// ReadDir implements fs.ReadDirFile.
func (d *Dir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.ents[d.pos:]
	if n <= 0 {
		d.pos = len(d.ents)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.pos += n
	return rest[:n], nil
}
