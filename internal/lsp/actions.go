package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/layout"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	"github.com/opencenter-cloud/gitops-hook/internal/pin"
	"github.com/opencenter-cloud/gitops-hook/internal/promote"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
	yaml "go.yaml.in/yaml/v3"
)

// lastState returns the last published analysis with the file a URI
// names, or nil when there is none or the buffer changed since (an answer
// computed from it would be stale).
func (s *Server) lastState(uri string) (*state, string) {
	abs, ok := uriPath(uri)
	if !ok {
		return nil, ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.last
	if st == nil {
		return nil, ""
	}
	file := rel(st.root, abs)
	if file == "" {
		return nil, ""
	}
	if d := s.docs[abs]; d != nil {
		// The analysis read this buffer, or the disk when the buffer is
		// the disk's content.
		if v, ok := st.versions[file]; ok && v != d.version || !ok && !d.asOnDisk {
			return nil, file
		}
	}
	return st, file
}

// editVersions are the versions of the open buffers an analysis read, for
// the edits computed from it: the buffers it read, and those opened since
// with the content of the disk it read.
func (s *Server) editVersions(st *state) map[string]int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int32, len(st.versions))
	for p, v := range st.versions {
		out[p] = v
	}
	for abs, d := range s.docs {
		if r := rel(st.root, abs); r != "" && d.asOnDisk {
			if _, ok := out[r]; !ok {
				out[r] = d.version
			}
		}
	}
	return out
}

func (s *Server) codeAction(_ *glsp.Context, p *protocol.CodeActionParams) (any, error) {
	out := []protocol.CodeAction{}
	st, file := s.lastState(p.TextDocument.URI)
	if st == nil {
		return out, nil
	}
	want := func(k protocol.CodeActionKind) bool {
		if len(p.Context.Only) == 0 {
			return true
		}
		for _, o := range p.Context.Only {
			if k == o || strings.HasPrefix(string(k), string(o)+".") {
				return true
			}
		}
		return false
	}
	if want(protocol.CodeActionKindQuickFix) {
		out = append(out, s.quickFixes(st, file, p)...)
	}
	if want(protocol.CodeActionKindRefactorRewrite) {
		if a := s.promoteAction(st, file); a != nil {
			out = append(out, *a)
		}
		out = append(out, s.pinActions(st, file, p.Range)...)
	}
	return out, nil
}

func overlaps(a, b protocol.Range) bool {
	before := func(x, y protocol.Position) bool {
		return x.Line < y.Line || (x.Line == y.Line && x.Character < y.Character)
	}
	return !before(a.End, b.Start) && !before(b.End, a.Start)
}

// quickFixes offers every engine fix of the findings under the range.
func (s *Server) quickFixes(st *state, file string, p *protocol.CodeActionParams) []protocol.CodeAction {
	var out []protocol.CodeAction
	for _, d := range st.byFile[file] {
		if len(d.Fixes) == 0 {
			continue
		}
		pd := s.toProtocol(st, d)
		if !overlaps(pd.Range, p.Range) {
			continue
		}
		for i, fix := range d.Fixes {
			kind := protocol.CodeActionKindQuickFix
			a := protocol.CodeAction{Title: fix.Title, Kind: &kind, Diagnostics: []protocol.Diagnostic{pd}}
			if len(d.Fixes) == 1 {
				a.IsPreferred = &protocol.True
			}
			edit, reason := s.fixEdit(st, fix)
			if reason != "" {
				a.Disabled = &struct {
					Reason string `json:"reason"`
				}{reason}
			} else {
				a.Edit = edit
			}
			_ = i
			out = append(out, a)
		}
	}
	return out
}

// fixEdit converts an engine fix to a workspace edit; reason says why it
// cannot be offered to this client.
func (s *Server) fixEdit(st *state, fix diag.Fix) (*protocol.WorkspaceEdit, string) {
	changes, err := promote.Apply(st.opts.FS, fix)
	if err != nil {
		return nil, err.Error()
	}
	return s.changesEdit(st.root, changes, s.editVersions(st))
}

