package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// promoteRepo writes testdata/promote/helm.txtar to a folder and builds
// its base as a bare repository; it returns the folder and mirror flags.
func promoteRepo(t *testing.T) (string, []string) {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join("..", "..", "testdata", "promote", "helm.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "repo")
	for p, data := range testrepo.RepoFiles(a) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := testrepo.BareRepo(t, testrepo.Snapshots(a))
	return dir, []string{"--offline", "--mirror", "ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git=" + base}
}

func runIn(dir string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Dir: dir})
	return code, out.String(), errb.String()
}

func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, string(filepath.Separator)+".git"+string(filepath.Separator)) {
			data, _ := os.ReadFile(p)
			m[p] = string(data)
		}
		return nil
	})
	return m
}

func TestPromoteCommand(t *testing.T) {
	dir, mirror := promoteRepo(t)
	before := snapshotDir(t, dir)
	code, out, errs := runIn(dir, append([]string{"promote", "metallb", "--from", "dev-cluster", "--to", "staging-cluster", "--dry-run"}, mirror...)...)
	if code != ExitOK || !strings.Contains(out, "+++ b/applications/overlays/staging-cluster/services/fluxcd/metallb.yaml") || !strings.Contains(out, "+  - ./metallb.yaml") {
		t.Fatalf("dry run: %d\n%s\n%s", code, out, errs)
	}
	if after := snapshotDir(t, dir); len(after) != len(before) {
		t.Fatal("--dry-run wrote files")
	}
	code, out, errs = runIn(dir, append([]string{"promote", "metallb", "--from", "dev-cluster", "--to", "staging-cluster"}, mirror...)...)
	if code != ExitOK || !strings.Contains(out, "written: 7 file(s)") {
		t.Fatalf("promote: %d\n%s\n%s", code, out, errs)
	}
	data, err := os.ReadFile(filepath.Join(dir, "applications/overlays/staging-cluster/services/sources/opencenter-metallb.yaml"))
	if err != nil || !strings.Contains(string(data), `tag: "2026.01"`) {
		t.Fatalf("promoted source: %v\n%s", err, data)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "applications/overlays/staging-cluster/services/*/.*gitops-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	// The promoted repository checks clean of errors.
	if code, out, _ := runIn(dir, append([]string{"check", "."}, mirror...)...); code != ExitOK {
		t.Errorf("check after promote: %d\n%s", code, out)
	}
	// Promoting again changes nothing.
	if code, out, _ := runIn(dir, append([]string{"promote", "metallb", "--from", "dev-cluster", "--to", "staging-cluster"}, mirror...)...); code != ExitOK || !strings.Contains(out, "nothing to change") {
		t.Errorf("second promote: %d\n%s", code, out)
	}
}

func TestPromoteAndPinBadInput(t *testing.T) {
	dir, mirror := promoteRepo(t)
	before := snapshotDir(t, dir)
	for _, args := range [][]string{
		{"promote", "nope", "--from", "dev-cluster", "--to", "staging-cluster"},
		{"promote", "metallb", "--from", "dev-cluster", "--to", "dev-cluster"},
		{"promote", "metallb", "--from", "dev-cluster", "--to", "qa"},
		{"promote", "metallb", "--from", "dev-cluster"},
		{"pin", "opencenter-cert-manager", "--tag", "1999.01"},
		{"pin", "opencenter-cert-manager"},
		{"pin", "opencenter-cert-manager", "--next", "--cluster", "qa"},
		{"diff", "dev-cluster"},
	} {
		code, _, errs := runIn(dir, append(args, mirror...)...)
		if code != ExitUsage || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	// A source repository that cannot be read.
	if code, _, errs := runIn(dir, "pin", "opencenter-cert-manager", "--next", "--offline"); code != ExitUsage || !strings.Contains(errs, "cannot read") {
		t.Errorf("unreadable source: %d %q", code, errs)
	}
	after := snapshotDir(t, dir)
	if len(after) != len(before) {
		t.Error("bad input wrote files")
	}
	for p, c := range before {
		if after[p] != c {
			t.Errorf("%s changed", p)
		}
	}
}

func TestPromoteRefusesUncommittedTarget(t *testing.T) {
	dir, mirror := promoteRepo(t)
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := r.Worktree()
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Commit("fixture", &git.CommitOptions{Author: nil, AllowEmptyCommits: true}); err != nil {
		t.Skipf("cannot commit: %v", err)
	}
	kf := filepath.Join(dir, "applications/overlays/staging-cluster/services/fluxcd/kustomization.yaml")
	if err := os.WriteFile(kf, []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./cert-manager.yaml\n# local edit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runIn(dir, append([]string{"promote", "metallb", "--from", "dev-cluster", "--to", "staging-cluster"}, mirror...)...)
	if code != ExitUsage || !strings.Contains(errs, "uncommitted changes") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "applications/overlays/staging-cluster/services/fluxcd/metallb.yaml")); err == nil {
		t.Error("a file was written despite the refusal")
	}
}
