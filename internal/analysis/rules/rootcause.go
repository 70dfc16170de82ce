package rules

import (
	"bytes"
	"path"
	"slices"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

// rootCauseRules are findings that make a build fail by themselves: when
// one of them is reported in a file a build reads, the build failure is the
// same root cause and is not reported again.
// (yaml/* findings are a file's own diagnostics, which knownProblem reads
// from the file.)
var rootCauseRules = []*catalog.Rule{
	catalog.KustomizeMissingFile,
	catalog.KustomizeOutsideRoot,
	catalog.KustomizeRemoteResource,
	catalog.FluxPathNotFound,
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
	return r.rootCauses[file]
}

// patchMissesRemovedAPI reports whether the build fails because a patch
// for the current apiVersion of a kind finds the object still at a removed
// one: flux/api-removed is the root cause, and migrating fixes both.
func (r *renderRun) patchMissesRemovedAPI(j *renderJob) bool {
	m := patchIDRE.FindStringSubmatch(j.res.Err.Error())
	if m == nil {
		return false
	}
	kind, name := resIDKindName(m[1])
	for _, f := range j.res.Files {
		for _, o := range r.byFile[f] {
			if o.Kind == kind && o.Name == name && r.reportedIn(o, catalog.FluxAPIRemoved) {
				return true
			}
		}
	}
	return false
}

// superseded reports whether the engine already flagged the object's
// apiVersion or removed fields: its schema findings would repeat them.
func (r *renderRun) superseded(src *model.Object) bool {
	return r.reportedIn(src, catalog.FluxAPIRemoved, catalog.FluxFieldRemoved)
}

// reportedIn reports whether one of the rules already has a finding inside
// the object's document.
func (r *renderRun) reportedIn(src *model.Object, rules ...*catalog.Rule) bool {
	if src.View != r.c.Repo.View {
		return false
	}
	rg := src.File.NodeRange(src.Node())
	last := rg.Start.Line + strings.Count(string(src.File.Src[min(rg.Start.Offset, len(src.File.Src)):]), "\n")
	if idx := src.Doc.Index; idx+1 < len(src.File.Docs) {
		last = src.File.Docs[idx+1].Root.Line - 1
	}
	for _, d := range r.fluxFindings {
		if d.File == src.File.Path && slices.ContainsFunc(rules, func(rule *catalog.Rule) bool { return rule.ID == d.Rule }) &&
			d.Range.Start.Line >= rg.Start.Line && d.Range.Start.Line <= last {
			return true
		}
	}
	return false
}

// definedButCutOff reports whether a missing source is written in the
// repository while the cluster has a Flux path that does not resolve: the
// source is most likely behind that path, which is reported instead.
func definedButCutOff(c *Pass, cl *model.Cluster, kind, name string) bool {
	if kind == "" {
		kind = "GitRepository"
	}
	if inUnparsed(c, cl, name) {
		return true // yaml/syntax is reported for the file that defines it
	}
	var defs []*model.Object
	for _, o := range c.Repo.Objects {
		if o.Kind == kind && o.Name == name {
			defs = append(defs, o)
		}
	}
	if len(defs) == 0 {
		return false
	}
	for _, o := range defs {
		if notApplied(c, o.File.Path) || underNotApplied(c, o.File.Path) {
			return true // flux/not-applied names the file that should apply it
		}
	}
	for _, p := range cl.Pulls {
		if p.View == c.Repo.View && !p.PathOK {
			return true
		}
	}
	return false
}

// inUnparsed reports whether a file of this repository that the cluster
// applies does not parse and mentions name: its objects are unknown, and
// the one named is probably among them.
func inUnparsed(c *Pass, cl *model.Cluster, name string) bool {
	for p := range cl.Reached[c.Repo.View] {
		f, err := c.Repo.View.YAML(p)
		if err != nil || f == nil || !hasSyntaxError(f) {
			continue
		}
		if bytes.Contains(f.Src, []byte(name)) {
			return true
		}
	}
	return false
}

// unparsable reports whether parsing the file reported an error
// (yaml/syntax or yaml/duplicate-key).
func unparsable(f *yamlfile.File) bool {
	for _, d := range f.Diags {
		if d.Rule == yamlfile.RuleSyntax || d.Rule == yamlfile.RuleDuplicateKey {
			return true
		}
	}
	return false
}

func hasSyntaxError(f *yamlfile.File) bool {
	for _, d := range f.Diags {
		if d.Rule == yamlfile.RuleSyntax {
			return true
		}
	}
	return false
}

// underNotApplied reports whether a file is below the path of a Flux
// Kustomization of this repository that flux/not-applied reports: applying
// that Kustomization is what would bring the file in.
func underNotApplied(c *Pass, file string) bool {
	for _, k := range c.Repo.Objects {
		if k.View != c.Repo.View || !k.IsFluxKustomization() || !notApplied(c, k.File.Path) {
			continue
		}
		if p, ok := view.Clean(yamlfile.Str(k.Node(), "spec", "path")); ok && p != "." && strings.HasPrefix(file, p+"/") {
			return true
		}
	}
	return false
}

// notApplied reports whether a file sits beside a kustomization.yaml that
// does not list it, and no other kustomization does: the condition of
// flux/not-applied.
func notApplied(c *Pass, file string) bool {
	k := c.Repo.Kustomizations[path.Dir(file)]
	if k == nil || model.IsKustomizationFile(file) || commentedOut(k, path.Base(file)) {
		return false
	}
	return !c.listed()[file]
}

// patchedByParent reports whether a Flux Kustomization gets a spec field
// from the spec.patches of a Kustomization that applies it (a common way to
// give every child decryption and postBuild settings).
func patchedByParent(a *model.Applied, field string) bool {
	for via := a.Via; via != nil; via = via.K.Via {
		for _, pt := range yamlfile.Items(yamlfile.Get(via.K.Obj.Node(), "spec", "patches")) {
			kind := yamlfile.Str(pt, "target", "kind")
			if kind != "" && kind != "Kustomization" {
				continue
			}
			if strings.Contains(yamlfile.Str(pt, "patch"), field+":") {
				return true
			}
		}
	}
	return false
}

// commentedOut reports whether a kustomization names file in a comment
// ("# - ./grafana.yaml"), the usual way to switch a resource off.
func commentedOut(k *model.KFile, file string) bool {
	for _, line := range strings.Split(string(k.File.Src), "\n") {
		if i := strings.Index(line, "#"); i >= 0 && strings.Contains(line[i:], file) {
			return true
		}
	}
	return false
}
