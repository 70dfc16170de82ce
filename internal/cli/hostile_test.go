package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/cli"
	"github.com/opencenter-cloud/gitops-hook/internal/gittest"
	"github.com/opencenter-cloud/gitops-hook/internal/hostilerepo"
)

// outsideMarker is in a file beside the repository: no output may ever
// show it, whatever the repository links to or lists.
const outsideMarker = "outside-the-repository-3f9c1e"

// hostileCase is one kind of hostile input, written into a Flux repository
// whose apps/kustomization.yaml lists resources.
type hostileCase struct {
	name      string
	resources []string
	write     func(t *testing.T, repo, outside string)
	want      []hostileFinding // each must be reported
	noRun     bool             // not stageable (a link out of the repository is staged as a link)
}

type hostileFinding struct {
	file, rule, text string
	line             int // 0: any
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symbolic links: %v", err)
	}
}

func hostileCases() []hostileCase {
	return []hostileCase{
		{name: "alias bomb", resources: []string{"bomb.yaml"},
			write: func(t *testing.T, repo, _ string) {
				writeFile(t, filepath.Join(repo, "apps/bomb.yaml"), hostilerepo.AliasBomb(10, 9))
			},
			want: []hostileFinding{{"apps/bomb.yaml", "yaml/alias-expansion", "aliases expand to more than 100000 nodes", 0}}},
		{name: "alias bomb not named .yaml", resources: []string{"bomb.txt"},
			write: func(t *testing.T, repo, _ string) {
				writeFile(t, filepath.Join(repo, "apps/bomb.txt"), hostilerepo.AliasBomb(10, 9))
			},
			want: []hostileFinding{{"apps/kustomization.yaml", "kustomize/build", "apps/bomb.txt: aliases expand to more than", 0}}},
		{name: "50 MB file", resources: []string{"huge.yaml"},
			write: func(t *testing.T, repo, _ string) {
				writeFile(t, filepath.Join(repo, "apps/huge.yaml"), bytes.Repeat([]byte("key: value\n"), 50<<20/11))
			},
			want: []hostileFinding{{"apps/huge.yaml", "repo/file-too-large", "is not analysed", 0}}},
		{name: "10 MB line", resources: []string{"line.yaml"},
			write: func(t *testing.T, repo, _ string) {
				writeFile(t, filepath.Join(repo, "apps/line.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: line\ndata:\n  key: "+strings.Repeat("x", 10<<20)+"\n"))
			},
			want: []hostileFinding{{"apps/line.yaml", "repo/file-too-large", "is not analysed", 0}}},
		{name: "a mapping of 200,000 keys on one line", resources: []string{"wide.yaml"},
			write: func(t *testing.T, repo, _ string) {
				writeFile(t, filepath.Join(repo, "apps/wide.yaml"), hostilerepo.WideMapping(200_000, false))
			},
			want: []hostileFinding{{"apps/wide.yaml", "yaml/syntax", "has 200000 keys, more than 10000", 5}}},
		{name: "one key repeated 5,000 times", resources: []string{"repeated.yaml"},
			write: func(t *testing.T, repo, _ string) {
				writeFile(t, filepath.Join(repo, "apps/repeated.yaml"), hostilerepo.WideMapping(5000, true))
			},
			want: []hostileFinding{{"apps/repeated.yaml", "yaml/duplicate-key", "more than 100000 pairs of equal keys", 5}}},
		{name: "binary named .yaml", resources: []string{"blob.yaml"},
			write: func(t *testing.T, repo, _ string) {
				writeFile(t, filepath.Join(repo, "apps/blob.yaml"), []byte("\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe binary"))
			},
			want: []hostileFinding{{"apps/blob.yaml", "yaml/syntax", "binary", 0}}},
		{name: "invalid UTF-8", resources: []string{"latin1.yaml"},
			write: func(t *testing.T, repo, _ string) {
				writeFile(t, filepath.Join(repo, "apps/latin1.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n"))
			},
			want: []hostileFinding{{"apps/latin1.yaml", "yaml/syntax", "UTF-8", 0}}},
		{name: "symbolic link loop", resources: []string{"loop-a.yaml"}, noRun: true,
			write: func(t *testing.T, repo, _ string) {
				symlink(t, "loop-b.yaml", filepath.Join(repo, "apps/loop-a.yaml"))
				symlink(t, "loop-a.yaml", filepath.Join(repo, "apps/loop-b.yaml"))
			},
			want: []hostileFinding{{"apps/loop-a.yaml", "repo/unreadable", "", 0}}},
		{name: "link out of the repository", resources: []string{"escape.yaml"}, noRun: true,
			write: func(t *testing.T, repo, outside string) {
				symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(repo, "apps/escape.yaml"))
			},
			want: []hostileFinding{{"apps/escape.yaml", "repo/unreadable", "", 0}}},
		{name: "directory link out of the repository", resources: []string{"out/secret.yaml"}, noRun: true,
			write: func(t *testing.T, repo, outside string) {
				symlink(t, outside, filepath.Join(repo, "apps/out"))
			},
			want: []hostileFinding{{"apps/kustomization.yaml", "kustomize/missing-file", "", 0}}},
		{name: "resource escaping by ..", resources: []string{"../../outside/secret.yaml"},
			want: []hostileFinding{{"apps/kustomization.yaml", "kustomize/outside-root", "", 0}}},
		{name: "resource by absolute path", resources: []string{"ABS"},
			want: []hostileFinding{{"apps/kustomization.yaml", "kustomize/outside-root", "", 0}}},
		{name: "kustomization cycle", resources: []string{"../loop"},
			write: func(t *testing.T, repo, _ string) {
				writeFile(t, filepath.Join(repo, "loop/kustomization.yaml"), []byte("resources:\n  - ../apps\n"))
			},
			want: []hostileFinding{{"", "kustomize/build", "cycle", 0}}},
		{name: "10,000 objects", resources: []string{"many.yaml"},
			write: func(t *testing.T, repo, _ string) {
				data := append(hostilerepo.ConfigMaps(10000), "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: last\ndata:\n  key: CHANGEME\n"...)
				writeFile(t, filepath.Join(repo, "apps/many.yaml"), data)
			},
			want: []hostileFinding{{"clusters/dev/apps.yaml", "kustomize/build", "than the limit of 10000", 0}}},
		{name: "deep nesting", resources: []string{"deep.yaml", "deep-block.yaml"},
			write: func(t *testing.T, repo, _ string) {
				writeFile(t, filepath.Join(repo, "apps/deep.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  key: "+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+"\n"))
				// Block sequences nest on one line: "- - - x".
				writeFile(t, filepath.Join(repo, "apps/deep-block.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep-block\nextra:\n  "+strings.Repeat("- ", 20000)+"x\n"))
			},
			want: []hostileFinding{{"apps/deep.yaml", "yaml/syntax", "", 0}, {"apps/deep-block.yaml", "yaml/syntax", "", 0}}},
		{name: "CRLF and BOM", resources: []string{"crlf.yaml", "bom.yaml"},
			write: func(t *testing.T, repo, _ string) {
				crlf := strings.ReplaceAll(hostilerepo.PlainSecret, "still-checked", "crlf")
				writeFile(t, filepath.Join(repo, "apps/crlf.yaml"), []byte(strings.ReplaceAll(crlf, "\n", "\r\n")))
				bom := strings.ReplaceAll(hostilerepo.PlainSecret, "still-checked", "bom")
				writeFile(t, filepath.Join(repo, "apps/bom.yaml"), []byte("\ufeff"+bom))
			},
			want: []hostileFinding{{"apps/crlf.yaml", "secret/unencrypted", "", 5}, {"apps/bom.yaml", "secret/unencrypted", "", 5}}},
	}
}

