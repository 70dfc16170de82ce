package workspace

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/promote"
)

// TestWriteChangesFailingAtEachStep: a write that fails at any file, while
// writing the temporary files or while renaming them into place, leaves
// each file whole, old or new, and no temporary file or folder behind.
// Before the renames nothing changes at all.
func TestWriteChangesFailingAtEachStep(t *testing.T) {
	const n = 5
	for _, phase := range []string{"write", "rename"} {
		for k := range n {
			t.Run(fmt.Sprintf("%s-%d", phase, k), func(t *testing.T) {
				root := t.TempDir()
				var changes []promote.Change
				old := map[string][]byte{}
				for i := range n {
					f := fmt.Sprintf("apps/s%d/kustomization.yaml", i)
					before := []byte(fmt.Sprintf("resources: [old-%d.yaml]\n", i))
					if i%2 == 0 { // half the files exist, half are new
						write(t, root, f, before)
						old[f] = before
					}
					changes = append(changes, promote.Change{File: f, After: bytes.Repeat([]byte(fmt.Sprintf("resources: [new-%d.yaml]\n", i)), 1000)})
				}
				// The fault: the folder of file k is a file (the temporary
				// file cannot be made), or file k is a folder holding a file
				// (the rename fails).
				dir := filepath.Join(root, "apps", fmt.Sprintf("s%d", k))
				_ = os.RemoveAll(dir)
				delete(old, changes[k].File)
				if phase == "write" {
					write(t, root, "apps/"+fmt.Sprintf("s%d", k), []byte("in the way\n"))
				} else {
					write(t, root, filepath.ToSlash(filepath.Join("apps", fmt.Sprintf("s%d", k), "kustomization.yaml", "x")), []byte("in the way\n"))
				}
				err := WriteChanges(root, changes)
				if err == nil {
					t.Fatal("no error")
				}
				for i, c := range changes {
					if i == k {
						continue
					}
					got, rerr := os.ReadFile(filepath.Join(root, filepath.FromSlash(c.File)))
					isNew := rerr == nil && bytes.Equal(got, c.After)
					isOld := (rerr == nil && bytes.Equal(got, old[c.File])) || (os.IsNotExist(rerr) && old[c.File] == nil)
					switch {
					case !isNew && !isOld:
						t.Errorf("%s is torn: %.60q", c.File, got)
					case phase == "write" && isNew:
						t.Errorf("%s written although a write failed before the renames", c.File)
					case phase == "rename" && i < k && !isNew:
						t.Errorf("%s, renamed before the failure, is not new", c.File)
					case phase == "rename" && i > k && !isOld:
						t.Errorf("%s, after the failure, is not old", c.File)
					}
				}
				_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
					if err == nil && strings.Contains(filepath.Base(p), ".gitops-") {
						t.Errorf("temporary file left: %s", p)
					}
					if err == nil && info.IsDir() && phase == "write" && p != root {
						if entries, _ := os.ReadDir(p); len(entries) == 0 {
							t.Errorf("empty folder left: %s", p)
						}
					}
					return nil
				})
			})
		}
	}
}

func write(t *testing.T, root, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWriteChangesRemovesStaleTemps: a temporary file that a killed write
// left beside its target is removed by the next write of that target; one
// young enough to belong to a write in progress is left alone, and so are
// other files.
func TestWriteChangesRemovesStaleTemps(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "apps")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".kustomization.yaml.gitops-123")
	fresh := filepath.Join(dir, ".kustomization.yaml.gitops-456")
	other := filepath.Join(dir, ".other.yaml.gitops-789")
	for _, p := range []string{stale, fresh, other} {
		if err := os.WriteFile(p, []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTempAge)
	for _, p := range []string{stale, other} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteChanges(root, []promote.Change{{File: "apps/kustomization.yaml", After: []byte("resources: []\n")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("the stale temporary file is still there")
	}
	for _, p := range []string{fresh, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "kustomization.yaml")); string(got) != "resources: []\n" {
		t.Errorf("target = %q", got)
	}
}
