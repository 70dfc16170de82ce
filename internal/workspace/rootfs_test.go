package workspace

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
)

// rootFS answers as the os.Root it wraps: files in folders, links within
// the tree (also out of their folder), links out of the tree refused,
// missing paths, and more folders than it keeps open.
func TestRootFSAnswersAsTheRoot(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		p = filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/b/c.yaml", "c: 1\n")
	write("a/d.yaml", "d: 1\n")
	write("top.yaml", "t: 1\n")
	for i := 0; i < maxOpenDirs+20; i++ {
		write(filepath.Join("many", string(rune('a'+i%26))+string(rune('a'+i/26)), "f.yaml"), "x\n")
	}
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{"a/b/up.yaml": "../d.yaml", "a/b/out": filepath.Join(outside, "secret"), "a/b/dotdot": "../../../" + filepath.Base(outside) + "/secret"}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, l)); err != nil {
			t.Skip("no symbolic links here:", err)
		}
	}
	top, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	want := top.FS()
	got := newRootFS(top)
	defer got.Close()
	names := []string{".", "a", "a/b", "a/b/c.yaml", "a/d.yaml", "top.yaml", "a/b/up.yaml", "a/b/out", "a/b/dotdot", "a/b/missing", "missing/x", "../x", "a/../a/d.yaml"}
	for i := 0; i < maxOpenDirs+20; i++ {
		names = append(names, filepath.ToSlash(filepath.Join("many", string(rune('a'+i%26))+string(rune('a'+i/26)), "f.yaml")))
	}
	for pass := 0; pass < 2; pass++ {
		for _, n := range names {
			wd, werr := fs.ReadFile(want, n)
			gd, gerr := fs.ReadFile(got, n)
			if (werr == nil) != (gerr == nil) || string(wd) != string(gd) || errors.Is(werr, fs.ErrNotExist) != errors.Is(gerr, fs.ErrNotExist) {
				t.Errorf("ReadFile(%s): root %q, %v; rootFS %q, %v", n, wd, werr, gd, gerr)
			}
			wi, werr := fs.Stat(want, n)
			gi, gerr := fs.Stat(got, n)
			if (werr == nil) != (gerr == nil) || (werr == nil && (wi.IsDir() != gi.IsDir() || wi.Size() != gi.Size())) {
				t.Errorf("Stat(%s): root %v, rootFS %v", n, werr, gerr)
			}
			we, _ := fs.ReadDir(want, n)
			ge, _ := fs.ReadDir(got, n)
			if len(we) != len(ge) {
				t.Errorf("ReadDir(%s): root %d entries, rootFS %d", n, len(we), len(ge))
			}
			for i := range we {
				if i < len(ge) && !reflect.DeepEqual(we[i].Name(), ge[i].Name()) {
					t.Errorf("ReadDir(%s)[%d]: %s, %s", n, i, we[i].Name(), ge[i].Name())
				}
			}
		}
	}
	if sub, err := fs.Sub(got, "many"); err != nil {
		t.Error(err)
	} else if err := fstest.TestFS(sub, "aa/f.yaml"); err != nil {
		t.Error(err)
	}
	if n := len(got.dir); n > maxOpenDirs {
		t.Errorf("%d folder roots open, bound %d", n, maxOpenDirs)
	}
}

// A folder removed and created again: the root kept for it reads the
// removed one until Forget drops it.
func TestRootFSForgetsReplacedFolders(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "apps", "svc")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "old.yaml"), []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys, closeFS, err := OpenFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFS()
	if _, err := fs.Stat(fsys, "apps/svc/old.yaml"); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "new.yaml"), []byte("b: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(fsys, "apps/svc/new.yaml"); err == nil {
		t.Log("the kept root already sees the new folder (the platform reopened it)")
	}
	fsys.(interface{ Forget(string) }).Forget("apps")
	if data, err := fs.ReadFile(fsys, "apps/svc/new.yaml"); err != nil || string(data) != "b: 1\n" {
		t.Fatalf("after Forget: %q, %v", data, err)
	}
}
