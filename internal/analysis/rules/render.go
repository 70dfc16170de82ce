package rules

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/schema"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// rootCauseRules are findings that make a build fail by themselves: when
// one of them is reported in a file a build reads, the build failure is the
// same root cause and is not reported again.
var rootCauseRules = map[string]bool{
	"kustomize/missing-file":    true,
	"kustomize/outside-root":    true,
	"kustomize/remote-resource": true,
	"flux/path-not-found":       true,
	"yaml/syntax":               true,
	"yaml/duplicate-key":        true,
	"yaml/alias-expansion":      true,
}

// renderJob is one build: a Flux Kustomization of a cluster, or a cluster
// root that no Flux Kustomization of the repository applies.
type renderJob struct {
	cl     *model.Cluster
	p      *model.Pull // nil for a cluster root
	v      *view.View
	req    render.Request
	opaque bool // some postBuild variables come from sources that cannot be read
	key    string

	// Set by the background rendering.
	problems []string // flux/path-no-kustomization: files that are not objects
	dup      *renderJob
	rendered bool
	res      render.Result
}

// renderRun holds what one pass of checkRender shares.
type renderRun struct {
	c            *Context
	byFile       map[string][]*model.Object // repository objects by file
	seenDiag     map[string]bool            // "file\x00line" of findings reported before rendering
	kindDone     map[string]bool            // schema/missing already recorded
	missingKinds []*missingKind             // kinds without schema, in the order met
}

// renderState is the rendering started ahead of the other checks.
type renderState struct {
	jobs []*renderJob
	done chan struct{}
}

// StartRender starts rendering every build in the background, so that it
// overlaps the checks that run before checkRender, which waits for it. It
// only reads the model. Calling it is optional.
func StartRender(c *Context) {
	if c.Renderer == nil || c.render != nil {
		return
	}
	ctx := c.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	st := &renderState{done: make(chan struct{})}
	c.render = st
	st.jobs = (&renderRun{c: c}).jobs()
	var todo []*renderJob
	first := map[string]*renderJob{}
	for _, j := range st.jobs {
		if prev, ok := first[j.key]; ok {
			// The same build (a base path at one commit, the same spec) in
			// another cluster: rendered and validated once.
			j.dup = prev
			continue
		}
		first[j.key] = j
		todo = append(todo, j)
	}
	go func() {
		defer close(st.done)
		var wg sync.WaitGroup
		next := make(chan *renderJob)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range next {
					if ctx.Err() != nil {
						continue
					}
					if j.p != nil {
						j.problems, _ = render.NoKustomizationProblems(j.v.FS, j.req.Path)
						if len(j.problems) > 0 {
							continue
						}
					}
					j.res = c.Renderer.Render(ctx, j.req)
					j.rendered = true
				}
			}()
		}
		for _, j := range todo {
			next <- j
		}
		close(next)
		wg.Wait()
	}()
}

// checkRender renders every Flux Kustomization the way kustomize-controller
// does, reports build failures (kustomize/build, flux/path-no-kustomization)
// and validates the rendered objects against their schemas (schema/*),
// mapping each finding back to the line the user wrote.
func checkRender(c *Context) {
	if c.Renderer == nil {
		return
	}
	StartRender(c)
	st := c.render
	<-st.done
	r := &renderRun{c: c, byFile: map[string][]*model.Object{}, seenDiag: map[string]bool{}, kindDone: map[string]bool{}}
	for _, o := range c.Repo.Objects {
		r.byFile[o.File.Path] = append(r.byFile[o.File.Path], o)
	}
	for _, d := range c.out {
		r.seenDiag[fmt.Sprintf("%s\x00%d", d.File, d.Range.Start.Line)] = true
	}
	var unique []*renderJob
	for _, j := range st.jobs {
		switch {
		case len(j.problems) > 0:
			r.noKustomization(j)
			continue
		case j.dup != nil && len(j.dup.problems) > 0:
			j.problems = j.dup.problems
			r.noKustomization(j)
			continue
		case j.dup != nil:
			// A failure is reported at each Kustomization that asks for it.
			j.res = j.dup.res
		case j.rendered:
			unique = append(unique, j)
		default:
			continue // cancelled
		}
		if j.res.Err != nil {
			r.buildError(j)
		} else {
			r.checkPatchTargets(j)
		}
	}
	r.checkKustomizationPatchTargets(unique)
	r.checkDuplicates(st.jobs)
	if c.Schemas == nil {
		return
	}
	v, err := c.Schemas(r.crds(unique))
	if err != nil || v == nil {
		return
	}
	// Validation is safe to run in parallel; reporting is not.
	type item struct {
		j   *renderJob
		o   *render.Object
		vs  []schema.Violation
		mis bool
		err error
	}
	var items []*item
	recalled := map[*renderJob][]schema.Outcome{} // validated before: same objects, same schemas
	for _, j := range unique {
		if outs, ok := v.Recall(j.res.Sum, len(j.res.Objects)); ok {
			recalled[j] = outs
			continue
		}
		for i := range j.res.Objects {
			items = append(items, &item{j: j, o: &j.res.Objects[i]})
		}
	}
	// Validation is bounded like rendering: objects not reached by the
	// deadline are left unvalidated and said so, rather than holding up
	// the whole analysis.
	timeout := c.ValidateTimeout
	if timeout <= 0 {
		timeout = DefaultValidateTimeout
	}
	vctx, cancel := context.WithTimeout(c.context(), timeout)
	defer cancel()
	var wg sync.WaitGroup
	next := make(chan *item)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				if err := vctx.Err(); err != nil {
					it.err = err
					continue
				}
				if _, ok := it.o.Doc["sops"].(map[string]any); ok {
					// Flux decrypts before applying: the sops metadata is not
					// part of the object.
					delete(it.o.Doc, "sops")
				}
				it.vs, it.mis, it.err = v.Validate(it.o.Doc)
			}
		}()
	}
	for _, it := range items {
		next <- it
	}
	close(next)
	wg.Wait()
	skipped := map[*renderJob]int{}
	outcomes := map[*renderJob][]schema.Outcome{}
	failed := map[*renderJob]bool{}
	k := 0
	for _, j := range unique {
		if outs, ok := recalled[j]; ok {
			for i := range j.res.Objects {
				if _, ok := j.res.Objects[i].Doc["sops"].(map[string]any); ok {
					delete(j.res.Objects[i].Doc, "sops") // as validation does
				}
				r.report1(j, &j.res.Objects[i], outs[i].Violations, outs[i].Missing)
			}
			continue
		}
		for range j.res.Objects {
			it := items[k]
			k++
			outcomes[j] = append(outcomes[j], schema.Outcome{Violations: it.vs, Missing: it.mis})
			switch {
			case it.err == nil:
				r.report1(it.j, it.o, it.vs, it.mis)
			case errors.Is(it.err, context.DeadlineExceeded) && c.context().Err() == nil:
				skipped[it.j]++
				failed[j] = true
			default:
				failed[j] = true
			}
		}
		if !failed[j] {
			v.Remember(j.res.Sum, outcomes[j])
		}
	}
	for _, j := range unique {
		if n := skipped[j]; n > 0 {
			c.errs = append(c.errs, fmt.Errorf("schema validation took longer than %g s: %d of the %d objects kustomize build of %s renders were not validated", timeout.Seconds(), n, len(j.res.Objects), r.label(j)))
		}
	}
	r.reportMissing()
}

