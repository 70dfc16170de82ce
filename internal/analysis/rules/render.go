package rules

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/pool"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/schema"
)

var renderCheck = &Check{
	Name:    "render",
	Reports: []*catalog.Rule{catalog.KustomizeBuild, catalog.FluxPathNoKustomization, catalog.KustomizePatchNoMatch, catalog.FluxDuplicateObject, catalog.SchemaInvalid, catalog.SchemaUnknownField, catalog.SchemaMissing},
	// Rendering folds a build failure into a finding that explains
	// it, and does not repeat on a line what another check reported.
	Requires: []*Check{kustomizeFiles, fluxObjects, pulls, notAppliedCheck, dependsOn, decryption, unusedFiles, tags, values, secrets, promotion},
	Run:      func(p *Pass) error { checkRender(p); return nil },
}

// checkRender renders every Flux Kustomization the way kustomize-controller
// does, reports build failures (kustomize/build, flux/path-no-kustomization)
// and validates the rendered objects against their schemas (schema/*),
// mapping each finding back to the line the user wrote.
func checkRender(c *Pass) {
	if c.Renderer == nil {
		return
	}
	StartRender(c.Context)
	st := c.render
	<-st.done
	if c.cancelled() {
		return
	}
	r := &renderRun{c: c, sm: NewSourceMap(c.Repo), seenDiag: map[string]bool{}, kindDone: map[string]bool{}}
	r.byFile = r.sm.byFile
	for _, d := range c.Findings() {
		r.seenDiag[fmt.Sprintf("%s\x00%d", d.File, d.Range.Start.Line)] = true
	}
	r.rootCauses = map[string]bool{}
	for _, d := range c.Findings(rootCauseRules...) {
		r.rootCauses[d.File] = true
	}
	r.fluxFindings = c.Findings(catalog.FluxAPIRemoved, catalog.FluxFieldRemoved, catalog.FluxHelmReleaseChart)
	var unique []*renderJob
	for _, j := range st.jobs {
		if c.cancelled() {
			return
		}
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
	if c.cancelled() {
		return
	}
	r.checkDuplicates(st.jobs)
	if c.Schemas == nil {
		return
	}
	if c.cancelled() {
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
	pool.Each(items, func(it *item) {
		if err := vctx.Err(); err != nil {
			it.err = err
			return
		}
		if _, ok := it.o.Doc["sops"].(map[string]any); ok {
			// Flux decrypts before applying: the sops metadata is not
			// part of the object.
			delete(it.o.Doc, "sops")
		}
		it.vs, it.mis, it.err = v.Validate(it.o.Doc)
	})
	skipped := map[*renderJob]int{}
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
		outs := make([]schema.Outcome, 0, len(j.res.Objects))
		complete := true
		for range j.res.Objects {
			it := items[k]
			k++
			outs = append(outs, schema.Outcome{Violations: it.vs, Missing: it.mis})
			switch {
			case it.err == nil:
				r.report1(it.j, it.o, it.vs, it.mis)
			case errors.Is(it.err, context.DeadlineExceeded) && c.context().Err() == nil:
				skipped[it.j]++
				complete = false
			default:
				complete = false
			}
		}
		if complete {
			v.Remember(j.res.Sum, outs)
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
