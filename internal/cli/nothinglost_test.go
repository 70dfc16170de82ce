package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/cli"
	"github.com/opencenter-cloud/gitops-hook/internal/gittest"
	"github.com/opencenter-cloud/gitops-hook/internal/hostilerepo"
)

// treeState is every file and folder under a directory (.git included):
// mode, and a hash of the content or the link target.
type treeState map[string]string

func snapshot(t *testing.T, dir string) treeState {
	t.Helper()
	s := treeState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		entry := info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			entry += " -> " + target
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			entry += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		s[filepath.ToSlash(rel)] = entry
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// diffStates lists what differs between two snapshots.
func diffStates(a, b treeState) []string {
	var out []string
	for p, x := range a {
		if y, ok := b[p]; !ok {
			out = append(out, "removed "+p)
		} else if x != y {
			out = append(out, "changed "+p+": "+x+" -> "+y)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			out = append(out, "added "+p)
		}
	}
	sort.Strings(out)
	return out
}

// contents a file of the fleet may be given: valid, with findings, broken.
var propertyContents = []string{
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: changed\n",
	hostilerepo.PlainSecret,
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: \"three\"\n",
	"\xff\xfe not text\x00",
	"",
	"apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\n",
}

// TestHookLosesNothing: over random mixes of staged, unstaged and
// untracked changes (edits, deletions, renames, mode changes, intent to
// add, symbolic links, stashes, branches and tags), gitops-hook run leaves
// the index, the working tree (bytes and modes), the stash and the refs
// exactly as they were, whatever its exit code: everything under the
// repository, .git included, is compared byte for byte.
func TestHookLosesNothing(t *testing.T) {
	gittest.Require(t)
	cases := 30
	if testing.Short() {
		cases = 6
	}
	rng := rand.New(rand.NewPCG(12, 2026))
	codes := map[int]int{}
	for i := range cases {
		seed := rng.Uint64()
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 0))
			repo := gittest.Init(t)
			files := hostilerepo.Fleet("a.yaml", "b.yaml", "sub")
			files["apps/a.yaml"] = []byte(propertyContents[0])
			files["apps/b.yaml"] = []byte(strings.Replace(propertyContents[0], "name: a", "name: b", 1))
			files["apps/sub/kustomization.yaml"] = []byte("resources: [c.yaml]\n")
			files["apps/sub/c.yaml"] = []byte(strings.Replace(propertyContents[0], "name: a", "name: c", 1))
			files["README.md"] = []byte("# fleet\n")
			if err := hostilerepo.Write(repo, files); err != nil {
				t.Fatal(err)
			}
			gittest.Git(t, repo, "add", "-A")
			gittest.Git(t, repo, "commit", "-q", "-m", "fleet")
			ops := randomChanges(t, r, repo)
			// git status refreshes the index's stat data: do it before the
			// snapshot, so that only the hook could change the index after.
			gittest.Git(t, repo, "status", "--porcelain")
			before := snapshot(t, repo)
			var out, errb bytes.Buffer
			cache := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			args := []string{"run", "--offline"}
			if r.IntN(2) == 0 {
				args = append(args, "--format", "json")
			}
			code := cli.Run(ctx, args, cli.Env{Stdout: &out, Stderr: &errb, Dir: repo, Getenv: func(k string) string {
				if k == "XDG_CACHE_HOME" {
					return cache
				}
				return ""
			}})
			if ctx.Err() != nil {
				t.Fatalf("run did not finish within a minute")
			}
			codes[code]++
			if strings.Contains(errb.String(), "panic") || strings.Contains(errb.String(), "internal error") {
				t.Errorf("stderr: %s", errb.String())
			}
			if d := diffStates(before, snapshot(t, repo)); len(d) > 0 {
				t.Errorf("after %s (exit %d) the repository changed:\n%s", strings.Join(ops, "; "), code, strings.Join(d, "\n"))
			}
		})
	}
	t.Logf("%d cases; exit codes %v", cases, codes)
}

