package rules

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/schema"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

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
		if b := crdYAML(o); b != nil {
			add(b)
		}
	}
	for _, j := range jobs {
		if r.c.cancelled() {
			return nil
		}
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

// crdKey keys the YAML of a CRD document (File.Remember).
type crdKey struct{ n *yaml.Node }

// crdYAML is the CRD object o as YAML, for the schema validator; nil when
// it does not encode. Kept with its file: CRDs are large.
func crdYAML(o *model.Object) []byte {
	n := o.Node()
	if o.File == nil {
		b, _ := yaml.Marshal(n)
		return b
	}
	if b, ok := o.File.Recall(crdKey{n}); ok {
		return b.([]byte)
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		b = nil
	}
	o.File.Remember(crdKey{n}, b)
	return b
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
	src := r.sm.Object(j.build(), o)
	if src != nil && r.superseded(src) {
		return
	}
	chartReported := src != nil && r.reportedIn(src, catalog.FluxHelmReleaseChart)
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

func (r *renderRun) violation(j *renderJob, o *render.Object, src *model.Object, x schema.Violation) {
	c := r.c
	rule := catalog.SchemaInvalid
	if x.Kind == schema.UnknownField {
		rule = catalog.SchemaUnknownField
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
				if f, rg, ok := r.sm.Patch(j.build(), o, x.Path); ok {
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
	if f, rg, ok := r.sm.Patch(j.build(), o, x.Path); ok {
		r.reportRange(rule, f, rg, msg+"; set by this patch")
		return
	}
	if src != nil && src.View == c.Repo.View {
		n, _ := yamlfile.FindPointer(src.Node(), []string{"metadata", "name"})
		r.report(rule, src.File, n, msg+"; the field is set by a transformer or patch")
	}
}

func (r *renderRun) report(rule *catalog.Rule, f *yamlfile.File, n *yaml.Node, msg string) {
	r.reportRange(rule, f, f.NodeRange(n), msg)
}

func (r *renderRun) reportRange(rule *catalog.Rule, f *yamlfile.File, rg diag.Range, msg string) {
	if r.seenDiag[fmt.Sprintf("%s\x00%d", f.Path, rg.Start.Line)] {
		return // the engine reported this line already (flux/helmrelease-chart, flux/git-url)
	}
	r.c.ReportDiag(rule, diag.Diagnostic{File: f.Path, Range: rg, Message: msg})
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
	d := r.c.Report(catalog.SchemaMissing, first.file, first.node, msg+first.note)
	for _, m := range sorted {
		if m == first {
			continue
		}
		d.Related = append(d.Related, related("", m.file.Path, m.file, m.node, m.String()+" has no schema"+m.note))
	}
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
