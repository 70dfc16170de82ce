package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/render"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// checkPatchTargets reports spec.patches entries of a Flux Kustomization
// whose named target selects nothing the build produced: kustomize skips
// such a patch without a word, so the change it was meant to make is
// silently lost.
func (r *renderRun) checkPatchTargets(j *renderJob) {
	if j.p == nil || j.res.Err != nil || j.req.NamePrefix != "" || j.req.NameSuffix != "" {
		return
	}
	o := j.p.K.Obj
	if o.View != r.c.Repo.View {
		return
	}
	for _, it := range yamlfile.Items(yamlfile.Get(o.Node(), "spec", "patches")) {
		tk, tv := yamlfile.GetKV(it, "target")
		if tk == nil || tv.Kind != yaml.MappingNode {
			continue
		}
		sel, ok := parseTarget(tv, j.req.TargetNamespace != "")
		if !ok || sel.rawName == "" {
			// A selector without a name (all Deployments, everything
			// labelled x) is often a policy waiting for its first match;
			// a named target that matches nothing is a mistake.
			continue
		}
		matched := false
		for i := range j.res.Objects {
			if sel.matches(&j.res.Objects[i]) {
				matched = true
				break
			}
		}
		if !matched {
			r.report(catalog.KustomizePatchNoMatch, o.File, tk,
				fmt.Sprintf("patch target %s matches no object that %s renders: kustomize skips the patch silently, so it changes nothing", sel, r.label(j)))
		}
	}
}

// checkKustomizationPatchTargets does the same for the patches of the
// repository's kustomization.yaml files, against everything rendered by the
// builds that read them.
func (r *renderRun) checkKustomizationPatchTargets(jobs []*renderJob) {
	readers := map[string][]*renderJob{}
	for _, j := range jobs {
		if j.res.Err != nil || j.v != r.c.Repo.View {
			continue
		}
		for _, f := range j.res.Files {
			readers[f] = append(readers[f], j)
		}
	}
	for _, k := range sortedKustomizations(r.c.Repo) {
		if r.c.cancelled() {
			return
		}
		js := readers[k.File.Path]
		if len(js) == 0 || k.Root == nil || yamlfile.Str(k.Root, "namePrefix") != "" || yamlfile.Str(k.Root, "nameSuffix") != "" {
			continue
		}
		if hasEmptyResource(r.c, k) {
			continue // a placeholder (gotk-components.yaml before bootstrap): the content is incomplete
		}
		ignoreNS := yamlfile.Str(k.Root, "namespace") != ""
		for _, j := range js {
			if j.req.NamePrefix != "" || j.req.NameSuffix != "" {
				ignoreNS = true // names are rewritten after the patches: do not judge
				js = nil
				break
			}
			ignoreNS = ignoreNS || j.req.TargetNamespace != ""
		}
		for _, it := range yamlfile.Items(yamlfile.Get(k.Root, "patches")) {
			tk, tv := yamlfile.GetKV(it, "target")
			if tk == nil || tv.Kind != yaml.MappingNode || len(js) == 0 {
				continue
			}
			sel, ok := parseTarget(tv, ignoreNS)
			if !ok || sel.rawName == "" {
				continue
			}
			if !anyMatch(sel, js) {
				r.report(catalog.KustomizePatchNoMatch, k.File, tk,
					fmt.Sprintf("patch target %s matches no object that this kustomization renders: kustomize skips the patch silently, so it changes nothing", sel))
			}
		}
	}
}

// hasEmptyResource reports whether a kustomization lists a file with no
// document at all.
func hasEmptyResource(c *Pass, k *model.KFile) bool {
	for _, e := range k.Entries {
		if e.Field != "resources" || e.Target == "" {
			continue
		}
		if f, err := c.Repo.View.YAML(e.Target); err == nil && len(f.Docs) == 0 && len(f.Diags) == 0 {
			return true
		}
	}
	return false
}

func anyMatch(sel targetSelector, jobs []*renderJob) bool {
	for _, j := range jobs {
		for i := range j.res.Objects {
			if sel.matches(&j.res.Objects[i]) {
				return true
			}
		}
	}
	return false
}

