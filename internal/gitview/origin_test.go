package gitview

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/gittest"
)

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
	_ fs.ReadDirFS  = (*Index)(nil)
	_ fs.ReadFileFS = (*Index)(nil)
	_ fs.StatFS     = (*Index)(nil)
	_ fs.ReadLinkFS = (*Index)(nil)
	_ fs.ReadLinkFS = (*blobFS)(nil)
)
