package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"
)

// testClient is a small JSON-RPC client for in-process tests: it speaks to
// a Server over net.Pipe, answers the server's requests like an editor
// (applying workspace edits to the disk), and lets tests wait for
// published diagnostics.
type testClient struct {
	t    testing.TB
	conn net.Conn
	root string

	wmu sync.Mutex
	w   *bufio.Writer

	mu       sync.Mutex
	cond     *sync.Cond
	nextID   int
	pending  map[int]chan rpcMessage
	diags    map[string]publishedDiags // by URI, latest
	notes    []rpcMessage              // other notifications, in order
	closed   bool
	applied  []json.RawMessage // workspace/applyEdit params received
	versions map[string]int32
	texts    map[string]string
	// refuseEdits makes the client answer applyEdit with applied: false.
	refuseEdits bool
	served      chan error
	stopping    bool // the test is over and the pipe closing
	srv         *Server
}

type publishedDiags struct {
	Version     *int32       `json:"version"`
	Diagnostics []lspDiag    `json:"diagnostics"`
	Raw         []rawDiagMsg `json:"-"`
	Count       int          `json:"-"` // publications so far for this URI
}

type rawDiagMsg = json.RawMessage

type lspPos struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

type lspRange struct {
	Start lspPos `json:"start"`
	End   lspPos `json:"end"`
}

type lspDiag struct {
	Range           lspRange `json:"range"`
	Severity        int      `json:"severity"`
	Code            any      `json:"code"`
	CodeDescription *struct {
		Href string `json:"href"`
	} `json:"codeDescription"`
	Source             string          `json:"source"`
	Message            string          `json:"message"`
	Data               json.RawMessage `json:"data"`
	RelatedInformation []struct {
		Location struct {
			URI   string   `json:"uri"`
			Range lspRange `json:"range"`
		} `json:"location"`
		Message string `json:"message"`
	} `json:"relatedInformation"`
}

