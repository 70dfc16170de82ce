package rules

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// removedAPIs maps apiVersions removed in Flux 2.7/2.8 to their replacement.
var removedAPIs = map[string]string{
	"kustomize.toolkit.fluxcd.io/v1beta1": "kustomize.toolkit.fluxcd.io/v1",
	"kustomize.toolkit.fluxcd.io/v1beta2": "kustomize.toolkit.fluxcd.io/v1",
	"source.toolkit.fluxcd.io/v1beta1":    "source.toolkit.fluxcd.io/v1",
	"source.toolkit.fluxcd.io/v1beta2":    "source.toolkit.fluxcd.io/v1",
	"helm.toolkit.fluxcd.io/v2beta1":      "helm.toolkit.fluxcd.io/v2",
	"helm.toolkit.fluxcd.io/v2beta2":      "helm.toolkit.fluxcd.io/v2",
}

// removedFields lists fields removed at GA, per kind, as paths under spec.
var removedFields = map[string][][]string{
	"Kustomization": {{"spec", "patchesStrategicMerge"}, {"spec", "patchesJson6902"}, {"spec", "validation"}},
	"HelmRelease":   {{"spec", "chart", "spec", "valuesFile"}},
	"GitRepository": {{"spec", "gitImplementation"}, {"spec", "accessFrom"}},
}

var gitURLRE = regexp.MustCompile(`^(http|https|ssh)://`)

// repoObjects lists the objects written in the repository itself, in file order.
func repoObjects(c *Context) []*model.Object { return c.Repo.Objects }

func checkFluxObjects(c *Context) {
	patches := c.Repo.PatchFiles()
	for _, o := range repoObjects(c) {
		if !o.IsFlux() {
			continue
		}
		n := o.Node()
		if repl, ok := removedAPIs[o.APIVersion]; ok {
			_, v := yamlfile.GetKV(n, "apiVersion")
			c.At("flux/api-removed", o.File, v,
				fmt.Sprintf("%s was removed in Flux 2.7/2.8; use %s (and migrate its removed fields)", o.APIVersion, repl),
				diag.Fix{Title: "Migrate to " + repl, Kind: diag.Safe, Edits: []diag.Edit{Replace(o.File, v, repl)}})
		}
		for _, fp := range removedFields[o.Kind] {
			if k, _ := yamlfile.GetKV(n, fp...); k != nil {
				c.At("flux/field-removed", o.File, k, fmt.Sprintf("%s.%s was removed at Flux GA; %s", o.Kind, strings.Join(fp, "."), removedFieldAdvice(fp[len(fp)-1])))
			}
		}
		if k, v := yamlfile.GetKV(n, "spec", "suspend"); k != nil && v.Value == "true" {
			c.At("flux/suspended", o.File, v,
				fmt.Sprintf("%s %s is committed with suspend: true, so Flux does not reconcile it (a rollback left behind?)", o.Kind, o.Name),
				diag.Fix{Title: "Set suspend: false", Edits: []diag.Edit{Replace(o.File, v, "false")}})
		}
		if o.Kind == "GitRepository" {
			if _, v := yamlfile.GetKV(n, "spec", "url"); yamlfile.IsScalar(v) && !gitURLRE.MatchString(v.Value) {
				c.At("flux/git-url", o.File, v, gitURLMessage(v.Value))
			}
		}
		if o.Kind == "HelmRelease" {
			ck, _ := yamlfile.GetKV(n, "spec", "chart")
			rk, _ := yamlfile.GetKV(n, "spec", "chartRef")
			switch {
			case ck != nil && rk != nil:
				c.At("flux/helmrelease-chart", o.File, rk, fmt.Sprintf("HelmRelease %s sets both chart and chartRef; keep exactly one", o.Name))
			case ck == nil && rk == nil && !patches[o.File.Path]:
				// A patch (values for one environment) is merged into a
				// HelmRelease that has the chart.
				sk, _ := yamlfile.GetKV(n, "spec")
				if sk == nil {
					sk, _ = yamlfile.GetKV(n, "kind")
				}
				c.At("flux/helmrelease-chart", o.File, sk, fmt.Sprintf("HelmRelease %s sets neither chart nor chartRef; it has nothing to install", o.Name))
			}
		}
	}
}

