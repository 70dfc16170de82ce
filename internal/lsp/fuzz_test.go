package lsp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	"github.com/opencenter-cloud/gitops-hook/internal/hostilerepo"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// FuzzUTF16Positions: conversions between the protocol's UTF-16 positions,
// byte offsets and the engine's rune columns never panic, stay inside the
// text, and agree with each other, whatever the bytes (invalid UTF-8,
// CRLF, surrogate pairs) and whatever the position.
func FuzzUTF16Positions(f *testing.F) {
	for _, s := range []struct {
		text       string
		line, char uint32
		new        string
	}{
		{"a: é😀x\nb: 1\n", 0, 6, "y"},
		{"a: é😀x\nb: 1\n", 0, 5, ""}, // inside the surrogate pair
		{"a: 1\r\nb: 2\r\n", 0, 5, "z"},
		{"a: 1\r\nb: 2\r\n", 1, 4, "\r\n"},
		{"", 0, 0, "x"},
		{"\xff\xfe\xc3(\n\xed\xa0\x80\n", 1, 2, "é"},
		{"x\n", 4294967295, 4294967295, "tail"},
		{"\ufeffa\n", 0, 1, "b"},
		{"\r\r\n\n", 1, 0, "😀"},
	} {
		f.Add([]byte(s.text), s.line, s.char, s.new)
	}
	f.Fuzz(func(t *testing.T, text []byte, line, char uint32, newText string) {
		l := newLines(text)
		p := protocol.Position{Line: line, Character: char}
		off, ok := l.offset(p)
		if off < 0 || off > len(text) {
			t.Fatalf("offset(%v) = %d outside [0, %d]", p, off, len(text))
		}
		if ok {
			if q := l.position(off); q != p {
				t.Fatalf("position(offset(%v) = %d) = %v", p, off, q)
			}
		}
		// The engine's view of the same place converts back to the same
		// protocol position.
		if q, want := l.fromDiag(l.toDiag(p)), l.position(off); q != want {
			t.Fatalf("fromDiag(toDiag(%v)) = %v, want %v", p, q, want)
		}
		// Every character boundary of every line round-trips, and agrees
		// with the engine's own line table.
		yf := yamlfile.Lines("f.yaml", text)
		for n := range l.starts {
			s := l.line(n)
			for i := 0; ; {
				o := l.starts[n] + i
				q := l.position(o)
				if back, ok := l.offset(q); back != o || !ok {
					t.Fatalf("offset(position(%d) = %v) = %d, %v", o, q, back, ok)
				}
				dp := yf.PosOffset(o)
				if got := l.fromDiag(dp); got != q {
					t.Fatalf("fromDiag(%+v) = %v, want %v", dp, got, q)
				}
				if got := l.toDiag(q); got != dp {
					t.Fatalf("toDiag(%v) = %+v, want %+v", q, got, dp)
				}
				if i >= len(s) {
					break
				}
				_, size := utf8.DecodeRune(s[i:])
				i += size
			}
		}
		end := l.end()
		if back, _ := l.offset(end); back != len(text) && !bytes.HasSuffix(text, []byte("\r")) {
			t.Fatalf("offset(end %v) = %d, want %d", end, back, len(text))
		}
		// An edit at the position replaces exactly the bytes between the
		// converted offsets.
		r := protocol.Range{Start: p, End: protocol.Position{Line: line, Character: char + 3}}
		out, _ := applyChange(text, r, newText)
		a, _ := l.offset(r.Start)
		b, _ := l.offset(r.End)
		if b < a {
			a, b = b, a // the end wrapped around
		}
		if want := string(text[:a]) + newText + string(text[b:]); string(out) != want {
			t.Fatalf("applyChange(%v, %q) = %q, want %q", r, newText, out, want)
		}
	})
}

// fuzzFleet is a repository with nothing remote in it: whatever settings a
// fuzzed message sends, the server has nothing to fetch.
var fuzzFleet = map[string][]byte{
	"clusters/dev/kustomization.yaml": []byte("resources: [apps.yaml]\n"),
	"clusters/dev/apps.yaml":          []byte("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"),
	"apps/kustomization.yaml":         []byte("resources:\n  - secret.yaml\n  - cm.yaml\n"),
	"apps/secret.yaml":                []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\n"),
	"apps/cm.yaml":                    []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: é😀\ndata:\n  a: b\n"),
}

