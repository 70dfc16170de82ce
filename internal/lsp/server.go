// Package lsp is the language server of gitops-hook: it keeps the open
// editor buffers, runs the engine (internal/analysis) over them laid over
// the files on disk, and speaks the Language Server Protocol. It is the
// only package that knows the protocol; positions become UTF-16 here.
package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/jsonrpc2"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/workspace"
)

// Options configure a server.
type Options struct {
	Name, Version string
	// Log receives every log line as well (the --log file); nil: only the
	// client's window/logMessage.
	Log io.Writer
	// Debounce is how long edits must pause before an analysis; 0:
	// DefaultDebounce.
	Debounce time.Duration
	// Getenv reads the environment (XDG_CACHE_HOME); nil: os.Getenv.
	Getenv func(string) string
	// Watch enables the file watcher on the workspace root.
	Watch bool
}

// DefaultDebounce is how long edits pause before an analysis starts. An
// analysis a newer edit supersedes is cancelled, so a short pause costs
// little more than the time it saves.
const DefaultDebounce = 100 * time.Millisecond

// Server is one language server session.
type Server struct {
	opts    Options
	handler protocol.Handler
	conn    *jsonrpc2.Conn

	logMu sync.Mutex

	mu          sync.Mutex // guards the fields below
	root        string     // absolute workspace root; "" before initialize
	quiet       bool       // the workspace is no GitOps repository
	docs        map[string]*document
	settings    settings
	caps        clientCaps
	gen         int // bumped by every change of input: edits, settings, disk
	runCancel   context.CancelFunc
	last        *state
	published   map[string]protocol.PublishDiagnosticsParams // what was last published, by path with findings
	initialised bool                                         // the first analysis finished
	resolver    *gitsrc.Resolver
	shutdown    bool
	progressN   int
	initCalled  bool        // initialize was answered once
	closing     atomic.Bool // exit received or the session cancelled: read no more

	kick     chan struct{}
	done     chan struct{}
	doneOnce sync.Once
	engine   sync.Mutex // one analysis at a time: renders share caches
	// sess keeps builds, validations and the schema validator for the
	// life of the server, in the disk cache the hook and check share.
	sess    *analysis.Session
	watcher io.Closer
	disk    disk // the workspace folder, kept in memory while watched
	plans   planCache
}

// clientCaps are the client capabilities the server acts on.
type clientCaps struct {
	DocumentChanges bool
	ResourceOps     map[string]bool
	WorkDone        bool
	ApplyEdit       bool
}

