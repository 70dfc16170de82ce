package rules

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/opencenter-cloud/gitops-hook/internal/analysis/catalog"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/config"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/diag"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/gitsrc"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/model"
	"github.com/opencenter-cloud/gitops-hook/internal/analysis/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

func gitRepositories(c *Pass) []*model.Object {
	var out []*model.Object
	for _, o := range c.Repo.Objects {
		if o.Is("source", "GitRepository") {
			out = append(out, o)
		}
	}
	return out
}

// quoted renders a tag as a double-quoted YAML string.
func quoted(tag string) string { return strconv.Quote(tag) }

var tags = &Check{
	Name:    "tags",
	Reports: []*catalog.Rule{catalog.TagNotAString, catalog.TagUnpinned, catalog.TagNotFound, catalog.TagUnverified, catalog.TagMixed, catalog.TagOrder, catalog.TagRejected, catalog.TagUpdateAvailable},
	Run:     func(p *Pass) error { checkTags(p); return nil },
}

func checkTags(c *Pass) {
	unverified := map[string]bool{}
	for _, o := range gitRepositories(c) {
		if c.cancelled() {
			return
		}
		n := o.Node()
		_, tagNode := yamlfile.GetKV(n, "spec", "ref", "tag")
		if tagNode != nil && tagNode.Kind == yaml.ScalarNode && tagNode.Tag != "!!str" && tagNode.Style == 0 {
			raw := string(o.File.Src[o.File.NodeRange(tagNode).Start.Offset:o.File.NodeRange(tagNode).End.Offset])
			reading := numericReading(tagNode)
			msg := fmt.Sprintf("ref.tag %s is not quoted, so YAML reads it as the number %s, not the tag %q; quote it", raw, reading, raw)
			if reading == raw {
				msg = fmt.Sprintf("ref.tag %s is not quoted, so YAML reads it as a number while Flux needs a string (2026.10 would even become 2026.1); quote it", raw)
			}
			c.Report(catalog.TagNotAString, o.File, tagNode, msg,
				diag.Fix{Title: "Quote the tag", Kind: diag.Safe, Edits: []diag.Edit{Replace(o.File, tagNode, quoted(raw))}})
			continue // the pin is unusable until quoted: nothing else to say about it
		}
		st := c.Sources.State(c.Ctx, o)
		if st == nil || st.ThisRepo || st.URL == "" || !gitURLRE.MatchString(st.URL) {
			continue // an invalid url is reported by flux/git-url
		}
		ref := st.Ref
		if ref.Tag == "" && ref.Commit == "" && ref.Semver == "" && ref.Name == "" {
			at, _ := yamlfile.GetKV(n, "spec", "ref", "branch")
			if at == nil {
				at, _ = yamlfile.GetKV(n, "spec", "ref")
			}
			if at == nil {
				at, _ = yamlfile.GetKV(n, "spec", "url")
			}
			what := "has no ref"
			if ref.Branch != "" {
				what = fmt.Sprintf("follows branch %s", ref.Branch)
			}
			msg := fmt.Sprintf("GitRepository %s %s of %s: every push there reaches this cluster untested; pin a release tag", o.Name, what, st.URL)
			var fixes []diag.Fix
			if st.Repo != nil && st.Repo.Newest() != "" {
				newest := st.Repo.Newest()
				msg += fmt.Sprintf(" (newest: %s)", newest)
				if bk, bv := yamlfile.GetKV(n, "spec", "ref", "branch"); bk != nil {
					fixes = append(fixes, diag.Fix{Title: "Pin tag " + newest, Edits: []diag.Edit{Replace(o.File, bk, "tag"), Replace(o.File, bv, quoted(newest))}})
				}
			}
			c.Report(catalog.TagUnpinned, o.File, at, msg, fixes...)
		}
		if st.Repo == nil {
			key := config.NormalizeURL(st.URL)
			if !unverified[key] {
				unverified[key] = true
				_, un := yamlfile.GetKV(n, "spec", "url")
				reason := "offline, no mirror and no cache"
				if st.OpenErr != nil {
					reason = strings.TrimSuffix(st.OpenErr.Error(), ": "+gitsrc.ErrUnavailable.Error())
				}
				hint := fmt.Sprintf("pass --mirror %s=DIR (a local clone) or add it to mirrors in .gitops.yaml", st.URL)
				if strings.Contains(reason, "offline") {
					hint += ", or run without --offline"
				}
				c.Report(catalog.TagUnverified, o.File, un, fmt.Sprintf("cannot read %s (%s): tag and base checks are skipped for it; %s", st.URL, reason, hint))
			}
			continue
		}
		if ref.Tag != "" && tagNode != nil {
			if st.Repo.TagIndex(ref.Tag) < 0 {
				msg := fmt.Sprintf("tag %q does not exist in %s", ref.Tag, st.URL)
				var fixes []diag.Fix
				if near := st.Repo.Nearest(ref.Tag); near != "" {
					msg += fmt.Sprintf(" (nearest: %q; tags: %s)", near, tagList(st.Repo.TagNames()))
					fixes = append(fixes, diag.Fix{Title: "Pin " + near, Edits: []diag.Edit{Replace(o.File, tagNode, quoted(near))}})
				}
				c.Report(catalog.TagNotFound, o.File, tagNode, msg, fixes...)
				continue
			}
			if c.Config.Rejected(st.URL, ref.Tag) {
				msg := fmt.Sprintf("tag %q of %s was rolled back (listed in .gitops.yaml rejectedTags)", ref.Tag, st.URL)
				var fixes []diag.Fix
				if prev := previousAllowed(c, st, ref.Tag); prev != "" {
					msg += fmt.Sprintf("; the tag before it is %q", prev)
					fixes = append(fixes, diag.Fix{Title: "Pin " + prev, Edits: []diag.Edit{Replace(o.File, tagNode, quoted(prev))}})
				}
				c.Report(catalog.TagRejected, o.File, tagNode, msg, fixes...)
				continue
			}
			checkUpdate(c, o, st, tagNode)
		}
	}
	ahead := checkOrder(c)
	checkMixed(c, ahead)
}