// targetSelector is a kustomize patch target.
type targetSelector struct {
	group, version, kind, namespace string
	name                            *regexp.Regexp
	rawName                         string
	labels, annotations             []selectorTerm
}

type selectorTerm struct {
	key, value string
	op         string // "=", "!=" or "exists"
}

// parseTarget reads a target; ok is false for selectors it cannot
// evaluate exactly (set-based label expressions). A namespace is ignored
// when targetNamespace rewrites namespaces after the patches ran.
func parseTarget(n *yaml.Node, ignoreNamespace bool) (targetSelector, bool) {
	s := targetSelector{
		group: yamlfile.Str(n, "group"), version: yamlfile.Str(n, "version"),
		kind: yamlfile.Str(n, "kind"), rawName: yamlfile.Str(n, "name"),
	}
	if !ignoreNamespace {
		s.namespace = yamlfile.Str(n, "namespace")
	}
	if s.rawName != "" {
		// kustomize matches names as anchored regular expressions.
		re, err := regexp.Compile("^(?:" + s.rawName + ")$")
		if err != nil {
			re = regexp.MustCompile("^" + regexp.QuoteMeta(s.rawName) + "$")
		}
		s.name = re
	}
	var ok bool
	if s.labels, ok = parseSelector(yamlfile.Str(n, "labelSelector")); !ok {
		return s, false
	}
	if s.annotations, ok = parseSelector(yamlfile.Str(n, "annotationSelector")); !ok {
		return s, false
	}
	return s, true
}

// parseSelector reads equality-based selectors ("a=b,c!=d,e").
func parseSelector(text string) ([]selectorTerm, bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, true
	}
	if strings.ContainsAny(text, "()") || strings.Contains(text, " in ") || strings.Contains(text, "notin") || strings.HasPrefix(text, "!") {
		return nil, false
	}
	var out []selectorTerm
	for _, part := range strings.Split(text, ",") {
		part = strings.TrimSpace(part)
		switch {
		case strings.Contains(part, "!="):
			k, v, _ := strings.Cut(part, "!=")
			out = append(out, selectorTerm{strings.TrimSpace(k), strings.TrimSpace(v), "!="})
		case strings.Contains(part, "=="):
			k, v, _ := strings.Cut(part, "==")
			out = append(out, selectorTerm{strings.TrimSpace(k), strings.TrimSpace(v), "="})
		case strings.Contains(part, "="):
			k, v, _ := strings.Cut(part, "=")
			out = append(out, selectorTerm{strings.TrimSpace(k), strings.TrimSpace(v), "="})
		case part != "":
			out = append(out, selectorTerm{key: part, op: "exists"})
		}
	}
	return out, true
}

func (s targetSelector) matches(o *render.Object) bool {
	group, version := "", o.APIVersion
	if g, v, ok := strings.Cut(o.APIVersion, "/"); ok {
		group, version = g, v
	}
	switch {
	case s.group != "" && s.group != group,
		s.version != "" && s.version != version,
		s.kind != "" && s.kind != o.Kind,
		s.namespace != "" && s.namespace != o.Namespace,
		s.name != nil && !s.name.MatchString(o.Name):
		return false
	}
	md, _ := o.Doc["metadata"].(map[string]any)
	return termsMatch(s.labels, md, "labels") && termsMatch(s.annotations, md, "annotations")
}

func termsMatch(terms []selectorTerm, md map[string]any, field string) bool {
	m, _ := md[field].(map[string]any)
	for _, t := range terms {
		v, has := m[t.key]
		val := fmt.Sprint(v)
		switch t.op {
		case "exists":
			if !has {
				return false
			}
		case "=":
			if !has || val != t.value {
				return false
			}
		case "!=":
			if has && val == t.value {
				return false
			}
		}
	}
	return true
}

func (s targetSelector) String() string {
	var parts []string
	for _, kv := range [][2]string{{"group", s.group}, {"version", s.version}, {"kind", s.kind}, {"name", s.rawName}, {"namespace", s.namespace}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+": "+kv[1])
		}
	}
	for _, t := range s.labels {
		parts = append(parts, "label "+t.key+t.op+t.value)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
