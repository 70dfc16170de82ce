package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opencenter-cloud/gitops-hook/internal/cli"
	"github.com/opencenter-cloud/gitops-hook/internal/testrepo"
)

// TestSoak drives the server on gen-large 3x60 (../shared/bench) with
// random edits, opens, closes, code action, hover, completion, definition
// and symbol requests and malformed messages, in rounds. The server never
// dies, its heap in use after each round (after a GC) stays within twice
// what it was after round 2, and the diagnostics it finally publishes are
// those of gitops-hook check on the same content. A short soak runs with
// go test; GITOPS_SOAK=1 runs thousands of operations (GITOPS_SOAK=N: N
// rounds of 500). Skipped when ../shared is absent.
func TestSoak(t *testing.T) {
	rounds, perRound := 3, 80
	if v := os.Getenv("GITOPS_SOAK"); v != "" {
		rounds, perRound = 10, 500
		if n, err := fmt.Sscan(v, &rounds); n == 1 && err == nil && rounds < 3 {
			rounds = 10
		}
	}
	out := testrepo.GenLarge(t, 3, 60)
	root := filepath.Join(out, "customer")
	base := filepath.Join(out, "base")
	c := startServer(t, Options{Log: discard{}})
	c.initialize(root, map[string]any{"offline": true, "mirrors": map[string]string{testrepo.GenLargeBaseURL: base}})
	c.waitDiags("applications/overlays/dev-cluster/services/sources/opencenter-svc-001.yaml", "tag/update-available", hasRule("tag/update-available"))

	// The files edited: kustomizations, sources, Flux Kustomizations and
	// values of a few services in every cluster, and the cluster roots.
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator)))
		if strings.HasSuffix(rel, ".yaml") && (strings.Contains(rel, "svc-00") || strings.Count(rel, "/") <= 3) && !strings.Contains(rel, "gotk-components") {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < 20 {
		t.Fatalf("only %d files to edit", len(files))
	}
	orig := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		orig[f] = string(b)
	}

	r := rand.New(rand.NewPCG(2026, 12))
	open := map[string]bool{}
	counts := map[string]int{}
	var heap []uint64
	for round := range rounds {
		c.mu.Lock()
		c.notes = nil // the client's own record of log lines is not the server's memory
		c.mu.Unlock()
		for range perRound {
			soakStep(t, c, r, files, orig, open, counts)
		}
		c.settle(t, files[0], open)
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = append(heap, ms.HeapInuse)
		t.Logf("round %d: %d operations, heap in use %d MB, %d goroutines", round+1, perRound, ms.HeapInuse>>20, runtime.NumGoroutine())
	}
	t.Logf("operations: %v", counts)
	if last := heap[len(heap)-1]; last > 2*heap[1] {
		t.Errorf("heap in use grew from %d MB after round 2 to %d MB after round %d", heap[1]>>20, last>>20, rounds)
	}
	select {
	case err := <-c.served:
		t.Fatalf("the server stopped: %v", err)
	default:
	}

	// What the server finally publishes is what check reports on the same
	// content: the open buffers written to disk, the rest as it is.
	published := c.published(t)
	for f := range open {
		c.mu.Lock()
		text := c.texts[f]
		c.mu.Unlock()
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(f)), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	cache := t.TempDir()
	code := cli.Run(context.Background(), []string{"check", "--offline", "--format", "json", "--mirror", testrepo.GenLargeBaseURL + "=" + base, root},
		cli.Env{Stdout: &stdout, Stderr: &stderr, Dir: root, Getenv: func(k string) string {
			if k == "XDG_CACHE_HOME" {
				return cache
			}
			return ""
		}})
	if code == cli.ExitUsage {
		t.Fatalf("check: %s", stderr.String())
	}
	var rep struct {
		Diagnostics []struct {
			File, Rule, Message string
			Line                int
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("check output: %v\n%.2000s", err, stdout.String())
	}
	checked := map[string]bool{}
	for _, d := range rep.Diagnostics {
		checked[fmt.Sprintf("%s:%d %s %s", d.File, d.Line, d.Rule, d.Message)] = true
	}
	var missing, extra []string
	for k := range checked {
		if !published[k] {
			missing = append(missing, k)
		}
	}
	for k := range published {
		if !checked[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Errorf("the server's final diagnostics differ from check's:\nonly check: %s\nonly the server: %s", strings.Join(missing, "\n  "), strings.Join(extra, "\n  "))
	}
	t.Logf("final: %d findings in both, %d files open", len(checked), len(open))
}

// snippets inserted by random edits: YAML fragments, multi-byte and
// astral characters, line breaks of both kinds, aliases.
var snippets = []string{"x", "\n", "  key: value\n", "😀", "é", "\r\n", ": ", "- ", "{", "*a ", "&a ", "# c", "\t", `tag: "2026.02"`, "name: svc-001", "\"", "---\n"}

func soakStep(t *testing.T, c *testClient, r *rand.Rand, files []string, orig map[string]string, open map[string]bool, counts map[string]int) {
	f := files[r.IntN(len(files))]
	op := r.IntN(100)
	switch {
	case !open[f] || op < 5: // open (again: the editor reloads)
		if open[f] {
			counts["close"]++
			c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": c.uri(f)}})
		}
		c.open(f)
		open[f] = true
		counts["open"]++
	case op < 10:
		c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": c.uri(f)}})
		delete(open, f)
		counts["close"]++
	case op < 55: // an incremental edit at rune boundaries
		c.mu.Lock()
		text := c.texts[f]
		c.mu.Unlock()
		i := runeBoundary(text, r.IntN(len(text)+1))
		j := runeBoundary(text, min(len(text), i+r.IntN(24)))
		repl := ""
		if r.IntN(3) > 0 {
			repl = snippets[r.IntN(len(snippets))]
		}
		c.replaceAt(f, i, j, repl)
		counts["edit"]++
	case op < 60: // back to the file's content
		c.setText(f, orig[f])
		counts["revert"]++
	case op < 67:
		var h any
		_ = c.request("textDocument/hover", randomPosParams(c, r, f), &h)
		counts["hover"]++
	case op < 74:
		var items any
		_ = c.request("textDocument/completion", randomPosParams(c, r, f), &items)
		counts["completion"]++
	case op < 81:
		c.mu.Lock()
		ds := c.diags[c.uri(f)].Diagnostics
		c.mu.Unlock()
		if ds == nil {
			ds = []lspDiag{}
		}
		var as any
		_ = c.request("textDocument/codeAction", map[string]any{
			"textDocument": map[string]any{"uri": c.uri(f)},
			"range":        lspRange{lspPos{r.IntN(40), 0}, lspPos{r.IntN(40), r.IntN(80)}},
			"context":      map[string]any{"diagnostics": ds},
		}, &as)
		counts["codeAction"]++
	case op < 86:
		var locs any
		_ = c.request("textDocument/definition", randomPosParams(c, r, f), &locs)
		counts["definition"]++
	case op < 90:
		var syms any
		_ = c.request("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": c.uri(f)}}, &syms)
		counts["documentSymbol"]++
	default: // malformed
		bad := [][]byte{
			[]byte(`{"jsonrpc":"2.0","id":`),
			[]byte(`[1,2,3]`),
			{0xff, 0xfe, 0},
			[]byte(`{"jsonrpc":"2.0","id":"x","method":"textDocument/hover","params":[]}`),
			[]byte(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"` + c.uri("nowhere.yaml") + `","version":1},"contentChanges":[{"text":"a: b"}]}}`),
			[]byte(`{"jsonrpc":"2.0","id":5,"method":"no/such/method"}`),
		}
		c.sendRaw(bad[r.IntN(len(bad))])
		counts["malformed"]++
	}
}

// runeBoundary moves i back to the start of a character; never between
// the \r and \n of a line break, which is no position in the protocol.
func runeBoundary(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	if i > 0 && i < len(s) && s[i-1] == '\r' && s[i] == '\n' {
		i--
	}
	return i
}

func randomPosParams(c *testClient, r *rand.Rand, f string) map[string]any {
	return map[string]any{"textDocument": map[string]any{"uri": c.uri(f)}, "position": lspPos{r.IntN(60), r.IntN(60)}}
}

// setText replaces the whole text of an open document.
func (c *testClient) setText(p, text string) {
	c.mu.Lock()
	c.texts[p] = text
	c.versions[p]++
	v := c.versions[p]
	c.mu.Unlock()
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": c.uri(p), "version": v},
		"contentChanges": []any{map[string]any{"text": text}},
	})
}

// settle makes sure an analysis of the current input is on its way (an
// edit that changes nothing still starts one) and waits until the client
// holds what the server last analysed: every file's latest diagnostics
// equal those of the server's last state, and that state is of the
// latest input.
func (c *testClient) settle(t *testing.T, f string, open map[string]bool) {
	t.Helper()
	if !open[f] {
		c.open(f)
		open[f] = true
	}
	c.mu.Lock()
	text := c.texts[f]
	c.mu.Unlock()
	c.setText(f, text)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		if c.converged() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the published diagnostics never reached the server's last analysis")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// converged reports whether the server's last analysis is of its latest
// input and the client holds exactly its diagnostics.
func (c *testClient) converged() bool {
	s := c.srv
	s.mu.Lock()
	st, gen := s.last, s.gen
	s.mu.Unlock()
	if st == nil || st.gen != gen {
		return false
	}
	want := map[string]bool{}
	for _, ds := range st.byFile {
		for _, d := range ds {
			want[fmt.Sprintf("%s:%d %s %s", d.File, d.Range.Start.Line, d.Rule, d.Message)] = true
		}
	}
	got := c.publishedNow()
	if len(got) != len(want) {
		return false
	}
	for k := range want {
		if !got[k] {
			return false
		}
	}
	return true
}

// published is every finding the client holds, keyed as check's JSON
// output would print it.
func (c *testClient) published(t *testing.T) map[string]bool {
	t.Helper()
	return c.publishedNow()
}

func (c *testClient) publishedNow() map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]bool{}
	for uri, p := range c.diags {
		abs, ok := uriPath(uri)
		if !ok {
			continue
		}
		rel, err := filepath.Rel(c.root, abs)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		rel = filepath.ToSlash(rel)
		for _, d := range p.Diagnostics {
			out[fmt.Sprintf("%s:%d %v %s", rel, d.Range.Start.Line+1, d.Code, d.Message)] = true
		}
	}
	return out
}