func tagList(tags []string) string {
	if len(tags) > 8 {
		tags = tags[len(tags)-8:]
	}
	return strings.Join(tags, ", ")
}

func numericReading(n *yaml.Node) string {
	var v any
	if err := n.Decode(&v); err == nil {
		return fmt.Sprint(v)
	}
	return "a number"
}

// previousAllowed is the newest tag before tag that is not rejected.
func previousAllowed(c *Pass, st *SourceState, tag string) string {
	i := st.Repo.TagIndex(tag)
	for j := i - 1; j >= 0; j-- {
		t := st.Repo.Tags[j].Name
		if !c.Config.Rejected(st.URL, t) {
			return t
		}
	}
	return ""
}

// checkUpdate reports a newer tag and which base paths used here changed.
func checkUpdate(c *Pass, o *model.Object, st *SourceState, tagNode *yaml.Node) {
	i := st.Repo.TagIndex(st.Ref.Tag)
	if i < 0 || i == len(st.Repo.Tags)-1 {
		return
	}
	newest := st.Repo.Tags[len(st.Repo.Tags)-1]
	var paths []string
	for _, cl := range c.Clusters {
		if c.cancelled() {
			return
		}
		for _, p := range cl.Pulls {
			if p.Source != nil && p.Source.Obj == o && p.Path != "" {
				paths = append(paths, p.Path)
			}
		}
	}
	sort.Strings(paths)
	msg := fmt.Sprintf("a newer tag of %s exists: %q", st.URL, newest.Name)
	if len(paths) > 0 {
		changed, err := st.Repo.Changed(st.Repo.Tags[i].Hash, newest.Hash, slices.Compact(paths))
		if err == nil {
			if len(changed) == 0 {
				msg += "; no base path used here changed"
			} else {
				msg += "; base paths used here that changed: " + strings.Join(changed, ", ")
			}
		}
	}
	c.Report(catalog.TagUpdateAvailable, o.File, tagNode, msg,
		diag.Fix{Title: "Upgrade to " + newest.Name, Edits: []diag.Edit{Replace(o.File, tagNode, quoted(newest.Name))}})
}

type pin struct {
	a   *model.Applied
	st  *SourceState
	ref string
}

// validPin reports whether a source pins something the tag rules accept:
// pins already reported as broken (unquoted, missing, rejected, a branch)
// are left out of comparisons so that one mistake is reported once.
func validPin(c *Pass, o *model.Object, st *SourceState) bool {
	ref := st.Ref
	if ref.Tag == "" {
		return ref.Commit != "" || ref.Semver != "" || ref.Name != ""
	}
	if _, tv := yamlfile.GetKV(o.Node(), "spec", "ref", "tag"); tv == nil || tv.Tag != "!!str" {
		return false
	}
	if st.Repo != nil && st.Repo.TagIndex(ref.Tag) < 0 {
		return false
	}
	return !c.Config.Rejected(st.URL, ref.Tag)
}

// clusterPins groups a cluster's external GitRepository pins by repository.
func clusterPins(c *Pass, cl *model.Cluster) map[string][]pin {
	out := map[string][]pin{}
	seen := map[*model.Object]bool{}
	for _, a := range cl.Applied {
		o := a.Obj
		if !o.Is("source", "GitRepository") || o.View != c.Repo.View || seen[o] {
			continue
		}
		seen[o] = true
		st := c.Sources.State(c.Ctx, o)
		if st == nil || st.ThisRepo || st.URL == "" || !validPin(c, o, st) {
			continue
		}
		key := config.NormalizeURL(st.URL)
		out[key] = append(out[key], pin{a: a, st: st, ref: st.Ref.String()})
	}
	return out
}