func removedFieldAdvice(field string) string {
	switch field {
	case "patchesStrategicMerge", "patchesJson6902":
		return "move the patches to spec.patches"
	case "validation":
		return "remove it (server-side apply always validates)"
	case "valuesFile":
		return "use spec.chart.spec.valuesFiles"
	case "gitImplementation":
		return "remove it (go-git is the only implementation)"
	case "accessFrom":
		return "remove it"
	}
	return "remove it"
}

func gitURLMessage(u string) string {
	msg := fmt.Sprintf("url %q is not http://, https:// or ssh://; Flux rejects it", u)
	if at := strings.Index(u, "@"); at >= 0 {
		if colon := strings.Index(u[at:], ":"); colon > 0 {
			host := u[at+1 : at+colon]
			rest := u[at+colon+1:]
			msg += fmt.Sprintf(" (write it as ssh://%s/%s)", u[:at+1]+host, rest)
		}
	}
	return msg
}

// repoPulls yields each cluster's pulls whose Kustomization is written in
// the repository itself.
func repoPulls(c *Context, fn func(cl *model.Cluster, p *model.Pull)) {
	for _, cl := range c.Clusters {
		for _, p := range cl.Pulls {
			if p.K.Obj.View == c.Repo.View {
				fn(cl, p)
			}
		}
	}
}

func checkPulls(c *Context) {
	repoPulls(c, func(cl *model.Cluster, p *model.Pull) {
		o := p.K.Obj
		if p.Missing {
			kind, name, ns := model.SourceRef(yamlfile.Get(o.Node(), "spec", "sourceRef"), p.K.Namespace)
			if definedButCutOff(c, cl, kind, name) || strings.Contains(name, "${") {
				return // the broken path that should apply it is the root cause
			}
			_, nn := yamlfile.GetKV(o.Node(), "spec", "sourceRef", "name")
			if nn == nil {
				nn, _ = yamlfile.GetKV(o.Node(), "spec", "sourceRef")
			}
			if kind == "" {
				kind = "GitRepository"
			}
			if n := sourceRefAt(cl, yamlfile.Get(o.Node(), "spec", "sourceRef"), kind, name, ns); n != nil {
				nn = n
			}
			c.At("flux/source-not-found", o.File, nn, sourceMissingMessage(c, cl, kind, name, ns))
			return
		}
		if p.View == nil || p.Skipped != "" {
			return
		}
		if p.PathNode == nil {
			if p.External {
				k, _ := yamlfile.GetKV(o.Node(), "spec")
				c.At("flux/path-not-found", o.File, k, fmt.Sprintf("Kustomization %s has no spec.path: it would apply the whole of %s", o.Name, pullLabel(p)))
			}
			return
		}
		if strings.HasPrefix(p.Path, "..") {
			c.At("kustomize/outside-root", o.File, p.PathNode, fmt.Sprintf("path %q leaves the source's root; Flux refuses it", p.PathNode.Value))
			return
		}
		if !p.External {
			if other := otherCluster(c, cl, p.Path); other != "" {
				if ok, _ := c.Repo.View.Stat(path.Join(c.Repo.OverlayRoot, other)); ok {
					fixed := rewriteCluster(c, p.Path, other, cl.Name)
					d := c.At("flux/path-other-cluster", o.File, p.PathNode,
						fmt.Sprintf("Kustomization %s is applied to cluster %s but its path points into %s's overlay (copied from %s?)", o.Name, cl.Name, other, other))
					d.Fixes = append(d.Fixes, diag.Fix{Title: "Point the path at " + cl.Name, Edits: []diag.Edit{Replace(o.File, p.PathNode, keepStyle(o.File, p.PathNode, fixed))}})
					return
				}
			}
		}
		if p.PathOK {
			return
		}
		where := "this repository"
		if p.External {
			where = pullLabel(p)
		}
		if len(p.Artifact) > 0 {
			c.At("flux/path-not-found", o.File, p.PathNode,
				fmt.Sprintf("path %q is in no folder of ExternalArtifact %s, which holds %s (see the copy rules of ArtifactGenerator %s)",
					p.PathNode.Value, yamlfile.Str(o.Node(), "spec", "sourceRef", "name"), strings.Join(p.Artifact, ", "), p.Source.Obj.Name))
			return
		}
		if p.Copied != nil {
			where = fmt.Sprintf("ExternalArtifact %s (which holds %s/ of this repository at %s/)", yamlfile.Str(o.Node(), "spec", "sourceRef", "name"), orRoot(p.Copied.From), orRoot(p.Copied.To))
		}
		msg := fmt.Sprintf("path %q does not exist in %s", p.PathNode.Value, where)
		if exists, _ := p.View.Stat(p.Path); exists {
			msg = fmt.Sprintf("path %q in %s is a file; spec.path must name a folder (the file's folder is %q)", p.PathNode.Value, where, path.Dir(p.Path))
		}
		var fixes []diag.Fix
		if !p.External {
			if other := otherCluster(c, cl, p.Path); other != "" {
				fixed := rewriteCluster(c, p.Path, other, cl.Name)
				if ok, _ := c.Repo.View.Stat(fixed); ok {
					msg += fmt.Sprintf("; this Kustomization belongs to cluster %s: did you mean %q?", cl.Name, "./"+fixed)
					fixes = append(fixes, diag.Fix{Title: "Point the path at " + cl.Name, Edits: []diag.Edit{Replace(o.File, p.PathNode, keepStyle(o.File, p.PathNode, fixed))}})
				} else {
					msg += fmt.Sprintf(" (there is no cluster %q; this Kustomization belongs to %s)", other, cl.Name)
				}
			}
		}
		if len(fixes) == 0 {
			if s, kind := suggestDir(p.View, p.Path); s != "" {
				// spec.path is read inside the artifact; a folder the
				// artifact does not hold is no suggestion.
				var held bool
				if s, held = p.InArtifact(s); !held {
					s = ""
				}
				if s == "" {
					c.At("flux/path-not-found", o.File, p.PathNode, msg, fixes...)
					return
				}
				msg += fmt.Sprintf("; did you mean %q?", s)
				fixes = append(fixes, diag.Fix{Title: "Use " + s, Kind: kind, Edits: []diag.Edit{Replace(o.File, p.PathNode, keepStyle(o.File, p.PathNode, s))}})
			}
		}
		c.At("flux/path-not-found", o.File, p.PathNode, msg, fixes...)
	})
	checkHelmSources(c)
}