// changesEdit turns file changes into a workspace edit: files created,
// deleted, and one minimal text edit per changed file, versioned for open
// buffers. Clients that cannot create or delete files, or take only plain
// changes, get a reason instead of a partial edit.
func (s *Server) changesEdit(root string, changes []promote.Change, versions map[string]int32) (*protocol.WorkspaceEdit, string) {
	s.mu.Lock()
	caps := s.caps
	s.mu.Unlock()
	we := &protocol.WorkspaceEdit{}
	for _, c := range changes {
		switch {
		case c.Before == nil && !caps.ResourceOps["create"]:
			return nil, fmt.Sprintf("this editor cannot create files through the language server (%s would be created); run the gitops-hook command instead", c.File)
		case c.After == nil && !caps.ResourceOps["delete"]:
			return nil, fmt.Sprintf("this editor cannot delete files through the language server (%s would be deleted); run the gitops-hook command instead", c.File)
		case !caps.DocumentChanges && (c.Before == nil || c.After == nil):
			return nil, "this editor takes no document changes in workspace edits; run the gitops-hook command instead"
		}
	}
	for _, c := range changes {
		uri := pathURI(joinRoot(root, c.File))
		switch {
		case c.After == nil:
			we.DocumentChanges = append(we.DocumentChanges, protocol.DeleteFile{Kind: "delete", URI: uri})
			continue
		case c.Before == nil:
			we.DocumentChanges = append(we.DocumentChanges, protocol.CreateFile{Kind: "create", URI: uri, Options: &protocol.CreateFileOptions{IgnoreIfExists: &protocol.True}})
		}
		te := minimalEdit(c.Before, c.After)
		if c.Before == nil {
			// The whole of the new, empty file, up to the start of a line
			// after it: editors whose empty buffer holds one empty line
			// (Neovim) then write no extra line break.
			te.Range.End = protocol.Position{Line: 1}
		}
		if !caps.DocumentChanges {
			if we.Changes == nil {
				we.Changes = map[protocol.DocumentUri][]protocol.TextEdit{}
			}
			we.Changes[uri] = append(we.Changes[uri], te)
			continue
		}
		id := protocol.OptionalVersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: uri}}
		if v, ok := versions[c.File]; ok && c.Before != nil {
			iv := protocol.Integer(v)
			id.Version = &iv
		}
		we.DocumentChanges = append(we.DocumentChanges, protocol.TextDocumentEdit{TextDocument: id, Edits: []any{te}})
	}
	return we, ""
}

// minimalEdit replaces only what differs between before and after, so
// that the editor keeps the cursor and folds elsewhere.
func minimalEdit(before, after []byte) protocol.TextEdit {
	pre := 0
	for pre < len(before) && pre < len(after) && before[pre] == after[pre] {
		pre++
	}
	// Do not split a UTF-8 sequence.
	for pre > 0 && pre < len(before) && before[pre]&0xC0 == 0x80 {
		pre--
	}
	suf := 0
	for suf < len(before)-pre && suf < len(after)-pre && before[len(before)-1-suf] == after[len(after)-1-suf] {
		suf++
	}
	for suf > 0 && before[len(before)-suf]&0xC0 == 0x80 {
		suf--
	}
	l := newLines(before)
	return protocol.TextEdit{
		Range:   protocol.Range{Start: l.position(pre), End: l.position(len(before) - suf)},
		NewText: string(after[pre : len(after)-suf]),
	}
}

