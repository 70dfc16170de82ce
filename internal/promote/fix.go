package promote

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	"github.com/opencenter-cloud/gitops-hook/internal/memfs"
)

// Change is the outcome of a fix for one file: its content before and
// after. Before is nil for a created file, After nil for a deleted one.
type Change struct {
	File   string
	Before []byte
	After  []byte
}

// Apply computes what a fix does to the files of fsys, without writing
// anything: whole-file creates first, then text edits over the result, then
// deletions. Changes are sorted by path; files left identical are dropped.
func Apply(fsys fs.FS, fix diag.Fix) ([]Change, error) {
	type state struct {
		before, after []byte
		existed       bool
	}
	files := map[string]*state{}
	get := func(p string) (*state, error) {
		if !fs.ValidPath(p) || p == "." {
			return nil, fmt.Errorf("%s: not a path inside the repository", p)
		}
		if s, ok := files[p]; ok {
			return s, nil
		}
		s := &state{}
		data, err := fs.ReadFile(fsys, p)
		switch {
		case err == nil:
			s.before, s.after, s.existed = data, data, true
		case !isNotExist(err):
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		files[p] = s
		return s, nil
	}
	for _, c := range fix.Creates {
		s, err := get(c.File)
		if err != nil {
			return nil, err
		}
		s.after = []byte(c.Content)
	}
	byFile := map[string][]diag.Edit{}
	var order []string
	for _, e := range fix.Edits {
		if _, ok := byFile[e.File]; !ok {
			order = append(order, e.File)
		}
		byFile[e.File] = append(byFile[e.File], e)
	}
	for _, p := range order {
		s, err := get(p)
		if err != nil {
			return nil, err
		}
		if s.after == nil && !s.existed {
			s.after = []byte{}
		}
		out, err := diag.Apply(s.after, byFile[p])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		s.after = out
	}
	for _, p := range fix.Deletes {
		s, err := get(p)
		if err != nil {
			return nil, err
		}
		s.after = nil
	}
	var out []Change
	for p, s := range files {
		var before []byte
		if s.existed {
			before = s.before
		}
		if s.existed && s.after != nil && bytes.Equal(before, s.after) {
			continue
		}
		if !s.existed && s.after == nil {
			continue
		}
		out = append(out, Change{File: p, Before: before, After: s.after})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out, nil
}

func isNotExist(err error) bool {
	return err != nil && (errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "not a directory"))
}

// EditAt builds an edit replacing the bytes [start, end) of src.
func EditAt(file string, src []byte, start, end int, text string) diag.Edit {
	f := yamlfile.Lines(file, src)
	return diag.Edit{File: file, Range: diag.Range{Start: f.PosOffset(start), End: f.PosOffset(end)}, NewText: text}
}

// Overlay lays changes over a filesystem: changed files read their new
// content, deleted files are gone, new folders appear.
func Overlay(base fs.FS, changes []Change) fs.FS {
	o := &overlayFS{base: base, files: map[string][]byte{}, deleted: map[string]bool{}, dirs: map[string]bool{}}
	for _, c := range changes {
		if c.After == nil {
			o.deleted[c.File] = true
			continue
		}
		o.files[c.File] = c.After
		for d := path.Dir(c.File); d != "."; d = path.Dir(d) {
			o.dirs[d] = true
		}
	}
	return o
}

type overlayFS struct {
	base    fs.FS
	files   map[string][]byte
	deleted map[string]bool
	dirs    map[string]bool
}

func (o *overlayFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if data, ok := o.files[name]; ok {
		return memfs.NewFile(memfs.FileInfo(path.Base(name), int64(len(data))), data), nil
	}
	if o.deleted[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if o.dirs[name] || name == "." {
		ents, err := o.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return memfs.NewDir(memfs.DirInfo(path.Base(name)), ents), nil
	}
	f, err := o.base.Open(name)
	if err != nil {
		return nil, err
	}
	if st, serr := f.Stat(); serr == nil && st.IsDir() {
		f.Close()
		ents, err := o.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return memfs.NewDir(memfs.DirInfo(path.Base(name)), ents), nil
	}
	return f, nil
}

func (o *overlayFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	if data, ok := o.files[name]; ok {
		return memfs.FileInfo(path.Base(name), int64(len(data))), nil
	}
	if o.deleted[name] {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	if o.dirs[name] {
		return memfs.DirInfo(path.Base(name)), nil
	}
	return fs.Stat(o.base, name)
}

func (o *overlayFS) ReadDir(name string) ([]fs.DirEntry, error) {
	byName := map[string]fs.DirEntry{}
	ents, err := fs.ReadDir(o.base, name)
	if err != nil && !o.dirs[name] && name != "." {
		return nil, err
	}
	for _, e := range ents {
		p := path.Join(name, e.Name())
		if o.deleted[p] {
			continue
		}
		byName[e.Name()] = e
	}
	for p, data := range o.files {
		if path.Dir(p) == name {
			byName[path.Base(p)] = fs.FileInfoToDirEntry(memfs.FileInfo(path.Base(p), int64(len(data))))
		}
	}
	for d := range o.dirs {
		if path.Dir(d) == name {
			if _, ok := byName[path.Base(d)]; !ok {
				byName[path.Base(d)] = fs.FileInfoToDirEntry(memfs.DirInfo(path.Base(d)))
			}
		}
	}
	out := make([]fs.DirEntry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

func (o *overlayFS) ReadFile(name string) ([]byte, error) {
	if data, ok := o.files[name]; ok {
		return append([]byte(nil), data...), nil
	}
	if o.deleted[name] {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return fs.ReadFile(o.base, name)
}