// makeHostile writes a case into a new repository beside an outside folder
// holding a Secret with outsideMarker.
func makeHostile(t *testing.T, c hostileCase) (repo string) {
	t.Helper()
	top := t.TempDir()
	repo, outside := filepath.Join(top, "repo"), filepath.Join(top, "outside")
	writeFile(t, filepath.Join(outside, "secret.yaml"), []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: "+outsideMarker+"\nstringData:\n  password: "+outsideMarker+"\n"))
	res := append([]string(nil), c.resources...)
	for i, r := range res {
		if r == "ABS" {
			res[i] = filepath.Join(outside, "secret.yaml")
		}
	}
	res = append(res, "plain-secret.yaml")
	if err := hostilerepo.Write(repo, hostilerepo.Fleet(res...)); err != nil {
		t.Fatal(err)
	}
	if c.write != nil {
		c.write(t, repo, outside)
	}
	return repo
}

type jsonReport struct {
	Diagnostics []struct {
		File, Rule, Message, Severity string
		Line                          int
	}
}

// bounded runs the command in dir under a generous deadline (a hang fails
// the test instead of the whole run) and reports what it cost.
func bounded(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	runtime.GC() // the test's own garbage (a 50 MB file's content) is not the command's
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // sample the heap: what a hook or server would hold
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	var out, errb bytes.Buffer
	start := time.Now()
	cacheHome := t.TempDir()
	code := cli.Run(ctx, args, cli.Env{Stdout: &out, Stderr: &errb, Dir: dir, Getenv: func(k string) string {
		if k == "XDG_CACHE_HOME" {
			return cacheHome
		}
		return ""
	}})
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within the test's deadline", args[0])
	}
	t.Logf("%s: exit %d in %v, peak heap in use %d MB (%d MB before)", args[0], code, elapsed.Round(time.Millisecond), peak>>20, base.HeapInuse>>20)
	return code, out.String(), errb.String()
}

