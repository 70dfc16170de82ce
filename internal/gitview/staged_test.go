package gitview

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/gittest"
)

// noEnv stands for a process where git set no variables.
func noEnv(string) string { return "" }

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// untouched fails the test at cleanup if anything under the repository
// directory, the index bytes or the status of the work tree at dir changed:
// reading must never write.
func untouched(t *testing.T, dir, indexFile string) {
	t.Helper()
	status := func() string {
		// GIT_OPTIONAL_LOCKS=0 keeps git status itself from refreshing
		// the index.
		out, err := gittest.Run(dir, []string{"GIT_OPTIONAL_LOCKS=0"}, "status", "--porcelain=v1", "--untracked-files=all")
		if err != nil {
			t.Fatalf("git status: %v\n%s", err, out)
		}
		return out
	}
	common := strings.TrimSpace(gittest.Git(t, dir, "rev-parse", "--path-format=absolute", "--git-common-dir"))
	before, idx, st := snapshot(t, common), readAll(indexFile), status()
	t.Cleanup(func() {
		if after := snapshot(t, common); after != before {
			t.Errorf("repository directory %s changed:\nbefore:\n%s\nafter:\n%s", common, before, after)
		}
		if got := readAll(indexFile); !bytes.Equal(got, idx) {
			t.Errorf("index %s changed", indexFile)
		}
		if got := status(); got != st {
			t.Errorf("git status changed:\nbefore:\n%s\nafter:\n%s", st, got)
		}
	})
}

func readAll(file string) []byte {
	b, _ := os.ReadFile(file)
	return b
}

// snapshot lists every path under dir with its size, mode and mtime.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var sb strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&sb, "%s %d %v %d\n", p, fi.Size(), fi.Mode(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

func readString(t *testing.T, fsys fs.FS, name string) string {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(b)
}

func assertChanges(t *testing.T, v *Index, want []Change) {
	t.Helper()
	if got := v.Changes(); !reflect.DeepEqual(got, want) {
		t.Errorf("changes:\n got %+v\nwant %+v", got, want)
	}
}

func TestStagedReadsIndexNotWorkingCopy(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Write(t, dir, map[string]string{
		"apps/a.yaml": "a: 1\n", "apps/b.yaml": "b: 1\n", "gone.yaml": "x\n",
		"old/name.yaml": "kind: Kustomization\nline2\nline3\nline4\nline5\n",
	})
	gittest.Git(t, dir, "add", ".")
	gittest.Git(t, dir, "commit", "-qm", "one")

	// Partially staged: the index holds "a: 2", the working copy "a: 3".
	gittest.Write(t, dir, map[string]string{"apps/a.yaml": "a: 2\n", "new.yaml": "new\n"})
	gittest.Git(t, dir, "add", "apps/a.yaml", "new.yaml")
	gittest.Write(t, dir, map[string]string{"apps/a.yaml": "a: 3\n", "untracked.yaml": "u\n"})
	gittest.Git(t, dir, "rm", "-q", "gone.yaml")
	if err := os.Mkdir(filepath.Join(dir, "new"), 0o755); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, dir, "mv", "old/name.yaml", "new/name.yaml")
	gittest.Write(t, dir, map[string]string{"new/name.yaml": "kind: Kustomization\nline2\nline3\nline4\nCHANGED\n"})
	gittest.Git(t, dir, "add", "new/name.yaml")
	// A staged deletion whose working file is still there.
	gittest.Git(t, dir, "rm", "-q", "--cached", "apps/b.yaml")
	untouched(t, dir, filepath.Join(dir, ".git", "index"))

	v, err := staged(filepath.Join(dir, "apps"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if v.Root() != dir || v.GitDir() != filepath.Join(dir, ".git") {
		t.Errorf("Root %q GitDir %q", v.Root(), v.GitDir())
	}
	if got := readString(t, v, "apps/a.yaml"); got != "a: 2\n" {
		t.Errorf("apps/a.yaml = %q, want the staged %q", got, "a: 2\n")
	}
	for _, absent := range []string{"untracked.yaml", "gone.yaml", "apps/b.yaml", "old/name.yaml", "old"} {
		if _, err := fs.Stat(v, absent); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%s) = %v, want not exist", absent, err)
		}
	}
	assertChanges(t, v, []Change{
		{Path: "apps/a.yaml", Kind: Modified},
		{Path: "apps/b.yaml", Kind: Deleted},
		{Path: "gone.yaml", Kind: Deleted},
		{Path: "new.yaml", Kind: Added},
		{Path: "new/name.yaml", OldPath: "old/name.yaml", Kind: Renamed},
	})
	if err := fstest.TestFS(v, "apps/a.yaml", "new.yaml", "new/name.yaml"); err != nil {
		t.Error(err)
	}
}

