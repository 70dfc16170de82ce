package lsp

import (
	"context"
	"fmt"
	"io/fs"
	"reflect"
	"sort"
	"sync"
	"time"

	protocol "github.com/tliron/glsp/protocol_3_16"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	"github.com/opencenter-cloud/gitops-hook/internal/promote"
)

// state is the outcome of one analysis: what it read and what it found.
// It is immutable once published; requests read the last one.
type state struct {
	gen      int
	root     string
	opts     analysis.Options // with the overlay view as FS
	res      *analysis.Result
	byFile   map[string][]diag.Diagnostic
	versions map[string]int32 // open buffers read, by repository path

	mu    sync.Mutex
	lines map[string]*lines
}

// linesOf indexes a file of the analysed view; nil when unreadable.
func (st *state) linesOf(p string) *lines {
	st.mu.Lock()
	defer st.mu.Unlock()
	if l, ok := st.lines[p]; ok {
		return l
	}
	var l *lines
	if f := st.parsed(p); f != nil {
		// Kept with the parsed file: most files are the same as in the
		// last analysis, and their findings are converted again.
		if v, ok := f.Recall(linesKey{}); ok {
			l = v.(*lines)
		} else {
			l = newLines(f.Src)
			f.Remember(linesKey{}, l)
		}
	} else if data, err := fs.ReadFile(st.opts.FS, p); err == nil {
		l = newLines(data)
	}
	st.lines[p] = l
	return l
}

// linesKey keys a file's line index (yamlfile.File.Remember).
type linesKey struct{}

// parsed is the analysis' parsed YAML file at p, nil when it has none.
func (st *state) parsed(p string) *yamlfile.File {
	if st.res == nil || st.res.Model == nil || st.res.Model.Repo == nil || !view.IsYAML(p) {
		return nil
	}
	f, err := st.res.Model.Repo.View.YAML(p)
	if err != nil {
		return nil
	}
	return f
}

// viewOptions prepares an analysis of the open buffers laid over the
// disk, sharing the server's caches.
func (s *Server) viewOptions(root string, files map[string][]byte, set settings, reuse *gitsrc.Resolver) (analysis.Options, error) {
	disk, err := s.disk.open(root)
	if err != nil {
		return analysis.Options{}, fmt.Errorf("cannot read the workspace: %w", err)
	}
	changes := make([]promote.Change, 0, len(files))
	for p, text := range files {
		changes = append(changes, promote.Change{File: p, After: text})
	}
	fsys := promote.Overlay(disk, changes)
	opts, warnings, err := setup(root, fsys, set, reuse, s.opts.Getenv)
	if err != nil {
		return opts, err
	}
	for _, w := range warnings {
		s.logf("%s", w)
	}
	opts.Renderer, opts.Schemas, opts.Parsed = s.sess.Renderer(), s.sess.Schemas(), s.sess.Parsed()
	return opts, nil
}

// current prepares an analysis of the workspace as it is now, for
// commands; versions are those of the open buffers read.
func (s *Server) current() (string, analysis.Options, map[string]int32, error) {
	s.mu.Lock()
	root, quiet, set, reuse := s.root, s.quiet, s.settings, s.resolver
	files, versions := s.overlayFiles()
	s.mu.Unlock()
	if root == "" || quiet {
		return "", analysis.Options{}, nil, failed("the workspace is no GitOps repository (no .gitops.yaml, kustomization or Flux object found)")
	}
	opts, err := s.viewOptions(root, files, set, reuse)
	return root, opts, versions, err
}