// DefaultValidateTimeout bounds the schema validation of one analysis.
const DefaultValidateTimeout = time.Minute

func (c *Context) context() context.Context {
	if c.Ctx == nil {
		return context.Background()
	}
	return c.Ctx
}

// jobs lists the builds of every cluster, in a stable order.
func (r *renderRun) jobs() []*renderJob {
	c := r.c
	var out []*renderJob
	for _, cl := range c.Clusters {
		if !c.reports(cl.Name) {
			continue
		}
		rootCovered := false
		for _, p := range cl.Pulls {
			if p.View == nil || !p.PathOK || p.PathNode == nil || p.Skipped != "" || p.Missing || strings.HasPrefix(p.Path, "..") {
				continue
			}
			if p.View == c.Repo.View && p.Path == cl.Root {
				rootCovered = true
			}
			j := &renderJob{cl: cl, p: p, v: p.View}
			j.req, j.opaque = r.request(cl, p)
			j.key = jobKey(j)
			out = append(out, j)
		}
		if ok, isDir := c.Repo.View.Stat(cl.Root); !rootCovered && ok && isDir {
			j := &renderJob{cl: cl, v: c.Repo.View, req: render.Request{FS: c.Repo.View.CachedFS(), Path: cl.Root}}
			j.key = jobKey(j)
			out = append(out, j)
		}
	}
	return out
}

func jobKey(j *renderJob) string {
	fsys := j.req.FS
	j.req.FS = nil
	b, _ := json.Marshal(j.req) // maps marshal sorted: stable
	j.req.FS = fsys
	h := sha256.Sum256(b)
	return fmt.Sprintf("%p\x00%x\x00%v", j.v, h, j.opaque)
}

