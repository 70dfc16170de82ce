// Package view wraps an fs.FS (working tree, git index, base tree at a
// tag, editor buffers) with bounded reads and memoised YAML parsing. The
// analysis never asks which kind of filesystem it got.
package view

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/pool"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

// MaxFileSize bounds what is read of one file, in every filesystem the
// engine reads (the working tree, the git index, a base tree at a tag);
// larger files are reported and skipped instead of being parsed. Neither
// kustomize nor Flux bounds a file, but what Flux applies goes through the
// Kubernetes API server, which refuses a request over 3 MiB: a manifest
// over 8 MiB cannot be applied, so refusing it loses nothing.
const MaxFileSize = 8 << 20

// Rule IDs for files that cannot be read at all.
const (
	RuleUnreadable = "repo/unreadable"
	RuleTooLarge   = "repo/file-too-large"
)

// View is a filesystem with memoised parsing. Safe for concurrent use.
type View struct {
	FS    fs.FS
	Label string // how findings name this view: "" for the repository itself
	// Tree names the content when it cannot change (a git tree: URL and
	// commit), "" otherwise; caches key on it.
	Tree string

	mu sync.Mutex
	// Parsed, when set, shares parsed files with earlier analyses.
	Parsed *Parsed
	yamls  map[string]*yamlfile.File
	errs   map[string]error
	cached *cachedFS // remembers stats, listings and reads
}

// New wraps fsys.
func New(fsys fs.FS, label string) *View {
	v := &View{FS: fsys, Label: label, yamls: map[string]*yamlfile.File{}, errs: map[string]error{}}
	v.cached = &cachedFS{v: v, stats: map[string]statEntry{}, dirs: map[string]dirEntry{}, data: map[string][]byte{}}
	return v
}

// ErrTooLarge is the error for a file above MaxFileSize, from whichever
// filesystem refused it.
var ErrTooLarge = errors.New("file too large")

// Clean normalises a slash path relative to the root: "./a/../b" -> "b",
// "" -> ".". It reports false when the path leaves the root.
func Clean(p string) (string, bool) {
	if isClean(p) {
		return p, true // most paths the model asks about: no allocation
	}
	p = strings.TrimPrefix(p, "/")
	c := path.Clean("./" + p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return c, false
	}
	return c, true
}

// isClean reports whether p is a relative slash path that Clean would
// return unchanged: "." or names separated by single slashes, none of
// them "." or "..".
func isClean(p string) bool {
	if p == "." {
		return true
	}
	if p == "" || p[0] == '/' || p[len(p)-1] == '/' {
		return false
	}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		switch p[start:i] {
		case "", ".", "..":
			return false
		}
		start = i + 1
	}
	return true
}

// Stat reports whether p exists and whether it is a folder.
func (v *View) Stat(p string) (exists, isDir bool) {
	c, ok := Clean(p)
	if !ok {
		return false, false
	}
	// Clusters ask about the same paths over and over; a view is a
	// snapshot, so the cached answer never goes stale.
	fi, err := v.cached.Stat(c)
	if err != nil {
		return false, false
	}
	return true, fi.IsDir()
}

// ReadDir lists a folder, sorted; missing folders give nil.
func (v *View) ReadDir(p string) []fs.DirEntry {
	c, ok := Clean(p)
	if !ok {
		return nil
	}
	ents, err := v.cached.ReadDir(c)
	if err != nil {
		return nil
	}
	return ents
}

// Read returns a file's bytes, refusing files above MaxFileSize.
func (v *View) Read(p string) ([]byte, error) {
	c, ok := Clean(p)
	if !ok {
		return nil, fmt.Errorf("%s: path leaves the repository", p)
	}
	// Stat before opening: opening a staged blob loads it whole.
	if fi, err := fs.Stat(v.FS, c); err == nil && !fi.IsDir() && fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %w: %.1f MB, above the %d MB limit", c, ErrTooLarge, float64(fi.Size())/1e6, MaxFileSize>>20)
	}
	f, err := v.FS.Open(c)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		if fi.IsDir() {
			return nil, fmt.Errorf("%s: is a folder", c)
		}
		if fi.Size() > MaxFileSize {
			return nil, fmt.Errorf("%s: %w: %.1f MB, above the %d MB limit", c, ErrTooLarge, float64(fi.Size())/1e6, MaxFileSize>>20)
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: %w: above the %d MB limit", c, ErrTooLarge, MaxFileSize>>20)
	}
	return data, nil
}

