package workspace

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/promote"
)

// WriteChanges writes every change atomically: each file's new content
// goes to a temporary file in its own folder, and only when all of them are
// written are they renamed into place; deletions come last. On failure
// before the renames, nothing is changed.
func WriteChanges(root string, changes []promote.Change) error {
	type pending struct{ tmp, dst string }
	var done []pending
	var made []string
	cleanup := func() {
		for _, p := range done {
			os.Remove(p.tmp)
		}
		for i := len(made) - 1; i >= 0; i-- {
			os.Remove(made[i])
		}
	}
	for _, c := range changes {
		if c.After == nil {
			continue
		}
		if !validRel(c.File) {
			cleanup()
			return fmt.Errorf("%s: refusing to write outside the repository", c.File)
		}
		dst := filepath.Join(root, filepath.FromSlash(c.File))
		dir := filepath.Dir(dst)
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			// Remember the folders made so a failure can remove them.
			var missing []string
			for d := dir; d != root; d = filepath.Dir(d) {
				if _, err := os.Stat(d); err == nil {
					break
				}
				missing = append(missing, d)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				cleanup()
				return fmt.Errorf("%s: %w", c.File, err)
			}
			for i := len(missing) - 1; i >= 0; i-- {
				made = append(made, missing[i])
			}
		}
		mode := os.FileMode(0o644)
		if st, err := os.Stat(dst); err == nil {
			mode = st.Mode().Perm()
		}
		tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".gitops-*")
		if err != nil {
			cleanup()
			return fmt.Errorf("%s: %w", c.File, err)
		}
		done = append(done, pending{tmp.Name(), dst})
		_, werr := tmp.Write(c.After)
		if werr == nil {
			werr = tmp.Sync()
		}
		if cerr := tmp.Close(); werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = os.Chmod(tmp.Name(), mode)
		}
		if werr != nil {
			cleanup()
			return fmt.Errorf("%s: %w", c.File, werr)
		}
	}
	for i, p := range done {
		if err := os.Rename(p.tmp, p.dst); err != nil {
			for _, q := range done[i:] {
				os.Remove(q.tmp)
			}
			return fmt.Errorf("%s: %w (%d of %d files written)", p.dst, err, i, len(done))
		}
	}
	now := time.Now()
	for _, p := range done {
		removeStaleTemps(p.dst, now)
	}
	for _, c := range changes {
		if c.After != nil {
			continue
		}
		if !validRel(c.File) {
			return fmt.Errorf("%s: refusing to delete outside the repository", c.File)
		}
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(c.File))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", c.File, err)
		}
	}
	return nil
}

func validRel(p string) bool {
	c := path.Clean(p)
	return c == p && c != "." && !strings.HasPrefix(c, "../") && c != ".." && !strings.HasPrefix(c, "/") && !strings.HasPrefix(c, ".git/")
}

// staleTempAge is how old a temporary file beside a target must be to be
// taken for one a killed write left behind: a write in progress is younger.
const staleTempAge = time.Minute

// removeStaleTemps removes the temporary files (".NAME.gitops-*") that an
// earlier write of dst, killed before its rename, left in dst's folder.
func removeStaleTemps(dst string, now time.Time) {
	dir, prefix := filepath.Dir(dst), "."+filepath.Base(dst)+".gitops-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > staleTempAge {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
