package rules

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	words "github.com/opencenter-cloud/gitops-hook/internal/analysis/suggest"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/view"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

func sortedKustomizations(r *model.Repo) []*model.KFile {
	ks := make([]*model.KFile, 0, len(r.Kustomizations))
	for _, k := range r.Kustomizations {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].Dir < ks[j].Dir })
	return ks
}

// entryProblem says what is wrong with an entry (nil rule when it is
// fine) and, for a misspelt name, the entry as it should be written.
func entryProblem(v *view.View, e *model.Entry) (rule *catalog.Rule, msg, respelt string) {
	switch {
	case e.Remote:
		return catalog.KustomizeRemoteResource, fmt.Sprintf("%s entry %q is remote: it is not fetched or checked, and the analysis renders without it", e.Field, e.Value), ""
	case e.Outside:
		return catalog.KustomizeOutsideRoot, fmt.Sprintf("%s entry %q resolves outside the repository root", e.Field, e.Value), ""
	}
	ok, isDir := v.Stat(e.Target)
	if !ok {
		msg := fmt.Sprintf("%s entry %q names nothing: %s does not exist", e.Field, e.Value, e.Target)
		if s := suggest(v, e.Target); s != "" {
			if respelt = respell(e, s); respelt != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", respelt)
			} else {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
		}
		return catalog.KustomizeMissingFile, msg, respelt
	}
	if isDir {
		switch e.Field {
		case "resources", "bases", "components":
			if model.FindKustomization(v, e.Target) == "" {
				return catalog.KustomizeMissingFile, fmt.Sprintf("%s entry %q is a folder without a kustomization.yaml; kustomize cannot build it (list its files, or add a kustomization.yaml there)", e.Field, e.Value), ""
			}
		default:
			return catalog.KustomizeMissingFile, fmt.Sprintf("%s entry %q is a folder; a file is expected", e.Field, e.Value), ""
		}
	}
	return nil, "", ""
}

// suggest finds a sibling whose name is close to the missing one.
func suggest(v *view.View, target string) string {
	dir, base := path.Split(target)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	if ok, isDir := v.Stat(dir); !ok || !isDir {
		return ""
	}
	// Compare the names without their extension: a shared ".yaml" is no
	// likeness ("monitor.yaml" is not a typo of "repository.yaml").
	//
	// Only one name may be that close: among svc-001's siblings svc-002 and
	// svc-011 are as near, and none is what was meant. Names that differ
	// only in their digits are other things of a series (node-1, node-2),
	// not misspellings.
	stem := strings.TrimSuffix(base, path.Ext(base))
	var names []string
	for _, e := range v.ReadDir(dir) {
		names = append(names, e.Name())
	}
	best := words.UniqueBy(names, len(stem)/3+1, func(name string) int {
		other := strings.TrimSuffix(name, path.Ext(name))
		if name == base || words.OnlyDigitsDiffer(other, stem) {
			return -1
		}
		return editDistance(other, stem) + extDistance(name, base)
	})
	if best == "" {
		return ""
	}
	return path.Join(dir, best)
}

// extDistance is 0 for the same extension or .yaml against .yml, else 1.
func extDistance(a, b string) int {
	ea, eb := path.Ext(a), path.Ext(b)
	if ea == eb || (view.IsYAML(a) && view.IsYAML(b)) {
		return 0
	}
	return 1
}

func editDistance(a, b string) int { return words.Distance(a, b) }

var kustomizeFiles = &Check{
	Name:    "kustomization-files",
	Reports: []*catalog.Rule{catalog.KustomizeMissingFile, catalog.KustomizeOutsideRoot, catalog.KustomizeRemoteResource, catalog.KustomizeDeprecatedField},
	Run:     func(p *Pass) error { checkKustomizationFiles(p); return nil },
}

