package analysis_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
	"github.com/rogpeppe/go-internal/txtar"
)

func analyseDir(t *testing.T, dir string) []diag.Diagnostic {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	r, err := analysis.Analyze(context.Background(), analysis.Options{FS: root.FS()})
	if err != nil {
		t.Fatal(err)
	}
	return r.Diagnostics
}

func find(ds []diag.Diagnostic, file, rule string) *diag.Diagnostic {
	for i, d := range ds {
		if d.File == file && d.Rule == rule {
			return &ds[i]
		}
	}
	return nil
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBadInput: each kind of bad file gets a clear diagnostic, and a good
// file beside it is still analysed.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "good.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: CHANGEME\n")
	write(t, dir, "binary.yaml", "apiVersion: v1\x00\x01\x02")
	write(t, dir, "image.png", "\x89PNG\r\n\x1a\n\x00\x00")
	// 50 MB of YAML.
	big := bytes.Repeat([]byte("key: value\n"), 50<<20/11)
	if err := os.WriteFile(filepath.Join(dir, "huge.yaml"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	// An alias bomb: a billion laughs if expanded.
	var bomb strings.Builder
	bomb.WriteString("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 'b'; i <= 'j'; i++ {
		prev := string(i - 1)
		bomb.WriteString(string(i) + ": &" + string(i) + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n")
	}
	bomb.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n")
	write(t, dir, "bomb.yaml", bomb.String())
	write(t, dir, "deep.yaml", strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+"\n")
	// Symbolic links: a loop, and one leaving the repository.
	if err := os.Symlink("loop-b.yaml", filepath.Join(dir, "loop-a.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop-a.yaml", filepath.Join(dir, "loop-b.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "escape.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(".", filepath.Join(dir, "self")); err != nil {
		t.Fatal(err)
	}
	ds := analyseDir(t, dir)
	for _, tc := range []struct{ file, rule string }{
		{"good.yaml", "secret/placeholder"},
		{"binary.yaml", "yaml/syntax"},
		{"huge.yaml", "repo/file-too-large"},
		{"loop-a.yaml", "repo/unreadable"},
		{"escape.yaml", "repo/unreadable"},
		{"bomb.yaml", "yaml/alias-expansion"},
	} {
		if find(ds, tc.file, tc.rule) == nil {
			t.Errorf("%s: no %s; got %v", tc.file, tc.rule, ds)
		}
	}
	for _, d := range ds {
		if d.File == "bomb.yaml" && d.Rule != "yaml/alias-expansion" {
			t.Errorf("alias bomb produced %s: %s", d.Rule, d.Message)
		}
		if d.File == "image.png" {
			t.Errorf("a binary non-YAML file was reported: %s", d.Message)
		}
	}
}

// TestOutsideRootThroughLink: a kustomization entry that leaves the
// repository through a symbolic link resolves to nothing inside it.
func TestOutsideRootThroughLink(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "apps/kustomization.yaml", "resources:\n  - ./etc/passwd\n  - ../../../../etc/passwd\n")
	if err := os.Symlink("/etc", filepath.Join(dir, "apps", "etc")); err != nil {
		t.Fatal(err)
	}
	ds := analyseDir(t, dir)
	if d := find(ds, "apps/kustomization.yaml", "kustomize/outside-root"); d == nil || d.Range.Start.Line != 3 {
		t.Errorf("want kustomize/outside-root on line 3, got %v", ds)
	}
	if d := find(ds, "apps/kustomization.yaml", "kustomize/missing-file"); d == nil || d.Range.Start.Line != 2 {
		t.Errorf("the link leaving the root must not be followed: want missing-file on line 2, got %v", ds)
	}
}

// TestDemoBaseUpToDate: the committed base repository of the demo is the
// one testdata/rules/_base.txtar builds (same tags, same trees).
func TestDemoBaseUpToDate(t *testing.T) {
	a, err := txtar.ParseFile("../../testdata/rules/_base.txtar")
	if err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(t.TempDir(), "base.git")
	if err := testrepo.Build(fresh, testrepo.Snapshots(a)); err != nil {
		t.Fatal(err)
	}
	trees := func(dir string) map[string]plumbing.Hash {
		r, err := git.PlainOpen(dir)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]plumbing.Hash{}
		iter, _ := r.Tags()
		_ = iter.ForEach(func(ref *plumbing.Reference) error {
			c, err := r.CommitObject(ref.Hash())
			if err != nil {
				t.Fatal(err)
			}
			out[ref.Name().Short()] = c.TreeHash
			return nil
		})
		return out
	}
	got, want := trees("../../testdata/gitops-base.git"), trees(fresh)
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("tags differ: %v vs %v", got, want)
	}
	for tag, h := range want {
		if got[tag] != h {
			t.Errorf("tag %s differs: rebuild with go run ./internal/testrepo/mkrepo testdata/rules/_base.txtar testdata/gitops-base.git", tag)
		}
	}
}

// TestEngineHasNoProtocolDeps keeps the engine free of LSP packages.
func TestEngineHasNoProtocolDeps(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "tliron/glsp") || strings.Contains(dep, "protocol_3_16") || strings.HasSuffix(dep, "internal/lsp") || strings.HasSuffix(dep, "internal/cli") {
			t.Errorf("internal/analysis depends on %s", dep)
		}
	}
}

// TestArchiveFoldersAreNotRead: retired manifests in archive folders are
// not analysed, as dot-folders are not.
func TestArchiveFoldersAreNotRead(t *testing.T) {
	dir := t.TempDir()
	old := "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata:\n  name: old\nspec:\n  interval: 5m\n"
	write(t, dir, "_archive/app/release.yaml", old)
	write(t, dir, "apps/archive/release.yaml", old)
	write(t, dir, ".old/release.yaml", old)
	write(t, dir, "apps/live/release.yaml", old)
	ds := analyseDir(t, dir)
	if len(ds) == 0 || find(ds, "apps/live/release.yaml", "flux/api-removed") == nil {
		t.Fatalf("the live file must be analysed: %v", ds)
	}
	for _, d := range ds {
		if d.File != "apps/live/release.yaml" {
			t.Errorf("%s was read: %s %s", d.File, d.Rule, d.Message)
		}
	}
}
