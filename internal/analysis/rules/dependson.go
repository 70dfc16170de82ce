package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

type depNode struct {
	a     *model.Applied
	key   string
	edges []depEdge
}

type depEdge struct {
	to   string
	node *yaml.Node
}

// nearName returns the applied name closest to a misspelt one in the same
// namespace, if it is within a typo's distance.
func nearName(byName map[string][]*model.Applied, name, ns string) string {
	best, bestD := "", len(name)/4+1
	for cand, as := range byName {
		for _, a := range as {
			if ns != "" && a.Namespace != "" && a.Namespace != ns {
				continue
			}
			if d := editDistance(cand, name); d > 0 && (d < bestD || d == bestD && cand < best) {
				best, bestD = cand, d
			}
		}
	}
	return best
}

var dependsOn = &Check{
	Name:    "depends-on",
	Reports: []*catalog.Rule{catalog.FluxDependsOnNotFound, catalog.FluxDependsOnCycle},
	Run:     func(p *Pass) error { checkDependsOn(p); return nil },
}

func checkDependsOn(c *Pass) {
	for _, cl := range c.Clusters {
		if c.cancelled() {
			return
		}
		for _, kind := range []string{"Kustomization", "HelmRelease"} {
			nodes := map[string]*depNode{}
			var order []*depNode
			byName := map[string][]*model.Applied{}
			for _, a := range cl.Applied {
				if a.Obj.Kind == kind && a.Obj.IsFlux() {
					byName[a.Obj.Name] = append(byName[a.Obj.Name], a)
				}
			}
			for _, a := range cl.Applied {
				if a.Obj.Kind != kind || !a.Obj.IsFlux() {
					continue
				}
				dn := &depNode{a: a, key: a.Namespace + "/" + a.Obj.Name}
				if _, dup := nodes[dn.key]; dup {
					continue
				}
				nodes[dn.key] = dn
				order = append(order, dn)
				for _, it := range yamlfile.Items(yamlfile.Get(a.Obj.Node(), "spec", "dependsOn")) {
					name, ns := yamlfile.Str(it, "name"), yamlfile.Str(it, "namespace")
					_, nn := yamlfile.GetKV(it, "name")
					if name == "" {
						continue
					}
					if ns == "" {
						ns = a.Namespace
					}
					var target *model.Applied
					for _, cand := range byName[name] {
						if ns == "" || cand.Namespace == "" || cand.Namespace == ns {
							target = cand
							break
						}
					}
					if target == nil {
						// While some pull could not be followed, the name may
						// be applied from there; a near miss of a known name
						// is a typo all the same.
						near := nearName(byName, name, ns)
						if a.Obj.View == c.Repo.View && !strings.Contains(name, "${") && (near != "" || !cl.HasUnresolved()) && !definedButCutOff(c, cl, kind, name) {
							msg := fmt.Sprintf("dependsOn %q (namespace %s) names no %s applied to cluster %s; %s %s will wait forever", name, nsOr(ns), kind, cl.Name, kind, a.Obj.Name)
							if near != "" {
								msg += fmt.Sprintf(" (did you mean %q?)", near)
							}
							c.Report(catalog.FluxDependsOnNotFound, a.Obj.File, nn, msg)
						}
						continue
					}
					dn.edges = append(dn.edges, depEdge{to: target.Namespace + "/" + target.Obj.Name, node: nn})
				}
			}
			reportCycles(c, nodes, order)
		}
	}
}

func nsOr(ns string) string {
	if ns == "" {
		return "unset"
	}
	return ns
}

// reportCycles finds strongly connected components (Tarjan) and reports
// each member's edge that stays inside its cycle.
func reportCycles(c *Pass, nodes map[string]*depNode, order []*depNode) {
	index := map[string]int{}
	low := map[string]int{}
	on := map[string]bool{}
	var stack []string
	next := 0
	var sccs [][]string
	var strong func(k string)
	strong = func(k string) {
		index[k], low[k] = next, next
		next++
		stack = append(stack, k)
		on[k] = true
		for _, e := range nodes[k].edges {
			if _, ok := nodes[e.to]; !ok {
				continue
			}
			if _, seen := index[e.to]; !seen {
				strong(e.to)
				low[k] = min(low[k], low[e.to])
			} else if on[e.to] {
				low[k] = min(low[k], index[e.to])
			}
		}
		if low[k] == index[k] {
			var comp []string
			for {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[top] = false
				comp = append(comp, top)
				if top == k {
					break
				}
			}
			self := false
			for _, e := range nodes[k].edges {
				if e.to == k {
					self = true
				}
			}
			if len(comp) > 1 || self {
				sccs = append(sccs, comp)
			}
		}
	}
	for _, n := range order {
		if _, seen := index[n.key]; !seen {
			strong(n.key)
		}
	}
	for _, comp := range sccs {
		in := map[string]bool{}
		var names []string
		for _, k := range comp {
			in[k] = true
			names = append(names, nodes[k].a.Obj.Name)
		}
		sort.Strings(names)
		for _, k := range comp {
			dn := nodes[k]
			if dn.a.Obj.View != c.Repo.View {
				continue
			}
			for _, e := range dn.edges {
				if !in[e.to] {
					continue
				}
				d := c.Report(catalog.FluxDependsOnCycle, dn.a.Obj.File, e.node,
					fmt.Sprintf("dependsOn forms a cycle between %s: none of them will ever become ready", strings.Join(names, ", ")))
				for _, other := range comp {
					if other == k {
						continue
					}
					o := nodes[other].a.Obj
					_, nn := yamlfile.GetKV(o.Node(), "metadata", "name")
					d.Related = append(d.Related, related("", o.File.Path, o.File, nn, o.Kind+" "+o.Name+" is in the cycle"))
				}
				break
			}
		}
	}
}