func sourceMissingMessage(c *Context, cl *model.Cluster, kind, name, ns string) string {
	msg := fmt.Sprintf("sourceRef %s %q", kind, name)
	if ns != "" {
		msg += fmt.Sprintf(" (namespace %s)", ns)
	}
	msg += fmt.Sprintf(" matches no source applied to cluster %s", cl.Name)
	if a := otherNamespace(cl, kind, name, ns); a != nil {
		return msg + fmt.Sprintf("; %s %s is applied in namespace %s", kind, name, nsOr(a.Namespace))
	}
	for _, o := range c.Repo.Objects {
		if o.Kind == kind && o.Name == name {
			return msg + fmt.Sprintf("; it is defined in %s, which this cluster does not apply", o.File.Path)
		}
	}
	best, bestD := "", len(name)/3+1
	for _, a := range cl.Applied {
		if a.Obj.Kind == kind {
			if d := editDistance(a.Obj.Name, name); d <= bestD {
				best, bestD = a.Obj.Name, d
			}
		}
	}
	if best != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", best)
	}
	return msg
}

// otherNamespace returns the source of that kind and name the cluster
// applies in another namespace than ns, if any.
func otherNamespace(cl *model.Cluster, kind, name, ns string) *model.Applied {
	for _, a := range cl.Applied {
		if a.Obj.Kind == kind && a.Obj.Name == name && a.Namespace != ns {
			return a
		}
	}
	return nil
}

// sourceRefAt is where a sourceRef that matches nothing is reported: at
// its namespace when only the namespace is wrong, else at its name.
func sourceRefAt(cl *model.Cluster, ref *yaml.Node, kind, name, ns string) *yaml.Node {
	if _, n := yamlfile.GetKV(ref, "namespace"); n != nil && otherNamespace(cl, kind, name, ns) != nil {
		return n
	}
	_, n := yamlfile.GetKV(ref, "name")
	return n
}

// otherCluster returns B when p points into applications/overlays/B/ and B
// is not cl.
func otherCluster(c *Context, cl *model.Cluster, p string) string {
	if c.Repo.OverlayRoot == "" || c.Repo.ClusterOf(cl.Root) == "" {
		return ""
	}
	b := c.Repo.ClusterOf(p)
	if b == "" || b == cl.Name {
		return ""
	}
	return b
}