// FuzzServerMessages: the language server's message handling. After an
// ordinary start, one fuzzed message body (framed) or raw bytes (header
// and all) reach the server; it answers or ignores them, then still
// answers a request, and stops when the connection closes. A panic that
// escapes, a hang or malformed output fails.
func FuzzServerMessages(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":7,"method":"textDocument/hover","params":{"textDocument":{"uri":"URI"},"position":{"line":4,"character":9}}}`,
		`{"jsonrpc":"2.0","id":7,"method":"textDocument/completion","params":{"textDocument":{"uri":"URI"},"position":{"line":1,"character":4294967295}}}`,
		`{"jsonrpc":"2.0","id":7,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"URI"},"range":{"start":{"line":9,"character":0},"end":{"line":0,"character":3}},"context":{"diagnostics":[{"range":{"start":{"line":5,"character":2},"end":{"line":5,"character":9}},"message":"m","code":"secret/unencrypted","data":{"fix":"x"}}]}}}`,
		`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"URI","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":5},"end":{"line":0,"character":2}},"text":"😀\r\n"},{"text":"whole: doc\n"}]}}`,
		`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///etc/passwd","languageId":"yaml","version":1,"text":"a: *b\n"}}}`,
		`{"jsonrpc":"2.0","method":"textDocument/didClose","params":{"textDocument":{"uri":"URI"}}}`,
		`{"jsonrpc":"2.0","id":7,"method":"workspace/executeCommand","params":{"command":"gitops.promote","arguments":[{"from":"dev","to":"../../x"}]}}`,
		`{"jsonrpc":"2.0","id":7,"method":"workspace/executeCommand","params":{"command":"gitops.pin","arguments":[null, 3, "x"]}}`,
		`{"jsonrpc":"2.0","id":7,"method":"textDocument/definition","params":{"textDocument":{"uri":"URI"},"position":{"line":1,"character":16}}}`,
		`{"jsonrpc":"2.0","id":7,"method":"textDocument/references","params":{"textDocument":{"uri":"URI"},"position":{"line":0,"character":0},"context":{"includeDeclaration":true}}}`,
		`{"jsonrpc":"2.0","id":7,"method":"textDocument/codeLens","params":{"textDocument":{"uri":"file:///"}}}`,
		`{"jsonrpc":"2.0","method":"workspace/didChangeConfiguration","params":{"settings":{"gitops":{"offline":false,"environments":["x"],"rules":{"*":"off"}}}}}`,
		`{"jsonrpc":"2.0","method":"workspace/didChangeWatchedFiles","params":{"changes":[{"uri":"file:///..","type":3}]}}`,
		`{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"rootUri":"file:///"}}`,
		`{"jsonrpc":"2.0","id":7,"method":"shutdown"}`,
		`{"jsonrpc":"2.0","id":null,"result":{}}`,
		`{"jsonrpc":"2.0","id":7,"method":`,
		"[1, 2, 3]",
		"\xff\xfe\x00",
		`{"jsonrpc":"2.0","id":{"a":1},"method":"textDocument/hover","params":"not an object"}`,
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("Content-Length: 99999999999\r\n\r\n{}"), true)
	f.Add([]byte("Content-Length: 2\r\n\r\n{}Content-Length: -1\r\n\r\n"), true)
	f.Add([]byte("X: y\r\n\r\n"), true)
	f.Add([]byte("Content-Length: 10\r\n\r\n{\"a\":"), true)
	f.Fuzz(func(t *testing.T, msg []byte, raw bool) {
		tm := time.AfterFunc(time.Minute, func() { panic(fmt.Sprintf("server still busy after a minute with %q (raw %v)", msg, raw)) })
		defer tm.Stop()
		root := t.TempDir()
		if err := hostilerepo.Write(root, fuzzFleet); err != nil {
			t.Fatal(err)
		}
		c := startServer(t, Options{Debounce: time.Millisecond})
		c.initialize(root, map[string]any{"offline": true})
		c.open("apps/cm.yaml")
		uri := c.uri("apps/cm.yaml")
		if raw {
			// The stream may be unusable after this: the server may close
			// it, and the client's answers to its requests then fail.
			c.mu.Lock()
			c.stopping = true
			c.mu.Unlock()
			_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.conn.Write(msg)
			return
		}
		c.sendRaw(bytes.ReplaceAll(msg, []byte("URI"), []byte(uri)))
		var syms []any
		err := c.request("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": uri}}, &syms)
		if err != nil && strings.Contains(err.Error(), "connection closed") && !bytes.Contains(msg, []byte("exit")) {
			t.Fatalf("the server closed the connection after %q", msg)
		}
	})
}