type rpcMessage struct {
	JSONRPC string           `json:"jsonrpc"`
	ID      *json.RawMessage `json:"id,omitempty"`
	Method  string           `json:"method,omitempty"`
	Params  json.RawMessage  `json:"params,omitempty"`
	Result  json.RawMessage  `json:"result,omitempty"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// startServer runs a server over net.Pipe and returns a client bound to
// it; the server stops when the test ends.
func startServer(t testing.TB, opts Options) *testClient {
	t.Helper()
	if opts.Debounce == 0 {
		opts.Debounce = 20 * time.Millisecond
	}
	cache := t.TempDir()
	if opts.Getenv == nil {
		opts.Getenv = func(k string) string {
			if k == "XDG_CACHE_HOME" {
				return cache
			}
			return ""
		}
	}
	if opts.Log == nil {
		opts.Log = &testLog{t: t}
	}
	a, b := net.Pipe()
	s := New(opts)
	c := &testClient{t: t, conn: b, w: bufio.NewWriter(b), pending: map[int]chan rpcMessage{}, diags: map[string]publishedDiags{},
		versions: map[string]int32{}, texts: map[string]string{}, served: make(chan error, 1)}
	c.cond = sync.NewCond(&c.mu)
	c.srv = s
	ctx, cancel := context.WithCancel(context.Background())
	go func() { c.served <- s.Serve(ctx, a) }()
	go c.read()
	t.Cleanup(func() {
		c.mu.Lock()
		c.stopping = true // answers still on their way may fail to write
		c.mu.Unlock()
		cancel()
		b.Close()
		<-c.served
	})
	return c
}

// testLog sends server log lines to the test log.
type testLog struct {
	t  testing.TB
	mu sync.Mutex
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if testing.Verbose() {
		l.t.Logf("server: %s", strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (c *testClient) send(m any) {
	data, err := json.Marshal(m)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(data)
}

func (c *testClient) sendRaw(data []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	fmt.Fprintf(c.w, "Content-Length: %d\r\n\r\n", len(data))
	c.w.Write(data)
	if err := c.w.Flush(); err != nil {
		c.mu.Lock()
		stopping := c.stopping
		c.mu.Unlock()
		if !stopping {
			c.t.Errorf("write: %v", err)
		}
	}
}

func (c *testClient) read() {
	r := bufio.NewReader(c.conn)
	for {
		hdr, err := textproto.NewReader(r).ReadMIMEHeader()
		if err != nil {
			c.close()
			return
		}
		n, _ := strconv.Atoi(hdr.Get("Content-Length"))
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			c.close()
			return
		}
		var m rpcMessage
		if err := json.Unmarshal(body, &m); err != nil {
			c.t.Errorf("server sent malformed JSON: %v: %s", err, body)
			continue
		}
		switch {
		case m.Method != "" && m.ID != nil:
			go c.answer(m)
		case m.Method != "":
			c.notification(m)
		case m.ID != nil:
			var id int
			_ = json.Unmarshal(*m.ID, &id)
			c.mu.Lock()
			ch := c.pending[id]
			delete(c.pending, id)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		}
	}
}

func (c *testClient) close() {
	c.mu.Lock()
	c.closed = true
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	c.cond.Broadcast()
	c.mu.Unlock()
}

func (c *testClient) notification(m rpcMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.Method == "textDocument/publishDiagnostics" {
		var p struct {
			URI         string          `json:"uri"`
			Version     *int32          `json:"version"`
			Diagnostics json.RawMessage `json:"diagnostics"`
		}
		if err := json.Unmarshal(m.Params, &p); err != nil {
			c.t.Errorf("publishDiagnostics: %v", err)
		}
		if string(p.Diagnostics) == "null" || len(p.Diagnostics) == 0 {
			c.t.Errorf("publishDiagnostics for %s sent %s, want an array", p.URI, p.Diagnostics)
		}
		var ds []lspDiag
		_ = json.Unmarshal(p.Diagnostics, &ds)
		prev := c.diags[p.URI]
		c.diags[p.URI] = publishedDiags{Version: p.Version, Diagnostics: ds, Count: prev.Count + 1}
	} else {
		c.notes = append(c.notes, m)
	}
	c.cond.Broadcast()
}

// answer replies to a request of the server as an editor would.
func (c *testClient) answer(m rpcMessage) {
	var result any
	switch m.Method {
	case "workspace/applyEdit":
		c.mu.Lock()
		c.applied = append(c.applied, m.Params)
		refuse := c.refuseEdits
		c.mu.Unlock()
		if refuse {
			result = map[string]any{"applied": false, "failureReason": "refused by the test"}
			break
		}
		var p struct {
			Edit json.RawMessage `json:"edit"`
		}
		_ = json.Unmarshal(m.Params, &p)
		if err := applyWorkspaceEdit(p.Edit); err != nil {
			result = map[string]any{"applied": false, "failureReason": err.Error()}
		} else {
			result = map[string]any{"applied": true}
		}
	default:
		result = nil
	}
	c.send(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result})
}

// request sends a request and waits for its answer.
func (c *testClient) request(method string, params any, result any) error {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan rpcMessage, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	c.send(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: connection closed", method)
		}
		if m.Error != nil {
			return &rpcErr{Code: m.Error.Code, Message: m.Error.Message}
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-time.After(2 * time.Minute):
		c.t.Fatalf("%s: no answer", method)
		return nil
	}
}

type rpcErr struct {
	Code    int
	Message string
}

func (e *rpcErr) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

func (c *testClient) notify(method string, params any) {
	c.send(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

// initialize starts a session on root with the given options.
func (c *testClient) initialize(root string, initOpts any) map[string]any {
	var res map[string]any
	err := c.request("initialize", map[string]any{
		"processId": nil,
		"rootUri":   pathURI(root),
		"capabilities": map[string]any{
			"workspace": map[string]any{
				"applyEdit":     true,
				"workspaceEdit": map[string]any{"documentChanges": true, "resourceOperations": []string{"create", "rename", "delete"}},
			},
			"window": map[string]any{"workDoneProgress": true},
		},
		"initializationOptions": initOpts,
	}, &res)
	if err != nil {
		c.t.Fatalf("initialize: %v", err)
	}
	c.notify("initialized", map[string]any{})
	c.root = root
	return res
}

func (c *testClient) uri(p string) string {
	return pathURI(filepath.Join(c.root, filepath.FromSlash(p)))
}

// open opens a repository file with its disk content.
func (c *testClient) open(p string) {
	data, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(p)))
	if err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	c.versions[p] = 1
	c.texts[p] = string(data)
	c.mu.Unlock()
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": c.uri(p), "languageId": "yaml", "version": 1, "text": string(data)}})
}

// replace edits an open file: the first occurrence of old becomes new,
// sent as an incremental change with a UTF-16 range.
func (c *testClient) replace(p, old, new string) {
	c.t.Helper()
	c.mu.Lock()
	text := c.texts[p]
	i := strings.Index(text, old)
	if i < 0 {
		c.mu.Unlock()
		c.t.Fatalf("%s: %q not found", p, old)
	}
	start, end := utf16Pos(text, i), utf16Pos(text, i+len(old))
	c.texts[p] = text[:i] + new + text[i+len(old):]
	c.versions[p]++
	v := c.versions[p]
	c.mu.Unlock()
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": c.uri(p), "version": v},
		"contentChanges": []any{map[string]any{"range": lspRange{start, end}, "text": new}},
	})
}

func utf16Pos(text string, off int) lspPos {
	line := strings.Count(text[:off], "\n")
	ls := strings.LastIndex(text[:off], "\n") + 1
	n := 0
	for _, r := range text[ls:off] {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return lspPos{line, n}
}

// waitDiags waits until the diagnostics last published for a file satisfy
// ok, and returns them.
func (c *testClient) waitDiags(p string, what string, ok func([]lspDiag) bool) []lspDiag {
	c.t.Helper()
	uri := c.uri(p)
	deadline := time.AfterFunc(waitLimit, func() {
		c.mu.Lock()
		c.closed = true
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer deadline.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if d, seen := c.diags[uri]; seen && ok(d.Diagnostics) {
			return d.Diagnostics
		}
		if c.closed {
			c.t.Fatalf("%s: never published %s; last: %+v", p, what, c.diags[uri].Diagnostics)
		}
		c.cond.Wait()
	}
}

// waitNote waits for a notification satisfying ok.
func (c *testClient) waitNote(method string, ok func(json.RawMessage) bool) json.RawMessage {
	c.t.Helper()
	deadline := time.AfterFunc(waitLimit, func() {
		c.mu.Lock()
		c.closed = true
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer deadline.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; ; {
		for ; i < len(c.notes); i++ {
			if c.notes[i].Method == method && ok(c.notes[i].Params) {
				return c.notes[i].Params
			}
		}
		if c.closed {
			c.t.Fatalf("no %s notification came", method)
		}
		c.cond.Wait()
	}
}

func hasRule(rule string) func([]lspDiag) bool {
	return func(ds []lspDiag) bool {
		for _, d := range ds {
			if d.Code == rule {
				return true
			}
		}
		return false
	}
}

func empty(ds []lspDiag) bool { return len(ds) == 0 }

func findRule(ds []lspDiag, rule string) lspDiag {
	for _, d := range ds {
		if d.Code == rule {
			return d
		}
	}
	return lspDiag{}
}

// applyWorkspaceEdit applies documentChanges to the disk as an editor
// does for files it has not open.
func applyWorkspaceEdit(raw json.RawMessage) error {
	var e struct {
		DocumentChanges []json.RawMessage `json:"documentChanges"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return err
	}
	for _, dc := range e.DocumentChanges {
		var op struct {
			Kind         string `json:"kind"`
			URI          string `json:"uri"`
			TextDocument struct {
				URI string `json:"uri"`
			} `json:"textDocument"`
			Edits []struct {
				Range   lspRange `json:"range"`
				NewText string   `json:"newText"`
			} `json:"edits"`
		}
		if err := json.Unmarshal(dc, &op); err != nil {
			return err
		}
		switch op.Kind {
		case "create":
			p, _ := uriPath(op.URI)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if _, err := os.Stat(p); err == nil {
				continue
			}
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				return err
			}
		case "delete":
			p, _ := uriPath(op.URI)
			if err := os.Remove(p); err != nil {
				return err
			}
		case "":
			p, _ := uriPath(op.TextDocument.URI)
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			text := string(data)
			// Apply from the last edit backwards so earlier offsets hold.
			for i := len(op.Edits) - 1; i >= 0; i-- {
				ed := op.Edits[i]
				s, e := offsetUTF16(text, ed.Range.Start), offsetUTF16(text, ed.Range.End)
				text = text[:s] + ed.NewText + text[e:]
			}
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unsupported operation %q", op.Kind)
		}
	}
	return nil
}

