package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	words "github.com/opencenter-cloud/gitops-hook/internal/analysis/suggest"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
)

var namespaces = &Check{
	Name:    "namespaces",
	Reports: []*catalog.Rule{catalog.FluxNamespaceNotFound},
	Run:     func(p *Pass) error { checkNamespaces(p); return nil },
}

// builtinNamespaces exist in every cluster (flux-system in every Flux one).
var builtinNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease", "flux-system"}

// checkNamespaces reports a targetNamespace that is a typo: no Namespace
// object of the repository creates it, no other object, kustomization or
// targetNamespace names it, and exactly one namespace that does exist is
// an edit or so away. Namespaces are often created outside the repository
// (by the platform, Terraform, a chart), so a name that is merely unknown
// is no finding; one that is unknown and a near miss of a known one is
// what a typo looks like, and Flux then fails with "namespace not found".
func checkNamespaces(c *Pass) {
	known := slices.Clone(builtinNamespaces) // names that exist: built in, or created by a Namespace object
	uses := map[string]int{}                 // how often each name is written as a namespace
	for _, o := range c.Repo.Objects {
		if o.Kind == "Namespace" && o.APIVersion == "v1" {
			known = append(known, o.Name)
		}
		if o.Namespace != "" {
			uses[o.Namespace]++
		}
		if t := yamlfile.Str(o.Node(), "spec", "targetNamespace"); t != "" {
			uses[t]++
		}
	}
	for _, k := range sortedKustomizations(c.Repo) {
		if ns := yamlfile.Str(k.Root, "namespace"); ns != "" {
			uses[ns]++
		}
	}
	for ns, n := range uses {
		if n > 1 {
			known = append(known, ns) // written in several places: it exists somewhere
		}
	}
	sort.Strings(known)
	isKnown := map[string]bool{}
	for _, ns := range known {
		isKnown[ns] = true
	}
	applied := map[*model.Object]bool{}
	for _, cl := range c.Clusters {
		for _, a := range cl.Applied {
			applied[a.Obj] = true
		}
	}
	for _, o := range c.Repo.Objects {
		if c.cancelled() {
			return
		}
		if !applied[o] || o.View != c.Repo.View || !(o.IsFluxKustomization() || o.Is("helm", "HelmRelease")) {
			continue
		}
		_, v := yamlfile.GetKV(o.Node(), "spec", "targetNamespace")
		if v == nil || v.Value == "" || strings.Contains(v.Value, "${") || isKnown[v.Value] {
			continue
		}
		if o.Is("helm", "HelmRelease") && yamlfile.Str(o.Node(), "spec", "install", "createNamespace") == "true" {
			continue // Helm creates it
		}
		near := words.Unique(v.Value, known)
		if near == "" {
			continue
		}
		c.Report(catalog.FluxNamespaceNotFound, o.File, v,
			fmt.Sprintf("targetNamespace %q of %s %s is created by no Namespace of the repository and named nowhere else, while %q exists: Flux would fail with namespace %q not found; did you mean %q?",
				v.Value, o.Kind, o.Name, near, v.Value, near),
			diag.Fix{Title: "Use " + near, Kind: diag.Choice, Edits: []diag.Edit{Replace(o.File, v, keepQuotes(v, near))}})
	}
}