// randomChanges makes one to ten random changes of every kind git knows
// and returns a description of them.
func randomChanges(t *testing.T, r *rand.Rand, repo string) []string {
	t.Helper()
	tracked := func() []string {
		out := strings.Fields(gittest.Git(t, repo, "ls-files"))
		return out
	}
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	write := func(rel, content string) {
		p := filepath.Join(repo, filepath.FromSlash(rel))
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		_ = os.Remove(p) // a symbolic link is replaced, not written through
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var ops []string
	n := 1 + r.IntN(10)
	for j := 0; j < n; j++ {
		files := tracked()
		if len(files) == 0 {
			break
		}
		f := pick(files)
		content := pick(propertyContents)
		switch op := r.IntN(12); op {
		case 0, 1: // unstaged edit
			write(f, content)
			ops = append(ops, "edit "+f)
		case 2, 3: // staged edit, sometimes edited again after
			write(f, content)
			gittest.Git(t, repo, "add", "--", f)
			ops = append(ops, "stage "+f)
			if r.IntN(2) == 0 {
				write(f, pick(propertyContents))
				ops = append(ops, "edit again "+f)
			}
		case 4: // staged deletion, or deletion from the index only
			if r.IntN(2) == 0 {
				gittest.Git(t, repo, "rm", "-q", "-f", "--", f)
				ops = append(ops, "git rm "+f)
			} else {
				gittest.Git(t, repo, "rm", "-q", "-f", "--cached", "--", f)
				ops = append(ops, "git rm --cached "+f)
			}
		case 5: // deletion in the working tree only
			_ = os.Remove(filepath.Join(repo, filepath.FromSlash(f)))
			ops = append(ops, "rm "+f)
		case 6: // untracked file, sometimes staged or intent-to-add
			nf := fmt.Sprintf("apps/new-%d.yaml", j)
			write(nf, content)
			switch r.IntN(3) {
			case 0:
				ops = append(ops, "untracked "+nf)
			case 1:
				gittest.Git(t, repo, "add", "--", nf)
				ops = append(ops, "add "+nf)
			case 2:
				gittest.Git(t, repo, "add", "-N", "--", nf)
				ops = append(ops, "add -N "+nf)
			}
		case 7: // mode change, staged or not
			p := filepath.Join(repo, filepath.FromSlash(f))
			if err := os.Chmod(p, 0o755); err == nil {
				ops = append(ops, "chmod +x "+f)
				if r.IntN(2) == 0 {
					gittest.Git(t, repo, "add", "--", f)
					ops = append(ops, "stage mode "+f)
				}
			}
		case 8: // rename
			nf := strings.TrimSuffix(f, filepath.Ext(f)) + fmt.Sprintf("-moved%d.yaml", j)
			if _, err := gittest.Run(repo, nil, "mv", "--", f, nf); err == nil {
				ops = append(ops, "git mv "+f+" "+nf)
			}
		case 9: // stash what there is, keeping the index or not
			args := []string{"stash", "push", "-q", "-m", fmt.Sprint("s", j)}
			if r.IntN(2) == 0 {
				args = append(args, "--keep-index")
			}
			if r.IntN(2) == 0 {
				args = append(args, "--include-untracked")
			}
			if _, err := gittest.Run(repo, nil, args...); err == nil {
				ops = append(ops, strings.Join(args, " "))
			}
		case 10: // refs
			gittest.Git(t, repo, "branch", fmt.Sprint("b", j))
			gittest.Git(t, repo, "tag", fmt.Sprint("t", j))
			ops = append(ops, "branch and tag")
		case 11: // a symbolic link, untracked or staged
			link := fmt.Sprintf("apps/link-%d.yaml", j)
			if err := os.Symlink(filepath.Base(f), filepath.Join(repo, filepath.FromSlash(link))); err == nil {
				ops = append(ops, "symlink "+link)
				if r.IntN(2) == 0 {
					gittest.Git(t, repo, "add", "--", link)
					ops = append(ops, "stage "+link)
				}
			}
		}
	}
	return ops
}

// buildHook builds the gitops-hook command into a temporary folder.
func buildHook(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gitops-hook")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/gitops-hook")
	cmd.Dir = projectRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestWritersKilledLeaveNoTornFile: promote and pin, killed (SIGKILL) at
// random points of their run, leave every file of the repository as it
// was or as a complete run writes it, never a mix within one file; the
// only other trace allowed is a temporary file beside its target.
func TestWritersKilledLeaveNoTornFile(t *testing.T) {
	gittest.Require(t)
	if testing.Short() {
		t.Skip("builds the command and runs it many times")
	}
	runs := 12
	if n, err := strconv.Atoi(os.Getenv("GITOPS_KILL_RUNS")); err == nil && n > 0 {
		runs = n
	}
	bin := buildHook(t)
	template := subfolderRepo(t)
	cache := t.TempDir()
	temporary := regexp.MustCompile(`(^|/)\.[^/]+\.gitops-[^/]*$`)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"promote", []string{"promote", "cert-manager", "--from", "dev-cluster", "--to", "staging-cluster", "--offline", "--force"}},
		{"pin", []string{"pin", "opencenter-cert-manager", "--cluster", "staging-cluster", "--next", "--offline", "--force"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			clone := func() string {
				dir := filepath.Join(t.TempDir(), "repo")
				gittest.Git(t, "", "clone", "-q", template, dir)
				return dir
			}
			command := func(dir string) *exec.Cmd {
				cmd := exec.Command(bin, c.args...)
				cmd.Dir = filepath.Join(dir, "gitops")
				cmd.Env = append(gittest.Env(), "XDG_CACHE_HOME="+cache)
				return cmd
			}
			// One complete run: what "new" is, and how long a run takes.
			full := clone()
			old := snapshot(t, full)
			began := time.Now()
			if out, err := command(full).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", c.name, err, out)
			}
			took := time.Since(began)
			written := snapshot(t, full)
			changed := map[string]bool{}
			for p := range union(old, written) {
				if x, y := old[p], written[p]; x != y {
					changed[p] = true
				}
			}
			if len(changed) == 0 {
				t.Fatalf("%s changed nothing", c.name)
			}
			r := rand.New(rand.NewPCG(uint64(len(c.name)), 7))
			outcomes := map[string]int{}
			for i := range runs {
				dir := clone()
				before := snapshot(t, dir)
				// Half the kills anywhere in the run, half near its end,
				// where the files are written.
				at := time.Duration(r.Int64N(int64(took)))
				if i%2 == 1 {
					at = took*8/10 + time.Duration(r.Int64N(int64(took)*3/10))
				}
				cmd := command(dir)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(at)
				_ = cmd.Process.Signal(syscall.SIGKILL)
				_ = cmd.Wait()
				after := snapshot(t, dir)
				nOld, nNew, leftovers := 0, 0, 0
				for p := range union(before, written, after) {
					a, inAfter := after[p]
					b, inBefore := before[p]
					w, inNew := written[p]
					switch {
					case !changed[p] && inAfter == inBefore && a == b:
						// untouched by the command
					case inAfter == inBefore && a == b:
						nOld++
					case changed[p] && inAfter == inNew && a == w:
						nNew++
					case inAfter && !inBefore && !inNew && temporary.MatchString(p):
						leftovers++
					default:
						t.Errorf("run %d, killed after %v: %s is neither old nor new (%q, old %q, new %q)", i, at.Round(time.Millisecond), p, a, b, w)
					}
				}
				switch {
				case nNew == 0:
					outcomes["nothing written"]++
				case nOld == 0:
					outcomes["all written"]++
				default:
					outcomes["some files written"]++
				}
				if leftovers > 0 {
					outcomes["temporary files left"]++
				}
			}
			t.Logf("%s: a run takes %v and changes %d paths; %d kills: %v", c.name, took.Round(time.Millisecond), len(changed), runs, outcomes)
			if len(changed) > 0 && outcomes["nothing written"] == runs {
				t.Logf("no kill landed after the first write")
			}
		})
	}
}

