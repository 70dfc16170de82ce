package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/opencenter-cloud/gitops-hook/internal/cli"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"gitops-hook": func() {
			wd, _ := os.Getwd()
			os.Exit(cli.Run(context.Background(), os.Args[1:], cli.Env{
				Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
				Getenv: os.Getenv, Dir: wd,
			}))
		},
	})
}

// TestScript drives real git with the hook installed: see
// testdata/script/*.txtar.
func TestScript(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			for _, kv := range []string{
				"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
				"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
				"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
				"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
				// The shim execs the binary installed at install time: here
				// the test binary, which needs its command name to act as
				// gitops-hook; the PATH entry testscript makes has it.
				"GITOPS_HOOK_BIN=gitops-hook",
				"XDG_CACHE_HOME=" + filepath.Join(e.WorkDir, ".cache"),
				"PRE_COMMIT_HOME=" + filepath.Join(e.WorkDir, ".pre-commit"),
				"NO_COLOR=1",
			} {
				k, v, _ := strings.Cut(kv, "=")
				e.Setenv(k, v)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"fixture":  cmdFixture,
			"gitstate": cmdGitState,
		},
		Condition: func(cond string) (bool, error) {
			if name, ok := strings.CutPrefix(cond, "have:"); ok {
				_, err := exec.LookPath(name)
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// fixture DIR writes a small openCenter repository with two clusters,
// each applying one service through a Flux Kustomization of the
// bootstrap source, plus a folder "shared/app" that both clusters apply.
func cmdFixture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: fixture DIR")
	}
	dir := ts.MkAbs(args[0])
	files := map[string]string{}
	for _, c := range []string{"dev-cluster", "prod-cluster"} {
		o := "applications/overlays/" + c + "/"
		files[o+"kustomization.yaml"] = kust("services/fluxcd")
		files[o+"services/fluxcd/kustomization.yaml"] = kust("app.yaml", "shared.yaml")
		files[o+"services/fluxcd/app.yaml"] = fluxKust("app", "./"+o+"services/app")
		files[o+"services/fluxcd/shared.yaml"] = fluxKust("shared", "./shared/app")
		files[o+"services/app/kustomization.yaml"] = kust("configmap.yaml")
		files[o+"services/app/configmap.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: app\ndata:\n  replicas: \"1\"\n"
	}
	files["shared/app/kustomization.yaml"] = kust("configmap.yaml")
	files["shared/app/configmap.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n  namespace: shared\ndata:\n  level: info\n"
	files["README.md"] = "# fleet\n"
	for p, s := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			ts.Fatalf("%v", err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			ts.Fatalf("%v", err)
		}
	}
}

func kust(res ...string) string {
	s := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
	for _, r := range res {
		s += "  - " + r + "\n"
	}
	return s
}

func fluxKust(name, path string) string {
	return "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
		"\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: " + path +
		"\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
}

// gitstate save|check [-entries] NAME [DIR] records, then compares byte
// for byte, the index, HEAD, every ref, and every file of the working tree
// of the repository in DIR (default: the current directory). With
// -entries the index is compared by its entries ("git ls-files -s")
// rather than its bytes: "git commit" itself refreshes the index file
// before it runs the hook.
func cmdGitState(ts *testscript.TestScript, neg bool, args []string) {
	entries := false
	if len(args) > 1 && args[1] == "-entries" {
		entries = true
		args = append(args[:1:1], args[2:]...)
	}
	if len(args) < 2 || len(args) > 3 || (args[0] != "save" && args[0] != "check") {
		ts.Fatalf("usage: gitstate save|check NAME [DIR]")
	}
	dir := ts.MkAbs(".")
	if len(args) == 3 {
		dir = ts.MkAbs(args[2])
	}
	state, err := gitState(dir, entries)
	ts.Check(err)
	if entries {
		cmd := exec.Command("git", "ls-files", "-s")
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + ts.Getenv("PATH"), "HOME=" + ts.Getenv("HOME"), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null"}
		out, err := cmd.Output()
		ts.Check(err)
		state += string(out)
	}
	file := ts.MkAbs(".gitstate-" + args[1])
	if args[0] == "save" {
		ts.Check(os.WriteFile(file, []byte(state), 0o644))
		return
	}
	old, err := os.ReadFile(file)
	ts.Check(err)
	same := string(old) == state
	if same == neg {
		if neg {
			ts.Fatalf("git state %s unchanged", args[1])
		}
		ts.Fatalf("git state %s changed:\nbefore:\n%s\nafter:\n%s", args[1], old, state)
	}
}

func gitState(dir string, entries bool) (string, error) {
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == ".git/objects" || rel == ".git/logs" || strings.HasPrefix(filepath.Base(p), ".gitstate") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(filepath.Base(p), ".gitstate-") {
			return nil
		}
		if entries && rel == ".git/index" {
			return nil
		}
		if strings.HasPrefix(rel, ".git/") {
			switch {
			case rel == ".git/index", rel == ".git/HEAD", rel == ".git/packed-refs", rel == ".git/MERGE_HEAD",
				strings.HasPrefix(rel, ".git/refs/"), strings.HasPrefix(rel, ".git/worktrees/"):
			default:
				return nil
			}
		}
		var sum [32]byte
		if d.Type()&fs.ModeSymlink != 0 {
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			sum = sha256.Sum256([]byte("link:" + t))
		} else {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum = sha256.Sum256(b)
		}
		info, _ := d.Info()
		lines = append(lines, fmt.Sprintf("%x %v %s", sum[:8], info.Mode(), rel))
		return nil
	})
	sort.Strings(lines)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String(), err
}