func offsetUTF16(text string, p lspPos) int {
	off := 0
	for i := 0; i < p.Line; i++ {
		j := strings.IndexByte(text[off:], '\n')
		if j < 0 {
			return len(text)
		}
		off += j + 1
	}
	n := 0
	for i, r := range text[off:] {
		if n >= p.Character || r == '\n' {
			return off + i
		}
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return len(text)
}

// addHello lays testdata/lsp/hello.txtar over a copy of the demo.
func addHello(t *testing.T, root string) {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join("..", "..", "testdata", "lsp", "hello.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range a.Files {
		p := filepath.Join(root, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// applyEdit applies a workspace edit as an editor does: to the open
// buffers (sent as incremental changes) and to the disk for the others.
func (c *testClient) applyEdit(raw json.RawMessage) {
	c.t.Helper()
	var e struct {
		DocumentChanges []json.RawMessage `json:"documentChanges"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		c.t.Fatal(err)
	}
	var disk []json.RawMessage
	for _, dc := range e.DocumentChanges {
		var op struct {
			Kind         string `json:"kind"`
			TextDocument struct {
				URI     string `json:"uri"`
				Version *int32 `json:"version"`
			} `json:"textDocument"`
			Edits []struct {
				Range   lspRange `json:"range"`
				NewText string   `json:"newText"`
			} `json:"edits"`
		}
		if err := json.Unmarshal(dc, &op); err != nil {
			c.t.Fatal(err)
		}
		p := ""
		if op.Kind == "" {
			abs, _ := uriPath(op.TextDocument.URI)
			r, _ := filepath.Rel(c.root, abs)
			p = filepath.ToSlash(r)
		}
		c.mu.Lock()
		text, open := c.texts[p]
		version := c.versions[p]
		c.mu.Unlock()
		if !open {
			disk = append(disk, dc)
			continue
		}
		if op.TextDocument.Version == nil || *op.TextDocument.Version != version {
			c.t.Fatalf("edit of open %s is for version %v, the buffer is at %d", p, op.TextDocument.Version, version)
		}
		for i := len(op.Edits) - 1; i >= 0; i-- {
			ed := op.Edits[i]
			s, en := offsetUTF16(text, ed.Range.Start), offsetUTF16(text, ed.Range.End)
			c.replaceAt(p, s, en, ed.NewText)
			text = text[:s] + ed.NewText + text[en:]
		}
	}
	if len(disk) > 0 {
		all, _ := json.Marshal(map[string]any{"documentChanges": disk})
		if err := applyWorkspaceEdit(all); err != nil {
			c.t.Fatal(err)
		}
		c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{}})
	}
}

func (c *testClient) replaceAt(p string, start, end int, new string) {
	c.mu.Lock()
	text := c.texts[p]
	r := lspRange{utf16Pos(text, start), utf16Pos(text, end)}
	c.texts[p] = text[:start] + new + text[end:]
	c.versions[p]++
	v := c.versions[p]
	c.mu.Unlock()
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": c.uri(p), "version": v},
		"contentChanges": []any{map[string]any{"range": r, "text": new}},
	})
}

type codeAction struct {
	Title       string          `json:"title"`
	Kind        string          `json:"kind"`
	Diagnostics []lspDiag       `json:"diagnostics"`
	Edit        json.RawMessage `json:"edit"`
	Disabled    *struct {
		Reason string `json:"reason"`
	} `json:"disabled"`
}

func (c *testClient) codeActions(p string, r lspRange, diags []lspDiag) []codeAction {
	c.t.Helper()
	if diags == nil {
		diags = []lspDiag{}
	}
	var out []codeAction
	if err := c.request("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": c.uri(p)},
		"range":        r,
		"context":      map[string]any{"diagnostics": diags},
	}, &out); err != nil {
		c.t.Fatalf("codeAction: %v", err)
	}
	return out
}

func actionNamed(as []codeAction, prefix string) *codeAction {
	for i := range as {
		if strings.HasPrefix(as[i].Title, prefix) {
			return &as[i]
		}
	}
	return nil
}

// copyDemo copies testdata/demo to a temporary folder and returns it with
// the initialization options that read the base from its committed mirror.
func copyDemo(t *testing.T) (string, map[string]any) {
	t.Helper()
	src, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "demo"))
	dst := filepath.Join(t.TempDir(), "demo")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, r)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	mirror, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "gitops-base.git"))
	return dst, map[string]any{
		"offline": true,
		"mirrors": map[string]string{"ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git": mirror},
	}
}

// waitLimit bounds how long a test waits for the server.
var waitLimit = func() time.Duration {
	if s := os.Getenv("GITOPS_TEST_WAIT"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			return d
		}
	}
	return 2 * time.Minute
}()