// YAML parses a file once and returns the memoised result. The error is
// set only when the file cannot be read; parse problems are diagnostics in
// the returned file.
func (v *View) YAML(p string) (*yamlfile.File, error) {
	c, ok := Clean(p)
	if !ok {
		return nil, fmt.Errorf("%s: path leaves the repository", p)
	}
	v.mu.Lock()
	if f, ok := v.yamls[c]; ok {
		v.mu.Unlock()
		return f, nil
	}
	if err, ok := v.errs[c]; ok {
		v.mu.Unlock()
		return nil, err
	}
	v.mu.Unlock()
	data, err := v.Read(c)
	var f *yamlfile.File
	if err == nil {
		if v.Parsed != nil {
			f = v.Parsed.parse(c, data)
		} else {
			f = yamlfile.Parse(c, data)
		}
	}
	v.mu.Lock()
	if err != nil {
		v.errs[c] = err
	} else {
		v.yamls[c] = f
	}
	v.mu.Unlock()
	return f, err
}

// IsYAML reports whether a file name is a YAML file by its extension.
func IsYAML(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// archiveFolders are folder names that by convention hold retired
// manifests; their content would only produce findings about files no
// cluster applies.
var archiveFolders = map[string]bool{"archive": true, "_archive": true, "archived": true, "_archived": true, "attic": true}

// skippedDir reports whether Walk skips a folder of that name.
func skippedDir(name string) bool {
	return strings.HasPrefix(name, ".") || archiveFolders[strings.ToLower(name)]
}

// InSkippedFolder reports whether a slash-separated path lies below a
// folder that Walk skips (a dot-folder or an archive folder), so that the
// analysis never reads it.
func InSkippedFolder(p string) bool {
	dirs := strings.Split(p, "/")
	for _, d := range dirs[:len(dirs)-1] {
		if d != "." && d != ".." && skippedDir(d) {
			return true
		}
	}
	return false
}

// Listing is the result of walking a whole view.
type Listing struct {
	Files []string // regular files, sorted
	Dirs  map[string]bool
	Diags []diag.Diagnostic // unreadable entries (symlink loops, escapes)
}

// Walk lists every file, skipping dot-folders (.git, .github, ...),
// archive folders (archive, _archive, archived, attic) and what skip
// returns true for.
// Symbolic links are followed only when they resolve inside the view; a
// loop or an escape becomes a diagnostic. When ctx ends, the walk stops
// and the listing holds what was found by then.
func (v *View) Walk(ctx context.Context, skip func(p string, dir bool) bool) Listing {
	l := Listing{Dirs: map[string]bool{".": true}}
	_ = fs.WalkDir(v.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return fs.SkipAll
		}
		if err != nil {
			if p != "." {
				l.Diags = append(l.Diags, unreadable(p, err))
			}
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p == "." {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			// Dot-folders hold tooling (.github, .vscode), and archive
			// folders retired manifests: neither is what a cluster applies.
			if skippedDir(name) || (skip != nil && skip(p, true)) {
				return fs.SkipDir
			}
			l.Dirs[p] = true
			return nil
		}
		if skip != nil && skip(p, false) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			fi, err := fs.Stat(v.FS, p)
			if err != nil {
				l.Diags = append(l.Diags, unreadable(p, err))
				return nil
			}
			if fi.IsDir() {
				// Linked folders are not descended into: a loop would never end.
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		l.Files = append(l.Files, p)
		return nil
	})
	sort.Strings(l.Files)
	return l
}

func unreadable(p string, err error) diag.Diagnostic {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	}
	return diag.Diagnostic{
		Rule: RuleUnreadable, Severity: diag.Warning, File: p,
		Range:   diag.Range{Start: diag.Pos{Line: 1, Col: 1}, End: diag.Pos{Line: 1, Col: 1}},
		Message: fmt.Sprintf("cannot read %s: %s", p, msg),
	}
}

// ParseAll parses the given YAML files in parallel, warming the memo. When
// ctx ends, the files not yet started are left unparsed.
func (v *View) ParseAll(ctx context.Context, paths []string) {
	pool.Each(paths, func(p string) {
		if ctx.Err() == nil {
			_, _ = v.YAML(p)
		}
	})
}
