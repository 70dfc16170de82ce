package rules

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// valuesRef is one valuesFrom entry of a HelmRelease applied to a cluster.
type valuesRef struct {
	hr       *model.Applied // the HelmRelease, or the ResourceSet templating it
	hrName   string
	ns       string // namespace of the HelmRelease; "" when unknown
	kind     string
	name     string
	key      string
	optional bool
	node     *yaml.Node
}

func clusterValuesRefs(cl *model.Cluster) []valuesRef {
	var out []valuesRef
	for _, a := range cl.Applied {
		if !a.Obj.Is("helm", "HelmRelease") {
			continue
		}
		out = appendValuesRefs(out, a, a.Obj.Name, a.Namespace, a.Obj.Node())
	}
	// A Flux Operator ResourceSet applies the HelmReleases of its template.
	for _, a := range cl.Applied {
		if a.Obj.Kind != "ResourceSet" || !strings.HasPrefix(a.Obj.APIVersion, "fluxcd.controlplane.io/") {
			continue
		}
		for _, t := range yamlfile.Items(yamlfile.Get(a.Obj.Node(), "spec", "resources")) {
			if yamlfile.Str(t, "kind") != "HelmRelease" {
				continue
			}
			ns := yamlfile.Str(t, "metadata", "namespace")
			if strings.Contains(ns, "<<") {
				ns = "" // templated
			} else if ns == "" {
				ns = a.Namespace
			}
			out = appendValuesRefs(out, a, yamlfile.Str(t, "metadata", "name"), ns, t)
		}
	}
	return out
}

func appendValuesRefs(out []valuesRef, a *model.Applied, name, ns string, hr *yaml.Node) []valuesRef {
	for _, it := range yamlfile.Items(yamlfile.Get(hr, "spec", "valuesFrom")) {
		r := valuesRef{hr: a, hrName: name, ns: ns, kind: yamlfile.Str(it, "kind"), name: yamlfile.Str(it, "name"),
			key: yamlfile.Str(it, "valuesKey"), optional: yamlfile.Str(it, "optional") == "true", node: it}
		if r.key == "" {
			r.key = "values.yaml"
		}
		out = append(out, r)
	}
	return out
}

func nsMatch(a, b string) bool { return a == "" || b == "" || a == b }

var values = &Check{
	Name:    "values",
	Reports: []*catalog.Rule{catalog.ValuesOverrideNotConsumed, catalog.ValuesHashSuffix},
	Run:     func(p *Pass) error { checkValues(p); return nil },
}

func checkValues(c *Pass) {
	seen := map[*model.Generator]bool{}
	for _, cl := range c.Clusters {
		if c.cancelled() {
			return
		}
		refs := clusterValuesRefs(cl)
		for _, g := range cl.Generated {
			gen := g.Gen
			if gen.K.View != c.Repo.View || seen[gen] || gen.Name == "" {
				continue
			}
			var readers []valuesRef
			for _, r := range refs {
				if r.kind == gen.Kind && r.name == gen.Name && nsMatch(r.ns, g.Namespace) {
					readers = append(readers, r)
				}
			}
			if len(readers) > 0 {
				seen[gen] = true
				checkGeneratorKeys(c, gen, readers)
				if !gen.DisableHash && !rewritesValuesFrom(gen.K) {
					d := c.Report(catalog.ValuesHashSuffix, gen.K.File, gen.NameNode,
						fmt.Sprintf("%s %s is read by name from HelmRelease %s's valuesFrom, but kustomize appends a content hash to its name; the HelmRelease never finds it", gen.Kind, gen.Name, readers[0].hrName))
					if fx, ok := hashFix(gen); ok {
						d.Fixes = append(d.Fixes, fx)
					}
				}
				continue
			}
			// A HelmRelease in a file that does not parse may read it.
			if !looksLikeValues(gen.Name) || !valuesKnown(cl, g) || inUnparsed(c, cl, gen.Name) {
				continue
			}
			seen[gen] = true
			reportUnconsumed(c, cl, g, refs)
		}
	}
}

