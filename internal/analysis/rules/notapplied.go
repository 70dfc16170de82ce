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

var notAppliedCheck = &Check{
	Name:    "not-applied",
	Reports: []*catalog.Rule{catalog.FluxNotApplied},
	Run:     func(p *Pass) error { checkNotApplied(p); return nil },
}

func checkNotApplied(c *Pass) {
	listed := c.listed()
	for _, k := range sortedKustomizations(c.Repo) {
		if c.cancelled() {
			return
		}
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
			d := c.Report(catalog.FluxNotApplied, f, at, fmt.Sprintf("%s %s is not listed in %s, so Flux never applies it", first.Kind, first.Name, k.File.Path))
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
func checkNotAppliedBelow(c *Pass, k *model.KFile, listed map[string]bool) {
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
			d := c.Report(catalog.FluxNotApplied, f, at, fmt.Sprintf("%s %s is not listed in %s (which lists the other apps' %s), so Flux never applies it", first.Kind, first.Name, k.File.Path, name))
			if fx, ok := addResourceFix(k, rel); ok {
				d.Fixes = append(d.Fixes, fx)
			}
		}
	}
}

// misspeltEntry reports whether an entry of k names a file that does not
// exist and is close enough to p that kustomize/missing-file suggests p.
func misspeltEntry(c *Pass, k *model.KFile, p string) bool {
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

func reachedByAny(c *Pass, p string) bool {
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
