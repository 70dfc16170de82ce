package rules

import (
	"fmt"
	"path"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// repoPulls yields each cluster's pulls whose Kustomization is written in
// the repository itself.
func repoPulls(c *Pass, fn func(cl *model.Cluster, p *model.Pull)) {
	for _, cl := range c.Clusters {
		if c.cancelled() {
			return
		}
		for _, p := range cl.Pulls {
			if p.K.Obj.View == c.Repo.View {
				fn(cl, p)
			}
		}
	}
}

var pulls = &Check{
	Name:    "flux-paths-and-sources",
	Reports: []*catalog.Rule{catalog.FluxSourceNotFound, catalog.FluxPathNotFound, catalog.FluxPathOtherCluster, catalog.KustomizeOutsideRoot},
	Run:     func(p *Pass) error { checkPulls(p); return nil },
}

func checkPulls(c *Pass) {
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
			c.Report(catalog.FluxSourceNotFound, o.File, nn, sourceMissingMessage(c, cl, kind, name, ns))
			return
		}
		if p.View == nil || p.Skipped != "" {
			return
		}
		if p.PathNode == nil {
			if p.External {
				k, _ := yamlfile.GetKV(o.Node(), "spec")
				c.Report(catalog.FluxPathNotFound, o.File, k, fmt.Sprintf("Kustomization %s has no spec.path: it would apply the whole of %s", o.Name, pullLabel(p)))
			}
			return
		}
		if strings.HasPrefix(p.Path, "..") {
			c.Report(catalog.KustomizeOutsideRoot, o.File, p.PathNode, fmt.Sprintf("path %q leaves the source's root; Flux refuses it", p.PathNode.Value))
			return
		}
		if !p.External {
			if other := otherCluster(c, cl, p.Path); other != "" {
				if ok, _ := c.Repo.View.Stat(path.Join(c.Repo.OverlayRoot, other)); ok {
					fixed := rewriteCluster(c, p.Path, other, cl.Name)
					d := c.Report(catalog.FluxPathOtherCluster, o.File, p.PathNode,
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
			c.Report(catalog.FluxPathNotFound, o.File, p.PathNode,
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
					c.Report(catalog.FluxPathNotFound, o.File, p.PathNode, msg, fixes...)
					return
				}
				msg += fmt.Sprintf("; did you mean %q?", s)
				fixes = append(fixes, diag.Fix{Title: "Use " + s, Kind: kind, Edits: []diag.Edit{Replace(o.File, p.PathNode, keepStyle(o.File, p.PathNode, s))}})
			}
		}
		c.Report(catalog.FluxPathNotFound, o.File, p.PathNode, msg, fixes...)
	})
	checkHelmSources(c)
}

func sourceMissingMessage(c *Pass, cl *model.Cluster, kind, name, ns string) string {
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
func otherCluster(c *Pass, cl *model.Cluster, p string) string {
	if c.Repo.OverlayRoot == "" || c.Repo.ClusterOf(cl.Root) == "" {
		return ""
	}
	b := c.Repo.ClusterOf(p)
	if b == "" || b == cl.Name {
		return ""
	}
	return b
}

func rewriteCluster(c *Pass, p, from, to string) string {
	prefix := c.Repo.OverlayRoot + "/" + from
	return c.Repo.OverlayRoot + "/" + to + strings.TrimPrefix(p, prefix)
}

// keepStyle keeps a leading "./" and the quoting of the original value.
func keepStyle(f *yamlfile.File, n *yaml.Node, p string) string {
	if strings.HasPrefix(n.Value, "./") {
		p = "./" + p
	}
	return keepQuotes(n, p)
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

func checkHelmSources(c *Pass) {
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
				c.Report(catalog.FluxSourceNotFound, o.File, sourceRefAt(cl, ref, kind, name, ns), sourceMissingMessage(c, cl, kind, name, ns))
			}
		}
	}
}

// orRoot writes the root folder "" as ".".
func orRoot(d string) string {
	if d == "" {
		return "."
	}
	return d
}
