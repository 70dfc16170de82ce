package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opencenter-cloud/gitops-hook/internal/cli"
	"github.com/opencenter-cloud/gitops-hook/internal/gittest"
)

// copyTree copies the folder src to dst, applying rewrite to each file.
func copyTree(t *testing.T, src, dst string, rewrite func(rel string, data []byte) []byte) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if rewrite != nil {
			data = rewrite(filepath.ToSlash(rel), data)
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// runEnv runs the command line with its own cache folder.
func runEnv(dir, cache string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errb, Dir: dir,
		Getenv: func(k string) string {
			if k == "XDG_CACHE_HOME" {
				return cache
			}
			return ""
		}})
	return code, out.String(), errb.String()
}

// TestUnreachableBaseIsDeterministic: the usual first set-up, a base that
// cannot be cloned, gives the same findings run after run, in parallel
// with fresh caches, and never a claim about the base's tags or paths.
func TestUnreachableBaseIsDeterministic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	copyTree(t, filepath.Join(projectRoot(t), "testdata", "demo"), dir, func(rel string, data []byte) []byte {
		if rel == ".gitops.yaml" {
			return []byte("environments: [dev-cluster, staging-cluster, prod-cluster]\n")
		}
		// Nothing listens on port 1 of the loopback: the clone fails at once.
		return bytes.ReplaceAll(data, []byte("ssh://git@github.com/"), []byte("ssh://git@127.0.0.1:1/"))
	})
	const runs = 20
	outs := make([]string, runs)
	codes := make([]int, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], outs[i], _ = runEnv(dir, t.TempDir(), "check", "--no-color", "--format", "json")
		}()
	}
	wg.Wait()
	for i := range runs {
		if outs[i] != outs[0] || codes[i] != codes[0] {
			t.Fatalf("run %d differs from run 0 (exit %d vs %d):\n%s\n---\n%s", i, codes[i], codes[0], outs[i], outs[0])
		}
	}
	for _, bad := range []string{"tag/not-found", "flux/path-not-found", "values/override-not-consumed"} {
		if strings.Contains(outs[0], bad) {
			t.Errorf("an unreadable base gave %s:\n%s", bad, outs[0])
		}
	}
	if n := strings.Count(outs[0], `"rule": "tag/unverified"`); n != 1 {
		t.Errorf("want one tag/unverified for the one unreadable repository, got %d:\n%s", n, outs[0])
	}
}

// subfolderRepo makes a git repository whose GitOps tree (a copy of the
// demo, with its own .gitops.yaml) sits in the folder gitops/, commits
// it, and returns the top-level.
func subfolderRepo(t *testing.T) string {
	t.Helper()
	gittest.Require(t)
	top := gittest.Init(t)
	root := projectRoot(t)
	copyTree(t, filepath.Join(root, "testdata", "demo"), filepath.Join(top, "gitops"), func(rel string, data []byte) []byte {
		if rel == ".gitops.yaml" {
			base, _ := filepath.Abs(filepath.Join(root, "testdata", "gitops-base.git"))
			return bytes.ReplaceAll(data, []byte("../gitops-base.git"), []byte(base))
		}
		return data
	})
	gittest.Git(t, top, "add", "-A")
	gittest.Git(t, top, "commit", "-q", "-m", "init")
	return top
}

