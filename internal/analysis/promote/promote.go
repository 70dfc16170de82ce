// Package promote computes promotions of a service from one environment
// to the next as plain-data fixes, checks them by analysing the result in
// memory, and compares environments. It writes nothing: front ends apply
// the fix or show it as a diff.
package promote

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/layout"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

// InputError is a request that cannot be carried out as asked (unknown
// service or environment, promotion onto itself, ...). Nothing is changed.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErr(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// Options say what to promote. Analysis.FS, Config, Origin and Sources are
// those of the repository; Rules is ignored.
type Options struct {
	Analysis analysis.Options
	Service  string
	From, To string // cluster (environment) names
}

// Plan is a computed promotion.
type Plan struct {
	Fix       diag.Fix
	Changes   []Change          // what the fix does, file by file
	Notes     []string          // facts worth telling (tags kept, files kept as env-local)
	Review    []diag.Diagnostic // promotion/review findings in the promoted files
	NewErrors []diag.Diagnostic // errors the promotion would introduce
	Before    *analysis.Result
	After     *analysis.Result
}

// Promote computes the promotion of a service and checks it.
func Promote(ctx context.Context, opts Options) (*Plan, error) {
	aopts, err := opts.Analysis.Complete()
	if err != nil {
		return nil, err
	}
	before, err := analysis.Analyze(ctx, aopts)
	if err != nil {
		return nil, err
	}
	p, err := plan(before.Model, opts)
	if err != nil {
		return nil, err
	}
	p.Before = before
	if p.Changes, err = Apply(aopts.FS, p.Fix); err != nil {
		return nil, err
	}
	after := aopts
	after.FS = Overlay(aopts.FS, p.Changes)
	if p.After, err = analysis.Analyze(ctx, after); err != nil {
		return nil, err
	}
	p.NewErrors = NewErrors(before.Diagnostics, p.After.Diagnostics)
	var files []string
	for _, c := range p.Changes {
		if c.After != nil && strings.HasPrefix(c.File, before.Model.Repo.OverlayRoot+"/"+opts.To+"/") {
			files = append(files, c.File)
		}
	}
	p.Review = Review(after.FS, files, opts.From, opts.To)
	return p, nil
}

// NewErrors returns the error findings of after that before does not have
// (compared by rule, file and message, so that shifted lines do not count).
func NewErrors(before, after []diag.Diagnostic) []diag.Diagnostic {
	count := map[string]int{}
	key := func(d diag.Diagnostic) string { return d.Rule + "\x00" + d.File + "\x00" + d.Message }
	for _, d := range before {
		if d.Severity == diag.Error {
			count[key(d)]++
		}
	}
	var out []diag.Diagnostic
	for _, d := range after {
		if d.Severity != diag.Error {
			continue
		}
		if count[key(d)] > 0 {
			count[key(d)]--
			continue
		}
		out = append(out, d)
	}
	return out
}

type planner struct {
	snap         *analysis.Snapshot
	repo         *model.Repo
	cfg          *config.Config
	opts         Options
	rootA, rootB string
	creates      map[string]string // target path -> content
	order        []string
	deletes      []string
	edits        []diag.Edit
	notes        []string
	newInB       map[string]bool // flux/source files that B did not have
	brought      map[string]bool // source files of A already handled
}