// New returns a server; Serve runs it on a connection.
func New(opts Options) *Server {
	if opts.Debounce == 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Name == "" {
		opts.Name = "gitops-lsp"
	}
	s := &Server{
		opts:      opts,
		docs:      map[string]*document{},
		published: map[string]protocol.PublishDiagnosticsParams{},
		kick:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	s.sess = analysis.NewSession(analysis.SessionOptions{Cache: s.buildCache()})
	s.handler = protocol.Handler{
		Initialize:                      s.initialize,
		Initialized:                     s.initializedNote,
		Shutdown:                        s.shutdownReq,
		SetTrace:                        func(*glsp.Context, *protocol.SetTraceParams) error { return nil },
		CancelRequest:                   func(*glsp.Context, *protocol.CancelParams) error { return nil },
		TextDocumentDidOpen:             s.didOpen,
		TextDocumentDidChange:           s.didChange,
		TextDocumentDidClose:            s.didClose,
		TextDocumentDidSave:             s.didSave,
		WorkspaceDidChangeConfiguration: s.didChangeConfiguration,
		WorkspaceDidChangeWatchedFiles:  s.didChangeWatchedFiles,
		TextDocumentCodeAction:          s.codeAction,
		WorkspaceExecuteCommand:         s.executeCommand,
		TextDocumentHover:               s.hover,
		TextDocumentDefinition:          s.definition,
		TextDocumentReferences:          s.references,
		TextDocumentCompletion:          s.completion,
		TextDocumentDocumentSymbol:      s.documentSymbol,
		TextDocumentCodeLens:            s.codeLens,
	}
	return s
}

// Serve runs the server on a stream until the client sends exit or the
// stream closes. It returns nil after a clean shutdown and exit, and an
// error when the client went away without one.
func (s *Server) Serve(ctx context.Context, stream io.ReadWriteCloser) error {
	// The connection reads (and may handle a message) before NewConn
	// returns: nothing may use s.conn until it is set.
	ready := make(chan struct{})
	rh := &rpcHandler{s: s, h: &s.handler, ready: ready, async: map[string]bool{
		protocol.MethodWorkspaceExecuteCommand: true,
		protocol.MethodTextDocumentCodeAction:  true,
		protocol.MethodTextDocumentCodeLens:    true,
		protocol.MethodTextDocumentHover:       true,
	}}
	var objStream jsonrpc2.ObjectStream
	c := codec{bad: func(err error) { <-ready; s.logf("%v", err) }, closing: s.closing.Load}
	objStream = jsonrpc2.NewBufferedStream(stream, c)
	s.conn = jsonrpc2.NewConn(ctx, objStream, rh)
	close(ready)
	go s.loop()
	select {
	case <-s.conn.DisconnectNotify():
	case <-ctx.Done():
		// Closing the stream, not the connection: the connection closes
		// itself from its read loop. Closed from here, it could meet a
		// response to one of its calls still being read, and jsonrpc2
		// would panic (send on a closed channel).
		s.closing.Store(true)
		_ = stream.Close()
	}
	s.exit()
	s.mu.Lock()
	clean := s.shutdown
	s.mu.Unlock()
	if !clean {
		return fmt.Errorf("the client closed the connection without shutdown")
	}
	return nil
}

// exit stops the analysis loop and the watcher.
func (s *Server) exit() {
	s.doneOnce.Do(func() {
		close(s.done)
		s.mu.Lock()
		if s.runCancel != nil {
			s.runCancel()
		}
		w := s.watcher
		s.mu.Unlock()
		if w != nil {
			_ = w.Close()
		}
		s.engine.Lock()
		_ = s.sess.Close()
		s.disk.Close()
		s.engine.Unlock()
	})
}

func (s *Server) notify(method string, params any) {
	if s.conn == nil {
		return
	}
	if err := s.conn.Notify(context.Background(), method, params); err != nil && err != jsonrpc2.ErrClosed {
		s.logOnly("notify %s: %v", method, err)
	}
}

// call sends a request to the client and waits for its answer. It must not
// run on the read loop (see rpcHandler).
func (s *Server) call(method string, params any, result any) {
	if err := s.callErr(method, params, result); err != nil {
		s.logf("%s: %v", method, err)
	}
}

func (s *Server) callErr(method string, params any, result any) error {
	if s.conn == nil {
		return fmt.Errorf("no connection")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return s.conn.Call(ctx, method, params, result)
}

// logf logs to the client (window/logMessage) and the log file.
func (s *Server) logf(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	s.logOnly("%s", msg)
	s.notify(protocol.ServerWindowLogMessage, protocol.LogMessageParams{Type: protocol.MessageTypeLog, Message: msg})
}

func (s *Server) logOnly(format string, a ...any) {
	if s.opts.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.opts.Log, "%s %s\n", time.Now().UTC().Format("15:04:05.000"), fmt.Sprintf(format, a...))
}

// showError tells the user (window/showMessage) and logs.
func (s *Server) showError(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	s.logOnly("%s", msg)
	s.notify(protocol.ServerWindowShowMessage, protocol.ShowMessageParams{Type: protocol.MessageTypeError, Message: msg})
}

// recoverTo turns a panic in a server goroutine into a log line.
func (s *Server) recoverTo(where string) {
	if r := recover(); r != nil {
		s.logf("internal error in %s: %v (please report it)\n%s", where, r, debug.Stack())
	}
}

// initParams is the part of InitializeParams the server reads, decoded
// from the raw message so that client capabilities need no full model.
type initParams struct {
	RootURI          *string `json:"rootUri"`
	RootPath         *string `json:"rootPath"`
	WorkspaceFolders []struct {
		URI  string `json:"uri"`
		Name string `json:"name"`
	} `json:"workspaceFolders"`
	InitializationOptions json.RawMessage `json:"initializationOptions"`
	Capabilities          struct {
		Workspace struct {
			ApplyEdit     bool `json:"applyEdit"`
			WorkspaceEdit struct {
				DocumentChanges    bool     `json:"documentChanges"`
				ResourceOperations []string `json:"resourceOperations"`
			} `json:"workspaceEdit"`
		} `json:"workspace"`
		Window struct {
			WorkDoneProgress bool `json:"workDoneProgress"`
		} `json:"window"`
	} `json:"capabilities"`
}

// Commands the server executes (workspace/executeCommand).
var commands = []string{"gitops.promote", "gitops.pin", "gitops.matrix", "gitops.services", "gitops.sources"}

func (s *Server) initialize(ctx *glsp.Context, _ *protocol.InitializeParams) (any, error) {
	var p initParams
	if err := json.Unmarshal(ctx.Params, &p); err != nil {
		return nil, err
	}
	// The protocol allows one initialize: a second one must not move the
	// session to another folder under the analysis already running.
	s.mu.Lock()
	again := s.initCalled
	s.initCalled = true
	s.mu.Unlock()
	if again {
		return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidRequest, Message: "initialize may only be sent once"}
	}
	var folders []string
	for _, f := range p.WorkspaceFolders {
		if d, ok := uriPath(f.URI); ok {
			folders = append(folders, d)
		}
	}
	if len(folders) == 0 && p.RootURI != nil {
		if d, ok := uriPath(*p.RootURI); ok {
			folders = append(folders, d)
		}
	}
	if len(folders) == 0 && p.RootPath != nil && *p.RootPath != "" {
		folders = append(folders, filepath.Clean(*p.RootPath))
	}
	var set settings
	if len(p.InitializationOptions) > 0 && string(p.InitializationOptions) != "null" {
		if err := json.Unmarshal(p.InitializationOptions, &set); err != nil {
			s.logf("initializationOptions ignored: %v", err)
			set = settings{}
		}
	}
	caps := clientCaps{
		DocumentChanges: p.Capabilities.Workspace.WorkspaceEdit.DocumentChanges,
		ResourceOps:     map[string]bool{},
		WorkDone:        p.Capabilities.Window.WorkDoneProgress,
		ApplyEdit:       p.Capabilities.Workspace.ApplyEdit,
	}
	for _, op := range p.Capabilities.Workspace.WorkspaceEdit.ResourceOperations {
		caps.ResourceOps[op] = true
		// Resource operations exist only inside documentChanges; Neovim
		// 0.7 announces them without saying documentChanges.
		caps.DocumentChanges = true
	}
	root, quiet := chooseRoot(folders)
	s.mu.Lock()
	s.root, s.quiet, s.settings, s.caps = root, quiet, set, caps
	s.mu.Unlock()
	switch {
	case root == "":
		s.logOnly("no workspace folder: nothing to analyse")
	case quiet:
		s.logOnly("%s holds no kustomization, Flux object or .gitops.yaml: staying quiet", root)
	default:
		s.logOnly("workspace %s", root)
		if len(folders) > 1 {
			s.logOnly("several workspace folders: analysing %s only", root)
		}
	}

	caps2 := s.handler.CreateServerCapabilities()
	kind := protocol.TextDocumentSyncKindIncremental
	caps2.TextDocumentSync = &protocol.TextDocumentSyncOptions{OpenClose: &protocol.True, Change: &kind,
		Save: &protocol.SaveOptions{IncludeText: &protocol.False}}
	caps2.ExecuteCommandProvider = &protocol.ExecuteCommandOptions{Commands: commands}
	caps2.CodeActionProvider = &protocol.CodeActionOptions{CodeActionKinds: []protocol.CodeActionKind{protocol.CodeActionKindQuickFix, protocol.CodeActionKindRefactorRewrite}}
	caps2.CodeLensProvider = &protocol.CodeLensOptions{}
	caps2.CompletionProvider = &protocol.CompletionOptions{TriggerCharacters: []string{":", " ", "/", "\""}}
	version := s.opts.Version
	return protocol.InitializeResult{
		Capabilities: caps2,
		ServerInfo:   &protocol.InitializeResultServerInfo{Name: s.opts.Name, Version: &version},
	}, nil
}

