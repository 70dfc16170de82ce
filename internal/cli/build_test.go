package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/opencenter-cloud/gitops-hook/internal/cli"
	"github.com/opencenter-cloud/gitops-hook/internal/gittest"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// baseURL is the URL the build fixtures pin their base at.
const baseURL = "ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git"

// TestBuildGolden runs the cases of testdata/build/*.txtar. In a fixture,
// "@TAG/path" files make the base repository, "want/..." files are the
// expected output, and the other files are the repository. Each line
// "build ARGS > want/FILE" of the comment runs gitops-hook build with ARGS
// and compares its standard output (FILE ending in .yaml or .json, exit 0)
// or its standard error (FILE ending in .err: the build fails, exit 1;
// .usage: it cannot run, exit 2) with the file.
func TestBuildGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/build/*.txtar")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir, mirror := writeFixture(t, a)
			want := map[string][]byte{}
			for _, f := range a.Files {
				if strings.HasPrefix(f.Name, "want/") {
					want[f.Name] = f.Data
				}
			}
			ran := 0
			for _, line := range strings.Split(string(a.Comment), "\n") {
				cmdline, golden, ok := strings.Cut(strings.TrimSpace(line), " > ")
				if !ok || !strings.HasPrefix(cmdline, "build ") {
					continue
				}
				ran++
				args := strings.Fields(cmdline)
				if mirror != "" {
					args = append(args, "--mirror", baseURL+"="+mirror)
				}
				args = append(args, "--offline")
				var stdout, stderr bytes.Buffer
				code := cli.Run(context.Background(), args, cli.Env{Stdout: &stdout, Stderr: &stderr, Dir: dir, Getenv: func(string) string { return "" }})
				exp, ok := want[golden]
				if !ok {
					t.Fatalf("%s: no file %s in the fixture", cmdline, golden)
				}
				wantCode, got := 0, stdout.String()
				switch filepath.Ext(golden) {
				case ".err":
					wantCode, got = 1, stderr.String()
				case ".usage":
					wantCode, got = 2, stderr.String()
				}
				if code != wantCode {
					t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", cmdline, code, wantCode, stdout.String(), stderr.String())
					continue
				}
				if got != string(exp) {
					t.Errorf("%s: output differs from %s\n--- got\n%s\n--- want\n%s", cmdline, golden, got, exp)
				}
				if wantCode != 0 && stdout.Len() > 0 {
					t.Errorf("%s: a failed build wrote to stdout:\n%s", cmdline, stdout.String())
				}
			}
			if ran == 0 {
				t.Fatal("no build lines in the fixture's comment")
			}
		})
	}
}

// writeFixture writes the repository files of a fixture to a folder and
// builds its base snapshots into a bare repository ("" when none).
func writeFixture(t *testing.T, a *txtar.Archive) (dir, mirror string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "repo")
	for name, data := range testrepo.RepoFiles(a) {
		if strings.HasPrefix(name, "want/") {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if snaps := testrepo.Snapshots(a); len(snaps) > 0 {
		mirror = testrepo.BareRepo(t, snaps)
	}
	return dir, mirror
}

// TestBuildRevisions builds the same Kustomization from a revision, the
// index and the working tree, each holding another replica count.
func TestBuildRevisions(t *testing.T) {
	gittest.Require(t)
	a, err := txtar.ParseFile("testdata/build/flux-steps.txtar")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := writeFixture(t, a)
	gittest.Git(t, "", "init", "-q", "-b", "main", dir)
	gittest.Git(t, dir, "add", "-A")
	gittest.Git(t, dir, "commit", "-q", "-m", "one replica")
	deploy := "applications/overlays/dev/services/podinfo/deployment.yaml"
	setReplicas := func(n string) {
		p := filepath.Join(dir, filepath.FromSlash(deploy))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b = []byte(regexp.MustCompile(`replicas: \d+`).ReplaceAllString(string(b), "replicas: "+n))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setReplicas("2")
	gittest.Git(t, dir, "commit", "-q", "-am", "two replicas")
	setReplicas("3")
	gittest.Git(t, dir, "add", deploy)
	setReplicas("4")

	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := cli.Run(context.Background(), append([]string{"build", "images"}, args...), cli.Env{Stdout: &stdout, Stderr: &stderr, Dir: dir, Getenv: func(string) string { return "" }})
		return code, stdout.String(), stderr.String()
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--revision", "HEAD~1"}, "replicas: 1"},
		{[]string{"--revision", "main"}, "replicas: 2"},
		{[]string{"--staged"}, "replicas: 3"},
		{nil, "replicas: 4"},
	} {
		code, out, errOut := run(tc.args...)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("build images %v: exit %d, want %q in:\n%s%s", tc.args, code, tc.want, out, errOut)
		}
	}
	code, out, errOut := run("--revision", "no-such-tag")
	if code != 2 || out != "" || !strings.Contains(errOut, `unknown revision "no-such-tag"`) {
		t.Errorf("unknown revision: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = run("--staged", "--revision", "HEAD")
	if code != 2 || !strings.Contains(errOut, "exclude each other") {
		t.Errorf("--staged with --revision: exit %d, stderr %q", code, errOut)
	}
}
