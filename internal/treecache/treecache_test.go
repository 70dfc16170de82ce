package treecache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

// counting counts the reads that reach the tree below.
type counting struct {
	fs.FS
	mu     sync.Mutex
	reads  map[string]int
	onRead func(name string)
}

func (c *counting) count(op, name string) {
	c.mu.Lock()
	c.reads[op+" "+name]++
	c.mu.Unlock()
	if c.onRead != nil {
		c.onRead(name)
	}
}

func (c *counting) n(op, name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads[op+" "+name]
}

func (c *counting) Open(name string) (fs.File, error) { c.count("open", name); return c.FS.Open(name) }
func (c *counting) Stat(name string) (fs.FileInfo, error) {
	c.count("stat", name)
	return fs.Stat(c.FS, name)
}
func (c *counting) ReadDir(name string) ([]fs.DirEntry, error) {
	c.count("readdir", name)
	return fs.ReadDir(c.FS, name)
}
func (c *counting) ReadFile(name string) ([]byte, error) {
	c.count("read", name)
	return fs.ReadFile(c.FS, name)
}

func write(t *testing.T, dir, p, text string) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newTree(t *testing.T, o Options) (string, *counting, *Tree) {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, "apps/a/kustomization.yaml", "resources: []\n")
	write(t, dir, "apps/b/kustomization.yaml", "resources: [x.yaml]\n")
	c := &counting{FS: os.DirFS(dir), reads: map[string]int{}}
	return dir, c, New(c, o)
}

func readString(t *testing.T, fsys fs.FS, p string) string {
	t.Helper()
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return string(data)
}

func TestReadsComeFromMemoryUntilInvalidated(t *testing.T) {
	dir, c, tr := newTree(t, Options{})
	const p = "apps/a/kustomization.yaml"
	for range 3 {
		if got := readString(t, tr, p); got != "resources: []\n" {
			t.Fatalf("read %q", got)
		}
		if _, err := tr.Stat("apps/a/missing.yaml"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("stat of a missing file: %v", err)
		}
		if ents, err := fs.ReadDir(tr, "apps"); err != nil || len(ents) != 2 {
			t.Fatalf("readdir apps: %v %v", ents, err)
		}
	}
	if n := c.n("read", p); n != 1 {
		t.Errorf("the file was read %d times from the tree, want once", n)
	}
	if n := c.n("stat", "apps/a/missing.yaml"); n != 1 {
		t.Errorf("the missing file was looked up %d times, want once", n)
	}

	write(t, dir, p, "resources: [new.yaml]\n")
	if got := readString(t, tr, p); got != "resources: []\n" {
		t.Fatalf("without Invalidate the kept content is read; got %q", got)
	}
	tr.Invalidate(p)
	if got := readString(t, tr, p); got != "resources: [new.yaml]\n" {
		t.Fatalf("after Invalidate: %q", got)
	}

	// A file created: its folder's listing and its negative lookup go.
	write(t, dir, "apps/a/missing.yaml", "x: 1\n")
	tr.Invalidate("apps/a/missing.yaml")
	if _, err := tr.Stat("apps/a/missing.yaml"); err != nil {
		t.Fatalf("a created file is still missing: %v", err)
	}
	if ents, _ := fs.ReadDir(tr, "apps/a"); len(ents) != 2 {
		t.Fatalf("the listing of its folder misses it: %v", ents)
	}
}

func TestInvalidateDropsAFolderAndWhatIsBelow(t *testing.T) {
	dir, _, tr := newTree(t, Options{})
	readString(t, tr, "apps/b/kustomization.yaml")
	if err := os.RemoveAll(filepath.Join(dir, "apps", "b")); err != nil {
		t.Fatal(err)
	}
	tr.Invalidate("apps/b")
	if _, err := fs.ReadFile(tr, "apps/b/kustomization.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file of a removed folder is still read: %v", err)
	}
	if ents, _ := fs.ReadDir(tr, "apps"); len(ents) != 1 {
		t.Fatalf("the removed folder is still listed: %v", ents)
	}
	tr.Invalidate(".")
	if tr.Len() != 0 {
		t.Fatalf("Invalidate(.) kept %d files", tr.Len())
	}
}

func TestLinksAreNotKept(t *testing.T) {
	dir, _, tr := newTree(t, Options{})
	write(t, dir, "real/values.yaml", "a: 1\n")
	if err := os.Symlink(filepath.Join("..", "real", "values.yaml"), filepath.Join(dir, "apps", "values.yaml")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if err := os.Symlink(filepath.Join("..", "real"), filepath.Join(dir, "apps", "linked")); err != nil {
		t.Fatal(err)
	}
	readString(t, tr, "apps/values.yaml")
	readString(t, tr, "apps/linked/values.yaml")
	// The target changes; the watcher tells of real/values.yaml only.
	write(t, dir, "real/values.yaml", "a: 2\n")
	tr.Invalidate("real/values.yaml")
	for _, p := range []string{"apps/values.yaml", "apps/linked/values.yaml", "real/values.yaml"} {
		if got := readString(t, tr, p); got != "a: 2\n" {
			t.Errorf("%s: %q after its target changed", p, got)
		}
	}
}

func TestAChangeDuringARead(t *testing.T) {
	dir, c, tr := newTree(t, Options{})
	const p = "apps/a/kustomization.yaml"
	// The watcher reports a change while the read is under way: what was
	// read may be the old content and must not be kept.
	c.onRead = func(name string) {
		if name == p {
			write(t, dir, p, "changed: true\n")
			tr.Invalidate(p)
		}
	}
	readString(t, tr, p)
	c.onRead = nil
	if got := readString(t, tr, p); got != "changed: true\n" {
		t.Fatalf("a read that raced a change was kept: %q", got)
	}
}

func TestBoundsAndUncachedPaths(t *testing.T) {
	dir, c, tr := newTree(t, Options{MaxBytes: 20, Uncached: func(p string) bool { return strings.HasPrefix(p, "node_modules") }})
	write(t, dir, "big.yaml", strings.Repeat("x", 50))
	write(t, dir, "node_modules/m.yaml", "a: 1\n")
	for range 2 {
		readString(t, tr, "big.yaml")
		readString(t, tr, "node_modules/m.yaml")
		readString(t, tr, "apps/a/kustomization.yaml")
	}
	if n := c.n("read", "big.yaml"); n != 2 {
		t.Errorf("a file past MaxBytes was read %d times, want every time (2)", n)
	}
	if n := c.n("read", "node_modules/m.yaml"); n != 2 {
		t.Errorf("an uncached path was read %d times, want every time (2)", n)
	}
	if n := c.n("read", "apps/a/kustomization.yaml"); n != 1 {
		t.Errorf("a small file was read %d times, want once", n)
	}
}

func TestOpenServesFilesAndFolders(t *testing.T) {
	_, _, tr := newTree(t, Options{})
	for range 2 { // filled, then from memory
		if err := fstest.TestFS(tr, "apps/a/kustomization.yaml", "apps/b/kustomization.yaml"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tr.Open("../x"); err == nil {
		t.Fatal("a path out of the tree opened")
	}
}