func rewriteCluster(c *Context, p, from, to string) string {
	prefix := c.Repo.OverlayRoot + "/" + from
	return c.Repo.OverlayRoot + "/" + to + strings.TrimPrefix(p, prefix)
}

// keepStyle keeps a leading "./" and the quoting of the original value.
func keepStyle(f *yamlfile.File, n *yaml.Node, p string) string {
	if strings.HasPrefix(n.Value, "./") {
		p = "./" + p
	}
	switch n.Style {
	case yaml.DoubleQuotedStyle:
		return `"` + p + `"`
	case yaml.SingleQuotedStyle:
		return "'" + p + "'"
	}
	return p
}

// suggestDir finds a folder close to a missing path: a sibling with a
// similar name, or a folder of the same name one level deeper (the base
// moved kube-prometheus-stack under observability/).
func suggestDir(v *view.View, p string) (string, diag.FixKind) {
	if s := suggest(v, p); s != "" {
		if ok, isDir := v.Stat(s); ok && isDir {
			return s, diag.Safe // the close match of a misspelt name
		}
	}
	parent, base := path.Dir(p), path.Base(p)
	for _, e := range v.ReadDir(parent) {
		if !e.IsDir() {
			continue
		}
		cand := path.Join(parent, e.Name(), base)
		if ok, isDir := v.Stat(cand); ok && isDir {
			return cand, diag.Choice // a guess: the folder may have moved
		}
	}
	// Or moved up one level.
	if gp := path.Dir(parent); gp != parent {
		cand := path.Join(gp, base)
		if ok, isDir := v.Stat(cand); ok && isDir && cand != p {
			return cand, diag.Choice
		}
	}
	return "", diag.Choice
}

func checkHelmSources(c *Context) {
	for _, cl := range c.Clusters {
		for _, a := range cl.Applied {
			o := a.Obj
			if o.View != c.Repo.View || !o.Is("helm", "HelmRelease") {
				continue
			}
			for _, refPath := range [][]string{{"spec", "chart", "spec", "sourceRef"}, {"spec", "chartRef"}} {
				ref := yamlfile.Get(o.Node(), refPath...)
				if ref == nil {
					continue
				}
				kind, name, ns := model.SourceRef(ref, a.Namespace)
				if kind == "" || name == "" || !model.IsSourceKind(kind) {
					continue
				}
				if cl.FindSource(kind, name, ns) != nil || strings.Contains(name, "${") || cl.HasUnresolved() {
					continue // found, templated, or possibly behind a pull that could not be followed
				}
				if definedButCutOff(c, cl, kind, name) {
					continue
				}
				c.At("flux/source-not-found", o.File, sourceRefAt(cl, ref, kind, name, ns), sourceMissingMessage(c, cl, kind, name, ns))
			}
		}
	}
}

func checkNotApplied(c *Context) {
	listed := c.listed()
	for _, k := range sortedKustomizations(c.Repo) {
		for _, e := range c.Repo.View.ReadDir(k.Dir) {
			p := path.Join(k.Dir, e.Name())
			if e.IsDir() || !view.IsYAML(p) || model.IsKustomizationFile(p) || listed[p] {
				continue
			}
			f, first := firstObject(c, p, (*model.Object).IsFlux)
			if first == nil {
				continue
			}
			_, at := yamlfile.GetKV(first.Node(), "metadata", "name")
			if at == nil {
				at, _ = yamlfile.GetKV(first.Node(), "kind")
			}
			if commentedOut(k, e.Name()) {
				continue // listed but commented out: switched off on purpose
			}
			if misspeltEntry(c, k, p) {
				continue // kustomize/missing-file suggests this file
			}
			d := c.At("flux/not-applied", f, at, fmt.Sprintf("%s %s is not listed in %s, so Flux never applies it", first.Kind, first.Name, k.File.Path))
			if fx, ok := addResourceFix(k, e.Name()); ok {
				d.Fixes = append(d.Fixes, fx)
			}
		}
		checkNotAppliedBelow(c, k, listed)
	}
}