func TestStagedFirstCommit(t *testing.T) {
	dir := gittest.Init(t)
	v, err := staged(dir, noEnv)
	if err != nil {
		t.Fatalf("empty repository without an index: %v", err)
	}
	if entries, err := fs.ReadDir(v, "."); err != nil || len(entries) != 0 {
		t.Errorf("ReadDir of an empty index = %v, %v", entries, err)
	}
	gittest.Write(t, dir, map[string]string{"a.yaml": "a\n", "d/b.yaml": "b\n"})
	gittest.Git(t, dir, "add", ".")
	untouched(t, dir, filepath.Join(dir, ".git", "index"))
	if v, err = staged(dir, noEnv); err != nil {
		t.Fatal(err)
	}
	assertChanges(t, v, []Change{{Path: "a.yaml", Kind: Added}, {Path: "d/b.yaml", Kind: Added}})
	if got := readString(t, v, "d/b.yaml"); got != "b\n" {
		t.Errorf("d/b.yaml = %q", got)
	}
}

func TestStagedConflict(t *testing.T) {
	for _, op := range [][]string{{"merge", "other"}, {"cherry-pick", "other"}, {"rebase", "other"}} {
		t.Run(op[0], func(t *testing.T) {
			dir := gittest.Init(t)
			gittest.Write(t, dir, map[string]string{"c.yaml": "base\n", "ok.yaml": "ok\n"})
			gittest.Git(t, dir, "add", ".")
			gittest.Git(t, dir, "commit", "-qm", "base")
			gittest.Git(t, dir, "checkout", "-qb", "other")
			gittest.Write(t, dir, map[string]string{"c.yaml": "theirs\n", "ok.yaml": "merged\n"})
			gittest.Git(t, dir, "commit", "-qam", "theirs")
			gittest.Git(t, dir, "checkout", "-q", "main")
			gittest.Write(t, dir, map[string]string{"c.yaml": "ours\n"})
			gittest.Git(t, dir, "commit", "-qam", "ours")
			if op[0] == "rebase" {
				// Replay main's commit onto other: HEAD is then other.
				gittest.Git(t, dir, "checkout", "-q", "main")
				op = []string{"rebase", "other"}
			}
			if out, err := gittest.Run(dir, nil, op...); err == nil {
				t.Fatalf("%v should conflict:\n%s", op, out)
			}
			untouched(t, dir, filepath.Join(dir, ".git", "index"))

			v, err := staged(dir, noEnv)
			if err != nil {
				t.Fatal(err)
			}
			want := []Change{{Path: "c.yaml", Kind: Conflict}, {Path: "ok.yaml", Kind: Modified}}
			if op[0] == "rebase" {
				// HEAD is other's tip, which already has ok.yaml merged.
				want = want[:1]
			}
			assertChanges(t, v, want)
			if got := readString(t, v, "ok.yaml"); got != "merged\n" {
				t.Errorf("ok.yaml = %q", got)
			}
			if _, err := fs.Stat(v, "c.yaml"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("unmerged path is in the view: %v", err)
			}
		})
	}
}

