package gitview

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opencenter-cloud/gitops-hook/internal/gittest"
)

// baseRepo has two tagged releases of a gitops-base-like layout.
func baseRepo(t *testing.T) string {
	t.Helper()
	dir := gittest.Init(t)
	gittest.Write(t, dir, map[string]string{"applications/base/services/a/kustomization.yaml": "v1\n"})
	gittest.Git(t, dir, "add", ".")
	gittest.Git(t, dir, "commit", "-qm", "v1")
	gittest.Git(t, dir, "tag", "2026.01")
	gittest.Write(t, dir, map[string]string{"applications/base/services/a/kustomization.yaml": "v2\n", "b.yaml": "b\n"})
	gittest.Git(t, dir, "add", ".")
	gittest.Git(t, dir, "commit", "-qm", "v2")
	gittest.Git(t, dir, "tag", "-a", "-m", "release", "2026.02")
	return dir
}

func TestTree(t *testing.T) {
	src := baseRepo(t)
	first := strings.TrimSpace(gittest.Git(t, src, "rev-parse", "2026.01"))
	// A bare mirror stored inside another checkout: the enclosing .git
	// must not be picked instead.
	bare := filepath.Join(src, "mirrors", "base.git")
	gittest.Git(t, "", "clone", "-q", "--bare", src, bare)
	gittest.Write(t, src, map[string]string{"applications/base/services/a/kustomization.yaml": "dirty\n"})
	gittest.Git(t, bare, "tag", "only-in-mirror", "2026.01")
	if _, err := Tree(bare, "only-in-mirror"); err != nil {
		t.Errorf("the bare mirror was not the repository opened: %v", err)
	}

	for _, repo := range []string{src, bare} {
		for rev, want := range map[string]string{"2026.01": "v1\n", "2026.02": "v2\n", "main": "v2\n", first: "v1\n", first[:10]: "v1\n"} {
			fsys, err := Tree(repo, rev)
			if err != nil {
				t.Fatalf("Tree(%s, %s): %v", repo, rev, err)
			}
			b, err := fs.ReadFile(fsys, "applications/base/services/a/kustomization.yaml")
			if err != nil || string(b) != want {
				t.Errorf("Tree(%s, %s) = %q, %v; want %q", repo, rev, b, err, want)
			}
		}
	}
	fsys, err := Tree(bare, "2026.01")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(fsys, "b.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("b.yaml at 2026.01: %v", err)
	}
	if err := fstest.TestFS(fsys, "applications/base/services/a/kustomization.yaml"); err != nil {
		t.Error(err)
	}
	if _, err := Tree(bare, "2099.01"); err == nil || !strings.Contains(err.Error(), "2099.01") {
		t.Errorf("unknown tag: %v", err)
	}
	if _, err := Tree(t.TempDir(), "main"); !errors.Is(err, ErrNotRepository) {
		t.Errorf("not a repository: %v", err)
	}
}

func TestOrigin(t *testing.T) {
	dir := gittest.Init(t)
	if u, ok := Origin(dir); ok {
		t.Errorf("Origin without remote = %q", u)
	}
	const url = "ssh://git@github.com/opencenter-cloud/customer.git"
	gittest.Git(t, dir, "remote", "add", "origin", url)
	sub := filepath.Join(dir, "applications")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if u, ok := Origin(sub); !ok || u != url {
		t.Errorf("Origin = %q, %v", u, ok)
	}
}

// TestStagedIndexFormats reads index version 4 (prefix-compressed paths)
// and reports a split index, which go-git cannot decode, by name.
func TestStagedIndexFormats(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Write(t, dir, map[string]string{"applications/overlays/dev/a.yaml": "a\n", "applications/overlays/dev/b.yaml": "b\n"})
	gittest.Git(t, dir, "add", ".")
	gittest.Git(t, dir, "update-index", "--index-version", "4")
	v, err := staged(dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := readString(t, v, "applications/overlays/dev/b.yaml"); got != "b\n" {
		t.Errorf("v4 index: b.yaml = %q", got)
	}

	gittest.Git(t, dir, "update-index", "--split-index")
	idx := filepath.Join(dir, ".git", "index")
	if _, err := staged(dir, noEnv); err == nil || !strings.Contains(err.Error(), idx) || !strings.Contains(err.Error(), "split") {
		t.Errorf("split index: %v, want an error naming %s", err, idx)
	}
}

// The engine type-asserts these interfaces; keep them implemented.
var (
	_ fs.ReadDirFS  = (*View)(nil)
	_ fs.ReadFileFS = (*View)(nil)
	_ fs.StatFS     = (*View)(nil)
	_ fs.ReadLinkFS = (*View)(nil)
	_ fs.ReadLinkFS = (*blobFS)(nil)
)