// checkNotAppliedBelow covers the layout where a kustomization lists one
// Flux Kustomization file per app folder ("- ./grafana/ks.yaml"): an app
// folder without a kustomization.yaml whose file of that name is listed
// nowhere, and read by no build, is never applied.
func checkNotAppliedBelow(c *Context, k *model.KFile, listed map[string]bool) {
	names := map[string]bool{} // base names listed as <k.Dir>/<app>/<name>
	for _, e := range k.Entries {
		if e.Field != "resources" || e.Target == "" {
			continue
		}
		if dir := path.Dir(e.Target); path.Dir(dir) == k.Dir && view.IsYAML(e.Target) {
			names[path.Base(e.Target)] = true
		}
	}
	if len(names) == 0 {
		return
	}
	for _, sub := range c.Repo.View.ReadDir(k.Dir) {
		dir := path.Join(k.Dir, sub.Name())
		if !sub.IsDir() || strings.HasPrefix(sub.Name(), ".") || listed[dir] || c.Repo.Kustomizations[dir] != nil {
			continue
		}
		for name := range names {
			p := path.Join(dir, name)
			if listed[p] || reachedByAny(c, p) {
				continue
			}
			f, first := firstObject(c, p, (*model.Object).IsFluxKustomization)
			if first == nil || commentedOut(k, path.Join(sub.Name(), name)) {
				continue
			}
			_, at := yamlfile.GetKV(first.Node(), "metadata", "name")
			if at == nil {
				at, _ = yamlfile.GetKV(first.Node(), "kind")
			}
			rel := path.Join(sub.Name(), name)
			d := c.At("flux/not-applied", f, at, fmt.Sprintf("%s %s is not listed in %s (which lists the other apps' %s), so Flux never applies it", first.Kind, first.Name, k.File.Path, name))
			if fx, ok := addResourceFix(k, rel); ok {
				d.Fixes = append(d.Fixes, fx)
			}
		}
	}
}

// misspeltEntry reports whether an entry of k names a file that does not
// exist and is close enough to p that kustomize/missing-file suggests p.
func misspeltEntry(c *Context, k *model.KFile, p string) bool {
	for _, e := range k.Entries {
		if e.Target == "" || e.Remote || e.Outside {
			continue
		}
		if ok, _ := c.Repo.View.Stat(e.Target); !ok && suggest(c.Repo.View, e.Target) == p {
			return true
		}
	}
	return false
}

func reachedByAny(c *Context, p string) bool {
	for _, cl := range c.Clusters {
		if cl.Reaches(c.Repo.View, p) {
			return true
		}
	}
	return false
}

// listedFiles is every file some kustomization in the repository names.
func listedFiles(c *Context) map[string]bool {
	out := map[string]bool{}
	for _, k := range c.Repo.Kustomizations {
		for _, e := range k.Entries {
			if e.Target != "" {
				out[e.Target] = true
			}
		}
	}
	return out
}

// addResourceFix inserts "- ./name" at the end of a kustomization's resources.
func addResourceFix(k *model.KFile, rel string) (diag.Fix, bool) {
	f := k.File
	title := fmt.Sprintf("Add %s to %s", rel, f.Path)
	entry := "./" + rel
	rk, rv := yamlfile.GetKV(k.Root, "resources")
	if rk == nil {
		end := f.PosOffset(len(f.Src))
		prefix := ""
		if len(f.Src) > 0 && f.Src[len(f.Src)-1] != '\n' {
			prefix = "\n"
		}
		return diag.Fix{Title: title, Edits: []diag.Edit{{File: f.Path, Range: diag.Range{Start: end, End: end}, NewText: prefix + "resources:\n  - " + entry + "\n"}}}, true
	}
	if rv.Kind != yaml.SequenceNode || rv.Style&yaml.FlowStyle != 0 || len(rv.Content) == 0 {
		return diag.Fix{}, false
	}
	last := rv.Content[len(rv.Content)-1]
	lastLine := f.NodeRange(last).End.Line
	itemCol := f.PosAt(last.Line, last.Column)
	// The "- " sits two columns before the item's value.
	indent := strings.Repeat(" ", max(0, last.Column-3))
	quote := ""
	if last.Style == yaml.DoubleQuotedStyle {
		quote = `"`
	}
	_ = itemCol
	at := f.PosAt(lastLine+1, 1)
	text := indent + "- " + quote + entry + quote + "\n"
	if lastLine >= f.LineCount() {
		at = f.PosOffset(len(f.Src))
		if len(f.Src) > 0 && f.Src[len(f.Src)-1] != '\n' {
			text = "\n" + text
		}
	}
	return diag.Fix{Title: title, Edits: []diag.Edit{{File: f.Path, Range: diag.Range{Start: at, End: at}, NewText: text}}}, true
}

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