func checkKustomizationFiles(c *Pass) {
	for _, k := range sortedKustomizations(c.Repo) {
		if c.cancelled() {
			return
		}
		for _, e := range k.Entries {
			if rule, msg, w := entryProblem(k.View, e); rule != nil {
				d := c.Report(rule, k.File, e.Node, msg)
				if w != "" {
					d.Fixes = append(d.Fixes, diag.Fix{Title: "Use " + w, Kind: diag.Safe, Edits: []diag.Edit{Replace(k.File, e.Node, keepQuotes(e.Node, w))}})
				}
				if rule == catalog.KustomizeMissingFile && bootstrapFolder(c, k, e) {
					d.Severity = diag.Info
					d.Message = fmt.Sprintf("%s does not exist yet: flux bootstrap creates and commits it; until then this kustomization does not build", e.Target)
				}
			}
		}
		checkDeprecated(c, k)
		checkRemoteConfigs(c, k)
	}
	// Entries inside external bases are reported at the pull that reads them.
	seen := map[string]bool{}
	for _, cl := range c.Clusters {
		for _, be := range cl.BaseIssues {
			rule, msg, _ := entryProblem(be.K.View, be.Entry)
			if rule == nil {
				continue
			}
			p := be.Pull
			key := p.K.Obj.File.Path + "\x00" + fmt.Sprint(p.K.Obj.Doc.Index) + "\x00" + be.K.File.Path + be.Entry.Value
			if seen[key] {
				continue
			}
			seen[key] = true
			f := p.K.Obj.File
			d := c.Report(rule, f, p.PathNode, fmt.Sprintf("in %s: %s", pullLabel(p), msg))
			d.Related = append(d.Related, related(pullLabel(p), be.K.File.Path, be.K.File, be.Entry.Node, "entry in the base"))
		}
	}
}

func checkDeprecated(c *Pass, k *model.KFile) {
	if k.Root == nil {
		return
	}
	has := func(key string) bool { kk, _ := yamlfile.GetKV(k.Root, key); return kk != nil }
	yamlfile.Pairs(k.Root, func(key, val *yaml.Node) {
		var msg string
		var fixes []diag.Fix
		switch key.Value {
		case "bases":
			msg = "bases is deprecated: list these entries under resources"
			if !has("resources") {
				fixes = append(fixes, diag.Fix{Title: "Rename bases to resources", Kind: diag.Safe, Edits: []diag.Edit{Replace(k.File, key, "resources")}})
			}
		case "patchesStrategicMerge":
			msg = "patchesStrategicMerge is deprecated: use patches with path: entries"
			if !has("patches") {
				if fx, ok := psmFix(k, key, val); ok {
					fixes = append(fixes, fx)
				}
			}
		case "patchesJson6902":
			msg = "patchesJson6902 is deprecated: use patches (same target and path fields)"
			if !has("patches") {
				fixes = append(fixes, diag.Fix{Title: "Rename patchesJson6902 to patches", Kind: diag.Safe, Edits: []diag.Edit{Replace(k.File, key, "patches")}})
			}
		case "vars":
			msg = "vars is deprecated: use replacements"
		case "commonLabels":
			msg = "commonLabels is deprecated: use labels with includeSelectors: true"
		default:
			return
		}
		c.Report(catalog.KustomizeDeprecatedField, k.File, key, msg, fixes...)
	})
}

func psmFix(k *model.KFile, key, val *yaml.Node) (diag.Fix, bool) {
	fx := diag.Fix{Title: "Rewrite patchesStrategicMerge as patches", Kind: diag.Safe, Edits: []diag.Edit{Replace(k.File, key, "patches")}}
	if val.Kind != yaml.SequenceNode || val.Style&yaml.FlowStyle != 0 {
		return fx, false
	}
	for _, it := range val.Content {
		if it.Kind != yaml.ScalarNode || strings.Contains(it.Value, "\n") {
			return fx, false
		}
		fx.Edits = append(fx.Edits, Replace(k.File, it, "path: "+it.Value))
	}
	return fx, true
}

// bootstrapFolder reports whether e is the flux-system folder of a cluster
// root, which flux bootstrap writes and a template repository lacks.
func bootstrapFolder(c *Pass, k *model.KFile, e *model.Entry) bool {
	if path.Base(e.Target) != "flux-system" || e.Field != "resources" {
		return false
	}
	for _, cl := range c.Clusters {
		if cl.Root == k.Dir {
			return true
		}
	}
	return false
}

// respell rewrites the entry's text for target s, a sibling of the entry's
// target: only the last path element changes, so "./", "../" and a
// generator's "key=" stay as written.
func respell(e *model.Entry, s string) string {
	if e.Node == nil || path.Dir(s) != path.Dir(e.Target) {
		return ""
	}
	old, repl := path.Base(e.Target), path.Base(s)
	i := strings.LastIndex(e.Node.Value, old)
	if i < 0 || i+len(old) != len(strings.TrimSuffix(e.Node.Value, "/")) {
		return ""
	}
	return e.Node.Value[:i] + repl + e.Node.Value[i+len(old):]
}