func plan(snap *analysis.Snapshot, opts Options) (*Plan, error) {
	repo := snap.Repo
	if repo.OverlayRoot == "" {
		return nil, inputErr("promotion needs the openCenter layout (applications/overlays/<cluster>/)")
	}
	if opts.Service == "" || strings.ContainsAny(opts.Service, "/\\") || opts.Service == "." || opts.Service == ".." {
		return nil, inputErr("%q is not a service name", opts.Service)
	}
	if opts.From == opts.To {
		return nil, inputErr("cannot promote %s onto itself", opts.From)
	}
	var names []string
	known := map[string]bool{}
	for _, c := range snap.Clusters {
		known[c.Name] = true
		names = append(names, c.Name)
	}
	for _, env := range []string{opts.From, opts.To} {
		if !known[env] {
			return nil, inputErr("unknown environment %q (clusters: %s)", env, strings.Join(names, ", "))
		}
	}
	pl := &planner{snap: snap, repo: repo, cfg: snap.Config, opts: opts,
		rootA: repo.OverlayRoot + "/" + opts.From, rootB: repo.OverlayRoot + "/" + opts.To,
		creates: map[string]string{}, newInB: map[string]bool{}, brought: map[string]bool{}}
	ks := pl.serviceKustomizations()
	files := layout.ServiceFiles(repo, pl.rootA, opts.Service)
	if len(ks) == 0 && len(files) == 0 {
		var svcs []string
		svcs = layout.ServiceNames(repo, pl.rootA)
		return nil, inputErr("unknown service %q in %s (services: %s)", opts.Service, opts.From, strings.Join(svcs, ", "))
	}
	if err := pl.syncFolder(files); err != nil {
		return nil, err
	}
	if err := pl.bringFlux(ks); err != nil {
		return nil, err
	}
	if err := pl.register(); err != nil {
		return nil, err
	}
	pl.notePins(repo)
	fix := diag.Fix{Title: fmt.Sprintf("Promote %s from %s to %s", opts.Service, opts.From, opts.To), Edits: pl.edits}
	for _, p := range pl.order {
		fix.Creates = append(fix.Creates, diag.FileCreate{File: p, Content: pl.creates[p]})
	}
	sort.Strings(pl.deletes)
	fix.Deletes = pl.deletes
	return &Plan{Fix: fix, Notes: pl.notes}, nil
}

func (pl *planner) underA(p string) bool { return strings.HasPrefix(p, pl.rootA+"/") }
func (pl *planner) underB(p string) bool { return strings.HasPrefix(p, pl.rootB+"/") }

// toB maps a path of A to the same place in B.
func (pl *planner) toB(p string) string { return pl.rootB + strings.TrimPrefix(p, pl.rootA) }

func (pl *planner) read(p string) ([]byte, bool) {
	data, err := pl.repo.View.Read(p)
	return data, err == nil
}

func (pl *planner) create(p, content string) {
	if _, ok := pl.creates[p]; !ok {
		pl.order = append(pl.order, p)
	}
	pl.creates[p] = content
}

// serviceKustomizations are the Flux Kustomizations of A that make up the
// service: those in fluxcd/<svc>.yaml and those whose path reads the
// service's overlay folder.
func (pl *planner) serviceKustomizations() []*model.Object {
	svcDir := pl.rootA + "/services/" + pl.opts.Service
	fluxFile := layout.FluxFile(pl.rootA, pl.opts.Service)
	var out []*model.Object
	for _, o := range pl.repo.Objects {
		if !o.IsFluxKustomization() || !pl.underA(o.File.Path) {
			continue
		}
		p, _ := cleanPath(yamlfile.Str(o.Node(), "spec", "path"))
		if o.File.Path == fluxFile || p == svcDir || strings.HasPrefix(p, svcDir+"/") {
			out = append(out, o)
		}
	}
	return out
}

func cleanPath(p string) (string, bool) {
	c := path.Clean("./" + strings.TrimPrefix(p, "/"))
	return c, !strings.HasPrefix(c, "..")
}

// syncFolder mirrors A's service folder into B, keeping B's env-local files.
func (pl *planner) syncFolder(files map[string]string) error {
	svc := pl.opts.Service
	targets := layout.ServiceFiles(pl.repo, pl.rootB, svc)
	rels := make([]string, 0, len(files))
	for r := range files {
		rels = append(rels, r)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		src, ok := pl.read(files[rel])
		if !ok {
			return fmt.Errorf("%s: cannot be read", files[rel])
		}
		tp := pl.rootB + "/services/" + svc + "/" + rel
		if cur, exists := pl.read(tp); exists {
			if layout.IsEnvLocal(pl.cfg, tp, rel, cur) {
				pl.notes = append(pl.notes, fmt.Sprintf("%s is environment-local: kept as it is", tp))
				continue
			}
			if string(cur) == string(src) {
				continue
			}
		}
		pl.create(tp, string(src))
	}
	trels := make([]string, 0, len(targets))
	for r := range targets {
		trels = append(trels, r)
	}
	sort.Strings(trels)
	for _, rel := range trels {
		if _, ok := files[rel]; ok {
			continue
		}
		tp := targets[rel]
		cur, _ := pl.read(tp)
		if layout.IsEnvLocal(pl.cfg, tp, rel, cur) {
			pl.notes = append(pl.notes, fmt.Sprintf("%s is environment-local: kept as it is", tp))
			continue
		}
		pl.deletes = append(pl.deletes, tp)
	}
	return nil
}