// serviceOf tells which service and environment a file belongs to: a
// file of OVERLAYS/ENV/services/SVC/ or the Flux Kustomizations file
// OVERLAYS/ENV/services/fluxcd/SVC.yaml.
func serviceOf(repo *model.Repo, file string) (svc, env string) {
	if repo == nil || repo.OverlayRoot == "" {
		return "", ""
	}
	env = repo.ClusterOf(file)
	if env == "" {
		return "", ""
	}
	rest, ok := strings.CutPrefix(file, repo.OverlayRoot+"/"+env+"/services/")
	if !ok {
		return "", ""
	}
	first, tail, nested := strings.Cut(rest, "/")
	if !nested {
		return "", ""
	}
	if first == "fluxcd" && !strings.Contains(tail, "/") {
		first = strings.TrimSuffix(strings.TrimSuffix(tail, ".yaml"), ".yml")
	}
	for _, s := range layout.ServiceNames(repo, repo.OverlayRoot+"/"+env) {
		if s == first {
			return s, env
		}
	}
	return "", ""
}

func nextEnv(envs []string, env string) string {
	for i, e := range envs {
		if e == env && i+1 < len(envs) {
			return envs[i+1]
		}
	}
	return ""
}

// planCache keeps computed promotions and pins per analysis, since code
// action requests repeat as the cursor moves.
type planCache struct {
	mu    sync.Mutex
	st    *state
	plans map[string]*planEntry
}

type planEntry struct {
	once sync.Once
	res  *planResult
}

type planResult struct {
	title  string
	edit   *protocol.WorkspaceEdit
	reason string // why it is refused; "" when it can be applied
	files  []string
	none   bool // nothing to change
	err    error
}

func (s *Server) cachedPlan(st *state, key string, compute func() *planResult) *planResult {
	s.plans.mu.Lock()
	if s.plans.st != st {
		s.plans.st, s.plans.plans = st, map[string]*planEntry{}
	}
	e, ok := s.plans.plans[key]
	if !ok {
		e = &planEntry{}
		s.plans.plans[key] = e
	}
	s.plans.mu.Unlock()
	e.once.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				e.res = &planResult{err: fmt.Errorf("internal error: %v", r)}
			}
		}()
		e.res = compute()
	})
	return e.res
}

// promoteAction offers the promotion of the file's service to the next
// environment, refused when the result would add errors.
func (s *Server) promoteAction(st *state, file string) *protocol.CodeAction {
	snap := st.res.Model
	svc, env := serviceOf(snap.Repo, file)
	to := nextEnv(snap.Envs, env)
	if svc == "" || to == "" {
		return nil
	}
	pr := s.cachedPlan(st, "promote\x00"+svc+"\x00"+env+"\x00"+to, func() *planResult {
		return s.planPromote(context.Background(), st.opts, s.editVersions(st), st.root, svc, env, to)
	})
	if pr.err != nil {
		s.logOnly("promote %s to %s: %v", svc, to, pr.err)
		return nil
	}
	if pr.none {
		return nil
	}
	return s.refactor(pr)
}

func (s *Server) refactor(pr *planResult) *protocol.CodeAction {
	kind := protocol.CodeActionKindRefactorRewrite
	a := &protocol.CodeAction{Title: pr.title, Kind: &kind}
	if pr.reason != "" {
		a.Disabled = &struct {
			Reason string `json:"reason"`
		}{pr.reason}
	} else {
		a.Edit = pr.edit
	}
	return a
}

func (s *Server) planPromote(ctx context.Context, opts analysis.Options, versions map[string]int32, root, svc, from, to string) *planResult {
	s.engine.Lock()
	plan, err := promote.Promote(ctx, promote.Options{Analysis: opts, Service: svc, From: from, To: to})
	s.engine.Unlock()
	if err != nil {
		return &planResult{err: err}
	}
	pr := &planResult{title: fmt.Sprintf("Promote %s to %s", svc, to)}
	return s.finishPlan(pr, root, plan.Changes, plan.NewErrors, versions)
}

func (s *Server) finishPlan(pr *planResult, root string, changes []promote.Change, newErrs []diag.Diagnostic, versions map[string]int32) *planResult {
	if len(changes) == 0 {
		pr.none = true
		return pr
	}
	for _, c := range changes {
		pr.files = append(pr.files, c.File)
	}
	if len(newErrs) > 0 {
		pr.reason = refusal(newErrs)
	}
	edit, reason := s.changesEdit(root, changes, versions)
	if pr.reason == "" {
		pr.reason = reason
	}
	pr.edit = edit
	return pr
}