// A second initialize is refused and leaves the session where it was.
func TestSecondInitializeRefused(t *testing.T) {
	root := t.TempDir()
	if err := hostilerepo.Write(root, fuzzFleet); err != nil {
		t.Fatal(err)
	}
	c := startServer(t, Options{})
	c.initialize(root, map[string]any{"offline": true})
	err := c.request("initialize", map[string]any{"rootUri": "file:///", "capabilities": map[string]any{}}, nil)
	if e, ok := err.(*rpcErr); !ok || e.Code != -32600 {
		t.Fatalf("second initialize: %v", err)
	}
	c.waitDiags("apps/secret.yaml", "secret/unencrypted", hasRule("secret/unencrypted"))
}

// A response to one of the server's requests that arrives with or after
// exit, or while the session is cancelled, is dropped: jsonrpc2 would send
// it on the closed channel of the call and end the process.
func TestResponseAfterExit(t *testing.T) {
	for _, how := range []string{"exit", "cancel"} {
		t.Run(how, func(t *testing.T) {
			root := t.TempDir()
			if err := hostilerepo.Write(root, fuzzFleet); err != nil {
				t.Fatal(err)
			}
			a, b := net.Pipe()
			defer b.Close()
			s := New(Options{Debounce: time.Millisecond, Log: discard{}, Getenv: func(string) string { return "" }})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			served := make(chan error, 1)
			go func() { served <- s.Serve(ctx, a) }()
			write := func(msgs ...string) {
				var buf bytes.Buffer
				for _, m := range msgs {
					fmt.Fprintf(&buf, "Content-Length: %d\r\n\r\n%s", len(m), m)
				}
				_, _ = b.Write(buf.Bytes()) // one write: the server reads them together
			}
			// The server asks to create a progress token for the first
			// analysis; that request stays pending.
			requests := make(chan json.RawMessage, 16)
			go func() {
				r := bufio.NewReader(b)
				for {
					hdr, err := textproto.NewReader(r).ReadMIMEHeader()
					if err != nil {
						return
					}
					n, _ := strconv.Atoi(hdr.Get("Content-Length"))
					body := make([]byte, n)
					if _, err := io.ReadFull(r, body); err != nil {
						return
					}
					var m rpcMessage
					if json.Unmarshal(body, &m) == nil && m.Method != "" && m.ID != nil {
						requests <- *m.ID
					}
				}
			}()
			init, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{
				"rootUri": pathURI(root), "capabilities": map[string]any{"window": map[string]any{"workDoneProgress": true}},
				"initializationOptions": map[string]any{"offline": true}}})
			write(string(init), `{"jsonrpc":"2.0","method":"initialized","params":{}}`)
			var id json.RawMessage
			select {
			case id = <-requests:
			case <-time.After(time.Minute):
				t.Fatal("the server sent no request")
			}
			resp := `{"jsonrpc":"2.0","id":` + string(id) + `,"result":null}`
			if how == "exit" {
				write(`{"jsonrpc":"2.0","method":"exit"}`, resp, resp)
			} else {
				cancel()
				write(resp, resp)
			}
			select {
			case <-served:
			case <-time.After(time.Minute):
				t.Fatal("Serve did not return")
			}
		})
	}
}