// TestWritersRefuseUncommittedInSubfolder: promote, pin and check --fix
// never write over uncommitted work, wherever the GitOps tree sits inside
// the git repository.
func TestWritersRefuseUncommittedInSubfolder(t *testing.T) {
	top := subfolderRepo(t)
	root := filepath.Join(top, "gitops")
	cache := t.TempDir()
	target := filepath.Join(root, "applications/overlays/staging-cluster/services/gateway-api/kustomization.yaml")
	edited := []byte("# my uncommitted edit\n")
	orig, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, append(append([]byte(nil), orig...), edited...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runEnv(root, cache, "promote", "gateway-api", "--from", "dev-cluster", "--to", "staging-cluster", "--offline")
	if code != cli.ExitUsage || !strings.Contains(errOut, "uncommitted changes in applications/overlays/staging-cluster/services/gateway-api/kustomization.yaml") {
		t.Errorf("promote: exit %d\n%s%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(target); !bytes.HasSuffix(got, edited) {
		t.Errorf("promote overwrote the uncommitted edit:\n%s", got)
	}

	src := filepath.Join(root, "applications/overlays/staging-cluster/services/sources/opencenter-cert-manager.yaml")
	srcOrig, _ := os.ReadFile(src)
	if err := os.WriteFile(src, append(append([]byte(nil), srcOrig...), edited...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runEnv(root, cache, "pin", "opencenter-cert-manager", "--cluster", "staging-cluster", "--next", "--offline")
	if code != cli.ExitUsage || !strings.Contains(errOut, "uncommitted changes in applications/overlays/staging-cluster/services/sources/opencenter-cert-manager.yaml") {
		t.Errorf("pin: exit %d\n%s%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(src); !bytes.Equal(got, append(srcOrig, edited...)) {
		t.Errorf("pin changed the uncommitted file:\n%s", got)
	}

	// Run from the top-level, pointing at the sub-folder: the same root.
	code, _, errOut = runEnv(top, cache, "check", "gitops", "--fix", "--offline")
	if code == cli.ExitUsage {
		t.Fatalf("check --fix: %s", errOut)
	}
	if got, _ := os.ReadFile(target); !bytes.HasSuffix(got, edited) {
		t.Errorf("check --fix overwrote the uncommitted edit:\n%s", got)
	}
}

// TestFixOnDemoIsSafe: check --fix on the demo (which offers tag moves, an
// unsuspend and a path across environments) writes only safe fixes, never
// leaves a new error, and reports the findings of the result.
func TestFixOnDemoIsSafe(t *testing.T) {
	top := subfolderRepo(t)
	root := filepath.Join(top, "gitops")
	cache := t.TempDir()
	_, beforeOut, _ := runEnv(root, cache, "check", "--offline", "--format", "json")
	code, out, errOut := runEnv(root, cache, "check", "--offline", "--fix", "--format", "json")
	if code == cli.ExitUsage {
		t.Fatalf("check --fix: %s", errOut)
	}
	// A tag, suspend, path or branch line may change its quoting (the tag
	// 2026.10 must be a string), never its value.
	diff := gittest.Git(t, top, "diff", "-U0")
	unquote := strings.NewReplacer(`"`, "", "'", "")
	removed := map[string]bool{}
	for _, line := range strings.Split(diff, "\n") {
		if strings.HasPrefix(line, "-") && !strings.HasPrefix(line, "---") {
			removed[unquote.Replace(line[1:])] = true
		}
	}
	for _, line := range strings.Split(diff, "\n") {
		if !strings.HasPrefix(line, "+") || strings.HasPrefix(line, "+++") {
			continue
		}
		for _, key := range []string{"tag:", "suspend", "path:", "branch:"} {
			if strings.Contains(line, key) && !removed[unquote.Replace(line[1:])] {
				t.Errorf("--fix changed a %s value, a choice the user did not make: %q\n%s", key, line, diff)
			}
		}
	}
	if !strings.Contains(diff, "envoy-gateway-api-values-override") {
		t.Errorf("--fix did not apply the safe rename of the override the base reads:\n%s", diff)
	}
	_, afterOut, _ := runEnv(root, cache, "check", "--offline", "--format", "json")
	if afterOut != out {
		t.Errorf("--fix did not report the findings of the result:\n%s\n--- a new check says:\n%s", out, afterOut)
	}
	before, after := errorKeys(t, beforeOut), errorKeys(t, afterOut)
	for k := range after {
		if !before[k] {
			t.Errorf("--fix introduced an error: %s", k)
		}
	}
}

// errorKeys lists the error findings of a JSON report by rule, file and
// message, so that shifted lines do not count as new.
func errorKeys(t *testing.T, out string) map[string]bool {
	t.Helper()
	var rep struct {
		Diagnostics []struct{ File, Severity, Rule, Message string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	keys := map[string]bool{}
	for _, d := range rep.Diagnostics {
		if d.Severity == "error" {
			keys[d.Rule+" "+d.File+" "+d.Message] = true
		}
	}
	return keys
}

// TestConfigurationMistakes: a typo in .gitops.yaml is exit 2 with the
// file, the line and the word meant, never silently ignored.
func TestConfigurationMistakes(t *testing.T) {
	root := projectRoot(t)
	for _, tc := range []struct {
		config string
		want   string
	}{
		{"enviroments: [dev-cluster]\n", `.gitops.yaml:1:1: unknown key "enviroments" (did you mean "environments"?)`},
		{"rules:\n  secret/placeholdr: off\n", `.gitops.yaml:2:3: rules: unknown rule "secret/placeholdr" (did you mean "secret/placeholder"?)`},
		{"rules:\n  secret/placeholder: loud\n", `.gitops.yaml:2:3: rules.secret/placeholder: unknown severity "loud"`},
		{"environments: [dev-cluster, stagng-cluster, prod-cluster]\n", `.gitops.yaml:1:29: environments: "stagng-cluster" is not a cluster of this repository (did you mean "staging-cluster"?)`},
		{"environments: {a: b}\n", `.gitops.yaml:1:`},
	} {
		dir := filepath.Join(t.TempDir(), "demo")
		copyTree(t, filepath.Join(root, "testdata", "demo"), dir, func(rel string, data []byte) []byte {
			if rel == ".gitops.yaml" {
				return []byte(tc.config)
			}
			return data
		})
		code, out, errOut := runEnv(dir, t.TempDir(), "check", "--offline")
		if code != cli.ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want exit 2 with %q (stdout %q)", tc.config, code, errOut, tc.want, out)
		}
	}
}

// TestCheckPathReportsOnPath: check PATH keeps the repository (its root,
// .gitops.yaml and mirrors) as context and reports on PATH only.
func TestCheckPathReportsOnPath(t *testing.T) {
	root := projectRoot(t)
	cache := t.TempDir()
	_, all, _ := runEnv(root, cache, "check", "testdata/demo", "--offline", "--format", "json")
	code, out, errOut := runEnv(root, cache, "check", "testdata/demo/applications/overlays/staging-cluster", "--offline", "--format", "json")
	if code == cli.ExitUsage {
		t.Fatal(errOut)
	}
	var rep struct{ Diagnostics []struct{ File, Rule string } }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Diagnostics) == 0 {
		t.Fatal("no findings for staging-cluster")
	}
	for _, d := range rep.Diagnostics {
		if !strings.HasPrefix(d.File, "applications/overlays/staging-cluster/") {
			t.Errorf("finding outside the path: %s [%s]", d.File, d.Rule)
		}
		if d.Rule == "flux/path-not-found" && !strings.Contains(all, d.File) {
			t.Errorf("a path error the whole-repository check does not have: %s", d.File)
		}
	}
}

// TestWritersSayWhatTheyDo: promote says when the environments pin
// different base tags; pin --reject lists the other sources a rejection
// breaks, and refuses them as new errors.
func TestWritersSayWhatTheyDo(t *testing.T) {
	top := subfolderRepo(t)
	root := filepath.Join(top, "gitops")
	cache := t.TempDir()
	_, out, errOut := runEnv(root, cache, "promote", "cert-manager", "--from", "dev-cluster", "--to", "staging-cluster", "--dry-run", "--offline")
	if !strings.Contains(out, "note: dev-cluster pins opencenter-cert-manager at 2026.02, staging-cluster at 2026.01") {
		t.Errorf("promote does not say the tags differ:\n%s%s", out, errOut)
	}
	code, out, errOut := runEnv(root, cache, "pin", "opencenter-cert-manager", "--cluster", "dev-cluster", "--previous", "--reject", "--dry-run", "--offline")
	if code != cli.ExitFinding || !strings.Contains(out, "2 other source(s) still pin it") ||
		!strings.Contains(out, "sources/opencenter-gateway-api.yaml:10:10: error: tag \"2026.02\"") {
		t.Errorf("pin --reject: exit %d\n%s%s", code, out, errOut)
	}
}