// refusal says which new errors a change would bring.
func refusal(ds []diag.Diagnostic) string {
	var b strings.Builder
	fmt.Fprintf(&b, "it would add %d error(s): ", len(ds))
	for i, d := range ds {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(ds)-3)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s:%d: %s [%s]", d.File, d.Range.Start.Line, d.Message, d.Rule)
	}
	return b.String()
}

// gitRepoAt finds the GitRepository of file whose spec.ref.tag is on the
// range's line, with the cluster that applies it.
func gitRepoAt(st *state, file string, line int) (*model.Object, string) {
	snap := st.res.Model
	f, err := snap.Repo.View.YAML(file)
	if err != nil || f == nil {
		return nil, ""
	}
	for _, o := range snap.Repo.ObjectsIn(snap.Repo.View, f) {
		if o.Kind != "GitRepository" || !o.IsSource() {
			continue
		}
		_, v := yamlfile.GetKV(o.Node(), "spec", "ref", "tag")
		if v == nil || v.Kind != yaml.ScalarNode || v.Line != line {
			continue
		}
		for _, c := range snap.Clusters {
			for _, a := range c.Applied {
				if a.Obj == o {
					return o, c.Name
				}
			}
		}
		return o, snap.Repo.ClusterOf(file)
	}
	return nil, ""
}

// pinActions offers "Pin previous tag (T)" and "Upgrade to T" on a
// GitRepository's ref.tag.
func (s *Server) pinActions(st *state, file string, r protocol.Range) []protocol.CodeAction {
	o, cluster := gitRepoAt(st, file, int(r.Start.Line)+1)
	if o == nil {
		return nil
	}
	var out []protocol.CodeAction
	for _, to := range []string{"previous", "newest"} {
		pr := s.cachedPlan(st, "pin\x00"+file+"\x00"+o.Name+"\x00"+cluster+"\x00"+to, func() *planResult {
			return s.planPin(context.Background(), st.opts, s.editVersions(st), st.root, o.Name, cluster, to)
		})
		if pr.err != nil {
			s.logOnly("pin %s %s: %v", o.Name, to, pr.err)
			continue
		}
		if pr.none {
			continue
		}
		out = append(out, *s.refactor(pr))
	}
	return out
}

// planPin computes a pin: to is "previous", "next", "newest" or a tag.
func (s *Server) planPin(ctx context.Context, opts analysis.Options, versions map[string]int32, root, source, cluster, to string) *planResult {
	po := pin.Options{Analysis: opts, Source: source, Cluster: cluster}
	switch to {
	case "previous":
		po.Previous = true
	case "next":
		po.Next = true
	case "newest":
		tag, err := s.newestTag(ctx, opts, source, cluster)
		if err != nil || tag == "" {
			return &planResult{none: true, err: err}
		}
		po.Tag = tag
	default:
		po.Tag = to
	}
	s.engine.Lock()
	plan, err := pin.Pin(ctx, po)
	s.engine.Unlock()
	if err != nil {
		return &planResult{err: err}
	}
	if len(plan.Targets) == 0 {
		return &planResult{none: true}
	}
	t := plan.Targets[0]
	pr := &planResult{}
	switch to {
	case "previous":
		pr.title = fmt.Sprintf("Pin previous tag (%s)", t.To)
	case "newest", "next":
		pr.title = fmt.Sprintf("Upgrade to %s", t.To)
	default:
		pr.title = fmt.Sprintf("Pin %s to %s", source, t.To)
	}
	return s.finishPlan(pr, root, plan.Changes, plan.NewErrors, versions)
}

