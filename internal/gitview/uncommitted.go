package gitview

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Uncommitted lists which of paths (files or folders, slash-separated and
// relative to the work tree top-level holding dir) hold work that is not
// committed: staged changes, working copies that differ from the index, and
// untracked files. Writing over any of them would lose work. Outside a git
// work tree nothing is protected and the list is empty.
func Uncommitted(dir string, paths []string) ([]string, error) {
	v, err := staged(dir, func(string) string { return "" })
	if errors.Is(err, ErrNotRepository) || errors.Is(err, ErrBare) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	changed := map[string]bool{}
	for _, c := range v.changes {
		changed[c.Path] = true
		if c.OldPath != "" {
			changed[c.OldPath] = true
		}
	}
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	check := func(p string) error {
		if changed[p] {
			add(p)
			return nil
		}
		work, werr := os.ReadFile(filepath.Join(v.Root(), filepath.FromSlash(p)))
		staged, serr := v.ReadFile(p)
		switch {
		case werr != nil && serr != nil:
			// In neither: nothing to lose.
		case werr != nil:
			if !errors.Is(werr, fs.ErrNotExist) {
				return fmt.Errorf("%s: %w", p, werr)
			}
			add(p) // deleted in the working tree, not staged
		case serr != nil:
			add(p) // untracked
		case !bytes.Equal(work, staged):
			add(p)
		}
		return nil
	}
	for _, p := range paths {
		p = strings.Trim(path.Clean(p), "/")
		st, err := os.Stat(filepath.Join(v.Root(), filepath.FromSlash(p)))
		if err != nil || !st.IsDir() {
			if err := check(p); err != nil {
				return nil, err
			}
			continue
		}
		// A folder: every file below it, on disk or in the index.
		var below []string
		_ = filepath.WalkDir(filepath.Join(v.Root(), filepath.FromSlash(p)), func(f string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if rel, rerr := filepath.Rel(v.Root(), f); rerr == nil {
					below = append(below, filepath.ToSlash(rel))
				}
			}
			return nil
		})
		_ = fs.WalkDir(v, p, func(f string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				below = append(below, f)
			}
			return nil
		})
		for c := range changed {
			if strings.HasPrefix(c, p+"/") {
				below = append(below, c)
			}
		}
		for _, f := range below {
			if err := check(f); err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
