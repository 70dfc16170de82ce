package rules

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/pool"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

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
	c            *Pass
	sm           *SourceMap
	byFile       map[string][]*model.Object // repository objects by file
	seenDiag     map[string]bool            // "file\x00line" of the findings of the checks rendering requires
	rootCauses   map[string]bool            // files with a finding of rootCauseRules
	fluxFindings []diag.Diagnostic          // findings that schema findings in the same object would repeat
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
	st.jobs = (&renderRun{c: &Pass{Context: c}}).jobs()
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
		pool.Each(todo, func(j *renderJob) {
			if ctx.Err() != nil {
				return
			}
			if j.p != nil {
				j.problems, _ = render.NoKustomizationProblems(j.v.FS, j.req.Path)
				if len(j.problems) > 0 {
					return
				}
			}
			j.res = c.Renderer.Render(ctx, j.req)
			j.rendered = true
		})
	}()
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

// build names the job's build for the source map.
func (j *renderJob) build() Build { return Build{Cluster: j.cl, Pull: j.p, View: j.v} }

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