// newestTag is the newest tag of the source's repository when it is newer
// than the pinned one.
func (s *Server) newestTag(ctx context.Context, opts analysis.Options, source, cluster string) (string, error) {
	s.mu.Lock()
	st := s.last
	s.mu.Unlock()
	if st == nil {
		return "", nil
	}
	for _, c := range st.res.Model.Clusters {
		if cluster != "" && c.Name != cluster {
			continue
		}
		for _, a := range c.Applied {
			if a.Obj.Kind != "GitRepository" || a.Obj.Name != source {
				continue
			}
			ss := st.res.Model.Sources.State(ctx, a.Obj)
			if ss.Repo == nil || ss.Ref.Tag == "" {
				return "", nil
			}
			newest := ss.Repo.Newest()
			if newest == "" || ss.Repo.TagIndex(newest) <= ss.Repo.TagIndex(ss.Ref.Tag) {
				return "", nil
			}
			return newest, nil
		}
	}
	return "", nil
}

// The workspace/executeCommand commands.

type promoteArgs struct {
	Service string `json:"service"`
	From    string `json:"from"`
	To      string `json:"to"`
	Force   bool   `json:"force"`
}

type pinArgs struct {
	Source  string `json:"source"`
	Cluster string `json:"cluster"`
	To      string `json:"to"`
	Force   bool   `json:"force"`
}

func (s *Server) executeCommand(_ *glsp.Context, p *protocol.ExecuteCommandParams) (any, error) {
	arg := func(v any) error {
		if len(p.Arguments) != 1 {
			return &requestError{code: int64(-32602), msg: fmt.Sprintf("%s takes one argument object, got %d", p.Command, len(p.Arguments))}
		}
		raw, err := json.Marshal(p.Arguments[0])
		if err == nil {
			err = json.Unmarshal(raw, v)
		}
		if err != nil {
			return &requestError{code: int64(-32602), msg: fmt.Sprintf("%s: bad argument: %v", p.Command, err)}
		}
		return nil
	}
	ctx := context.Background()
	switch p.Command {
	case "gitops.promote":
		var a promoteArgs
		if err := arg(&a); err != nil {
			return nil, err
		}
		if a.Service == "" || a.From == "" || a.To == "" {
			return nil, &requestError{code: -32602, msg: "gitops.promote needs service, from and to"}
		}
		root, opts, versions, err := s.current()
		if err != nil {
			return nil, err
		}
		pr := s.planPromote(ctx, opts, versions, root, a.Service, a.From, a.To)
		return s.applyPlan(pr, a.Force)
	case "gitops.pin":
		var a pinArgs
		if err := arg(&a); err != nil {
			return nil, err
		}
		if a.Source == "" {
			return nil, &requestError{code: -32602, msg: "gitops.pin needs source"}
		}
		if a.To == "" {
			a.To = "previous"
		}
		root, opts, versions, err := s.current()
		if err != nil {
			return nil, err
		}
		pr := s.planPin(ctx, opts, versions, root, a.Source, a.Cluster, a.To)
		return s.applyPlan(pr, a.Force)
	case "gitops.matrix":
		return s.matrix()
	case "gitops.services":
		return s.services()
	case "gitops.sources":
		return s.sources(ctx)
	}
	return nil, &requestError{code: -32601, msg: fmt.Sprintf("unknown command %q (commands: %s)", p.Command, strings.Join(commands, ", "))}
}

// applyPlan asks the editor to apply a computed plan.
func (s *Server) applyPlan(pr *planResult, force bool) (any, error) {
	switch {
	case pr.err != nil:
		return nil, failed("%v", pr.err)
	case pr.none:
		return map[string]any{"applied": false, "files": []string{}, "message": "nothing to change"}, nil
	case pr.edit == nil:
		return nil, failed("%s: %s", pr.title, pr.reason)
	case pr.reason != "" && !force:
		return nil, failed("%s refused: %s (pass force to apply anyway)", pr.title, pr.reason)
	}
	s.mu.Lock()
	canApply := s.caps.ApplyEdit
	s.mu.Unlock()
	if !canApply {
		return nil, failed("this editor does not accept workspace/applyEdit; run the gitops-hook command instead")
	}
	label := pr.title
	var resp protocol.ApplyWorkspaceEditResponse
	if err := s.callErr(protocol.ServerWorkspaceApplyEdit, protocol.ApplyWorkspaceEditParams{Label: &label, Edit: *pr.edit}, &resp); err != nil {
		return nil, failed("workspace/applyEdit: %v", err)
	}
	if !resp.Applied {
		reason := "the editor did not apply the edit"
		if resp.FailureReason != nil {
			reason += ": " + *resp.FailureReason
		}
		return nil, failed("%s", reason)
	}
	files := append([]string{}, pr.files...)
	return map[string]any{"applied": true, "files": files}, nil
}