func TestStagedRenameAndModeChanges(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Write(t, dir, map[string]string{"a.yaml": "same content\n", "x.sh": "echo\n", "keep.yaml": "k\n", "other.yaml": "completely different\n"})
	gittest.Git(t, dir, "add", ".")
	gittest.Git(t, dir, "commit", "-qm", "one")
	gittest.Git(t, dir, "mv", "a.yaml", "b.yaml")
	gittest.Git(t, dir, "update-index", "--chmod=+x", "x.sh")
	gittest.Git(t, dir, "rm", "-q", "other.yaml")
	gittest.Write(t, dir, map[string]string{"unrelated.yaml": "nothing in common at all\n"})
	gittest.Git(t, dir, "add", "unrelated.yaml")
	v, err := staged(dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	assertChanges(t, v, []Change{
		{Path: "b.yaml", OldPath: "a.yaml", Kind: Renamed},
		{Path: "other.yaml", Kind: Deleted},
		{Path: "unrelated.yaml", Kind: Added},
		{Path: "x.sh", Kind: Modified},
	})
}

// TestStagedConcurrentReads reads every file from many goroutines, as the
// engine may; run with -race.
func TestStagedConcurrentReads(t *testing.T) {
	dir := gittest.Init(t)
	files := map[string]string{}
	for i := range 20 {
		files[filepath.ToSlash(filepath.Join("d", string(rune('a'+i))+".yaml"))] = strings.Repeat("x", i) + "\n"
	}
	gittest.Write(t, dir, files)
	gittest.Git(t, dir, "add", ".")
	v, err := staged(dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8*len(files))
	var wg sync.WaitGroup
	for range 8 {
		for name, want := range files {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := v.ReadFile(name)
				if err == nil && string(got) != want {
					err = fmt.Errorf("%s = %q, want %q", name, got, want)
				}
				if fi, serr := v.Stat(name); err == nil && (serr != nil || fi.Size() != int64(len(want))) {
					err = fmt.Errorf("Stat(%s) = %v, %v", name, fi, serr)
				}
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestStagedLinkedWorktree(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Write(t, dir, map[string]string{"a.yaml": "main\n"})
	gittest.Git(t, dir, "add", ".")
	gittest.Git(t, dir, "commit", "-qm", "one")
	wt := filepath.Join(filepath.Dir(dir), "wt")
	gittest.Git(t, dir, "worktree", "add", "-q", "-b", "feature", wt)
	gittest.Write(t, wt, map[string]string{"a.yaml": "feature\n", "sub/x.yaml": "x\n"})
	gittest.Git(t, wt, "add", ".")
	gitDir := filepath.Join(dir, ".git", "worktrees", "wt")
	untouched(t, wt, filepath.Join(gitDir, "index"))
	untouched(t, dir, filepath.Join(dir, ".git", "index"))

	// As run by hand from a subdirectory, and as git runs a hook there
	// (GIT_DIR set to the worktree's private directory).
	for name, env := range map[string]func(string) string{
		"discovered": noEnv,
		"GIT_DIR":    envOf(map[string]string{"GIT_DIR": gitDir}),
	} {
		t.Run(name, func(t *testing.T) {
			v, err := staged(filepath.Join(wt, "sub"), env)
			if err != nil {
				t.Fatal(err)
			}
			if v.Root() != wt || v.GitDir() != gitDir {
				t.Errorf("Root %q GitDir %q, want %q %q", v.Root(), v.GitDir(), wt, gitDir)
			}
			if got := readString(t, v, "a.yaml"); got != "feature\n" {
				t.Errorf("a.yaml = %q, want the worktree's staged content", got)
			}
			assertChanges(t, v, []Change{{Path: "a.yaml", Kind: Modified}, {Path: "sub/x.yaml", Kind: Added}})
		})
	}
	v, err := staged(dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := readString(t, v, "a.yaml"); got != "main\n" || len(v.Changes()) != 0 {
		t.Errorf("main worktree sees %q, changes %v", got, v.Changes())
	}
}

// TestStagedCommitIndexFile captures the temporary index git hands to a
// pre-commit hook in GIT_INDEX_FILE during "git commit -a" and
// "git commit <path>", and reads it as the hook would.
func TestStagedCommitIndexFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want map[string]string
	}{
		{"commit -a", []string{"commit", "-qam", "x"}, map[string]string{"a.yaml": "a2\n", "b.yaml": "b2\n"}},
		{"commit path", []string{"commit", "-qm", "x", "a.yaml"}, map[string]string{"a.yaml": "a2\n", "b.yaml": "b1\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := gittest.Init(t)
			gittest.Write(t, dir, map[string]string{"a.yaml": "a1\n", "b.yaml": "b1\n"})
			gittest.Git(t, dir, "add", ".")
			gittest.Git(t, dir, "commit", "-qm", "one")
			gittest.Write(t, dir, map[string]string{"a.yaml": "a2\n", "b.yaml": "b2\n"})
			saved := filepath.Join(t.TempDir(), "index")
			hook := "#!/bin/sh\ncp \"$GIT_INDEX_FILE\" '" + saved + "'\nexit 1\n"
			if err := os.WriteFile(filepath.Join(dir, ".git", "hooks", "pre-commit"), []byte(hook), 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := gittest.Run(dir, nil, tc.args...); err == nil {
				t.Fatalf("the hook should have blocked the commit:\n%s", out)
			}
			untouched(t, dir, filepath.Join(dir, ".git", "index"))

			v, err := staged(dir, envOf(map[string]string{"GIT_INDEX_FILE": saved}))
			if err != nil {
				t.Fatal(err)
			}
			if v.IndexFile() != saved {
				t.Errorf("IndexFile = %q", v.IndexFile())
			}
			for name, want := range tc.want {
				if got := readString(t, v, name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			// The real index still holds the old content.
			plain, err := staged(dir, noEnv)
			if err != nil {
				t.Fatal(err)
			}
			if got := readString(t, plain, "a.yaml"); got != "a1\n" {
				t.Errorf("without GIT_INDEX_FILE a.yaml = %q", got)
			}
		})
	}
}

func TestStagedSpecialEntries(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Write(t, dir, map[string]string{"k.yaml": "k\n"})
	gittest.Git(t, dir, "add", ".")
	gittest.Git(t, dir, "commit", "-qm", "one")
	if err := os.Symlink("../../../etc/passwd", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	bin := []byte{0, 1, 2, 0xff, 0xfe, 0}
	if err := os.WriteFile(filepath.Join(dir, "blob.bin"), bin, 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Write(t, dir, map[string]string{"later.yaml": "later\n", "run.sh": "#!/bin/sh\n"})
	if err := os.Chmod(filepath.Join(dir, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, dir, "add", "link.yaml", "blob.bin", "run.sh")
	gittest.Git(t, dir, "add", "-N", "later.yaml")
	head := strings.TrimSpace(gittest.Git(t, dir, "rev-parse", "HEAD"))
	gittest.Git(t, dir, "update-index", "--add", "--cacheinfo", "160000,"+head+",vendor/sub")
	untouched(t, dir, filepath.Join(dir, ".git", "index"))

	v, err := staged(dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.ReadFile("link.yaml"); !errors.Is(err, ErrSymlink) {
		t.Errorf("ReadFile(symlink) = %v, want ErrSymlink", err)
	}
	f, err := v.Open("link.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Read(make([]byte, 8)); !errors.Is(err, ErrSymlink) {
		t.Errorf("Read(symlink) = %v, want ErrSymlink", err)
	}
	f.Close()
	if target, err := v.ReadLink("link.yaml"); err != nil || target != "../../../etc/passwd" {
		t.Errorf("ReadLink = %q, %v", target, err)
	}
	if fi, err := v.Stat("link.yaml"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Stat(symlink) = %v, %v", fi, err)
	}
	if got, err := v.ReadFile("blob.bin"); err != nil || !bytes.Equal(got, bin) {
		t.Errorf("binary blob = %v, %v", got, err)
	}
	if fi, err := v.Stat("run.sh"); err != nil || fi.Mode().Perm() != 0o755 || fi.Size() != 10 {
		t.Errorf("Stat(run.sh) = %v, %v", fi, err)
	}
	for _, absent := range []string{"vendor/sub", "vendor", "later.yaml"} {
		if _, err := v.Stat(absent); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%s) = %v, want not exist", absent, err)
		}
	}
	if err := fstest.TestFS(v, "blob.bin", "run.sh", "link.yaml", "k.yaml"); err != nil {
		t.Error(err)
	}
	assertChanges(t, v, []Change{
		{Path: "blob.bin", Kind: Added}, {Path: "link.yaml", Kind: Added}, {Path: "run.sh", Kind: Added},
	})
}

func TestStagedLargeBlob(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 50 MiB blob")
	}
	dir := gittest.Init(t)
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, view.MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Write(t, dir, map[string]string{"small.yaml": "s\n"})
	gittest.Git(t, dir, "add", ".")
	v, err := staged(dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.ReadFile("big.yaml")
	var pe *fs.PathError
	if !errors.Is(err, view.ErrTooLarge) || !errors.As(err, &pe) || pe.Path != "big.yaml" {
		t.Errorf("ReadFile(big) = %v, want a path error with ErrTooLarge", err)
	}
	if fi, err := v.Stat("big.yaml"); err != nil || fi.Size() != view.MaxFileSize+1 {
		t.Errorf("Stat(big) = %v, %v", fi, err)
	}
	if got := readString(t, v, "small.yaml"); got != "s\n" {
		t.Errorf("small.yaml = %q", got)
	}
}

func TestStagedErrors(t *testing.T) {
	gittest.Require(t)
	plain := t.TempDir()
	if _, err := staged(plain, noEnv); !errors.Is(err, ErrNotRepository) {
		t.Errorf("plain directory: %v, want ErrNotRepository", err)
	}

	bare := filepath.Join(t.TempDir(), "bare.git")
	gittest.Git(t, "", "init", "-q", "--bare", bare)
	if _, err := staged(bare, noEnv); !errors.Is(err, ErrBare) || !strings.Contains(err.Error(), "bare repository: nothing is staged") {
		t.Errorf("bare: %v, want ErrBare", err)
	}

	dir := gittest.Init(t)
	idx := filepath.Join(dir, ".git", "index")
	if err := os.WriteFile(idx, []byte("DIRC garbage that is not an index"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := staged(dir, noEnv); err == nil || !strings.Contains(err.Error(), idx) {
		t.Errorf("corrupt index: %v, want an error naming %s", err, idx)
	}

	if _, err := staged(plain, envOf(map[string]string{"GIT_DIR": plain})); !errors.Is(err, ErrNotRepository) {
		t.Errorf("GIT_DIR at a plain directory: %v", err)
	}
}

// TestStagedEnvironment goes through the exported entry point, which reads
// GIT_DIR and GIT_INDEX_FILE from the process environment.
func TestStagedEnvironment(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Write(t, dir, map[string]string{"a.yaml": "a\n"})
	gittest.Git(t, dir, "add", ".")
	t.Setenv("GIT_DIR", filepath.Join(dir, ".git"))
	t.Setenv("GIT_WORK_TREE", "")
	t.Setenv("GIT_INDEX_FILE", filepath.Join(dir, ".git", "no-such-index"))
	v, err := Staged(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The named index does not exist: nothing is staged in it.
	if _, err := v.Stat("a.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("GIT_INDEX_FILE ignored: %v", err)
	}
	t.Setenv("GIT_INDEX_FILE", "")
	if v, err = Staged(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, v, "a.yaml"); got != "a\n" {
		t.Errorf("a.yaml = %q", got)
	}
}

// Files whose working copy is exactly the staged blob are read from the
// work tree (the object is not even needed); a working copy that differs
// in any byte, or that changes after the index was read, is never read in
// place of the blob.
func TestStagedReadsUnchangedFilesFromWorkTree(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Write(t, dir, map[string]string{"same.yaml": "s: 1\n", "edited.yaml": "e: 1\n"})
	gittest.Git(t, dir, "add", ".")
	gittest.Write(t, dir, map[string]string{"edited.yaml": "e: 2\n"}) // same size, not staged
	v, err := staged(dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	// Without the blob of same.yaml, only the work tree can answer.
	sum := strings.TrimSpace(gittest.Git(t, dir, "rev-parse", ":same.yaml"))
	if err := os.Remove(filepath.Join(dir, ".git", "objects", sum[:2], sum[2:])); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, v, "same.yaml"); got != "s: 1\n" {
		t.Errorf("same.yaml = %q", got)
	}
	if got := readString(t, v, "edited.yaml"); got != "e: 1\n" {
		t.Errorf("edited.yaml = %q, want the staged content", got)
	}
	// Changed while the analysis runs: the staged content still.
	gittest.Write(t, dir, map[string]string{"same.yaml": "s: 9\n"})
	if _, err := fs.ReadFile(v, "same.yaml"); err == nil {
		t.Error("same.yaml read although neither the work tree nor the object holds the staged content")
	}
}