// bringFlux copies the Flux objects that apply the service, its sources and
// the Kustomizations they depend on that B lacks, rewritten for B.
func (pl *planner) bringFlux(ks []*model.Object) error {
	queue := append([]*model.Object(nil), ks...)
	files := map[string]bool{}
	var fileOrder []string
	addFile := func(p string) {
		if !files[p] {
			files[p] = true
			fileOrder = append(fileOrder, p)
		}
	}
	seenK := map[*model.Object]bool{}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		if seenK[k] {
			continue
		}
		seenK[k] = true
		addFile(k.File.Path)
		// Other Kustomizations in the same file come along.
		for _, o := range pl.repo.Objects {
			if o.File == k.File && o.IsFluxKustomization() && !seenK[o] {
				queue = append(queue, o)
			}
		}
		kind, name, _ := model.SourceRef(yamlfile.Get(k.Node(), "spec", "sourceRef"), k.Namespace)
		if kind == "" {
			kind = "GitRepository"
		}
		if name != "" && name != "flux-system" && !pl.hasInB(kind, name) {
			if src := pl.findInA(kind, name); src != nil {
				addFile(src.File.Path)
			}
		}
		for _, dep := range yamlfile.Items(yamlfile.Get(k.Node(), "spec", "dependsOn")) {
			dn := yamlfile.Str(dep, "name")
			if dn == "" || pl.hasInB("Kustomization", dn) {
				continue
			}
			if d := pl.findInA("Kustomization", dn); d != nil {
				queue = append(queue, d)
			}
		}
	}
	for _, p := range fileOrder {
		if err := pl.bringFile(p); err != nil {
			return err
		}
	}
	return nil
}

func (pl *planner) objects(under func(string) bool, kind, name string) *model.Object {
	for _, o := range pl.repo.Objects {
		if o.Kind != kind || o.Name != name || !under(o.File.Path) {
			continue
		}
		if kind == "Kustomization" && !o.IsFluxKustomization() {
			continue
		}
		if kind != "Kustomization" && !o.IsSource() {
			continue
		}
		return o
	}
	return nil
}

func (pl *planner) hasInB(kind, name string) bool { return pl.objects(pl.underB, kind, name) != nil }
func (pl *planner) findInA(kind, name string) *model.Object {
	return pl.objects(pl.underA, kind, name)
}

// bringFile copies one Flux file of A to B, rewritten, with B's tags.
func (pl *planner) bringFile(p string) error {
	data, ok := pl.read(p)
	if !ok {
		return fmt.Errorf("%s: cannot be read", p)
	}
	tp := pl.toB(p)
	cur, exists := pl.read(tp)
	if exists && layout.IsEnvLocal(pl.cfg, tp, "", cur) {
		pl.notes = append(pl.notes, fmt.Sprintf("%s is environment-local: kept as it is", tp))
		return nil
	}
	text := layout.RewriteEnv(string(data), pl.opts.From, pl.opts.To)
	text, err := pl.keepTags(tp, text, cur, exists)
	if err != nil {
		return err
	}
	if exists && string(cur) == text {
		return nil
	}
	if !exists {
		pl.newInB[tp] = true
	}
	pl.create(tp, text)
	return nil
}

// keepTags gives every GitRepository of a promoted file the ref B already
// pins: the same object's in the existing target file, else what B's
// other sources of that repository pin.
func (pl *planner) keepTags(tp, text string, cur []byte, exists bool) (string, error) {
	f := yamlfile.Parse(tp, []byte(text))
	var existing []*model.Object
	if exists {
		existing = model.ObjectsOf(pl.repo.View, yamlfile.Parse(tp, cur))
	}
	var edits []diag.Edit
	for _, d := range f.Docs {
		if yamlfile.Str(d.Root, "kind") != "GitRepository" {
			continue
		}
		name := yamlfile.Str(d.Root, "metadata", "name")
		url := yamlfile.Str(d.Root, "spec", "url")
		aTag := yamlfile.Str(d.Root, "spec", "ref", "tag")
		if aTag == "" {
			if b := yamlfile.Str(d.Root, "spec", "ref", "branch"); b != "" {
				aTag = "branch " + b
			}
		}
		bTag := ""
		for _, o := range existing {
			if o.Kind == "GitRepository" && o.Name == name {
				bTag = yamlfile.Str(o.Node(), "spec", "ref", "tag")
			}
		}
		if bTag == "" && url != "" {
			bTag = pl.pinOfB(url)
		}
		if bTag == "" || bTag == aTag {
			continue
		}
		e, ok := TagEdits(f, d.Root, bTag)
		if !ok {
			pl.notes = append(pl.notes, fmt.Sprintf("%s: GitRepository %s pins %s in %s; %s pins %q but the ref cannot be rewritten", tp, name, aTag, pl.opts.From, pl.opts.To, bTag))
			continue
		}
		edits = append(edits, e...)
		pl.notes = append(pl.notes, fmt.Sprintf("GitRepository %s: keeping %s's tag %q (%s pins %q)", name, pl.opts.To, bTag, pl.opts.From, strings.TrimPrefix(aTag, "branch ")))
	}
	if len(edits) == 0 {
		return text, nil
	}
	out, err := diag.Apply([]byte(text), edits)
	if err != nil {
		return "", fmt.Errorf("%s: %w", tp, err)
	}
	return string(out), nil
}