// snapshot returns the model of the last analysis.
func (s *Server) snapshot() (*analysis.Model, error) {
	s.mu.Lock()
	st, quiet := s.last, s.quiet
	s.mu.Unlock()
	if quiet {
		return nil, failed("the workspace is no GitOps repository")
	}
	if st == nil {
		return nil, &requestError{code: codeServerNotStarted, msg: "the first analysis has not finished yet"}
	}
	return st.res.Model, nil
}

type matrixCell struct {
	Env     string `json:"env"`
	Present bool   `json:"present"`
	Tag     string `json:"tag"`
	Differ  int    `json:"differ"`
	Same    bool   `json:"same"`
}

func (s *Server) matrix() (any, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	m, err := promote.EnvMatrix(snap)
	if err != nil {
		return nil, failed("%v", err)
	}
	type row struct {
		Service string       `json:"service"`
		Cells   []matrixCell `json:"cells"`
	}
	out := struct {
		Environments []string `json:"environments"`
		Services     []row    `json:"services"`
	}{Environments: append([]string{}, m.Envs...), Services: []row{}}
	for _, svc := range m.Services {
		r := row{Service: svc, Cells: []matrixCell{}}
		for i, c := range m.Cells[svc] {
			r.Cells = append(r.Cells, matrixCell{Env: m.Envs[i], Present: c.Present, Tag: pinsText(c.Pins), Differ: c.Differ, Same: c.Status == "same"})
		}
		out.Services = append(out.Services, r)
	}
	return out, nil
}

// pinsText lists the refs of "source@ref" pins, without repeats.
func pinsText(pins []string) string {
	seen := map[string]bool{}
	var refs []string
	for _, p := range pins {
		_, ref, _ := strings.Cut(p, "@")
		if ref != "" && !seen[ref] {
			seen[ref] = true
			refs = append(refs, ref)
		}
	}
	return strings.Join(refs, ",")
}

func (s *Server) services() (any, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	envs := append([]string{}, snap.Envs...)
	if len(envs) == 0 {
		for _, c := range snap.Clusters {
			envs = append(envs, c.Name)
		}
	}
	seen := map[string]bool{}
	svcs := []string{}
	if snap.Repo.OverlayRoot != "" {
		for _, e := range envs {
			for _, sv := range layout.ServiceNames(snap.Repo, path.Join(snap.Repo.OverlayRoot, e)) {
				if !seen[sv] {
					seen[sv] = true
					svcs = append(svcs, sv)
				}
			}
		}
	}
	sort.Strings(svcs)
	return map[string]any{"environments": envs, "services": svcs}, nil
}

type sourceInfo struct {
	Name    string `json:"name"`
	Cluster string `json:"cluster"`
	Tag     string `json:"tag"`
	URL     string `json:"url"`
	File    string `json:"file"`
}

func (s *Server) sources(ctx context.Context) (any, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	out := []sourceInfo{}
	for _, c := range snap.Clusters {
		for _, a := range c.Applied {
			o := a.Obj
			if o.Kind != "GitRepository" || !o.IsSource() || o.View != snap.Repo.View {
				continue
			}
			n := o.Node()
			out = append(out, sourceInfo{Name: o.Name, Cluster: c.Name, Tag: yamlfile.Str(n, "spec", "ref", "tag"), URL: yamlfile.Str(n, "spec", "url"), File: o.File.Path})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Cluster != out[j].Cluster {
			return out[i].Cluster < out[j].Cluster
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