// request turns a Flux Kustomization's spec into a render request.
func (r *renderRun) request(cl *model.Cluster, p *model.Pull) (render.Request, bool) {
	k := p.K.Obj.Node()
	spec := yamlfile.Get(k, "spec")
	req := render.Request{
		FS:                p.View.CachedFS(),
		Tree:              p.View.Tree,
		Path:              p.Path,
		TargetNamespace:   yamlfile.Str(spec, "targetNamespace"),
		NamePrefix:        yamlfile.Str(spec, "namePrefix"),
		NameSuffix:        yamlfile.Str(spec, "nameSuffix"),
		CommonLabels:      nonEmpty(yamlfile.StringMap(yamlfile.Get(spec, "commonMetadata", "labels"))),
		CommonAnnotations: nonEmpty(yamlfile.StringMap(yamlfile.Get(spec, "commonMetadata", "annotations"))),
	}
	for _, it := range yamlfile.Items(yamlfile.Get(spec, "patches")) {
		var pt render.Patch
		if it.Decode(&pt) == nil && pt.Patch != "" {
			req.Patches = append(req.Patches, pt)
		}
	}
	for _, it := range yamlfile.Items(yamlfile.Get(spec, "images")) {
		var im render.Image
		if it.Decode(&im) == nil && im.Name != "" {
			req.Images = append(req.Images, im)
		}
	}
	for _, it := range yamlfile.Items(yamlfile.Get(spec, "components")) {
		if yamlfile.IsScalar(it) {
			req.Components = append(req.Components, it.Value)
		}
	}
	var opaque bool
	req.Substitute, opaque = r.vars(cl, p)
	req.KeepUndefined = opaque
	return req, opaque
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// vars resolves postBuild.substitute and substituteFrom from the ConfigMaps
// and Secrets applied to the same cluster. opaque is set when a source
// cannot be read (SOPS-encrypted, generated from files, or not found): its
// variables are unknown, so findings they could explain are not reported.
func (r *renderRun) vars(cl *model.Cluster, p *model.Pull) (vars map[string]string, opaque bool) {
	pb := yamlfile.Get(p.K.Obj.Node(), "spec", "postBuild")
	if pb == nil {
		return nil, false
	}
	vars = map[string]string{}
	if patchedByParent(p.K, "substituteFrom") || patchedByParent(p.K, "postBuild") {
		// A parent's spec.patches adds variables this object does not show.
		opaque = true
	}
	ns := p.K.Namespace
	for _, it := range yamlfile.Items(yamlfile.Get(pb, "substituteFrom")) {
		kind, name := yamlfile.Str(it, "kind"), yamlfile.Str(it, "name")
		found := false
		for _, a := range cl.Applied {
			if a.Obj.Kind != kind || a.Obj.Name != name || (ns != "" && a.Namespace != "" && a.Namespace != ns) {
				continue
			}
			found = true
			n := a.Obj.Node()
			if kind == "Secret" && IsSOPS(n) {
				opaque = true
				break
			}
			for key, val := range yamlfile.StringMap(yamlfile.Get(n, "data")) {
				if kind == "Secret" {
					dec, err := base64.StdEncoding.DecodeString(val)
					if err != nil {
						opaque = true
						continue
					}
					val = string(dec)
				}
				vars[key] = val
			}
			for key, val := range yamlfile.StringMap(yamlfile.Get(n, "stringData")) {
				vars[key] = val
			}
			break
		}
		if !found {
			for _, g := range cl.Generated {
				if g.Gen.Kind != kind || g.Gen.Name != name {
					continue
				}
				found = true
				for _, gk := range g.Gen.Keys {
					if gk.File != "" {
						opaque = true
						continue
					}
					if key, val, ok := strings.Cut(gk.Node.Value, "="); ok {
						vars[strings.TrimSpace(key)] = val
					}
				}
				if len(yamlfile.Items(yamlfile.Get(g.Gen.Node, "envs"))) > 0 || yamlfile.Get(g.Gen.Node, "env") != nil {
					opaque = true
				}
				break
			}
		}
		if !found {
			opaque = true
		}
	}
	for key, val := range yamlfile.StringMap(yamlfile.Get(pb, "substitute")) {
		vars[key] = val
	}
	return vars, opaque
}

// label names where a job builds, for messages.
func (r *renderRun) label(j *renderJob) string {
	if j.p == nil || !j.p.External {
		return j.req.Path
	}
	return j.req.Path + " in " + pullLabel(j.p)
}

// noKustomization reports flux/path-no-kustomization: a path without a
// kustomization.yaml gets one generated by Flux, and every YAML file below
// it must then be a Kubernetes object.
func (r *renderRun) noKustomization(j *renderJob) {
	o := j.p.K.Obj
	if o.View != r.c.Repo.View {
		return
	}
	// A file that does not parse is already reported where it breaks.
	var problems []string
	for _, f := range j.problems {
		if rf, _ := j.v.YAML(f); rf == nil || !unparsable(rf) {
			problems = append(problems, f)
		}
	}
	if len(problems) == 0 {
		return
	}
	msg := fmt.Sprintf("%s has no kustomization.yaml, so Flux generates one from every YAML file below it, and %s is not a Kubernetes object: the build fails", r.label(j), problems[0])
	if len(problems) > 1 {
		msg += fmt.Sprintf(" (%d such files)", len(problems))
	}
	msg += "; add a kustomization.yaml that lists the resources"
	d := r.c.At("flux/path-no-kustomization", o.File, j.p.PathNode, msg)
	for i, f := range problems {
		if i == 5 {
			break
		}
		rf, _ := j.v.YAML(f)
		d.Related = append(d.Related, related(j.v.Label, f, rf, nil, "not a Kubernetes object"))
	}
}

// generatorInputs lists the files read by the generators of the
// kustomizations a build read.
func (r *renderRun) generatorInputs(j *renderJob) map[string]bool {
	out := map[string]bool{}
	for _, f := range j.res.Files {
		if !model.IsKustomizationFile(f) {
			continue
		}
		var kf *model.KFile
		if j.v == r.c.Repo.View {
			kf = r.c.Repo.Kustomizations[path.Dir(f)]
		} else {
			kf, _ = model.ParseKustomization(j.v, f)
		}
		if kf == nil {
			continue
		}
		for _, e := range kf.Entries {
			if (e.Field == "secretGenerator" || e.Field == "configMapGenerator") && e.Target != "" {
				out[e.Target] = true
			}
		}
	}
	return out
}

// knownProblem reports whether a file a build read already has a finding
// that explains the failure.
func (r *renderRun) knownProblem(v *view.View, file string) bool {
	if !view.IsYAML(file) && !model.IsKustomizationFile(file) {
		// A generator input (.env, .conf, a certificate): no YAML rule
		// looks at it, so nothing else reports it being too large or
		// unreadable.
		return false
	}
	f, err := v.YAML(file)
	if err != nil {
		return true // repo/unreadable or repo/file-too-large
	}
	if f != nil {
		for _, d := range f.Diags {
			if d.Severity == diag.Error {
				return true
			}
		}
	}
	if v != r.c.Repo.View {
		return false
	}
	for _, d := range r.c.out {
		if d.File == file && rootCauseRules[d.Rule] {
			return true
		}
	}
	return false
}

// patchMissesRemovedAPI reports whether the build fails because a patch
// for the current apiVersion of a kind finds the object still at a removed
// one: flux/api-removed is the root cause, and migrating fixes both.
func (r *renderRun) patchMissesRemovedAPI(j *renderJob) bool {
	m := patchIDRE.FindStringSubmatch(j.res.Err.Error())
	if m == nil {
		return false
	}
	kind, _, _ := strings.Cut(m[1], ".")
	_, rest, _ := strings.Cut(m[1], "/")
	name := rest
	if i := strings.LastIndex(rest, "."); i >= 0 {
		name = rest[:i]
	}
	for _, f := range j.res.Files {
		for _, o := range r.byFile[f] {
			if o.Kind == kind && o.Name == name && r.reportedIn(o, "flux/api-removed") {
				return true
			}
		}
	}
	return false
}

// buildError reports kustomize/build unless another finding already
// explains the failure.
func (r *renderRun) buildError(j *renderJob) {
	c := r.c
	res := j.res
	if len(res.Remotes) > 0 {
		return // kustomize/remote-resource: the build ran without them
	}
	if j.p != nil {
		for _, be := range j.cl.BaseIssues {
			if be.Pull == j.p {
				return // reported at the pull by the kustomization checks
			}
		}
	}
	files := append([]string(nil), res.Files...)
	if res.ErrFile != "" {
		files = append(files, res.ErrFile)
	}
	inputs := r.generatorInputs(j)
	for _, f := range files {
		if inputs[f] {
			continue // kustomize does not parse what a generator reads
		}
		if ok, _ := j.v.Stat(f); ok && r.knownProblem(j.v, f) {
			return
		}
	}
	if r.patchMissesRemovedAPI(j) {
		return
	}
	msg := fmt.Sprintf("kustomize build of %s fails: %v", r.label(j), res.Err)
	kf, entry := r.errEntry(j)
	if entry == nil && kf != nil && kf.Root != nil {
		// kustomize names no file for a patch that fails: find it.
		if n := r.failingPatch(j.v, kf.Dir, kf.Root, res.Err.Error()); n != nil {
			entry = &model.Entry{Field: "patches", Node: n}
		}
	}
	if entry == nil && j.p != nil && j.p.K.Obj.View == c.Repo.View {
		// A patch of the Flux Kustomization itself.
		o := j.p.K.Obj
		if n := r.failingPatch(c.Repo.View, "", yamlfile.Get(o.Node(), "spec"), res.Err.Error()); n != nil {
			d := c.At("kustomize/build", o.File, n, msg)
			if kf != nil {
				d.Related = append(d.Related, related(j.v.Label, kf.File.Path, kf.File, nil, "the kustomization it patches"))
			}
			return
		}
	}
	if j.v == c.Repo.View {
		if entry != nil {
			d := c.At("kustomize/build", kf.File, entry.Node, msg)
			d.Related = append(d.Related, r.duplicates(j)...)
			return
		}
		if j.p == nil {
			f, _ := c.Repo.View.YAML(model.FindKustomization(c.Repo.View, j.req.Path))
			if f != nil {
				c.At("kustomize/build", f, nil, msg)
			}
			return
		}
	}
	o := j.p.K.Obj
	if o.View != c.Repo.View {
		return
	}
	d := c.At("kustomize/build", o.File, j.p.PathNode, msg)
	if kf != nil {
		var n *yaml.Node
		if entry != nil {
			n = entry.Node
		}
		d.Related = append(d.Related, related(j.v.Label, kf.File.Path, kf.File, n, "where the build fails"))
	} else if res.ErrFile != "" {
		if ok, _ := j.v.Stat(res.ErrFile); ok {
			f, _ := j.v.YAML(res.ErrFile)
			d.Related = append(d.Related, related(j.v.Label, res.ErrFile, f, nil, "where the build fails"))
		}
	}
	d.Related = append(d.Related, r.duplicates(j)...)
}

var duplicateIDRE = regexp.MustCompile(`already registered id: (\S+)`)

// duplicates points, for a build that fails because two files define the
// same object, at each definition among the files the build read.
func (r *renderRun) duplicates(j *renderJob) []diag.Related {
	m := duplicateIDRE.FindStringSubmatch(j.res.Err.Error())
	if m == nil {
		return nil
	}
	// Kind.version.group/name.namespace; names may hold dots, not namespaces.
	kind, _, _ := strings.Cut(m[1], ".")
	_, rest, _ := strings.Cut(m[1], "/")
	name := rest
	if i := strings.LastIndex(rest, "."); i >= 0 {
		name = rest[:i]
	}
	var out []diag.Related
	for _, file := range j.res.Files {
		if model.IsKustomizationFile(file) || !view.IsYAML(file) {
			continue
		}
		f, err := j.v.YAML(file)
		if err != nil || f == nil {
			continue
		}
		for _, o := range model.ObjectsOf(j.v, f) {
			if o.Kind == kind && o.Name == name && len(out) < 5 {
				n, _ := yamlfile.FindPointer(o.Node(), []string{"metadata", "name"})
				out = append(out, related(j.v.Label, file, f, n, "defines "+kind+" "+name))
			}
		}
	}
	if len(out) < 2 {
		return nil // not what the error is about, or generated
	}
	return out
}

// errEntry finds the kustomization and entry a build error names.
func (r *renderRun) errEntry(j *renderJob) (*model.KFile, *model.Entry) {
	res := j.res
	if res.ErrFile == "" {
		return nil, nil
	}
	var kf *model.KFile
	if model.IsKustomizationFile(res.ErrFile) {
		if j.v == r.c.Repo.View {
			kf = r.c.Repo.Kustomizations[path.Dir(res.ErrFile)]
		} else if k, err := model.ParseKustomization(j.v, res.ErrFile); err == nil {
			kf = k
		}
	} else if j.v == r.c.Repo.View {
		// A file named by the error: the entry that lists it.
		for _, k := range sortedKustomizations(r.c.Repo) {
			for _, e := range k.Entries {
				if e.Target == res.ErrFile && j.cl.Reaches(j.v, k.File.Path) {
					return k, e
				}
			}
		}
		return nil, nil
	}
	if kf == nil {
		return nil, nil
	}
	if res.ErrEntry == "" {
		return kf, nil
	}
	want := strings.TrimSpace(res.ErrEntry)
	target, _ := view.Clean(path.Join(kf.Dir, want))
	for _, e := range kf.Entries {
		if strings.TrimSpace(e.Value) == want || (e.Target != "" && e.Target == target) {
			return kf, e
		}
	}
	return kf, nil
}

// crds collects the CustomResourceDefinitions of the repository and of
// every rendered build, each once.
func (r *renderRun) crds(jobs []*renderJob) [][]byte {
	var out [][]byte
	seen := map[[32]byte]bool{}
	add := func(b []byte) {
		h := sha256.Sum256(b)
		if !seen[h] {
			seen[h] = true
			out = append(out, b)
		}
	}
	for _, o := range r.c.Repo.Objects {
		if o.Kind != "CustomResourceDefinition" {
			continue
		}
		if b, err := yaml.Marshal(o.Node()); err == nil {
			add(b)
		}
	}
	for _, j := range jobs {
		for _, o := range j.res.Objects {
			if o.Kind != "CustomResourceDefinition" {
				continue
			}
			if b, err := json.Marshal(o.Doc); err == nil {
				add(b)
			}
		}
	}
	sort.Slice(out, func(i, k int) bool { return string(out[i]) < string(out[k]) })
	return out
}

// report1 reports the findings of one rendered object where the user wrote
// the offending field.
func (r *renderRun) report1(j *renderJob, o *render.Object, vs []schema.Violation, missing bool) {
	if missing {
		r.missing(j, o)
	}
	if len(vs) == 0 {
		return
	}
	src := r.source(j, o)
	if src != nil && r.superseded(src) {
		return
	}
	chartReported := src != nil && r.reportedIn(src, "flux/helmrelease-chart")
	for _, x := range vs {
		if j.opaque && containsVar(o.Doc, x.Path) {
			continue // a variable from an unreadable source would fill it
		}
		if chartReported && len(x.Path) == 1 && x.Path[0] == "spec" {
			continue // the chart/chartRef rule, reported by flux/helmrelease-chart
		}
		r.violation(j, o, src, x)
	}
}

// superseded reports whether the engine already flagged the object's
// apiVersion or removed fields: its schema findings would repeat them.
func (r *renderRun) superseded(src *model.Object) bool {
	return r.reportedIn(src, "flux/api-removed", "flux/field-removed")
}

// reportedIn reports whether one of the rules already has a finding inside
// the object's document.
func (r *renderRun) reportedIn(src *model.Object, rules ...string) bool {
	if src.View != r.c.Repo.View {
		return false
	}
	rg := src.File.NodeRange(src.Node())
	last := rg.Start.Line + strings.Count(string(src.File.Src[min(rg.Start.Offset, len(src.File.Src)):]), "\n")
	if idx := src.Doc.Index; idx+1 < len(src.File.Docs) {
		last = src.File.Docs[idx+1].Root.Line - 1
	}
	for _, d := range r.c.out {
		if d.File == src.File.Path && slices.Contains(rules, d.Rule) &&
			d.Range.Start.Line >= rg.Start.Line && d.Range.Start.Line <= last {
			return true
		}
	}
	return false
}

// containsVar reports whether the rendered value at ptr still holds a
// ${VAR} reference.
func containsVar(doc map[string]any, ptr []string) bool {
	cur, ok := valueAt(doc, ptr)
	if !ok {
		return false
	}
	b, _ := json.Marshal(cur)
	return strings.Contains(string(b), "${")
}

// valueAt is the rendered value at ptr.
func valueAt(doc map[string]any, ptr []string) (any, bool) {
	var cur any = doc
	for _, s := range ptr {
		switch t := cur.(type) {
		case map[string]any:
			v, ok := t[s]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			var i int
			if _, err := fmt.Sscan(s, &i); err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			cur = t[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// patched reports whether a scalar written in the source differs from the
// rendered value at ptr: something (a patch) replaced it.
func patched(n *yaml.Node, doc map[string]any, ptr []string) bool {
	if !yamlfile.IsScalar(n) {
		return false
	}
	rendered, ok := valueAt(doc, ptr)
	if !ok {
		return false
	}
	var written any
	if n.Decode(&written) != nil {
		return false
	}
	a, _ := json.Marshal(written)
	b, _ := json.Marshal(rendered)
	return string(a) != string(b) && !strings.Contains(n.Value, "${")
}

// source finds the object as written in the file it was rendered from.
func (r *renderRun) source(j *renderJob, o *render.Object) *model.Object {
	if o.Origin == "" {
		return nil
	}
	var objs []*model.Object
	if j.v == r.c.Repo.View {
		objs = r.byFile[o.Origin]
	} else if f, err := j.v.YAML(o.Origin); err == nil {
		objs = model.ObjectsOf(j.v, f)
	}
	var best *model.Object
	for _, s := range objs {
		if s.Kind != o.Kind {
			continue
		}
		if s.Name == o.Name {
			return s
		}
		// namePrefix / nameSuffix: the written name is inside the rendered one.
		if s.Name != "" && strings.Contains(o.Name, s.Name) && (best == nil || len(s.Name) > len(best.Name)) {
			best = s
		}
	}
	if best == nil {
		n := 0
		for _, s := range objs {
			if s.Kind == o.Kind {
				best = s
				n++
			}
		}
		if n != 1 {
			best = nil
		}
	}
	return best
}

func (r *renderRun) violation(j *renderJob, o *render.Object, src *model.Object, x schema.Violation) {
	c := r.c
	rule := "schema/invalid"
	if x.Kind == schema.UnknownField {
		rule = "schema/unknown-field"
	}
	where := "/" + strings.Join(x.Path, "/")
	msg := fmt.Sprintf("%s %s: %s (at %s)", o.Kind, o.Name, x.Message, where)
	if src != nil {
		if n, ok := yamlfile.FindPointer(src.Node(), x.Path); ok {
			if src.View != c.Repo.View {
				return // the base's own object: not the customer's to fix
			}
			if patched(n, o.Doc, x.Path) {
				// The source's value was replaced: the patch wrote the bad one.
				if f, rg, ok := r.patchFor(j, o, x.Path); ok {
					r.reportRange(rule, f, rg, msg+"; set by this patch")
					return
				}
			}
			if x.Kind == schema.Invalid && len(x.Path) > 0 {
				if _, val := yamlfile.GetKV(yamlfile.Get(src.Node(), x.Path[:len(x.Path)-1]...), x.Path[len(x.Path)-1]); yamlfile.IsScalar(val) {
					n = val
					msg += varNote(val.Value, j.req.Substitute)
				}
			}
			r.report(rule, src.File, n, msg)
			return
		}
	}
	// The field is not in the source: a patch or a transformer set it.
	if f, rg, ok := r.patchFor(j, o, x.Path); ok {
		r.reportRange(rule, f, rg, msg+"; set by this patch")
		return
	}
	if src != nil && src.View == c.Repo.View {
		n, _ := yamlfile.FindPointer(src.Node(), []string{"metadata", "name"})
		r.report(rule, src.File, n, msg+"; the field is set by a transformer or patch")
	}
}

func (r *renderRun) report(rule string, f *yamlfile.File, n *yaml.Node, msg string) {
	r.reportRange(rule, f, f.NodeRange(n), msg)
}

func (r *renderRun) reportRange(rule string, f *yamlfile.File, rg diag.Range, msg string) {
	if r.seenDiag[fmt.Sprintf("%s\x00%d", f.Path, rg.Start.Line)] {
		return // the engine reported this line already (flux/helmrelease-chart, flux/git-url)
	}
	r.c.Add(diag.Diagnostic{Rule: rule, File: f.Path, Range: rg, Message: msg})
}

// missingKind is a kind without schema and where its first object is.
type missingKind struct {
	apiVersion, kind string
	builtin          bool // a Kubernetes kind newer than the embedded schemas
	file             *yamlfile.File
	node             *yaml.Node
	note             string
}

func (m *missingKind) String() string { return m.apiVersion + " " + m.kind }

// missing records a kind without schema. Flux kinds without a schema are
// not reported: the embedded schemas cover the current Flux APIs, and an
// older API version is reported by flux/api-removed.
func (r *renderRun) missing(j *renderJob, o *render.Object) {
	group, _, _ := strings.Cut(o.APIVersion, "/")
	if strings.HasSuffix(group, ".toolkit.fluxcd.io") || strings.HasSuffix(group, ".extensions.fluxcd.io") {
		return
	}
	key := o.APIVersion + "\x00" + o.Kind
	if r.kindDone[key] {
		return
	}
	m := &missingKind{apiVersion: o.APIVersion, kind: o.Kind, builtin: builtinGroup(o.APIVersion)}
	for _, s := range r.c.Repo.Objects {
		if s.APIVersion == o.APIVersion && s.Kind == o.Kind {
			m.file = s.File
			m.node, _ = yamlfile.GetKV(s.Node(), "kind")
			break
		}
	}
	if m.file == nil && j.p != nil && j.p.K.Obj.View == r.c.Repo.View {
		m.file, m.node, m.note = j.p.K.Obj.File, j.p.PathNode, " (rendered from "+r.label(j)+")"
	}
	if m.file == nil {
		return
	}
	r.kindDone[key] = true
	r.missingKinds = append(r.missingKinds, m)
}

// reportMissing reports schema/missing once per run, listing the kinds, at
// the first object of the first kind by name; each other kind's first
// object is related.
// One line per kind buried the report under tens of custom kinds.
func (r *renderRun) reportMissing() {
	ms := r.missingKinds
	if len(ms) == 0 {
		return
	}
	sorted := slices.Clone(ms)
	slices.SortFunc(sorted, func(a, b *missingKind) int { return strings.Compare(a.String(), b.String()) })
	var names, builtins []string
	for _, m := range sorted {
		names = append(names, m.String())
		if m.builtin {
			builtins = append(builtins, m.String())
		}
	}
	var msg string
	if len(ms) == 1 {
		msg = fmt.Sprintf("no schema is known for %s: its objects are not validated", names[0])
	} else {
		msg = fmt.Sprintf("no schema is known for %d kinds, so their objects are not validated: %s", len(ms), strings.Join(names, ", "))
	}
	if len(builtins) > 0 {
		msg += fmt.Sprintf(" (%s: newer than the embedded Kubernetes v1.21 schemas)", strings.Join(builtins, ", "))
	}
	msg += "; add a schema catalog to schemas: in .gitops.yaml (a folder or a URL template in the CRDs-catalog layout {{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json), commit the CRDs, or pass --schema-location"
	first := sorted[0] // the order objects are met in depends on the build
	d := r.c.At("schema/missing", first.file, first.node, msg+first.note)
	for _, m := range sorted {
		if m == first {
			continue
		}
		d.Related = append(d.Related, related("", m.file.Path, m.file, m.node, m.String()+" has no schema"+m.note))
	}
}

// patchFor finds the patch that sets a field absent from the object's
// source: in the Flux Kustomization's spec.patches, or in a patches entry
// of a kustomization of the repository that the cluster reads.
func (r *renderRun) patchFor(j *renderJob, o *render.Object, ptr []string) (*yamlfile.File, diag.Range, bool) {
	c := r.c
	if j.p != nil && j.p.K.Obj.View == c.Repo.View {
		f := j.p.K.Obj.File
		for _, it := range yamlfile.Items(yamlfile.Get(j.p.K.Obj.Node(), "spec", "patches")) {
			if rg, ok := inlinePatch(f, it, o, ptr); ok {
				return f, rg, true
			}
		}
	}
	if j.v != c.Repo.View {
		return nil, diag.Range{}, false
	}
	for _, k := range sortedKustomizations(c.Repo) {
		if !j.cl.Reaches(c.Repo.View, k.File.Path) || k.Root == nil {
			continue
		}
		for _, field := range []string{"patches", "patchesStrategicMerge", "patchesJson6902"} {
			for _, it := range yamlfile.Items(yamlfile.Get(k.Root, field)) {
				if yamlfile.IsScalar(it) { // patchesStrategicMerge: a file name
					if f, rg, ok := r.patchFile(k, it.Value, nil, o, ptr); ok {
						return f, rg, true
					}
					continue
				}
				if rg, ok := inlinePatch(k.File, it, o, ptr); ok {
					return k.File, rg, true
				}
				if p := yamlfile.Str(it, "path"); p != "" {
					if f, rg, ok := r.patchFile(k, p, yamlfile.Get(it, "target"), o, ptr); ok {
						return f, rg, true
					}
				}
			}
		}
	}
	return nil, diag.Range{}, false
}

// patchFile looks for the field in a patch file of the repository.
func (r *renderRun) patchFile(k *model.KFile, p string, target *yaml.Node, o *render.Object, ptr []string) (*yamlfile.File, diag.Range, bool) {
	full, ok := view.Clean(path.Join(k.Dir, p))
	if !ok {
		return nil, diag.Range{}, false
	}
	f, err := r.c.Repo.View.YAML(full)
	if err != nil || f == nil {
		return nil, diag.Range{}, false
	}
	for _, d := range f.Docs {
		if n := patchNode(d.Root, target, o, ptr); n != nil {
			return f, f.NodeRange(n), true
		}
	}
	return nil, diag.Range{}, false
}

// inlinePatch looks for the field in an inline patch (a patch: string) and
// returns its position inside the block scalar when it can be computed,
// else the patch entry.
func inlinePatch(f *yamlfile.File, item *yaml.Node, o *render.Object, ptr []string) (diag.Range, bool) {
	pk, pv := yamlfile.GetKV(item, "patch")
	if !yamlfile.IsScalar(pv) {
		return diag.Range{}, false
	}
	var doc yaml.Node
	if yaml.Unmarshal([]byte(pv.Value), &doc) != nil || len(doc.Content) == 0 {
		return diag.Range{}, false
	}
	n := patchNode(doc.Content[0], yamlfile.Get(item, "target"), o, ptr)
	if n == nil {
		return diag.Range{}, false
	}
	if pv.Style&yaml.LiteralStyle != 0 {
		// Literal block: content line i of the value is file line pv.Line+i.
		line := pv.Line + n.Line
		text := f.LineText(line)
		indent := len(text) - len(strings.TrimLeft(text, " "))
		start := f.PosAt(line, indent+n.Column)
		end := f.PosAt(line, indent+n.Column+len([]rune(n.Value)))
		return diag.Range{Start: start, End: end}, true
	}
	return f.NodeRange(pk), true
}

// patchNode finds, in a strategic-merge or JSON 6902 patch, the node that
// sets ptr of object o.
func patchNode(root, target *yaml.Node, o *render.Object, ptr []string) *yaml.Node {
	if target != nil {
		if k := yamlfile.Str(target, "kind"); k != "" && k != o.Kind {
			return nil
		}
		if n := yamlfile.Str(target, "name"); n != "" && n != o.Name && !strings.Contains(o.Name, n) {
			return nil
		}
	}
	switch root.Kind {
	case yaml.MappingNode:
		if k := yamlfile.Str(root, "kind"); k != "" && k != o.Kind {
			return nil
		}
		if n := yamlfile.Str(root, "metadata", "name"); n != "" && n != o.Name && !strings.Contains(o.Name, n) {
			return nil
		}
		if n, ok := yamlfile.FindPointer(root, ptr); ok {
			return n
		}
	case yaml.SequenceNode: // JSON 6902: the op whose path is the field or a parent of it
		want := "/" + strings.Join(ptr, "/")
		for _, op := range root.Content {
			p := yamlfile.Str(op, "path")
			if p != "" && (p == want || strings.HasPrefix(want, p+"/")) && yamlfile.Str(op, "op") != "remove" {
				_, v := yamlfile.GetKV(op, "path")
				return v
			}
		}
	}
	return nil
}

var (
	// A strategic-merge patch whose object is not among the resources.
	patchIDRE = regexp.MustCompile(`(?:strategic merge patch "|unique target for patch )([^"\s;]+)`)
	// A JSON 6902 operation kustomize cannot apply.
	patchOpRE   = regexp.MustCompile(`(?:Unexpected kind: |patch operation ")([^"\s]+)`)
	patchPathRE = regexp.MustCompile(`missing path: "?([^"\s:]+)`)
)

// failingPatch finds, among the patches of a kustomization (root is its
// root node, dir its directory in v) or of a Flux Kustomization's spec
// (dir ""), the one a build error is about. It returns the patch entry's
// node, or nil when the error names no patch or none matches.
func (r *renderRun) failingPatch(v *view.View, dir string, root *yaml.Node, msg string) *yaml.Node {
	var match func(doc *yaml.Node) bool
	if m := patchIDRE.FindStringSubmatch(msg); m != nil {
		// Kind.version.group/name.namespace; names may hold dots, not namespaces.
		kind, _, _ := strings.Cut(m[1], ".")
		_, rest, _ := strings.Cut(m[1], "/")
		name := rest
		if i := strings.LastIndex(rest, "."); i >= 0 {
			name = rest[:i]
		}
		match = func(doc *yaml.Node) bool {
			return doc.Kind == yaml.MappingNode && yamlfile.Str(doc, "kind") == kind && yamlfile.Str(doc, "metadata", "name") == name
		}
	} else if m := patchOpRE.FindStringSubmatch(msg); m != nil {
		match = func(doc *yaml.Node) bool {
			for _, op := range yamlfile.Items(doc) {
				if yamlfile.Str(op, "op") == m[1] {
					return true
				}
			}
			return false
		}
	} else if m := patchPathRE.FindStringSubmatch(msg); m != nil {
		match = func(doc *yaml.Node) bool {
			for _, op := range yamlfile.Items(doc) {
				if yamlfile.Str(op, "path") == m[1] || yamlfile.Str(op, "from") == m[1] {
					return true
				}
			}
			return false
		}
	} else {
		return nil
	}
	// fileDocs reads the documents of a patch file named relative to dir.
	fileDocs := func(rel string) []*yaml.Node {
		p, ok := view.Clean(path.Join(dir, rel))
		if !ok || dir == "" {
			return nil
		}
		f, err := v.YAML(p)
		if err != nil || f == nil {
			return nil
		}
		var out []*yaml.Node
		for _, d := range f.Docs {
			out = append(out, d.Root)
		}
		return out
	}
	docs := func(it *yaml.Node) []*yaml.Node {
		var text string
		if yamlfile.IsScalar(it) { // patchesStrategicMerge: a file, or the patch itself
			if !strings.Contains(it.Value, "\n") {
				return fileDocs(it.Value)
			}
			text = it.Value
		} else if pv := yamlfile.Get(it, "patch"); yamlfile.IsScalar(pv) {
			text = pv.Value
		} else if pp := yamlfile.Str(it, "path"); pp != "" {
			return fileDocs(pp)
		}
		var out []*yaml.Node
		dec := yaml.NewDecoder(strings.NewReader(text))
		for {
			var n yaml.Node
			if dec.Decode(&n) != nil || len(n.Content) == 0 {
				break
			}
			out = append(out, n.Content[0])
		}
		return out
	}
	for _, field := range []string{"patches", "patchesStrategicMerge", "patchesJson6902"} {
		for _, it := range yamlfile.Items(yamlfile.Get(root, field)) {
			for _, d := range docs(it) {
				if match(d) {
					if n := yamlfile.Get(it, "path"); yamlfile.IsScalar(n) {
						return n
					}
					return it
				}
			}
		}
	}
	return nil
}

var varRefRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)

// varNote tells, for a value written with postBuild variables, what each
// variable was substituted with.
func varNote(written string, vars map[string]string) string {
	if vars == nil {
		return ""
	}
	var parts []string
	seen := map[string]bool{}
	for _, m := range varRefRE.FindAllStringSubmatchIndex(written, -1) {
		if m[0] > 0 && written[m[0]-1] == '$' {
			continue // $${ is an escaped ${
		}
		name := written[m[2]:m[3]]
		if seen[name] {
			continue
		}
		seen[name] = true
		if v, ok := vars[name]; ok {
			parts = append(parts, fmt.Sprintf("${%s} is %q", name, v))
		} else {
			parts = append(parts, fmt.Sprintf("${%s} is not set", name))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; after postBuild substitution " + strings.Join(parts, ", ")
}

// builtinGroup reports whether an apiVersion belongs to Kubernetes itself,
// whose kinds the embedded schemas may simply predate (CRD-based groups
// such as gateway.networking.k8s.io are not built in).
func builtinGroup(apiVersion string) bool {
	g, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return true // "v1"
	}
	return builtinGroups[g]
}

var builtinGroups = map[string]bool{
	"apps": true, "batch": true, "autoscaling": true, "policy": true,
	"networking.k8s.io": true, "rbac.authorization.k8s.io": true, "storage.k8s.io": true,
	"apiextensions.k8s.io": true, "admissionregistration.k8s.io": true, "scheduling.k8s.io": true,
	"coordination.k8s.io": true, "node.k8s.io": true, "discovery.k8s.io": true,
	"certificates.k8s.io": true, "flowcontrol.apiserver.k8s.io": true, "resource.k8s.io": true,
	"events.k8s.io": true, "apiregistration.k8s.io": true, "authentication.k8s.io": true,
	"authorization.k8s.io": true, "internal.apiserver.k8s.io": true, "storagemigration.k8s.io": true,
}