// pinOfB is the tag B pins most often for a repository URL, "" if none.
func (pl *planner) pinOfB(url string) string {
	count := map[string]int{}
	best, bestN := "", 0
	for _, o := range pl.repo.Objects {
		if o.Kind != "GitRepository" || !pl.underB(o.File.Path) {
			continue
		}
		if config.NormalizeURL(yamlfile.Str(o.Node(), "spec", "url")) != config.NormalizeURL(url) {
			continue
		}
		t := yamlfile.Str(o.Node(), "spec", "ref", "tag")
		if t == "" {
			continue
		}
		count[t]++
		if count[t] > bestN || (count[t] == bestN && t > best) {
			best, bestN = t, count[t]
		}
	}
	return best
}

// register lists new Flux files in their folder's kustomization.yaml.
func (pl *planner) register() error {
	byDir := map[string][]string{}
	var dirs []string
	for _, p := range pl.order {
		if !pl.newInB[p] {
			continue
		}
		d := path.Dir(p)
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], p)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		kp := model.FindKustomization(pl.repo.View, d)
		if kp == "" {
			continue // Flux generates one: every file is applied
		}
		k, err := model.ParseKustomization(pl.repo.View, kp)
		if err != nil {
			return fmt.Errorf("%s: %w", kp, err)
		}
		listed := map[string]bool{}
		for _, e := range k.Entries {
			if e.Field == "resources" {
				listed[e.Target] = true
			}
		}
		var items []string
		for _, p := range byDir[d] {
			if !listed[p] {
				items = append(items, path.Base(p))
			}
		}
		if len(items) == 0 {
			continue
		}
		e, err := AppendToSequence(k.File, "resources", items)
		if err != nil {
			return err
		}
		pl.edits = append(pl.edits, e)
	}
	return nil
}

// Files lists the files of a fix (created, edited, deleted), sorted.
func Files(fix diag.Fix) []string {
	seen := map[string]bool{}
	for _, c := range fix.Creates {
		seen[c.File] = true
	}
	for _, e := range fix.Edits {
		seen[e.File] = true
	}
	for _, d := range fix.Deletes {
		seen[d] = true
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

var _ fs.StatFS = (*overlayFS)(nil)
var _ fs.ReadDirFS = (*overlayFS)(nil)
var _ fs.ReadFileFS = (*overlayFS)(nil)

// notePins says when the two environments pin the service's sources at
// different refs: the overlay promoted was written against A's base, and B
// keeps its own until it is pinned too.
func (pl *planner) notePins(repo *model.Repo) {
	a := ServicePins(repo, pl.rootA, pl.opts.Service)
	b := ServicePins(repo, pl.rootB, pl.opts.Service)
	refB := map[string]string{}
	for _, p := range b {
		name, ref, _ := strings.Cut(p, "@")
		refB[name] = ref
	}
	for _, p := range a {
		name, refA, _ := strings.Cut(p, "@")
		rb, ok := refB[name]
		if !ok || rb == refA {
			continue
		}
		move := ""
		if !strings.HasPrefix(refA, "branch ") && refA != "?" {
			move = fmt.Sprintf("; to move %s's base too: gitops-hook pin %s --tag %s --cluster %s", pl.opts.To, name, refA, pl.opts.To)
		}
		pl.notes = append(pl.notes, fmt.Sprintf("%s pins %s at %s, %s at %s: the overlay promoted was written for %s, and %s keeps %s%s",
			pl.opts.From, name, refA, pl.opts.To, rb, refA, pl.opts.To, rb, move))
	}
}