func checkDependsOn(c *Context) {
	for _, cl := range c.Clusters {
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
							c.At("flux/dependson-not-found", a.Obj.File, nn, msg)
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
func reportCycles(c *Context, nodes map[string]*depNode, order []*depNode) {
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
				d := c.At("flux/dependson-cycle", dn.a.Obj.File, e.node,
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

// IsSOPS reports whether a document is SOPS-encrypted.
func IsSOPS(n *yaml.Node) bool {
	return yamlfile.Get(n, "sops") != nil && (yamlfile.Get(n, "sops", "mac") != nil || yamlfile.Get(n, "sops", "age") != nil || yamlfile.Get(n, "sops", "pgp") != nil || yamlfile.Get(n, "sops", "kms") != nil || yamlfile.Get(n, "sops", "encrypted_regex") != nil || yamlfile.Get(n, "sops", "lastmodified") != nil)
}

func checkDecryption(c *Context) {
	repoPulls(c, func(cl *model.Cluster, p *model.Pull) {
		if yamlfile.Get(p.K.Obj.Node(), "spec", "decryption") != nil || p.View == nil || patchedByParent(p.K, "decryption") {
			return
		}
		for _, a := range cl.Applied {
			if a.Via != p || !IsSOPS(a.Obj.Node()) {
				continue
			}
			o := p.K.Obj
			at := p.PathNode
			if at == nil {
				at, _ = yamlfile.GetKV(o.Node(), "spec")
			}
			d := c.At("flux/decryption-missing", o.File, at,
				fmt.Sprintf("Kustomization %s applies SOPS-encrypted %s but has no spec.decryption: Flux would apply the ciphertext", o.Name, a.Obj.File.Path))
			d.Related = append(d.Related, related(labelOf(a), a.Obj.File.Path, a.Obj.File, nil, "encrypted file"))
			if fx, ok := decryptionFix(o); ok {
				d.Fixes = append(d.Fixes, fx)
			}
			return
		}
	})
}

func labelOf(a *model.Applied) string {
	if a.Via == nil || !a.Via.External {
		return ""
	}
	return pullLabel(a.Via)
}

func decryptionFix(o *model.Object) (diag.Fix, bool) {
	sk, sv := yamlfile.GetKV(o.Node(), "spec")
	if sk == nil || sv.Kind != yaml.MappingNode || len(sv.Content) == 0 || sv.Style&yaml.FlowStyle != 0 {
		return diag.Fix{}, false
	}
	first := sv.Content[0]
	indent := strings.Repeat(" ", first.Column-1)
	at := o.File.PosAt(first.Line, 1)
	text := indent + "decryption:\n" + indent + "  provider: sops\n" + indent + "  secretRef:\n" + indent + "    name: sops-age\n"
	return diag.Fix{Title: "Add SOPS decryption", Edits: []diag.Edit{{File: o.File.Path, Range: diag.Range{Start: at, End: at}, NewText: text}}}, true
}

// pullLabel names the source and ref a pull reads, as "name@ref".
func pullLabel(p *model.Pull) string {
	if p.Source == nil {
		return "this repository"
	}
	return p.Source.Obj.Name + "@" + strings.TrimPrefix(p.Ref, "branch ")
}

// definedButCutOff reports whether a missing source is written in the
// repository while the cluster has a Flux path that does not resolve: the
// source is most likely behind that path, which is reported instead.
func definedButCutOff(c *Context, cl *model.Cluster, kind, name string) bool {
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
func inUnparsed(c *Context, cl *model.Cluster, name string) bool {
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
func underNotApplied(c *Context, file string) bool {
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
func notApplied(c *Context, file string) bool {
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

// firstObject returns a repository file and its first object that
// matches, or a nil object.
func firstObject(c *Context, p string, match func(*model.Object) bool) (*yamlfile.File, *model.Object) {
	f, err := c.Repo.View.YAML(p)
	if err != nil {
		return nil, nil
	}
	for _, o := range c.Repo.ObjectsIn(c.Repo.View, f) {
		if match(o) {
			return f, o
		}
	}
	return f, nil
}

// orRoot writes the root folder "" as ".".
func orRoot(d string) string {
	if d == "" {
		return "."
	}
	return d
}