// checkMixed warns about pins that differ from the rest of their cluster.
// Pins already reported as ahead of the previous environment are left out:
// that warning names the same mistake.
func checkMixed(c *Pass, ahead map[*model.Object]bool) {
	for _, cl := range c.Clusters {
		pins := clusterPins(c, cl)
		keys := sortedKeys(pins)
		for _, key := range keys {
			ps := slices.DeleteFunc(pins[key], func(p pin) bool { return ahead[p.a.Obj] })
			count := map[string]int{}
			for _, p := range ps {
				count[p.ref]++
			}
			if len(count) < 2 {
				continue
			}
			major, majorN := "", 0
			for _, p := range ps {
				if count[p.ref] > majorN || (count[p.ref] == majorN && p.ref > major) {
					major, majorN = p.ref, count[p.ref]
				}
			}
			var refs []string
			for r := range count {
				refs = append(refs, r)
			}
			sort.Strings(refs)
			for _, p := range ps {
				if p.ref == major {
					continue
				}
				o := p.a.Obj
				at := refNode(o)
				msg := fmt.Sprintf("cluster %s pins %s at %s here but at %s elsewhere (%s): services of one base should move together", cl.Name, ps[0].st.URL, p.ref, major, strings.Join(refs, ", "))
				var fixes []diag.Fix
				if _, tv := yamlfile.GetKV(o.Node(), "spec", "ref", "tag"); tv != nil && strings.HasPrefix(major, "") && p.st.Ref.Tag != "" && !strings.Contains(major, " ") {
					fixes = append(fixes, diag.Fix{Title: "Align to " + major, Edits: []diag.Edit{Replace(o.File, tv, quoted(major))}})
				}
				c.Report(catalog.TagMixed, o.File, at, msg, fixes...)
			}
		}
	}
}

func refNode(o *model.Object) *yaml.Node {
	for _, k := range []string{"tag", "semver", "commit", "name", "branch"} {
		if _, v := yamlfile.GetKV(o.Node(), "spec", "ref", k); v != nil {
			return v
		}
	}
	if k, _ := yamlfile.GetKV(o.Node(), "spec", "ref"); k != nil {
		return k
	}
	_, v := yamlfile.GetKV(o.Node(), "spec", "url")
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkOrder warns when a later environment runs ahead of the one before
// it, and returns the sources it reported.
func checkOrder(c *Pass) map[*model.Object]bool {
	reported := map[*model.Object]bool{}
	if len(c.Envs) < 2 {
		return reported
	}
	byName := map[string]*model.Cluster{}
	for _, cl := range c.Clusters {
		byName[cl.Name] = cl
	}
	for i := 1; i < len(c.Envs); i++ {
		prev, cur := byName[c.Envs[i-1]], byName[c.Envs[i]]
		if prev == nil || cur == nil {
			continue
		}
		prevPins := clusterPins(c, prev)
		curPins := clusterPins(c, cur)
		for _, key := range sortedKeys(curPins) {
			pp := prevPins[key]
			if len(pp) == 0 {
				continue
			}
			for _, p := range curPins[key] {
				if p.st.Ref.Tag == "" {
					continue
				}
				newestPrev := ""
				ahead := true
				for _, q := range pp {
					if q.st.Ref.Tag == "" {
						ahead = false // a commit or semver pin cannot be ordered
						break
					}
					cmp, ok := compareTags(p.st, p.st.Ref.Tag, q.st.Ref.Tag)
					if !ok || cmp <= 0 {
						ahead = false
						break
					}
					if newestPrev == "" {
						newestPrev = q.st.Ref.Tag
					} else if c2, ok := compareTags(q.st, q.st.Ref.Tag, newestPrev); ok && c2 > 0 {
						newestPrev = q.st.Ref.Tag
					}
				}
				if !ahead {
					continue
				}
				_, tv := yamlfile.GetKV(p.a.Obj.Node(), "spec", "ref", "tag")
				c.Report(catalog.TagOrder, p.a.Obj.File, tv, fmt.Sprintf("%s pins %q, newer than %s's %q: promote through %s first", cur.Name, p.st.Ref.Tag, prev.Name, newestPrev, prev.Name))
				reported[p.a.Obj] = true
			}
		}
	}
	return reported
}

// compareTags orders two tags by history when the repository is known,
// else by their numeric parts.
func compareTags(st *SourceState, a, b string) (int, bool) {
	if st.Repo != nil {
		ia, ib := st.Repo.TagIndex(a), st.Repo.TagIndex(b)
		if ia >= 0 && ib >= 0 {
			return ia - ib, true
		}
	}
	na, okA := numericParts(a)
	nb, okB := numericParts(b)
	if !okA || !okB {
		return 0, false
	}
	for i := 0; i < len(na) && i < len(nb); i++ {
		if na[i] != nb[i] {
			return na[i] - nb[i], true
		}
	}
	return len(na) - len(nb), true
}

func numericParts(s string) ([]int, bool) {
	s = strings.TrimPrefix(s, "v")
	var out []int
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' }) {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, len(out) > 0
}