func union(states ...treeState) map[string]bool {
	out := map[string]bool{}
	for _, s := range states {
		for p := range s {
			out[p] = true
		}
	}
	return out
}

// TestTwoWorktreesAtOnce: two hooks running at once in two worktrees of one
// repository, sharing one cache, each report what they report alone, and
// leave both worktrees, the shared .git and the cache usable: a later run
// still reports the same.
func TestTwoWorktreesAtOnce(t *testing.T) {
	gittest.Require(t)
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := buildHook(t)
	top := subfolderRepo(t)
	other := filepath.Join(filepath.Dir(top), "other")
	gittest.Git(t, top, "worktree", "add", "-q", "-b", "other", other)
	// Different staged changes with different findings in each worktree.
	svc := "gitops/applications/overlays/dev-cluster/services/cert-manager/"
	gittest.Write(t, top, map[string]string{
		svc + "plain-secret.yaml":  hostilerepo.PlainSecret,
		svc + "kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./cluster-issuer.yaml\n  - ./plain-secret.yaml\nsecretGenerator:\n  - name: cert-manager-values-override\n    type: Opaque\n    files:\n      - override.yaml=helm-values/override-values.yaml\n    options:\n      disableNameSuffixHash: true\n",
	})
	gittest.Git(t, top, "add", "-A")
	gittest.Write(t, other, map[string]string{svc + "cluster-issuer.yaml": "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: [broken\n"})
	gittest.Git(t, other, "add", "-A")

	hook := func(dir, cache string) (string, error) {
		cmd := exec.Command(bin, "run", "--offline", "--format", "json")
		cmd.Dir = dir
		cmd.Env = append(gittest.Env(), "XDG_CACHE_HOME="+cache)
		var out bytes.Buffer
		cmd.Stdout = &out
		err := cmd.Run()
		if e, ok := err.(*exec.ExitError); ok && e.ExitCode() == 1 {
			err = nil // findings
		}
		return out.String(), err
	}
	want := map[string]string{}
	for _, dir := range []string{top, other} {
		out, err := hook(dir, t.TempDir())
		if err != nil {
			t.Fatalf("%s: %v\n%s", dir, err, out)
		}
		want[dir] = out
	}
	if want[top] == want[other] {
		t.Fatal("the two worktrees report the same: the test proves nothing")
	}
	for _, w := range []struct{ dir, text string }{{top, "secret/unencrypted"}, {other, "yaml/syntax"}} {
		if !strings.Contains(want[w.dir], w.text) {
			t.Fatalf("%s reports no %s:\n%s", w.dir, w.text, want[w.dir])
		}
	}
	before := snapshot(t, filepath.Dir(top))
	shared := t.TempDir()
	const rounds = 3
	for round := range rounds {
		got := map[string]string{}
		errs := map[string]error{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, dir := range []string{top, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := hook(dir, shared)
				mu.Lock()
				got[dir], errs[dir] = out, err
				mu.Unlock()
			}()
		}
		wg.Wait()
		for _, dir := range []string{top, other} {
			if errs[dir] != nil || got[dir] != want[dir] {
				t.Errorf("round %d, %s: %v; got\n%s\nwant\n%s", round, filepath.Base(dir), errs[dir], got[dir], want[dir])
			}
		}
	}
	// The shared cache still serves a run alone.
	if out, err := hook(top, shared); err != nil || out != want[top] {
		t.Errorf("after the concurrent runs: %v\n%s", err, out)
	}
	if d := diffStates(before, snapshot(t, filepath.Dir(top))); len(d) > 0 {
		t.Errorf("the hooks changed the repository:\n%s", strings.Join(d, "\n"))
	}
}