// valuesKnown reports whether every HelmRelease that could read a
// generator is known: all external sources feeding its namespace resolved.
// Otherwise the root cause (unreadable base, bad pin) is reported elsewhere.
func valuesKnown(cl *model.Cluster, g *model.GenApplied) bool {
	for _, p := range cl.Pulls {
		if p.Missing || p.Err != nil || p.Skipped != "" || (p.View != nil && !p.PathOK) {
			tns := yamlfile.Str(p.K.Obj.Node(), "spec", "targetNamespace")
			if nsMatch(tns, g.Namespace) {
				return false
			}
		}
	}
	return true
}

func reportUnconsumed(c *Pass, cl *model.Cluster, g *model.GenApplied, refs []valuesRef) {
	gen := g.Gen
	var cands []valuesRef
	for _, r := range refs {
		if nsMatch(r.ns, g.Namespace) && r.kind == gen.Kind && strings.Contains(r.name, "-values") {
			cands = append(cands, r)
		}
	}
	msg := fmt.Sprintf("%s %s is read by no HelmRelease of cluster %s", gen.Kind, gen.Name, cl.Name)
	if g.Namespace != "" {
		msg += fmt.Sprintf(" in namespace %s", g.Namespace)
	}
	msg += ": the override is silently dropped"
	d := diag.Diagnostic{File: gen.K.File.Path, Range: gen.K.File.NodeRange(gen.NameNode)}
	sort.SliceStable(cands, func(i, j int) bool {
		return editDistance(cands[i].name, gen.Name) < editDistance(cands[j].name, gen.Name)
	})
	if len(cands) > 0 {
		best := cands[0]
		msg += fmt.Sprintf("; HelmRelease %s reads %s %q", best.hrName, best.kind, best.name)
		d.Fixes = append(d.Fixes, diag.Fix{Title: "Rename to " + best.name, Kind: diag.Safe, Edits: []diag.Edit{Replace(gen.K.File, gen.NameNode, best.name)}})
		for _, r := range cands[:1] {
			d.Related = append(d.Related, related(labelOf(r.hr), r.hr.Obj.File.Path, r.hr.Obj.File, r.node, fmt.Sprintf("HelmRelease %s valuesFrom %s %s key %s", r.hrName, r.kind, r.name, r.key)))
		}
	}
	d.Message = msg
	c.ReportDiag(catalog.ValuesOverrideNotConsumed, d)
}

func checkGeneratorKeys(c *Pass, gen *model.Generator, readers []valuesRef) {
	keys := map[string]bool{}
	for _, k := range gen.Keys {
		keys[k.Key] = true
	}
	for _, r := range readers {
		if keys[r.key] {
			continue
		}
		var have []string
		for _, k := range gen.Keys {
			have = append(have, k.Key)
		}
		at := gen.NameNode
		var fixes []diag.Fix
		if len(gen.Keys) == 1 && gen.Keys[0].File != "" {
			k := gen.Keys[0]
			at = k.Node
			_, file, hasKey := strings.Cut(k.Node.Value, "=")
			if !hasKey {
				file = k.Node.Value
			}
			fixes = append(fixes, diag.Fix{Title: "Use key " + r.key, Kind: diag.Safe, Edits: []diag.Edit{Replace(gen.K.File, k.Node, keepQuotes(k.Node, r.key+"="+strings.TrimSpace(file)))}})
		}
		d := c.Report(catalog.ValuesOverrideNotConsumed, gen.K.File, at,
			fmt.Sprintf("HelmRelease %s reads key %q of %s %s, but the generator produces %s: the override is silently dropped", r.hrName, r.key, gen.Kind, gen.Name, describeKeys(have)), fixes...)
		d.Related = append(d.Related, related(labelOf(r.hr), r.hr.Obj.File.Path, r.hr.Obj.File, r.node, "valuesFrom of HelmRelease "+r.hrName))
		return
	}
}