// changed records a change of input and wakes the analysis loop; a
// running analysis is cancelled, its results would be stale.
func (s *Server) changed() {
	s.mu.Lock()
	s.gen++
	if s.runCancel != nil {
		s.runCancel()
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// loop runs analyses on the server's own goroutine. A change that finds
// no analysis under way is analysed at once: a lone edit, a code action
// applied, a file saved. Changes that supersede a running analysis
// (which they cancel) or come while one waits are debounced: the next
// analysis starts once they pause for the debounce delay, so fast typing
// costs one analysis per pause, not one per keystroke.
func (s *Server) loop() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	pending := false
	// analyse runs until no change waits; a change that superseded the
	// run arms the debounce, one that came after its findings runs at once.
	analyse := func() {
		for {
			superseded := s.run()
			select {
			case <-s.kick:
				if !superseded {
					continue
				}
				pending = true
				timer.Reset(s.opts.Debounce)
			default:
			}
			return
		}
	}
	for {
		select {
		case <-s.done:
			return
		case <-s.kick:
			if pending {
				timer.Reset(s.opts.Debounce)
				continue
			}
			analyse()
		case <-timer.C:
			if pending {
				pending = false
				analyse()
			}
		}
	}
}

// run analyses the workspace once and publishes the results unless an
// input changed meanwhile; it reports whether a newer change superseded
// it.
func (s *Server) run() (superseded bool) {
	defer s.recoverTo("the analysis")
	s.mu.Lock()
	if s.root == "" || s.quiet || s.shutdown {
		s.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.runCancel = cancel
	gen, root, set, first := s.gen, s.root, s.settings, !s.initialised
	files, versions := s.overlayFiles()
	reuse := s.resolver
	s.mu.Unlock()

	opts, err := s.viewOptions(root, files, set, reuse)
	if err != nil {
		s.status("error", 0, 0, err.Error())
		s.logf("%v", err)
		return
	}

	prog := s.startProgress(first)
	defer prog.end()
	s.status("indexing", 0, 0, "analysing")
	start := time.Now()
	s.engine.Lock()
	res, err := s.sess.Analyze(ctx, opts)
	s.sess.Flush() // what it built, for the next process too
	s.engine.Unlock()
	if ctx.Err() != nil {
		s.logOnly("analysis cancelled by a newer change after %v", time.Since(start).Round(time.Millisecond))
		return true
	}
	if err != nil {
		s.status("error", 0, 0, err.Error())
		s.logf("analysis failed: %v", err)
		return
	}
	for _, e := range res.Errors {
		s.logf("%v (please report it; the other checks ran)", e)
	}
	st := &state{gen: gen, root: root, opts: opts, res: res, byFile: map[string][]diag.Diagnostic{}, versions: versions, lines: map[string]*lines{}}
	errs, warns := 0, 0
	for _, d := range res.Diagnostics {
		st.byFile[d.File] = append(st.byFile[d.File], d)
		switch d.Severity {
		case diag.Error:
			errs++
		case diag.Warning:
			warns++
		}
	}

	s.mu.Lock()
	if s.gen != gen || s.shutdown {
		// Inputs changed while analysing: a newer run is on its way.
		s.mu.Unlock()
		return true
	}
	s.last, s.resolver, s.initialised = st, opts.Sources, true
	s.runCancel = nil
	uris := map[string]string{}
	for abs, d := range s.docs {
		if r := rel(root, abs); r != "" {
			uris[r] = d.uri
		}
	}
	prev := s.published
	s.mu.Unlock()

	// Only what changed is sent: on a large repository most files keep
	// their findings from one edit to the next, and sending them all again
	// costs the server and the editor more than the analysis.
	paths := make([]string, 0, len(st.byFile))
	for p := range st.byFile {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	next := make(map[string]protocol.PublishDiagnosticsParams, len(paths))
	var out []protocol.PublishDiagnosticsParams
	for _, p := range paths {
		pub := s.publication(st, p, uris[p])
		next[p] = pub
		if old, ok := prev[p]; !ok || !reflect.DeepEqual(old, pub) {
			out = append(out, pub)
		}
	}
	var clear []string
	for p := range prev {
		if _, ok := next[p]; !ok {
			clear = append(clear, p)
		}
	}
	sort.Strings(clear)
	for _, p := range clear {
		pub := s.publication(st, p, uris[p])
		if uri := prev[p].URI; uris[p] == "" && uri != "" {
			pub.URI = uri // where the client holds them
		}
		out = append(out, pub)
	}
	s.mu.Lock()
	s.published = next
	s.mu.Unlock()
	for _, pub := range out {
		s.notify(protocol.ServerTextDocumentPublishDiagnostics, pub)
	}
	s.logOnly("analysed %d files in %v: %d findings in %d files", res.Files, time.Since(start).Round(time.Millisecond), len(res.Diagnostics), len(paths))
	s.status("ready", errs, warns, fmt.Sprintf("%d errors, %d warnings", errs, warns))
	return false
}

// sent is what was last published for a file.
type sent struct {
	protocol.PublishDiagnosticsParams
}

func (s *Server) publication(st *state, p, uri string) protocol.PublishDiagnosticsParams {
	if uri == "" {
		uri = pathURI(joinRoot(st.root, p))
	}
	out := protocol.PublishDiagnosticsParams{URI: uri, Diagnostics: []protocol.Diagnostic{}}
	if v, ok := st.versions[p]; ok && v >= 0 {
		u := protocol.UInteger(v)
		out.Version = &u
	}
	for _, d := range st.byFile[p] {
		out.Diagnostics = append(out.Diagnostics, s.toProtocol(st, d))
	}
	return out
}

// status sends gitops/status, for status bars.
func (s *Server) status(state string, errs, warns int, msg string) {
	s.notify("gitops/status", map[string]any{"state": state, "errors": errs, "warnings": warns, "message": msg})
}

// progress reports a long analysis with $/progress: at once for the first
// one, after half a second for the others.
type progress struct {
	s     *Server
	token protocol.ProgressToken
	stop  chan struct{}
	mu    sync.Mutex
	begun bool
	ended bool
}

func (s *Server) startProgress(first bool) *progress {
	s.mu.Lock()
	ok := s.caps.WorkDone
	s.progressN++
	p := &progress{s: s, stop: make(chan struct{}), token: protocol.ProgressToken{Value: fmt.Sprintf("gitops-analysis-%d", s.progressN)}}
	s.mu.Unlock()
	if !ok {
		return p
	}
	delay := 500 * time.Millisecond
	if first {
		delay = 0
	}
	go func() {
		defer s.recoverTo("progress")
		select {
		case <-p.stop:
			return
		case <-time.After(delay):
		}
		if err := s.callErr(protocol.ServerWindowWorkDoneProgressCreate, protocol.WorkDoneProgressCreateParams{Token: p.token}, nil); err != nil {
			s.logOnly("window/workDoneProgress/create: %v", err)
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.ended {
			// Finished while the client answered: close what was created.
			s.notify(protocol.MethodProgress, protocol.ProgressParams{Token: p.token, Value: protocol.WorkDoneProgressEnd{Kind: "end"}})
			return
		}
		p.begun = true
		s.notify(protocol.MethodProgress, protocol.ProgressParams{Token: p.token, Value: protocol.WorkDoneProgressBegin{Kind: "begin", Title: "gitops: analysing"}})
	}()
	return p
}

func (p *progress) end() {
	close(p.stop)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ended = true
	if p.begun {
		p.s.notify(protocol.MethodProgress, protocol.ProgressParams{Token: p.token, Value: protocol.WorkDoneProgressEnd{Kind: "end"}})
	}
}