// chooseRoot picks the folder to analyse: the first that looks like a
// GitOps repository, else the first (quiet).
func chooseRoot(folders []string) (root string, quiet bool) {
	for _, f := range folders {
		// The repository root by the rule every command follows (a
		// folder opened below it analyses the whole repository).
		if r, _, err := workspace.FindRoot(f); err == nil && looksLikeGitOps(r) {
			return r, false
		}
		if looksLikeGitOps(f) {
			return f, false
		}
	}
	if len(folders) > 0 {
		return folders[0], true
	}
	return "", true
}

func (s *Server) initializedNote(*glsp.Context, *protocol.InitializedParams) error {
	s.mu.Lock()
	root, quiet := s.root, s.quiet
	s.mu.Unlock()
	if root == "" || quiet {
		return nil
	}
	if s.opts.Watch {
		w, err := s.watch(root)
		if err != nil {
			s.logf("file watcher: %v (changes made outside the editor are seen on the next edit)", err)
		} else {
			s.mu.Lock()
			s.watcher = w
			s.mu.Unlock()
		}
	}
	s.changed()
	return nil
}

func (s *Server) shutdownReq(*glsp.Context) error {
	s.mu.Lock()
	s.shutdown = true
	if s.runCancel != nil {
		s.runCancel()
	}
	s.mu.Unlock()
	return nil
}

func (s *Server) didChangeConfiguration(_ *glsp.Context, p *protocol.DidChangeConfigurationParams) error {
	raw, err := json.Marshal(p.Settings)
	if err != nil {
		return err
	}
	var wrap struct {
		Gitops *settings `json:"gitops"`
	}
	if err := json.Unmarshal(raw, &wrap); err != nil {
		s.logf("workspace/didChangeConfiguration: settings ignored: %v", err)
		return nil
	}
	if wrap.Gitops == nil {
		return nil
	}
	s.mu.Lock()
	s.settings = *wrap.Gitops
	s.mu.Unlock()
	s.changed()
	return nil
}

// uriPath converts a file URI to a clean absolute path.
func uriPath(uri string) (string, bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" {
		return "", false
	}
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	if p == "" {
		return "", false
	}
	return filepath.Clean(filepath.FromSlash(p)), true
}

// pathURI converts an absolute path to a file URI.
func pathURI(p string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}

// rel returns the repository path of an absolute path, or "" when it lies
// outside the root.
func rel(root, abs string) string {
	if root == "" {
		return ""
	}
	r, err := filepath.Rel(root, abs)
	if err != nil || r == "." || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return ""
	}
	return filepath.ToSlash(r)
}