func checkFindings(t *testing.T, c hostileCase, code int, stdout, stderr string) {
	t.Helper()
	if strings.Contains(stdout+stderr, outsideMarker) {
		t.Errorf("output shows content from outside the repository:\n%s", stdout)
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "internal error") {
		t.Errorf("stderr: %s", stderr)
	}
	if code != 1 {
		t.Errorf("exit %d, want 1; stderr: %s", code, stderr)
	}
	var rep jsonReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%.2000s", err, stdout)
	}
	has := func(w hostileFinding) bool {
		for _, d := range rep.Diagnostics {
			if (w.file == "" || d.File == w.file) && d.Rule == w.rule && strings.Contains(d.Message, w.text) && (w.line == 0 || d.Line == w.line) {
				return true
			}
		}
		return false
	}
	for _, w := range append(c.want, hostileFinding{"apps/plain-secret.yaml", "secret/unencrypted", "", 5}) {
		if !has(w) {
			t.Errorf("no %s at %q mentioning %q; got:", w.rule, w.file, w.text)
			for _, d := range rep.Diagnostics {
				t.Logf("  %s:%d %s: %.300s", d.File, d.Line, d.Rule, d.Message)
			}
		}
	}
}

// TestHostileCheck: on each kind of hostile input, check finishes, reports
// a clear hostileFinding and the findings of the rest of the repository, shows
// nothing from outside the repository and does not panic.
func TestHostileCheck(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			repo := makeHostile(t, c)
			code, stdout, stderr := bounded(t, repo, "check", "--offline", "--format", "json", repo)
			checkFindings(t, c, code, stdout, stderr)
		})
	}
}

// TestHostileRun: the same input staged for a commit; the hook reads the
// index, not the working tree, which is emptied to prove it.
func TestHostileRun(t *testing.T) {
	gittest.Require(t)
	for _, c := range hostileCases() {
		if c.noRun {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			repo := makeHostile(t, c)
			gittest.Git(t, repo, "init", "-q", "-b", "main")
			gittest.Git(t, repo, "add", "-A")
			code, stdout, stderr := bounded(t, repo, "run", "--offline", "--format", "json")
			checkFindings(t, c, code, stdout, stderr)
		})
	}
}