func describeKeys(keys []string) string {
	if len(keys) == 0 {
		return "no key"
	}
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	return "key " + strings.Join(q, ", ")
}

// keepQuotes writes s with the quoting of the value it replaces.
func keepQuotes(n *yaml.Node, s string) string {
	switch n.Style {
	case yaml.DoubleQuotedStyle:
		return `"` + s + `"`
	case yaml.SingleQuotedStyle:
		return "'" + s + "'"
	}
	return s
}

// hashFix adds options.disableNameSuffixHash: true to a generator.
func hashFix(gen *model.Generator) (diag.Fix, bool) {
	f := gen.K.File
	if gen.Node.Kind != yaml.MappingNode || gen.Node.Style&yaml.FlowStyle != 0 || gen.NameNode == nil {
		return diag.Fix{}, false
	}
	key := gen.Node.Content[0]
	indent := strings.Repeat(" ", key.Column-1)
	title := "Add options.disableNameSuffixHash: true"
	if ok, ov := yamlfile.GetKV(gen.Node, "options"); ok != nil {
		if ov.Kind != yaml.MappingNode || len(ov.Content) == 0 || ov.Style&yaml.FlowStyle != 0 {
			return diag.Fix{}, false
		}
		if _, hv := yamlfile.GetKV(ov, "disableNameSuffixHash"); hv != nil {
			return diag.Fix{Title: title, Kind: diag.Safe, Edits: []diag.Edit{Replace(f, hv, "true")}}, true
		}
		first := ov.Content[0]
		at := f.PosAt(first.Line, 1)
		return diag.Fix{Title: title, Kind: diag.Safe, Edits: []diag.Edit{{File: f.Path, Range: diag.Range{Start: at, End: at}, NewText: strings.Repeat(" ", first.Column-1) + "disableNameSuffixHash: true\n"}}}, true
	}
	// Insert after the generator's last line.
	last := f.NodeRange(gen.Node.Content[len(gen.Node.Content)-1]).End.Line
	endLine := lastLineOf(f, gen.Node, last)
	at := f.PosAt(endLine+1, 1)
	text := indent + "options:\n" + indent + "  disableNameSuffixHash: true\n"
	if endLine >= f.LineCount() {
		at = f.PosOffset(len(f.Src))
		if len(f.Src) > 0 && f.Src[len(f.Src)-1] != '\n' {
			text = "\n" + text
		}
	}
	return diag.Fix{Title: title, Kind: diag.Safe, Edits: []diag.Edit{{File: f.Path, Range: diag.Range{Start: at, End: at}, NewText: text}}}, true
}

// lastLineOf finds the last line a node's subtree occupies.
func lastLineOf(f *yamlfile.File, n *yaml.Node, atLeast int) int {
	last := atLeast
	yamlfile.Walk(n, func(c *yaml.Node) {
		if c.Kind == yaml.ScalarNode {
			if e := f.NodeRange(c).End.Line; e > last {
				last = e
			}
			if c.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				if e := c.Line + strings.Count(strings.TrimRight(c.Value, "\n"), "\n") + 1; e > last {
					last = e
				}
			}
		}
	})
	return last
}

// looksLikeValues reports whether a generated name is meant for a
// HelmRelease's valuesFrom (the openCenter convention is
// <release>-values-override; misspellings must still be caught).
func looksLikeValues(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "override") || strings.HasSuffix(n, "-values") || strings.Contains(n, "-values-")
}

// rewritesValuesFrom reports whether a kustomization teaches kustomize to
// rename HelmRelease valuesFrom references (configurations with a
// nameReference on spec/valuesFrom/name), in which case the hash suffix is
// harmless.
func rewritesValuesFrom(k *model.KFile) bool {
	for _, it := range yamlfile.Items(yamlfile.Get(k.Root, "configurations")) {
		if !yamlfile.IsScalar(it) {
			continue
		}
		data, err := k.View.Read(path.Join(k.Dir, it.Value))
		if err == nil && strings.Contains(string(data), "valuesFrom") {
			return true
		}
	}
	return false
}
